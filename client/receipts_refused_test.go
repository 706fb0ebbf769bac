package client

import (
	"context"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A MarkRead the server refuses (here: the write rate limit) does not
// count as this device's read: another device's read up to there later
// is reported (SYNC_READ_STATUS).
func TestRefusedReadLeavesLaterSyncReadNews(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	var log logger
	c.push(from(bob, 1), from(bob, 2), from(bob, 3))
	h.messages()
	done := make(chan error, 1)
	go func() { done <- h.e.MarkRead(context.Background(), bob, 0) }()
	f, _ := next[*pb.Frame_Read](t, c)
	c.fail(f, codes.SendFrequencyTooFast)
	if err := recv(t, done); err == nil {
		t.Fatal("MarkRead succeeded")
	}
	if n := h.e.UnreadCount(bob); n != 3 {
		t.Fatalf("unread %d after a refused read", n)
	}
	// Another device of mine reads all three.
	c.push(log.entry(&pb.LogEntry{Conv: wconv(bob), ReadBy: me, ReadSeq: 3, ReadUid: uidOf(bob, 3), ReadTime: baseTime + 3000}))
	h.barrier(c)
	if n := h.e.UnreadCount(bob); n != 0 {
		t.Fatalf("unread %d after the other device's read", n)
	}
	if evs := h.ev.all(EventSyncRead); len(evs) != 1 {
		t.Fatalf("%d SYNC_READ_STATUS for another device's read, want 1 (this device's own read was refused)", len(evs))
	}
}
