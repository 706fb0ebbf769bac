package client

import (
	"slices"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Deletes and clears made on another device of the user: entries of the
// user's log (userlog.go), applied after the batch's messages.

func TestLogDeletesAndClears(t *testing.T) {
	tests := []struct {
		name   string
		entry  *pb.LogEntry
		before bool // the entry comes in the push that brings the messages
		held   []uint64
	}{
		{"a delete", &pb.LogEntry{Conv: wconv(bob), DeletedUids: []string{uidOf(bob, 2), "unknown"}}, false, []uint64{1, 3}},
		{"a clear", &pb.LogEntry{Conv: wconv(bob), ClearedBefore: baseTime + 2000}, false, []uint64{3}},
		{"a delete and a clear", &pb.LogEntry{Conv: wconv(bob), DeletedUids: []string{uidOf(bob, 3)}, ClearedBefore: baseTime + 1000}, false, []uint64{2}},
		{"in the batch of the messages", &pb.LogEntry{Conv: wconv(bob), DeletedUids: []string{uidOf(bob, 2)}}, true, []uint64{1, 3}},
		{"another conversation's", &pb.LogEntry{Conv: wconv(carol), ClearedBefore: baseTime + 9000}, false, []uint64{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			c := h.connect(nil)
			msgs := []*pb.Message{from(bob, 1), from(bob, 2), from(bob, 3)}
			if tt.before {
				c.push(append(msgs, logEntry(1, tt.entry))...)
			} else {
				c.push(msgs...)
				h.barrier(c)
				c.push(logEntry(1, tt.entry))
			}
			h.barrier(c)
			if got := h.store.seqs(bob); !slices.Equal(got, tt.held) {
				t.Errorf("held %v, want %v", got, tt.held)
			}
			if n := h.e.UnreadCount(bob); n != len(tt.held) {
				t.Errorf("unread %d, want %d", n, len(tt.held))
			}
			if st := h.store.state(bob); st.Unread != len(tt.held) {
				t.Errorf("stored unread %d", st.Unread)
			}
			if st := h.state(userLog); st.Contiguous != 1 {
				t.Errorf("log cursor %d", st.Contiguous)
			}
			if got := h.emitted(userLog); len(got) != 0 {
				t.Errorf("log entries emitted as messages: %v", got)
			}
		})
	}
}
