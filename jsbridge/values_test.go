//go:build js && wasm

package jsbridge

import (
	"math"
	"reflect"
	"testing"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsonenc"
)

// toJS's JSON path and js.ValueOf must build the same JS value.
func TestToJSMatchesValueOf(t *testing.T) {
	msg := &client.Message{Conversation: client.Conversation{Type: 1, TargetID: "bob\x00\"\\"}, SenderUserID: "al\xffice", ObjectName: "RC:TxtMsg",
		Content: []byte(`{"content":"héllo 😀 \u2028","n":[1,2.5e3,null,true]}`), MessageUID: "UID-1",
		MessageID: 1 << 53, SentTime: 1764950000123, Expansion: map[string]string{"k": "v\n"},
		DirectedUserIDs: []string{"a", "b"}, PushConfig: []byte(`1, "senderUserId": "admin"`)}
	for _, tc := range []struct {
		name string
		tree any
	}{
		{"message", messageJS(msg)},
		{"content not JSON", messageJS(&client.Message{Content: []byte("plain {text")})},
		{"content empty", messageJS(&client.Message{})},
		{"event batch", []any{[]any{"MESSAGES", map[string]any{"messages": messagesJS([]*client.Message{msg, msg})}}, []any{"CONNECTED", nil}}},
		{"raw at the top", jsonenc.Raw(`[1,{"a":"b"}]`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := jsonenc.Append(nil, tc.tree); !ok {
				t.Fatal("the tree does not take the JSON path")
			}
			fast, err := toJS(tc.tree)
			if err != nil {
				t.Fatal(err)
			}
			slow, err := safejs.ValueOf(valueOfTree(tc.tree))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := goTree(t, fast), goTree(t, slow); !reflect.DeepEqual(a, b) {
				t.Fatalf("JSON path %#v\nValueOf    %#v", a, b)
			}
		})
	}
	// What JSON cannot carry still converts.
	v, err := toJS(map[string]any{"nan": math.NaN(), "raw": jsonenc.Raw(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := goTree(t, v).(map[string]any)["raw"]; !reflect.DeepEqual(got, map[string]any{"a": 1.0}) {
		t.Fatalf("fallback raw = %#v", got)
	}
}

// goTree reads a JS value back into Go: objects, arrays, strings, numbers,
// booleans and null.
func goTree(t *testing.T, v safejs.Value) any {
	t.Helper()
	switch v.Type() {
	case safejs.TypeNull, safejs.TypeUndefined:
		return nil
	case safejs.TypeBoolean:
		b, _ := v.Bool()
		return b
	case safejs.TypeNumber:
		f, _ := v.Float()
		return f
	case safejs.TypeString:
		s, _ := v.String()
		return s
	}
	array, _ := safejs.Global().Get("Array")
	isArray, _ := array.Call("isArray", v)
	if b, _ := isArray.Bool(); b {
		n, _ := v.Length()
		out := make([]any, n)
		for i := range out {
			e, _ := v.Index(i)
			out[i] = goTree(t, e)
		}
		return out
	}
	object, _ := safejs.Global().Get("Object")
	keys, err := object.Call("keys", v)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := keys.Length()
	out := make(map[string]any, n)
	for i := 0; i < n; i++ {
		k, _ := keys.Index(i)
		ks, _ := k.String()
		e, _ := v.Get(ks)
		out[ks] = goTree(t, e)
	}
	return out
}
