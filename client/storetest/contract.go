package storetest

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/imwasm/imwasm/client"
)

var sendsTests = []test{
	{"a new send gets a local id", 0, func(s *store) {
		a, b := sending(alice, "c1", 100), sending(group, "c2", 101)
		s.put(a, b)
		if a.MessageID == 0 || b.MessageID == 0 || a.MessageID == b.MessageID {
			s.t.Fatalf("ids %d and %d: want two new ones", a.MessageID, b.MessageID)
		}
		got := s.byID(a.MessageID, b.MessageID)
		s.same("by id", got[0], a)
		s.same("by id", got[1], b)
		s.same("by client id", s.byCID("c1"), a)
		if p := s.pending(); len(p) != 2 || p[0].MessageID != min(a.MessageID, b.MessageID) || p[1].MessageID != max(a.MessageID, b.MessageID) {
			s.t.Errorf("pending %v, want both", ids(p))
		}
	}},
	{"a send is replaced in place", 0, func(s *store) {
		m := sending(alice, "c1", 100)
		s.put(m)
		id := m.MessageID
		steps := []struct {
			name    string
			change  func(m *client.Message)
			pending bool
		}{
			{"failed", func(m *client.Message) { m.SentStatus = client.StatusFailed }, false},
			{"resending", func(m *client.Message) { m.SentStatus = client.StatusSending }, true},
			{"acknowledged", func(m *client.Message) {
				m.SentStatus, m.MessageUID, m.Seq, m.SentTime = client.StatusSent, "u1", 4, 200
			}, false},
			{"read by the peer", func(m *client.Message) { m.SentStatus = client.StatusRead }, false},
		}
		for _, st := range steps {
			cur := s.byCID("c1")
			if cur == nil {
				s.t.Fatalf("%s: the send is gone", st.name)
			}
			st.change(cur)
			s.put(cur)
			if cur.MessageID != id {
				s.t.Fatalf("%s: local id %d, want %d", st.name, cur.MessageID, id)
			}
			s.same(st.name+": by id", s.byID(id)[0], cur)
			s.same(st.name+": by client id", s.byCID("c1"), cur)
			if p := s.pending(); st.pending != (len(p) == 1) || len(p) > 1 {
				s.t.Errorf("%s: pending %v", st.name, ids(p))
			}
		}
		s.same("by server id once acknowledged", s.byUID("u1")[0], s.byID(id)[0])
	}},
	{"a received message never shadows a send", 0, func(s *store) {
		theirs := received(alice, "u9", 1, 100)
		theirs.ClientMsgID = "c1" // client ids are unique per sender only
		mine := sending(alice, "c1", 200)
		other := received(bob, "u8", 1, 100)
		other.ClientMsgID = "r1"
		s.put(theirs, mine, other)
		if got := s.byCID("c1"); got == nil || got.MessageID != mine.MessageID {
			s.t.Errorf("by client id c1: %v, want the send %d", got, mine.MessageID)
		}
		if got := s.byCID("r1"); got != nil {
			s.t.Errorf("a received message found as a send: %v", show(got))
		}
	}},
	{"unknown ids find nothing", 0, func(s *store) {
		m := sending(alice, "c1", 100)
		s.put(m)
		if got := s.byCID("nope"); got != nil {
			s.t.Errorf("unknown client id: %v", show(got))
		}
		got := s.byID(m.MessageID+1000, m.MessageID, m.MessageID)
		if got[0] != nil || got[1] == nil || got[2] == nil || got[1].MessageID != m.MessageID {
			s.t.Errorf("by id: %v", got)
		}
		if got := s.byUID("", "nope"); got[0] != nil || got[1] != nil {
			s.t.Errorf("by uid: %v", got)
		}
	}},
	// A send before its answer has no server id to find it by.
	{"the same new send twice in a batch is one record", History, func(s *store) {
		m := sending(alice, "c1", 100)
		s.put(m, m)
		if h := s.history(alice, 0, 10, true); len(h) != 1 || h[0].MessageID != m.MessageID {
			s.t.Errorf("history %v, want one record %d", ids(h), m.MessageID)
		}
		if p := s.pending(); len(p) != 1 || p[0].MessageID != m.MessageID {
			s.t.Errorf("pending %v, want one record %d", ids(p), m.MessageID)
		}
	}},
	{"pending holds the sends still SENDING", 0, func(s *store) {
		a, b := sending(alice, "c1", 100), sending(bob, "c2", 100)
		failed := sending(alice, "c3", 100)
		failed.SentStatus = client.StatusFailed
		sent := sending(alice, "c4", 100)
		sent.SentStatus, sent.MessageUID, sent.SentTime = client.StatusSent, "u4", 150
		s.put(a, failed, sent, received(alice, "u5", 5, 100), b)
		if got := ids(s.pending()); !equal(got, []string{"c1", "c2"}) {
			s.t.Errorf("pending %v, want c1 and c2", got)
		}
	}},
}

