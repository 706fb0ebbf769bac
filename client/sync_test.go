package client

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The sequencer (sync.go): per conversation, messages are accepted in
// sequence order, held back behind a gap, pulled when the gap outlives
// GapWait, and dropped when already held.

// barrier pushes a message of a conversation no test uses and waits until it
// is emitted: everything the connection delivered before it has been
// processed (one reader, one processor, both in order).
func (h *harness) barrier(c *fakeConn) {
	h.t.Helper()
	h.barrierSeq++
	c.push(from(barrierConv, h.barrierSeq))
	h.ev.next(h.t, EventMessages, func(ev Event) bool {
		return slices.ContainsFunc(ev.Messages, func(m *Message) bool {
			return m.Conversation == barrierConv && m.Seq == h.barrierSeq
		})
	})
}

var barrierConv = Conversation{Type: Private, TargetID: "zed"}

func tombstone(c Conversation, seq uint64) *pb.Message {
	return &pb.Message{Uid: uidOf(c, seq), ConvType: pb.ConversationType(c.Type), FromUser: "carol", To: c.TargetID, Seq: seq, Tombstone: true}
}

func TestSequencerOrder(t *testing.T) {
	tests := []struct {
		name   string
		pushes [][]*pb.Message // one Push frame each
		want   []uint64        // emitted, in order
		stored []uint64
	}{
		{"in order, one per push", [][]*pb.Message{{from(grp, 1)}, {from(grp, 2)}, {from(grp, 3)}}, []uint64{1, 2, 3}, []uint64{1, 2, 3}},
		{"in order, one push", [][]*pb.Message{{from(grp, 1), from(grp, 2), from(grp, 3)}}, []uint64{1, 2, 3}, []uint64{1, 2, 3}},
		{"a push overtaken by the next", [][]*pb.Message{{from(grp, 2)}, {from(grp, 1)}, {from(grp, 3)}}, []uint64{1, 2, 3}, []uint64{1, 2, 3}},
		{"reversed in one push", [][]*pb.Message{{from(grp, 3), from(grp, 2), from(grp, 1)}}, []uint64{1, 2, 3}, []uint64{1, 2, 3}},
		{"duplicates dropped", [][]*pb.Message{{from(grp, 1)}, {from(grp, 1)}, {from(grp, 2), from(grp, 2)}, {from(grp, 1), from(grp, 2), from(grp, 3)}}, []uint64{1, 2, 3}, []uint64{1, 2, 3}},
		{"duplicate held back behind a gap", [][]*pb.Message{{from(grp, 3)}, {from(grp, 3)}, {from(grp, 1)}, {from(grp, 2)}}, []uint64{1, 2, 3}, []uint64{1, 2, 3}},
		{"tombstones take their seq, silently", [][]*pb.Message{{from(grp, 1), tombstone(grp, 2)}, {from(grp, 3)}}, []uint64{1, 3}, []uint64{1, 3}},
		{"a tombstone fills a gap", [][]*pb.Message{{from(grp, 1)}, {from(grp, 3)}, {tombstone(grp, 2)}}, []uint64{1, 3}, []uint64{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A gap is never pulled here: it is filled well within GapWait.
			h := newHarness(t, func(c *Config) { c.GapWait = time.Hour })
			c := h.connect(nil)
			for _, p := range tt.pushes {
				c.push(p...)
			}
			h.barrier(c)
			if got := h.emitted(grp); !slices.Equal(got, tt.want) {
				t.Errorf("emitted %v, want %v", got, tt.want)
			}
			if got := h.store.seqs(grp); !slices.Equal(got, tt.stored) {
				t.Errorf("stored %v, want %v", got, tt.stored)
			}
			st := h.state(grp)
			if st.Contiguous != 3 || st.LastSeq != 3 {
				t.Errorf("cursor %d, last %d, want 3 and 3", st.Contiguous, st.LastSeq)
			}
			if n := h.store.state(grp); n == nil || n.Contiguous != 3 {
				t.Errorf("stored cursor %+v", n)
			}
			if pulls := written[*pb.Frame_Pull](c); len(pulls) != 0 {
				t.Errorf("pulled %v", pulls)
			}
			h.e.seqMu.Lock()
			held := len(h.e.pending[grp.Key()])
			h.e.seqMu.Unlock()
			if held != 0 {
				t.Errorf("%d messages still held back", held)
			}
		})
	}
}

