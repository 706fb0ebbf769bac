package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A group whose newest message is targeted at someone else, with nothing
// in the new-device window: a member's new device must still list the
// conversation with the newest message it may see, as it does for any old
// conversation (docs/architecture.md: "the last message of a conversation
// with nothing newer ... so its list shows every conversation").
func TestNewDeviceListsLastMessageForIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	alice.waitMessages(t, 1)
	alice.send(t, text("g1", client.Group, "for all"))
	m := text("g1", client.Group, "for bob")
	m.DirectedUserIDs = []string{"bob"}
	alice.send(t, m)
	e.clock.add(8 * 24 * time.Hour)

	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, e.token(t, "carol", time.Hour))
	ctx := context.Background()
	list, err := carol.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.TargetID == "g1" {
			if c.Latest == nil {
				t.Fatalf("carol's new device lists g1 without a latest message (holds %v)", contents(carol.messages()))
			}
			if got := contents([]*client.Message{c.Latest}); got[0] != "for all" {
				t.Fatalf("carol's new device lists g1 with latest %v", got)
			}
			return
		}
	}
	t.Fatalf("carol's new device does not list g1 (holds %v)", contents(carol.messages()))
}
