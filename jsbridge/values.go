//go:build js && wasm

package jsbridge

import (
	"fmt"
	"math"
	"sync"
	"syscall/js"
	"unsafe"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/jsbridge/jsonenc"
	"github.com/imwasm/imwasm/proto/codes"
)

// This file: reading arguments from JS values with the checks the SDK
// needs (a wrong type is BIZ_ERROR_INVALID_PARAMETER, never a panic), and
// building JS values from Go ones.

func invalid(format string, a ...any) error {
	return codes.New(codes.InvalidParameter, fmt.Sprintf(format, a...))
}

// absent reports undefined or null: an optional argument not given.
func absent(v safejs.Value) bool { return v.IsUndefined() || v.IsNull() }

// object checks that v is a plain object (or an array when arrays are
// wanted by the caller).
func object(v safejs.Value, name string) error {
	if v.Type() != safejs.TypeObject {
		return invalid("%s must be an object", name)
	}
	return nil
}

// plainObject checks that v is an object made by {} or JSON.parse (its
// prototype Object.prototype or null).
func plainObject(v safejs.Value, name string) error {
	if err := object(v, name); err != nil {
		return err
	}
	objectCtor, err := safejs.Global().Get("Object")
	if err != nil {
		return err
	}
	proto, err := objectCtor.Call("getPrototypeOf", v)
	if err != nil {
		return invalid("%s: %v", name, err)
	}
	if proto.IsNull() {
		return nil
	}
	objectProto, err := objectCtor.Get("prototype")
	if err != nil {
		return err
	}
	if !proto.Equal(objectProto) {
		return invalid("%s must be a plain object", name)
	}
	return nil
}

func field(obj safejs.Value, key string) (safejs.Value, error) {
	v, err := obj.Get(key)
	if err != nil {
		return safejs.Undefined(), invalid("%s: %v", key, err)
	}
	return v, nil
}

func asString(v safejs.Value, name string) (string, error) {
	if v.Type() != safejs.TypeString {
		return "", invalid("%s must be a string", name)
	}
	return v.String()
}

// optString reads obj[key]: "" when absent, an error when not a string.
func optString(obj safejs.Value, key string) (string, error) {
	v, err := field(obj, key)
	if err != nil || absent(v) {
		return "", err
	}
	return asString(v, key)
}

func reqString(obj safejs.Value, key string) (string, error) {
	v, err := field(obj, key)
	if err != nil {
		return "", err
	}
	if absent(v) {
		return "", invalid("%s is required", key)
	}
	s, err := asString(v, key)
	if err == nil && s == "" {
		err = invalid("%s must not be empty", key)
	}
	return s, err
}

func asInt(v safejs.Value, name string) (int64, error) {
	if v.Type() != safejs.TypeNumber {
		return 0, invalid("%s must be a number", name)
	}
	f, err := v.Float()
	if err != nil {
		return 0, invalid("%s: %v", name, err)
	}
	if f != float64(int64(f)) {
		return 0, invalid("%s must be an integer", name)
	}
	return int64(f), nil
}

// asInt32 is asInt for the engine's int32 fields (types, levels, roles,
// permissions): a number beyond int32 is refused, not wrapped into
// another valid value.
func asInt32(v safejs.Value, name string) (int32, error) {
	n, err := asInt(v, name)
	if err == nil && (n < math.MinInt32 || n > math.MaxInt32) {
		err = invalid("%s out of range", name)
	}
	return int32(n), err
}

// optInt32 reads obj[key] as asInt32: def when absent.
func optInt32(obj safejs.Value, key string, def int32) (int32, error) {
	v, err := field(obj, key)
	if err != nil || absent(v) {
		return def, err
	}
	return asInt32(v, key)
}

// optInt reads obj[key]: def when absent.
func optInt(obj safejs.Value, key string, def int64) (int64, error) {
	v, err := field(obj, key)
	if err != nil || absent(v) {
		return def, err
	}
	return asInt(v, key)
}

func optBool(obj safejs.Value, key string) (bool, error) { return optBoolDefault(obj, key, false) }

func optBoolDefault(obj safejs.Value, key string, def bool) (bool, error) {
	v, err := field(obj, key)
	if err != nil || absent(v) {
		return def, err
	}
	if v.Type() != safejs.TypeBoolean {
		return false, invalid("%s must be a boolean", key)
	}
	return v.Bool()
}

// asStrings reads an array of strings.
func asStrings(v safejs.Value, name string) ([]string, error) {
	return asArray(v, name, func(e safejs.Value) (string, error) { return asString(e, name+" items") })
}

// maxArray bounds every array argument before a Go slice is made for it:
// new Array(1e9) costs JavaScript nothing, and a wasm memory never shrinks.
// Above what any call takes (the largest lists are 1,000 ids).
const maxArray = 10_000

