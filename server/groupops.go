package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// The group changes. Each op decides on the group as stored, inside the
// store's write transaction (so two changes never decide on the same
// state), under the rules of proto/contract: it refuses with RongIMLib's
// code, changing nothing, or returns the group as it is to be and says
// what the notification reports.

// groupOp edits g (a copy; nil: no such group) and returns it, or nil when
// the group itself does not change.
type groupOp func(c *opCtx, g *store.Group) (*store.Group, error)

var groupOps = map[pb.GroupOp]groupOp{
	pb.GroupOp_GROUP_CREATE:             opCreate,
	pb.GroupOp_GROUP_UPDATE_INFO:        opUpdateInfo,
	pb.GroupOp_GROUP_KICK:               opKick,
	pb.GroupOp_GROUP_QUIT:               opQuit,
	pb.GroupOp_GROUP_DISMISS:            opDismiss,
	pb.GroupOp_GROUP_TRANSFER:           opTransfer,
	pb.GroupOp_GROUP_ADD_MANAGERS:       opManagers,
	pb.GroupOp_GROUP_REMOVE_MANAGERS:    opManagers,
	pb.GroupOp_GROUP_SET_MEMBER_INFO:    opSetMemberInfo,
	pb.GroupOp_GROUP_JOIN:               opJoin,
	pb.GroupOp_GROUP_INVITE:             opInvite,
	pb.GroupOp_GROUP_ACCEPT_INVITE:      opAnswerInvite,
	pb.GroupOp_GROUP_REFUSE_INVITE:      opAnswerInvite,
	pb.GroupOp_GROUP_ACCEPT_APPLICATION: opHandleApplication,
	pb.GroupOp_GROUP_REFUSE_APPLICATION: opHandleApplication,
	pb.GroupOp_GROUP_SET_REMARK:         opSetRemark,
	pb.GroupOp_GROUP_ADD_FOLLOWS:        opFollows,
	pb.GroupOp_GROUP_REMOVE_FOLLOWS:     opFollows,
	pb.GroupOp_GROUP_MUTE_MEMBERS:       opMuteMembers,
	pb.GroupOp_GROUP_MUTE_ALL:           opMuteAll,
}

// maxFollows is how many members one member may follow.
const maxFollows = 100

// opCtx is one change being decided, and what it reports.
type opCtx struct {
	a   actor
	r   *pb.GroupRequest
	now int64
	st  *Settings

	event       *pb.GroupEvent // the notification's (nil: none)
	ntfOp       string         // RC:GrpNtf's operation
	ntfData     any
	logs        []*pb.Message
	processCode int32
	quitAfter   bool // transfer, then quit
}

// role is the actor's role in g; the app server acts as an owner.
func (c *opCtx) role(g *store.Group) contract.GroupRole {
	if c.a.user == "" {
		return contract.RoleOwner
	}
	return g.Members[c.a.user].Role
}

// check applies contract.CheckGroupAction to the actor acting on target.
func (c *opCtx) check(g *store.Group, act contract.GroupAction, target string) error {
	return contract.CheckGroupAction(g.Policy, act, c.role(g), g.Members[target].Role, target != "" && target == c.a.user)
}

// report sets the notification: a GroupEvent of kind with the members
// concerned as they are in g, and RC:GrpNtf's operation and data.
func (c *opCtx) report(kind pb.GroupEventKind, operation int32, g *store.Group, users []string, ntfOp string, data any) {
	ev := &pb.GroupEvent{Kind: kind, Operation: operation, OperatorId: c.a.operator, Time: c.now}
	for _, u := range users {
		ev.Members = append(ev.Members, memberPB(u, g.Members[u]))
	}
	c.event, c.ntfOp, c.ntfData = ev, ntfOp, data
}

// logTo appends a log entry for user.
func (c *opCtx) logTo(user string, e *pb.LogEntry) {
	c.logs = append(c.logs, userLogEntry(user, e))
}

// applicationChanged tells everyone an application concerns: who joins,
// who invited, and while it is or was the managers' to handle, those who
// may handle it.
func (c *opCtx) applicationChanged(g *store.Group, k store.AppKey, ap store.Application, managerStage bool) {
	to := []string{k.User}
	if k.Inviter != "" {
		to = append(to, k.Inviter)
	}
	if managerStage {
		for u, m := range g.Members {
			if contract.ApplicationHandlers(g.Policy, m.Role) {
				to = append(to, u)
			}
		}
	}
	slices.Sort(to)
	for _, u := range slices.Compact(to) {
		c.logTo(u, &pb.LogEntry{GroupApplication: applicationPB(g.ID, k, ap, u, c.now)})
	}
}

