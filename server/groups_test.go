package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// groupCall runs a group operation from d.
func (d *device) group(t *testing.T, r *pb.GroupRequest) (*pb.GroupResult, error) {
	t.Helper()
	return d.Group(context.Background(), r)
}

// mustGroup runs a group operation that must succeed.
func (d *device) mustGroup(t *testing.T, r *pb.GroupRequest) *pb.GroupResult {
	t.Helper()
	res, err := d.group(t, r)
	return mustOK(t, d, r.Op, res, err)
}

// mustOK fails the test when d's operation op failed.
func mustOK[R any](t *testing.T, d *device, op fmt.Stringer, res R, err error) R {
	t.Helper()
	if err != nil {
		t.Fatalf("%s %v: %v", d.user, op, err)
	}
	return res
}

// waitGroupEvent waits for d's event of kind satisfying ok.
func (d *device) waitGroupEvent(t *testing.T, what string, kind client.EventKind, ok func(*client.GroupEvent) bool) *client.GroupEvent {
	t.Helper()
	return waitEventOf(t, d, what, kind, func(ev client.Event) *client.GroupEvent { return ev.Group }, ok)
}

// waitEventOf waits for d's event of kind whose part (picked by of)
// satisfies ok, and returns that part.
func waitEventOf[P any](t *testing.T, d *device, what string, kind client.EventKind, of func(client.Event) *P, ok func(*P) bool) *P {
	t.Helper()
	var found *P
	d.waitFor(t, d.user+": "+what, func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs {
			if p := of(ev); ev.Kind == kind && p != nil && ok(p) {
				found = p
				return true
			}
		}
		return false
	})
	return found
}

func operation(op int32) func(*client.GroupEvent) bool {
	return func(g *client.GroupEvent) bool { return g.Change.Operation == op }
}

func info(name string) *pb.GroupInfo {
	return &pb.GroupInfo{Name: name, Fields: contract.FieldName}
}