var receivedIDsTests = []test{
	{"a received message is found by its server id", 0, func(s *store) {
		a, b := received(alice, "u1", 1, 100), received(group, "u2", 1, 100)
		mine := sending(alice, "c1", 100)
		s.put(a, mine, b)
		if a.MessageID == 0 || b.MessageID == 0 || a.MessageID == b.MessageID || mine.MessageID == a.MessageID || mine.MessageID == b.MessageID {
			s.t.Fatalf("ids %d %d %d", a.MessageID, b.MessageID, mine.MessageID)
		}
		got := s.byUID("u2", "nope", "u1", "", "u2")
		want := []int64{b.MessageID, 0, a.MessageID, 0, b.MessageID}
		for i, m := range got {
			var id int64
			if m != nil {
				id = m.MessageID
				if m.MessageUID == "" {
					s.t.Errorf("%d: found without its server id", i)
				}
			}
			if id != want[i] {
				s.t.Errorf("by uid %d: local id %d, want %d", i, id, want[i])
			}
		}
	}},
	// A sync asks for hundreds at once (a store may read them as one range
	// of the index: with few other records in it, and with many).
	{"many server ids at once, among many other messages", 0, func(s *store) {
		var all []*client.Message
		for i := range 240 {
			all = append(all, received(alice, fmt.Sprintf("u%03d", i), uint64(i+1), int64(100+i)))
		}
		s.put(all...)
		for _, asked := range [][]string{
			{"u105", "u106", "u106x", "u107", "u110", "u111", "u112", "u113", "u120", "u121", "u122", "u106"}, // a narrow range
			{"u000", "u239", "u100", "u1", "u050", "u051", "u052", "u053", "u200", "", "v"},                   // most of the store
		} {
			got := s.byUID(asked...)
			for i, u := range asked {
				var want int64
				if n, err := strconv.Atoi(strings.TrimPrefix(u, "u")); err == nil && len(u) == 4 {
					want = all[n].MessageID
				}
				var id int64
				if got[i] != nil {
					id = got[i].MessageID
					if got[i].MessageUID != u {
						s.t.Errorf("asked %q, got %q", u, got[i].MessageUID)
					}
				}
				if id != want {
					s.t.Errorf("by uid %q: local id %d, want %d", u, id, want)
				}
			}
			for i := range asked {
				for j := i + 1; j < len(asked); j++ {
					if got[i] != nil && got[i] == got[j] {
						s.t.Errorf("%q twice in the answer as one value: each must be its own copy", asked[i])
					}
				}
			}
		}
	}},
}