func TestGapWaitsThenIsPulled(t *testing.T) {
	const wait = 60 * time.Millisecond
	h := newHarness(t, func(c *Config) { c.GapWait = wait })
	c := h.connect(nil)
	c.push(from(grp, 1))
	h.messages()
	pushed := time.Now()
	c.push(from(grp, 3))
	f, pull := next[*pb.Frame_Pull](t, c)
	if waited := time.Since(pushed); waited < wait {
		t.Errorf("pulled %v after the gap appeared, before GapWait %v", waited, wait)
	}
	if p := pull.Pull; p.AfterSeq != 1 || p.Limit != 500 || p.Conv.Target != "g1" || p.Conv.Type != pb.ConversationType_GROUP {
		t.Errorf("pull %+v", p)
	}
	if got := h.emitted(grp); !slices.Equal(got, []uint64{1}) {
		t.Errorf("emitted %v while the gap was open", got)
	}
	// The answer holds the missing message and the one held back again.
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(grp, 2), from(grp, 3)}, LastSeq: 3}})
	got := h.messages()
	if !slices.Equal(seqs(got), []uint64{2, 3}) {
		t.Fatalf("emitted %v after the pull, want [2 3]", seqs(got))
	}
	if got[0].IsOffline {
		t.Error("a gap's message marked offline")
	}
	h.barrier(c)
	if got := h.emitted(grp); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Errorf("emitted %v, want each once", got)
	}
	if got := h.store.seqs(grp); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Errorf("stored %v", got)
	}
	if n := len(written[*pb.Frame_Pull](c)); n != 1 {
		t.Errorf("%d pulls, want 1", n)
	}
}

// retry runs a scenario whose premise depends on the machine's speed (a
// gap filled within GapWait) until the premise holds: the scenario returns
// false when it did not (a stalled machine), true when it ran; a failure is
// never retried.
func retry(t *testing.T, scenario func(t *testing.T) bool) {
	t.Helper()
	for range 3 {
		ok := false
		passed := t.Run("attempt", func(t *testing.T) { ok = scenario(t) })
		if ok || !passed {
			return
		}
	}
	t.Fatal("the machine was too slow for the scenario's premise three times")
}

func TestGapFilledInTimeIsNotPulled(t *testing.T) {
	const wait = 250 * time.Millisecond
	retry(t, func(t *testing.T) bool {
		h := newHarness(t, func(c *Config) { c.GapWait = wait })
		c := h.connect(nil)
		c.push(from(grp, 1))
		h.messages()
		pushed := time.Now()
		c.push(from(grp, 3))
		c.push(from(grp, 2))
		if got := seqs(h.messages()); !slices.Equal(got, []uint64{2, 3}) {
			t.Fatalf("emitted %v, want [2 3]", got)
		}
		if time.Since(pushed) >= wait {
			return false // the gap may have been pulled rightly
		}
		// A later gap in another conversation is pulled after its wait,
		// which began after the first one's: had the first been pulled,
		// its pull would come first.
		c.push(from(carol, 2))
		f, pull := next[*pb.Frame_Pull](t, c)
		if pull.Pull.Conv.Target != "carol" {
			t.Fatalf("pulled %+v: a gap filled in time was pulled", pull.Pull)
		}
		c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(carol, 1), from(carol, 2)}, LastSeq: 2}})
		h.messages()
		h.barrier(c)
		if pulls := written[*pb.Frame_Pull](c); len(pulls) != 1 {
			t.Errorf("pulls %v, want carol's only", pulls)
		}
		return true
	})
}

func TestNewerHoleGetsItsOwnWait(t *testing.T) {
	const wait = 250 * time.Millisecond
	retry(t, func(t *testing.T) bool {
		h := newHarness(t, func(c *Config) { c.GapWait = wait })
		c := h.connect(nil)
		armed := time.Now() // no later than hole 2's wait begins
		c.push(from(grp, 1), from(grp, 3))
		h.messages()
		c.push(from(grp, 5), from(grp, 2)) // hole 2 filled, hole 4 opens
		if got := seqs(h.messages()); !slices.Equal(got, []uint64{2, 3}) {
			t.Fatalf("emitted %v, want [2 3]", got)
		}
		if time.Since(armed) >= wait {
			return false
		}
		f, pull := next[*pb.Frame_Pull](t, c)
		if waited := time.Since(armed); waited < 2*wait {
			t.Errorf("hole 4 pulled %v after hole 2's wait began; want a wait of its own (≥ %v)", waited, 2*wait)
		}
		if pull.Pull.AfterSeq != 3 {
			t.Errorf("pull after %d, want 3", pull.Pull.AfterSeq)
		}
		c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(grp, 4), from(grp, 5)}, LastSeq: 5}})
		if got := seqs(h.messages()); !slices.Equal(got, []uint64{4, 5}) {
			t.Errorf("emitted %v, want [4 5]", got)
		}
		return true
	})
}