// A group's life from the client: created, joined with approval, a
// manager made, permissions enforced, members muted (22408) and unmuted,
// ownership transferred, dismissed — with every change reaching every
// member's devices, live and by sync, and refusals changing nothing.
func TestGroupsFromTheClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	dave := e.device("dave", "d1", devOpts{})
	for _, d := range []*device{a1, a2, bob, carol, dave} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	const gid = "team"
	g := func(op pb.GroupOp) *pb.GroupRequest { return &pb.GroupRequest{Op: op, GroupId: gid} }

	// Created with bob in it; alice's other device and bob hear of it.
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: gid, Info: info("Team"), UserIds: []string{"bob"}})
	for _, d := range []*device{a2, bob} {
		ev := d.waitGroupEvent(t, "created", client.EventGroupOperation, operation(0))
		if ev.Change.Info.GetName() != "Team" || ev.Change.OperatorId != "alice" || len(ev.Change.Members) != 2 {
			t.Fatalf("%s: create event %+v", d.user, ev.Change)
		}
	}
	_, err := bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: gid, Info: info("Again")})
	wantCode(t, "create twice", err, codes.RCGroupIDAlreadyExist)
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "x", Info: &pb.GroupInfo{Name: "  ", Fields: contract.FieldName}})
	wantCode(t, "blank name", err, codes.RCGroupNameInvalid)

	// carol asks to join (the owner verifies, the default): 25424, and
	// the owner's devices get the application.
	res := carol.mustGroup(t, g(pb.GroupOp_GROUP_JOIN))
	if res.ProcessCode != codes.RCGroupJoinGroupNeedManagerAccept {
		t.Fatalf("join processCode %d", res.ProcessCode)
	}
	app := a2.waitGroupEvent(t, "application", client.EventGroupApplication, func(g *client.GroupEvent) bool { return g.Application.UserId == "carol" })
	if app.Application.Direction != 3 || app.Application.Status != int32(contract.AppManagerUnhandled) {
		t.Fatalf("alice sees %+v", app.Application)
	}
	carol.waitGroupEvent(t, "own application", client.EventGroupApplication, func(g *client.GroupEvent) bool { return g.Application.Direction == 0 })
	_, err = carol.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: gid})
	wantCode(t, "a non-member lists members", err, codes.RCGroupUserNotInGroup)
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_APPLICATION, GroupId: gid, UserId: "carol"})
	wantCode(t, "a member accepts", err, codes.RCGroupAuthorityError)
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_APPLICATION, GroupId: gid, UserId: "carol"})
	carol.waitGroupEvent(t, "joined", client.EventGroupOperation, operation(1))
	_, err = a1.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_APPLICATION, GroupId: gid, UserId: "carol"})
	wantCode(t, "accept twice", err, codes.RCGroupApplicationAlreadyHandle)
	apps := a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS})
	if len(apps.Applications) != 1 || apps.Applications[0].Status != int32(contract.AppJoined) || apps.Applications[0].OperatorId != "alice" {
		t.Fatalf("applications: %+v", apps.Applications)
	}

	// bob becomes a manager; managers may not change permissions, the
	// owner may; then bob may remove members.
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: gid, UserIds: []string{"bob"}})
	wantCode(t, "a member makes managers", err, codes.RCGroupAuthorityError)
	_, err = a1.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: gid, UserIds: []string{"alice"}})
	wantCode(t, "the owner as manager", err, codes.RCGroupOwnerNotAllowBeManager)
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: gid, UserIds: []string{"bob"}})
	carol.waitGroupEvent(t, "manager added", client.EventGroupOperation, operation(5))
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: gid, UserIds: []string{"carol"}})
	wantCode(t, "a manager kicks (owner only)", err, codes.RCGroupAuthorityError)
	policy := &pb.GroupInfo{RemoveMemberPermission: int32(contract.OpOwnerOrManager), Fields: contract.FieldRemoveMemberPermission}
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_UPDATE_INFO, GroupId: gid, Info: policy})
	wantCode(t, "a manager changes permissions", err, codes.RCGroupIllegalError)
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_UPDATE_INFO, GroupId: gid, Info: policy})
	ev := carol.waitGroupEvent(t, "policy changed", client.EventGroupInfo, func(*client.GroupEvent) bool { return true })
	if ev.Change.Info.Fields != contract.FieldRemoveMemberPermission || ev.Change.Info.RemoveMemberPermission != int32(contract.OpOwnerOrManager) {
		t.Fatalf("info event: %+v", ev.Change.Info)
	}
	_, err = carol.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: gid, UserIds: []string{"bob"}})
	wantCode(t, "a member kicks", err, codes.RCGroupAuthorityError)
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: gid, UserIds: []string{"alice"}})
	wantCode(t, "kicking the owner", err, codes.RCGroupOwnerNotAllowQuitOrKick)
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: gid, UserIds: []string{"dave"}})
	wantCode(t, "kicking a stranger", err, codes.RCGroupUserNotInGroup)

	// Mutes: bob (manager) mutes carol; her send fails with 22408; the
	// whole group muted, bob still speaks and carol, unmuted, does not
	// until it is lifted.
	gm := func(s string) *client.Message { return text(gid, client.Group, s) }
	bob.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_MEMBERS, GroupId: gid, UserIds: []string{"carol"}, DurationMs: time.Hour.Milliseconds()})
	mute := carol.waitGroupEvent(t, "muted", client.EventGroupMute, func(*client.GroupEvent) bool { return true })
	if len(mute.Change.Members) != 1 || mute.Change.Members[0].MutedUntil <= e.now().UnixMilli() {
		t.Fatalf("mute event: %+v", mute.Change)
	}
	_, err = carol.SendMessage(context.Background(), gm("muted"), client.SendOptions{})
	wantCode(t, "muted send", err, codes.ForbiddenInGroup)
	_, err = carol.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_MEMBERS, GroupId: gid, UserIds: []string{"bob"}, DurationMs: 1000})
	wantCode(t, "a member mutes", err, codes.RCGroupAuthorityError)
	_, err = bob.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_MEMBERS, GroupId: gid, UserIds: []string{"alice"}, DurationMs: 1000})
	wantCode(t, "a manager mutes the owner", err, codes.RCGroupAuthorityError)
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_ALL, GroupId: gid, Flag: true})
	bob.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_MEMBERS, GroupId: gid, UserIds: []string{"carol"}}) // unmute
	bob.send(t, gm("managers speak"))
	_, err = carol.SendMessage(context.Background(), gm("all muted"), client.SendOptions{})
	wantCode(t, "send in a muted group", err, codes.ForbiddenInGroup)
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_ALL, GroupId: gid, Flag: false})
	carol.send(t, gm("free again"))
	// The mute lapses by the clock, too.
	bob.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MUTE_MEMBERS, GroupId: gid, UserIds: []string{"carol"}, DurationMs: time.Minute.Milliseconds()})
	_, err = carol.SendMessage(context.Background(), gm("muted again"), client.SendOptions{})
	wantCode(t, "muted for a minute", err, codes.ForbiddenInGroup)
	e.clock.add(2 * time.Minute)
	carol.send(t, gm("the minute is over"))

	// Profiles: the member edits herself, the manager edits her; she may
	// not edit the manager; a member may not rename the group.
	carol.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: gid, UserId: "carol", Nickname: "Caz"})
	bob.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: gid, UserId: "carol", Nickname: "Caroline", Extra: "x"})
	_, err = carol.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: gid, UserId: "bob", Nickname: "B"})
	wantCode(t, "a member edits a manager", err, codes.RCGroupAuthorityError)
	a2.waitGroupEvent(t, "member info", client.EventGroupMember, func(g *client.GroupEvent) bool { return g.Change.Members[0].Nickname == "Caroline" })
	_, err = carol.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_UPDATE_INFO, GroupId: gid, Info: info("Mine")})
	wantCode(t, "a member renames", err, codes.RCGroupAuthorityError)
	bob.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: "Bob B.", Fields: contract.ProfName}})
	members := carol.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS, GroupId: gid, UserIds: []string{"carol", "bob", "dave"}})
	if len(members.Members) != 2 || members.Members[0].Nickname != "Caroline" || members.Members[1].Role != int32(contract.RoleManager) ||
		members.Members[1].Name != "Bob B." {
		t.Fatalf("members: %+v", members.Members)
	}
	page1 := carol.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: gid, Count: 2, Ascending: true})
	page2 := carol.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: gid, Count: 2, Ascending: true, PageToken: page1.PageToken})
	if page1.TotalCount != 3 || len(page1.Members) != 2 || page1.Members[0].UserId != "alice" || len(page2.Members) != 1 || page2.PageToken != "" {
		t.Fatalf("pages: %+v / %+v", page1, page2)
	}
	_, err = carol.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: gid, PageToken: "junk"})
	wantCode(t, "a made-up page token", err, codes.RCPageTokenParsingFailed)

	// Remark and follows reach the user's other device only.
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_REMARK, GroupId: gid, Text: "work"})
	a2.waitGroupEvent(t, "remark", client.EventGroupRemark, func(g *client.GroupEvent) bool { return g.Own.Remark == "work" })
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_FOLLOWS, GroupId: gid, UserIds: []string{"carol"}})
	a2.waitGroupEvent(t, "follows", client.EventGroupFollows, func(g *client.GroupEvent) bool { return len(g.Own.Follows) == 1 })
	if f := a2.mustGroup(t, g(pb.GroupOp_GROUP_FOLLOWS)); len(f.Follows) != 1 || f.Follows[0].UserId != "carol" {
		t.Fatalf("follows: %+v", f.Follows)
	}
	joined := a2.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOINED, GroupIds: []string{gid, "nope"}})
	if len(joined.Groups) != 1 || joined.Groups[0].Remark != "work" || joined.Groups[0].Role != int32(contract.RoleOwner) || joined.Groups[0].MembersCount != 3 {
		t.Fatalf("joined: %+v", joined.Groups)
	}

	// Ownership to bob, alice leaving with it.
	_, err = carol.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_TRANSFER, GroupId: gid, UserId: "carol"})
	wantCode(t, "a member transfers", err, codes.RCGroupAuthorityError)
	_, err = a1.group(t, g(pb.GroupOp_GROUP_QUIT))
	wantCode(t, "the owner quits", err, codes.RCGroupOwnerNotAllowQuitOrKick)
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_TRANSFER, GroupId: gid, UserId: "bob", Flag: true})
	carol.waitGroupEvent(t, "transferred", client.EventGroupOperation, operation(7))
	carol.waitGroupEvent(t, "alice quit", client.EventGroupOperation, operation(3))
	_, err = a1.SendMessage(context.Background(), gm("gone"), client.SendOptions{})
	wantCode(t, "a former member sends", err, codes.NotInGroup)
	infos := carol.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INFO, GroupIds: []string{gid}})
	if infos.Groups[0].OwnerId != "bob" || infos.Groups[0].CreatorId != "alice" || infos.Groups[0].MembersCount != 2 {
		t.Fatalf("after transfer: %+v", infos.Groups[0])
	}

	// A restart keeps the group; a device that was offline gets every
	// change by sync, as events.
	dave.Disconnect()
	bob.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: gid, UserIds: []string{"dave"}})
	e.stop()
	e2 := newEnv(t, func(c *server.Config) { c.DataDir, c.Now = e.dir, e.clock.now })
	dave2 := e2.device("dave", "d1", devOpts{store: dave.store})
	dave2.connect(t, token(t, "dave", time.Hour))
	dave2.waitGroupEvent(t, "invited, by sync", client.EventGroupOperation, operation(1))
	carol2 := e2.device("carol", "c1", devOpts{store: carol.store})
	carol2.connect(t, token(t, "carol", time.Hour))
	bob2 := e2.device("bob", "b1", devOpts{store: bob.store})
	bob2.connect(t, token(t, "bob", time.Hour))
	_, err = carol2.SendMessage(context.Background(), gm("after restart"), client.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = carol2.group(t, g(pb.GroupOp_GROUP_DISMISS))
	wantCode(t, "a member dismisses", err, codes.RCGroupAuthorityError)
	bob2.mustGroup(t, g(pb.GroupOp_GROUP_DISMISS))
	carol2.waitGroupEvent(t, "dismissed", client.EventGroupOperation, operation(4))
	_, err = carol2.SendMessage(context.Background(), gm("dismissed"), client.SendOptions{})
	wantCode(t, "send to a dismissed group", err, codes.NotInGroup)
	_, err = bob2.group(t, g(pb.GroupOp_GROUP_INVITE))
	wantCode(t, "invite to a dismissed group (no users)", err, codes.InvalidParameterCount)
	_, err = bob2.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: gid, UserIds: []string{"alice"}})
	wantCode(t, "invite to a dismissed group", err, codes.RCGroupIDNotExist)
}