var receivedTests = []test{
	{"received messages are kept whole", 0, func(s *store) {
		m := full(alice, "u1")
		s.put(m)
		s.same("by id", s.byID(m.MessageID)[0], m)
		s.same("by uid", s.byUID("u1")[0], m)
	}},
	{"found by ids in order", 0, func(s *store) {
		a, b := received(alice, "u1", 1, 100), received(group, "u2", 1, 100)
		s.put(a, b)
		got := s.byID(b.MessageID, a.MessageID+b.MessageID+1000, a.MessageID, b.MessageID)
		s.same("0", got[0], b)
		s.same("1", got[1], nil)
		s.same("2", got[2], a)
		s.same("3", got[3], b)
	}},
	{"replaced by local id", 0, func(s *store) {
		m := received(group, "u1", 1, 100)
		s.put(m)
		cur := s.byID(m.MessageID)[0]
		cur.ObjectName, cur.Content, cur.IsCounted = "RC:RcNtf", []byte(`{"recalled":true}`), false
		cur.Receipt = &client.ReceiptInfo{IsRequest: true, HasRespond: true}
		s.put(cur)
		if cur.MessageID != m.MessageID {
			s.t.Fatalf("replaced with id %d, was %d", cur.MessageID, m.MessageID)
		}
		s.same("by id", s.byID(m.MessageID)[0], cur)
		s.same("by uid", s.byUID("u1")[0], cur)
	}},
}

// threeTimes puts u1 (100), u2 (200), u3 (200) and u4 (300) in alice, one
// message in group and one in its channel.
func threeTimes(s *store) {
	s.put(received(alice, "u1", 1, 100), received(alice, "u2", 2, 200), received(alice, "u3", 3, 200),
		received(group, "g1", 1, 150), received(channel, "ch1", 1, 150))
	s.put(received(alice, "u4", 4, 300))
}

var historyTests = []test{
	{"pages by time", 0, func(s *store) {
		threeTimes(s)
		unknown := client.Conversation{Type: client.Private, TargetID: "nobody"}
		for _, tt := range []struct {
			name    string
			conv    client.Conversation
			at      int64
			count   int
			forward bool
			want    []string
		}{
			{"newest first", alice, 0, 10, false, []string{"u4", "u3", "u2", "u1"}},
			{"newest two", alice, 0, 2, false, []string{"u4", "u3"}},
			{"before a time, exclusive", alice, 300, 10, false, []string{"u3", "u2", "u1"}},
			{"before a time shared by two", alice, 200, 10, false, []string{"u1"}},
			{"before a time between", alice, 250, 1, false, []string{"u3"}},
			{"nothing before", alice, 100, 10, false, []string{}},
			{"oldest first", alice, 0, 10, true, []string{"u1", "u2", "u3", "u4"}},
			{"oldest two", alice, 0, 2, true, []string{"u1", "u2"}},
			{"after a time, exclusive", alice, 100, 10, true, []string{"u2", "u3", "u4"}},
			{"after a time shared by two", alice, 200, 10, true, []string{"u4"}},
			{"after a time between", alice, 150, 1, true, []string{"u2"}},
			{"nothing after", alice, 300, 10, true, []string{}},
			{"count zero", alice, 0, 0, false, []string{}},
			{"another conversation", group, 0, 10, false, []string{"g1"}},
			{"a channel is a conversation of its own", channel, 0, 10, true, []string{"ch1"}},
			{"an unknown conversation", unknown, 0, 10, false, []string{}},
		} {
			if got := s.historyUIDs(tt.conv, tt.at, tt.count, tt.forward); !equal(got, tt.want) {
				s.t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
			}
		}
	}},
	{"Latest gives each conversation's newest, as History does", 0, func(s *store) {
		lr, ok := s.s.(client.LatestReader)
		if !ok {
			s.t.Skip("not a client.LatestReader (optional)")
		}
		threeTimes(s)
		s.put(sending(group, "c1", 900)) // placed by its received time
		unknown := client.Conversation{Type: client.Private, TargetID: "nobody"}
		convs := []client.Conversation{alice, unknown, group, channel, alice}
		got, err := lr.Latest(s.ctx, convs)
		if err != nil || len(got) != len(convs) {
			s.t.Fatalf("Latest: %d messages for %d conversations, %v", len(got), len(convs), err)
		}
		for i, c := range convs {
			want := s.history(c, 0, 1, false)
			switch {
			case len(want) == 0 && got[i] != nil:
				s.t.Errorf("%d (%v): %s, want none", i, c, show(got[i]))
			case len(want) == 1:
				s.same(fmt.Sprintf("%d (%v)", i, c), got[i], want[0])
			}
		}
		if got[0] == nil || got[0].MessageUID != "u4" || got[2] == nil || got[2].ClientMsgID != "c1" || got[3] == nil || got[3].MessageUID != "ch1" {
			s.t.Errorf("newest of alice %s, of the group %s, of its channel %s: want u4, c1 and ch1", show(got[0]), show(got[2]), show(got[3]))
		}
		if none, err := lr.Latest(s.ctx, nil); err != nil || len(none) != 0 {
			s.t.Errorf("Latest of no conversations: %v, %v", none, err)
		}
	}},
	{"a send is placed by its received time until it has a sent time", 0, func(s *store) {
		threeTimes(s)
		m := sending(alice, "c1", 250)
		failed := sending(alice, "c2", 50)
		failed.SentStatus = client.StatusFailed
		s.put(m, failed)
		if got := s.all(alice); !equal(got, []string{"c2", "u1", "u2", "u3", "c1", "u4"}) {
			s.t.Errorf("history %v", got)
		}
		if got := s.historyUIDs(alice, 251, 1, false); !equal(got, []string{"c1"}) {
			s.t.Errorf("before 251: %v", got)
		}
		m.SentStatus, m.MessageUID, m.SentTime = client.StatusSent, "u5", 400
		s.put(m)
		if got := s.historyUIDs(alice, 0, 2, false); !equal(got, []string{"u5", "u4"}) {
			s.t.Errorf("acknowledged: %v", got)
		}
	}},
	{"a record changed in place is listed once", 0, func(s *store) {
		threeTimes(s)
		m := s.byUID("u1")[0]
		m.SentTime = 500
		s.put(m)
		if got := s.all(alice); !equal(got, []string{"u2", "u3", "u4", "u1"}) {
			s.t.Errorf("history %v", got)
		}
	}},
	{"the same new message twice in a batch is one record", 0, func(s *store) {
		m := received(alice, "u1", 1, 100)
		s.put(m, received(alice, "u2", 2, 200), m)
		if got := s.all(alice); !equal(got, []string{"u1", "u2"}) {
			s.t.Errorf("history %v", got)
		}
		if got := s.byUID("u1")[0]; got == nil || got.MessageID != m.MessageID {
			s.t.Errorf("by uid: %v, want id %d", got, m.MessageID)
		}
	}},
	{"messages come whole", 0, func(s *store) {
		m := full(alice, "u1")
		s.put(m)
		if got := s.history(alice, 0, 1, false); len(got) != 1 {
			s.t.Fatalf("history %v", ids(got))
		} else {
			s.same("history", got[0], m)
		}
	}},
}