// join makes users members now.
func (c *opCtx) join(g *store.Group, users ...string) {
	for _, u := range users {
		g.Members[u] = store.Member{Role: contract.RoleNormal, Joined: c.now}
	}
}

// changeGroup decides and applies one change, then tells everyone it
// concerns.
func (s *Server) changeGroup(ctx context.Context, a actor, r *pb.GroupRequest, op groupOp) (*pb.GroupResult, error) {
	c := &opCtx{a: a, r: r, now: s.cfg.Now().UnixMilli(), st: s.settings.Load()}
	changed, err := s.store.ChangeGroup(ctx, r.GroupId, func(g *store.Group) (*store.GroupChange, error) {
		*c = opCtx{a: c.a, r: c.r, now: c.now, st: c.st}
		if r.Op != pb.GroupOp_GROUP_CREATE && (g == nil || g.Dismissed) {
			return nil, codes.New(codes.RCGroupIDNotExist, "no such group")
		}
		before := 0
		if g != nil {
			before = len(g.Members)
			pruneApplications(g, c.now)
		}
		after, err := op(c, g)
		if err != nil {
			return nil, err
		}
		if after != nil && len(after.Members) > before && len(after.Members) > c.st.GroupMaxMembers {
			return nil, codes.New(codes.RCGroupMembersCountExceedLimit, "the group is full")
		}
		ch := &store.GroupChange{Group: after, Logs: c.logs, MaxJoined: c.st.GroupMaxJoined}
		if c.event != nil {
			if after != nil {
				c.event.Info = groupInfoPB(after, "")
				c.event.Info.Fields = r.GetInfo().GetFields() & (contract.ProfileFields | contract.PolicyFields)
			}
			if ch.Ntf, err = grpNtf(r.GroupId, a.operator, c.ntfOp, c.ntfData, c.event); err != nil {
				return nil, err
			}
		}
		return ch, nil
	})
	if errors.Is(err, store.ErrTooManyGroups) {
		return nil, codes.New(codes.InvalidParameter, "a user joining is in too many groups (groupMaxJoined)")
	}
	if err != nil {
		return nil, err
	}
	own := s.afterGroupChange(ctx, r.GroupId, changed, a.session)
	res := &pb.GroupResult{ProcessCode: c.processCode, OwnLogSeqs: own}
	if c.quitAfter {
		quit := &pb.GroupRequest{Op: pb.GroupOp_GROUP_QUIT, GroupId: r.GroupId}
		if _, err := s.changeGroup(ctx, a, quit, opQuit); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// afterGroupChange refreshes the cache, pushes the notification to
// everyone who was or is a member, and the log entries to their users
// (a change of one's own settings not to the session that made it, which
// gets their numbers: own).
func (s *Server) afterGroupChange(ctx context.Context, gid string, ch *store.GroupChanged, session string) (own []uint64) {
	s.dropGroup(gid)
	if ch.Ntf != nil {
		var users []string
		for _, g := range []*store.Group{ch.Before, ch.After} {
			if g != nil {
				for u := range g.Members {
					users = append(users, u)
				}
			}
		}
		slices.Sort(users)
		s.fanOutTo(ctx, ch.Ntf, slices.Compact(users))
	}
	for _, e := range ch.Logs {
		except := ""
		if e.Log.GetGroupOwn() != nil {
			except = session
			if session != "" {
				own = append(own, e.Seq)
			}
		}
		s.publish(ctx, e, []string{e.FromUser}, except)
	}
	return own
}

// grpNtf builds an RC:GrpNtf message (RongIMLib's GroupNotificationMessage)
// carrying ev.
func grpNtf(groupID, operator, operation string, data any, ev *pb.GroupEvent) (*pb.Message, error) {
	if data == nil {
		data = map[string]any{}
	}
	d, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	content, err := json.Marshal(map[string]string{
		"operatorUserId": operator, "operation": operation, "data": string(d), "message": "",
	})
	if err != nil {
		return nil, err
	}
	return &pb.Message{
		ConvType: pb.ConversationType_GROUP, FromUser: operator, To: groupID,
		ClientMsgId: "grpntf-" + rand.Text(),
		ObjectName:  "RC:GrpNtf", Content: content, IsPersisted: true, GroupEvent: ev,
	}, nil
}

func opCreate(c *opCtx, g *store.Group) (*store.Group, error) {
	r := c.r
	if g != nil {
		return nil, codes.New(codes.RCGroupIDAlreadyExist, "the group id is taken")
	}
	owner := c.a.user
	if owner == "" {
		owner = r.UserId // the app server names the owner
	}
	if !contract.ValidID(owner) {
		return nil, codes.New(codes.InvalidParameterUserID, "invalid owner id")
	}
	invitees := slices.DeleteFunc(slices.Clone(r.UserIds), func(u string) bool { return u == owner })
	if err := c.checkInvitees(len(invitees)); err != nil {
		return nil, err
	}
	g = &store.Group{CreatorID: owner, OwnerID: owner, Created: c.now, Members: map[string]store.Member{},
		Applications: map[store.AppKey]store.Application{}}
	applyInfo(g, r.Info)
	g.ID = r.GroupId
	g.Members[owner] = store.Member{Role: contract.RoleOwner, Joined: c.now}
	joined := []string{owner}
	for _, u := range invitees {
		if g.Policy.InviteHandle == contract.InviteInviteeVerify && c.a.user != "" { // the app server's members join
			k := store.AppKey{User: u, Inviter: owner}
			ap := store.Application{Status: contract.AppInviteeUnhandled, Time: c.now}
			g.Applications[k] = ap
			c.applicationChanged(g, k, ap, false)
			c.processCode = codes.RCGroupNeedInviteeAccept
			continue
		}
		c.join(g, u)
		joined = append(joined, u)
	}
	c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 0, g, joined, "Create", map[string]any{"name": g.Name, "memberIds": joined})
	return g, nil
}

// pruneApplications forgets applications last changed more than their
// lifetime ago (handled or expired alike), so a group's stay bounded by
// what a week brings.
func pruneApplications(g *store.Group, now int64) {
	for k, ap := range g.Applications {
		if now-ap.Time > contract.ApplicationTTL {
			delete(g.Applications, k)
		}
	}
}

// applyInfo sets the fields info.fields names.
func applyInfo(g *store.Group, info *pb.GroupInfo) {
	f := info.Fields
	if f&contract.FieldName != 0 {
		g.Name = info.Name
	}
	if f&contract.FieldPortrait != 0 {
		g.Portrait = info.PortraitUri
	}
	if f&contract.FieldIntroduction != 0 {
		g.Introduction = info.Introduction
	}
	if f&contract.FieldNotice != 0 {
		g.Notice = info.Notice
	}
	if f&contract.FieldExt != 0 {
		if g.Ext == nil {
			g.Ext = map[string]string{}
		}
		for k, v := range info.Ext {
			if v == "" {
				delete(g.Ext, k)
			} else {
				g.Ext[k] = v
			}
		}
	}
	g.Policy = contract.InfoPolicy(info, g.Policy)
}

func opUpdateInfo(c *opCtx, g *store.Group) (*store.Group, error) {
	info := c.r.Info
	if info.Fields&contract.PolicyFields != 0 {
		if err := c.check(g, contract.ActEditPolicy, ""); err != nil {
			return nil, err
		}
	}
	if info.Fields&contract.ProfileFields != 0 {
		if err := c.check(g, contract.ActEditInfo, ""); err != nil {
			return nil, err
		}
	}
	applyInfo(g, info)
	if len(g.Ext) > contract.MaxGroupExtKeys {
		return nil, codes.New(codes.RCGroupParameterLengthExceedLimit, "extProfile holds at most 10 entries")
	}
	op, data := "Update", map[string]any{}
	switch {
	case info.Fields&contract.FieldName != 0:
		op, data["name"] = "Rename", g.Name
	case info.Fields&contract.FieldNotice != 0:
		op, data["notice"] = "Bulletin", g.Notice
	}
	c.report(pb.GroupEventKind_GROUP_EVENT_INFO_CHANGED, 0, g, nil, op, data)
	return g, nil
}

func opKick(c *opCtx, g *store.Group) (*store.Group, error) {
	for _, u := range c.r.UserIds {
		if err := c.check(g, contract.ActKick, u); err != nil {
			return nil, err
		}
	}
	c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 2, g, c.r.UserIds, "Kicked", map[string]any{"targetUserIds": c.r.UserIds})
	removeMembers(g, c.r.UserIds)
	return g, nil
}