// The limits are settings, each refusal with its code and nothing changed.
func TestGroupLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	a.connect(t, token(t, "alice", time.Hour))
	var many []string
	for i := range contract.MaxGroupInvitees + 1 {
		many = append(many, fmt.Sprint("u", i))
	}
	create := func(id string, users ...string) error {
		_, err := a.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: id, Info: info(id), UserIds: users})
		return err
	}
	wantCode(t, "31 invitees", create("g0", many...), codes.InvalidParameterCount)
	wantCode(t, "a bad group id", create("bad id"), codes.RCGroupIDInvalid)
	if status, body := e.admin("PUT", "/v1/settings", map[string]any{"groupMaxMembers": 3, "groupMaxJoined": 2, "groupMaxManagers": 1}); status != 200 {
		t.Fatalf("settings: %d %v", status, body)
	}
	wantCode(t, "a group of 4", create("g1", "b", "c", "d"), codes.RCGroupMembersCountExceedLimit)
	if err := create("g1", "b", "c"); err != nil {
		t.Fatal(err)
	}
	_, err := a.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "g1", UserIds: []string{"d"}})
	wantCode(t, "a 4th member", err, codes.RCGroupMembersCountExceedLimit)
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: "g1", UserIds: []string{"b"}})
	_, err = a.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: "g1", UserIds: []string{"c"}})
	wantCode(t, "a 2nd manager", err, codes.RCGroupManagerOrFollowCountExceed)
	if err := create("g2"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a 3rd group", create("g3"), codes.InvalidParameter)
	_, err = a.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INFO, GroupIds: many[:21]})
	wantCode(t, "21 groups", err, codes.RCGroupQueryGroupCountExceedLimit)
	// Nothing changed by the refusals.
	got := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOINED_BY_ROLE})
	if got.TotalCount != 2 {
		t.Fatalf("alice is in %d groups", got.TotalCount)
	}
	ms := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: "g1", Role: int32(contract.RoleManager)})
	if len(ms.Members) != 1 || ms.Members[0].UserId != "b" {
		t.Fatalf("managers: %+v", ms.Members)
	}
}

