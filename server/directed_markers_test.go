package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A target of a directed message changes its expansion: the message's
// sender (who sees it) must learn of the change like every other member who
// sees the message.
func TestDirectedExpansionReachesSender(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
		d.waitMessages(t, 1)
	}
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	m := text("g1", client.Group, "for bob")
	m.DirectedUserIDs = []string{"bob"}
	m.CanIncludeExpansion = true
	sent := alice.send(t, m)
	bob.waitMessages(t, 2)
	if err := bob.UpdateMessageExpansion(ctx, g, sent.MessageUID, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "bob's own expansion event", func(_ []*client.Message, evs []client.Event) bool { return len(expansionEvents(evs)) == 1 })
	e.fence(t, alice)
	if n := len(expansionEvents(alice.events())); n != 1 {
		h, _ := alice.LocalHistory(ctx, g, 0, 10, false)
		var exp map[string]string
		for _, x := range h {
			if x.MessageUID == sent.MessageUID {
				exp = x.Expansion
			}
		}
		t.Fatalf("alice (the sender) got %d EXPANSION events for bob's change of her directed message; her copy's expansion %v", n, exp)
	}
}

// A group admin who is a target of a directed message recalls it: its
// sender must see the recall.
func TestDirectedAdminRecallReachesSender(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "bob", []string{"alice", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
		d.waitMessages(t, 1)
	}
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	m := text("g1", client.Group, "for bob")
	m.DirectedUserIDs = []string{"bob"}
	sent := alice.send(t, m)
	got := bob.waitMessages(t, 2)[1]
	if _, err := bob.RecallMessage(ctx, g, got.MessageUID, got.SentTime, client.RecallOptions{IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	e.fence(t, alice)
	h, _ := alice.LocalHistory(ctx, g, 0, 10, false)
	for _, x := range h {
		if x.MessageUID == sent.MessageUID && x.ObjectName != client.RecallObjectName {
			t.Fatalf("alice's copy of her directed message recalled by the owner is still %s %q", x.ObjectName, x.Content)
		}
	}
	// Her new device, for comparison.
	a2 := e.device("alice", "a2", devOpts{})
	a2.connect(t, token(t, "alice", time.Hour))
	h2, _ := a2.LocalHistory(ctx, g, 0, 10, false)
	for _, x := range h2 {
		if x.MessageUID == sent.MessageUID && x.ObjectName != client.RecallObjectName {
			t.Fatalf("alice's new device holds it as %s", x.ObjectName)
		}
	}
}
