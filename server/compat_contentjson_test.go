package server_test

import (
	"net/url"
	"testing"
)

// content must be JSON: "a JSON object or a string holding one" (POST
// /v1/messages), "content (JSON)" (RongCloud's publish); anything else is
// refused.
func TestAdminSendNonJSONContentRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for i, content := range []any{42, "hello there", []int{1, 2}} {
		status, res := e.admin("POST", "/v1/messages", map[string]any{"fromUserId": "ops", "conversationType": 1, "targetIds": []string{"alice"},
			"objectName": "RC:TxtMsg", "content": content, "clientMsgId": "c" + string(rune('0'+i))})
		if status != 400 {
			t.Errorf("content %v: %d %v, want 400", content, status, res)
		}
	}
}

func TestRongCloudPublishNonJSONContentRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	status, out := e.rcCall(t, "message/private/publish.json", url.Values{"fromUserId": {"ops"}, "toUserId": {"alice"},
		"objectName": {"RC:TxtMsg"}, "content": {"hello there"}}, appSecret, e.now())
	if status != 400 || out["code"] != 1002.0 {
		t.Fatalf("content that is no JSON: %d %v, want 400 code 1002", status, out)
	}
}
