package server

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/bus"
)

// A member too far behind misses room pushes and stays connected (its
// device reads the gap from the room's history), while the room's other
// members get every push; a closing session is never added to a room.
func TestChatroomSlowMemberMissesPushes(t *testing.T) {
	s, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir(), SendQueueBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// writing: no writer goroutine drains them, as for a peer not reading.
	slow := &session{srv: s, user: "slow", id: "s", created: time.Now(), writing: true}
	fast := &session{srv: s, user: "fast", id: "f", created: time.Now(), writing: true}
	for _, ss := range []*session{slow, fast} {
		if _, ok := s.rooms.add(ss, "r"); !ok {
			t.Fatal("not added")
		}
	}
	frame := make([]byte, 1000)
	for range 5 {
		s.rooms.deliver(&bus.Delivery{Room: "r", Frame: frame})
		fast.mu.Lock()
		fast.q = sendQueue{} // fast reads everything
		fast.mu.Unlock()
	}
	slow.mu.Lock()
	queued, dropped, closing := len(slow.q.waiting), slow.dropped, slow.closing
	slow.mu.Unlock()
	if queued != 2 || dropped || closing {
		t.Fatalf("slow member: %d queued (want 2: half its 4 KiB), dropped %v, closing %v", queued, dropped, closing)
	}
	if n := value(t, s.metrics.chatroomMissed); n != 3 {
		t.Fatalf("%v missed pushes counted, want 3", n)
	}

	// A session closing is not added; one closed leaves every room.
	gone := &session{srv: s, user: "gone", id: "g", created: time.Now(), closing: true}
	if _, ok := s.rooms.add(gone, "r"); ok {
		t.Fatal("a closing session joined a room")
	}
	left := s.rooms.leaveAll(slow)
	if len(left) != 1 || left[0].room != "r" || left[0].last || s.rooms.has(slow, "r") {
		t.Fatalf("leaveAll: %+v", left)
	}
	if rooms, sessions := s.rooms.count(); rooms != 1 || sessions != 1 {
		t.Fatalf("%d rooms, %d sessions left", rooms, sessions)
	}
}
