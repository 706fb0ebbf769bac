package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// groupInfo is the cached state of a live group: the group as stored, and
// for the hot path (every group send checks membership and fans out to the
// member list) each member's role (0: not a member) and the sorted list.
type groupInfo struct {
	g       *store.Group // read-only
	members map[string]contract.GroupRole
	list    []string
	owner   string
	muted   map[string]int64 // members muted alone: until when (ms); nil when none
}

// mutedAt reports whether user may not speak in the group at now (ms):
// muted alone, or the whole group muted and the user neither owner nor
// manager. (Every group send asks: two map lookups at most.)
func (g *groupInfo) mutedAt(user string, now int64) bool {
	return g.g.MuteAll && g.members[user] < contract.RoleManager || g.muted != nil && g.muted[user] > now
}

// groupCache keeps live groups in memory. Changes on this node invalidate
// it. (With several nodes the bus will carry the invalidations.)
type groupCache struct {
	store interface {
		Group(ctx context.Context, id string) (*store.Group, error)
	}
	mu     sync.RWMutex
	groups map[string]*groupInfo
	// gen counts invalidations: a fill that read the store before one
	// (and so may hold a member list from before a change) is used for
	// its own request but not kept.
	gen uint64
}

func (c *groupCache) get(ctx context.Context, id string) (*groupInfo, error) {
	c.mu.RLock()
	g, ok := c.groups[id]
	gen := c.gen
	c.mu.RUnlock()
	if ok {
		return g, nil
	}
	sg, err := c.store.Group(ctx, id)
	if err != nil {
		return nil, err
	}
	if sg.Dismissed {
		return nil, store.ErrNotFound
	}
	g = &groupInfo{g: sg, members: make(map[string]contract.GroupRole, len(sg.Members)), owner: sg.OwnerID}
	for u, m := range sg.Members {
		g.members[u] = m.Role
		g.list = append(g.list, u)
		if m.MutedUntil > 0 {
			if g.muted == nil {
				g.muted = map[string]int64{}
			}
			g.muted[u] = m.MutedUntil
		}
	}
	sort.Strings(g.list)
	c.mu.Lock()
	if c.gen == gen {
		c.groups[id] = g
	}
	c.mu.Unlock()
	return g, nil
}

func (c *groupCache) invalidate(id string) {
	c.mu.Lock()
	delete(c.groups, id)
	c.gen++
	c.mu.Unlock()
}

// invalidateAll forgets every group (a user left them all at once).
func (c *groupCache) invalidateAll() {
	c.mu.Lock()
	clear(c.groups)
	c.gen++
	c.mu.Unlock()
}

// handleGroup is one group operation from a client (RongIMLib's group
// functions). Changes are decided in server/groupops.go under the rules of
// proto/contract, inside the store's transaction; the answer follows the
// fan-out, so the caller's other devices have the notification queued
// when its promise resolves.
func (ss *session) handleGroup(ctx context.Context, id uint64, r *pb.GroupRequest) {
	res, err := ss.srv.group(ctx, actor{user: ss.user, operator: ss.user, session: ss.id}, r)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_GroupResult{GroupResult: res}})
}

// actor is who asks for a group operation: a user (on a session), or the
// app server through the admin API (user empty), which may do what an
// owner may.
type actor struct {
	user     string
	operator string // who notifications name (the admin API's operatorId)
	session  string
}

// group runs one operation: reads answer from the cache and the store,
// changes go through changeGroup.
func (s *Server) group(ctx context.Context, a actor, r *pb.GroupRequest) (*pb.GroupResult, error) {
	check := contract.CheckGroupRequest
	if a.user == "" {
		check = contract.CheckAppGroupRequest
	}
	if err := check(r); err != nil {
		return nil, err
	}
	switch r.Op {
	case pb.GroupOp_GROUP_INFO, pb.GroupOp_GROUP_JOINED:
		return s.groupsInfo(ctx, a, r)
	case pb.GroupOp_GROUP_JOINED_BY_ROLE, pb.GroupOp_GROUP_SEARCH_JOINED:
		return s.joinedGroups(ctx, a, r)
	case pb.GroupOp_GROUP_MEMBERS, pb.GroupOp_GROUP_MEMBERS_BY_ROLE, pb.GroupOp_GROUP_SEARCH_MEMBERS:
		return s.groupMembers(ctx, a, r)
	case pb.GroupOp_GROUP_APPLICATIONS:
		return s.groupApplications(ctx, a, r)
	case pb.GroupOp_GROUP_FOLLOWS:
		g, err := s.memberView(ctx, a, r.GroupId)
		if err != nil {
			return nil, err
		}
		res := &pb.GroupResult{}
		for u, t := range g.g.Members[a.user].Follows {
			res.Follows = append(res.Follows, &pb.GroupFollow{UserId: u, Time: t})
		}
		slices.SortFunc(res.Follows, func(x, y *pb.GroupFollow) int { return cmp.Compare(x.Time, y.Time) })
		return res, nil
	}
	op, ok := groupOps[r.Op]
	if !ok {
		return nil, codes.New(codes.InvalidParameter, "unknown group operation")
	}
	return s.changeGroup(ctx, a, r, op)
}

