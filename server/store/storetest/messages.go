package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

func appendGaplessAndDedup(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	conv := store.PrivateConvID("alice", "bob")
	var wg sync.WaitGroup
	results := make([]*pb.Message, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, dup, err := d.Append(ctx, conv, Msg("alice", "bob", fmt.Sprint("c", i)))
			if err != nil || dup {
				t.Errorf("append %d: %v dup=%v", i, err, dup)
				return
			}
			results[i] = m
		}()
	}
	wg.Wait()
	seen := map[uint64]*pb.Message{}
	for _, m := range results {
		seen[m.Seq] = m
	}
	for s := uint64(1); s <= 200; s++ {
		if seen[s] == nil {
			t.Fatalf("seq %d missing", s)
		}
		if s > 1 && seen[s].SentTime <= seen[s-1].SentTime {
			t.Fatalf("sentTime not strictly increasing at %d", s)
		}
		if s > 1 && seen[s].Uid <= seen[s-1].Uid {
			t.Fatalf("uid not time-ordered at %d", s)
		}
	}
	// A resend returns the first result and takes no sequence number.
	again, dup, err := d.Append(ctx, conv, Msg("alice", "bob", "c7"))
	if err != nil || !dup || again.Uid != results[7].Uid || again.Seq != results[7].Seq || again.SentTime != results[7].SentTime {
		t.Fatalf("resend: %v dup=%v %v vs %v", err, dup, again, results[7])
	}
	next, _, err := d.Append(ctx, conv, Msg("bob", "alice", "c7")) // same client id, other sender
	if err != nil || next.Seq != 201 {
		t.Fatalf("other sender's message: %v seq=%d", err, next.GetSeq())
	}
	// A message by its sender's client id, as a resend would find it.
	for _, c := range []struct {
		user, cid string
		want      *pb.Message
	}{{"alice", "c7", results[7]}, {"bob", "c7", next}, {"bob", "c8", nil}, {"carol", "c7", nil}} {
		got, err := d.MessageByClientID(ctx, c.user, c.cid)
		if err != nil || (got == nil) != (c.want == nil) || got != nil && (got.Uid != c.want.Uid || got.FromUser != c.user) {
			t.Fatalf("MessageByClientID(%s, %s) = %v, %v; want %v", c.user, c.cid, got, err, c.want)
		}
	}
}