// Invitations the invitee accepts or refuses, requests a manager handles,
// searches, and the refusals of each.
func TestGroupInvitationsRequestsAndSearches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ds := map[string]*device{}
	for _, u := range []string{"olga", "pete", "quinn", "ray", "sue"} {
		ds[u] = e.device(u, u+"1", devOpts{})
		ds[u].connect(t, token(t, u, time.Hour))
	}
	olga, pete, quinn, ray, sue := ds["olga"], ds["pete"], ds["quinn"], ds["ray"], ds["sue"]
	// Invitees accept first; managers handle requests; members may invite.
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "g", UserIds: []string{"pete"}, Info: &pb.GroupInfo{
		Name: "Garden", Ext: map[string]string{"k": "v"}, InviteHandlePermission: int32(contract.InviteInviteeVerify),
		JoinPermission: int32(contract.JoinOwnerOrManagerVerify), InvitePermission: int32(contract.OpEveryone),
		Fields: contract.FieldName | contract.FieldExt | contract.FieldInviteHandlePermission | contract.FieldJoinPermission | contract.FieldInvitePermission,
	}})
	// pete was invited at creation: he accepts.
	if _, err := pete.group(t, &pb.GroupRequest{Op: 99, GroupId: "g"}); err == nil {
		t.Fatal("an unknown op was taken")
	}
	inv := pete.waitGroupEvent(t, "invitation", client.EventGroupApplication, func(g *client.GroupEvent) bool { return g.Application.InviterId == "olga" })
	if inv.Application.Direction != 2 || inv.Application.Type != 1 || inv.Application.Status != int32(contract.AppInviteeUnhandled) {
		t.Fatalf("pete's invitation: %+v", inv.Application)
	}
	_, err := pete.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_INVITE, GroupId: "g", InviterId: "ray"})
	wantCode(t, "accepting an invitation never made", err, codes.RCGroupApplicationNotExist)
	pete.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_INVITE, GroupId: "g", InviterId: "olga"})
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: "g", UserIds: []string{"pete"}})
	// pete (manager) invites quinn: she refuses, with a reason the
	// inviter sees.
	res := pete.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "g", UserIds: []string{"quinn"}})
	if res.ProcessCode != codes.RCGroupNeedInviteeAccept {
		t.Fatalf("invite processCode %d", res.ProcessCode)
	}
	quinn.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_REFUSE_INVITE, GroupId: "g", InviterId: "pete", Reason: "busy"})
	pete.waitGroupEvent(t, "refused", client.EventGroupApplication, func(g *client.GroupEvent) bool {
		return g.Application.Status == int32(contract.AppInviteeRefused) && g.Application.Reason == "busy" && g.Application.Direction == 1
	})
	_, err = quinn.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_INVITE, GroupId: "g", InviterId: "pete"})
	wantCode(t, "accepting a refused invitation", err, codes.RCGroupApplicationAlreadyHandle)
	// ray asks to join; pete (a manager may, under OWNER_OR_MANAGER_VERIFY)
	// refuses; ray asks again and pete accepts.
	if res := ray.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOIN, GroupId: "g"}); res.ProcessCode != codes.RCGroupJoinGroupNeedManagerAccept {
		t.Fatalf("join processCode %d", res.ProcessCode)
	}
	pete.waitGroupEvent(t, "ray's request", client.EventGroupApplication, func(g *client.GroupEvent) bool { return g.Application.UserId == "ray" })
	pete.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_REFUSE_APPLICATION, GroupId: "g", UserId: "ray", Reason: "who?"})
	ray.waitGroupEvent(t, "refused", client.EventGroupApplication, func(g *client.GroupEvent) bool { return g.Application.Status == int32(contract.AppManagerRefused) })
	ray.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOIN, GroupId: "g"})
	pete.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_APPLICATION, GroupId: "g", UserId: "ray"})
	ray.waitGroupEvent(t, "joined", client.EventGroupOperation, operation(1))
	_, err = ray.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOIN, GroupId: "g"})
	wantCode(t, "joining again", err, codes.RCGroupMembersAlreadyInGroup)
	// A member (ray) invites sue: not a handler, so the invitation waits
	// for the managers first, then for sue.
	if res := ray.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "g", UserIds: []string{"sue"}}); res.ProcessCode != codes.RCGroupJoinGroupNeedManagerAccept {
		t.Fatalf("member's invite processCode %d", res.ProcessCode)
	}
	if res := olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_APPLICATION, GroupId: "g", UserId: "sue", InviterId: "ray"}); res.ProcessCode != codes.RCGroupNeedInviteeAccept {
		t.Fatalf("accepted invitation processCode %d", res.ProcessCode)
	}
	sue.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_INVITE, GroupId: "g", InviterId: "ray"})
	_, err = olga.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "g", UserIds: []string{"sue"}})
	wantCode(t, "inviting a member", err, codes.RCGroupMembersAlreadyInGroup)
	// The applications pages, newest first.
	p1 := olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS, Count: 2})
	p2 := olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS, Count: 100, PageToken: p1.PageToken})
	if len(p1.Applications) != 2 || p1.PageToken == "" || len(p1.Applications)+len(p2.Applications) < 4 || p1.Applications[0].Time < p1.Applications[1].Time {
		t.Fatalf("applications: %d then %d (%q)", len(p1.Applications), len(p2.Applications), p1.PageToken)
	}

	// Searches.
	sue.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: "g", UserId: "sue", Nickname: "Susan"})
	found := olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SEARCH_MEMBERS, GroupId: "g", Text: "SUS"})
	if len(found.Members) != 1 || found.Members[0].UserId != "sue" {
		t.Fatalf("search members: %+v", found.Members)
	}
	byID := olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SEARCH_MEMBERS, GroupId: "g", Text: "ray"})
	if len(byID.Members) != 1 {
		t.Fatalf("search by id: %+v", byID.Members)
	}
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "h", Info: info("Hedge")})
	gs := olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SEARCH_JOINED, Text: "GAR"})
	if len(gs.Groups) != 1 || gs.Groups[0].GroupId != "g" || gs.Groups[0].Ext["k"] != "v" {
		t.Fatalf("search groups: %+v", gs.Groups)
	}

	// Managers: removing one who is not; kicking one takes the owner.
	_, err = olga.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_REMOVE_MANAGERS, GroupId: "g", UserIds: []string{"ray"}})
	wantCode(t, "unmaking a member", err, codes.RCGroupUserIsNotManagerInGroup)
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_UPDATE_INFO, GroupId: "g", Info: &pb.GroupInfo{RemoveMemberPermission: int32(contract.OpOwnerOrManager), Fields: contract.FieldRemoveMemberPermission}})
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: "g", UserIds: []string{"ray"}})
	_, err = pete.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: "g", UserIds: []string{"ray"}})
	wantCode(t, "a manager kicks a manager", err, codes.RCGroupAuthorityError)
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_REMOVE_MANAGERS, GroupId: "g", UserIds: []string{"ray"}})
	pete.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: "g", UserIds: []string{"ray", "sue"}})
	ray.waitGroupEvent(t, "kicked", client.EventGroupOperation, operation(2))
	sue.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOINED_BY_ROLE}) // answers, with no group
	if got := sue.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOINED_BY_ROLE}); got.TotalCount != 0 {
		t.Fatalf("sue is still in %d groups", got.TotalCount)
	}
	// Follows: only members, and removed again.
	_, err = olga.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_FOLLOWS, GroupId: "g", UserIds: []string{"ray"}})
	wantCode(t, "following a non-member", err, codes.RCGroupUserNotInGroup)
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_FOLLOWS, GroupId: "g", UserIds: []string{"pete"}})
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_REMOVE_FOLLOWS, GroupId: "g", UserIds: []string{"pete"}})
	if f := olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_FOLLOWS, GroupId: "g"}); len(f.Follows) != 0 {
		t.Fatalf("follows: %+v", f.Follows)
	}
	// No one may join a NO_ONE_ALLOWED group by asking.
	olga.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_UPDATE_INFO, GroupId: "h", Info: &pb.GroupInfo{JoinPermission: int32(contract.JoinNoOne), Fields: contract.FieldJoinPermission}})
	_, err = ray.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOIN, GroupId: "h"})
	wantCode(t, "joining a closed group", err, codes.RCGroupNotAllowJoin)
	_, err = ray.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "h", UserIds: []string{"sue"}})
	wantCode(t, "a stranger invites", err, codes.RCGroupUserNotInGroup)
	// Invitations expire after 7 days.
	pete.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_INVITE, GroupId: "g", UserIds: []string{"quinn"}})
	e.clock.add(8 * 24 * time.Hour)
	_, err = quinn.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ACCEPT_INVITE, GroupId: "g", InviterId: "pete"})
	wantCode(t, "an expired invitation", err, codes.RCGroupApplicationNotExist)
}