// removeMembers takes users out of g, and out of what the others follow:
// a member who leaves is followed no more (docs/api.md, quitGroup).
func removeMembers(g *store.Group, users []string) {
	for _, u := range users {
		delete(g.Members, u)
	}
	for id, m := range g.Members {
		for _, u := range users {
			if _, ok := m.Follows[u]; ok {
				delete(m.Follows, u) // (g is the change's own copy: Group.Clone)
				g.Members[id] = m
			}
		}
	}
}

func opQuit(c *opCtx, g *store.Group) (*store.Group, error) {
	if c.a.user == "" {
		return nil, codes.New(codes.InvalidParameter, "the app server removes members instead")
	}
	if err := c.check(g, contract.ActQuit, c.a.user); err != nil {
		return nil, err
	}
	c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 3, g, []string{c.a.user}, "Quit", map[string]any{"targetUserIds": []string{c.a.user}})
	removeMembers(g, []string{c.a.user})
	return g, nil
}

func opDismiss(c *opCtx, g *store.Group) (*store.Group, error) {
	if err := c.check(g, contract.ActDismiss, ""); err != nil {
		return nil, err
	}
	c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 4, g, nil, "Dismiss", nil)
	g.Dismissed = true
	clear(g.Members)
	return g, nil
}

func opTransfer(c *opCtx, g *store.Group) (*store.Group, error) {
	to := c.r.UserId
	if err := c.check(g, contract.ActTransfer, ""); err != nil {
		return nil, err
	}
	m, ok := g.Members[to]
	if !ok {
		return nil, codes.New(codes.RCGroupUserNotInGroup, "the new owner is not a member")
	}
	if to == g.OwnerID {
		return nil, codes.New(codes.InvalidParameter, "the user owns the group already")
	}
	old := g.Members[g.OwnerID]
	old.Role = contract.RoleNormal
	g.Members[g.OwnerID] = old
	m.Role = contract.RoleOwner
	m.MutedUntil = 0 // an owner is never muted (25405 for one who tries)
	g.Members[to] = m
	g.OwnerID = to
	c.quitAfter = c.r.Flag && c.a.user != ""
	c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 7, g, []string{to}, "Transfer", map[string]any{"targetUserIds": []string{to}})
	return g, nil
}