func TestPullPagesUntilTheLastSeq(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PullPage = 2; c.GapWait = time.Millisecond })
	c := h.connect(nil)
	c.push(from(grp, 1))
	h.messages()
	c.push(from(grp, 6))
	pages := []struct {
		after uint64
		msgs  []uint64
	}{{1, []uint64{2, 3}}, {3, []uint64{4, 5}}, {5, []uint64{6}}}
	for _, p := range pages {
		f, pull := next[*pb.Frame_Pull](t, c)
		if pull.Pull.AfterSeq != p.after || pull.Pull.Limit != 2 {
			t.Fatalf("pull %+v, want after %d limit 2", pull.Pull, p.after)
		}
		res := &pb.PullResult{LastSeq: 6}
		for _, s := range p.msgs {
			res.Messages = append(res.Messages, from(grp, s))
		}
		c.reply(f, &pb.Frame_PullResult{PullResult: res})
	}
	eventually(t, "every message", func() bool { return len(h.emitted(grp)) == 6 })
	h.barrier(c)
	if got := h.emitted(grp); !slices.Equal(got, []uint64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("emitted %v", got)
	}
	if n := len(written[*pb.Frame_Pull](c)); n != 3 {
		t.Errorf("%d pulls, want 3", n)
	}
}

func TestStatusMessagesAreShownNotStored(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	st := from(grp, 0)
	st.IsStatus, st.Uid = true, "status-1"
	c.push(st)
	got := h.messages()
	if len(got) != 1 || got[0].MessageUID != "status-1" || !got[0].IsStatus || got[0].MessageID != 0 {
		t.Fatalf("emitted %+v", got)
	}
	if h.store.count() != 0 {
		t.Error("a status message was stored")
	}
	if st := h.state(grp); st.Contiguous != 0 {
		t.Errorf("a status message moved the cursor to %d", st.Contiguous)
	}
}

func TestSyncOnFirstConnect(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.e.Connect(t.Context(), "token"); err != nil {
		t.Fatal(err)
	}
	c := h.srv.conn(t, 0)
	if _, auth := next[*pb.Frame_Auth](t, c); auth.Auth.SyncVersion != 0 || auth.Auth.Token != "token" || auth.Auth.DeviceId != "dev" || auth.Auth.AppKey != "app" {
		t.Errorf("auth %+v", auth.Auth)
	}
	f, sync := next[*pb.Frame_Sync](t, c)
	if sync.Sync.SinceVersion != 0 {
		t.Errorf("since %d", sync.Sync.SinceVersion)
	}
	c.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 7, Conversations: []*pb.ConversationState{
		{Conv: wconv(bob), LastSeq: 3, ReadSeq: 1, LastTime: baseTime + 3000},
		// A new device starts at the server's window: 1 is older.
		{Conv: wconv(grp), LastSeq: 3, StartSeq: 2},
	}}})
	// Each conversation is pulled from the cursor, one after the other.
	f, pull := next[*pb.Frame_Pull](t, c)
	if pull.Pull.Conv.Target != "bob" || pull.Pull.AfterSeq != 0 {
		t.Fatalf("first pull %+v", pull.Pull)
	}
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(bob, 1), from(bob, 2), from(bob, 3)}, LastSeq: 3}})
	f, pull = next[*pb.Frame_Pull](t, c)
	if pull.Pull.Conv.Target != "g1" || pull.Pull.AfterSeq != 0 {
		t.Fatalf("second pull %+v", pull.Pull)
	}
	c.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(grp, 2), from(grp, 3)}, LastSeq: 3, StartSeq: 2}})
	h.ev.next(t, EventSyncFinished, nil)
	if v := h.store.metaValue(metaSyncVersion); v != "7" {
		t.Errorf("stored sync version %q, want 7", v)
	}
	var all []*Message
	for _, ev := range h.ev.all(EventMessages) {
		all = append(all, ev.Messages...)
	}
	if len(all) != 5 {
		t.Fatalf("emitted %d messages, want 5", len(all))
	}
	for _, m := range all {
		if !m.IsOffline {
			t.Errorf("%s not offline", m.MessageUID)
		}
		if wantRead := m.Conversation == bob && m.Seq == 1; m.IsRead != wantRead {
			t.Errorf("%s read %v", m.MessageUID, m.IsRead)
		}
	}
	if n := h.e.UnreadCount(bob); n != 2 {
		t.Errorf("bob unread %d, want 2 (read up to 1)", n)
	}
	if st := h.state(grp); st.HeldFrom != 2 || st.Contiguous != 3 || st.StartSeq != 2 {
		t.Errorf("group cursor %+v, want held from 2", st)
	}
	if n := h.e.TotalUnreadCount(false); n != 4 {
		t.Errorf("total unread %d, want 4", n)
	}
}

