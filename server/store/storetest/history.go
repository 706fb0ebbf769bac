package storetest

import (
	"context"
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
	// Clearing bob's history up to 1030 hides seq 1-4 from him alone.
	if _, err := d.ClearHistory(ctx, "bob", conv, 1030, logEntry("bob", "clear")); err != nil {
		t.Fatal(err)
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
