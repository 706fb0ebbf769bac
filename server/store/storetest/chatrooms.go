package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// chatroomMsg is a text message from from to room.
func chatroomMsg(from, room, cid string) *pb.Message {
	m := Msg(from, room, cid)
	m.ConvType = pb.ConversationType_CHATROOM
	return m
}

// entryKeys lists entries as key=value (owner), with "-" for removed ones.
func entryKeys(es []*pb.ChatroomEntry) []string {
	var out []string
	for _, e := range es {
		s := fmt.Sprintf("%s=%s(%s)", e.Key, e.Value, e.Owner)
		if e.Removed {
			s = "-" + s
		}
		out = append(out, s)
	}
	return out
}

// Chat rooms: membership per (user, node) counted per user, the entries
// that go with their owner's last row, empty rooms, members by join time,
// entries changed in one transaction, mutes, and the history that goes
// with the room or with age.
func chatrooms(t *testing.T, b Backend) {
	ctx := context.Background()
	clock := time.UnixMilli(1_000)
	d := b.Open(t, func() time.Time { return clock })
	at := time.UnixMilli

	c, created, err := d.CreateChatroom(ctx, "r1", at(1_000))
	if err != nil || !created || c.ID != "r1" || c.Created != 1_000 || c.EmptySince != 1_000 || c.Members != 0 || c.MutedAll {
		t.Fatalf("create: %+v created=%v %v", c, created, err)
	}
	if c, created, err := d.CreateChatroom(ctx, "r1", at(2_000)); err != nil || created || c.Created != 1_000 {
		t.Fatalf("create again: %+v created=%v %v", c, created, err)
	}
	if _, err := d.Chatroom(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown room: %v", err)
	}
	if _, err := d.JoinChatroom(ctx, "nope", "a", "n1", at(1_000)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("joining an unknown room: %v", err)
	}

	// a on two nodes is one member; a second join on a node keeps the first.
	join := func(room, user, node string, ms, want int64) {
		t.Helper()
		if joined, err := d.JoinChatroom(ctx, room, user, node, at(ms)); err != nil || joined != want {
			t.Fatalf("%s joins %s on %s at %d: %d %v, want %d", user, room, node, ms, joined, err, want)
		}
	}
	join("r1", "a", "n1", 1_100, 1_100)
	join("r1", "a", "n2", 1_200, 1_100)
	join("r1", "a", "n1", 1_300, 1_100)
	if c, err := d.Chatroom(ctx, "r1"); err != nil || c.Members != 1 || c.EmptySince != 0 {
		t.Fatalf("after a's joins: %+v %v", c, err)
	}
	if nodes, err := d.ChatroomNodes(ctx); err != nil || !maps.Equal(nodes, map[string]int64{"n1": 1_100, "n2": 1_200}) {
		t.Fatalf("nodes: %v %v", nodes, err)
	}
	join("r1", "b", "n1", 1_400, 1_400)

	// Entries: an error from decide changes nothing.
	set := func(room string, es ...*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error) {
		return d.ChangeChatroomEntries(ctx, room, func(map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error) { return es, nil })
	}
	if _, err := set("nope", &pb.ChatroomEntry{Key: "k"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("entries of an unknown room: %v", err)
	}
	if got, err := set("r1",
		&pb.ChatroomEntry{Key: "k2", Value: "v2", Owner: "a", Time: 1_500},
		&pb.ChatroomEntry{Key: "k1", Value: "v1", Owner: "a", Time: 1_500, AutoDelete: true},
		&pb.ChatroomEntry{Key: "k3", Value: "v3", Owner: "b", Time: 1_500, AutoDelete: true},
	); err != nil || len(got) != 3 {
		t.Fatalf("set entries: %v %v", entryKeys(got), err)
	}
	refused := errors.New("refused")
	var seen map[string]*pb.ChatroomEntry
	if _, err := d.ChangeChatroomEntries(ctx, "r1", func(cur map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error) {
		seen = cur
		return []*pb.ChatroomEntry{{Key: "k1", Removed: true}, {Key: "k4", Value: "v4", Owner: "a"}}, refused
	}); err != refused {
		t.Fatalf("a refused change: %v, want the error as is", err)
	}
	if e := seen["k1"]; len(seen) != 3 || e == nil || e.Value != "v1" || e.Owner != "a" || e.Time != 1_500 || !e.AutoDelete || seen["k2"].AutoDelete {
		t.Fatalf("decide saw %v", seen)
	}
	want := []string{"k1=v1(a)", "k2=v2(a)", "k3=v3(b)"}
	if es, err := d.ChatroomEntries(ctx, "r1"); err != nil || !slices.Equal(entryKeys(es), want) {
		t.Fatalf("entries after a refused change: %v %v, want %v", entryKeys(es), err, want)
	}
	if got, err := d.ChangeChatroomEntries(ctx, "r1", func(cur map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error) {
		return []*pb.ChatroomEntry{{Key: "k2", Removed: true}, {Key: "k0", Value: "v0", Owner: "b", Time: 1_600}}, nil
	}); err != nil || !slices.Equal(entryKeys(got), []string{"-k2=()", "k0=v0(b)"}) {
		t.Fatalf("change entries: %v %v", entryKeys(got), err)
	}
	want = []string{"k0=v0(b)", "k1=v1(a)", "k3=v3(b)"}
	if es, err := d.ChatroomEntries(ctx, "r1"); err != nil || !slices.Equal(entryKeys(es), want) {
		t.Fatalf("entries: %v %v, want %v", entryKeys(es), err, want)
	}

	// a leaves n1: still in on n2. Leaving n2 too takes a's auto-delete entry.
	if removed, err := d.LeaveChatroom(ctx, "r1", "a", "n1", at(1_700)); err != nil || len(removed) != 0 {
		t.Fatalf("a leaves n1: %v %v", entryKeys(removed), err)
	}
	if c, _ := d.Chatroom(ctx, "r1"); c.Members != 2 {
		t.Fatalf("a still on n2: %+v", c)
	}
	removed, err := d.LeaveChatroom(ctx, "r1", "a", "n2", at(1_800))
	if err != nil || !slices.Equal(entryKeys(removed), []string{"-k1=v1(a)"}) || !removed[0].AutoDelete || removed[0].Time != 1_800 {
		t.Fatalf("a leaves n2: %v %v", entryKeys(removed), err)
	}
	want = []string{"k0=v0(b)", "k3=v3(b)"}
	if es, err := d.ChatroomEntries(ctx, "r1"); err != nil || !slices.Equal(entryKeys(es), want) {
		t.Fatalf("entries after a left: %v %v, want %v", entryKeys(es), err, want)
	}
	if c, _ := d.Chatroom(ctx, "r1"); c.Members != 1 || c.EmptySince != 0 {
		t.Fatalf("b still in: %+v", c)
	}
	if removed, err := d.LeaveChatroom(ctx, "r1", "a", "n2", at(1_850)); err != nil || len(removed) != 0 {
		t.Fatalf("leaving again: %v %v", entryKeys(removed), err)
	}

	// n1 goes: b with it, the room is empty from then on.
	gone, err := d.LeaveNode(ctx, "n1", at(2_000))
	if err != nil || len(gone) != 1 || !slices.Equal(entryKeys(gone["r1"]), []string{"-k3=v3(b)"}) {
		t.Fatalf("leave node: %v %v", gone, err)
	}
	if c, _ := d.Chatroom(ctx, "r1"); c.Members != 0 || c.EmptySince != 2_000 {
		t.Fatalf("r1 empty: %+v", c)
	}
	if nodes, err := d.ChatroomNodes(ctx); err != nil || len(nodes) != 0 {
		t.Fatalf("nodes after the last left: %v %v", nodes, err)
	}
	// A leave of the empty room does not move its emptiness on.
	if _, err := d.LeaveChatroom(ctx, "r1", "b", "n1", at(2_100)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.CreateChatroom(ctx, "r2", at(2_200)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		before int64
		want   []string
	}{{2_000, nil}, {2_001, []string{"r1"}}, {3_000, []string{"r1", "r2"}}} {
		if ids, err := d.EmptyChatrooms(ctx, at(c.before)); err != nil || !slices.Equal(ids, c.want) {
			t.Fatalf("empty before %d: %v %v, want %v", c.before, ids, err, c.want)
		}
	}

	// Members by join time: a user's earliest row counts (u4 joined on
	// n2 before n1), ties by user.
	for _, j := range []struct {
		user, node string
		at, want   int64
	}{
		{"u1", "n1", 100, 100}, {"u2", "n1", 200, 200}, {"u3", "n1", 300, 300}, {"u4", "n1", 400, 400},
		{"u2", "n2", 500, 200}, {"u4", "n2", 150, 150}, {"u6", "n1", 600, 600}, {"u5", "n2", 600, 600},
	} {
		join("r2", j.user, j.node, j.at, j.want)
	}
	if ids, _ := d.EmptyChatrooms(ctx, at(3_000)); !slices.Equal(ids, []string{"r1"}) {
		t.Fatalf("empty after joining r2: %v", ids)
	}
	members := func(ms []store.ChatroomMember) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprint(m.User, "@", m.Joined))
		}
		return out
	}
	for _, c := range []struct {
		offset, limit int
		latest        bool
		want          []string
	}{
		{0, 2, false, []string{"u1@100", "u4@150"}},
		{2, 10, false, []string{"u2@200", "u3@300", "u5@600", "u6@600"}},
		{0, 3, true, []string{"u6@600", "u5@600", "u3@300"}},
		{4, 10, true, []string{"u4@150", "u1@100"}},
		{6, 10, false, nil},
		{0, 0, false, nil},
	} {
		total, ms, err := d.ChatroomMembers(ctx, "r2", c.offset, c.limit, c.latest)
		if err != nil || total != 6 || !slices.Equal(members(ms), c.want) {
			t.Errorf("members from %d, %d, latest=%v: %d %v %v, want 6 %v", c.offset, c.limit, c.latest, total, members(ms), err, c.want)
		}
	}
	if total, ms, err := d.ChatroomMembers(ctx, "r1", 0, 10, false); err != nil || total != 0 || len(ms) != 0 {
		t.Fatalf("members of the empty room: %d %v %v", total, ms, err)
	}

	// Mutes expire with their time; 0 unmutes; all mutes the room.
	if err := d.MuteChatroom(ctx, "nope", []string{"a"}, 5_000, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("muting in an unknown room: %v", err)
	}
	if err := d.MuteChatroom(ctx, "r2", []string{"u1", "u2"}, 5_000, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.MuteChatroom(ctx, "r2", []string{"u3"}, 6_000, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now  int64
		want map[string]int64
	}{
		{4_000, map[string]int64{"u1": 5_000, "u2": 5_000, "u3": 6_000}},
		{5_000, map[string]int64{"u3": 6_000}},
		{6_000, map[string]int64{}},
	} {
		if m, err := d.ChatroomMutes(ctx, "r2", at(c.now)); err != nil || !maps.Equal(m, c.want) {
			t.Errorf("mutes at %d: %v %v, want %v", c.now, m, err, c.want)
		}
	}
	yes, no := true, false
	if err := d.MuteChatroom(ctx, "r2", []string{"u1"}, 0, &yes); err != nil {
		t.Fatal(err)
	}
	if m, _ := d.ChatroomMutes(ctx, "r2", at(4_000)); !maps.Equal(m, map[string]int64{"u2": 5_000, "u3": 6_000}) {
		t.Fatalf("mutes after unmuting u1: %v", m)
	}
	if c, _ := d.Chatroom(ctx, "r2"); !c.MutedAll {
		t.Fatalf("r2 not muted: %+v", c)
	}
	if err := d.MuteChatroom(ctx, "r2", nil, 0, &no); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Chatroom(ctx, "r2"); c.MutedAll {
		t.Fatalf("r2 still muted: %+v", c)
	}

	// Listing.
	if _, _, err := d.CreateChatroom(ctx, "r3", at(3_000)); err != nil {
		t.Fatal(err)
	}
	list := func(after string, limit int) []string {
		cs, err := d.ListChatrooms(ctx, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprint(c.ID, ":", c.Members))
		}
		return out
	}
	if l := list("", 2); !slices.Equal(l, []string{"r1:0", "r2:6"}) {
		t.Fatalf("list: %v", l)
	}
	if l := list("r2", 10); !slices.Equal(l, []string{"r3:0"}) {
		t.Fatalf("list after r2: %v", l)
	}

	// History: chat room retention leaves other conversations alone;
	// destroying a room takes its history, and its id starts over.
	r2 := store.ChatroomConvID("r2")
	private := store.PrivateConvID("u1", "u2")
	for i, ms := range []int64{3_000, 4_000} {
		clock = at(ms)
		if _, _, err := d.Append(ctx, r2, chatroomMsg("u1", "r2", fmt.Sprint("c", i))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.Append(ctx, private, Msg("u1", "u2", fmt.Sprint("p", i))); err != nil {
			t.Fatal(err)
		}
	}
	if ms, _, err := d.History(ctx, "u3", r2, 0, 10, false, nil); err != nil || len(ms) != 2 {
		t.Fatalf("room history: %d %v", len(ms), err)
	}
	if n, err := d.DeleteChatroomHistoryBefore(ctx, at(3_500)); err != nil || n != 1 {
		t.Fatalf("chat room retention: %d %v", n, err)
	}
	if ms, _, err := d.History(ctx, "u3", r2, 0, 10, false, nil); err != nil || len(ms) != 1 || ms[0].Seq != 2 {
		t.Fatalf("room history after retention: %d %v", len(ms), err)
	}
	if start, last, err := d.VisibleRange(ctx, "u3", r2); err != nil || start != 2 || last != 2 {
		t.Fatalf("room range after retention: [%d, %d] %v", start, last, err)
	}
	if ms, _, err := d.History(ctx, "u1", private, 0, 10, false, nil); err != nil || len(ms) != 2 {
		t.Fatalf("private history after chat room retention: %d %v", len(ms), err)
	}

	if _, err := set("r2", &pb.ChatroomEntry{Key: "k", Value: "v", Owner: "u1", Time: 4_000}); err != nil {
		t.Fatal(err)
	}
	// Only if empty since before the time given: r2 has a member.
	if err := d.DestroyChatroom(ctx, "r2", time.UnixMilli(1<<40)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("destroying a room with a member as empty: %v", err)
	}
	if err := d.DestroyChatroom(ctx, "r2", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := d.DestroyChatroom(ctx, "r2", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("destroying twice: %v", err)
	}
	if _, err := d.Chatroom(ctx, "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a destroyed room: %v", err)
	}
	if ms, _, err := d.History(ctx, "u3", r2, 0, 10, false, nil); err != nil || len(ms) != 0 {
		t.Fatalf("history of a destroyed room: %d %v", len(ms), err)
	}
	// A send that passed its checks before the room went takes nothing
	// (no history made again for a room of the same id later).
	if _, _, err := d.Append(ctx, r2, chatroomMsg("u1", "r2", "late")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an append to a destroyed room: %v", err)
	}
	if ms, _, err := d.History(ctx, "u3", r2, 0, 10, false, nil); err != nil || len(ms) != 0 {
		t.Fatalf("history of a destroyed room after a late append: %d %v", len(ms), err)
	}
	if total, _, err := d.ChatroomMembers(ctx, "r2", 0, 10, false); err != nil || total != 0 {
		t.Fatalf("members of a destroyed room: %d %v", total, err)
	}
	if m, err := d.ChatroomMutes(ctx, "r2", at(0)); err != nil || len(m) != 0 {
		t.Fatalf("mutes of a destroyed room: %v %v", m, err)
	}
	if es, err := d.ChatroomEntries(ctx, "r2"); err != nil || len(es) != 0 {
		t.Fatalf("entries of a destroyed room: %v %v", entryKeys(es), err)
	}
	if nodes, _ := d.ChatroomNodes(ctx); len(nodes) != 0 {
		t.Fatalf("nodes after the destruction: %v", nodes)
	}
	if ms, _, err := d.History(ctx, "u1", private, 0, 10, false, nil); err != nil || len(ms) != 2 {
		t.Fatalf("private history after the destruction: %d %v", len(ms), err)
	}
	if _, _, err := d.CreateChatroom(ctx, "r2", at(5_000)); err != nil {
		t.Fatal(err)
	}
	clock = at(5_000)
	// c1 was not deleted by age: not finding it as a resend shows it gone.
	if m, dup, err := d.Append(ctx, r2, chatroomMsg("u1", "r2", "c1")); err != nil || dup || m.Seq != 1 {
		t.Fatalf("the new room's first message: %+v dup=%v %v", m, dup, err)
	}
	if start, last, err := d.VisibleRange(ctx, "u3", r2); err != nil || start != 1 || last != 1 {
		t.Fatalf("the new room's range: [%d, %d] %v", start, last, err)
	}
}