func TestReconnectSyncsFromTheCursors(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(bob, 2))
	h.messages()
	h.srv.authOK(func(ok *pb.AuthOK) { ok.SyncVersion = 2 })
	c.drop()
	h.ev.next(t, EventStatus, func(ev Event) bool { return ev.Status == StatusSuspended })
	c2 := h.srv.conn(t, 1)
	if _, auth := next[*pb.Frame_Auth](t, c2); auth.Auth.SyncVersion != 1 {
		t.Errorf("reconnect announced version %d, want 1", auth.Auth.SyncVersion)
	}
	f, sync := next[*pb.Frame_Sync](t, c2)
	if sync.Sync.SinceVersion != 1 {
		t.Errorf("since %d, want 1", sync.Sync.SinceVersion)
	}
	c2.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 2, Conversations: []*pb.ConversationState{
		{Conv: wconv(bob), LastSeq: 4}, {Conv: wconv(carol), LastSeq: 1},
	}}})
	f, pull := next[*pb.Frame_Pull](t, c2)
	if pull.Pull.Conv.Target != "bob" || pull.Pull.AfterSeq != 2 {
		t.Fatalf("pull %+v, want bob after 2", pull.Pull)
	}
	c2.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(bob, 3), from(bob, 4)}, LastSeq: 4}})
	f, pull = next[*pb.Frame_Pull](t, c2)
	if pull.Pull.Conv.Target != "carol" || pull.Pull.AfterSeq != 0 {
		t.Fatalf("pull %+v, want carol after 0", pull.Pull)
	}
	c2.reply(f, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{from(carol, 1)}, LastSeq: 1}})
	h.ev.next(t, EventSyncFinished, nil)
	if got := h.emitted(bob); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Errorf("bob emitted %v", got)
	}
	if v := h.store.metaValue(metaSyncVersion); v != "2" {
		t.Errorf("sync version %q", v)
	}
	var statuses []int
	for _, ev := range h.ev.all(EventStatus) {
		statuses = append(statuses, ev.Status)
	}
	want := []int{StatusConnecting, StatusConnected, StatusSuspended, StatusConnecting, StatusConnected}
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
}

func TestReconnectWithNothingChangedSkipsTheSync(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil) // stores version 1, which the server announces again
	c.drop()
	c2 := h.srv.conn(t, 1)
	// EventSyncFinished comes after the SyncRequest would have been written
	// (and would wait for an answer that never comes).
	eventually(t, "the second sync to finish", func() bool { return len(h.ev.all(EventSyncFinished)) == 2 })
	if syncs := written[*pb.Frame_Sync](c2); len(syncs) != 0 {
		t.Errorf("synced %v with nothing changed", syncs)
	}
}

func TestPullFailureEndsTheSync(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.e.Connect(t.Context(), "token"); err != nil {
		t.Fatal(err)
	}
	c := h.srv.conn(t, 0)
	f, _ := next[*pb.Frame_Sync](t, c)
	c.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 3, Conversations: []*pb.ConversationState{{Conv: wconv(bob), LastSeq: 2}}}})
	f, _ = next[*pb.Frame_Pull](t, c)
	c.fail(f, -1)
	// The version is not stored: the next connection syncs it all again.
	h.barrier(c)
	if v := h.store.metaValue(metaSyncVersion); v != "" {
		t.Errorf("version %q stored after a failed sync", v)
	}
	if n := len(h.ev.all(EventSyncFinished)); n != 0 {
		t.Errorf("sync finished %d times", n)
	}
}

