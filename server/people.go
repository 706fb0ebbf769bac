package server

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// People: profiles, friends and blacklists (RongIMLib's calls), one
// PeopleRequest frame for all. Changes are decided inside the store's
// transaction on the state as stored; what the users concerned hear of
// them travels in their logs (FRIEND_*, OWN_USER_PROFILE_CHANGED), and a
// profile change reaches the online friends as a status push.

// handlePeople answers one people request.
func (ss *session) handlePeople(ctx context.Context, id uint64, r *pb.PeopleRequest) {
	res, err := ss.srv.people(ctx, ss.user, ss.id, r)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_PeopleResult{PeopleResult: res}})
}

// blockCache keeps users' blacklists for the hot path: every private
// send and typing status asks whether the recipient blocks the sender.
// Changes invalidate it, on every node (the bus carries them: dropBlacklist).
type blockCache struct {
	store interface {
		Blacklist(ctx context.Context, user string) (map[string]int64, error)
	}
	mu    sync.RWMutex
	lists map[string]map[string]int64 // nil list: blocks no one
	gen   uint64
}

// blocks reports whether blocker blocks user.
func (c *blockCache) blocks(ctx context.Context, blocker, user string) (bool, error) {
	c.mu.RLock()
	l, ok := c.lists[blocker]
	gen := c.gen
	c.mu.RUnlock()
	if !ok {
		var err error
		if l, err = c.store.Blacklist(ctx, blocker); err != nil {
			return false, err
		}
		if len(l) == 0 {
			l = nil
		}
		c.mu.Lock()
		if c.gen == gen {
			if len(c.lists) >= maxCachedBlacklists {
				clear(c.lists) // bounded: a sender to ever new ids must not grow it for good
			}
			c.lists[blocker] = l
		}
		c.mu.Unlock()
	}
	_, blocked := l[user]
	return blocked, nil
}

func (c *blockCache) invalidate(user string) {
	c.mu.Lock()
	delete(c.lists, user)
	c.gen++
	c.mu.Unlock()
}

func (c *blockCache) invalidateAll() {
	c.mu.Lock()
	clear(c.lists)
	c.gen++
	c.mu.Unlock()
}

// maxCachedBlacklists bounds blockCache: past it the cache starts over
// (each entry is a user's list, nil for most).
const maxCachedBlacklists = 200000

// checkNotBlocked refuses (405) what user sends to recipient when the
// recipient blocks them.
func (s *Server) checkNotBlocked(ctx context.Context, recipient, user string) error {
	if recipient == user {
		return nil
	}
	blocked, err := s.blocks.blocks(ctx, recipient, user)
	if err != nil {
		return err
	}
	if blocked {
		return codes.New(codes.RejectedByBlacklist, "rejected by blacklist")
	}
	return nil
}

// Refusals the client's calls and the admin API's share.
var (
	errBefriendSelf  = codes.New(codes.RCFriendNotAllowAddSelf, "one cannot befriend oneself")
	errBlockSelf     = codes.New(codes.InvalidParameter, "one cannot block oneself")
	errBlacklistFull = codes.New(codes.InvalidParameter, "the blacklist is full (blacklistMax)")
)