var deletesTests = []test{
	// A send made at 50 (its place while SENDING) is acknowledged, sent at
	// 200, in the batch that clears its conversation up to 100 (a clear
	// made elsewhere before the server committed it): deletions apply
	// after the batch's messages are put, so it stays.
	{"a clear judges a message by its place after the batch", History, func(s *store) {
		m := sending(alice, "c1", 50)
		s.put(m)
		acked := m.Clone()
		acked.MessageUID, acked.Seq, acked.SentTime, acked.SentStatus = "u1", 1, 200, client.StatusSent
		s.apply(&client.Batch{Messages: []*client.Message{acked}, Clears: []client.Clear{{Conversation: alice, Before: 100}}})
		if got := s.byID(m.MessageID)[0]; got == nil {
			s.t.Fatal("the message sent at 200 is gone after a clear up to 100")
		}
		if got := s.all(alice); !equal(got, []string{"u1"}) {
			s.t.Errorf("history %v", got)
		}
	}},
	{"deleted by server id", 0, func(s *store) {
		threeTimes(s)
		gone := s.byUID("u2")[0]
		s.apply(&client.Batch{DeleteUIDs: []string{"u2", "unknown"}})
		if got := s.all(alice); !equal(got, []string{"u1", "u3", "u4"}) {
			s.t.Errorf("history %v", got)
		}
		if got := s.byUID("u2")[0]; got != nil {
			s.t.Errorf("by uid: %v", show(got))
		}
		if got := s.byID(gone.MessageID)[0]; got != nil {
			s.t.Errorf("by id: %v", show(got))
		}
		// Its local id is not given again.
		m := received(alice, "u9", 9, 900)
		s.put(m)
		if m.MessageID == gone.MessageID {
			s.t.Errorf("local id %d given again", m.MessageID)
		}
	}},
	{"cleared at or before a time", 0, func(s *store) {
		threeTimes(s)
		s.put(sending(alice, "c1", 150), sending(alice, "c2", 250))
		s.apply(&client.Batch{Clears: []client.Clear{{Conversation: alice, Before: 200}}})
		if got := s.all(alice); !equal(got, []string{"c2", "u4"}) {
			s.t.Errorf("alice %v", got)
		}
		if got := s.byCID("c1"); got != nil {
			s.t.Errorf("a cleared send found: %v", show(got))
		}
		if got := s.all(group); !equal(got, []string{"g1"}) {
			s.t.Errorf("group %v: another conversation cleared", got)
		}
		s.apply(&client.Batch{Clears: []client.Clear{{Conversation: channel, Before: 1000}}})
		if got, ch := s.all(group), s.all(channel); !equal(got, []string{"g1"}) || len(ch) != 0 {
			s.t.Errorf("group %v, channel %v: want the channel cleared alone", got, ch)
		}
	}},
	{"deletions apply after the batch's messages", 0, func(s *store) {
		threeTimes(s)
		s.apply(&client.Batch{
			Messages:   []*client.Message{received(alice, "u5", 5, 50), received(alice, "u6", 6, 600), received(alice, "u7", 7, 700)},
			DeleteUIDs: []string{"u7", "u4"},
			Clears:     []client.Clear{{Conversation: alice, Before: 100}},
		})
		if got := s.all(alice); !equal(got, []string{"u2", "u3", "u6"}) {
			s.t.Errorf("history %v", got)
		}
		if got := s.byUID("u5", "u7"); got[0] != nil || got[1] != nil {
			s.t.Errorf("put and removed in one batch, yet found: %v", got)
		}
	}},
}