// Device acks (flushAcks): coalesced over AckInterval, one item per
// conversation, at most 1000 items a frame, never for this device's own
// sends, and kept for the next connection when they cannot be sent.

func ackItems(a *pb.Frame_Ack) map[string]uint64 {
	out := map[string]uint64{}
	for _, it := range a.Ack.Items {
		out[it.Conv.Target] = it.Seq
	}
	return out
}

func TestAcksAreCoalesced(t *testing.T) {
	const interval = 60 * time.Millisecond
	h := newHarness(t, func(c *Config) { c.AckInterval = interval })
	c := h.connect(nil)
	pushed := time.Now()
	c.push(from(bob, 1), from(bob, 2), from(grp, 1), from(bob, 3), from(grp, 2), from(carol, 1))
	_, ack := next[*pb.Frame_Ack](t, c)
	if waited := time.Since(pushed); waited < interval {
		t.Errorf("acked after %v, before the interval %v", waited, interval)
	}
	if got := ackItems(ack); len(ack.Ack.Items) != 3 || got["bob"] != 3 || got["g1"] != 2 || got["carol"] != 1 {
		t.Errorf("ack %v, want bob 3, g1 2, carol 1", got)
	}
	if n := len(written[*pb.Frame_Ack](c)); n != 1 {
		t.Errorf("%d ack frames, want 1", n)
	}
	c.push(from(bob, 4))
	_, ack = next[*pb.Frame_Ack](t, c)
	if len(ack.Ack.Items) != 1 || ackItems(ack)["bob"] != 4 {
		t.Errorf("second ack %v, want bob 4 alone", ackItems(ack))
	}
	if ack.Ack.Items[0].Conv.Type != pb.ConversationType_PRIVATE {
		t.Errorf("ack conversation %+v", ack.Ack.Items[0].Conv)
	}
}

func TestAcksAreChunked(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	const n = 2500
	var ms []*pb.Message
	for i := range n {
		ms = append(ms, from(Conversation{Type: Private, TargetID: "u" + strconv.Itoa(i)}, 1))
	}
	c.push(ms...)
	seen := map[string]bool{}
	var sizes []int
	for len(seen) < n {
		_, ack := next[*pb.Frame_Ack](t, c)
		sizes = append(sizes, len(ack.Ack.Items))
		for _, it := range ack.Ack.Items {
			if seen[it.Conv.Target] || it.Seq != 1 {
				t.Fatalf("item %+v twice or wrong", it)
			}
			seen[it.Conv.Target] = true
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{500, 1000, 1000}) {
		t.Errorf("ack frames of %v items, want 1000, 1000 and 500", sizes)
	}
}

func TestOwnSendsAreNotAcked(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	f, req, res := h.send(c, bob, SendOptions{})
	c.reply(f, sendAck(req, 1))
	if _, err := result(t, res); err != nil {
		t.Fatal(err)
	}
	c.push(from(carol, 1))
	if _, ack := next[*pb.Frame_Ack](t, c); len(ack.Ack.Items) != 1 || ackItems(ack)["carol"] != 1 {
		t.Errorf("ack %v, want carol alone", ackItems(ack))
	}
	c.push(from(bob, 2)) // in sequence after the own send
	if _, ack := next[*pb.Frame_Ack](t, c); ackItems(ack)["bob"] != 2 {
		t.Errorf("ack %v, want bob 2", ackItems(ack))
	}
}

func TestAcksWaitForTheNextConnection(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AckInterval = 10 * time.Millisecond })
	c := h.connect(nil)
	gate := make(chan struct{})
	h.srv.setGate(gate)
	c.push(from(bob, 1))
	c.drop()
	// The flush finds no connection and keeps the ack.
	eventually(t, "the ack to be kept", func() bool {
		h.e.seqMu.Lock()
		defer h.e.seqMu.Unlock()
		return !h.e.ackArmed && h.e.acks[bob.Key()] != nil
	})
	if h.srv.connCount() != 1 {
		t.Fatal("reconnected through the gate")
	}
	gate <- struct{}{}
	c2 := h.srv.conn(t, 1)
	if _, ack := next[*pb.Frame_Ack](t, c2); ackItems(ack)["bob"] != 1 {
		t.Errorf("ack %v on the next connection, want bob 1", ackItems(ack))
	}
}

