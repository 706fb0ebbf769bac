package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// logEntry is an entry of user's log (what Hide and ClearHistory append).
func logEntry(user, cid string) *pb.Message {
	return &pb.Message{ConvType: pb.ConversationType_USER_LOG, FromUser: user, To: user, ClientMsgId: cid}
}

// History by time, both ways, past what the user hid and below what they
// cleared, with a filter.
func historyByTime(t *testing.T, b Backend) {
	ctx := context.Background()
	clock := time.UnixMilli(1_000)
	d := b.Open(t, func() time.Time { return clock })
	conv := store.PrivateConvID("alice", "bob")
	var uids []string
	for i := range 10 { // seq i+1 sent at 1000 + 10i
		clock = time.UnixMilli(1_000 + int64(10*i))
		from, to := "alice", "bob"
		if i%2 == 1 {
			from, to = to, from
		}
		m, _, err := d.Append(ctx, conv, Msg(from, to, fmt.Sprint("h", i)))
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, m.Uid)
	}
	if _, err := d.Hide(ctx, "bob", conv, uids[4:5], logEntry("bob", "hide")); err != nil {
		t.Fatal(err)
	}
	seqs := func(ms []*pb.Message) []uint64 {
		var out []uint64
		for _, m := range ms {
			out = append(out, m.Seq)
		}
		return out
	}
	fromAlice := func(m *pb.Message) bool { return m.FromUser == "alice" }
	for _, c := range []struct {
		name     string
		user     string
		t        int64
		count    int
		newer    bool
		keep     func(*pb.Message) bool
		want     []uint64
		wantMore bool
	}{
		{"the latest", "bob", 0, 3, false, nil, []uint64{10, 9, 8}, true},
		{"before a time, past the hidden one", "bob", 1045, 10, false, nil, []uint64{4, 3, 2, 1}, false},
		{"the hidden one is alice's still", "alice", 1045, 10, false, nil, []uint64{5, 4, 3, 2, 1}, false},
		{"after a time", "bob", 1020, 3, true, nil, []uint64{4, 6, 7}, true},
		{"filtered", "bob", 0, 10, false, fromAlice, []uint64{9, 7, 3, 1}, false},
	} {
		ms, more, err := d.History(ctx, c.user, conv, c.t, c.count, c.newer, c.keep)
		if err != nil || !slices.Equal(seqs(ms), c.want) || more != c.wantMore {
			t.Errorf("%s: %v more=%v %v, want %v more=%v", c.name, seqs(ms), more, err, c.want, c.wantMore)
		}
	}
	// Clearing bob's history up to 1030 hides seq 1-4 from him alone; its
	// log entry names the last one hidden (cleared_seq).
	entry := logEntry("bob", "clear")
	entry.Log = &pb.LogEntry{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "alice"}, ClearedBefore: 1030}
	if stored, err := d.ClearHistory(ctx, "bob", conv, 1030, entry); err != nil || stored.GetLog().GetClearedSeq() != 4 {
		t.Fatalf("clear: %v %v, want cleared_seq 4", stored.GetLog(), err)
	}
	if ms, _, err := d.History(ctx, "bob", conv, 0, 100, false, nil); err != nil || !slices.Equal(seqs(ms), []uint64{10, 9, 8, 7, 6}) {
		t.Errorf("bob after clearing: %v %v", seqs(ms), err)
	}
	if ms, _, err := d.History(ctx, "alice", conv, 0, 100, false, nil); err != nil || len(ms) != 10 {
		t.Errorf("alice after bob cleared: %v %v", seqs(ms), err)
	}
	if _, _, err := d.History(ctx, "carol", conv, 0, 100, false, nil); err == nil {
		t.Error("a stranger read the history")
	}
}

// Retention deletes what was sent before a time; each conversation keeps
// its numbering and starts where its remaining messages do.
func retention(t *testing.T, b Backend) {
	ctx := context.Background()
	clock := time.UnixMilli(1_000)
	d := b.Open(t, func() time.Time { return clock })
	conv := store.PrivateConvID("alice", "bob")
	var first *pb.Message
	for i := range 3 { // seq i+1 sent at 1000, 2000, 3000
		clock = time.UnixMilli(int64(1_000 * (i + 1)))
		m, _, err := d.Append(ctx, conv, Msg("alice", "bob", fmt.Sprint("r", i)))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = m
		}
	}
	if _, err := d.Hide(ctx, "bob", conv, []string{first.Uid}, logEntry("bob", "hide")); err != nil {
		t.Fatal(err)
	}
	if n, err := d.DeleteBefore(ctx, time.UnixMilli(2_500)); err != nil || n != 2 {
		t.Fatalf("delete before 2500: %d %v", n, err)
	}
	if start, last, err := d.VisibleRange(ctx, "bob", conv); err != nil || start != 3 || last != 3 {
		t.Fatalf("visible after retention: [%d, %d] %v", start, last, err)
	}
	if ms, _, _, err := d.Pull(ctx, "bob", conv, 0, 100, time.Time{}, 0); err != nil || len(ms) != 1 || ms[0].Seq != 3 {
		t.Fatalf("pull after retention: %d messages %v", len(ms), err)
	}
	if _, err := d.MessageByUID(ctx, conv, first.Uid); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted message: %v", err)
	}
	if n, err := d.DeleteBefore(ctx, time.UnixMilli(5_000)); err != nil || n < 1 {
		t.Fatalf("delete the rest: %d %v", n, err)
	}
	if start, last, _ := d.VisibleRange(ctx, "alice", conv); start != 4 || last != 3 {
		t.Fatalf("an emptied conversation: [%d, %d]", start, last)
	}
	// After a restart too: the numbers go on from the emptied head.
	if b.Reopen != nil {
		d = b.Reopen(t, d)
	}
	clock = time.UnixMilli(6_000)
	if m, _, err := d.Append(ctx, conv, Msg("bob", "alice", "after")); err != nil || m.Seq != 4 {
		t.Fatalf("the next message: %v %v, want seq 4", m, err)
	}
	if ms, _, err := d.History(ctx, "alice", conv, 0, 10, false, func(*pb.Message) bool { return true }); err != nil || len(ms) != 1 {
		t.Fatalf("history after the emptied head: %d messages %v", len(ms), err)
	}
}