// memberView is the live group gid for a member of it (the app server is
// one of every group).
func (s *Server) memberView(ctx context.Context, a actor, gid string) (*groupInfo, error) {
	g, err := s.groups.get(ctx, gid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, codes.New(codes.RCGroupIDNotExist, "no such group")
	}
	if err != nil {
		return nil, err
	}
	if a.user != "" && g.members[a.user] == contract.RoleNone {
		return nil, codes.New(codes.RCGroupUserNotInGroup, "not a member of the group")
	}
	return g, nil
}

// groupInfoPB is g as user sees it.
func groupInfoPB(g *store.Group, user string) *pb.GroupInfo {
	m := g.Members[user]
	p := g.Policy
	return &pb.GroupInfo{
		GroupId: g.ID, Name: g.Name, PortraitUri: g.Portrait, Introduction: g.Introduction, Notice: g.Notice, Ext: g.Ext,
		JoinPermission: int32(p.Join), RemoveMemberPermission: int32(p.RemoveMember), InvitePermission: int32(p.Invite),
		InviteHandlePermission: int32(p.InviteHandle), InfoEditPermission: int32(p.InfoEdit), MemberInfoEditPermission: int32(p.MemberEdit),
		Remark: m.Remark, Role: int32(m.Role), JoinedTime: m.Joined, CreatorId: g.CreatorID, OwnerId: g.OwnerID,
		CreateTime: g.Created, MembersCount: uint32(len(g.Members)), MuteAll: g.MuteAll, Dismissed: g.Dismissed,
	}
}

func memberPB(u string, m store.Member) *pb.GroupMember {
	return &pb.GroupMember{UserId: u, Nickname: m.Nickname, Extra: m.Extra, Role: int32(m.Role), JoinedTime: m.Joined, MutedUntil: m.MutedUntil}
}

// groupsInfo answers getGroupsInfo (any live group) and getJoinedGroups
// (those the user is in); unknown ids are left out.
func (s *Server) groupsInfo(ctx context.Context, a actor, r *pb.GroupRequest) (*pb.GroupResult, error) {
	res := &pb.GroupResult{}
	for _, id := range r.GroupIds {
		g, err := s.groups.get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.Op == pb.GroupOp_GROUP_JOINED && g.members[a.user] == contract.RoleNone {
			continue
		}
		res.Groups = append(res.Groups, groupInfoPB(g.g, a.user))
	}
	return res, nil
}

// page cuts one page of n items: the page token is the offset of the
// next page (empty: none after).
func page(token string, count uint32, n int) (from, to int, next string, err error) {
	if count == 0 {
		count = 50
	}
	if token != "" {
		from, err = parseOffset(token)
		if err != nil || from > n {
			return 0, 0, "", codes.New(codes.RCPageTokenParsingFailed, "a pageToken this server did not give")
		}
	}
	to = min(from+int(count), n)
	if to < n {
		next = formatOffset(to)
	}
	return from, to, next, nil
}

// keyPage cuts one page of items sorted by key (ascending, or descending
// with desc): the page token is the key of the last item given, and the
// next page starts after it wherever it now is, so that an item added or
// removed meanwhile neither repeats one nor skips one (an offset did).
func keyPage[T any](token string, count uint32, items []T, key func(T) string, desc bool) (from, to int, next string, err error) {
	if count == 0 {
		count = 50
	}
	if token != "" {
		after, ok := strings.CutPrefix(token, "k:")
		if !ok {
			return 0, 0, "", codes.New(codes.RCPageTokenParsingFailed, "a pageToken this server did not give")
		}
		from = sort.Search(len(items), func(i int) bool {
			c := strings.Compare(key(items[i]), after)
			if desc {
				return c < 0
			}
			return c > 0
		})
	}
	to = min(from+int(count), len(items))
	if to < len(items) {
		next = "k:" + key(items[to-1])
	}
	return from, to, next, nil
}

// timeKey orders by a time, then an id, as strings.
func timeKey(t int64, id string) string { return fmt.Sprintf("%020d.%s", t, id) }

