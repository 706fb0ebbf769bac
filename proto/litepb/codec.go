// Package litepb holds the types of proto/imwasm.proto as plain Go structs
// with a codec on protowire alone (written by protoc-gen-litepb; this file
// is the hand-written part the generated code calls).
//
// It exists for the browser SDK: the generated protobuf types link the whole
// protobuf runtime into the wasm, about half of the binary and most of its
// start-up in a fresh page (BENCHMARKS.md). litepb encodes the same bytes as the
// generated code (see litepb_test.go). Unknown fields are skipped, not kept.
//
// The generated code is a call per field into these helpers rather than
// the encoding spelled out inline: the wasm is what is being saved.
package litepb

import (
	"errors"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

var (
	errInvalidUTF8 = errors.New("litepb: string field holds invalid UTF-8")
	errFieldNumber = errors.New("litepb: invalid field number")
)

// message is what every generated type provides. (An interface rather
// than generics: Go instantiates a generic helper per struct type, which
// cost ~100 KB of wasm here.)
type message interface {
	Size() int
	MarshalAppend([]byte) []byte
	Merge([]byte) error
}

// ---- Sizes ----

// sizeLen is the size of a string or bytes field of length l.
func sizeLen(tagSize int, l int) int {
	if l == 0 {
		return 0
	}
	return tagSize + protowire.SizeBytes(l)
}

func sizeVarint(tagSize int, v uint64) int {
	if v == 0 {
		return 0
	}
	return tagSize + protowire.SizeVarint(v)
}

func sizeBool(tagSize int, v bool) int {
	if !v {
		return 0
	}
	return tagSize + 1
}

func sizeStrings(tagSize int, ss []string) (n int) {
	for _, s := range ss {
		n += tagSize + protowire.SizeBytes(len(s))
	}
	return n
}

// sizeUint64s is a packed repeated uint64's size (nothing when empty).
func sizeUint64s(tagSize int, vs []uint64) int {
	if len(vs) == 0 {
		return 0
	}
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(v)
	}
	return tagSize + protowire.SizeBytes(n)
}

func sizeMap(tagSize int, m map[string]string) (n int) {
	for k, v := range m {
		n += tagSize + protowire.SizeBytes(mapEntrySize(k, v))
	}
	return n
}

func mapEntrySize(k, v string) int {
	return 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
}

// sizeMsg is the size of a message field; present is false for a nil
// singular field (absent), true for a oneof member or a list element, which
// are written even when nil.
func sizeMsg(tagSize int, m message, present bool) int {
	if !present {
		return 0
	}
	return tagSize + protowire.SizeBytes(m.Size())
}

// ---- Encoding: tag is the field's key, number<<3 | wire type ----

func appendString(b []byte, tag uint64, s string) []byte {
	if s == "" {
		return b
	}
	return protowire.AppendString(protowire.AppendVarint(b, tag), s)
}

func appendBytes(b []byte, tag uint64, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return protowire.AppendBytes(protowire.AppendVarint(b, tag), v)
}

func appendVarint(b []byte, tag uint64, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendVarint(b, tag), v)
}

func appendBool(b []byte, tag uint64, v bool) []byte {
	if !v {
		return b
	}
	return append(protowire.AppendVarint(b, tag), 1)
}

func appendStrings(b []byte, tag uint64, ss []string) []byte {
	for _, s := range ss {
		b = protowire.AppendString(protowire.AppendVarint(b, tag), s)
	}
	return b
}

// appendUint64s writes vs packed, as proto3 does.
func appendUint64s(b []byte, tag uint64, vs []uint64) []byte {
	if len(vs) == 0 {
		return b
	}
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(v)
	}
	b = protowire.AppendVarint(protowire.AppendVarint(b, tag), uint64(n))
	for _, v := range vs {
		b = protowire.AppendVarint(b, v)
	}
	return b
}

// appendMap writes entries in key order, so equal messages encode to equal
// bytes.
func appendMap(b []byte, tag uint64, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := m[k]
		b = protowire.AppendVarint(protowire.AppendVarint(b, tag), uint64(mapEntrySize(k, v)))
		b = protowire.AppendString(append(b, 1<<3|2), k)
		b = protowire.AppendString(append(b, 2<<3|2), v)
	}
	return b
}