// The admin API's group routes run the same operations as the owner.
func TestGroupAdminRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	must := func(method, path string, body any) map[string]any {
		t.Helper()
		status, res := e.admin(method, path, body)
		if status != 200 {
			t.Fatalf("%s %s: %d %v", method, path, status, res)
		}
		return res
	}
	must("POST", "/v1/groups", map[string]any{"groupId": "g", "name": "G", "ownerId": "alice", "memberIds": []string{"bob", "carol"}, "notice": "hi", "joinPermission": 1})
	must("PUT", "/v1/groups/g/mute-all", map[string]any{"muted": true})
	_, err := carol.SendMessage(context.Background(), text("g", client.Group, "x"), client.SendOptions{})
	wantCode(t, "muted group", err, codes.ForbiddenInGroup)
	must("PUT", "/v1/groups/g/mute-all", map[string]any{"muted": false})
	must("POST", "/v1/groups/g/managers", map[string]any{"userIds": []string{"bob", "carol"}})
	must("POST", "/v1/groups/g/owner", map[string]any{"userId": "bob"})
	got := must("GET", "/v1/groups/g", nil)
	data := got["data"].(map[string]any)
	group := data["group"].(map[string]any)
	if group["ownerId"] != "bob" || group["notice"] != "hi" || group["joinPermission"].(float64) != 1 || len(data["members"].([]any)) != 3 {
		t.Fatalf("GET: %v", got)
	}
	must("DELETE", "/v1/groups/g/managers/carol", nil)
	carol.waitGroupEvent(t, "unmade", client.EventGroupOperation, operation(6))
	if status, res := e.admin("DELETE", "/v1/groups/g/members/bob", nil); status != 403 || res["code"].(float64) != codes.RCGroupOwnerNotAllowQuitOrKick {
		t.Fatalf("removing the owner: %d %v", status, res)
	}
	if status, res := e.admin("POST", "/v1/groups/g/mute", map[string]any{"userIds": []string{"bob"}, "durationMs": 1000}); status != 403 || res["code"].(float64) != codes.RCGroupAuthorityError {
		t.Fatalf("muting the owner: %d %v", status, res)
	}
	if status, res := e.admin("GET", "/v1/groups/nope", nil); status != 404 || res["code"].(float64) != codes.RCGroupIDNotExist {
		t.Fatalf("no such group: %d %v", status, res)
	}
	carol.waitGroupEvent(t, "owner changed", client.EventGroupOperation, operation(7))
	// The app server's members join at once, whatever the group asks of
	// invitees; too many admins are refused before anything is made.
	must("POST", "/v1/groups", map[string]any{"groupId": "g2", "name": "G2", "ownerId": "alice", "memberIds": []string{"carol"}, "inviteHandlePermission": 1})
	if n := len(must("GET", "/v1/groups/g2", nil)["data"].(map[string]any)["members"].([]any)); n != 2 {
		t.Fatalf("g2 has %d members, want 2", n)
	}
	many := make([]string, 11)
	for i := range many {
		many[i] = fmt.Sprint("m", i)
	}
	if status, res := e.admin("POST", "/v1/groups", map[string]any{"groupId": "g3", "name": "G3", "ownerId": "alice", "adminIds": many}); status != 400 || res["code"].(float64) != codes.RCGroupManagerOrFollowCountExceed {
		t.Fatalf("11 admins: %d %v", status, res)
	}
	if status, _ := e.admin("GET", "/v1/groups/g3", nil); status != 404 {
		t.Fatalf("a refused group was made: %d", status)
	}
}

