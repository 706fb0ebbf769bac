package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Import keeps ids and times, judges each message alone, and raises no
// counts.
func importKeepsIDsAndTimes(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	conv := store.PrivateConvID("a", "b")
	imp := func(uid, cid string, sent int64, from string) store.Imported {
		m := Msg(from, map[string]string{"a": "b", "b": "a"}[from], cid)
		m.Uid, m.SentTime, m.IsCounted, m.IsMentioned = uid, sent, true, true
		m.MentionedInfo = &pb.MentionedInfo{Type: 1}
		return store.Imported{ConvID: conv, Msg: m}
	}
	live, _, err := d.Append(ctx, store.PrivateConvID("a", "c"), Msg("a", "c", "live-1"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Import(ctx, []store.Imported{
		imp("U1", "c1", 1000, "a"),
		imp("U2", "c2", 1000, "b"), // the same millisecond: one on
		imp("U3", "c3", 999, "a"),  // older than the last
		imp("U1", "c4", 2000, "a"), // U1 is taken
		imp("U9", "c1", 3000, "a"), // a's c1 was stored: that one stands
		imp(live.Uid, "c5", 4000, "b"),
		imp("U5", "c6", 5000, "b"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{nil, nil, store.ErrOutOfOrder, store.ErrUIDTaken, store.ErrExists, store.ErrUIDTaken, nil}
	for i, w := range want {
		if !errors.Is(res[i], w) || (w == nil) != (res[i] == nil) {
			t.Errorf("message %d: %v, want %v", i, res[i], w)
		}
	}
	ms, _, last, err := d.Pull(ctx, "b", conv, 0, 10, time.Time{}, 100)
	if err != nil || last != 3 || len(ms) != 3 {
		t.Fatalf("pull: %d messages, last %d, %v", len(ms), last, err)
	}
	for i, w := range []struct {
		uid  string
		sent int64
	}{{"U1", 1000}, {"U2", 1001}, {"U5", 5000}} {
		if ms[i].Uid != w.uid || ms[i].SentTime != w.sent || ms[i].Seq != uint64(i+1) {
			t.Errorf("message %d: %s at %d (seq %d), want %s at %d", i, ms[i].Uid, ms[i].SentTime, ms[i].Seq, w.uid, w.sent)
		}
	}
	if unread, mentions := CountsOf(t, d, "b", &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "a"}); unread != 0 || mentions != 0 {
		t.Fatalf("imported history counts %d unread, %d mentions; want none", unread, mentions)
	}
	// A live message after the import is counted, and later than it.
	m, _, err := d.Append(ctx, conv, func() *pb.Message { m := Msg("a", "b", "live-2"); m.IsCounted = true; return m }())
	if err != nil || m.Seq != 4 || m.SentTime <= 5000 {
		t.Fatalf("live message after the import: %+v, %v", m, err)
	}
	if unread, _ := CountsOf(t, d, "b", &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "a"}); unread != 1 {
		t.Fatalf("unread %d after a live message, want 1", unread)
	}
}
