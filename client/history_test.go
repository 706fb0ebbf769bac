package client

import (
	"context"
	"slices"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// History (history.go): the store first, the server for what lies below
// what the device holds.

func sentAt(seq uint64) int64 { return baseTime + int64(seq)*1000 }

func TestGetHistoryFromTheStore(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(bob, 2), from(bob, 3), from(bob, 4), from(bob, 5))
	h.messages()
	tests := []struct {
		name  string
		at    int64
		count int
		order int
		want  []uint64
		more  bool
	}{
		{"newest", 0, 2, OrderOlder, []uint64{5, 4}, true},
		{"older than 4", sentAt(4), 10, OrderOlder, []uint64{3, 2, 1}, false},
		{"older than 4, exactly", sentAt(4), 3, OrderOlder, []uint64{3, 2, 1}, false},
		{"oldest", 0, 2, OrderNewer, []uint64{1, 2}, true},
		{"newer than 3", sentAt(3), 5, OrderNewer, []uint64{4, 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, more, err := h.e.GetHistory(context.Background(), bob, tt.at, tt.count, tt.order)
			if err != nil || !slices.Equal(seqs(ms), tt.want) || more != tt.more {
				t.Errorf("history %v more %v (%v), want %v more %v", seqs(ms), more, err, tt.want, tt.more)
			}
		})
	}
	if ms, err := h.e.LocalHistory(context.Background(), bob, 0, 1, false); err != nil || len(ms) != 1 || ms[0].Seq != 5 {
		t.Errorf("local history %v %v", seqs(ms), err)
	}
	if n := len(written[*pb.Frame_History](c)); n != 0 {
		t.Errorf("asked the server %d times for what the device holds", n)
	}
}

func TestGetHistoryBelowWhatIsHeld(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.e.Connect(context.Background(), "token"); err != nil {
		t.Fatal(err)
	}
	c := h.srv.conn(t, 0)
	f, _ := next[*pb.Frame_Sync](t, c)
	// A new device: the server's window starts at 3.
	c.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 2, Conversations: []*pb.ConversationState{{Conv: wconv(bob), LastSeq: 5, StartSeq: 3, ReadSeq: 1}}}})
	f, _ = next[*pb.Frame_Pull](t, c)
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(bob, 3), from(bob, 4), from(bob, 5)}, LastSeq: 5, StartSeq: 3}})
	h.ev.next(t, EventSyncFinished, nil)
	ctx := context.Background()

	type page struct {
		ms   []*Message
		more bool
		err  error
	}
	res := make(chan page, 1)
	get := func(at int64, count, order int) {
		go func() {
			ms, more, err := h.e.GetHistory(ctx, bob, at, count, order)
			res <- page{ms, more, err}
		}()
	}
	// Older than what is held: the rest from the server.
	get(0, 5, OrderOlder)
	f, hr := next[*pb.Frame_History](t, c)
	if r := hr.History; r.Timestamp != sentAt(3) || r.Count != 2 || r.Order != OrderOlder || r.Conv.Target != "bob" {
		t.Errorf("history request %+v", r)
	}
	c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: []*pb.Message{from(bob, 2), from(bob, 1)}, HasMore: true}})
	p := recv(t, res)
	if p.err != nil || !slices.Equal(seqs(p.ms), []uint64{5, 4, 3, 2, 1}) || !p.more {
		t.Errorf("history %v more %v (%v)", seqs(p.ms), p.more, p.err)
	}
	if m := p.ms[3]; m.MessageID != 0 || m.IsRead || m.Direction != DirectionReceive || m.Conversation != bob {
		t.Errorf("a message from the server %+v", m)
	}
	if m := p.ms[4]; !m.IsRead {
		t.Errorf("a message below the read watermark not read: %+v", m)
	}
	// A full page from the store: more may lie below, nothing asked.
	get(0, 3, OrderOlder)
	if p := recv(t, res); !slices.Equal(seqs(p.ms), []uint64{5, 4, 3}) || !p.more {
		t.Errorf("history %v more %v", seqs(p.ms), p.more)
	}
	// Offline: what is held, and more may follow.
	get(sentAt(4), 5, OrderOlder)
	f, _ = next[*pb.Frame_History](t, c)
	c.fail(f, codes.NetUnavailable)
	if p := recv(t, res); p.err != nil || !slices.Equal(seqs(p.ms), []uint64{3}) || !p.more {
		t.Errorf("offline history %v more %v (%v)", seqs(p.ms), p.more, p.err)
	}
	// Newer, from below what is held: from the server.
	get(0, 2, OrderNewer)
	f, hr = next[*pb.Frame_History](t, c)
	if r := hr.History; r.Timestamp != 0 || r.Count != 2 || r.Order != OrderNewer {
		t.Errorf("history request %+v", r)
	}
	c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: []*pb.Message{from(bob, 1), from(bob, 2)}, HasMore: true}})
	if p := recv(t, res); !slices.Equal(seqs(p.ms), []uint64{1, 2}) || !p.more {
		t.Errorf("history %v more %v", seqs(p.ms), p.more)
	}
	// Newer, from within what is held: from the store.
	get(sentAt(3), 5, OrderNewer)
	if p := recv(t, res); !slices.Equal(seqs(p.ms), []uint64{4, 5}) || p.more {
		t.Errorf("history %v more %v", seqs(p.ms), p.more)
	}
	if n := len(written[*pb.Frame_History](c)); n != 3 {
		t.Errorf("%d history requests, want 3", n)
	}
	// A conversation the device has no state for (it heard of it from
	// nowhere yet): the server is asked, not an empty store believed.
	dan := Conversation{Type: Private, TargetID: "dan"}
	go func() {
		ms, more, err := h.e.GetHistory(ctx, dan, 0, 5, OrderOlder)
		res <- page{ms, more, err}
	}()
	f, hr = next[*pb.Frame_History](t, c)
	if hr.History.Conv.Target != "dan" {
		t.Errorf("history request %+v", hr.History)
	}
	c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: []*pb.Message{from(dan, 1)}}})
	if p := recv(t, res); p.err != nil || !slices.Equal(seqs(p.ms), []uint64{1}) || p.more {
		t.Errorf("history of an unknown conversation %v more %v (%v)", seqs(p.ms), p.more, p.err)
	}
}

