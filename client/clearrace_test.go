package client

import (
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A clear made on another device, and a pull's answer that the server read
// before the clear committed but that the processor takes after the clear's
// log entry (pull answers go through the sync goroutine, log pushes straight
// from the reader: the reordering client/deleted.go guards against).
// Clears are remembered as deletes are (recentClears): the cleared messages
// do not come back.
func TestClearThenLatePullAnswer(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1))
	h.barrier(c)
	c.push(from(bob, 3)) // seq 2 is missing: a gap pull after 1
	f, pull := next[*pb.Frame_Pull](t, c)
	if pull.Pull.AfterSeq != 1 {
		t.Fatalf("pull %+v", pull.Pull)
	}
	// The server answers the pull (2, 3), then the user clears bob's
	// history on another device; the log entry is taken first.
	c.push(logEntry(1, &pb.LogEntry{Conv: wconv(bob), ClearedBefore: from(bob, 3).SentTime, ClearedSeq: 3}))
	h.barrier(c)
	if got := h.store.seqs(bob); len(got) != 0 {
		t.Fatalf("after the clear the device holds %v", got)
	}
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(bob, 2), from(bob, 3)}, LastSeq: 3, StartSeq: 2}})
	eventually(t, "the pull's answer to be taken", func() bool { return h.state(bob).Contiguous == 3 })
	h.barrier(c)

	var after []uint64
	for _, s := range h.emitted(bob) {
		if s > 1 {
			after = append(after, s)
		}
	}
	if got := h.store.seqs(bob); len(got) != 0 || h.e.UnreadCount(bob) != 0 {
		t.Fatalf("cleared messages came back: held %v, emitted again %v, unread %d (want none held, unread 0)",
			got, after, h.e.UnreadCount(bob))
	}
}