// people runs one people operation for user (on session).
func (s *Server) people(ctx context.Context, user, session string, r *pb.PeopleRequest) (*pb.PeopleResult, error) {
	if err := contract.CheckPeopleRequest(r); err != nil {
		return nil, err
	}
	now := s.cfg.Now().UnixMilli()
	st := s.settings.Load()
	switch r.Op {
	case pb.PeopleOp_PROFILE_UPDATE:
		return s.updateProfile(ctx, user, session, r.Profile, false, now)
	case pb.PeopleOp_PROFILES_GET:
		return s.profiles(ctx, user, r.UserIds)
	case pb.PeopleOp_PROFILE_MINE:
		ps, err := s.store.People(ctx, []string{user})
		if err != nil {
			return nil, err
		}
		return &pb.PeopleResult{Profiles: []*pb.UserProfile{profileOf(ps[user], user)}}, nil
	case pb.PeopleOp_PROFILE_BY_UNIQUE_ID:
		p, err := s.store.PersonByUniqueID(ctx, r.Text)
		if errors.Is(err, store.ErrNotFound) {
			return nil, codes.New(codes.RCUserProfileUserNotExist, "no such user")
		}
		if err != nil {
			return nil, err
		}
		res, err := s.profiles(ctx, user, []string{p.ID})
		if err == nil && res.Profiles[0].Fields == 0 {
			return nil, codes.New(codes.RCUserProfileUserNotExist, "no such user")
		}
		return res, err
	case pb.PeopleOp_VISIBILITY_SET, pb.PeopleOp_FRIEND_PERMISSION_SET:
		_, err := s.store.ChangePerson(ctx, user, func(p *store.Person) (*store.Person, []*pb.Message, error) {
			if r.Op == pb.PeopleOp_VISIBILITY_SET {
				p.Visibility = r.Value
			} else {
				p.AddPermission = r.Value
			}
			p.Updated = now
			return p, nil, nil
		})
		return &pb.PeopleResult{}, err
	case pb.PeopleOp_VISIBILITY_GET, pb.PeopleOp_FRIEND_PERMISSION_GET:
		ps, err := s.store.People(ctx, []string{user})
		if err != nil {
			return nil, err
		}
		p := ps[user]
		if r.Op == pb.PeopleOp_VISIBILITY_GET {
			v := int32(contract.VisibilityNotSet)
			if p != nil {
				v = p.Visibility
			}
			return &pb.PeopleResult{Value: v}, nil
		}
		return &pb.PeopleResult{Value: addPermission(p)}, nil
	case pb.PeopleOp_QUIET_HOURS_SET, pb.PeopleOp_QUIET_HOURS_REMOVE, pb.PeopleOp_QUIET_HOURS_GET, pb.PeopleOp_DND_SET:
		return s.quietHoursRequest(ctx, user, r)
	case pb.PeopleOp_FRIEND_ADD, pb.PeopleOp_FRIEND_ACCEPT, pb.PeopleOp_FRIEND_REFUSE,
		pb.PeopleOp_FRIEND_SET_INFO, pb.PeopleOp_BLACKLIST_ADD, pb.PeopleOp_BLACKLIST_REMOVE:
		return s.changePair(ctx, user, session, r.UserId, r, st, now)
	case pb.PeopleOp_FRIENDS_DELETE:
		for _, other := range r.UserIds {
			if _, err := s.changePair(ctx, user, session, other, r, st, now); err != nil {
				return nil, err
			}
		}
		return &pb.PeopleResult{}, nil
	case pb.PeopleOp_FRIENDS_CHECK:
		return s.checkFriends(ctx, user, r.UserIds)
	case pb.PeopleOp_FRIENDS_LIST, pb.PeopleOp_FRIENDS_INFO, pb.PeopleOp_FRIENDS_SEARCH:
		return s.friends(ctx, user, r)
	case pb.PeopleOp_FRIEND_APPLICATIONS:
		return s.friendRequests(ctx, user, r, now)
	case pb.PeopleOp_BLACKLIST_GET:
		l, err := s.store.Blacklist(ctx, user)
		if err != nil {
			return nil, err
		}
		ids := slices.Collect(maps.Keys(l))
		slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(l[a], l[b]), cmp.Compare(a, b)) })
		return &pb.PeopleResult{UserIds: ids}, nil
	case pb.PeopleOp_BLACKLIST_STATUS:
		blocked, err := s.blocks.blocks(ctx, user, r.UserId)
		return &pb.PeopleResult{Flag: blocked}, err
	case pb.PeopleOp_SUBSCRIBE, pb.PeopleOp_UNSUBSCRIBE, pb.PeopleOp_SUBSCRIPTIONS, pb.PeopleOp_SUBSCRIBED_STATUS, pb.PeopleOp_ONLINE_STATUS:
		return s.presenceRequest(ctx, user, session, r, now)
	}
	return nil, codes.New(codes.InvalidParameter, "unknown people operation")
}

// addPermission is p's FriendAddPermission (NEED_VERIFY when not set).
func addPermission(p *store.Person) int32 {
	if p == nil || p.AddPermission == 0 {
		return contract.FriendAddVerify
	}
	return p.AddPermission
}

