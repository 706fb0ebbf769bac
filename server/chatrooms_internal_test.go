package server

import (
	"context"
	"testing"
	"time"
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
	// writing: a writer is busy with it (none drains it here), as for a
	// peer not reading; pushes queue behind it, half its bound at most.
	slow := &session{srv: s, user: "slow", id: "s", created: time.Now(), writing: true}
	if _, ok := s.rooms.add(slow, "r"); !ok {
		t.Fatal("not added")
	}
	frame := make([]byte, 1000)
	for range 5 {
		slow.pushLive(frame, false) // as the room's fan-out does
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
	fast := &session{srv: s, user: "fast", id: "f", created: time.Now(), writing: true}
	if _, ok := s.rooms.add(fast, "r"); !ok {
		t.Fatal("not added")
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
