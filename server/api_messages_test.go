package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

func TestAdminSendMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob"}, nil)
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	carol.connect(t, token(t, "carol", time.Hour))
	bob.waitMessages(t, 1) // group notice

	body := map[string]any{
		"fromUserId": "system", "conversationType": 1, "targetIds": []string{"bob", "carol"},
		"objectName": "RC:TxtMsg", "content": `{"content":"welcome"}`, "clientMsgId": "welcome-1",
	}
	status, first := e.admin("POST", "/v1/messages", body)
	if status != 200 {
		t.Fatalf("send: %d %v", status, first)
	}
	// Retried: the same results, marked duplicate, and nobody gets a second copy.
	status, again := e.admin("POST", "/v1/messages", body)
	if status != 200 {
		t.Fatalf("retry: %d %v", status, again)
	}
	r1 := first["data"].(map[string]any)["messages"].([]any)
	r2 := again["data"].(map[string]any)["messages"].([]any)
	for i := range r1 {
		a, b := r1[i].(map[string]any), r2[i].(map[string]any)
		if a["messageUId"] != b["messageUId"] || a["sentTime"] != b["sentTime"] || b["duplicate"] != true || a["duplicate"] != nil {
			t.Fatalf("first %v, retry %v", a, b)
		}
	}
	got := bob.waitMessages(t, 2)[1]
	if got.SenderUserID != "system" || got.TargetID != "system" || contents([]*client.Message{got})[0] != "welcome" {
		t.Fatalf("bob got %+v", got)
	}
	carol.waitMessages(t, 1)

	// A group message as a member, content given as an object.
	status, res := e.admin("POST", "/v1/messages", map[string]any{
		"fromUserId": "alice", "conversationType": 3, "targetIds": []string{"g1"},
		"objectName": "RC:TxtMsg", "content": map[string]any{"content": "from the backend"}, "clientMsgId": "g-1",
		"isMentioned": true, "mentionedInfo": map[string]any{"type": 2, "userIdList": []string{"bob"}},
	})
	if status != 200 {
		t.Fatalf("group send: %d %v", status, res)
	}
	m := bob.waitMessages(t, 3)[2]
	if m.TargetID != "g1" || m.SenderUserID != "alice" || !m.IsMentioned || contents([]*client.Message{m})[0] != "from the backend" {
		t.Fatalf("bob got %+v", m)
	}
	e.fence(t, bob, carol)
	if n := len(bob.messages()); n != 3 {
		t.Fatalf("bob got %d messages: %v", n, contents(bob.messages()))
	}
	if n := len(carol.messages()); n != 1 {
		t.Fatalf("carol got %d messages", n)
	}

	// Refusals change nothing.
	for name, tc := range map[string]struct {
		body   map[string]any
		status int
		code   int32
	}{
		"non-member":    {map[string]any{"fromUserId": "carol", "conversationType": 3, "targetIds": []string{"g1"}, "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "x1"}, 400, codes.NotInGroup},
		"bad type":      {map[string]any{"fromUserId": "a", "conversationType": 7, "targetIds": []string{"b"}, "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "x2"}, 400, codes.InvalidParameterConversationType},
		"no targets":    {map[string]any{"fromUserId": "a", "conversationType": 1, "targetIds": []string{}, "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "x3"}, 400, codes.InvalidParameterTargetID},
		"bad target":    {map[string]any{"fromUserId": "a", "conversationType": 1, "targetIds": []string{"a:b"}, "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "x4"}, 400, codes.InvalidParameterTargetID},
		"too large":     {map[string]any{"fromUserId": "a", "conversationType": 1, "targetIds": []string{"bob"}, "objectName": "RC:TxtMsg", "content": strings.Repeat("x", 200<<10), "clientMsgId": "x5"}, 400, codes.MsgContentExceedLimit},
		"no client id":  {map[string]any{"fromUserId": "a", "conversationType": 1, "targetIds": []string{"bob"}, "objectName": "RC:TxtMsg", "content": "{}"}, 400, codes.InvalidParameter},
		"unknown field": {map[string]any{"fromUserId": "a", "conversationType": 1, "targetIds": []string{"bob"}, "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "x6", "bogus": 1}, 400, codes.InvalidParameter},
	} {
		status, res := e.admin("POST", "/v1/messages", tc.body)
		if status != tc.status || res["code"] != float64(tc.code) {
			t.Fatalf("%s: %d %v", name, status, res)
		}
	}
	e.fence(t, bob)
	if n := len(bob.messages()); n != 3 {
		t.Fatalf("a refused call delivered: bob has %d", n)
	}
}
