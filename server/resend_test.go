package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// A resend of a committed message gets "the first result with duplicate:
// true" (docs/protocol.md), even when a rule changed between the first
// attempt (its ack lost) and the resend (a mute here): the sender is not
// told that a message every member has failed.
func TestResendOfStoredMessageAfterARuleChanged(t *testing.T) {
	e := newEnv(t, nil)
	if status, res := e.admin("POST", "/v1/groups", map[string]any{"groupId": "g", "name": "G", "ownerId": "alice", "memberIds": []string{"carol"}}); status != 200 {
		t.Fatalf("create group: %d %v", status, res)
	}
	dialer := &dropAcks{}
	carol := e.device("carol", "c1", devOpts{dialer: dialer, mod: func(c *client.Config) { c.SendTimeout = 300 * time.Millisecond }})
	alice := e.device("alice", "a1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	alice.connect(t, token(t, "alice", time.Hour))

	dialer.armed.Store(true)
	failed, err := carol.SendMessage(context.Background(), text("g", client.Group, "before the mute"), client.SendOptions{})
	if codes.Of(err) != codes.MsgRespTimeout || failed == nil {
		t.Fatalf("send without ack: %v %+v", err, failed)
	}
	dialer.armed.Store(false)
	var stored *client.Message // committed and delivered
	alice.waitFor(t, "carol's message", func(got []*client.Message, _ []client.Event) bool {
		for _, m := range got {
			if m.SenderUserID == "carol" {
				stored = m
			}
		}
		return stored != nil
	})

	if status, res := e.admin("PUT", "/v1/groups/g/mute-all", map[string]any{"muted": true}); status != 200 {
		t.Fatalf("mute: %d %v", status, res)
	}
	again, err := carol.SendMessage(context.Background(), &client.Message{}, client.SendOptions{MessageID: failed.MessageID})
	if err != nil {
		t.Fatalf("resend of a message the server stored (uid %s, seq %d) refused: %v (record now %d)", stored.MessageUID, stored.Seq, err, again.SentStatus)
	}
	if again.MessageUID != stored.MessageUID {
		t.Fatalf("resend %+v, want uid %s", again, stored.MessageUID)
	}
}
