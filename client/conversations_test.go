package client

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The conversation list, unread counts and mentions (conversations.go).

func TestConversations(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	at := func(w *pb.Message, ms int64) *pb.Message { w.SentTime = baseTime + ms; return w }
	mention := func(w *pb.Message, typ int32, users ...string) *pb.Message {
		w.IsMentioned, w.MentionedInfo = true, &pb.MentionedInfo{Type: typ, UserIds: users}
		return w
	}
	uncounted := at(from(bob, 2), 1100)
	uncounted.IsCounted = false
	c.push(at(from(bob, 1), 1000), uncounted, at(from(grp, 1), 1500), mention(at(from(grp, 2), 2500), MentionSingle, me),
		mention(at(from(grp, 3), 2600), MentionSingle, "dave"), at(from(carol, 1), 3000), logEntry(1, &pb.LogEntry{Conv: wconv(carol)}))
	ms := h.messages()
	for _, m := range ms {
		if want := m.MessageUID == uidOf(grp, 2); m.IsMentioned != want {
			t.Errorf("%s mentioned %v", m.MessageUID, m.IsMentioned)
		}
	}
	list, err := h.e.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		conv      Conversation
		unread    int
		mentioned bool
		latest    string
	}
	want := []row{{carol, 1, false, uidOf(carol, 1)}, {grp, 3, true, uidOf(grp, 3)}, {bob, 1, false, uidOf(bob, 2)}}
	if len(list) != len(want) {
		t.Fatalf("%d conversations, want %d: %+v", len(list), len(want), list)
	}
	for i, w := range want {
		ci := list[i]
		if ci.Conversation != w.conv || ci.UnreadCount != w.unread || ci.HasMentioned != w.mentioned || ci.Latest == nil || ci.Latest.MessageUID != w.latest {
			t.Errorf("conversation %d: %+v, want %+v", i, ci, w)
		}
	}
	if n := h.e.TotalUnreadCount(false); n != 5 {
		t.Errorf("total unread %d, want 5", n)
	}
	if n := h.e.UnreadCount(Conversation{Type: Private, TargetID: "nobody"}); n != 0 {
		t.Errorf("unknown conversation unread %d", n)
	}
	ev := h.ev.next(t, EventConversations, nil)
	if len(ev.Conversations) != 3 || ev.Conversations[0].Conversation != carol {
		t.Errorf("CONVERSATION %+v", ev.Conversations)
	}
	// The first unread message and the mention counts.
	ctx := context.Background()
	if m, err := h.e.FirstUnread(ctx, grp); err != nil || m == nil || m.MessageUID != uidOf(grp, 1) {
		t.Errorf("first unread of the group: %+v, %v", m, err)
	}
	if m, err := h.e.FirstUnread(ctx, bob); err != nil || m == nil || m.MessageUID != uidOf(bob, 1) {
		t.Errorf("first unread from bob (the uncounted one is not): %+v, %v", m, err)
	}
	if n, all := h.e.UnreadMentions(&grp), h.e.UnreadMentions(nil); n != 1 || all != 1 {
		t.Errorf("mentions: %d in the group, %d in all; want 1 and 1 (dave's is not this user's)", n, all)
	}
	// Reading the group clears its count and its mention.
	errc := make(chan error, 1)
	go func() { errc <- h.e.MarkRead(context.Background(), grp, 2) }()
	f, _ := next[*pb.Frame_Read](t, c)
	c.ok(f)
	if err := recv(t, errc); err != nil {
		t.Fatal(err)
	}
	if n, st := h.e.UnreadCount(grp), h.state(grp); n != 1 || st.Mentioned || st.Mentions != 0 {
		t.Errorf("after reading up to the mention: unread %d, mentioned %v (%d)", n, st.Mentioned, st.Mentions)
	}
	if m, err := h.e.FirstUnread(ctx, grp); err != nil || m == nil || m.MessageUID != uidOf(grp, 3) {
		t.Errorf("first unread after reading up to 2: %+v, %v", m, err)
	}
	// A conversation emptied is no longer listed; one sending is, by its
	// local time.
	c.push(logEntry(2, &pb.LogEntry{Conv: wconv(carol), ClearedBefore: baseTime + 5000}))
	h.barrier(c)
	f, _, res := h.send(c, bob, SendOptions{})
	list, _ = h.e.Conversations(context.Background())
	if len(list) != 3 || list[0].Conversation != bob || list[0].Latest.SentStatus != StatusSending {
		t.Errorf("list %+v: want bob first (sending now), carol gone", list)
	}
	for _, ci := range list {
		if ci.Conversation == carol {
			t.Errorf("carol listed with nothing held")
		}
	}
	c.reply(f, sendAck(&pb.SendRequest{Conv: wconv(bob)}, 3))
	result(t, res)
}

