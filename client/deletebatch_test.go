package client

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// delBatchStore holds the processor in Apply while armed, so the items
// queued meanwhile are taken together as one batch (processLoop drains
// what is waiting).
type delBatchStore struct {
	*testStore
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (s *delBatchStore) Apply(ctx context.Context, b *Batch) error {
	if s.armed.CompareAndSwap(true, false) {
		close(s.entered)
		<-s.release
	}
	return s.testStore.Apply(ctx, b)
}

// deleted.go keeps a message deleted on another device from coming back
// when a pull's answer is taken after the delete's log entry, also when
// both are taken in the same batch (the processor drains whatever is
// queued): the delete is noted as its log entry is accepted, not when the
// batch is written.
func TestDeleteAndLatePullAnswerInOneBatch(t *testing.T) {
	gs := &delBatchStore{entered: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, func(c *Config) {
		gs.testStore = c.Store.(*testStore)
		c.Store = gs
	})
	c := h.connect(nil)
	c.push(from(bob, 1))
	h.barrier(c)
	c.push(from(bob, 3)) // seq 2 missing: a gap pull after 1
	f, pull := next[*pb.Frame_Pull](t, c)
	if pull.Pull.AfterSeq != 1 {
		t.Fatalf("pull %+v", pull.Pull)
	}
	// Hold the processor on an unrelated batch while the two items queue.
	gs.armed.Store(true)
	c.push(from(carol, 1))
	<-gs.entered
	// The server answered the pull (2, 3) before the user deleted 2 on
	// another device; the log entry is queued first, the answer after.
	c.push(logEntry(1, &pb.LogEntry{Conv: wconv(bob), DeletedUids: []string{uidOf(bob, 2)}}))
	eventually(t, "the log push queued", func() bool { return len(h.e.inbox) == 1 })
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(bob, 2), from(bob, 3)}, LastSeq: 3, StartSeq: 2}})
	eventually(t, "the pull answer queued", func() bool { return len(h.e.inbox) == 2 })
	close(gs.release)
	eventually(t, "the pull's answer to be taken", func() bool { return h.state(bob).Contiguous == 3 })
	h.barrier(c)

	if got := h.store.seqs(bob); !slices.Equal(got, []uint64{1, 3}) {
		t.Fatalf("held %v, want [1 3]", got)
	}
	if got := h.emitted(bob); slices.Contains(got, 2) {
		t.Fatalf("bob's message 2, deleted on another device, was emitted to the app as new (emitted %v)", got)
	}
}