func opManagers(c *opCtx, g *store.Group) (*store.Group, error) {
	add := c.r.Op == pb.GroupOp_GROUP_ADD_MANAGERS
	if err := c.check(g, contract.ActSetManagers, ""); err != nil {
		return nil, err
	}
	for _, u := range c.r.UserIds {
		m, ok := g.Members[u]
		switch {
		case !ok:
			return nil, codes.New(codes.RCGroupUserNotInGroup, "the user is not a member of the group")
		case m.Role == contract.RoleOwner:
			return nil, codes.New(codes.RCGroupOwnerNotAllowBeManager, "the owner cannot be a manager")
		case !add && m.Role != contract.RoleManager:
			return nil, codes.New(codes.RCGroupUserIsNotManagerInGroup, "the user is not a manager")
		}
		m.Role = contract.RoleNormal
		if add {
			m.Role = contract.RoleManager
		}
		g.Members[u] = m
	}
	managers := 0
	for _, m := range g.Members {
		if m.Role == contract.RoleManager {
			managers++
		}
	}
	if add && managers > c.st.GroupMaxManagers { // (a limit lowered since never stops a removal)
		return nil, codes.New(codes.RCGroupManagerOrFollowCountExceed, "too many managers")
	}
	operation, op := int32(5), "AddManager"
	if !add {
		operation, op = 6, "RemoveManager"
	}
	c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, operation, g, c.r.UserIds, op, map[string]any{"targetUserIds": c.r.UserIds})
	return g, nil
}