// fullState is a cursor with every field set.
func fullState(c client.Conversation) *client.ConversationState {
	return &client.ConversationState{
		Conversation: c, Contiguous: 9, StartSeq: 2, HeldFrom: 3, LastSeq: 10, ReadSeq: 8, LastTime: 1700000000000,
		Unread: 2, Mentioned: true, PeerReadSeq: 7, PeerDeliveredSeq: 9, ReadSynced: 8,
		Requests: []client.CachedRequest{{MessageUID: "r1", Sender: "carol", ReceivedAt: 1}, {MessageUID: "r2", Sender: "dave", ReceivedAt: 2}},
		Settings: client.Settings{IsTop: true, NotificationLevel: client.NotifyNothing, SettingsTime: 1700000000001},
		Draft:    "half a thought 😀", DraftTime: 1700000000002,
		Mentions:     1,
		ServerCounts: client.ServerCounts{CountSeq: 10, CountRead: 5, CountUnread: 1500, CountMentions: 3},
	}
}

var cursorsTests = []test{
	{"none at first", 0, func(s *store) {
		if got := s.cursors(); len(got) != 0 {
			s.t.Errorf("cursors %v", got)
		}
	}},
	{"kept whole, one per conversation", 0, func(s *store) {
		a, g, ch := fullState(alice), fullState(group), fullState(channel)
		g.Unread, ch.Unread = 5, 6
		s.apply(&client.Batch{Conversations: []*client.ConversationState{a, g, ch}})
		got := s.cursors()
		if len(got) != 3 {
			s.t.Fatalf("%d cursors, want 3", len(got))
		}
		s.sameState("alice", got[0], a)
		s.sameState("group", got[1], g)
		s.sameState("channel", got[2], ch)
	}},
	{"replaced whole", 0, func(s *store) {
		s.apply(&client.Batch{Conversations: []*client.ConversationState{fullState(alice), fullState(group)}})
		// The sequence numbers move on; everything else may go either way.
		next := &client.ConversationState{
			Conversation: alice, Contiguous: 12, StartSeq: 2, HeldFrom: 1, LastSeq: 12, ReadSeq: 12, LastTime: 1700000000100,
			Unread: 0, Mentioned: false, PeerReadSeq: 11, PeerDeliveredSeq: 12, ReadSynced: 12,
			Requests:  []client.CachedRequest{{MessageUID: "r2", Sender: "dave", ReceivedAt: 2}},
			Settings:  client.Settings{IsTop: false, NotificationLevel: client.NotifyAll, SettingsTime: 1700000000200},
			DraftTime: 1700000000300, // the draft cleared since
		}
		s.apply(&client.Batch{Conversations: []*client.ConversationState{next}})
		got := s.cursors()
		if len(got) != 2 {
			s.t.Fatalf("%d cursors, want 2", len(got))
		}
		s.sameState("alice", got[0], next)
		s.sameState("group", got[1], fullState(group))
		emptied := *next
		emptied.Requests = nil
		s.apply(&client.Batch{Conversations: []*client.ConversationState{&emptied}})
		if got := s.cursors()[0]; len(got.Requests) != 0 {
			s.t.Errorf("requests %v after they were all answered", got.Requests)
		}
	}},
}

