//go:build js && wasm

package jsbridge

import (
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
)

// setUltraGroupDefaultNotificationLevel(options, 2**32 + 5): read by asInt
// and cast to int32, so it is sent as 5 (NOT_MESSAGE_NOTIFICATION), where
// setConversationNotificationLevel refuses the same number.
func TestUltraDefaultLevelPastInt32Refused(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("setUltraGroupDefaultNotificationLevel", z.js(`{targetId: "ug"}`), z.js(`2**32 + 5`))
	for _, f := range z.srv.requests() {
		if u := f.GetUltraGroup(); u != nil {
			t.Errorf("an UltraGroupRequest went out with level %d (code %d)", u.Level, code)
		}
	}
	if code != codes.InvalidParameter {
		t.Errorf("code %d, want %d", code, codes.InvalidParameter)
	}
}

// init refused (storage not a string) still applies its logLevel: a
// refused call changed a setting of the running SDK.
func TestRefusedInitChangesNoLogLevel(t *testing.T) {
	z := newRecSDK(t) // logLevel "none"
	lines := z.js(`(() => { const seen = []; const orig = console.log; console.log = (...a) => { seen.push(a.join(" ")); }; seen.restore = () => { console.log = orig }; return seen })()`)
	defer lines.Call("restore")
	opts := map[string]any{"appkey": "app", "serverUrl": "http://fake", "WebSocket": z.js(fakeWebSocket), "storage": 5, "logLevel": "debug"}
	r, err := z.sdk.Call("init", opts, z.js("() => {}"), "device")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.Get("code")
	if mustInt(c) != codes.InvalidParameter {
		t.Fatalf("init with storage: 5: code %d, want a refusal", mustInt(c))
	}
	z.b.log.Log(0, "probe: a debug line after the refused init")
	if n, _ := lines.Length(); n != 0 {
		first, _ := lines.Index(0)
		s, _ := first.String()
		t.Errorf("after a refused init(logLevel: 'debug'), debug lines are written (%q): the level changed from 'none'", s)
	}
}
