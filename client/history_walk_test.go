package client

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// failedThenMany: a send to bob that the server refused (FAILED: no
// SentTime, placed by its ReceivedTime, before every message below), then
// n messages from bob, unread.
func failedThenMany(t *testing.T, n int, sameTime bool) (*harness, *fakeConn) {
	h, _, c := failedThenManyCounted(t, n, sameTime)
	return h, c
}

// countedStore is the harness's store with its History reads counted, and
// failing past 2,000 (so that a loop over the store ends).
type countedStore struct {
	*testStore
	reads atomic.Int64
}

func (s *countedStore) History(ctx context.Context, c Conversation, t int64, count int, forward bool) ([]*Message, error) {
	if s.reads.Add(1) > 2000 {
		return nil, errors.New("more than 2,000 History reads: a loop")
	}
	return s.testStore.History(ctx, c, t, count, forward)
}

func failedThenManyCounted(t *testing.T, n int, sameTime bool) (*harness, *countedStore, *fakeConn) {
	var cs *countedStore
	h := newHarness(t, func(cfg *Config) {
		cs = &countedStore{testStore: cfg.Store.(*testStore)}
		cfg.Store = cs
	})
	c := h.connect(nil)
	h.clock.advance(-2 * time.Hour) // the send was made before bob's messages
	f, _, ch := h.send(c, bob, SendOptions{})
	c.fail(f, codes.NotInGroup)
	if m, err := result(t, ch); err == nil || m.SentStatus != StatusFailed || m.SentTime != 0 {
		t.Fatalf("send: %+v %v, want FAILED", m, err)
	}
	h.clock.advance(2 * time.Hour)
	var ws []*pb.Message
	for i := 1; i <= n; i++ {
		w := from(bob, uint64(i))
		if sameTime {
			w.SentTime = baseTime + 1000
		}
		ws = append(ws, w)
	}
	c.push(ws...)
	// Held in the store (the cursor moves before the batch is written).
	eventually(t, "the messages held", func() bool {
		return len(slices.DeleteFunc(cs.testStore.seqs(bob), func(s uint64) bool { return s == 0 })) == n // (0: the failed send)
	})
	cs.reads.Store(0)
	return h, cs, c
}

// within runs f and fails the test if it does not return in 5 s (it loops).
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return in 5 s: it loops over the store", what)
	}
}

// A send with no SentTime that is the 100th message of a page: eachHeld
// (search.go) goes on from its place, not from its SentTime (0, "from the
// newest", read the same pages for ever).
func TestSearchPastAnUnsentAtPageEnd(t *testing.T) {
	h, cs, _ := failedThenManyCounted(t, 99, false)
	ms, total, err := h.e.SearchMessages(context.Background(), bob, SearchQuery{Keyword: "bob", Count: 10})
	if err != nil || total != 99 || len(ms) != 10 {
		t.Errorf("search: %d found, total %d, %v (%d History reads); want 10 of 99", len(ms), total, err, cs.reads.Load())
	}
}

// The same in eachUnread (conversations.go): getFirstUnreadMessage (and
// getUnreadMentionedMessages) return.
func TestFirstUnreadPastAnUnsentAtPageEnd(t *testing.T) {
	h, cs, _ := failedThenManyCounted(t, 99, false)
	if n := h.e.UnreadCount(bob); n != 99 {
		t.Fatalf("unread %d, want 99", n)
	}
	m, err := h.e.FirstUnread(context.Background(), bob)
	if err != nil || m == nil || m.Seq != 1 {
		t.Errorf("first unread %+v %v (%d History reads), want seq 1", m, err, cs.reads.Load())
	}
}

// ...and the processor's recount (recountLocked → eachUnread), run when a
// message leaves the conversation, ends (it looped until the counting
// store failed the 2,001st read).
func TestRecountPastAnUnsentAtPageEnd(t *testing.T) {
	h, cs, c := failedThenManyCounted(t, 100, false)
	// Deleting the newest one makes the failed send the 100th.
	done := make(chan error, 1)
	go func() { done <- h.e.DeleteMessages(context.Background(), bob, []string{uidOf(bob, 100)}) }()
	f, _ := next[*pb.Frame_Delete](t, c)
	c.ok(f)
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	if n := cs.reads.Load(); n > 100 {
		t.Errorf("the delete's recount read History %d times", n)
	}
}

// Equal times across a page of eachHeld: the messages sharing the 100th's
// time but older in id order are searched too.
func TestSearchPastEqualTimesAtPageEnd(t *testing.T) {
	h, _ := failedThenMany(t, 150, true)
	ms, total, err := h.e.SearchMessages(context.Background(), bob, SearchQuery{Keyword: "bob", Count: 100})
	if err != nil || total != 150 {
		t.Errorf("search: %d found, total %d, %v; want total 150", len(ms), total, err)
	}
}

// The same in eachUnread: the oldest unread message shares its time with
// the 100th newest, and getFirstUnreadMessage gives it.
func TestFirstUnreadPastEqualTimesAtPageEnd(t *testing.T) {
	h, _ := failedThenMany(t, 150, true)
	m, err := h.e.FirstUnread(context.Background(), bob)
	if err != nil || m == nil || m.Seq != 1 {
		var seq uint64
		if m != nil {
			seq = m.Seq
		}
		t.Errorf("first unread seq %d (%v), want 1", seq, err)
	}
}
