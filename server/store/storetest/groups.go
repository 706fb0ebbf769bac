package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

func changeGroupWritesTheDifference(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	created := CreateGroup(t, d, "g1", "o", "a", "b")
	if created.Before != nil || created.Ntf.Seq != 1 || len(created.After.Members) != 3 {
		t.Fatalf("create: %+v", created)
	}
	if _, err := d.ChangeGroup(ctx, "g1", func(g *store.Group) (*store.GroupChange, error) {
		if g == nil {
			t.Fatal("created group not found")
		}
		return nil, store.ErrExists
	}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("refusal: %v", err)
	}

	// One change: the profile, a role, a nickname, a mute, one leaving,
	// one joining, an application and a log entry.
	ch, err := d.ChangeGroup(ctx, "g1", func(g *store.Group) (*store.GroupChange, error) {
		g.Name, g.Notice, g.Ext, g.MuteAll = "renamed", "hello", map[string]string{"k": "v"}, true
		g.Policy.Join = contract.JoinFree
		a := g.Members["a"]
		a.Role, a.Nickname, a.MutedUntil = contract.RoleManager, "Ann", 99
		a.Follows = map[string]int64{"o": 5}
		g.Members["a"] = a
		delete(g.Members, "b")
		g.Members["c"] = store.Member{Role: contract.RoleNormal, Joined: 3}
		g.Applications[store.AppKey{User: "x"}] = store.Application{Status: contract.AppManagerUnhandled, Time: 4}
		log := &pb.Message{ConvType: pb.ConversationType_USER_LOG, FromUser: "x", To: "x", ClientMsgId: "log-1", IsPersisted: true, Log: &pb.LogEntry{}}
		return &store.GroupChange{Group: g, Ntf: Ntf("change"), Logs: []*pb.Message{log}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Ntf.Seq != 2 || len(ch.Logs) != 1 || ch.Logs[0].Seq != 1 || len(ch.Before.Members) != 3 || ch.Before.Name != "one" {
		t.Fatalf("change: ntf %v logs %v before %+v", ch.Ntf, ch.Logs, ch.Before)
	}
	// b sees up to the change, c from it.
	if _, _, last, err := d.Pull(ctx, "b", store.GroupConvID("g1"), 0, 10, time.Time{}, 1000); err != nil || last != 2 {
		t.Fatalf("b left: last %d %v", last, err)
	}
	if ms, start, _, err := d.Pull(ctx, "c", store.GroupConvID("g1"), 0, 10, time.Time{}, 1000); err != nil || start != 2 || len(ms) != 1 {
		t.Fatalf("c joined: from %d, %d messages, %v", start, len(ms), err)
	}

	// A refused change takes nothing: no sequence number, no member.
	if _, err := d.ChangeGroup(ctx, "g1", func(g *store.Group) (*store.GroupChange, error) {
		g.Members["z"] = store.Member{Role: contract.RoleNormal}
		return nil, fmt.Errorf("no: %w", store.ErrNotMember)
	}); !errors.Is(err, store.ErrNotMember) {
		t.Fatal(err)
	}
	// Joining or leaving needs a notification.
	if _, err := d.ChangeGroup(ctx, "g1", func(g *store.Group) (*store.GroupChange, error) {
		g.Members["z"] = store.Member{Role: contract.RoleNormal}
		return &store.GroupChange{Group: g}, nil
	}); err == nil {
		t.Fatal("a join without a notification was taken")
	}
	// The joined-groups limit: o is in g1 and g2; with a limit of 2 o may
	// not join a third.
	CreateGroup(t, d, "g2", "o")
	if _, err := d.ChangeGroup(ctx, "g3", func(g *store.Group) (*store.GroupChange, error) {
		g = &store.Group{Name: "three", OwnerID: "o", Members: map[string]store.Member{"o": {Role: contract.RoleOwner}}}
		return &store.GroupChange{Group: g, Ntf: Ntf("create-g3"), MaxJoined: 2}, nil
	}); !errors.Is(err, store.ErrTooManyGroups) {
		t.Fatalf("third group: %v", err)
	}
	if _, err := d.Group(ctx, "g3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused group stored: %v", err)
	}

	// Everything is there after a restart.
	d = b.Reopen(t, d)
	g, err := d.Group(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	a := g.Members["a"]
	if g.Name != "renamed" || g.Notice != "hello" || g.Ext["k"] != "v" || !g.MuteAll || g.Policy.Join != contract.JoinFree ||
		len(g.Members) != 3 || a.Role != contract.RoleManager || a.Nickname != "Ann" || a.MutedUntil != 99 || a.Follows["o"] != 5 ||
		g.Members["c"].Joined != 3 || g.Applications[store.AppKey{User: "x"}].Time != 4 || g.CreatorID != "o" {
		t.Fatalf("after restart: %+v", g)
	}
	if _, ok := g.Members["z"]; ok {
		t.Fatal("refused member stored")
	}
	joined, err := d.JoinedGroups(ctx, "o")
	if err != nil || len(joined) != 2 || joined["g1"] != contract.RoleOwner {
		t.Fatalf("o's groups: %v %v", joined, err)
	}
	// Applications: x's own, and o's and a's to handle (owner, manager);
	// c (a member) sees none.
	for user, want := range map[string]int{"x": 1, "o": 1, "a": 1, "c": 0} {
		apps, err := d.GroupApplications(ctx, user, 0, 10)
		if err != nil || len(apps) != want {
			t.Fatalf("%s's applications: %v %v", user, apps, err)
		}
	}

	// Dismissing: every member leaves.
	if _, err := d.ChangeGroup(ctx, "g1", func(g *store.Group) (*store.GroupChange, error) {
		g.Dismissed = true
		clear(g.Members)
		return &store.GroupChange{Group: g, Ntf: Ntf("dismiss")}, nil
	}); err != nil {
		t.Fatal(err)
	}
	g, _ = d.Group(ctx, "g1")
	if !g.Dismissed || len(g.Members) != 0 {
		t.Fatalf("dismissed: %+v", g)
	}
}