// joinedGroups answers getJoinedGroupsByRole and searchJoinedGroups, by
// group id (descending unless ascending).
func (s *Server) joinedGroups(ctx context.Context, a actor, r *pb.GroupRequest) (*pb.GroupResult, error) {
	joined, err := s.store.JoinedGroups(ctx, a.user)
	if err != nil {
		return nil, err
	}
	var infos []*pb.GroupInfo
	for id, role := range joined {
		if r.Op == pb.GroupOp_GROUP_JOINED_BY_ROLE && r.Role != 0 && int32(role) != r.Role {
			continue
		}
		g, err := s.groups.get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.Op == pb.GroupOp_GROUP_SEARCH_JOINED && !containsFold(g.g.Name, r.Text) {
			continue
		}
		infos = append(infos, groupInfoPB(g.g, a.user))
	}
	slices.SortFunc(infos, func(x, y *pb.GroupInfo) int {
		if r.Ascending {
			return cmp.Compare(x.GroupId, y.GroupId)
		}
		return cmp.Compare(y.GroupId, x.GroupId)
	})
	from, to, next, err := keyPage(r.PageToken, r.Count, infos, func(g *pb.GroupInfo) string { return g.GroupId }, !r.Ascending)
	if err != nil {
		return nil, err
	}
	return &pb.GroupResult{Groups: infos[from:to], PageToken: next, TotalCount: uint32(len(infos))}, nil
}

// groupMembers answers getGroupMembers (the given members), and
// getGroupMembersByRole and searchGroupMembers (a page, by joining time,
// newest first unless ascending).
func (s *Server) groupMembers(ctx context.Context, a actor, r *pb.GroupRequest) (*pb.GroupResult, error) {
	g, err := s.memberView(ctx, a, r.GroupId)
	if err != nil {
		return nil, err
	}
	res := &pb.GroupResult{}
	if r.Op == pb.GroupOp_GROUP_MEMBERS {
		for _, u := range r.UserIds {
			if m, ok := g.g.Members[u]; ok {
				res.Members = append(res.Members, memberPB(u, m))
			}
		}
		return res, s.nameMembers(ctx, a.user, res.Members)
	}
	// A search matches the group nickname, or, for a member without one,
	// their name (as the viewer may see it) or id.
	var names map[string]string
	text := strings.TrimSpace(r.Text)
	if r.Op == pb.GroupOp_GROUP_SEARCH_MEMBERS {
		var unnamed []string
		for u, m := range g.g.Members {
			if m.Nickname == "" {
				unnamed = append(unnamed, u)
			}
		}
		if names, err = s.profileNames(ctx, a.user, unnamed); err != nil {
			return nil, err
		}
	}
	var all []*pb.GroupMember
	for u, m := range g.g.Members {
		if r.Role != 0 && int32(m.Role) != r.Role {
			continue
		}
		if r.Op == pb.GroupOp_GROUP_SEARCH_MEMBERS && !containsFold(m.Nickname, text) &&
			!(m.Nickname == "" && (containsFold(names[u], text) || containsFold(u, text))) {
			continue
		}
		all = append(all, memberPB(u, m))
	}
	slices.SortFunc(all, func(x, y *pb.GroupMember) int {
		c := cmp.Compare(x.JoinedTime, y.JoinedTime)
		if c == 0 {
			c = cmp.Compare(x.UserId, y.UserId)
		}
		if r.Ascending {
			return c
		}
		return -c
	})
	from, to, next, err := keyPage(r.PageToken, r.Count, all, func(m *pb.GroupMember) string { return timeKey(m.JoinedTime, m.UserId) }, !r.Ascending)
	if err != nil {
		return nil, err
	}
	res.Members, res.PageToken, res.TotalCount = all[from:to], next, uint32(len(all))
	return res, s.nameMembers(ctx, a.user, res.Members)
}

// nameMembers fills in the members' profile names and portraits as
// viewer may see them.
// profileNames are the names of users as viewer may see them.
func (s *Server) profileNames(ctx context.Context, viewer string, users []string) (map[string]string, error) {
	names := make(map[string]string, len(users))
	for part := range slices.Chunk(users, contract.MaxPerCall) {
		ps, err := s.profiles(ctx, viewer, part)
		if err != nil {
			return nil, err
		}
		for i, p := range ps.Profiles {
			names[part[i]] = p.Name
		}
	}
	return names, nil
}

