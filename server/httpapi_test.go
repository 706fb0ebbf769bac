package server_test

import (
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// docs/http-api.md: "Every duration, in a setting or a parameter, is at
// most 100 years: 3,155,760,000 seconds (100 × 365.25 days)", group, chat
// room and ultra group mutes too (not 100 × 365 days).
func TestMuteDurationsHonourTheDocumented100Years(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	const ms = int64(3_155_000_000) * 1000 // < 3,155,760,000 s (the documented bound), > 100 × 365 days
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "G", "ownerId": "olga", "memberIds": []string{"bob"}})
	e.adminOK(t, "POST", "/v1/chatrooms", map[string]any{"id": "room"})
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga", "memberIds": []string{"bob"}})
	for _, c := range []struct{ path string }{
		{"/v1/groups/g1/mute"},
		{"/v1/chatrooms/room/mute"},
		{"/v1/ultragroups/ug/mute"},
	} {
		if status, body := e.admin("POST", c.path, map[string]any{"userIds": []string{"bob"}, "durationMs": ms}); status != 200 {
			t.Errorf("%s with durationMs %d (within 100 years of 365.25 days): %d %v", c.path, ms, status, body)
		}
	}
}

// POST /v1/messages to several targets: "refusals ... change nothing". A
// target whose per-target client id names a message of another
// conversation is refused with 400 before any target's copy is stored.
func TestAppSendRefusedBeforeAnyTargetIsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// A group whose id is also a user's id: the app server sends to it
	// with clientMsgId "x" (stored as "x:carol" in the group).
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "carol", "name": "G", "ownerId": "alice"})
	e.adminOK(t, "POST", "/v1/messages", map[string]any{
		"fromUserId": "alice", "conversationType": client.Group, "targetIds": []string{"carol"},
		"objectName": "RC:TxtMsg", "content": `{"content":"to the group"}`, "clientMsgId": "x",
	})
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))

	status, body := e.admin("POST", "/v1/messages", map[string]any{
		"fromUserId": "alice", "conversationType": client.Private, "targetIds": []string{"bob", "carol"},
		"objectName": "RC:TxtMsg", "content": `{"content":"private"}`, "clientMsgId": "x",
	})
	if status == 200 {
		t.Skipf("accepted: %v", body)
	}
	e.fence(t, bob)
	if got := bob.messages(); len(got) != 0 {
		t.Fatalf("the call was refused (%d %v), yet bob got %q", status, body, contents(got))
	}
}

// "Request bodies are JSON ... a malformed body" is 400 33003 and changes
// nothing: a value followed by garbage, or two objects, too.
func TestAdminBodyWithTrailingDataIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	status, body := e.adminBytes("POST", "/v1/chatrooms", []byte(`{"id":"room1"} this is not JSON`))
	if status != 400 {
		t.Errorf("a body of JSON and garbage: %d %v (want 400 33003)", status, body)
	}
	status, body = e.adminBytes("PUT", "/v1/settings", []byte(`{"recallWindowSeconds":5}{"recallWindowSeconds":"x"}`))
	if status != 400 {
		t.Errorf("a body of two objects: %d %v (want 400 33003)", status, body)
	}
	if st := e.adminOK(t, "GET", "/v1/settings", nil); st["recallWindowSeconds"] == float64(5) {
		t.Errorf("the refused-looking body changed the settings: %v", st["recallWindowSeconds"])
	}
}
