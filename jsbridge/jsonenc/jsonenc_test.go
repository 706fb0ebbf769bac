package jsonenc

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range validSeeds {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%q) = %v, encoding/json says %v", s, got, want)
		}
	}
}

var validSeeds = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `01`, `-`, `1.`, `.5`, `1.5e`, `1.5e+3`, `1E-2`, `-12.25e10`,
	`true`, `false`, `null`, `nul`, `truex`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1,2,]`, `[1 2]`,
	`{"content":"hi"}`, ` {"a" : [ true , null , {"b":"\u00e9\n\"\\\/"} ] } `, `"\x"`, `"\u12"`, `"\u12g4"`,
	"\"tab\there\"", "\"\xff\xfe bytes\"", `1, "x": 2`, `"a" "b"`, `{"a":1}}`, "\ufeff{}", `[[[[[]]]]]`,
	`"unterminated`, `{"a":`, `[`, `{`, `-01`, `2.e3`, `1e5.5`, `"\ud800"`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func FuzzValid(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want any // what encoding/json reads back; nil with ok=false
		ok   bool
	}{
		{"scalars", []any{nil, true, false, 1, int32(-2), int64(1) << 53, uint32(7), 0.5, "s"},
			[]any{nil, true, false, 1.0, -2.0, float64(int64(1) << 53), 7.0, 0.5, "s"}, true},
		{"escapes", "q\" b\\ n\n r\r t\t c\x01 é 😀 \u2028", "q\" b\\ n\n r\r t\t c\x01 é 😀 \u2028", true},
		{"nested", map[string]any{"a": []any{map[string]any{"b": "c"}}, "s": []string{"x", "y"}, "m": map[string]string{"k": "v"}},
			map[string]any{"a": []any{map[string]any{"b": "c"}}, "s": []any{"x", "y"}, "m": map[string]any{"k": "v"}}, true},
		{"raw valid", map[string]any{"content": Raw(`{"content":"hi","n":[1,2]}`)},
			map[string]any{"content": map[string]any{"content": "hi", "n": []any{1.0, 2.0}}}, true},
		// Text that is not one JSON value arrives as a string: it must
		// never add fields to the object around it.
		{"raw injection", map[string]any{"content": Raw(`1, "senderUserId": "admin"`), "senderUserId": "mallory"},
			map[string]any{"content": `1, "senderUserId": "admin"`, "senderUserId": "mallory"}, true},
		{"raw empty", Raw(nil), map[string]any{}, true},
		{"object", Object{{"b", 1}, {"a", Raw(`[true]`)}, {"c", Object{{"d", nil}}}},
			map[string]any{"b": 1.0, "a": []any{true}, "c": map[string]any{"d": nil}}, true},
		{"appender", []any{writer{"x", 2, 0}, map[string]any{"w": writer{"y\"", -3, 0}}},
			[]any{map[string]any{"s": "x", "n": -2.0, "raw": map[string]any{}, "list": []any{}, "o": map[string]any{"n": 2.0}},
				map[string]any{"w": map[string]any{"s": "y\"", "n": 3.0, "raw": map[string]any{}, "list": []any{}, "o": map[string]any{"n": -3.0}}}}, true},
		{"NaN in an object", Object{{"a", math.NaN()}}, nil, false},
		{"NaN in an appender", writer{"x", 0, math.NaN()}, nil, false},
		{"NaN", math.NaN(), nil, false},
		{"infinity in a list", []any{1, math.Inf(1)}, nil, false},
		{"unknown type", map[string]any{"f": func() {}}, nil, false},
		{"byte slice", []byte("x"), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := Append(nil, tc.in)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%s)", ok, tc.ok, out)
			}
			if !ok {
				return
			}
			var got any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%s is not JSON: %v", out, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("%s reads back as %#v, want %#v", out, got, tc.want)
			}
		})
	}
}

// writer is an Appender for the table: its properties through each of
// ObjectWriter's methods.
type writer struct {
	s string
	n int64
	f float64
}

func (w writer) AppendJSON(dst []byte) ([]byte, bool) {
	o := Begin(dst)
	o.String("s", w.s)
	o.Int("n", -w.n)
	o.Raw("raw", nil)
	o.Strings("list", nil)
	o.Object("o", func(o *ObjectWriter) { o.Int("n", w.n) })
	if w.f != 0 || math.IsNaN(w.f) {
		o.Value("f", w.f)
	}
	return o.End()
}

// TestKeyOrder: what JSON.parse makes of many objects is fast only when
// their keys come in one order (Object says why): maps are written sorted,
// Objects and Appenders in their own order.
func TestKeyOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"map", map[string]any{"b": 1, "a": 2, "c": map[string]string{"z": "1", "y": "2"}}, `{"a":2,"b":1,"c":{"y":"2","z":"1"}}`},
		{"many keys", map[string]any{"k9": 0, "k1": 0, "k5": 0, "k3": 0, "k7": 0, "k2": 0, "k8": 0, "k4": 0, "k6": 0, "k0": 0,
			"ka": 0, "kb": 0, "kc": 0, "kd": 0, "ke": 0, "kf": 0, "kg": 0},
			`{"k0":0,"k1":0,"k2":0,"k3":0,"k4":0,"k5":0,"k6":0,"k7":0,"k8":0,"k9":0,"ka":0,"kb":0,"kc":0,"kd":0,"ke":0,"kf":0,"kg":0}`},
		{"object", Object{{"b", 1}, {"a", 2}}, `{"b":1,"a":2}`},
		{"object set", func() Object { o := Object{{"b", 1}, {"a", 2}}; o.Set("b", 3); o.Set("c", 4); return o }(), `{"b":3,"a":2,"c":4}`},
		{"appender", writer{"x", 1, 0}, `{"s":"x","n":-1,"raw":{},"list":[],"o":{"n":1}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 5 { // a map's order differs from one range to the next
				if out, ok := Append(nil, tc.in); !ok || string(out) != tc.want {
					t.Fatalf("%s (%v), want %s", out, ok, tc.want)
				}
			}
		})
	}
}

func BenchmarkAppendMessages(b *testing.B) {
	msg := map[string]any{"conversationType": 1, "targetId": "sender", "content": Raw(`{"content":"m123"}`),
		"messageUId": "C3PO-R2D2-0000-0001", "messageId": int64(1234), "sentTime": int64(1764950000000),
		"receivedStatusInfo": map[string]any{"isRead": false, "isListened": false}, "directedUserIds": []any{}}
	batch := make([]any, 500)
	for i := range batch {
		batch[i] = msg
	}
	var buf []byte
	for b.Loop() {
		buf, _ = Append(buf[:0], batch)
	}
	b.SetBytes(int64(len(buf)))
}