func appendMsg(b []byte, tag uint64, m message, present bool) []byte {
	if !present {
		return b
	}
	b = protowire.AppendVarint(protowire.AppendVarint(b, tag), uint64(m.Size()))
	return m.MarshalAppend(b)
}

// ---- Decoding ----
//
// Each merge* consumes one field value from b and returns its length. A
// value of an unexpected wire type is skipped, as proto does, and leaves
// the field alone.

func consumeTag(b []byte) (protowire.Number, protowire.Type, int, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, protowire.ParseError(n)
	}
	if num > protowire.MaxValidNumber {
		return 0, 0, 0, errFieldNumber
	}
	return num, typ, n, nil
}

func skip(b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, protowire.ParseError(n)
	}
	return n, nil
}

func consumeVarint(b []byte, num protowire.Number, typ protowire.Type) (uint64, bool, int, error) {
	if typ != protowire.VarintType {
		n, err := skip(b, num, typ)
		return 0, false, n, err
	}
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, false, 0, protowire.ParseError(n)
	}
	return v, true, n, nil
}

func consumeLen(b []byte, num protowire.Number, typ protowire.Type) ([]byte, bool, int, error) {
	if typ != protowire.BytesType {
		n, err := skip(b, num, typ)
		return nil, false, n, err
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, false, 0, protowire.ParseError(n)
	}
	return v, true, n, nil
}

func mergeUint64(dst *uint64, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeVarint(b, num, typ)
	if ok {
		*dst = v
	}
	return n, err
}

func mergeUint32(dst *uint32, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeVarint(b, num, typ)
	if ok {
		*dst = uint32(v)
	}
	return n, err
}

func mergeInt64(dst *int64, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeVarint(b, num, typ)
	if ok {
		*dst = int64(v)
	}
	return n, err
}

// mergeInt32 also decodes enums (int32 underneath).
func mergeInt32(dst *int32, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeVarint(b, num, typ)
	if ok {
		*dst = int32(v)
	}
	return n, err
}

func mergeBool(dst *bool, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeVarint(b, num, typ)
	if ok {
		*dst = v != 0
	}
	return n, err
}

func mergeString(dst *string, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeLen(b, num, typ)
	if ok {
		if !utf8.Valid(v) {
			return 0, errInvalidUTF8
		}
		*dst = string(v)
	}
	return n, err
}

func mergeBytes(dst *[]byte, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeLen(b, num, typ)
	if ok {
		*dst = append([]byte{}, v...)
	}
	return n, err
}

func mergeStrings(dst *[]string, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	var s string
	n, err := mergeString(&s, b, num, typ)
	if err == nil && typ == protowire.BytesType {
		*dst = append(*dst, s)
	}
	return n, err
}

// mergeUint64s adds a repeated uint64's values, packed or one by one (a
// parser must take both).
func mergeUint64s(dst *[]uint64, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	if typ == protowire.VarintType {
		var v uint64
		n, err := mergeUint64(&v, b, num, typ)
		if err == nil {
			*dst = append(*dst, v)
		}
		return n, err
	}
	packed, ok, n, err := consumeLen(b, num, typ)
	if !ok || err != nil {
		return n, err
	}
	for len(packed) > 0 {
		v, m := protowire.ConsumeVarint(packed)
		if m < 0 {
			return 0, protowire.ParseError(m)
		}
		*dst = append(*dst, v)
		packed = packed[m:]
	}
	return n, nil
}

func mergeMap(dst *map[string]string, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeLen(b, num, typ)
	if !ok || err != nil {
		return n, err
	}
	var k, val string
	for len(v) > 0 {
		enum, etyp, en, err := consumeTag(v)
		if err != nil {
			return 0, err
		}
		v = v[en:]
		switch enum {
		case 1:
			en, err = mergeString(&k, v, enum, etyp)
		case 2:
			en, err = mergeString(&val, v, enum, etyp)
		default:
			en, err = skip(v, enum, etyp)
		}
		if err != nil {
			return 0, err
		}
		v = v[en:]
	}
	if *dst == nil {
		*dst = map[string]string{}
	}
	(*dst)[k] = val
	return n, nil
}

// mergeMsg merges a message field's value into m, which the caller has
// created (or found) when typ is the length-delimited type it expects.
func mergeMsg(m message, b []byte, num protowire.Number, typ protowire.Type) (int, error) {
	v, ok, n, err := consumeLen(b, num, typ)
	if !ok || err != nil {
		return n, err
	}
	return n, m.Merge(v)
}
