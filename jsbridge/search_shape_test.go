//go:build js && wasm

package jsbridge

import "testing"

// searchMessages answers RongIMLib 5.38's ISearchMessagesResult
// ({messages, count}: @rongcloud/imlib-next index.d.ts).
func TestSearchMessagesResultShape(t *testing.T) {
	z := newRecSDK(t)
	conv := z.js(`({conversationType: 1, targetId: "bob"})`)
	if code, _ := z.call("sendMessage", conv, z.js(`({messageType: "RC:TxtMsg", content: {content: "hello there"}})`)); code != 0 {
		t.Fatalf("send: code %d", code)
	}
	code, r := z.call("searchMessages", conv, "hello", 0, 10)
	if code != 0 {
		t.Fatalf("searchMessages: code %d", code)
	}
	data, _ := r.Get("data")
	cnt, _ := data.Get("count")
	if cnt.IsUndefined() {
		keys := z.js(`(o) => Object.keys(o).join(",")`)
		ks, _ := keys.Invoke(data)
		s, _ := ks.String()
		t.Errorf("searchMessages data has keys %s: no count (ISearchMessagesResult {messages, count})", s)
	}
}