// asArray reads a JS array, each item with item (its error names the
// argument).
func asArray[T any](v safejs.Value, name string, item func(safejs.Value) (T, error)) ([]T, error) {
	isArr, err := safejs.Global().Get("Array")
	if err == nil {
		var ok safejs.Value
		ok, err = isArr.Call("isArray", v)
		if err == nil {
			if b, _ := ok.Bool(); !b {
				err = invalid("%s must be an array", name)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	n, err := v.Length()
	if err != nil {
		return nil, invalid("%s: %v", name, err)
	}
	if n > maxArray {
		return nil, invalid("%s holds at most %d items", name, maxArray)
	}
	out := make([]T, n)
	for i := range out {
		e, err := v.Index(i)
		if err != nil {
			return nil, invalid("%s: %v", name, err)
		}
		if out[i], err = item(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func optStrings(obj safejs.Value, key string) ([]string, error) {
	v, err := field(obj, key)
	if err != nil || absent(v) {
		return nil, err
	}
	return asStrings(v, key)
}

// asStringMap reads an object whose values are strings (an expansion).
func asStringMap(v safejs.Value, name string) (map[string]string, error) {
	return asMap(v, name, asString)
}

// asStringListMap reads an object of string arrays ({key: [string]}).
func asStringListMap(v safejs.Value, name string) (map[string][]string, error) {
	return asMap(v, name, asStrings)
}

// asMap reads a plain object's own properties, each by item (an array,
// a Map or a class instance is no map of keys).
func asMap[T any](v safejs.Value, name string, item func(safejs.Value, string) (T, error)) (map[string]T, error) {
	if err := plainObject(v, name); err != nil {
		return nil, err
	}
	objectCtor, err := safejs.Global().Get("Object")
	if err != nil {
		return nil, err
	}
	keys, err := objectCtor.Call("keys", v)
	if err != nil {
		return nil, invalid("%s: %v", name, err)
	}
	ks, err := asStrings(keys, name+" keys")
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(ks))
	for _, k := range ks {
		e, err := v.Get(k)
		if err != nil {
			return nil, invalid("%s: %v", name, err)
		}
		if out[k], err = item(e, name+"."+k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func optStringMap(obj safejs.Value, key string) (map[string]string, error) {
	v, err := field(obj, key)
	if err != nil || absent(v) {
		return nil, err
	}
	return asStringMap(v, key)
}

// jsonStringify is JSON.stringify(v): message content travels as JSON text,
// parsed and written by the JS engine, so the wasm links no JSON library.
func jsonStringify(v safejs.Value, name string) ([]byte, error) {
	j, err := safejs.Global().Get("JSON")
	if err != nil {
		return nil, err
	}
	s, err := j.Call("stringify", v)
	if err != nil {
		return nil, invalid("%s cannot be serialized: %v", name, err)
	}
	if s.Type() != safejs.TypeString {
		return nil, invalid("%s cannot be serialized", name)
	}
	str, err := s.String()
	return []byte(str), err
}

// toJS builds the JS value of a result or event tree: written as JSON in
// Go and parsed once in JS (package jsonenc says why); a tree JSON cannot
// carry (a JS value inside, NaN) goes through js.ValueOf instead.
func toJS(v any) (safejs.Value, error) {
	buf := docBuffers.Get().(*[]byte)
	defer docBuffers.Put(buf)
	doc, ok := jsonenc.Append((*buf)[:0], v)
	if cap(doc) <= maxKeptDoc {
		*buf = doc[:0]
	}
	if ok {
		if j, err := safejs.Global().Get("JSON"); err == nil {
			// The text is copied into a JS string before parse returns,
			// and the buffer is not touched until then: no Go copy of it.
			if out, err := j.Call("parse", unsafe.String(unsafe.SliceData(doc), len(doc))); err == nil {
				return out, nil
			}
		}
		// An engine refused the text (a limit of its own, say): the slow
		// path still delivers the batch rather than losing it.
	}
	return safejs.ValueOf(valueOfTree(v))
}

// docBuffers keeps the buffers toJS writes its texts in: a list of 1,000
// conversations is ≈ 850 KB of JSON, and growing a new buffer to that size
// for each call took half of its encoding time in wasm (BENCHMARKS.md).
var docBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxKeptDoc bounds the buffers kept: a rare huge text is not held.
const maxKeptDoc = 4 << 20

// valueOfTree replaces the jsonenc.Raw texts of a tree with their parsed
// values, its jsonenc.Objects with maps and its Appenders with the values
// of their texts, for js.ValueOf.
func valueOfTree(v any) any {
	switch x := v.(type) {
	case jsonenc.Raw:
		return jsonParse(x)
	case jsonenc.Appender:
		// Written by the bridge itself: NaN aside (not in these), valid.
		if doc, ok := x.AppendJSON(nil); ok {
			return jsonParse(doc)
		}
		return nil
	case jsonenc.Object:
		out := make(map[string]any, len(x))
		for _, f := range x {
			out[f.Key] = valueOfTree(f.Value)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = valueOfTree(e)
		}
		return out
	case []string:
		return stringsAny(x)
	case map[string]string:
		return stringMapAny(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = valueOfTree(e)
		}
		return out
	}
	return v
}

// jsonParse is JSON.parse(b), or the text itself when it is not JSON.
func jsonParse(b []byte) js.Value {
	if len(b) == 0 {
		return js.ValueOf(map[string]any{})
	}
	j, err := safejs.Global().Get("JSON")
	if err == nil {
		if v, err := j.Call("parse", string(b)); err == nil {
			return safejs.Unsafe(v)
		}
	}
	return js.ValueOf(string(b))
}

// strings converts for js.ValueOf, which takes []any, not []string.
func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func stringMapAny(m map[string]string) any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