var metaTests = []test{
	{"set, replaced, deleted", 0, func(s *store) {
		if v := s.meta("k1"); v != nil {
			s.t.Errorf("missing key: %q", v)
		}
		s.apply(&client.Batch{Meta: map[string][]byte{"k1": []byte("1"), "k2": []byte("two")}})
		if a, b := s.meta("k1"), s.meta("k2"); string(a) != "1" || string(b) != "two" {
			s.t.Errorf("meta %q %q", a, b)
		}
		s.apply(&client.Batch{Meta: map[string][]byte{"k1": []byte("12345")}})
		s.put(sending(alice, "c1", 1)) // a batch without meta leaves it
		if a, b := s.meta("k1"), s.meta("k2"); string(a) != "12345" || string(b) != "two" {
			s.t.Errorf("meta %q %q", a, b)
		}
		s.apply(&client.Batch{Meta: map[string][]byte{"k2": nil}})
		if a, b := s.meta("k1"), s.meta("k2"); string(a) != "12345" || b != nil {
			s.t.Errorf("meta %q %q after deleting k2", a, b)
		}
	}},
	{"bytes that are no UTF-8 kept as they are (the tags' protobuf)", 0, func(s *store) {
		v := []byte{0x18, 0x80, 0xd0, 0x95, 0xff, 0xbc, 0x31, 0x00}
		s.apply(&client.Batch{Meta: map[string][]byte{"bin": v}})
		if got := s.meta("bin"); !bytes.Equal(got, v) {
			s.t.Errorf("meta % x, want % x", got, v)
		}
	}},
}

// snapshot is what a store shows of the records the atomicity tests use.
type snapshot struct {
	byUID   []*client.Message
	cursors []client.ConversationState
	meta    []string
	pending []string
}

func (s *store) snapshot(uids ...string) snapshot {
	s.t.Helper()
	var sn snapshot
	for _, m := range s.byUID(uids...) {
		sn.byUID = append(sn.byUID, normal(m))
	}
	for _, c := range s.cursors() {
		sn.cursors = append(sn.cursors, normalState(c))
	}
	for _, k := range []string{"k1", "k2"} {
		sn.meta = append(sn.meta, string(s.meta(k)))
	}
	sn.pending = ids(s.pending())
	return sn
}