func opSetMemberInfo(c *opCtx, g *store.Group) (*store.Group, error) {
	u := c.r.UserId
	if err := c.check(g, contract.ActEditMember, u); err != nil {
		return nil, err
	}
	m := g.Members[u]
	m.Nickname = c.r.Nickname
	if c.r.HasExtra || c.r.Extra != "" { // left out: it stays (a client before has_extra sends only a non-empty one)
		m.Extra = c.r.Extra
	}
	g.Members[u] = m
	c.report(pb.GroupEventKind_GROUP_EVENT_MEMBER_INFO_CHANGED, 0, g, []string{u}, "UpdateMember", map[string]any{"targetUserIds": []string{u}})
	return g, nil
}

func opJoin(c *opCtx, g *store.Group) (*store.Group, error) {
	u := c.a.user
	if u == "" {
		return nil, codes.New(codes.InvalidParameter, "the app server adds members instead")
	}
	if _, ok := g.Members[u]; ok {
		return nil, codes.New(codes.RCGroupMembersAlreadyInGroup, "already a member")
	}
	outcome, err := contract.JoinDecision(g.Policy)
	if err != nil {
		return nil, err
	}
	if outcome == contract.JoinPending {
		k := store.AppKey{User: u}
		ap := store.Application{Status: contract.AppManagerUnhandled, Time: c.now}
		g.Applications[k] = ap
		c.applicationChanged(g, k, ap, true)
		c.processCode = codes.RCGroupJoinGroupNeedManagerAccept
		return g, nil
	}
	c.join(g, u)
	c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 1, g, []string{u}, "Add", map[string]any{"targetUserIds": []string{u}})
	return g, nil
}

// opInvite invites users. An inviter who may handle join requests, or a
// group anyone may join, passes the managers' stage; then the invitees
// join at once or, if the group asks them, accept first (25427).
// Otherwise the invitations wait for the owner or a manager (25424).
// checkInvitees holds a create's or an invite's users to the caller's
// count: a user's 30 (RongIMLib's), the app server's a whole group.
func (c *opCtx) checkInvitees(n int) error {
	most := contract.MaxGroupInvitees
	if c.a.user == "" {
		most = c.st.GroupMaxMembers
	}
	if n > most {
		return codes.New(codes.InvalidParameterCount, fmt.Sprintf("at most %d invitees", most))
	}
	return nil
}

func opInvite(c *opCtx, g *store.Group) (*store.Group, error) {
	if err := c.checkInvitees(len(c.r.UserIds)); err != nil {
		return nil, err
	}
	if err := c.check(g, contract.ActInvite, ""); err != nil {
		return nil, err
	}
	var users []string
	for _, u := range c.r.UserIds {
		if _, ok := g.Members[u]; !ok {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, codes.New(codes.RCGroupMembersAlreadyInGroup, "every user is a member")
	}
	inviter := c.a.user
	managersPassed := g.Policy.Join == contract.JoinFree || contract.ApplicationHandlers(g.Policy, c.role(g))
	var joined []string
	for _, u := range users {
		k := store.AppKey{User: u, Inviter: inviter}
		switch {
		case !managersPassed:
			ap := store.Application{Status: contract.AppManagerUnhandled, Time: c.now}
			g.Applications[k] = ap
			c.applicationChanged(g, k, ap, true)
			c.processCode = codes.RCGroupJoinGroupNeedManagerAccept
		case g.Policy.InviteHandle == contract.InviteInviteeVerify && inviter != "":
			ap := store.Application{Status: contract.AppInviteeUnhandled, Time: c.now}
			g.Applications[k] = ap
			c.applicationChanged(g, k, ap, false)
			c.processCode = codes.RCGroupNeedInviteeAccept
		default:
			c.join(g, u)
			joined = append(joined, u)
		}
	}
	if len(joined) > 0 {
		c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 1, g, joined, "Add", map[string]any{"targetUserIds": joined})
	}
	return g, nil
}

// pendingApplication finds the application k waiting at status want.
func (c *opCtx) pendingApplication(g *store.Group, k store.AppKey, want contract.ApplicationStatus) (store.Application, error) {
	ap, ok := g.Applications[k]
	switch {
	case !ok || ap.Status.Pending() && c.now-ap.Time > contract.ApplicationTTL:
		return ap, codes.New(codes.RCGroupApplicationNotExist, "no such request or invitation")
	case ap.Status != want:
		return ap, codes.New(codes.RCGroupApplicationAlreadyHandle, "the request was handled already")
	}
	return ap, nil
}

