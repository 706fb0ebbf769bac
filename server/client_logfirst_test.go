package server_test

import (
	"slices"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A sync pulls the user's log first: its entries about a message this
// device does not hold yet (sent by another device of the user while this
// one was offline) find nothing to apply to, and the message, coming
// afterwards, takes what they said from the conversation's watermarks.
// Here: a delivery receipt (RECEIVED, by PeerDeliveredSeq).
func TestDeliveredStatusSurvivesLogFirstSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	const ackEvery = 50 * time.Millisecond
	mod := func(c *client.Config) { c.DeliveryReceipts, c.AckInterval = true, ackEvery }
	a1 := e.device("alice", "a1", devOpts{mod: mod})
	a2 := e.device("alice", "a2", devOpts{mod: mod})
	bob := e.device("bob", "b1", devOpts{mod: func(c *client.Config) { c.AckInterval = ackEvery }})
	for _, d := range []*device{a1, a2, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	// a2 holds the conversation already (a device that was online before).
	first := a1.send(t, text("bob", client.Private, "first"))
	waitUID(t, a2, first.MessageUID)
	a2.Disconnect()

	m := a1.send(t, text("bob", client.Private, "while a2 is offline"))
	a1.waitFor(t, "RECEIVED on a1", func([]*client.Message, []client.Event) bool {
		return a1.stored(t, m.MessageUID).SentStatus == client.StatusReceived
	})
	a2.connect(t, token(t, "alice", time.Hour))
	waitUID(t, a2, m.MessageUID)
	a2.waitReceipt(t, "delivered (told on connect)", client.EventDelivered, func(r *client.ReceiptEvent) bool {
		return slices.Contains(r.MessageUIDs, m.MessageUID)
	})
	if s := a2.stored(t, m.MessageUID).SentStatus; s != client.StatusReceived {
		t.Fatalf("a2: status %d after its sync, want RECEIVED (%d) as on a1: the log's delivery entry was applied before the message was held", s, client.StatusReceived)
	}
}
