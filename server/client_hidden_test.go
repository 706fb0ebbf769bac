package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// removeConversation hides a conversation "until its next message brings it
// back" (docs/api.md): a tombstone (a targeted message this member may not
// see) or a marker (an expansion change, a receipt request, an edit) is no
// message for this member, and brings neither the removed conversation
// back into the list nor its old unread count back into the totals
// (ConversationState.MessageSeq, not LastSeq).
func TestRemovedConversationNotBackWithoutMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
		d.waitMessages(t, 1) // the group's creation notice
	}
	ctx := context.Background()
	g1 := client.Conversation{Type: client.Group, TargetID: "g1"}
	listed := func(d *device) bool {
		t.Helper()
		list, err := d.Conversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range list {
			if ci.Conversation == g1 {
				return true
			}
		}
		return false
	}
	m := text("g1", client.Group, "with expansion")
	m.CanIncludeExpansion = true
	sent := bob.send(t, m)
	carol.waitMessages(t, 2)
	if err := carol.SetSettings(ctx, []client.Conversation{g1}, client.SettingsEdit{Remove: true}); err != nil {
		t.Fatal(err)
	}
	if listed(carol) || carol.TotalUnreadCount(true) != 0 {
		t.Fatalf("carol still lists g1 after removing it (total unread %d)", carol.TotalUnreadCount(true))
	}

	// A message for bob only: carol's sequence gets a tombstone.
	secret := text("g1", client.Group, "for bob only")
	secret.DirectedUserIDs = []string{"bob"}
	alice.send(t, secret)
	e.fence(t, carol)
	if st := carol.ConversationSettings(g1); st.RemovedSeq == 0 {
		t.Fatalf("settings %+v: removal lost", st)
	}
	if got := contents(carol.messages()); len(got) != 2 {
		t.Fatalf("carol was given %v (want no new message)", got)
	}
	tomb := listed(carol)
	tombTotal := carol.TotalUnreadCount(true)

	// Bob changes the expansion of his old message: a marker, no message.
	if err := bob.UpdateMessageExpansion(ctx, g1, sent.MessageUID, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	e.fence(t, carol)
	exp := listed(carol)
	expTotal := carol.TotalUnreadCount(true)

	// A new device of carol, for comparison: what does it list?
	carol2 := e.device("carol", "c2", devOpts{})
	carol2.connect(t, token(t, "carol", time.Hour))
	if tomb || tombTotal != 0 || exp || expTotal != 0 {
		t.Fatalf("carol received no new message, yet the removed conversation came back: after a tombstone listed=%v total unread=%d; after an expansion marker listed=%v total unread=%d (new device lists it: %v)",
			tomb, tombTotal, exp, expTotal, listed(carol2))
	}
}