func pullWindowAndMembership(t *testing.T, b Backend) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	clock := now
	d := b.Open(t, func() time.Time { return clock })
	conv := store.PrivateConvID("alice", "bob")
	for i := 0; i < 10; i++ {
		clock = now.Add(time.Duration(i) * 24 * time.Hour)
		if _, _, err := d.Append(ctx, conv, Msg("alice", "bob", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	window := clock.Add(-7*24*time.Hour + time.Millisecond) // messages 3..9 (seq 4..10) are inside
	cases := []struct {
		name       string
		user       string
		after      uint64
		windowMax  int
		wantFirst  uint64
		wantN      int
		wantErr    error
		wantStartS uint64
	}{
		{"new device gets the window", "bob", 0, 1000, 4, 7, nil, 4},
		{"window capped by count", "bob", 0, 3, 8, 3, nil, 8},
		{"existing device gets all it lacks", "bob", 1, 1000, 2, 9, nil, 2},
		{"stranger", "carol", 0, 1000, 0, 0, store.ErrNotMember, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, start, last, err := d.Pull(ctx, c.user, conv, c.after, 100, window, c.windowMax)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if len(ms) != c.wantN || ms[0].Seq != c.wantFirst || start != c.wantStartS || last != 10 {
				t.Fatalf("got %d msgs from %d, start %d last %d", len(ms), ms[0].Seq, start, last)
			}
		})
	}
	// Every message older than the window: the last one still comes, so a
	// new device lists the conversation.
	ms, start, _, err := d.Pull(ctx, "bob", conv, 0, 100, clock.Add(time.Hour), 1000)
	if err != nil || len(ms) != 1 || ms[0].Seq != 10 || start != 10 {
		t.Fatalf("all older than the window: %d messages, start %d, %v; want the last", len(ms), start, err)
	}
}

func changesAndReadWatermark(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	v0, convs, err := d.Changes(ctx, "bob", 0)
	if err != nil || len(convs) != 0 {
		t.Fatalf("fresh: %v %v", convs, err)
	}
	conv := store.PrivateConvID("alice", "bob")
	d.Append(ctx, conv, Msg("alice", "bob", "1"))
	d.Append(ctx, conv, Msg("alice", "bob", "2"))
	v1, convs, err := d.Changes(ctx, "bob", v0)
	if err != nil || len(convs) != 1 || convs[0].LastSeq != 2 || convs[0].Conv.Target != "alice" || v1 <= v0 {
		t.Fatalf("after two messages: v%d %v %v", v1, convs, err)
	}
	if _, convs, _ := d.Changes(ctx, "bob", v1); len(convs) != 0 {
		t.Fatalf("nothing changed since v%d, got %v", v1, convs)
	}
	if r, _, err := d.MarkRead(ctx, "bob", conv, 0, "", nil); err != nil || r != 2 {
		t.Fatalf("mark read: %d %v", r, err)
	}
	if r, _, _ := d.MarkRead(ctx, "bob", conv, 1, "", nil); r != 2 {
		t.Fatalf("watermark moved back to %d", r)
	}
	v2, convs, _ := d.Changes(ctx, "bob", v1)
	if len(convs) != 1 || convs[0].ReadSeq != 2 {
		t.Fatalf("read change not reported: %v", convs)
	}
	if _, convs, _ := d.Changes(ctx, "alice", v2); len(convs) != 0 {
		t.Fatalf("bob's read is alice's change: %v", convs)
	}
	// A delete of an unread message changes bob's count: his next sync is
	// told (a device that lacks the message counts by the server's).
	counted := func(cid string) *pb.Message {
		m := Msg("alice", "bob", cid)
		m.IsPersisted, m.IsCounted = true, true
		return m
	}
	m3, _, _ := d.Append(ctx, conv, counted("3"))
	d.Append(ctx, conv, counted("4"))
	v3, convs, _ := d.Changes(ctx, "bob", v2)
	if len(convs) != 1 || convs[0].UnreadCount != 2 {
		t.Fatalf("two unread: %d convs, unread %d", len(convs), convs[0].UnreadCount)
	}
	if _, err := d.Hide(ctx, "bob", conv, []string{m3.Uid}, logEntry("bob", "hide-3")); err != nil {
		t.Fatal(err)
	}
	_, convs, _ = d.Changes(ctx, "bob", v3)
	unread := -1
	for _, c := range convs {
		if c.Conv.GetType() == pb.ConversationType_PRIVATE && c.Conv.GetTarget() == "alice" {
			unread = int(c.UnreadCount)
		}
	}
	if unread != 1 {
		t.Fatalf("after bob deleted an unread message: his conversation with alice unread %d (-1: not reported), want 1", unread)
	}
}

func groupMembershipBoundsVisibility(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	CreateGroup(t, d, "g1", "owner", "a")
	gc := store.GroupConvID("g1")
	for i := 0; i < 3; i++ {
		m := Msg("a", "g1", fmt.Sprint("m", i))
		m.ConvType = pb.ConversationType_GROUP
		d.Append(ctx, gc, m) // seq 2..4
	}
	added, err := ChangeMembers(ctx, d, "g1", Ntf("add"), []string{"b"}, nil) // seq 5
	if err != nil || added.Ntf.Seq != 5 {
		t.Fatalf("add: %v %v", added, err)
	}
	ms, start, _, err := d.Pull(ctx, "b", gc, 0, 100, time.Time{}, 1000)
	if err != nil || start != 5 || len(ms) != 1 || ms[0].ObjectName != "RC:GrpNtf" {
		t.Fatalf("new member sees %v from %d: %v", ms, start, err)
	}
	if _, err := ChangeMembers(ctx, d, "g1", Ntf("kick"), nil, []string{"b"}); err != nil { // seq 6
		t.Fatal(err)
	}
	m := Msg("a", "g1", "after")
	m.ConvType = pb.ConversationType_GROUP
	d.Append(ctx, gc, m) // seq 7
	ms, _, last, _ := d.Pull(ctx, "b", gc, 4, 100, time.Time{}, 1000)
	if len(ms) != 2 || ms[1].Seq != 6 || last != 6 {
		t.Fatalf("removed member sees %d messages, last %d", len(ms), last)
	}
	if _, _, _, err := d.Pull(ctx, "c", gc, 0, 100, time.Time{}, 1000); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("stranger: %v", err)
	}
	if _, err := ChangeMembers(ctx, d, "g1", Ntf("kick2"), nil, []string{"nobody"}); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("remove stranger: %v", err)
	}
	// The failed removal took no sequence number.
	m2 := Msg("a", "g1", "after2")
	m2.ConvType = pb.ConversationType_GROUP
	if s, _, _ := d.Append(ctx, gc, m2); s.Seq != 8 {
		t.Fatalf("seq after failed op = %d, want 8", s.Seq)
	}
	got, err := d.Group(ctx, "g1")
	if err != nil || len(got.Members) != 2 || got.Members["owner"].Role != contract.RoleOwner {
		t.Fatalf("group: %+v %v", got, err)
	}
}

