package memstore

import (
	"context"
	"errors"
	"math/rand"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/imwasm/imwasm/client"
)

var (
	ctx   = context.Background()
	alice = client.Conversation{Type: client.Private, TargetID: "alice"}
	bob   = client.Conversation{Type: client.Private, TargetID: "bob"}
	grp   = client.Conversation{Type: client.Group, TargetID: "g1"}
)

func msg(conv client.Conversation, sent, recv int64) *client.Message {
	return &client.Message{Conversation: conv, SentTime: sent, ReceivedTime: recv, ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`)}
}

func send(conv client.Conversation, cid string, status int32) *client.Message {
	m := msg(conv, 0, 1000)
	m.Direction = client.DirectionSend
	m.ClientMsgID = cid
	m.SentStatus = status
	return m
}

func mustApply(t *testing.T, s *Store, b *client.Batch) {
	t.Helper()
	if err := s.Apply(ctx, b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func put(t *testing.T, s *Store, ms ...*client.Message) {
	t.Helper()
	mustApply(t, s, &client.Batch{Messages: ms})
}

func get(t *testing.T, s *Store, id int64) *client.Message {
	t.Helper()
	ms, err := s.MessagesByID(ctx, []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	return ms[0]
}

func byUID(t *testing.T, s *Store, uid string) *client.Message {
	t.Helper()
	ms, err := s.MessagesByUID(ctx, []string{uid})
	if err != nil {
		t.Fatal(err)
	}
	return ms[0]
}

func byCID(t *testing.T, s *Store, cid string) *client.Message {
	t.Helper()
	m, err := s.MessageByClientID(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func historyIDs(t *testing.T, s *Store, conv client.Conversation, at int64, count int, forward bool) []int64 {
	t.Helper()
	ms, err := s.History(ctx, conv, at, count, forward)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, m := range ms {
		ids = append(ids, m.MessageID)
	}
	return ids
}

func idOf(m *client.Message) int64 {
	if m == nil {
		return 0
	}
	return m.MessageID
}

func TestIDAssignment(t *testing.T) {
	same := msg(alice, 5, 5)
	tests := []struct {
		name  string
		batch []*client.Message
		want  []int64 // MessageID written back, per item
	}{
		{"first", []*client.Message{msg(alice, 1, 1), msg(bob, 2, 2)}, []int64{1, 2}},
		{"continues", []*client.Message{msg(alice, 3, 3)}, []int64{3}},
		{"replace keeps id", []*client.Message{{Conversation: alice, MessageID: 2, SentTime: 4}}, []int64{2}},
		{"mixed", []*client.Message{msg(grp, 1, 1), {Conversation: bob, MessageID: 1, SentTime: 9}, msg(grp, 2, 2)}, []int64{4, 1, 5}},
		{"same pointer twice is one record", []*client.Message{same, same}, []int64{6, 6}},
		{"new id then replaced in same batch", []*client.Message{msg(alice, 7, 7), {Conversation: alice, MessageID: 7, SentTime: 8}}, []int64{7, 7}},
	}
	s := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put(t, s, tt.batch...)
			for i, m := range tt.batch {
				if m.MessageID != tt.want[i] {
					t.Errorf("item %d: MessageID %d, want %d", i, m.MessageID, tt.want[i])
				}
				if got := get(t, s, tt.want[i]); got == nil || got.MessageID != tt.want[i] {
					t.Errorf("item %d: stored record %v", i, got)
				}
			}
		})
	}
	if got := get(t, s, 8); got != nil {
		t.Errorf("unexpected record 8: %+v", got)
	}
	if got := get(t, s, 7); got.SentTime != 8 {
		t.Errorf("later item of a batch should win: SentTime %d", got.SentTime)
	}
	// A failed batch writes back nothing, and its ids are not handed out.
	bad := msg(alice, 10, 10)
	if err := s.Apply(ctx, &client.Batch{Messages: []*client.Message{bad, nil}}); err == nil {
		t.Fatal("want error")
	}
	if bad.MessageID != 0 {
		t.Errorf("failed batch wrote back id %d", bad.MessageID)
	}
	put(t, s, bad)
	if bad.MessageID != 8 {
		t.Errorf("next id %d, want 8", bad.MessageID)
	}
}

func TestReplaceInPlace(t *testing.T) {
	s := New()
	m := send(alice, "c1", client.StatusSending)
	put(t, s, m)
	id := m.MessageID
	steps := []struct {
		name   string
		update func(m *client.Message)
	}{
		{"failed", func(m *client.Message) { m.SentStatus = client.StatusFailed }},
		{"resending", func(m *client.Message) { m.SentStatus = client.StatusSending }},
		{"sent", func(m *client.Message) {
			m.SentStatus = client.StatusSent
			m.MessageUID = "U1"
			m.Seq = 7
			m.SentTime = 5000
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			cur := get(t, s, id)
			st.update(cur)
			put(t, s, cur)
			if cur.MessageID != id {
				t.Fatalf("id changed to %d", cur.MessageID)
			}
			got := get(t, s, id)
			if !reflect.DeepEqual(got, cur) {
				t.Errorf("stored %+v, want %+v", got, cur)
			}
			if ids := historyIDs(t, s, alice, 0, 10, false); !slices.Equal(ids, []int64{id}) {
				t.Errorf("history %v, want one record", ids)
			}
			if c := byCID(t, s, "c1"); idOf(c) != id || c.SentStatus != cur.SentStatus {
				t.Errorf("by client id: %+v", c)
			}
		})
	}
	if got := byUID(t, s, "U1"); idOf(got) != id {
		t.Errorf("by uid: %+v", got)
	}
	if s.lastID != 1 || len(s.msgs) != 1 {
		t.Errorf("lastID %d, %d records", s.lastID, len(s.msgs))
	}
}

func TestUIDIndex(t *testing.T) {
	s := New()
	a, b := msg(alice, 1, 1), msg(alice, 2, 2)
	a.MessageUID = "A"
	put(t, s, a, b)

	steps := []struct {
		name    string
		batch   func() []*client.Message
		want    map[string]int64 // uid -> id; 0 = absent
		wantErr error
	}{
		{"initial", func() []*client.Message { return nil }, map[string]int64{"A": 1, "B": 0, "": 0}, nil},
		{"uid changes", func() []*client.Message {
			m := get(t, s, 1)
			m.MessageUID = "A2"
			return []*client.Message{m}
		}, map[string]int64{"A": 0, "A2": 1}, nil},
		{"uid set on second", func() []*client.Message {
			m := get(t, s, 2)
			m.MessageUID = "B"
			return []*client.Message{m}
		}, map[string]int64{"A2": 1, "B": 2}, nil},
		{"swap in one batch", func() []*client.Message {
			m1, m2 := get(t, s, 1), get(t, s, 2)
			m1.MessageUID, m2.MessageUID = "B", "A2"
			return []*client.Message{m1, m2}
		}, map[string]int64{"A2": 2, "B": 1}, nil},
		{"uid cleared", func() []*client.Message {
			m := get(t, s, 2)
			m.MessageUID = ""
			return []*client.Message{m}
		}, map[string]int64{"A2": 0, "B": 1}, nil},
		{"duplicate of stored uid", func() []*client.Message {
			m := msg(alice, 3, 3)
			m.MessageUID = "B"
			return []*client.Message{m}
		}, map[string]int64{"B": 1}, ErrDuplicateUID},
		{"duplicate within batch", func() []*client.Message {
			m1, m2 := msg(alice, 3, 3), msg(bob, 4, 4)
			m1.MessageUID, m2.MessageUID = "C", "C"
			return []*client.Message{m1, m2}
		}, map[string]int64{"B": 1, "C": 0}, ErrDuplicateUID},
		{"stored uid taken while owner keeps it", func() []*client.Message {
			m1, m2 := get(t, s, 1), get(t, s, 2)
			m2.MessageUID = "B"
			return []*client.Message{m1, m2}
		}, map[string]int64{"B": 1}, ErrDuplicateUID},
		{"stored uid moved to new record", func() []*client.Message {
			m1, m3 := get(t, s, 1), msg(alice, 3, 3)
			m1.MessageUID, m3.MessageUID = "", "B"
			return []*client.Message{m3, m1}
		}, map[string]int64{"B": 3}, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := s.Apply(ctx, &client.Batch{Messages: st.batch()})
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("Apply: %v, want %v", err, st.wantErr)
			}
			for uid, id := range st.want {
				if got := byUID(t, s, uid); idOf(got) != id || got != nil && got.MessageUID != uid {
					t.Errorf("uid %q: %+v, want id %d", uid, got, id)
				}
			}
		})
	}
	ms, _ := s.MessagesByUID(ctx, []string{"B", "nope", "", "B"})
	if len(ms) != 4 || idOf(ms[0]) != 3 || ms[1] != nil || ms[2] != nil || idOf(ms[3]) != 3 || ms[0] == ms[3] {
		t.Errorf("MessagesByUID order/nil handling: %v", ms)
	}
}

func TestClientIDLookup(t *testing.T) {
	s := New()
	own := send(alice, "c1", client.StatusSent)
	other := msg(alice, 50, 50) // someone else's message with the same client id
	other.Direction = client.DirectionReceive
	other.ClientMsgID = "c1"
	onlyRecv := msg(bob, 60, 60)
	onlyRecv.Direction = client.DirectionReceive
	onlyRecv.ClientMsgID = "r1"
	put(t, s, other, own, onlyRecv)
	second := send(bob, "c1", client.StatusSent) // a second send reusing c1
	put(t, s, second)

	tests := []struct {
		cid  string
		want int64
	}{
		{"c1", own.MessageID}, // lowest id among sends; the received one is ignored
		{"r1", 0},
		{"", 0},
		{"missing", 0},
	}
	for _, tt := range tests {
		if got := byCID(t, s, tt.cid); idOf(got) != tt.want {
			t.Errorf("MessageByClientID(%q) = %d, want %d", tt.cid, idOf(got), tt.want)
		}
	}

	// Changing the client id moves the index entry.
	m := get(t, s, own.MessageID)
	m.ClientMsgID = "c2"
	put(t, s, m)
	if got := byCID(t, s, "c2"); idOf(got) != own.MessageID {
		t.Errorf("c2 -> %d", idOf(got))
	}
	if got := byCID(t, s, "c1"); idOf(got) != second.MessageID {
		t.Errorf("c1 -> %d, want %d", idOf(got), second.MessageID)
	}
	// Leaving DirectionSend drops it from the index.
	m.Direction = client.DirectionReceive
	put(t, s, m)
	if got := byCID(t, s, "c2"); got != nil {
		t.Errorf("c2 still indexed: %+v", got)
	}
	if len(s.byCID) != 1 {
		t.Errorf("byCID leaks entries: %v", s.byCID)
	}
}

func TestHistory(t *testing.T) {
	s := New()
	// ids:                1               2               3               4
	put(t, s, msg(alice, 100, 1), msg(alice, 200, 2), msg(alice, 200, 3), msg(alice, 300, 4))
	// 5: sending, placed by ReceivedTime 250; 6: failed, ReceivedTime 50.
	put(t, s, send(alice, "s5", client.StatusSending), msg(bob, 150, 150), send(alice, "s7", client.StatusFailed))
	m5 := get(t, s, 5)
	m5.ReceivedTime = 250
	m7 := get(t, s, 7)
	m7.ReceivedTime = 50
	put(t, s, m5, m7)

	tests := []struct {
		name    string
		conv    client.Conversation
		t       int64
		count   int
		forward bool
		want    []int64
	}{
		{"backward from newest", alice, 0, 10, false, []int64{4, 5, 3, 2, 1, 7}},
		{"backward limited", alice, 0, 2, false, []int64{4, 5}},
		{"backward exclusive", alice, 300, 10, false, []int64{5, 3, 2, 1, 7}},
		{"backward equal times", alice, 250, 2, false, []int64{3, 2}},
		{"backward below an existing time", alice, 200, 10, false, []int64{1, 7}},
		{"backward sending by received time", alice, 251, 1, false, []int64{5}},
		{"backward nothing older", alice, 50, 10, false, []int64{}},
		{"forward from oldest", alice, 0, 10, true, []int64{7, 1, 2, 3, 5, 4}},
		{"forward limited", alice, 0, 3, true, []int64{7, 1, 2}},
		{"forward exclusive", alice, 200, 10, true, []int64{5, 4}},
		{"forward between", alice, 150, 2, true, []int64{2, 3}},
		{"forward sending by received time", alice, 249, 1, true, []int64{5}},
		{"forward nothing newer", alice, 300, 10, true, []int64{}},
		{"count zero", alice, 0, 0, false, []int64{}},
		{"count negative", alice, 0, -1, true, []int64{}},
		{"other conversation", bob, 0, 10, false, []int64{6}},
		{"unknown conversation", grp, 0, 10, true, []int64{}},
		{"channel matters", client.Conversation{Type: client.Private, TargetID: "alice", ChannelID: "x"}, 0, 10, false, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := historyIDs(t, s, tt.conv, tt.t, tt.count, tt.forward); !slices.Equal(got, tt.want) {
				t.Errorf("History(%d, %d, %v) = %v, want %v", tt.t, tt.count, tt.forward, got, tt.want)
			}
		})
	}

	// Acknowledging 5 moves it from its ReceivedTime to its SentTime.
	m5.SentTime, m5.SentStatus = 400, client.StatusSent
	put(t, s, m5)
	if got := historyIDs(t, s, alice, 0, 3, false); !slices.Equal(got, []int64{5, 4, 3}) {
		t.Errorf("after ack: %v", got)
	}
	// Moving 6 from bob to alice.
	m6 := get(t, s, 6)
	m6.Conversation = alice
	put(t, s, m6)
	if got := historyIDs(t, s, bob, 0, 10, false); len(got) != 0 {
		t.Errorf("bob after move: %v", got)
	}
	if _, ok := s.hist[bob]; ok {
		t.Error("empty history kept")
	}
	if got := historyIDs(t, s, alice, 100, 10, true); !slices.Equal(got, []int64{6, 2, 3, 4, 5}) {
		t.Errorf("alice after move: %v", got)
	}
}

// TestHistoryModel checks the sorted indexes, including the bulk merge
// path, against a naive model under random batches.
func TestHistoryModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	convs := []client.Conversation{alice, bob, grp}
	s := New()
	model := map[int64]*client.Message{}
	for round := range 200 {
		n := 1 + rng.Intn(40)
		if round%3 == 0 {
			n = 1 + rng.Intn(3)
		}
		var batch []*client.Message
		for range n {
			var m *client.Message
			if len(model) > 0 && rng.Intn(2) == 0 {
				m = model[1+rng.Int63n(int64(len(model)))].Clone()
			} else {
				m = &client.Message{}
			}
			m.Conversation = convs[rng.Intn(len(convs))]
			m.SentTime = int64(rng.Intn(4)) * int64(rng.Intn(50))
			m.ReceivedTime = int64(rng.Intn(50))
			batch = append(batch, m)
		}
		put(t, s, batch...)
		for _, m := range batch {
			model[m.MessageID] = m.Clone()
		}
		for _, conv := range convs {
			var want []*client.Message
			for _, m := range model {
				if m.Conversation == conv {
					want = append(want, m)
				}
			}
			slices.SortFunc(want, func(a, b *client.Message) int { return cmpKey(keyOf(a), keyOf(b)) })
			at := int64(rng.Intn(60))
			count := rng.Intn(20)
			var fwd, bwd []int64
			for _, m := range want {
				if k := keyOf(m).t; (at == 0 || k > at) && len(fwd) < count {
					fwd = append(fwd, m.MessageID)
				}
			}
			for i := len(want) - 1; i >= 0; i-- {
				if k := keyOf(want[i]).t; (at == 0 || k < at) && len(bwd) < count {
					bwd = append(bwd, want[i].MessageID)
				}
			}
			if got := historyIDs(t, s, conv, at, count, true); !slices.Equal(got, append([]int64{}, fwd...)) {
				t.Fatalf("round %d forward(%d,%d) = %v, want %v", round, at, count, got, fwd)
			}
			if got := historyIDs(t, s, conv, at, count, false); !slices.Equal(got, append([]int64{}, bwd...)) {
				t.Fatalf("round %d backward(%d,%d) = %v, want %v", round, at, count, got, bwd)
			}
			if got := historyIDs(t, s, conv, 0, len(want)+1, true); len(got) != len(want) {
				t.Fatalf("round %d: %d in history, want %d", round, len(got), len(want))
			}
		}
	}
}

type snapshot struct {
	msgs   []*client.Message
	states []*client.ConversationState
	meta   [][]byte
	hist   [][]int64
	lastID int64
}

func snap(t *testing.T, s *Store) snapshot {
	t.Helper()
	var sn snapshot
	ids := make([]int64, 12)
	for i := range ids {
		ids[i] = int64(i)
	}
	sn.msgs, _ = s.MessagesByID(ctx, ids)
	sn.states, _ = s.Conversations(ctx)
	for _, k := range []string{"k1", "k2", "k3"} {
		v, _ := s.Meta(ctx, k)
		sn.meta = append(sn.meta, v)
	}
	for _, c := range []client.Conversation{alice, bob, grp} {
		sn.hist = append(sn.hist, historyIDs(t, s, c, 0, 100, true))
	}
	sn.lastID = s.lastID
	return sn
}

func TestAtomicity(t *testing.T) {
	s := New()
	a := msg(alice, 1, 1)
	a.MessageUID = "A"
	mustApply(t, s, &client.Batch{
		Messages:      []*client.Message{a, msg(bob, 2, 2)},
		Conversations: []*client.ConversationState{{Conversation: alice, LastSeq: 1}},
		Meta:          map[string][]byte{"k1": []byte("v1"), "k2": []byte("v2")},
	})
	good := func() ([]*client.Message, []*client.ConversationState, map[string][]byte) {
		m1 := get(t, s, 1)
		m1.Conversation, m1.SentTime, m1.MessageUID = grp, 99, "A9"
		return []*client.Message{msg(alice, 5, 5), m1, msg(grp, 6, 6)},
			[]*client.ConversationState{{Conversation: alice, LastSeq: 9}, {Conversation: grp}},
			map[string][]byte{"k1": []byte("changed"), "k2": nil, "k3": []byte("new")}
	}
	tests := []struct {
		name    string
		mutate  func(b *client.Batch)
		wantErr error
	}{
		{"nil message last", func(b *client.Batch) { b.Messages = append(b.Messages, nil) }, ErrNilMessage},
		{"nil message first", func(b *client.Batch) { b.Messages = append([]*client.Message{nil}, b.Messages...) }, ErrNilMessage},
		{"unknown id", func(b *client.Batch) { b.Messages = append(b.Messages, &client.Message{MessageID: 42}) }, ErrUnknownID},
		{"negative id", func(b *client.Batch) { b.Messages = append(b.Messages, &client.Message{MessageID: -1}) }, ErrUnknownID},
		{"id not yet assigned", func(b *client.Batch) { b.Messages = append(b.Messages, &client.Message{MessageID: 6}) }, ErrUnknownID},
		{"duplicate uid", func(b *client.Batch) {
			b.Messages = append(b.Messages, &client.Message{Conversation: bob, MessageUID: "A9"})
		}, ErrDuplicateUID},
		{"nil conversation state", func(b *client.Batch) { b.Conversations = append(b.Conversations, nil) }, ErrNilConversation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snap(t, s)
			ms, cs, meta := good()
			b := &client.Batch{Messages: ms, Conversations: cs, Meta: meta}
			tt.mutate(b)
			err := s.Apply(ctx, b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Apply: %v, want %v", err, tt.wantErr)
			}
			var ie *ItemError
			if !errors.As(err, &ie) || ie.Error() == "" {
				t.Errorf("error %v is not an *ItemError", err)
			}
			if after := snap(t, s); !reflect.DeepEqual(before, after) {
				t.Errorf("store changed:\nbefore %+v\nafter  %+v", before, after)
			}
			if ms[0].MessageID != 0 || ms[2].MessageID != 0 {
				t.Errorf("ids written back: %d %d", ms[0].MessageID, ms[2].MessageID)
			}
		})
	}
	// The same batch without the bad item applies completely.
	ms, cs, meta := good()
	mustApply(t, s, &client.Batch{Messages: ms, Conversations: cs, Meta: meta})
	sn := snap(t, s)
	want := [][]int64{{3}, {2}, {4, 1}}
	if !reflect.DeepEqual(sn.hist, want) {
		t.Errorf("history %v, want %v", sn.hist, want)
	}
	if len(sn.states) != 2 || sn.states[0].LastSeq != 9 {
		t.Errorf("states %+v", sn.states)
	}
	if string(sn.meta[0]) != "changed" || sn.meta[1] != nil || string(sn.meta[2]) != "new" {
		t.Errorf("meta %q", sn.meta)
	}
	if byUID(t, s, "A") != nil || idOf(byUID(t, s, "A9")) != 1 {
		t.Error("uid index not updated")
	}
}

func TestCloneIsolation(t *testing.T) {
	s := New()
	m := send(alice, "c1", client.StatusSent)
	m.SentTime = 10
	m.MessageUID = "U"
	m.MentionedInfo = &client.MentionedInfo{Type: 2, UserIDs: []string{"x"}}
	m.Expansion = map[string]string{"k": "v"}
	m.DirectedUserIDs = []string{"d"}
	m.PushConfig = []byte("pc")
	meta := []byte("meta")
	cs := &client.ConversationState{Conversation: alice, LastSeq: 3}
	mustApply(t, s, &client.Batch{Messages: []*client.Message{m}, Conversations: []*client.ConversationState{cs}, Meta: map[string][]byte{"k1": meta}})
	want := m.Clone()

	// Mutating what was passed in.
	m.Content[0] = 'X'
	m.MentionedInfo.UserIDs[0] = "y"
	m.Expansion["k"] = "w"
	m.DirectedUserIDs[0] = "e"
	m.PushConfig[0] = 'P'
	m.SentTime = 999
	meta[0] = 'M'
	cs.LastSeq = 99

	// Mutating what was read out.
	readers := []func() *client.Message{
		func() *client.Message { return get(t, s, 1) },
		func() *client.Message { return byUID(t, s, "U") },
		func() *client.Message { return byCID(t, s, "c1") },
		func() *client.Message { ms, _ := s.History(ctx, alice, 0, 1, false); return ms[0] },
	}
	for i, read := range readers {
		got := read()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("reader %d: %+v, want %+v", i, got, want)
		}
		got.Content[1] = 'Z'
		got.MentionedInfo.UserIDs[0] = "z"
		got.Expansion["k"] = "z"
		got.SentTime = 1
		got.MessageUID = "other"
	}
	for i, read := range readers {
		if got := read(); !reflect.DeepEqual(got, want) {
			t.Errorf("reader %d after mutation: %+v", i, got)
		}
	}
	v, _ := s.Meta(ctx, "k1")
	if string(v) != "meta" {
		t.Errorf("meta %q", v)
	}
	v[0] = 'Q'
	if v, _ := s.Meta(ctx, "k1"); string(v) != "meta" {
		t.Errorf("meta after mutation %q", v)
	}
	if v, _ := s.Meta(ctx, "missing"); v != nil {
		t.Errorf("missing meta %q", v)
	}
	states, _ := s.Conversations(ctx)
	if states[0].LastSeq != 3 {
		t.Errorf("state %+v", states[0])
	}
	states[0].LastSeq = 77
	if states, _ := s.Conversations(ctx); states[0].LastSeq != 3 {
		t.Errorf("state after mutation %+v", states[0])
	}
}

func TestConversationsSorted(t *testing.T) {
	s := New()
	in := []*client.ConversationState{
		{Conversation: grp}, {Conversation: bob, LastSeq: 1}, {Conversation: alice},
		{Conversation: client.Conversation{Type: client.System, TargetID: "sys"}},
		{Conversation: bob, LastSeq: 2}, // replaces the earlier bob
	}
	mustApply(t, s, &client.Batch{Conversations: in})
	got, _ := s.Conversations(ctx)
	var keys []string
	for _, c := range got {
		keys = append(keys, c.Key())
	}
	want := []string{alice.Key(), bob.Key(), grp.Key(), "6\x00\x00sys"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if got[1].LastSeq != 2 {
		t.Errorf("bob %+v", got[1])
	}
}

func TestCanceledContext(t *testing.T) {
	s := New()
	c, cancel := context.WithCancel(ctx)
	cancel()
	m := msg(alice, 1, 1)
	if err := s.Apply(c, &client.Batch{Messages: []*client.Message{m}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply: %v", err)
	}
	if m.MessageID != 0 || len(s.msgs) != 0 {
		t.Error("canceled Apply changed something")
	}
	if _, err := s.History(c, alice, 0, 1, false); !errors.Is(err, context.Canceled) {
		t.Errorf("History: %v", err)
	}
	if err := s.Apply(ctx, nil); err != nil {
		t.Errorf("nil batch: %v", err)
	}
}

func TestConcurrentApply(t *testing.T) {
	s := New()
	const writers, perWriter = 8, 200
	convs := []client.Conversation{alice, bob, grp}
	var wg sync.WaitGroup
	got := make([][]int64, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				m := send(convs[(w+i)%len(convs)], strconv.Itoa(w)+"-"+strconv.Itoa(i), client.StatusSending)
				m.SentTime = int64(i)
				if err := s.Apply(ctx, &client.Batch{Messages: []*client.Message{m}, Meta: map[string][]byte{"w" + strconv.Itoa(w): {byte(i)}}}); err != nil {
					t.Error(err)
					return
				}
				got[w] = append(got[w], m.MessageID)
				// Update it right away, racing with the other writers.
				m.SentStatus, m.MessageUID = client.StatusSent, "U"+strconv.FormatInt(m.MessageID, 10)
				if err := s.Apply(ctx, &client.Batch{Messages: []*client.Message{m}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if _, err := s.History(ctx, convs[i%len(convs)], int64(i), 20, i%2 == 0); err != nil {
					t.Error(err)
				}
				s.MessagesByID(ctx, []int64{int64(i)})
				s.MessageByClientID(ctx, "0-"+strconv.Itoa(i))
				s.Conversations(ctx)
				s.Meta(ctx, "w0")
			}
		}()
	}
	wg.Wait()

	var all []int64
	for _, ids := range got {
		all = append(all, ids...)
	}
	slices.Sort(all)
	for i, id := range all {
		if id != int64(i+1) {
			t.Fatalf("ids not 1..%d: %v...", writers*perWriter, all[:i+1])
		}
	}
	total := 0
	for _, c := range convs {
		ms, _ := s.History(ctx, c, 0, writers*perWriter, false)
		total += len(ms)
		for i := 1; i < len(ms); i++ {
			if cmpKey(keyOf(ms[i-1]), keyOf(ms[i])) <= 0 {
				t.Fatalf("history out of order at %d", i)
			}
		}
		for _, m := range ms {
			if m.SentStatus != client.StatusSent || idOf(byUID(t, s, m.MessageUID)) != m.MessageID {
				t.Fatalf("record %+v not updated", m)
			}
		}
	}
	if total != writers*perWriter {
		t.Errorf("%d messages in history, want %d", total, writers*perWriter)
	}
}

func TestLargeConversation(t *testing.T) {
	s := New()
	const n = 20000
	// Inserted newest first, in batches, to exercise the merge path.
	for start := n; start > 0; start -= 500 {
		var batch []*client.Message
		for i := start; i > start-500; i-- {
			batch = append(batch, msg(alice, int64(i), 0))
		}
		put(t, s, batch...)
	}
	// And one by one at the end.
	for i := range 100 {
		put(t, s, msg(alice, n+1+int64(i), 0))
	}
	if got := historyIDs(t, s, alice, 0, 3, false); len(got) != 3 || get(t, s, got[0]).SentTime != n+100 {
		t.Errorf("newest %v", got)
	}
	ms, _ := s.History(ctx, alice, 10001, 2, false)
	if len(ms) != 2 || ms[0].SentTime != 10000 || ms[1].SentTime != 9999 {
		t.Errorf("middle page %+v", ms)
	}
	ms, _ = s.History(ctx, alice, 10000, 2, true)
	if len(ms) != 2 || ms[0].SentTime != 10001 || ms[1].SentTime != 10002 {
		t.Errorf("forward page %+v", ms)
	}
}

func BenchmarkHistory(b *testing.B) {
	s := New()
	var batch []*client.Message
	for i := range 10000 {
		batch = append(batch, msg(alice, int64(i+1), 0))
	}
	s.Apply(ctx, &client.Batch{Messages: batch})
	b.ResetTimer()
	for i := range b.N {
		s.History(ctx, alice, int64(i%10000), 20, false)
	}
}

func BenchmarkApplyOne(b *testing.B) {
	s := New()
	var batch []*client.Message
	for i := range 10000 {
		batch = append(batch, msg(alice, int64(i+1), 0))
	}
	s.Apply(ctx, &client.Batch{Messages: batch})
	b.ResetTimer()
	for i := range b.N {
		s.Apply(ctx, &client.Batch{Messages: []*client.Message{msg(alice, int64(10001+i), 0)}})
	}
}

func TestDeleteAndClear(t *testing.T) {
	withUID := func(conv client.Conversation, sent int64, uid string) *client.Message {
		m := msg(conv, sent, sent)
		m.MessageUID = uid
		return m
	}
	tests := []struct {
		name      string
		batch     func() *client.Batch
		wantAlice []int64 // sent times left in alice's history, oldest first
		wantBob   []int64
		goneUIDs  []string
	}{
		{"delete by uid, unknown skipped", func() *client.Batch {
			return &client.Batch{DeleteUIDs: []string{"a2", "nope"}}
		}, []int64{10, 30}, []int64{15, 25}, []string{"a2"}},
		{"clear at or before a time", func() *client.Batch {
			return &client.Batch{Clears: []client.Clear{{Conversation: alice, Before: 20}}}
		}, []int64{30}, []int64{15, 25}, []string{"a1", "a2"}},
		{"put and delete in one batch", func() *client.Batch {
			return &client.Batch{Messages: []*client.Message{withUID(alice, 40, "a4")}, DeleteUIDs: []string{"a4"}}
		}, []int64{10, 20, 30}, []int64{15, 25}, []string{"a4"}},
		{"put and clear in one batch", func() *client.Batch {
			return &client.Batch{Messages: []*client.Message{withUID(bob, 5, "b0"), withUID(bob, 50, "b5")}, Clears: []client.Clear{{Conversation: bob, Before: 15}}}
		}, []int64{10, 20, 30}, []int64{25, 50}, []string{"b0", "b1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			put(t, s, withUID(alice, 10, "a1"), withUID(alice, 20, "a2"), withUID(alice, 30, "a3"), withUID(bob, 15, "b1"), withUID(bob, 25, "b2"))
			mustApply(t, s, tt.batch())
			for conv, want := range map[client.Conversation][]int64{alice: tt.wantAlice, bob: tt.wantBob} {
				ms, _ := s.History(ctx, conv, 0, 100, true)
				var got []int64
				for _, m := range ms {
					got = append(got, m.SentTime)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s: history %v, want %v", conv.TargetID, got, want)
				}
			}
			for _, u := range tt.goneUIDs {
				if m := byUID(t, s, u); m != nil {
					t.Fatalf("%s still held", u)
				}
			}
		})
	}
}
