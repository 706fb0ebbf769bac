package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A group message asks for read receipts, then is recalled. A member
// offline throughout syncs: the pull hides the receipt request's marker of
// a recalled message as it does the edit and expansion markers, so the
// device is not asked for a receipt of a message that no longer exists.
func TestRecallHidesReceiptRequestOnSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	m := alice.send(t, text("g", client.Group, "read me"))
	if err := alice.RequestReceipts(ctx, g, m.MessageUID); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.RecallMessage(ctx, g, m.MessageUID, m.SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}

	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	for _, ev := range bob.events() {
		if ev.Kind == client.EventReceiptRequest && ev.Receipt.MessageUID == m.MessageUID {
			err := bob.RespondReceipts(ctx, g, []string{m.MessageUID})
			t.Fatalf("bob, synced after the recall, is asked for a receipt of the recalled message (his answer: %v)", err)
		}
	}
	held, err := bob.LocalMessagesByUID(ctx, g, []string{m.MessageUID})
	if err == nil && len(held) == 1 && held[0] != nil && held[0].Receipt != nil && held[0].Receipt.IsRequest {
		t.Fatalf("bob's copy of the recalled message asks for receipts: %+v", held[0])
	}
}
