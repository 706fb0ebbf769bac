package client

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Deletes and clears made on this device (deletes.go); those made on
// another device come as entries of the user's log (userlog_test.go).

func TestDeleteMessages(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(bob, 2), from(bob, 3))
	h.messages()
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() { errc <- h.e.DeleteMessages(ctx, bob, []string{uidOf(bob, 2)}) }()
	f, del := next[*pb.Frame_Delete](t, c)
	if !slices.Equal(del.Delete.MessageUids, []string{uidOf(bob, 2)}) || del.Delete.Conv.Target != "bob" {
		t.Errorf("delete request %+v", del.Delete)
	}
	c.ok(f)
	if err := recv(t, errc); err != nil {
		t.Fatal(err)
	}
	if got := h.store.seqs(bob); !slices.Equal(got, []uint64{1, 3}) {
		t.Errorf("held %v after deleting 2", got)
	}
	if n := h.e.UnreadCount(bob); n != 2 {
		t.Errorf("unread %d, want 2", n)
	}
	ev := h.ev.next(t, EventConversations, func(ev Event) bool { return ev.Conversations[0].UnreadCount == 2 })
	if ci := ev.Conversations[0]; ci.Conversation != bob || ci.Latest.Seq != 3 {
		t.Errorf("CONVERSATION %+v", ci)
	}
	// A refusal deletes nothing.
	go func() { errc <- h.e.DeleteMessages(ctx, bob, []string{uidOf(bob, 1)}) }()
	f, _ = next[*pb.Frame_Delete](t, c)
	c.fail(f, codes.RequestOverFrequency)
	wantCode(t, recv(t, errc), codes.RequestOverFrequency)
	if got := h.store.seqs(bob); !slices.Equal(got, []uint64{1, 3}) {
		t.Errorf("held %v after a refused delete", got)
	}
	many := make([]string, MaxDelete+1)
	for i := range many {
		many[i] = strconv.Itoa(i)
	}
	for name, tt := range map[string]struct {
		conv Conversation
		uids []string
		want int32
	}{
		"none":             {bob, nil, codes.InvalidParameter},
		"too many":         {bob, many, codes.InvalidParameter},
		"an empty uid":     {bob, []string{"a", ""}, codes.InvalidParameterMessageUID},
		"bad conversation": {Conversation{Type: Private}, []string{"a"}, codes.InvalidParameterTargetID},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, h.e.DeleteMessages(ctx, tt.conv, tt.uids), tt.want) })
	}
	if n := len(written[*pb.Frame_Delete](c)); n != 2 {
		t.Errorf("%d delete requests written", n)
	}
}

func TestClearHistory(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(bob, 2), from(bob, 3))
	h.messages()
	ctx := context.Background()
	errc := make(chan error, 1)
	// want: the timestamp asked for, or (0) the real time of the call:
	// everything the server sent so far.
	clear := func(at, want int64) {
		t.Helper()
		before := time.Now().UnixMilli()
		go func() { errc <- h.e.ClearHistory(ctx, bob, at) }()
		f, cl := next[*pb.Frame_ClearHistory](t, c)
		if got := cl.ClearHistory.Timestamp; want != 0 && got != want || want == 0 && (got < before || got > time.Now().UnixMilli()) || cl.ClearHistory.Conv.Target != "bob" {
			t.Errorf("clear request %+v, want timestamp %d", cl.ClearHistory, want)
		}
		c.ok(f)
		if err := recv(t, errc); err != nil {
			t.Fatal(err)
		}
	}
	clear(baseTime+2000, baseTime+2000) // at or before 2
	if got, n := h.store.seqs(bob), h.e.UnreadCount(bob); !slices.Equal(got, []uint64{3}) || n != 1 {
		t.Errorf("held %v, unread %d after clearing up to 2", got, n)
	}
	clear(0, 0) // now
	if got, n := h.store.seqs(bob), h.e.UnreadCount(bob); len(got) != 0 || n != 0 {
		t.Errorf("held %v, unread %d after clearing all", got, n)
	}
	wantCode(t, h.e.ClearHistory(ctx, bob, -1), codes.InvalidParameter)
	wantCode(t, h.e.ClearHistory(ctx, Conversation{Type: 2, TargetID: "x"}, 0), codes.InvalidParameterConversationType)
	go func() { errc <- h.e.ClearHistory(ctx, grp, 5) }()
	f, _ := next[*pb.Frame_ClearHistory](t, c)
	c.fail(f, codes.NotInGroup)
	wantCode(t, recv(t, errc), codes.NotInGroup)
}
