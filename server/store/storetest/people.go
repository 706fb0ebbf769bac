package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Profiles, unique ids, friends, requests, blocks and subscriptions: what
// each change writes is what the reads give back.
func people(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	setProfile := func(user, name, unique string) error {
		_, err := d.ChangePerson(ctx, user, func(p *store.Person) (*store.Person, []*pb.Message, error) {
			p.Profile.Name, p.Profile.UniqueId, p.Profile.Ext = name, unique, map[string]string{"k": name}
			p.Updated = 10
			return p, []*pb.Message{logEntry(user, "profile-"+name)}, nil
		})
		return err
	}
	if err := setProfile("a", "Ann", "ann"); err != nil {
		t.Fatal(err)
	}
	if err := setProfile("b", "Bo", "ann"); !errors.Is(err, store.ErrExists) {
		t.Fatalf("b taking a's unique id: %v", err)
	}
	if ps, err := d.People(ctx, []string{"a", "b"}); err != nil || len(ps) != 1 || ps["a"].Profile.Name != "Ann" || ps["a"].Profile.Ext["k"] != "Ann" || ps["a"].Updated != 10 {
		t.Fatalf("people: %v %v", ps, err)
	}
	// Quiet hours are kept beside the profile, and removed.
	setQuiet := func(q *pb.QuietHours) {
		t.Helper()
		if _, err := d.ChangePerson(ctx, "a", func(p *store.Person) (*store.Person, []*pb.Message, error) {
			p.QuietHours = q
			return p, nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	setQuiet(&pb.QuietHours{StartTime: "22:30:00", SpanMinutes: 480, Level: 1, Timezone: "Asia/Shanghai"})
	if ps, err := d.People(ctx, []string{"a"}); err != nil || ps["a"].QuietHours == nil || ps["a"].Profile.Name != "Ann" ||
		*ps["a"].QuietHours != (pb.QuietHours{StartTime: "22:30:00", SpanMinutes: 480, Level: 1, Timezone: "Asia/Shanghai"}) {
		t.Fatalf("quiet hours: %+v %v", ps["a"], err)
	}
	setQuiet(nil)
	if ps, err := d.People(ctx, []string{"a"}); err != nil || ps["a"].QuietHours != nil || ps["a"].Profile.Name != "Ann" {
		t.Fatalf("quiet hours removed: %+v %v", ps["a"], err)
	}
	if p, err := d.PersonByUniqueID(ctx, "ann"); err != nil || p.ID != "a" || p.Profile.UserId != "a" {
		t.Fatalf("by unique id: %+v %v", p, err)
	}
	if _, err := d.PersonByUniqueID(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown unique id: %v", err)
	}

	// a asks b, b accepts: friends both ways; then b blocks a.
	change := func(x, y string, decide func(p *store.Pair)) *store.Pair {
		t.Helper()
		var seen *store.Pair
		if _, err := d.ChangePair(ctx, x, y, func(p *store.Pair) (*store.Pair, []*pb.Message, error) {
			seen = p.Clone()
			decide(p)
			return p, nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		return seen
	}
	change("a", "b", func(p *store.Pair) {
		p.Request[0] = &store.FriendRequest{From: "a", To: "b", Status: 0, Extra: "hi", Time: 100}
	})
	seen := change("b", "a", func(p *store.Pair) {
		p.Request[1].Status, p.Request[1].Time = 1, 200
		p.Friend[0] = &store.Friend{Remark: "Ann", Ext: map[string]string{"x": "y"}, Added: 200}
		p.Friend[1] = &store.Friend{Added: 200}
	})
	if seen.Request[1] == nil || seen.Request[1].Extra != "hi" || seen.Friends != [2]int{0, 0} {
		t.Fatalf("the pair b saw: %+v", seen)
	}
	if fs, err := d.Friends(ctx, "b"); err != nil || len(fs) != 1 || fs["a"].Remark != "Ann" || fs["a"].Ext["x"] != "y" {
		t.Fatalf("b's friends: %v %v", fs, err)
	}
	if rs, err := d.FriendRequests(ctx, "b", 0, 10); err != nil || len(rs) != 1 || rs[0].From != "a" || rs[0].Status != 1 || rs[0].Time != 200 {
		t.Fatalf("b's requests: %v %v", rs, err)
	}
	if rs, _ := d.FriendRequests(ctx, "a", 150, 10); len(rs) != 0 {
		t.Fatalf("requests before 150: %v", rs)
	}
	seen = change("b", "a", func(p *store.Pair) { p.Blocks[0], p.Friend[0], p.Friend[1] = 300, nil, nil })
	if seen.Friends != [2]int{1, 1} {
		t.Fatalf("friend counts before unfriending: %v", seen.Friends)
	}
	if l, err := d.Blacklist(ctx, "b"); err != nil || l["a"] != 300 {
		t.Fatalf("b's blacklist: %v %v", l, err)
	}
	if fs, _ := d.Friends(ctx, "a"); len(fs) != 0 {
		t.Fatalf("a's friends after: %v", fs)
	}
	if seen := change("a", "b", func(*store.Pair) {}); seen.Blocks != [2]int64{0, 300} || seen.Blocked != [2]int{0, 1} {
		t.Fatalf("blocks as a sees them: %v %v", seen.Blocks, seen.Blocked)
	}

	// Subscriptions: at most 2 of c's, at most 1 other subscriber each.
	sub := func(who string, now int64, targets ...string) ([]string, error) {
		full, _, err := d.Subscribe(ctx, who, 1, targets, now, 60, 2, 1, func(s []store.Subscription) *pb.Message {
			return logEntry(who, fmt.Sprint("sub", now, who, len(s)))
		})
		return full, err
	}
	if full, err := sub("c", 1000, "a", "b"); err != nil || len(full) != 0 {
		t.Fatalf("c subscribing: %v %v", full, err)
	}
	if full, err := sub("e", 1000, "a"); err != nil || len(full) != 1 || full[0] != "a" {
		t.Fatalf("a second subscriber of a: %v %v", full, err)
	}
	if _, err := sub("c", 1000, "x"); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("c's third: %v", err)
	}
	if full, err := sub("e", 1000+61_000, "a"); err != nil || len(full) != 0 {
		t.Fatalf("after c's expired: %v %v", full, err)
	}
	if m, err := d.Unsubscribe(ctx, "c", 1, []string{"b", "nobody"}, func(s []store.Subscription) *pb.Message {
		if len(s) != 1 || s[0].Target != "b" {
			t.Errorf("ended: %v", s)
		}
		return logEntry("c", "unsub")
	}); err != nil || m == nil {
		t.Fatalf("unsubscribe: %v %v", m, err)
	}
	if s, err := d.Subscribers(ctx, "a"); err != nil || len(s) != 2 {
		t.Fatalf("a's subscribers (c expired, e): %v %v", s, err)
	}
	if s, _ := d.Subscriptions(ctx, "c"); len(s) != 1 || s[0].Target != "a" {
		t.Fatalf("c's subscriptions: %v", s)
	}
}

// Erasing a user leaves tombstones where their messages were and nothing
// else of theirs; the others' messages stay.
func eraseUser(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	conv := store.PrivateConvID("a", "b")
	mine, _, err := d.Append(ctx, conv, Msg("a", "b", "1"))
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, _ := d.Append(ctx, conv, Msg("b", "a", "2"))
	CreateGroup(t, d, "g1", "owner", "a")
	gm := Msg("a", "g1", "3")
	gm.ConvType = pb.ConversationType_GROUP
	inGroup, _, _ := d.Append(ctx, store.GroupConvID("g1"), gm)
	if _, err := d.ChangePerson(ctx, "a", func(p *store.Person) (*store.Person, []*pb.Message, error) {
		p.Profile.Name = "Ann"
		return p, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetSettings(ctx, "a", []*pb.Conversation{{Type: pb.ConversationType_PRIVATE, Target: "b"}}, 1, func(s *pb.ConversationSettings, _ uint64) { s.IsTop = true },
		func(*pb.Conversation, *pb.ConversationSettings) *pb.Message { return logEntry("a", "pin") }); err != nil {
		t.Fatal(err)
	}
	revoke := time.UnixMilli(5_000)
	if n, err := d.EraseUser(ctx, "a", revoke); err != nil || n != 2 {
		t.Fatalf("erase: %d %v", n, err)
	}
	ms, _, _, err := d.Pull(ctx, "b", conv, 0, 10, time.Time{}, 0)
	if err != nil || len(ms) != 2 || !ms[0].Tombstone || ms[0].Seq != mine.Seq || len(ms[0].Content) != 0 || ms[1].Uid != theirs.Uid {
		t.Fatalf("b's conversation after: %v %v", ms, err)
	}
	if m, err := d.MessageByUID(ctx, store.GroupConvID("g1"), inGroup.Uid); err != nil || !m.Tombstone {
		t.Fatalf("a's group message: %v %v", m, err)
	}
	if ps, _ := d.People(ctx, []string{"a"}); len(ps) != 0 {
		t.Fatalf("a's profile stays: %v", ps)
	}
	if a, _ := d.Access(ctx, "a"); !a.TokensValidAfter.Equal(revoke) {
		t.Fatalf("a's tokens: %+v", a)
	}
	if _, states, _ := d.Changes(ctx, "a", 0); len(states) != 0 {
		t.Fatalf("a's conversations and settings stay: %v", states)
	}
	if g, _ := d.JoinedGroups(ctx, "a"); len(g) != 0 {
		t.Fatalf("a's groups: %v", g)
	}
	// A resend of a's erased message is a new message: nothing matches.
	if _, dup, err := d.Append(ctx, conv, Msg("a", "b", "1")); err != nil || dup {
		t.Fatalf("a resend after erasing: dup=%v %v", dup, err)
	}
}