func TestRemoteHistory(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1))
	held := h.messages()[0]
	ctx := context.Background()
	done := make(chan []*Message, 1)
	go func() {
		ms, more, err := h.e.RemoteHistory(ctx, bob, 0, 2, OrderOlder)
		if err != nil || more {
			t.Errorf("remote history more %v: %v", more, err)
		}
		done <- ms
	}()
	f, _ := next[*pb.Frame_History](t, c)
	mine := wire(bob, me, 2)
	c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: []*pb.Message{mine, from(bob, 1)}}})
	ms := recv(t, done)
	if len(ms) != 2 || ms[0].Direction != DirectionSend || !ms[0].IsRead || ms[1].MessageID != held.MessageID {
		t.Errorf("remote history %+v: held messages come back as held", ms)
	}
	for name, tt := range map[string]struct {
		conv         Conversation
		count, order int
		want         int32
	}{
		"no count":         {bob, 0, OrderOlder, codes.InvalidParameterCount},
		"too many":         {bob, MaxHistory + 1, OrderOlder, codes.InvalidParameterCount},
		"bad order":        {bob, 10, 2, codes.InvalidParameter},
		"bad conversation": {Conversation{}, 10, OrderOlder, codes.InvalidParameterConversationType},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := h.e.RemoteHistory(ctx, tt.conv, 0, tt.count, tt.order)
			wantCode(t, err, tt.want)
			_, _, err = h.e.GetHistory(ctx, tt.conv, 0, tt.count, tt.order)
			wantCode(t, err, tt.want)
		})
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := h.e.RemoteHistory(ctx, grp, 0, 2, OrderOlder)
		errc <- err
	}()
	f, _ = next[*pb.Frame_History](t, c)
	c.fail(f, codes.NotInGroup)
	wantCode(t, recv(t, errc), codes.NotInGroup)
}

// A conversation the device knows of but holds nothing of yet (its pull
// not answered): the server is asked.
func TestGetHistoryBeforeThePull(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.e.Connect(context.Background(), "token"); err != nil {
		t.Fatal(err)
	}
	c := h.srv.conn(t, 0)
	f, _ := next[*pb.Frame_Sync](t, c)
	c.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 2, Conversations: []*pb.ConversationState{{Conv: wconv(bob), LastSeq: 5, StartSeq: 1}}}})
	next[*pb.Frame_Pull](t, c) // left unanswered
	res := make(chan []*Message, 1)
	go func() {
		ms, _, _ := h.e.GetHistory(context.Background(), bob, 0, 5, OrderOlder)
		res <- ms
	}()
	f, hr := next[*pb.Frame_History](t, c)
	if hr.History.Conv.Target != "bob" {
		t.Errorf("history request %+v", hr.History)
	}
	c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: []*pb.Message{from(bob, 5), from(bob, 4)}}})
	if ms := recv(t, res); !slices.Equal(seqs(ms), []uint64{5, 4}) {
		t.Errorf("history %v", seqs(ms))
	}
}
