package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Read receipts (readers, counts, flushing each reader once), quotas,
// delivery receipts and a user's receipt position.
func receipts(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	CreateGroup(t, d, "g1", "owner", "a", "b", "c")
	gc := store.GroupConvID("g1")
	q := store.Quota{Key: "day1:g1", Max: 2}
	var sent []*pb.Message
	for i := range 3 {
		m := Msg("owner", "g1", fmt.Sprint("m", i))
		m.ConvType = pb.ConversationType_GROUP
		s, dup, err := d.AppendCounted(ctx, gc, m, q)
		if i == 2 {
			if !errors.Is(err, store.ErrQuota) {
				t.Fatalf("a third counted message: %v", err)
			}
			continue
		}
		if err != nil || dup {
			t.Fatalf("counted message %d: %v %v", i, err, dup)
		}
		sent = append(sent, s)
	}
	again := Msg("owner", "g1", "m0")
	again.ConvType = pb.ConversationType_GROUP
	if s, dup, err := d.AppendCounted(ctx, gc, again, q); err != nil || !dup || s.Uid != sent[0].Uid {
		t.Fatalf("a resend past the quota: %v %v %v", s, dup, err)
	}
	uid := sent[0].Uid
	read := func(reader string, time int64) []store.Read {
		t.Helper()
		entry := &pb.Message{ConvType: pb.ConversationType_USER_LOG, FromUser: reader, To: reader, ClientMsgId: fmt.Sprint("read", reader, time), Log: &pb.LogEntry{}}
		added, stored, err := d.AddReads(ctx, gc, reader, []store.Read{{UID: uid, Time: time, SentTime: sent[0].SentTime, Content: "ok"}}, entry)
		if err != nil {
			t.Fatal(err)
		}
		if len(added) > 0 && (stored == nil || !slices.Equal(stored.Log.RespondedUids, []string{uid})) {
			t.Fatalf("the log entry of %s's read: %v", reader, stored)
		}
		return added
	}
	if len(read("a", 10)) != 1 || len(read("a", 11)) != 0 || len(read("b", 12)) != 1 {
		t.Fatal("reads are added once per reader")
	}
	if un, err := d.Unnotified(ctx); err != nil || len(un) != 1 || un[0] != [2]string{gc, uid} {
		t.Fatalf("unnotified: %v %v", un, err)
	}
	flush := func() (readers []string, count int) {
		t.Helper()
		if _, err := d.FlushReceipts(ctx, gc, uid, func(rs []store.Read, n int) *pb.Message {
			for _, r := range rs {
				readers = append(readers, r.Reader)
			}
			count = n
			return logEntry("owner", fmt.Sprint("flush", n))
		}); err != nil {
			t.Fatal(err)
		}
		return readers, count
	}
	if rs, n := flush(); !slices.Equal(rs, []string{"a", "b"}) || n != 2 {
		t.Fatalf("first flush: %v %d", rs, n)
	}
	if rs, _ := flush(); rs != nil {
		t.Fatalf("a second flush told again: %v", rs)
	}
	if rs, n, err := d.Readers(ctx, gc, uid); err != nil || n != 2 || len(rs) != 2 || rs[0].Reader != "a" || rs[1].Reader != "b" || rs[1].Content != "ok" {
		t.Fatalf("readers after the flushes: %v %d %v", rs, n, err)
	}
	if len(read("a", 13)) != 0 {
		t.Fatal("a reader told of is added again")
	}
	if c, err := d.ReadCounts(ctx, gc, []string{uid, sent[1].Uid}); err != nil || c[uid] != 2 || c[sent[1].Uid] != 0 {
		t.Fatalf("read counts: %v %v", c, err)
	}
	if _, err := d.ModifyCounted(ctx, gc, sent[1].Uid, func(m *pb.Message) error { m.Content = []byte(`{"content":"edited"}`); return nil },
		&pb.Message{ConvType: pb.ConversationType_GROUP, FromUser: "owner", To: "g1", ClientMsgId: "edit"}, q); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("a modification past the quota: %v", err)
	}
	if m, _ := d.MessageByUID(ctx, gc, sent[1].Uid); string(m.Content) == `{"content":"edited"}` {
		t.Fatal("a refused modification was kept")
	}
	if n, err := d.DeleteReceiptsBefore(ctx, sent[0].SentTime+1, "day2"); err != nil || n != 2 {
		t.Fatalf("expiring receipts: %d %v", n, err)
	}
	if _, _, err := d.AppendCounted(ctx, gc, Msg("owner", "g1", "after"), q); err != nil {
		t.Fatalf("the quota after it expired: %v", err)
	}

	// A delivery receipt is pending until the recipient's device acks.
	conv := store.PrivateConvID("x", "y")
	m := Msg("x", "y", "dr")
	m.DeliveryReceipt = true
	s, _, err := d.Append(ctx, conv, m)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	if _, err := d.Delivered(ctx, "y", conv, s.Seq, func(sender string, uids []string) *pb.Message {
		told = append(told, sender)
		told = append(told, uids...)
		return logEntry("x", "delivered")
	}); err != nil || !slices.Equal(told, []string{"x", s.Uid}) {
		t.Fatalf("delivered: %v %v", told, err)
	}
	if e, err := d.Delivered(ctx, "y", conv, s.Seq, func(string, []string) *pb.Message { t.Error("told twice"); return nil }); err != nil || e != nil {
		t.Fatalf("a second ack: %v %v", e, err)
	}

	// A read receipt moves the reader's position forward only.
	mark := func(uid string) *pb.Message {
		t.Helper()
		e, err := d.MarkReceipt(ctx, "y", conv, uid, func(seq uint64, read *pb.Message) *pb.Message {
			return logEntry("y", fmt.Sprint("receipt", seq))
		})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	first, _, _ := d.Append(ctx, conv, Msg("x", "y", "r1"))
	if mark(first.Uid) == nil || mark(first.Uid) != nil || mark(s.Uid) != nil {
		t.Fatal("the receipt position: told once, never back")
	}
	if _, err := d.MarkReceipt(ctx, "z", conv, s.Uid, nil); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("a stranger's receipt: %v", err)
	}
}
