package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
)

// Two edits of one message, the second made when the server's wall clock
// reads earlier than at the first (a clock stepped back, or in a cluster
// another node whose clock is behind). Devices keep the edit with the
// latest ModifiedTime, so it moves on from the edit before whatever the
// clock says: the second edit is the one every device keeps.
func TestSecondEditKeptWhenClockSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.RecallWindow = time.Hour })
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	p := client.Conversation{Type: client.Private, TargetID: "bob"}
	m := alice.send(t, text("bob", client.Private, "zero"))
	if _, err := alice.ModifyMessage(ctx, p, m.MessageUID, []byte(`{"content":"one"}`)); err != nil {
		t.Fatal(err)
	}
	e.clock.add(-2 * time.Second) // the wall clock steps back (NTP), or the next request lands on a node 2 s behind
	if _, err := alice.ModifyMessage(ctx, p, m.MessageUID, []byte(`{"content":"two"}`)); err != nil {
		t.Fatal(err)
	}
	e.fence(t, alice, bob)
	bp := client.Conversation{Type: client.Private, TargetID: "alice"}
	remote, err := bob.RemoteMessages(ctx, bp, []string{m.MessageUID})
	if err != nil || len(remote) != 1 {
		t.Fatalf("remote: %v %v", remote, err)
	}
	for _, d := range []*device{alice, bob} {
		c := p
		if d == bob {
			c = bp
		}
		local, err := d.LocalMessagesByUID(ctx, c, []string{m.MessageUID})
		if err != nil || len(local) != 1 || local[0] == nil {
			t.Fatalf("%s local: %v %v", d.id, local, err)
		}
		if got, want := contents(local)[0], contents(remote)[0]; got != want {
			t.Errorf("%s's device shows %q, the server has %q", d.id, got, want)
		}
	}
}