// Review fixes, each a case the group rules got wrong: a refused create
// leaves no group; a muted member made owner speaks; a member who leaves
// is followed no more; a lowered manager limit does not stop removals; a
// manager under OWNER_VERIFY does not list join requests only the owner
// handles.
func TestGroupEdgeCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	if status, _ := e.admin("POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "G", "ownerId": "own", "memberIds": []string{"m1"}, "adminIds": []string{"own"}}); status != 400 {
		t.Fatalf("a create naming its owner a manager: %d", status)
	}
	if status, _ := e.admin("POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "G", "ownerId": "own", "memberIds": []string{"m1"}, "adminIds": []string{"m1", "m1"}}); status != 400 {
		t.Fatalf("a create naming a manager twice: %d", status)
	}
	if status, body := e.admin("GET", "/v1/groups/g1", nil); status != 404 {
		t.Fatalf("refused creates left a group: %d %v", status, body)
	}
	e.group(t, "g1", "own", []string{"own", "m1"}, []string{"m1"}) // the id is free

	own, m1, m2 := e.device("own", "o1", devOpts{}), e.device("m1", "m1d", devOpts{}), e.device("m2", "m2d", devOpts{})
	for _, d := range []*device{own, m1, m2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	e.group(t, "g2", "own", []string{"own", "m1", "m2"}, nil)
	e.adminOK(t, "POST", "/v1/groups/g2/mute", map[string]any{"userIds": []string{"m1"}, "durationMs": 600000})
	e.adminOK(t, "POST", "/v1/groups/g2/owner", map[string]any{"userId": "m1"})
	if _, err := m1.SendMessage(ctx, text("g2", client.Group, "the new owner speaks"), client.SendOptions{}); err != nil {
		t.Fatalf("a muted member made owner: %v", err)
	}

	m2.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_FOLLOWS, GroupId: "g2", UserIds: []string{"own"}})
	own.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_QUIT, GroupId: "g2"})
	if f := m2.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_FOLLOWS, GroupId: "g2"}); len(f.Follows) != 0 {
		t.Fatalf("m2 still follows own, who left: %v", f.Follows)
	}

	e.group(t, "g3", "own", []string{"own", "m1", "m2"}, []string{"m1", "m2"})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"groupMaxManagers": 1})
	own.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_REMOVE_MANAGERS, GroupId: "g3", UserIds: []string{"m1"}})
	if _, err := own.group(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: "g3", UserIds: []string{"m1"}}); codes.Of(err) != codes.RCGroupManagerOrFollowCountExceed {
		t.Fatalf("adding past the limit: %v", err)
	}

	x := e.device("x", "x1", devOpts{})
	x.connect(t, token(t, "x", time.Hour))
	x.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOIN, GroupId: "g3"}) // OWNER_VERIFY: the owner's to handle
	if apps := m2.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS}); len(apps.Applications) != 0 {
		t.Fatalf("a manager under OWNER_VERIFY lists %v", apps.Applications)
	}
	if apps := own.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_APPLICATIONS}); len(apps.Applications) != 1 {
		t.Fatalf("the owner lists %v", apps.Applications)
	}
}

