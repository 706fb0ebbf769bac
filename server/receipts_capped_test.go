package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// Readers are idempotent per (reader, message) with an exact count
// (docs/receipts.md), beyond the readers listed too (receiptMaxReaders=1
// here): the non-readers list (getMessagesReadReceiptUsersByPageV5 status
// 2) leaves out every member who read, and a reader no longer listed who
// answers again is not counted a second time.
func TestReceiptsBeyondTheListedReaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if st, res := e.admin("PUT", "/v1/settings", map[string]any{"receiptMaxReaders": 1}); st != 200 {
		t.Fatalf("settings: %d %v", st, res)
	}
	g, d := groupOf(t, e, "alice", "bob", "carol")
	alice, bob, carol := d["alice"], d["bob"], d["carol"]
	ctx := context.Background()
	msg := text("g", client.Group, "vote")
	msg.NeedReceipt = true
	m := alice.send(t, msg)
	bob.waitMessages(t, 2)
	carol.waitMessages(t, 2)
	if err := bob.RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}
	alice.waitReceipt(t, "bob's read", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool { return r.Counts[0].ReadCount == 1 })
	if err := carol.RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}
	alice.waitReceipt(t, "carol's read", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool { return r.Counts[0].ReadCount == 2 })
	un, err := alice.Readers(ctx, g, m.MessageUID, 2, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(un.Users) != 0 {
		t.Fatalf("non-readers %+v with read count %d of %d: both members read", un.Users, un.ReadCount, un.TotalCount)
	}
	// bob answers again (a second device, a retry): idempotent. (Reads
	// are counted when the answer is: nothing to wait for.)
	if err := bob.RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}
	infos, err := alice.ReceiptCounts(ctx, g, []string{m.MessageUID})
	if err != nil {
		t.Fatal(err)
	}
	if infos[0].ReadCount != 2 {
		t.Fatalf("read count %d of total %d after bob answered twice, want 2", infos[0].ReadCount, infos[0].TotalCount)
	}
}

// A conversation read ack up to an older message, after a plain read had
// moved the watermark there already, tells the peer that message, not the
// newest (the watermark did not move: what to tell is bounded by what the
// request named).
func TestReadAckTellsNoFurtherThanAsked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	ctx := context.Background()
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	m1 := alice.send(t, text("bob", client.Private, "one"))
	bob.waitMessages(t, 1)
	if err := bob.MarkRead(ctx, fromAlice, 0); err != nil { // clearMessagesUnreadStatus: tells nobody
		t.Fatal(err)
	}
	m2 := alice.send(t, text("bob", client.Private, "two"))
	bob.waitMessages(t, 2)
	// bob acks the conversation read up to one (not two).
	if err := bob.AckConversationRead(ctx, fromAlice, m1.MessageUID); err != nil {
		t.Fatal(err)
	}
	ev := alice.waitReceipt(t, "READ_RECEIPT_RECEIVED", client.EventReadReceipt, func(*client.ReceiptEvent) bool { return true })
	if ev.MessageUID != m1.MessageUID {
		t.Fatalf("alice told bob read %s (two=%s), bob acked one (%s)", ev.MessageUID, m2.MessageUID, m1.MessageUID)
	}
	if n := bob.UnreadCount(fromAlice); n != 1 {
		t.Logf("bob unread %d", n)
	}
	e.fence(t, alice)
	if s := alice.stored(t, m2.MessageUID).SentStatus; s == client.StatusRead {
		t.Fatalf("message two READ, bob acked up to one only")
	}
}

// With privateReadReceiptsEnabled off, a private message sent asking for a
// receipt (needReceipt) is not answered either: 26314, nothing sent.
func TestPrivateReceiptsOffRefuseAskedOnes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	m := text("bob", client.Private, "read me")
	m.NeedReceipt = true
	sent := alice.send(t, m)
	bob.waitMessages(t, 1)
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"privateReadReceiptsEnabled": false}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	wantCode(t, "an asked-for receipt with private receipts off", bob.RespondReceipts(context.Background(), fromAlice, []string{sent.MessageUID}), codes.RRSV5Unavailable)
}
