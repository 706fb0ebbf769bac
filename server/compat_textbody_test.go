package server_test

import (
	"net/url"
	"testing"
	"time"
)

// TestVendorTextWithoutTextRefused (found by a helper's hunt of hostile input): a text message whose body carries no
// text (NIM type 0 with msg not a string, or missing; Easemob txt with no
// msg) is bad input: refused (414 / 400), nothing sent. Here each is
// sent as an empty RC:TxtMsg the recipient sees.
func TestVendorTextWithoutTextRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.nimOK(t, "user/create.action", url.Values{"accid": {"ann"}})
	e.nimOK(t, "user/create.action", url.Values{"accid": {"ben"}})
	for _, body := range []string{`{"msg":123}`, `{"msg":{"text":"hi"}}`, `{"text":"hi"}`, `{}`} {
		out := e.nimCall(t, "msg/sendMsg.action", url.Values{"from": {"ann"}, "ope": {"0"}, "to": {"ben"}, "type": {"0"}, "body": {body}}, appSecret, time.Now())
		if out["code"] == 200.0 {
			t.Errorf("nim sendMsg type 0 body %s: sent: %v", body, out)
		}
	}
	_, tokOut := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret})
	app := tokOut["access_token"].(string)
	e.emCall(t, "POST", "users", app, []map[string]any{{"username": "em1"}, {"username": "em2"}})
	for _, body := range []any{map[string]any{}, map[string]any{"text": "hi"}, map[string]any{"msg": nil}} {
		status, out := e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "em1", "to": []string{"em2"}, "type": "txt", "body": body})
		if status == 200 {
			t.Errorf("easemob txt body %v: sent: %v", body, out["data"])
		}
	}
}
