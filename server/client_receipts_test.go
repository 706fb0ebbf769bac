package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A receipt request this user answered on another device is not asked
// again (client/receipts.go: "answered on another device already"), by a
// device that was offline either: its sync pulls the user's log first,
// and the entry saying it was answered is remembered for the request that
// comes after it (recentUIDs); and the message it holds says it was
// answered (hasRespond), as a1's does.
func TestAnsweredRequestNotAskedAgainAfterSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "carol", []string{"alice"}, nil)
	carol := e.device("carol", "c1", devOpts{})
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	for _, d := range []*device{carol, a1, a2} {
		d.connect(t, token(t, d.user, time.Hour))
		d.waitMessages(t, 1)
	}
	a2.Disconnect()
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	m := carol.send(t, text("g", client.Group, "lunch?"))
	if err := carol.RequestReceipts(ctx, g, m.MessageUID); err != nil {
		t.Fatal(err)
	}
	a1.waitReceipt(t, "the request", client.EventReceiptRequest, func(r *client.ReceiptEvent) bool { return r.MessageUID == m.MessageUID })
	if err := a1.RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}
	a1.waitFor(t, "hasRespond on a1", func([]*client.Message, []client.Event) bool {
		r := a1.stored(t, m.MessageUID).Receipt
		return r != nil && r.HasRespond
	})
	before := len(a2.events())
	a2.connect(t, token(t, "alice", time.Hour))
	e.fence(t, a2)
	if r := a2.stored(t, m.MessageUID).Receipt; r == nil || !r.HasRespond {
		t.Fatalf("a2 after its sync: receipt %+v, want hasRespond (answered on a1; a1 says so)", r)
	}
	var asked int
	for _, ev := range a2.events()[before:] {
		if ev.Kind == client.EventReceiptRequest && ev.Receipt.MessageUID == m.MessageUID {
			asked++
		}
	}
	if asked > 0 {
		t.Fatalf("a2 was asked %d time(s) for a receipt alice answered on a1 before a2 synced", asked)
	}
}