// The device that changes its user's own settings (a group remark, follows,
// subscriptions) is not told of its own change: the *_SYNC events are for
// the user's other devices, also when the entry reaches it read back from
// the log behind a later one.
func TestOwnChangeNoSyncEventToItself(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g5", "own", []string{"own", "ann"}, nil)
	a1, a2, x := e.device("ann", "a1", devOpts{}), e.device("ann", "a2", devOpts{}), e.device("xav", "x1", devOpts{})
	for _, d := range []*device{a1, a2, x} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	a1.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_REMARK, GroupId: "g5", Text: "work"})
	a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"xav"}, Value: contract.SubscribeOnline, Expiry: 3600})
	a1.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: "Ann", Fields: contract.ProfName}})
	a2.waitPeopleEvent(t, "the profile on the other device", client.EventOwnProfile, func(*client.PeopleEvent) bool { return true })
	a2.waitGroupEvent(t, "the remark on the other device", client.EventGroupRemark, func(*client.GroupEvent) bool { return true })
	a2.waitPeopleEvent(t, "the subscription on the other device", client.EventSubscriptionRelation, func(*client.PeopleEvent) bool { return true })
	// Another entry in ann's log: a1 reads the two before it back.
	x.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "ann", Direction: contract.DirectionBoth})
	a1.waitPeopleEvent(t, "xav's request", client.EventFriend, func(*client.PeopleEvent) bool { return true })
	for _, ev := range a1.events() {
		if ev.Kind == client.EventGroupRemark || ev.Kind == client.EventSubscriptionRelation || ev.Kind == client.EventOwnProfile {
			t.Fatalf("the device that made the change was told of it: %+v", ev)
		}
	}
}
