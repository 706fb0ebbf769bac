package client

import (
	"errors"
	"slices"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A batch whose Store.Apply fails (IndexedDB: quota, an aborted
// transaction) loses nothing: the cursors go back to what the store holds,
// no ack tells the server the device holds what it does not, the
// application is not told of messages not held, and the device fetches
// them again (a gap pull) — once the store works, they are held, and told
// once.
func TestFailedApplyFetchesAgain(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)

	h.store.mu.Lock()
	h.store.failApply = errors.New("QuotaExceededError (simulated)")
	h.store.mu.Unlock()
	c.push(from(bob, 1))
	f, pull := next[*pb.Frame_Pull](t, c) // fetched again
	if pull.Pull.Conv.Target != "bob" || pull.Pull.AfterSeq != 0 {
		t.Fatalf("pull %+v", pull.Pull)
	}
	if acks := written[*pb.Frame_Ack](c); len(acks) != 0 {
		t.Fatalf("acked what the store did not take: %v", acks)
	}
	if got := h.emitted(bob); len(got) != 0 {
		t.Fatalf("told the application of messages not held: %v", got)
	}
	h.store.mu.Lock()
	h.store.failApply = nil // the store works again
	h.store.mu.Unlock()
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(bob, 1)}, LastSeq: 1, StartSeq: 1}})
	eventually(t, "the pull's answer to be taken", func() bool { return h.state(bob).Contiguous == 1 })
	c.push(from(bob, 2))
	h.barrier(c)
	if got := h.store.seqs(bob); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("device holds bob %v, want [1 2]", got)
	}
	if got := h.emitted(bob); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("told %v, want [1 2] once each", got)
	}
}
