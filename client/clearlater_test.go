package client

import (
	"slices"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The server's clear (store clearHistory) hides the sequence numbers held
// when it commits: MAX(seq) WHERE sent_time <= before. A message stored
// after the clear stays visible on the server even when its sent time is
// not after the clear's timestamp (the timestamp is the caller's: a
// device clock ahead of the server's, or a message whose sent time was
// taken before the clear committed). recentClears goes by the sequence
// number the clear hid (cleared_seq), not by time: such a message is kept.
func TestClearThenNewerMessageKept(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1))
	h.barrier(c)
	// Another device cleared bob's history with its own clock, 5 s ahead of
	// the server's: the server hid seq 1 (all it held).
	c.push(logEntry(1, &pb.LogEntry{Conv: wconv(bob), ClearedBefore: from(bob, 1).SentTime + 5000, ClearedSeq: 1}))
	h.barrier(c)
	if got := h.store.seqs(bob); len(got) != 0 {
		t.Fatalf("after the clear the device holds %v", got)
	}
	// Bob's next message, stored after the clear on the server's clock
	// (2 s after seq 1): visible to the user on the server.
	c.push(from(bob, 2))
	h.barrier(c)
	if got, told := h.store.seqs(bob), h.emitted(bob); !slices.Contains(got, 2) || !slices.Contains(told, 2) {
		t.Fatalf("a message stored after the clear was dropped: held %v, told %v, contiguous %d (want seq 2 held and told)",
			got, told, h.state(bob).Contiguous)
	}
}
