package client

import (
	"errors"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A batch the store did not take tells nothing of what it held, events
// included: an edit of a held message (EventModified) is told once, when
// the gap pull has fetched its marker again and the store took it.
func TestFailedApplyEditToldOnce(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1))
	h.barrier(c)

	edit := from(bob, 2)
	edit.ModifyOf, edit.Content, edit.ModifiedTime, edit.IsCounted = uidOf(bob, 1), []byte(`{"content":"edited"}`), edit.SentTime, false

	h.store.mu.Lock()
	h.store.failApply = errors.New("QuotaExceededError (simulated)")
	h.store.mu.Unlock()
	c.push(edit)
	f, pull := next[*pb.Frame_Pull](t, c) // fetched again
	if pull.Pull.AfterSeq != 1 {
		t.Fatalf("pull %+v", pull.Pull)
	}
	told := len(h.ev.all(EventModified))
	held := string(h.store.byID(1).Content)
	h.store.mu.Lock()
	h.store.failApply = nil
	h.store.mu.Unlock()
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{edit}, LastSeq: 2, StartSeq: 1}})
	eventually(t, "the pull's answer to be taken", func() bool { return h.state(bob).Contiguous == 2 })
	h.barrier(c)
	if n := len(h.ev.all(EventModified)); n != 1 || told != 0 {
		t.Fatalf("one edit told %d times (%d while the store failed and still held %s), want once, after it is held", n, told, held)
	}
}
