// Package jsonenc writes the bridge's result and event values (trees of
// maps, slices, strings, numbers and booleans) as JSON text, so that a
// whole tree crosses into JavaScript as one string and one JSON.parse.
// Building the same tree with js.ValueOf costs a Go→JS call per property
// (≈ 30 per message) and a finalizer per object: 500 offline messages took
// ≈ 110 ms of a 720 ms sync that way in Chromium (BENCHMARKS.md).
//
// encoding/json is not used: its Valid alone adds 80 KB to a wasm binary
// and Marshal 470 KB (measured with Go 1.26), and the bridge needs neither
// reflection nor struct tags.
package jsonenc

import (
	"math"
	"slices"
	"strconv"
)

// Raw is JSON text from elsewhere (a message's content): written as is
// when it is one valid JSON value, as a string holding the text when it is
// not, and as {} when it is empty — what JSON.parse would give, or the text
// itself where JSON.parse fails.
type Raw []byte

// Object is a JSON object whose properties are written in the order
// given. A JavaScript engine gives the objects JSON.parse makes from one
// text a shared shape when their keys come in the same order; a Go map's
// come in random order, and V8 took 18–40 ms instead of 3 to parse a list
// of 1,000 conversations written from maps (BENCHMARKS.md). The bridge's
// many-of-a-kind values (messages, conversations) are Objects; other maps
// are written with their keys sorted.
type Object []Field

// Field is one property of an Object. Its Key is the bridge's own name
// for it, written as it is: it must need no escaping in JSON.
type Field struct {
	Key   string
	Value any
}

// Set sets key to v: in its place when o has key, else at the end.
func (o *Object) Set(key string, v any) {
	for i := range *o {
		if (*o)[i].Key == key {
			(*o)[i].Value = v
			return
		}
	}
	*o = append(*o, Field{key, v})
}

// Appender is a value that writes itself as JSON, straight from its
// struct: the bridge's messages and conversations, which come by the
// thousand (a list of 1,000 conversations built as trees of Objects made
// ≈ 16 allocations each, a third of the list's time in wasm).
type Appender interface {
	AppendJSON(dst []byte) ([]byte, bool)
}

// ObjectWriter writes one JSON object's properties in order, for an
// Appender: w := Begin(dst); w.String("k", v); ...; dst, ok = w.End().
// Keys are the bridge's own names, written as they are.
type ObjectWriter struct {
	b   []byte
	n   int
	bad bool
}

// Begin starts an object at the end of dst.
func Begin(dst []byte) ObjectWriter { return ObjectWriter{b: append(dst, '{')} }

func (w *ObjectWriter) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = append(append(append(w.b, '"'), k...), '"', ':')
}

// String writes k: v.
func (w *ObjectWriter) String(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

// Int writes k: v.
func (w *ObjectWriter) Int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

// Bool writes k: v.
func (w *ObjectWriter) Bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

// Value writes k: v, any value Append takes.
func (w *ObjectWriter) Value(k string, v any) {
	w.key(k)
	var ok bool
	if w.b, ok = Append(w.b, v); !ok {
		w.bad = true
	}
}

// Raw writes k: v as Append writes a Raw.
func (w *ObjectWriter) Raw(k string, v Raw) {
	w.key(k)
	w.b = appendRaw(w.b, v)
}

// JSON writes k: doc, JSON text this package wrote (an Appender's),
// as it is.
func (w *ObjectWriter) JSON(k string, doc []byte) {
	w.key(k)
	w.b = append(w.b, doc...)
}

// Strings writes k: v, an array (empty for nil).
func (w *ObjectWriter) Strings(k string, v []string) {
	w.key(k)
	w.b = appendStrings(w.b, v)
}

// Object writes k: an object that fill writes.
func (w *ObjectWriter) Object(k string, fill func(*ObjectWriter)) {
	w.key(k)
	sub := Begin(w.b)
	fill(&sub)
	var ok bool
	if w.b, ok = sub.End(); !ok {
		w.bad = true
	}
}

// End closes the object; false if a value could not be written.
func (w *ObjectWriter) End() ([]byte, bool) { return append(w.b, '}'), !w.bad }

// Append appends v as JSON. It reports false when v holds something JSON
// cannot carry (a type outside the list below, NaN or an infinity); dst is
// then of no use. Types: nil, bool, int, int32, int64, uint32, float64,
// string, Raw, Object, Appender, []any, []string, map[string]any, map[string]string
// (a map's keys sorted, so that maps of one kind share a shape in JS).
func Append(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, false
		}
		return strconv.AppendFloat(dst, x, 'g', -1, 64), true
	case string:
		return appendString(dst, x), true
	case Raw:
		return appendRaw(dst, x), true
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = Append(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case []string:
		return appendStrings(dst, x), true
	case Appender:
		return x.AppendJSON(dst)
	case Object:
		dst = append(dst, '{')
		for i, f := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(append(append(dst, '"'), f.Key...), '"', ':')
			var ok bool
			if dst, ok = Append(dst, f.Value); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case map[string]any:
		dst = append(dst, '{')
		var buf [16]string
		for i, k := range sortedKeys(buf[:0], x) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(appendString(dst, k), ':')
			var ok bool
			if dst, ok = Append(dst, x[k]); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case map[string]string:
		dst = append(dst, '{')
		var buf [16]string
		for i, k := range sortedKeys(buf[:0], x) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(append(appendString(dst, k), ':'), x[k])
		}
		return append(dst, '}'), true
	}
	return dst, false
}