// profileOf is p's profile as its owner sees it (fields: those set).
func profileOf(p *store.Person, user string) *pb.UserProfile {
	if p == nil {
		return &pb.UserProfile{UserId: user}
	}
	out := *p.Profile
	out.UserId, out.Fields = user, 1
	return &out
}

// updateProfile changes user's profile (byApp: the admin API, which may
// set uniqueId), tells their other devices and pushes the profile to
// those who see it (pushProfile).
func (s *Server) updateProfile(ctx context.Context, user, session string, u *pb.UserProfile, byApp bool, now int64) (*pb.PeopleResult, error) {
	if _, err := contract.CheckProfile(u, byApp); err != nil {
		return nil, err
	}
	var after *pb.UserProfile
	var visibility int32
	logs, err := s.store.ChangePerson(ctx, user, func(p *store.Person) (*store.Person, []*pb.Message, error) {
		applyProfile(p.Profile, u)
		if len(p.Profile.Ext) > contract.MaxProfileExtKeys { // merged keys (ProfExtKeys)
			return nil, nil, codes.New(codes.RCUserProfileExtKVCountExceedLimit, "extraProfile holds at most 20 entries")
		}
		p.Updated = now
		after, visibility = profileOf(p, user), p.Visibility
		return p, []*pb.Message{userLogEntry(user, &pb.LogEntry{OwnProfile: after})}, nil
	})
	if errors.Is(err, store.ErrExists) {
		return nil, codes.New(codes.InvalidParameter, "the uniqueId belongs to another user")
	}
	if err != nil {
		return nil, err
	}
	res := &pb.PeopleResult{}
	for _, e := range logs {
		// OWN_USER_PROFILE_CHANGED is for the user's other devices: the
		// session that made the change takes the entry as its own.
		s.publish(ctx, e, []string{user}, session)
		if session != "" {
			res.OwnLogSeqs = append(res.OwnLogSeqs, e.Seq)
		}
	}
	s.pushProfile(ctx, user, after, visibility, now)
	return res, nil
}

// applyProfile sets the fields u names.
func applyProfile(p, u *pb.UserProfile) {
	f := u.Fields
	set := func(bit uint32, dst *string, v string) {
		if f&bit != 0 {
			*dst = v
		}
	}
	set(contract.ProfName, &p.Name, u.Name)
	set(contract.ProfPortrait, &p.PortraitUri, u.PortraitUri)
	set(contract.ProfEmail, &p.Email, u.Email)
	set(contract.ProfBirthday, &p.Birthday, u.Birthday)
	set(contract.ProfLocation, &p.Location, u.Location)
	set(contract.ProfUniqueID, &p.UniqueId, u.UniqueId)
	if f&contract.ProfGender != 0 {
		p.Gender = u.Gender
	}
	if f&contract.ProfRole != 0 {
		p.Role = u.Role
	}
	if f&contract.ProfLevel != 0 {
		p.Level = u.Level
	}
	if f&contract.ProfExt != 0 {
		p.Ext = maps.Clone(u.Ext)
	}
	if f&contract.ProfExtKeys != 0 {
		for k, v := range u.Ext {
			if v == "" {
				delete(p.Ext, k)
				continue
			}
			if p.Ext == nil {
				p.Ext = map[string]string{}
			}
			p.Ext[k] = v
		}
	}
}

// profiles answers getUserProfiles: each user's profile as viewer may see
// it (an invisible one, or one for friends only to others, holds the id
// alone, fields 0).
func (s *Server) profiles(ctx context.Context, viewer string, users []string) (*pb.PeopleResult, error) {
	ps, err := s.store.People(ctx, users)
	if err != nil {
		return nil, err
	}
	var friends map[string]store.Friend
	res := &pb.PeopleResult{}
	for _, u := range users {
		p := ps[u]
		visible := u == viewer || p == nil || p.Visibility == contract.VisibilityNotSet || p.Visibility == contract.VisibilityAll
		if !visible && p.Visibility == contract.VisibilityFriends {
			if friends == nil {
				if friends, err = s.store.Friends(ctx, viewer); err != nil {
					return nil, err
				}
			}
			_, visible = friends[u]
		}
		if visible {
			res.Profiles = append(res.Profiles, profileOf(p, u))
		} else {
			res.Profiles = append(res.Profiles, &pb.UserProfile{UserId: u})
		}
	}
	return res, nil
}