var atomicTests = []test{
	// After the batch the id belongs to one record, whatever order the
	// batch gives the two in: a new record takes it, and the record holding
	// it gives it up later in the same batch.
	{"a server id passes to a new record within a batch", 0, func(s *store) {
		old := received(alice, "u1", 1, 100)
		s.put(old)
		fresh := received(alice, "u1", 2, 200)
		moved := s.byUID("u1")[0]
		moved.MessageUID = "u1-old"
		s.apply(&client.Batch{
			Messages:      []*client.Message{fresh, moved},
			Conversations: []*client.ConversationState{{Conversation: alice, Contiguous: 2, LastSeq: 2}},
		})
		got := s.byUID("u1", "u1-old")
		if got[0] == nil || got[0].MessageID != fresh.MessageID || got[0].Seq != 2 {
			s.t.Errorf("u1: %v, want the new record %d", got[0], fresh.MessageID)
		}
		if got[1] == nil || got[1].MessageID != old.MessageID {
			s.t.Errorf("u1-old: %v, want the old record %d", got[1], old.MessageID)
		}
		if c := s.cursors(); len(c) != 1 || c[0].LastSeq != 2 {
			s.t.Errorf("cursors %v", c)
		}
	}},
	{"a refused batch changes nothing", 0, func(s *store) {
		u1, u2, u3 := received(alice, "u1", 1, 100), received(alice, "u2", 2, 200), received(alice, "u3", 3, 300)
		s.apply(&client.Batch{
			Messages:      []*client.Message{u1, u2, u3},
			Conversations: []*client.ConversationState{{Conversation: alice, Contiguous: 3, LastSeq: 3}},
			Meta:          map[string][]byte{"k1": []byte("v1")},
		})
		before := s.snapshot("u1", "u2", "u3", "n1")
		batch := func(collide bool) (*client.Batch, *client.Message) {
			n1 := received(group, "n1", 1, 100)
			taken := s.byUID("u2")[0]
			if collide {
				taken.MessageUID = "u1" // u1 keeps it: refused
			} else {
				taken.Content = []byte(`{"changed":true}`)
			}
			return &client.Batch{
				Messages:      []*client.Message{n1, sending(alice, "c1", 400), taken},
				Conversations: []*client.ConversationState{{Conversation: alice, Contiguous: 4, LastSeq: 4}, {Conversation: group, Contiguous: 1, LastSeq: 1}},
				Meta:          map[string][]byte{"k1": []byte("changed"), "k2": []byte("new")},
				DeleteUIDs:    []string{"u3"},
				Clears:        []client.Clear{{Conversation: alice, Before: 100}},
			}, n1
		}
		b, n1 := batch(true)
		if err := s.s.Apply(s.ctx, b); err == nil {
			s.t.Fatal("a record taking another's server id was accepted")
		}
		if n1.MessageID != 0 {
			s.t.Errorf("a refused batch gave id %d", n1.MessageID)
		}
		if after := s.snapshot("u1", "u2", "u3", "n1"); !equalSnapshots(before, after) {
			s.t.Errorf("a refused batch changed the store:\nbefore %+v\nafter  %+v", before, after)
		}
		// Without the bad item it lands whole.
		b, n1 = batch(false)
		s.apply(b)
		got := s.byUID("u1", "u2", "u3", "n1")
		if got[0] != nil || got[1] == nil || string(got[1].Content) != `{"changed":true}` || got[2] != nil || got[3] == nil || got[3].MessageID != n1.MessageID {
			s.t.Errorf("the good batch: %v", got)
		}
		if cs := s.cursors(); len(cs) != 2 || cs[0].Contiguous != 4 {
			s.t.Errorf("cursors %+v", cs)
		}
		if v := s.meta("k2"); string(v) != "new" {
			s.t.Errorf("meta %q", v)
		}
	}},
}

func equalSnapshots(a, b snapshot) bool { return reflect.DeepEqual(a, b) }

var cancelTests = []test{
	{"a cancelled Apply changes nothing", 0, func(s *store) {
		ctx, cancel := context.WithCancel(s.ctx)
		cancel()
		m := sending(alice, "c1", 100)
		err := s.s.Apply(ctx, &client.Batch{
			Messages:      []*client.Message{m},
			Conversations: []*client.ConversationState{{Conversation: alice, LastSeq: 1}},
			Meta:          map[string][]byte{"k1": []byte("v")},
		})
		if err == nil {
			s.t.Fatal("a cancelled Apply succeeded")
		}
		if m.MessageID != 0 {
			s.t.Errorf("gave id %d", m.MessageID)
		}
		if got := s.byCID("c1"); got != nil {
			s.t.Errorf("stored %v", show(got))
		}
		if cs, v := s.cursors(), s.meta("k1"); len(cs) != 0 || v != nil {
			s.t.Errorf("cursors %v, meta %q", cs, v)
		}
	}},
}