// The list by pages (getConversationListByTimestamp), one conversation
// (getConversation), and the total with its filters.
func TestConversationPages(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	at := func(w *pb.Message, ms int64) *pb.Message { w.SentTime = baseTime + ms; return w }
	c.push(at(from(bob, 1), 1000), at(from(grp, 1), 2000), at(from(grp, 2), 2100), at(from(carol, 1), 3000))
	h.messages()
	ctx := context.Background()
	page := func(q ConversationQuery) []string {
		t.Helper()
		list, err := h.e.ConversationsPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ci := range list {
			out = append(out, ci.TargetID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		q    ConversationQuery
		want []string
	}{
		"first page":           {ConversationQuery{Count: 2}, []string{"carol", "g1"}},
		"next page":            {ConversationQuery{Count: 2, StartTime: baseTime + 2100}, []string{"bob"}},
		"forward from a time":  {ConversationQuery{Count: 5, StartTime: baseTime + 1000, Forward: true}, []string{"g1", "carol"}},
		"groups only":          {ConversationQuery{Count: 5, Types: []int32{Group}}, []string{"g1"}},
		"everything, one page": {ConversationQuery{Count: MaxConversationPage}, []string{"carol", "g1", "bob"}},
	} {
		if got := page(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	// This device's send to a conversation new to it comes first.
	dan := Conversation{Type: Private, TargetID: "dan"}
	h.sendOK(c, dan, 5) // acknowledged at baseTime+5000, after carol's
	if got := page(ConversationQuery{Count: 1}); !slices.Equal(got, []string{"dan"}) {
		t.Errorf("after sending to dan: %v first", got)
	}
	for _, q := range []ConversationQuery{{Count: 0}, {Count: MaxConversationPage + 1}} {
		if _, err := h.e.ConversationsPage(ctx, q); codes.Of(err) != codes.InvalidParameterCount {
			t.Errorf("count %d: %v", q.Count, err)
		}
	}
	// Pinned first, when asked.
	h.applySettings(bob, Settings{IsTop: true, SettingsTime: 1})
	if got := page(ConversationQuery{Count: 5, TopFirst: true}); !slices.Equal(got, []string{"bob", "dan", "carol", "g1"}) {
		t.Errorf("pinned first: %v", got)
	}
	// Muted conversations count only when asked for.
	h.applySettings(grp, Settings{NotificationLevel: NotifyNothing, SettingsTime: 1})
	if n, all := h.e.TotalUnreadCount(false), h.e.TotalUnreadCount(true); n != 2 || all != 4 {
		t.Errorf("total unread %d without muted, %d with; want 2 and 4", n, all)
	}
	if n := h.e.TotalUnreadCount(true, Group); n != 2 {
		t.Errorf("total unread of groups %d, want 2", n)
	}
	ci, err := h.e.Conversation(ctx, grp)
	if err != nil || ci == nil || ci.UnreadCount != 2 || ci.Latest.MessageUID != uidOf(grp, 2) || !ci.Blocked() {
		t.Fatalf("getConversation: %+v, %v", ci, err)
	}
	if ci, err := h.e.Conversation(ctx, Conversation{Type: Private, TargetID: "nobody"}); ci != nil || err != nil {
		t.Fatalf("an unknown conversation: %+v, %v", ci, err)
	}
}

// applySettings gives c settings as if another device had set them.
func (h *harness) applySettings(c Conversation, s Settings) {
	h.t.Helper()
	if err := h.e.applyLocal(&inItem{log: &pb.LogEntry{Conv: wireConv(c), Settings: wireSettings(s)}}); err != nil {
		h.t.Fatal(err)
	}
}

// sendSyncReadStatusMessage: read up to a time, by the newest message sent
// at or before it.
func TestMarkReadAt(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	at := func(w *pb.Message, ms int64) *pb.Message { w.SentTime = baseTime + ms; return w }
	c.push(at(from(bob, 1), 1000), at(from(bob, 2), 2000), at(from(bob, 3), 3000))
	h.messages()
	errc := make(chan error, 1)
	go func() { errc <- h.e.MarkReadAt(context.Background(), bob, baseTime+2500) }()
	f, read := next[*pb.Frame_Read](t, c)
	if read.Read.Seq != 2 || read.Read.Receipt {
		t.Errorf("read request %+v: want the watermark at 2, no receipt", read.Read)
	}
	c.ok(f)
	if err := recv(t, errc); err != nil {
		t.Fatal(err)
	}
	if n := h.e.UnreadCount(bob); n != 1 {
		t.Errorf("unread %d, want 1", n)
	}
	// Older than anything held: nothing asked.
	if err := h.e.MarkReadAt(context.Background(), bob, baseTime+10); err != nil {
		t.Fatal(err)
	}
	wantCode(t, h.e.MarkReadAt(context.Background(), bob, 0), codes.InvalidParameter)
	h.barrier(c)
	if n := len(written[*pb.Frame_Read](c)); n != 1 {
		t.Errorf("%d read requests, want 1", n)
	}
}

// Pages continue after the last conversation given, by time and then key:
// conversations of one time at a page's end are neither skipped nor given
// twice.
func TestConversationPagesWithEqualTimes(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	same := func(conv Conversation) *pb.Message { w := from(conv, 1); w.SentTime = baseTime + 1000; return w }
	c.push(same(bob), same(carol), same(grp))
	h.messages()
	ctx := context.Background()
	var got []Conversation
	q := ConversationQuery{Count: 1}
	for range 4 {
		page, err := h.e.ConversationsPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page[0].Conversation)
		q.StartTime, q.StartKey = page[0].ListTime, page[0].Key()
	}
	if len(got) != 3 || got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
		t.Fatalf("pages of one: %v, want bob, carol and the group once each", got)
	}
}

// LatestRev: the same while a conversation's latest message is unchanged,
// another once it changes (a new message, its received status), so the
// bridge may keep the JSON it wrote for one.
func TestLatestRev(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(carol, 1))
	h.messages()
	ctx := context.Background()
	revs := func(when string) map[Conversation]uint64 {
		t.Helper()
		list, err := h.e.ConversationsPage(ctx, ConversationQuery{Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := map[Conversation]uint64{}
		for _, ci := range list {
			if ci.Latest == nil || ci.LatestRev == 0 {
				t.Fatalf("%s: %v listed with latest %v, rev %d", when, ci.Conversation, ci.Latest, ci.LatestRev)
			}
			out[ci.Conversation] = ci.LatestRev
		}
		return out
	}
	first := revs("first")
	if again := revs("again"); again[bob] != first[bob] || again[carol] != first[carol] || first[bob] == first[carol] {
		t.Fatalf("revs %v then %v: want the same two, distinct", first, again)
	}
	c.push(from(bob, 2))
	h.messages()
	after := revs("after bob's second message")
	if after[bob] == first[bob] || after[carol] != first[carol] {
		t.Errorf("after bob's second message: revs %v, were %v (want bob's new, carol's kept)", after, first)
	}
	list, _ := h.e.ConversationsPage(ctx, ConversationQuery{Count: 10})
	var carolLatest *Message
	for _, ci := range list {
		if ci.Conversation == carol {
			carolLatest = ci.Latest
		}
	}
	if err := h.e.SetReceivedStatus(ctx, carolLatest.MessageID, ReceivedListened); err != nil {
		t.Fatal(err)
	}
	read := revs("after carol's message is marked listened")
	if read[carol] == after[carol] || read[bob] != after[bob] {
		t.Errorf("after a received status: revs %v, were %v (want carol's new, bob's kept)", read, after)
	}
	list, _ = h.e.ConversationsPage(ctx, ConversationQuery{Count: 10})
	for _, ci := range list {
		if ci.Conversation == carol && ci.Latest.ReceivedFlags&ReceivedListened == 0 {
			t.Errorf("carol's latest %+v: not listened", ci.Latest)
		}
	}
}

// latestStore is the harness's store as a LatestReader that counts its
// reads and History's, and runs during (if set) inside a Latest read.
type latestStore struct {
	*testStore
	latestReads, historyReads atomic.Int32
	during                    func()
}

func (s *latestStore) History(ctx context.Context, c Conversation, t int64, count int, forward bool) ([]*Message, error) {
	s.historyReads.Add(1)
	return s.testStore.History(ctx, c, t, count, forward)
}

func (s *latestStore) Latest(ctx context.Context, convs []Conversation) ([]*Message, error) {
	s.latestReads.Add(1)
	if s.during != nil {
		s.during()
	}
	out := make([]*Message, len(convs))
	for i, c := range convs {
		if page, err := s.testStore.History(ctx, c, 0, 1, false); err != nil {
			return nil, err
		} else if len(page) == 1 {
			out[i] = page[0]
		}
	}
	return out, nil
}

// A list reads the latest messages its cache lacks with one Latest read
// when the store offers it, and keeps none of a read a write overlapped.
func TestListReadsLatestAtOnce(t *testing.T) {
	var ls *latestStore
	h := newHarness(t, func(cfg *Config) {
		ls = &latestStore{testStore: cfg.Store.(*testStore)}
		cfg.Store = ls
	})
	c := h.connect(nil)
	c.push(from(bob, 1), from(carol, 1), from(grp, 1))
	h.messages()
	ctx := context.Background()
	list := func(when string, want map[Conversation]string) {
		t.Helper()
		page, err := h.e.ConversationsPage(ctx, ConversationQuery{Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		got := map[Conversation]string{}
		for _, ci := range page {
			got[ci.Conversation] = ci.Latest.MessageUID
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: latest %v, want %v", when, got, want)
		}
	}
	reads := func(when string, latest, history int32) {
		t.Helper()
		if l, h := ls.latestReads.Swap(0), ls.historyReads.Swap(0); l != latest || h != history {
			t.Errorf("%s: %d Latest and %d History reads, want %d and %d", when, l, h, latest, history)
		}
	}
	ls.latestReads.Store(0)
	ls.historyReads.Store(0)
	want := map[Conversation]string{bob: uidOf(bob, 1), carol: uidOf(carol, 1), grp: uidOf(grp, 1)}
	list("first list", want)
	reads("first list", 1, 0)
	list("second list", want)
	reads("second list", 0, 0)
	// New messages for two. A write of cursors only during the read that
	// fetches them keeps the read (no message changed).
	c.push(from(bob, 2), from(carol, 2))
	h.messages()
	ls.historyReads.Store(0)
	ls.during = func() { h.e.latest.forget(&Batch{Conversations: []*ConversationState{{Conversation: bob}}}) }
	want[bob], want[carol] = uidOf(bob, 2), uidOf(carol, 2)
	list("a cursor write during the read", want)
	reads("a cursor write during the read", 1, 0)
	list("after it", want)
	reads("after it", 0, 0)
	// A write of a message during the read: the page still uses what it
	// read (as one conversation's own read does), keeps none of it, and
	// reads the conversation the write forgot.
	c.push(from(bob, 3), from(carol, 3))
	h.messages()
	ls.historyReads.Store(0)
	ls.during = func() { h.e.latest.forget(&Batch{Messages: []*Message{{Conversation: grp}}}) }
	want[bob], want[carol] = uidOf(bob, 3), uidOf(carol, 3)
	list("a message write during the read", want)
	reads("a message write during the read", 1, 1) // grp, which the write forgot
	ls.during = nil
	list("after that", want)
	reads("after that", 1, 0) // bob's and carol's again: not kept
	list("and again", want)
	reads("and again", 0, 0)
}

// A page that skips conversations with nothing to show (their messages
// cleared) reads the ones that replace them ahead too, in one more read.
func TestListReadsAheadPastSkipped(t *testing.T) {
	var ls *latestStore
	h := newHarness(t, func(cfg *Config) {
		ls = &latestStore{testStore: cfg.Store.(*testStore)}
		cfg.Store = ls
	})
	c := h.connect(nil)
	var convs []Conversation
	for i := 1; i <= 5; i++ {
		cv := Conversation{Type: Private, TargetID: fmt.Sprint("p", i)}
		convs = append(convs, cv)
		w := from(cv, 1)
		if i >= 4 {
			w = wire(cv, me, 1) // this user's own: nothing unread once cleared
		}
		w.SentTime = baseTime + 10_000 + int64(i)*1000 // p5 newest
		c.push(w)
	}
	for n := 0; n < 5; { // every push held (they may come in several batches) before the clears
		n += len(h.messages())
	}
	for _, cv := range convs[3:] {
		if err := h.e.ClearLocal(cv, baseTime+100_000); err != nil {
			t.Fatal(err)
		}
	}
	h.barrier(c)
	ls.latestReads.Store(0)
	ls.historyReads.Store(0)
	page, err := h.e.ConversationsPage(context.Background(), ConversationQuery{Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ci := range page {
		got = append(got, ci.TargetID)
	}
	if !slices.Equal(got, []string{"p3", "p2", "p1"}) {
		t.Errorf("page %v, want p3 p2 p1 (p5 and p4 hold nothing)", got)
	}
	if l, hr := ls.latestReads.Load(), ls.historyReads.Load(); l != 2 || hr != 0 {
		t.Errorf("%d Latest and %d History reads, want 2 and 0", l, hr)
	}
}

// A conversation's latest message is read in the list, in getConversation
// and in the CONVERSATION event once the user's watermark passes it, as
// getHistoryMessages says, though the device stored it unread.
func TestLatestReadByWatermark(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(carol, 1))
	h.messages()
	ctx := context.Background()
	latest := func(when string, conv Conversation) *Message {
		t.Helper()
		list, err := h.e.ConversationsPage(ctx, ConversationQuery{Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range list {
			if ci.Conversation == conv {
				return ci.Latest
			}
		}
		t.Fatalf("%s: %v not listed", when, conv)
		return nil
	}
	if m := latest("before", bob); m.IsRead {
		t.Fatalf("before reading: bob's latest read")
	}
	before := latest("before", bob)
	errc := make(chan error, 1)
	go func() { errc <- h.e.MarkRead(ctx, bob, 0) }()
	f, _ := next[*pb.Frame_Read](t, c)
	c.ok(f)
	if err := recv(t, errc); err != nil {
		t.Fatal(err)
	}
	ev := h.ev.next(t, EventConversations, func(ev Event) bool {
		return len(ev.Conversations) == 1 && ev.Conversations[0].Conversation == bob && ev.Conversations[0].UnreadCount == 0
	})
	if ev.Conversations[0].Latest == nil || !ev.Conversations[0].Latest.IsRead {
		t.Errorf("CONVERSATION after reading bob: %+v (want bob's latest read)", ev.Conversations)
	}
	if hist, _, err := h.e.GetHistory(ctx, bob, 0, 1, 0); err != nil || len(hist) != 1 || !hist[0].IsRead {
		t.Fatalf("history after reading: %+v, %v", hist, err)
	}
	list, _ := h.e.ConversationsPage(ctx, ConversationQuery{Count: 10})
	for _, ci := range list {
		if want := ci.Conversation == bob; ci.Latest.IsRead != want {
			t.Errorf("list after reading bob: %v's latest read %v, want %v", ci.Conversation, ci.Latest.IsRead, want)
		}
	}
	if before.IsRead {
		t.Errorf("the message the list handed out before changed")
	}
	revs := map[Conversation]uint64{}
	for _, ci := range list {
		revs[ci.Conversation] = ci.LatestRev
	}
	again, _ := h.e.ConversationsPage(ctx, ConversationQuery{Count: 10})
	for _, ci := range again {
		if ci.LatestRev != revs[ci.Conversation] || ci.LatestRev == 0 {
			t.Errorf("list again: %v rev %d, was %d", ci.Conversation, ci.LatestRev, revs[ci.Conversation])
		}
	}
	if ci, err := h.e.Conversation(ctx, bob); err != nil || ci == nil || ci.Latest == nil || !ci.Latest.IsRead {
		t.Errorf("getConversation after reading bob: %+v, %v", ci, err)
	}
	// The server's history gives a held message as the device's history does.
	done := make(chan []*Message, 1)
	go func() {
		ms, _, err := h.e.RemoteHistory(ctx, bob, 0, 1, OrderOlder)
		if err != nil {
			t.Error(err)
		}
		done <- ms
	}()
	f, _ = next[*pb.Frame_History](t, c)
	c.reply(f, &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: []*pb.Message{from(bob, 1)}}})
	if ms := recv(t, done); len(ms) != 1 || ms[0].MessageID == 0 || !ms[0].IsRead {
		t.Errorf("remote history after reading bob: %+v (want the held message, read)", ms)
	}
	// A message the user sent from another device is read, as one sent here.
	c.push(wire(carol, me, 2))
	h.messages()
	if ms, _, err := h.e.GetHistory(ctx, carol, 0, 1, 0); err != nil || len(ms) != 1 || ms[0].Direction != DirectionSend || !ms[0].IsRead {
		t.Errorf("a message sent from another device: %+v, %v", ms, err)
	}
}

// The CONVERSATION event shows the newest message as the latest, not an
// older one a recall in the same batch changed.
func TestConversationEventLatestIsTheNewest(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1))
	h.barrier(c)
	c.push(from(bob, 2), recallMarker(bob, 3, uidOf(bob, 1), "bob"))
	h.barrier(c)
	evs := h.ev.all(EventConversations)
	var last *ConversationInfo
	for _, ev := range evs {
		for i := range ev.Conversations {
			if ev.Conversations[i].Conversation == bob {
				last = &ev.Conversations[i]
			}
		}
	}
	if last == nil || last.Latest == nil || last.Latest.Seq != 2 {
		t.Fatalf("the last CONVERSATION event's latest for bob: %+v (want seq 2, the newest)", last)
	}
}