// friendLog is a FriendEvent entry for user's log.
func friendLog(user string, e *pb.FriendEvent) *pb.Message {
	return userLogEntry(user, &pb.LogEntry{Friend: e})
}

// changePair runs one change between user and other: friends, requests,
// remarks, blocks.
func (s *Server) changePair(ctx context.Context, user, session, other string, r *pb.PeopleRequest, st *Settings, now int64) (*pb.PeopleResult, error) {
	res := &pb.PeopleResult{}
	logs, err := s.store.ChangePair(ctx, user, other, func(p *store.Pair) (*store.Pair, []*pb.Message, error) {
		res.ProcessCode = 0
		return decidePair(p, user, other, r, st, now, res)
	})
	if err != nil {
		return nil, err
	}
	if r.Op == pb.PeopleOp_BLACKLIST_ADD || r.Op == pb.PeopleOp_BLACKLIST_REMOVE {
		s.dropBlacklist(user)
	}
	for _, e := range logs {
		except := ""
		if r.Op == pb.PeopleOp_FRIEND_SET_INFO && e.FromUser == user && session != "" {
			// FRIEND_INFO_CHANGED_SYNC is for the user's other devices.
			except = session
			res.OwnLogSeqs = append(res.OwnLogSeqs, e.Seq)
		}
		s.publish(ctx, e, []string{e.FromUser}, except)
	}
	return res, nil
}