// ownFull is full as one of this user's sends (what every store keeps).
func ownFull() *client.Message {
	m := full(alice, "u1")
	m.Direction, m.SenderUserID, m.SentStatus, m.ClientMsgID = client.DirectionSend, "me", client.StatusSending, "c1"
	m.MessageUID, m.SentTime = "", 0
	return m
}

// mutate changes everything mutable m holds.
func mutate(m *client.Message) {
	m.Content[0] = 'X'
	m.PushConfig[0] = 'X'
	m.DirectedUserIDs[0] = "X"
	m.MentionedInfo.UserIDs[0] = "X"
	m.MentionedInfo.Content = "X"
	m.Expansion["k"] = "X"
	m.Receipt.Readers[0].UserID = "X"
	m.Receipt.ReadCount = 99
	m.ObjectName = "X"
}

var isolationTests = []test{
	{"what Apply was given", 0, func(s *store) {
		m := ownFull()
		st := fullState(alice)
		v := []byte("value")
		s.apply(&client.Batch{Messages: []*client.Message{m}, Conversations: []*client.ConversationState{st}, Meta: map[string][]byte{"k1": v}})
		want, wantState := m.Clone(), *st
		wantState.Requests = slices.Clone(st.Requests)
		mutate(m)
		st.Requests[0].MessageUID, st.LastSeq = "X", 99
		v[0] = 'X'
		s.same("by id", s.byID(want.MessageID)[0], want)
		s.same("by client id", s.byCID("c1"), want)
		s.sameState("cursor", s.cursors()[0], &wantState)
		if got := s.meta("k1"); string(got) != "value" {
			s.t.Errorf("meta %q", got)
		}
	}},
	{"what reads returned", 0, func(s *store) {
		m := ownFull()
		s.apply(&client.Batch{Messages: []*client.Message{m}, Conversations: []*client.ConversationState{fullState(alice)}, Meta: map[string][]byte{"k1": []byte("value")}})
		want := m.Clone()
		reads := map[string]func() *client.Message{
			"by id":        func() *client.Message { return s.byID(want.MessageID)[0] },
			"by client id": func() *client.Message { return s.byCID("c1") },
			"pending": func() *client.Message {
				if p := s.pending(); len(p) == 1 {
					return p[0]
				}
				return nil
			},
		}
		for name, read := range reads {
			if got := read(); got == nil {
				s.t.Fatalf("%s: not found", name)
			} else {
				mutate(got)
			}
		}
		for name, read := range reads {
			s.same(name+" after changing what was read", read(), want)
		}
		cs := s.cursors()
		cs[0].Requests[0].MessageUID, cs[0].LastSeq = "X", 99
		s.sameState("cursor after changing what was read", s.cursors()[0], fullState(alice))
		v := s.meta("k1")
		v[0] = 'X'
		if got := s.meta("k1"); string(got) != "value" {
			s.t.Errorf("meta %q after changing what was read", got)
		}
	}},
	{"what reads of received messages returned", Received | History, func(s *store) {
		m := full(alice, "u1")
		s.put(m)
		want := m.Clone()
		reads := map[string]func() *client.Message{
			"by id":  func() *client.Message { return s.byID(want.MessageID)[0] },
			"by uid": func() *client.Message { return s.byUID("u1")[0] },
			"history": func() *client.Message {
				if h := s.history(alice, 0, 1, false); len(h) == 1 {
					return h[0]
				}
				return nil
			},
		}
		for name, read := range reads {
			if got := read(); got == nil {
				s.t.Fatalf("%s: not found", name)
			} else {
				mutate(got)
			}
		}
		for name, read := range reads {
			s.same(name+" after changing what was read", read(), want)
		}
	}},
}
