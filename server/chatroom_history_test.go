package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A room's history is kept chatroomHistorySeconds: a message older than
// that is no longer handed to a newcomer (the latest N on join) nor read
// by getChatroomHistoryMessages, also before the next sweep (every
// ChatroomSweepInterval, a minute by default) deletes it.
func TestChatroomHistoryOlderThanSettingNotReturned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	if status, body := e.admin("PUT", "/v1/settings", map[string]any{"chatroomHistorySeconds": 60}); status != 200 {
		t.Fatalf("settings: %d %v", status, body)
	}
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	joinAll(t, "live", -1, alice)
	alice.send(t, roomText("live", "old"))
	e.clock.add(10 * time.Minute) // "old" is now 10 minutes old: past the 60 s kept

	joinAll(t, "live", 10, bob)
	hist, _, err := bob.RemoteHistory(ctx, client.Conversation{Type: client.Chatroom, TargetID: "live"}, 0, 10, client.OrderOlder)
	if err != nil {
		t.Fatal(err)
	}
	e.fence(t, bob)
	if got := bob.roomMessages("live"); len(got) != 0 || len(hist) != 0 {
		t.Fatalf("a message 10 minutes old with history kept 60 s: handed on joining %v, in the history %v", got, contents(hist))
	}
}