// decidePair decides one change between user (side 0) and other (1).
func decidePair(p *store.Pair, user, other string, r *pb.PeopleRequest, st *Settings, now int64, res *pb.PeopleResult) (*store.Pair, []*pb.Message, error) {
	request := func(from, to string, q *store.FriendRequest, viewer string) *pb.FriendApplication {
		a := &pb.FriendApplication{UserId: to, Type: contract.FriendSent, Status: q.Status, Time: q.Time, Extra: q.Extra}
		if viewer == to {
			a.UserId, a.Type = from, contract.FriendReceived
		}
		return a
	}
	befriend := func() ([]*pb.Message, error) {
		if p.Friend[0] != nil && p.Friend[1] != nil {
			return nil, nil // friends already (the app server made them): keep remarks and times
		}
		switch {
		case p.Blocks[1] != 0: // an accept too: a request made before a block does not outlive it
			return nil, codes.New(codes.RCFriendInOtherBlackList, "the user blocks you")
		case p.Blocks[0] != 0:
			return nil, codes.New(codes.RCFriendInMyBlackList, "you block the user")
		case p.Friends[0] >= st.FriendsMax:
			return nil, codes.New(codes.RCFriendMyFriendCountExceedLimit, "too many friends")
		case p.Friends[1] >= st.FriendsMax:
			return nil, codes.New(codes.RCFriendOtherFriendCountExceedLimit, "the user has too many friends")
		}
		p.Friend[0], p.Friend[1] = &store.Friend{Added: now}, &store.Friend{Added: now}
		return []*pb.Message{
			friendLog(user, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_ADDED, UserIds: []string{other}, Time: now}),
			friendLog(other, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_ADDED, UserIds: []string{user}, Time: now}),
		}, nil
	}
	requestChanged := func(from, to string, q *store.FriendRequest) []*pb.Message {
		return []*pb.Message{
			friendLog(from, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_APPLICATION, Application: request(from, to, q, from), Time: now}),
			friendLog(to, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_APPLICATION, Application: request(from, to, q, to), Time: now}),
		}
	}
	switch r.Op {
	case pb.PeopleOp_FRIEND_ADD:
		switch {
		case user == other:
			return nil, nil, errBefriendSelf
		case p.Friend[0] != nil && p.Friend[1] != nil:
			return nil, nil, codes.New(codes.RCFriendAlreadyFriend, "already friends")
		case p.Blocks[1] != 0:
			return nil, nil, codes.New(codes.RCFriendInOtherBlackList, "the user blocks you")
		case p.Blocks[0] != 0:
			return nil, nil, codes.New(codes.RCFriendInMyBlackList, "you block the user")
		}
		// The other's own request, pending: this accepts it.
		if q := p.Request[1]; q != nil && q.Status == contract.FriendUnhandled && now-q.Time <= contract.FriendApplicationTTL {
			logs, err := befriend()
			if err != nil {
				return nil, nil, err
			}
			q.Status, q.Time = contract.FriendAccepted, now
			return p, append(logs, requestChanged(other, user, q)...), nil
		}
		switch addPermission(p.Person[1]) {
		case contract.FriendAddNoOne:
			return nil, nil, codes.New(codes.RCFriendOtherNotAllowAddFriend, "the user takes no friend requests")
		case contract.FriendAddFree:
			logs, err := befriend()
			return p, logs, err
		}
		if p.Friends[0] >= st.FriendsMax {
			return nil, nil, codes.New(codes.RCFriendMyFriendCountExceedLimit, "too many friends")
		}
		q := &store.FriendRequest{From: user, To: other, Status: contract.FriendUnhandled, Extra: r.Extra, Time: now}
		p.Request[0] = q
		res.ProcessCode = codes.RCFriendNeedAccept
		return p, requestChanged(user, other, q), nil
	case pb.PeopleOp_FRIEND_ACCEPT, pb.PeopleOp_FRIEND_REFUSE:
		q := p.Request[1]
		if q == nil || q.Status != contract.FriendUnhandled || now-q.Time > contract.FriendApplicationTTL {
			return nil, nil, codes.New(codes.RCFriendApplicationNotExist, "no pending friend request from the user")
		}
		q.Time = now
		if r.Op == pb.PeopleOp_FRIEND_REFUSE {
			q.Status = contract.FriendRefused
			return p, requestChanged(other, user, q), nil
		}
		q.Status = contract.FriendAccepted
		logs, err := befriend()
		if err != nil {
			return nil, nil, err
		}
		return p, append(logs, requestChanged(other, user, q)...), nil
	case pb.PeopleOp_FRIENDS_DELETE:
		if p.Friend[0] == nil && p.Friend[1] == nil {
			return nil, nil, nil
		}
		p.Friend[0], p.Friend[1] = nil, nil
		return p, []*pb.Message{
			friendLog(user, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_DELETED, UserIds: []string{other}, Time: now, Operator: user}),
			friendLog(other, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_DELETED, UserIds: []string{user}, Time: now, Operator: user}),
		}, nil
	case pb.PeopleOp_FRIEND_SET_INFO:
		f := p.Friend[0]
		if f == nil {
			return nil, nil, codes.New(codes.RCFriendNotFriend, "the user is not a friend")
		}
		if r.Fields&contract.FriendFieldRemark != 0 {
			f.Remark = r.Remark
		}
		if r.Fields&contract.FriendFieldExt != 0 {
			f.Ext = maps.Clone(r.Ext)
		}
		return p, []*pb.Message{friendLog(user, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_INFO, UserIds: []string{other},
			Remark: f.Remark, Ext: f.Ext, Time: now})}, nil
	case pb.PeopleOp_BLACKLIST_ADD:
		switch {
		case user == other:
			return nil, nil, errBlockSelf
		case p.Blocks[0] != 0:
			return nil, nil, nil
		case p.Blocked[0] >= st.BlacklistMax:
			return nil, nil, errBlacklistFull
		}
		p.Blocks[0] = now
		return p, nil, nil
	case pb.PeopleOp_BLACKLIST_REMOVE:
		p.Blocks[0] = 0
		return p, nil, nil
	}
	return nil, nil, codes.New(codes.InvalidParameter, "unknown people operation")
}

