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
	"strconv"
)

// Raw is JSON text from elsewhere (a message's content): written as is
// when it is one valid JSON value, as a string holding the text when it is
// not, and as {} when it is empty — what JSON.parse would give, or the text
// itself where JSON.parse fails.
type Raw []byte

// Append appends v as JSON. It reports false when v holds something JSON
// cannot carry (a type outside the list below, NaN or an infinity); dst is
// then of no use. Types: nil, bool, int, int32, int64, uint32, float64,
// string, Raw, []any, []string, map[string]any, map[string]string.
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
		switch {
		case len(x) == 0:
			return append(dst, "{}"...), true
		case Valid(x):
			return append(dst, x...), true
		default:
			return appendString(dst, string(x)), true
		}
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
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']'), true
	case map[string]any:
		dst = append(dst, '{')
		first := true
		for k, e := range x {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(appendString(dst, k), ':')
			var ok bool
			if dst, ok = Append(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case map[string]string:
		dst = append(dst, '{')
		first := true
		for k, e := range x {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(append(appendString(dst, k), ':'), e)
		}
		return append(dst, '}'), true
	}
	return dst, false
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
