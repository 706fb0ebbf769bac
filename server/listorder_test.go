package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
)

// An edit (a marker) of an older message moves no list: the device that
// was online keeps the list's order by latest messages, and the device
// that syncs the same change afterwards (told the conversation's list time
// by the server) agrees. It moved the edited conversation to the top,
// above a conversation with a newer message.
func TestListOrderAfterEditSyncedLater(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.RecallWindow = time.Hour })
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	bob1 := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	for _, d := range []*device{alice, carol, bob1, bob2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	m := alice.send(t, text("bob", client.Private, "helo"))
	e.clock.add(5 * time.Millisecond)
	carol.send(t, text("bob", client.Private, "later"))
	bob1.waitMessages(t, 2)
	bob2.waitMessages(t, 2)
	bob2.Disconnect()
	e.clock.add(5 * time.Millisecond)
	if _, err := alice.ModifyMessage(ctx, client.Conversation{Type: client.Private, TargetID: "bob"}, m.MessageUID, []byte(`{"content":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	bob1.waitFor(t, "modified", func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs {
			if ev.Kind == client.EventModified {
				return true
			}
		}
		return false
	})
	bob2.connect(t, token(t, "bob", time.Hour))
	order := func(d *device) []string {
		list, err := d.Conversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range list {
			out = append(out, c.TargetID)
		}
		return out
	}
	o1, o2 := order(bob1), order(bob2)
	if len(o1) != 2 || len(o2) != 2 || o1[0] != o2[0] || o1[0] != "carol" {
		t.Fatalf("bob's list: online device %v, synced device %v; want carol (the newest message) first on both", o1, o2)
	}
}
