package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// ultraMsg is a text message from from to a channel of ultra group g.
func ultraMsg(from, g, channel, cid string) *pb.Message {
	m := Msg(from, g, cid)
	m.ConvType, m.Channel, m.IsCounted, m.IsPersisted = pb.ConversationType_ULTRA_GROUP, channel, true, true
	return m
}

// Ultra groups: members and channels (public for every member, private
// for those allowed), the rows that carry each member's watermark and
// bound what they see, counts from the watermark, limits, mutes, and a
// group dismissed.
func ultraGroups(t *testing.T, b Backend) {
	ctx := context.Background()
	now := time.UnixMilli(5_000)
	d := b.Open(t, func() time.Time { return now })
	change := func(c store.UltraChange) store.UltraResult {
		t.Helper()
		c.Now = now
		r, err := d.ChangeUltraGroup(ctx, c)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		return r
	}
	fails := func(c store.UltraChange, want error) {
		t.Helper()
		c.Now = now
		if _, err := d.ChangeUltraGroup(ctx, c); !errors.Is(err, want) {
			t.Fatalf("%+v: %v, want %v", c, err, want)
		}
	}
	states := func(user string) map[string]*pb.ConversationState {
		t.Helper()
		_, sts, err := d.Changes(ctx, user, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*pb.ConversationState{}
		for _, st := range sts {
			if st.Conv.Type == pb.ConversationType_ULTRA_GROUP {
				out[st.Conv.Target+"/"+st.Conv.Channel] = st
			}
		}
		return out
	}
	send := func(from, channel, cid string) *pb.Message {
		t.Helper()
		m, _, err := d.Append(ctx, store.UltraConvID("ug", channel), ultraMsg(from, "ug", channel, cid))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	r := change(store.UltraChange{Op: store.UltraCreate, Group: "ug", Name: "Big", Owner: "o", Users: []string{"a", "b"}, MaxMembers: 4})
	if !slices.Equal(r.Changed, []string{"o", "a", "b"}) {
		t.Fatalf("created with %v", r.Changed)
	}
	fails(store.UltraChange{Op: store.UltraCreate, Group: "ug", Owner: "o"}, store.ErrExists)
	fails(store.UltraChange{Op: store.UltraAddMembers, Group: "nope", Users: []string{"a"}}, store.ErrNotFound)
	fails(store.UltraChange{Op: store.UltraAddMembers, Group: "ug", Users: []string{"c", "d"}, MaxMembers: 4}, store.ErrLimit)
	if r := change(store.UltraChange{Op: store.UltraAddMembers, Group: "ug", Users: []string{"a", "c"}, MaxMembers: 4}); !slices.Equal(r.Changed, []string{"c"}) {
		t.Fatalf("added %v, want c alone (a is in)", r.Changed)
	}
	change(store.UltraChange{Op: store.UltraCreateChannel, Group: "ug", Channel: "pub", MaxChannels: 2})
	change(store.UltraChange{Op: store.UltraCreateChannel, Group: "ug", Channel: "priv", Private: true, MaxChannels: 2})
	fails(store.UltraChange{Op: store.UltraCreateChannel, Group: "ug", Channel: "pub", MaxChannels: 5}, store.ErrExists)
	fails(store.UltraChange{Op: store.UltraCreateChannel, Group: "ug", Channel: "more", MaxChannels: 2}, store.ErrLimit)
	fails(store.UltraChange{Op: store.UltraDeleteChannel, Group: "ug", Channel: ""}, store.ErrNotFound)
	if r := change(store.UltraChange{Op: store.UltraAllowChannel, Group: "ug", Channel: "priv", Users: []string{"a", "x"}}); !slices.Equal(r.Changed, []string{"a"}) {
		t.Fatalf("allowed %v, want a (x is no member)", r.Changed)
	}

	g, err := d.UltraGroup(ctx, "ug")
	if err != nil || g.Name != "Big" || g.Owner != "o" || g.Created != 5_000 || len(g.Members) != 4 || len(g.Channels) != 3 ||
		!g.Channels["priv"].Private || !g.Channels["priv"].MayUse("a") || g.Channels["priv"].MayUse("b") || !g.Channels["pub"].MayUse("b") {
		t.Fatalf("group: %+v %v", g, err)
	}
	if gs, err := d.UltraGroupsOf(ctx, "a"); err != nil || !slices.Equal(gs, []string{"ug"}) {
		t.Fatalf("a's groups: %v %v", gs, err)
	}
	if gs, err := d.ListUltraGroups(ctx, "", 10); err != nil || !slices.Equal(gs, []string{"ug"}) {
		t.Fatalf("list: %v %v", gs, err)
	}

	// Each member lists the channels they may use; messages count from
	// their watermark, never from rows per message.
	if got := slices.Sorted(maps.Keys(states("a"))); !slices.Equal(got, []string{"ug/", "ug/priv", "ug/pub"}) {
		t.Fatalf("a's channels: %v", got)
	}
	if got := slices.Sorted(maps.Keys(states("b"))); !slices.Equal(got, []string{"ug/", "ug/pub"}) {
		t.Fatalf("b's channels: %v", got)
	}
	send("o", "pub", "m1")
	m2 := send("o", "pub", "m2")
	send("a", "priv", "m3")
	if st := states("b")["ug/pub"]; st.LastSeq != 2 || st.UnreadCount != 2 {
		t.Fatalf("b's pub: %+v", st)
	}
	if _, _, err := d.MarkRead(ctx, "b", store.UltraConvID("ug", "pub"), 1, "", nil); err != nil {
		t.Fatal(err)
	}
	if st := states("b")["ug/pub"]; st.ReadSeq != 1 || st.UnreadCount != 1 {
		t.Fatalf("b's pub after reading 1: %+v", st)
	}
	if _, _, err := d.VisibleRange(ctx, "b", store.UltraConvID("ug", "priv")); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("b reads priv: %v", err)
	}
	if msgs, _, _, err := d.Pull(ctx, "c", store.UltraConvID("ug", "pub"), 0, 10, time.Time{}, 0); err != nil || len(msgs) != 2 || msgs[1].Uid != m2.Uid || msgs[1].Channel != "pub" {
		t.Fatalf("c pulls pub: %v %v", msgs, err)
	}

	// b made private-list member: priv opens for b; disallowed: it ends.
	change(store.UltraChange{Op: store.UltraAllowChannel, Group: "ug", Channel: "priv", Users: []string{"b"}})
	if st := states("b")["ug/priv"]; st == nil || st.LastSeq != 1 {
		t.Fatalf("b's priv once allowed: %+v", st)
	}
	change(store.UltraChange{Op: store.UltraDisallowChannel, Group: "ug", Channel: "priv", Users: []string{"b"}})
	send("a", "priv", "m4")
	if _, last, err := d.VisibleRange(ctx, "b", store.UltraConvID("ug", "priv")); err != nil || last != 1 {
		t.Fatalf("b's priv after leaving it: last %d %v", last, err)
	}
	// A removed member's rows end at each channel's last message.
	if r := change(store.UltraChange{Op: store.UltraRemoveMembers, Group: "ug", Users: []string{"c", "zz"}}); !slices.Equal(r.Changed, []string{"c"}) {
		t.Fatalf("removed %v", r.Changed)
	}
	send("o", "pub", "m5")
	if _, last, err := d.VisibleRange(ctx, "c", store.UltraConvID("ug", "pub")); err != nil || last != 2 {
		t.Fatalf("c's pub after removal: last %d %v", last, err)
	}
	if _, _, err := d.VisibleRange(ctx, "c", store.UltraConvID("ug", "")); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("c's default channel (no message when removed): %v", err)
	}
	// Making a channel private ends the rows of those not on its list.
	change(store.UltraChange{Op: store.UltraSetChannelPrivate, Group: "ug", Channel: "pub", Private: true})
	if _, last, err := d.VisibleRange(ctx, "b", store.UltraConvID("ug", "pub")); err != nil || last != 3 {
		t.Fatalf("b's pub made private: last %d %v", last, err)
	}
	change(store.UltraChange{Op: store.UltraSetChannelPrivate, Group: "ug", Channel: "pub", Private: false})
	if _, last, err := d.VisibleRange(ctx, "b", store.UltraConvID("ug", "pub")); err != nil || last != 3 {
		t.Fatalf("b's pub public again: last %d %v", last, err)
	}
	send("o", "pub", "m6")
	if _, last, err := d.VisibleRange(ctx, "b", store.UltraConvID("ug", "pub")); err != nil || last != 4 {
		t.Fatalf("b's pub public again, after a message: last %d %v", last, err)
	}

	change(store.UltraChange{Op: store.UltraMute, Group: "ug", Users: []string{"a"}, Until: -1})
	change(store.UltraChange{Op: store.UltraMuteAll, Group: "ug", All: true})
	if g, err := d.UltraGroup(ctx, "ug"); err != nil || g.Members["a"] != -1 || g.Members["b"] != 0 || !g.MutedAll {
		t.Fatalf("mutes: %+v %v", g, err)
	}
	if r := change(store.UltraChange{Op: store.UltraDeleteChannel, Group: "ug", Channel: "priv"}); !slices.Equal(r.Changed, []string{"a"}) {
		t.Fatalf("deleting priv changed %v", r.Changed)
	}
	if _, ok := states("a")["ug/priv"]; !ok {
		t.Fatal("a's priv went from the list: it ends, keeping what a saw")
	}
	// A channel made again under the id of one deleted starts past the
	// old one's messages: who was not on its list sees none of them.
	change(store.UltraChange{Op: store.UltraCreateChannel, Group: "ug", Channel: "priv"})
	if start, last, err := d.VisibleRange(ctx, "b", store.UltraConvID("ug", "priv")); err != nil || start != 3 || last != 2 {
		t.Fatalf("b's priv made again: %d-%d %v, want nothing of the old one's 2", start, last, err)
	}
	if msgs, _, _, err := d.Pull(ctx, "b", store.UltraConvID("ug", "priv"), 0, 10, time.Time{}, 0); err != nil || len(msgs) != 0 {
		t.Fatalf("b pulls priv made again: %v %v", msgs, err)
	}
	r = change(store.UltraChange{Op: store.UltraDismiss, Group: "ug"})
	if slices.Sort(r.Changed); !slices.Equal(r.Changed, []string{"a", "b", "o"}) {
		t.Fatalf("dismissed: %v", r.Changed)
	}
	if _, err := d.UltraGroup(ctx, "ug"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("dismissed group: %v", err)
	}
	if gs, err := d.UltraGroupsOf(ctx, "a"); err != nil || len(gs) != 0 {
		t.Fatalf("a's groups after the dismissal: %v %v", gs, err)
	}
	if _, last, err := d.VisibleRange(ctx, "a", store.UltraConvID("ug", "pub")); err != nil || last != 4 {
		t.Fatalf("a's pub after the dismissal: last %d %v", last, err)
	}
	// A group made again under the id: its members see none of the old one.
	change(store.UltraChange{Op: store.UltraCreate, Group: "ug", Owner: "x", Users: []string{"a"}})
	change(store.UltraChange{Op: store.UltraCreateChannel, Group: "ug", Channel: "pub"})
	for _, u := range []string{"x", "a"} {
		if msgs, _, _, err := d.Pull(ctx, u, store.UltraConvID("ug", "pub"), 0, 10, time.Time{}, 0); err != nil || len(msgs) != 0 {
			t.Fatalf("%s pulls pub of the group made again: %v %v", u, msgs, err)
		}
	}
	if st := states("a")["ug/pub"]; st == nil || st.StartSeq != 5 || st.UnreadCount != 0 {
		t.Fatalf("a's pub of the group made again: %+v", st)
	}
}