func TestAcksAWriteLostAreSentOnTheNextConnection(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	// The connection breaks as the ack is written: the write fails.
	c.refuseWrites(func(f *pb.Frame) bool { return f.GetAck() != nil })
	c.push(from(bob, 1))
	h.messages()
	c2 := h.srv.conn(t, 1)
	if !c.isClosed() {
		t.Error("the broken connection was not closed")
	}
	eventually(t, "the second sync", func() bool { return len(h.ev.all(EventSyncFinished)) == 2 })
	c2.push(from(carol, 1))
	// The first ack on the new connection carries bob's (kept from the
	// failed write) whether it was flushed after the sync or with carol's.
	_, ack := next[*pb.Frame_Ack](t, c2)
	if ackItems(ack)["bob"] != 1 {
		t.Errorf("first ack on the next connection %v: bob's ack was lost with the write", ackItems(ack))
	}
}

// A message deleted before it reaches the device (a pull's answer that the
// processor took after a delete that followed it on the wire) is not
// stored when it comes: a delete never brings a message back.
func TestDeletedBeforeItArrivesStaysDeleted(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1))
	h.barrier(c)
	c.push(logEntry(1, &pb.LogEntry{Conv: wconv(bob), DeletedUids: []string{uidOf(bob, 2)}}))
	h.barrier(c)
	c.push(from(bob, 2), from(bob, 3))
	h.barrier(c)
	if got := h.store.seqs(bob); !slices.Equal(got, []uint64{1, 3}) {
		t.Fatalf("held %v, want [1 3]: the deleted message came back", got)
	}
	if n := h.e.UnreadCount(bob); n != 2 {
		t.Fatalf("unread %d, want 2", n)
	}
}

// A device that counts a conversation by the server's count (it holds
// only the latest of its unread messages) asks the server to count again
// when messages leave it — a delete from another device, a clear, a
// recall of one it never held — and shows the server's new count.
func TestServerCountedAfterMessagesLeave(t *testing.T) {
	for name, leave := range map[string]func(t *testing.T, h *harness, c *fakeConn){
		"a delete on another device": func(t *testing.T, h *harness, c *fakeConn) {
			c.push(logEntry(1, &pb.LogEntry{Conv: wconv(grp), DeletedUids: []string{uidOf(grp, 3)}}))
		},
		"a recall of one never held": func(t *testing.T, h *harness, c *fakeConn) {
			c.push(recallMarker(grp, 11, uidOf(grp, 3), "carol"))
		},
		"a clear here": func(t *testing.T, h *harness, c *fakeConn) {
			errc := make(chan error, 1)
			go func() { errc <- h.e.ClearHistory(context.Background(), grp, 0) }()
			f, _ := next[*pb.Frame_ClearHistory](t, c)
			c.ok(f)
			if err := recv(t, errc); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil)
			if _, err := h.e.Connect(context.Background(), "token"); err != nil {
				t.Fatal(err)
			}
			c := h.srv.conn(t, 0)
			f, _ := next[*pb.Frame_Sync](t, c)
			c.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 2, Conversations: []*pb.ConversationState{
				{Conv: wconv(grp), LastSeq: 10, LastTime: baseTime + 10000, UnreadCount: 10}}}})
			p, _ := next[*pb.Frame_Pull](t, c)
			var ms []*pb.Message
			for s := uint64(6); s <= 10; s++ {
				ms = append(ms, from(grp, s))
			}
			c.reply(p, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: ms, LastSeq: 10, StartSeq: 6}})
			h.ev.next(t, EventSyncFinished, nil)
			if n := h.e.UnreadCount(grp); n != 10 {
				t.Fatalf("unread %d before, want the server's 10", n)
			}
			leave(t, h, c)
			f, _ = next[*pb.Frame_Sync](t, c) // the engine asks the server to count again
			c.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 3, Conversations: []*pb.ConversationState{
				{Conv: wconv(grp), LastSeq: 11, LastTime: baseTime + 11000, UnreadCount: 9}}}})
			eventually(t, "the server's new count", func() bool { return h.e.UnreadCount(grp) == 9 })
		})
	}
}