func appendRaw(dst []byte, x Raw) []byte {
	switch {
	case len(x) == 0:
		return append(dst, "{}"...)
	case Valid(x):
		return append(dst, x...)
	default:
		return appendString(dst, string(x))
	}
}

func appendStrings(dst []byte, x []string) []byte {
	dst = append(dst, '[')
	for i, e := range x {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, e)
	}
	return append(dst, ']')
}

// sortedKeys appends m's keys to dst, sorted.
func sortedKeys[V any](dst []string, m map[string]V) []string {
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst
}

const hex = "0123456789abcdef"

// appendString quotes s. Bytes that are not UTF-8 pass through: the text
// reaches JavaScript through TextDecoder, which makes each U+FFFD exactly
// as it does for a string given to js.ValueOf.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(append(dst, s[start:]...), '"')
}

// maxDepth bounds nesting, as encoding/json does: deeper text is not taken
// as JSON (Raw then writes it as a string), so no engine's own limit on
// JSON.parse can fail a whole batch.
const maxDepth = 10000

// Valid reports whether b is one JSON value (RFC 8259) with nothing but
// whitespace around it, nested at most maxDepth deep: the text JSON.parse
// accepts. Bytes that are not UTF-8 are accepted inside strings, since
// JavaScript sees them as U+FFFD.
func Valid(b []byte) bool {
	p := parser{b: b}
	p.space()
	if !p.value() {
		return false
	}
	p.space()
	return p.i == len(b)
}

type parser struct {
	b     []byte
	i     int
	depth int
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *parser) literal(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

func (p *parser) value() bool {
	switch c := p.peek(); {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return false
}

func (p *parser) object() bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	defer func() { p.depth-- }()
	p.i++ // {
	p.space()
	if p.peek() == '}' {
		p.i++
		return true
	}
	for {
		p.space()
		if p.peek() != '"' || !p.str() {
			return false
		}
		p.space()
		if p.peek() != ':' {
			return false
		}
		p.i++
		p.space()
		if !p.value() {
			return false
		}
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

func (p *parser) array() bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	defer func() { p.depth-- }()
	p.i++ // [
	p.space()
	if p.peek() == ']' {
		p.i++
		return true
	}
	for {
		p.space()
		if !p.value() {
			return false
		}
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return true
		default:
			return false
		}
	}
}

func (p *parser) str() bool {
	p.i++ // "
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			p.i++
			switch p.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if len(p.b)-p.i < 5 {
					return false
				}
				for _, h := range p.b[p.i+1 : p.i+5] {
					if !isHex(h) {
						return false
					}
				}
				p.i += 5
			default:
				return false
			}
		default:
			p.i++ // bytes that are not UTF-8 too: see Valid
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

func (p *parser) number() bool {
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return false
	}
	if p.peek() == '.' {
		p.i++
		if !p.digits() {
			return false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !p.digits() {
			return false
		}
	}
	return true
}