// checkFriends answers checkFriends: each user's relation to the caller.
func (s *Server) checkFriends(ctx context.Context, user string, users []string) (*pb.PeopleResult, error) {
	mine, err := s.store.Friends(ctx, user)
	if err != nil {
		return nil, err
	}
	res := &pb.PeopleResult{}
	for _, u := range users {
		theirs, err := s.store.Friends(ctx, u)
		if err != nil {
			return nil, err
		}
		rel := contract.RelationNone
		_, inMine := mine[u]
		_, inTheirs := theirs[user]
		switch {
		case inMine && inTheirs:
			rel = contract.RelationBothWay
		case inMine:
			rel = contract.RelationMine
		case inTheirs:
			rel = contract.RelationTheirs
		}
		res.Relations = append(res.Relations, &pb.FriendRelation{UserId: u, Relation: rel})
	}
	return res, nil
}

// friends answers getFriends (a page, newest first unless ascending),
// getFriendsInfo and searchFriendsInfo (by remark or name).
func (s *Server) friends(ctx context.Context, user string, r *pb.PeopleRequest) (*pb.PeopleResult, error) {
	mine, err := s.store.Friends(ctx, user)
	if err != nil {
		return nil, err
	}
	ids := slices.Collect(maps.Keys(mine))
	if r.Op == pb.PeopleOp_FRIENDS_INFO {
		ids = slices.DeleteFunc(slices.Clone(r.UserIds), func(u string) bool { _, ok := mine[u]; return !ok })
	}
	ps, err := s.profiles(ctx, user, ids) // as the user may see them
	if err != nil {
		return nil, err
	}
	blocked, err := s.store.Blacklist(ctx, user)
	if err != nil {
		return nil, err
	}
	var all []*pb.Friend
	for i, u := range ids {
		f := mine[u]
		out := &pb.Friend{UserId: u, Remark: f.Remark, Ext: f.Ext, AddTime: f.Added,
			Name: ps.Profiles[i].Name, PortraitUri: ps.Profiles[i].PortraitUri}
		_, out.InBlacklist = blocked[u]
		if r.Op == pb.PeopleOp_FRIENDS_SEARCH && !containsFold(out.Remark, r.Text) && !containsFold(out.Name, r.Text) {
			continue
		}
		all = append(all, out)
	}
	if r.Op != pb.PeopleOp_FRIENDS_LIST {
		return &pb.PeopleResult{Friends: all}, nil
	}
	slices.SortFunc(all, func(x, y *pb.Friend) int {
		c := cmp.Or(cmp.Compare(x.AddTime, y.AddTime), cmp.Compare(x.UserId, y.UserId))
		if r.Ascending {
			return c
		}
		return -c
	})
	from, to, next, err := keyPage(r.PageToken, r.Count, all, func(f *pb.Friend) string { return timeKey(f.AddTime, f.UserId) }, !r.Ascending)
	if err != nil {
		return nil, err
	}
	return &pb.PeopleResult{Friends: all[from:to], PageToken: next, TotalCount: uint32(len(all))}, nil
}

// friendRequests answers getFriendApplications, newest first.
func (s *Server) friendRequests(ctx context.Context, user string, r *pb.PeopleRequest, now int64) (*pb.PeopleResult, error) {
	cur, err := timePage(r.PageToken, r.Count)
	if err != nil {
		return nil, err
	}
	qs, err := s.store.FriendRequests(ctx, user, cur.before, cur.limit())
	if err != nil {
		return nil, err
	}
	res := &pb.PeopleResult{}
	qs, res.PageToken = pageByTime(cur, qs, func(q store.FriendRequest) int64 { return q.Time })
	var others []string
	for _, q := range qs {
		a := &pb.FriendApplication{UserId: q.To, Type: contract.FriendSent, Status: q.Status, Time: q.Time, Extra: q.Extra}
		if q.To == user {
			a.UserId, a.Type = q.From, contract.FriendReceived
		}
		if a.Status == contract.FriendUnhandled && now-q.Time > contract.FriendApplicationTTL {
			a.Status = contract.FriendExpired
		}
		res.Applications = append(res.Applications, a)
		others = append(others, a.UserId)
	}
	ps, err := s.profiles(ctx, user, others) // as the user may see them
	if err != nil {
		return nil, err
	}
	for i, a := range res.Applications {
		a.Name, a.PortraitUri = ps.Profiles[i].Name, ps.Profiles[i].PortraitUri
	}
	return res, nil
}