// CountsOf is user's unread and mention counts of conv in a full sync.
func CountsOf(t *testing.T, d store.Store, user string, conv *pb.Conversation) (uint32, uint32) {
	t.Helper()
	_, states, err := d.Changes(context.Background(), user, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Conv.Type == conv.Type && s.Conv.Target == conv.Target {
			return s.UnreadCount, s.MentionCount
		}
	}
	t.Fatalf("%s has no state for %v", user, conv)
	return 0, 0
}

func groupMsg(from, cid string, edit func(*pb.Message)) *pb.Message {
	m := Msg(from, "g1", cid)
	m.ConvType, m.IsCounted = pb.ConversationType_GROUP, true
	if edit != nil {
		edit(m)
	}
	return m
}

// Mention makes a message name users (type 2) or everyone (type 1).
func Mention(typ int32, users ...string) func(*pb.Message) {
	return func(m *pb.Message) {
		m.IsMentioned, m.MentionedInfo = true, &pb.MentionedInfo{Type: typ, UserIds: users}
	}
}

// The server's counts: counted messages from others above the watermark,
// less those targeted at others, deleted by the user or recalled; mentions
// for the members named and everyone for @all.
func unreadCountsFromTheSequence(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	CreateGroup(t, d, "g1", "a", "b", "c") // 1, not counted
	gc := store.GroupConvID("g1")
	add := func(m *pb.Message) *pb.Message {
		t.Helper()
		s, _, err := d.Append(ctx, gc, m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i := range 10 { // 2-11
		add(groupMsg("a", fmt.Sprint("a", i), nil))
	}
	add(groupMsg("b", "b0", nil))                                                         // 12: b's own
	add(groupMsg("a", "to-c", func(m *pb.Message) { m.DirectedUserIds = []string{"c"} })) // 13: c's only
	add(groupMsg("a", "to-b", func(m *pb.Message) { m.DirectedUserIds = []string{"b"} })) // 14: b's only
	add(groupMsg("a", "at-b", Mention(2, "b", "b")))                                      // 15: names b (twice)
	add(groupMsg("a", "at-all", Mention(1)))                                              // 16: @all
	recalled := add(groupMsg("a", "gone", Mention(2, "b", "c")))                          // 17
	if _, err := d.Modify(ctx, gc, recalled.Uid, func(m *pb.Message) error {
		m.ObjectName, m.IsCounted, m.IsMentioned, m.MentionedInfo = store.RecallObjectName, false, false, nil
		return nil
	}, &pb.Message{ConvType: pb.ConversationType_GROUP, FromUser: "a", To: "g1", ClientMsgId: "recall", RecallOf: recalled.Uid}); err != nil { // 18
		t.Fatal(err)
	}
	hidden := add(groupMsg("a", "hidden", Mention(1)))                       // 19: b deletes it
	add(groupMsg("a", "quiet", func(m *pb.Message) { m.IsCounted = false })) // 20
	if _, err := d.Hide(ctx, "b", gc, []string{hidden.Uid}, &pb.Message{ConvType: pb.ConversationType_USER_LOG, FromUser: "b", To: "b", ClientMsgId: "hide"}); err != nil {
		t.Fatal(err)
	}
	conv := &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g1"}
	for _, c := range []struct {
		user             string
		unread, mentions uint32
	}{
		{"b", 13, 2}, // 2-11, 14, 15, 16; mentions 15, 16
		{"c", 15, 2}, // 2-11, 12, 13, 15, 16, 19; mentions 16, 19
		{"a", 1, 0},  // b's 12
	} {
		if u, m := CountsOf(t, d, c.user, conv); u != c.unread || m != c.mentions {
			t.Errorf("%s: unread %d mentions %d, want %d %d", c.user, u, m, c.unread, c.mentions)
		}
	}
	if _, _, err := d.MarkRead(ctx, "b", gc, 14, "", nil); err != nil {
		t.Fatal(err)
	}
	if u, m := CountsOf(t, d, "b", conv); u != 2 || m != 2 {
		t.Errorf("b after reading to 14: unread %d mentions %d, want 2 2", u, m)
	}
	if _, _, err := d.MarkRead(ctx, "b", gc, 0, "", nil); err != nil {
		t.Fatal(err)
	}
	if u, m := CountsOf(t, d, "b", conv); u != 0 || m != 0 {
		t.Errorf("b after reading all: unread %d mentions %d", u, m)
	}
}

// listTimeSkipsMarkers: a conversation's list time (ConversationState's
// LastTime) is its last message's that is not a marker. A recall, an edit,
// an expansion or a receipt request acts on an older message and moves no
// list: a device that saw one live keeps its order, and one that syncs it
// must agree. Also when markers and messages share a batch (appended at
// once).
func listTimeSkipsMarkers(t *testing.T, b Backend) {
	ctx := context.Background()
	var mu sync.Mutex
	clock := time.UnixMilli(1_000)
	at := func(ms int64) {
		mu.Lock()
		clock = time.UnixMilli(ms)
		mu.Unlock()
	}
	d := b.Open(t, func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	conv := store.PrivateConvID("alice", "bob")
	listTime := func() int64 {
		t.Helper()
		_, convs, err := d.Changes(ctx, "bob", 0)
		if err != nil || len(convs) != 1 {
			t.Fatalf("changes: %v %v", convs, err)
		}
		return convs[0].LastTime
	}
	m1, _, err := d.Append(ctx, conv, Msg("alice", "bob", "1"))
	if err != nil {
		t.Fatal(err)
	}
	markers := []func(*pb.Message){
		func(m *pb.Message) { m.RecallOf = m1.Uid },
		func(m *pb.Message) { m.ModifyOf = m1.Uid },
		func(m *pb.Message) { m.ExpansionOf = m1.Uid },
		func(m *pb.Message) { m.ReceiptRequestOf = m1.Uid },
	}
	for i, mark := range markers {
		at(2_000 + int64(i)*1_000)
		m := Msg("alice", "bob", fmt.Sprint("marker-", i))
		mark(m)
		if _, _, err := d.Append(ctx, conv, m); err != nil {
			t.Fatal(err)
		}
		if got := listTime(); got != m1.SentTime {
			t.Fatalf("after marker %d: list time %d, want the message's %d", i, got, m1.SentTime)
		}
	}
	at(10_000)
	m2, _, _ := d.Append(ctx, conv, Msg("bob", "alice", "2"))
	if got := listTime(); got != m2.SentTime {
		t.Fatalf("after a message: list time %d, want %d", got, m2.SentTime)
	}
	// Messages and markers at once, so that batches mix them: the list
	// time is the last message's of them all.
	var wg sync.WaitGroup
	var last int64
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := Msg("alice", "bob", fmt.Sprint("mix-", i))
			if i%3 != 0 {
				markers[i%len(markers)](m)
				m.ClientMsgId = fmt.Sprint("mixmark-", i)
			}
			stored, _, err := d.Append(ctx, conv, m)
			if err != nil {
				t.Error(err)
				return
			}
			if !store.IsMarker(stored) {
				mu.Lock()
				last = max(last, stored.SentTime)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got := listTime(); got != last {
		t.Fatalf("after 40 messages and markers at once: list time %d, want the last message's %d", got, last)
	}
	// And as a restart reads it.
	d = b.Reopen(t, d)
	if got := listTime(); got != last {
		t.Fatalf("after a restart: list time %d, want %d", got, last)
	}
}