// opAnswerInvite is the invitee accepting or refusing an invitation.
func opAnswerInvite(c *opCtx, g *store.Group) (*store.Group, error) {
	u := c.a.user
	if u == "" {
		return nil, codes.New(codes.InvalidParameter, "invitations are answered by the invitee")
	}
	k := store.AppKey{User: u, Inviter: c.r.InviterId}
	ap, err := c.pendingApplication(g, k, contract.AppInviteeUnhandled)
	if err != nil {
		return nil, err
	}
	ap.Time = c.now
	ap.Operator = u
	if c.r.Op == pb.GroupOp_GROUP_REFUSE_INVITE {
		ap.Status, ap.Reason = contract.AppInviteeRefused, c.r.Reason
	} else {
		if _, ok := g.Members[u]; ok {
			return nil, codes.New(codes.RCGroupMembersAlreadyInGroup, "already a member")
		}
		ap.Status = contract.AppJoined
		c.join(g, u)
		c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 1, g, []string{u}, "Add", map[string]any{"targetUserIds": []string{u}})
	}
	g.Applications[k] = ap
	c.applicationChanged(g, k, ap, false)
	return g, nil
}

// opHandleApplication is the owner or a manager accepting or refusing a
// request to join or an invitation that waits for them.
func opHandleApplication(c *opCtx, g *store.Group) (*store.Group, error) {
	applicant := c.r.UserId
	if err := c.check(g, contract.ActHandleApplication, ""); err != nil {
		return nil, err
	}
	if c.a.user != "" && !contract.ApplicationHandlers(g.Policy, c.role(g)) {
		return nil, codes.New(codes.RCGroupAuthorityError, "not allowed in this group")
	}
	k := store.AppKey{User: applicant, Inviter: c.r.InviterId}
	ap, err := c.pendingApplication(g, k, contract.AppManagerUnhandled)
	if err != nil {
		return nil, err
	}
	ap.Time, ap.Operator = c.now, c.a.user
	switch {
	case c.r.Op == pb.GroupOp_GROUP_REFUSE_APPLICATION:
		ap.Status, ap.Reason = contract.AppManagerRefused, c.r.Reason
	case k.Inviter != "" && g.Policy.InviteHandle == contract.InviteInviteeVerify:
		ap.Status = contract.AppInviteeUnhandled
		c.processCode = codes.RCGroupNeedInviteeAccept
	default:
		if _, ok := g.Members[applicant]; ok {
			return nil, codes.New(codes.RCGroupMembersAlreadyInGroup, "already a member")
		}
		ap.Status = contract.AppJoined
		c.join(g, applicant)
		c.report(pb.GroupEventKind_GROUP_EVENT_OPERATION, 1, g, []string{applicant}, "Add", map[string]any{"targetUserIds": []string{applicant}})
	}
	g.Applications[k] = ap
	c.applicationChanged(g, k, ap, true)
	return g, nil
}

func opSetRemark(c *opCtx, g *store.Group) (*store.Group, error) {
	if err := c.memberOnly(g); err != nil {
		return nil, err
	}
	m := g.Members[c.a.user]
	m.Remark = c.r.Text
	g.Members[c.a.user] = m
	opType := int32(1)
	if c.r.Text == "" {
		opType = 2
	}
	c.logTo(c.a.user, &pb.LogEntry{GroupOwn: &pb.GroupOwnChange{GroupId: g.ID, OperationType: opType, Remark: c.r.Text, IsRemark: true, Time: c.now}})
	return g, nil
}

// memberOnly refuses the app server and non-members: what only a member
// has (a remark, follows).
func (c *opCtx) memberOnly(g *store.Group) error {
	if c.a.user == "" || g.Members[c.a.user].Role == contract.RoleNone {
		return codes.New(codes.RCGroupUserNotInGroup, "not a member of the group")
	}
	return nil
}

