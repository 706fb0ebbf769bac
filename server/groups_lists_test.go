package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Invitations made by one call share one time: getGroupApplications'
// page token (the last item's time) must still reach every one of them.
func TestGroupApplicationsPageReachesAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	a.connect(t, token(t, "alice", time.Hour))
	inf := &pb.GroupInfo{Name: "G", InviteHandlePermission: int32(contract.InviteInviteeVerify),
		Fields: contract.FieldName | contract.FieldInviteHandlePermission}
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "gp1", Info: inf})
	invitees := []string{"u1", "u2", "u3", "u4", "u5"}
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "gp1", UserIds: invitees})
	all := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS, Count: 50})
	if len(all.Applications) != 5 {
		t.Fatalf("one page of 50: %d applications", len(all.Applications))
	}
	seen := map[string]bool{}
	tok := ""
	for i := 0; i < 10; i++ {
		res := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS, Count: 2, PageToken: tok})
		for _, ap := range res.Applications {
			if seen[ap.UserId] {
				t.Errorf("page %d repeats %s", i, ap.UserId)
			}
			seen[ap.UserId] = true
		}
		if tok = res.PageToken; tok == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("paging by 2 gave %d of the 5 invitations: %v", len(seen), seen)
	}
}

// A member joining between two pages of getGroupMembersByRole (newest
// first, RongIMLib's default) must not make page 2 repeat page 1.
func TestGroupMembersPageAfterAJoin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	a.connect(t, token(t, "alice", time.Hour))
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "gp2", Info: info("G"), UserIds: []string{"m1", "m2", "m3"}})
	p1 := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: "gp2", Count: 2})
	e.clock.add(5 * time.Millisecond) // m4 joins later than m1-m3
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "gp2", UserIds: []string{"m4"}})
	got := p1.Members
	for tok := p1.PageToken; tok != ""; {
		p := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: "gp2", Count: 2, PageToken: tok})
		got, tok = append(got, p.Members...), p.PageToken
	}
	seen := map[string]bool{}
	var order []string
	for _, m := range got {
		order = append(order, m.UserId)
		if seen[m.UserId] {
			t.Errorf("%s listed twice across pages: %v", m.UserId, order)
		}
		seen[m.UserId] = true
	}
	for _, u := range []string{"alice", "m1", "m2", "m3"} {
		if !seen[u] {
			t.Errorf("%s (a member before page 1) never listed: %v", u, order)
		}
	}
}

// The same with getFriends (newest first): a friend added between pages.
func TestFriendsPageAfterAnAdd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	a.connect(t, token(t, "alice", time.Hour))
	free := func(u string) {
		d := e.device(u, u+"-d", devOpts{})
		d.connect(t, token(t, u, time.Hour))
		if _, err := d.People(context.Background(), &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_PERMISSION_SET, Value: contract.FriendAddFree}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 4; i++ {
		free(fmt.Sprint("f", i))
	}
	add := func(u string) {
		if _, err := a.People(context.Background(), &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: u, Direction: contract.DirectionBoth}); err != nil {
			t.Fatal(err)
		}
		e.clock.add(3 * time.Millisecond) // each friend added at a time of its own
	}
	for i := 1; i <= 3; i++ {
		add(fmt.Sprint("f", i))
	}
	list := func(tok string) *pb.PeopleResult {
		res, err := a.People(context.Background(), &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_LIST, Direction: contract.DirectionBoth, Count: 2, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	p1 := list("")
	add("f4")
	got := p1.Friends
	for tok := p1.PageToken; tok != ""; {
		p := list(tok)
		got, tok = append(got, p.Friends...), p.PageToken
	}
	seen := map[string]bool{}
	var order []string
	for _, f := range got {
		order = append(order, f.UserId)
		if seen[f.UserId] {
			t.Errorf("%s listed twice across pages: %v", f.UserId, order)
		}
		seen[f.UserId] = true
	}
	for _, u := range []string{"f1", "f2", "f3"} {
		if !seen[u] {
			t.Errorf("%s never listed: %v", u, order)
		}
	}
}

// searchGroupMembers: RongIMLib searches the user's name when the member
// has no group nickname ("昵称为空时，默认搜索用户名").
func TestSearchGroupMembersByName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	b := e.device("bob", "b1", devOpts{})
	a.connect(t, token(t, "alice", time.Hour))
	b.connect(t, token(t, "bob", time.Hour))
	if _, err := b.People(context.Background(), &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE,
		Profile: &pb.UserProfile{Name: "Robert", Fields: contract.ProfName}}); err != nil {
		t.Fatal(err)
	}
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "gp3", Info: info("G"), UserIds: []string{"bob"}})
	res := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SEARCH_MEMBERS, GroupId: "gp3", Text: "Robert", Count: 50})
	if len(res.Members) != 1 || res.Members[0].UserId != "bob" {
		t.Fatalf("search for bob's name %q: %d members %v", "Robert", len(res.Members), res.Members)
	}
}

// setGroupMemberInfo(groupId, userId, nickname, extra?): an app that sets
// the nickname alone must not lose the member's extra.
func TestGroupMemberInfoExtraKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	a.connect(t, token(t, "alice", time.Hour))
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "gp4", Info: info("G"), UserIds: []string{"bob"}})
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: "gp4", UserId: "bob", Nickname: "B", Extra: "vip", HasExtra: true})
	// what jsbridge sends for setGroupMemberInfo('gp4', 'bob', 'Bobby') (extra absent)
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: "gp4", UserId: "bob", Nickname: "Bobby"})
	res := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS, GroupId: "gp4", UserIds: []string{"bob"}})
	if len(res.Members) != 1 || res.Members[0].Nickname != "Bobby" || res.Members[0].Extra != "vip" {
		for _, m := range res.Members {
			t.Errorf("bob after a nickname-only change: nickname %q extra %q (want \"Bobby\", \"vip\")", m.Nickname, m.Extra)
		}
		t.FailNow()
	}
}