func (s *Server) nameMembers(ctx context.Context, viewer string, ms []*pb.GroupMember) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.UserId
	}
	ps, err := s.profiles(ctx, viewer, ids)
	if err != nil {
		return err
	}
	for i, p := range ps.Profiles {
		ms[i].Name, ms[i].PortraitUri = p.Name, p.PortraitUri
	}
	return nil
}

// groupApplications answers getGroupApplications: the requests and
// invitations the user made, received or may handle, newest first (paged
// by timeCursor).
func (s *Server) groupApplications(ctx context.Context, a actor, r *pb.GroupRequest) (*pb.GroupResult, error) {
	cur, err := timePage(r.PageToken, r.Count)
	if err != nil {
		return nil, err
	}
	apps, err := s.store.GroupApplications(ctx, a.user, cur.before, cur.limit())
	if err != nil {
		return nil, err
	}
	res := &pb.GroupResult{}
	apps, res.PageToken = pageByTime(cur, apps, func(ap store.GroupApplication) int64 { return ap.Time })
	now := s.cfg.Now().UnixMilli()
	for _, ap := range apps {
		if ap.User != a.user && ap.Inviter != a.user {
			// Listed for the user's role: only one who may handle it
			// under the group's policy (a manager under OWNER_VERIFY may
			// not). (A page may come out short; its token still goes on.)
			g, err := s.groups.get(ctx, ap.GroupID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			if err != nil || !contract.ApplicationHandlers(g.g.Policy, g.members[a.user]) {
				continue
			}
		}
		res.Applications = append(res.Applications, applicationPB(ap.GroupID, ap.AppKey, ap.Application, a.user, now))
	}
	return res, nil
}

// timeCursor reads a page of a list by time, newest first, in a fixed
// order among equal times (the store's): its size (50 when not given),
// and from its token, the time of the last item given and how many items
// of that time were given, so that none of them is skipped nor repeated
// (one invitation of several users gives them all one time).
type timeCursor struct {
	count  int
	before int64 // at or before this time (0: from the newest)
	skip   int   // the first items, of time before, were given
}

// maxPageSkip bounds a page token's skip (see timePage).
const maxPageSkip = 1 << 20

func timePage(token string, count uint32) (timeCursor, error) {
	c := timeCursor{count: int(count)}
	if c.count == 0 {
		c.count = 50
	}
	if token == "" {
		return c, nil
	}
	t, skip, _ := strings.Cut(token, ".")
	n, err := parseOffset(t)
	k, kerr := parseOffset(skip)
	// The skip is how many items of one millisecond a page gave: never more
	// than a store page holds (a larger one overflowed the query's limit).
	if err != nil || kerr != nil || n < 1 || k > maxPageSkip {
		return c, codes.New(codes.RCPageTokenParsingFailed, "a pageToken this server did not give")
	}
	c.before, c.skip = int64(n), k
	return c, nil
}

// limit is how many items to ask the store for: the page, those given
// already at its first time, and one to tell whether more follow.
func (c timeCursor) limit() int { return c.count + c.skip + 1 }

// page cuts what the store answered (for limit) to the page, and gives the
// next page's token ("" at the end).
func pageByTime[T any](c timeCursor, items []T, timeOf func(T) int64) ([]T, string) {
	items = items[min(c.skip, len(items)):]
	if len(items) <= c.count {
		return items, ""
	}
	items = items[:c.count]
	last, n := timeOf(items[c.count-1]), 0
	for _, it := range items {
		if timeOf(it) == last {
			n++
		}
	}
	if last == c.before {
		n += c.skip
	}
	return items, formatOffset(int(last)) + "." + formatOffset(n)
}

// applicationPB is an application as viewer sees it; a pending one past
// its time is EXPIRED.
func applicationPB(gid string, k store.AppKey, ap store.Application, viewer string, now int64) *pb.GroupApplication {
	out := &pb.GroupApplication{GroupId: gid, UserId: k.User, InviterId: k.Inviter, OperatorId: ap.Operator,
		Status: int32(ap.Status), Time: ap.Time, Reason: ap.Reason}
	if ap.Status.Pending() && now-ap.Time > contract.ApplicationTTL {
		out.Status = int32(contract.AppExpired)
	}
	switch {
	case k.Inviter == "" && k.User == viewer:
		out.Direction = 0 // APPLICATION_SENT
	case k.Inviter != "" && k.Inviter == viewer:
		out.Direction = 1 // INVITATION_SENT
	case k.Inviter != "" && k.User == viewer:
		out.Direction = 2 // INVITATION_RECEIVED
	default:
		out.Direction = 3 // APPLICATION_RECEIVED
	}
	if k.Inviter != "" {
		out.Type = 1 // INVITATION
	}
	return out
}