func opFollows(c *opCtx, g *store.Group) (*store.Group, error) {
	if err := c.memberOnly(g); err != nil {
		return nil, err
	}
	add := c.r.Op == pb.GroupOp_GROUP_ADD_FOLLOWS
	m := g.Members[c.a.user]
	m.Follows = maps.Clone(m.Follows)
	if m.Follows == nil {
		m.Follows = map[string]int64{}
	}
	for _, u := range c.r.UserIds {
		if add {
			if _, ok := g.Members[u]; !ok {
				return nil, codes.New(codes.RCGroupUserNotInGroup, "the user is not a member of the group")
			}
			m.Follows[u] = c.now
		} else {
			delete(m.Follows, u)
		}
	}
	if len(m.Follows) > maxFollows {
		return nil, codes.New(codes.RCGroupManagerOrFollowCountExceed, "at most 100 follows")
	}
	g.Members[c.a.user] = m
	opType := int32(1)
	if !add {
		opType = 2
	}
	c.logTo(c.a.user, &pb.LogEntry{GroupOwn: &pb.GroupOwnChange{GroupId: g.ID, OperationType: opType, Follows: c.r.UserIds, Time: c.now}})
	return g, nil
}

func opMuteMembers(c *opCtx, g *store.Group) (*store.Group, error) {
	for _, u := range c.r.UserIds {
		if err := c.check(g, contract.ActMute, u); err != nil {
			return nil, err
		}
	}
	for _, u := range c.r.UserIds {
		m := g.Members[u]
		m.MutedUntil = 0
		if c.r.DurationMs > 0 {
			m.MutedUntil = c.now + c.r.DurationMs
		}
		g.Members[u] = m
	}
	c.report(pb.GroupEventKind_GROUP_EVENT_MUTE, 0, g, c.r.UserIds, "Mute", map[string]any{"targetUserIds": c.r.UserIds, "durationMs": c.r.DurationMs})
	return g, nil
}

func opMuteAll(c *opCtx, g *store.Group) (*store.Group, error) {
	if err := c.check(g, contract.ActMuteAll, ""); err != nil {
		return nil, err
	}
	g.MuteAll = c.r.Flag
	c.report(pb.GroupEventKind_GROUP_EVENT_MUTE, 0, g, nil, "MuteAll", map[string]any{"muteAll": g.MuteAll})
	return g, nil
}

func parseOffset(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("bad offset")
	}
	return n, nil
}

func formatOffset(n int) string { return strconv.Itoa(n) }

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// quitAs has users leave group gid, each as if they quit (members are
// told of a quit, not a kick): RongCloud's group/quit.json, NIM's
// team/leave.action. Each must be a member, checked for all first.
func (s *Server) quitAs(ctx context.Context, gid string, users []string) error {
	g, err := s.groups.get(ctx, gid)
	if err != nil {
		return mapStoreErr(err)
	}
	for _, u := range users {
		if g.members[u] == contract.RoleNone {
			return &apiError{http.StatusBadRequest, codes.RCGroupUserNotInGroup, u + " is not a member"}
		}
	}
	for _, u := range users {
		if _, err := s.groupAs(ctx, actor{user: u, operator: u}, &pb.GroupRequest{Op: pb.GroupOp_GROUP_QUIT, GroupId: gid}); err != nil {
			return err
		}
	}
	return nil
}

// handOver readies users' leaving group gid (RongCloud's group/quit.json,
// whose groups have no owner; an erasure): an owner among them hands the
// group to the member who joined first among those who stay, or, when none
// stays, the group is dismissed (gone).
func (s *Server) handOver(ctx context.Context, gid string, users []string) (gone bool, err error) {
	g, err := s.groups.get(ctx, gid)
	if err != nil || !slices.Contains(users, g.owner) {
		return false, nil // (the quit itself answers for a group that is not there)
	}
	for _, u := range users {
		if g.members[u] == 0 {
			return false, nil // the quit is refused (not a member): nothing handed on first
		}
	}
	heir, joined := "", int64(0)
	for u, m := range g.g.Members {
		if slices.Contains(users, u) {
			continue
		}
		if heir == "" || m.Joined < joined || m.Joined == joined && u < heir {
			heir, joined = u, m.Joined
		}
	}
	if heir == "" {
		_, err := s.groupAPI(ctx, "", &pb.GroupRequest{Op: pb.GroupOp_GROUP_DISMISS, GroupId: gid})
		return true, err
	}
	_, err = s.groupAPI(ctx, "", &pb.GroupRequest{Op: pb.GroupOp_GROUP_TRANSFER, GroupId: gid, UserId: heir})
	return false, err
}
