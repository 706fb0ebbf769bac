package server

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Ultra groups (conversation type ULTRA_GROUP) are groups of up to
// 100,000 whose sends cost what a private message costs: a channel's
// message is stored once (the store writes nothing per member), and goes
// live to the sessions of the group's members that are online — found in
// this node's index of sessions by group (Server.ultra, the chat rooms'
// roomIndex), never by walking the member list. Each session of a member
// is in the index from its AuthOK until it closes (or the member leaves).
// A private channel's messages go to the users allowed in it.

// ultraKey is an ultra group's key in Server.ultra and on the bus (a chat
// room's id has no ':', so the two never meet on the bus).
func ultraKey(group string) string { return "ug:" + group }

// isUltraKey says whether a bus delivery's room is an ultra group's.
func isUltraKey(room string) bool { return len(room) > 3 && room[:3] == "ug:" }

// ultraCache holds ultra groups as the store has them, whole (members,
// mutes, channels): what every send checks. A change drops the group here
// and on every node (evUltra). A group of 100,000 takes a while to read:
// the sends that find it missing wait for one read (loading), and a load
// is kept only if its group was not dropped meanwhile (gen).
type ultraCache struct {
	load    func(context.Context, string) (*store.UltraGroup, error)
	mu      sync.Mutex
	groups  map[string]*store.UltraGroup
	loading map[string]*ultraLoad
	gen     map[string]uint64 // per group, bumped by each invalidation
	epoch   uint64            // bumped by invalidateAll
}

// ultraLoad is one read of a group that several callers wait for.
type ultraLoad struct {
	done chan struct{}
	g    *store.UltraGroup
	err  error
}

func newUltraCache(load func(context.Context, string) (*store.UltraGroup, error)) *ultraCache {
	return &ultraCache{load: load, groups: map[string]*store.UltraGroup{}, loading: map[string]*ultraLoad{}, gen: map[string]uint64{}}
}

// get returns group id (store.ErrNotFound); the result is shared: read only.
func (c *ultraCache) get(ctx context.Context, id string) (*store.UltraGroup, error) {
	c.mu.Lock()
	if g := c.groups[id]; g != nil {
		c.mu.Unlock()
		return g, nil
	}
	if l := c.loading[id]; l != nil {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.g, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &ultraLoad{done: make(chan struct{})}
	c.loading[id] = l
	gen, epoch := c.gen[id], c.epoch
	c.mu.Unlock()
	l.g, l.err = c.load(ctx, id)
	c.mu.Lock()
	delete(c.loading, id)
	if l.err == nil && c.gen[id] == gen && c.epoch == epoch {
		c.groups[id] = l.g
	}
	c.mu.Unlock()
	close(l.done)
	return l.g, l.err
}

func (c *ultraCache) invalidate(id string) {
	c.mu.Lock()
	c.gen[id]++
	delete(c.groups, id)
	delete(c.loading, id) // a later get reads again; those waiting get the older read
	c.mu.Unlock()
}

func (c *ultraCache) invalidateAll() {
	c.mu.Lock()
	c.epoch++
	clear(c.groups)
	clear(c.loading)
	c.mu.Unlock()
}

// ultraConversation checks that user may use channel conv of an ultra
// group and returns its conversation id and the group (the group too when
// the only refusal is a private channel's, 24416).
func (s *Server) ultraConversation(ctx context.Context, user string, conv *pb.Conversation) (string, *store.UltraGroup, error) {
	if conv.Channel != "" && !contract.ValidID(conv.Channel) {
		return "", nil, codes.New(codes.UltraGroupChannelIDNotExist, "invalid channel id")
	}
	g, err := s.ultraGroups.get(ctx, conv.Target)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, codes.New(codes.UltraGroupNotExist, "no such ultra group")
	}
	if err != nil {
		return "", nil, err
	}
	if _, ok := g.Members[user]; !ok {
		return "", nil, codes.New(codes.NotInUltraGroup, "not in the ultra group")
	}
	ch := g.Channels[conv.Channel]
	if ch == nil {
		return "", nil, codes.New(codes.UltraGroupChannelIDNotExist, "no such channel")
	}
	if !ch.MayUse(user) {
		return "", g, codes.New(codes.UltraGroupUserNotInPrivateChannel, "not in the private channel")
	}
	return store.UltraConvID(conv.Target, conv.Channel), g, nil
}

// ultraMuted says whether user may not send to g now: muted alone, or the
// whole group muted and user not its owner.
func ultraMuted(g *store.UltraGroup, user string, now int64) bool {
	until := g.Members[user]
	return until == -1 || until > now || (g.MutedAll && user != g.Owner)
}

// publishUltra pushes p to a channel of an ultra group: a public
// channel's to the group's sessions on every node (one bus message), a
// private one's to the users allowed in it.
func (s *Server) publishUltra(ctx context.Context, p *pb.Push, group, channel, exceptSession string) {
	g, err := s.ultraGroups.get(ctx, group)
	if err != nil {
		s.log.Error("fan-out: ultra group", "group", group, "err", err)
		return
	}
	ch := g.Channels[channel]
	if ch == nil {
		return // deleted meanwhile: devices find what is stored by sync
	}
	if ch.Private {
		users := make([]string, 0, len(ch.Allowed))
		for u := range ch.Allowed {
			users = append(users, u)
		}
		s.publishPush(ctx, p, users, exceptSession)
		return
	}
	s.publishRoom(ctx, p, ultraKey(group), exceptSession)
}

// enterUltraGroups puts sessions of one user in the user's groups and
// takes them out of those the user is not in, as the store has it now.
// Every path goes through here under the user's lock (ultraUserLock):
// a session opening (before its AuthOK, so a message stored after the
// device's sync comes live; and again once it is in the hub, for a change
// that looked for it there before it was), a change of members, a node
// back on the bus. The last to hold the lock read the store last, so
// however the changes and their events interleave, the index ends as the
// store is.
func (s *Server) enterUltraGroups(ctx context.Context, user string, sessions []*session) {
	mu := s.ultraUserLock(user)
	defer mu.Unlock()
	groups, err := s.store.UltraGroupsOf(ctx, user)
	if err != nil {
		// Its messages still reach the device by sync.
		s.log.Warn("ultra groups of a user", "user", user, "err", err)
		return
	}
	for _, ss := range sessions {
		for _, g := range groups {
			s.enterUltra(ctx, ss, g)
		}
		for _, key := range s.ultra.roomsOf(ss) {
			if !slices.Contains(groups, strings.TrimPrefix(key, "ug:")) {
				if was, _, last := s.ultra.remove(ss, key); was && last {
					s.bus.UnwatchRoom(key)
				}
			}
		}
	}
}

// ultraUserLock locks one user's entries in Server.ultra (striped).
func (s *Server) ultraUserLock(user string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(user))
	mu := &s.ultraUsers[h.Sum32()%uint32(len(s.ultraUsers))]
	mu.Lock()
	return mu
}

func (s *Server) enterUltra(ctx context.Context, ss *session, group string) {
	first, ok := s.ultra.add(ss, ultraKey(group))
	if ok && first {
		if err := s.bus.WatchRoom(ctx, ultraKey(group)); err != nil {
			s.log.Warn("bus: watch an ultra group", "group", group, "err", err)
		}
	}
}

// leaveUltraGroups takes a closing session out of its groups.
func (s *Server) leaveUltraGroups(ss *session) {
	for _, l := range s.ultra.leaveAll(ss) {
		if l.last {
			s.bus.UnwatchRoom(l.room)
		}
	}
}

// ultraMembersChanged brings this node's index in line with a change of
// group's members (users added or removed), or its end.
func (s *Server) ultraMembersChanged(ctx context.Context, group string, users []string, dismissed bool) {
	if dismissed {
		s.ultraGroups.invalidate(group)
		if s.ultra.drop(ultraKey(group)) {
			s.bus.UnwatchRoom(ultraKey(group))
		}
		return
	}
	for _, u := range users {
		if sessions := s.hub.sessionsOf(u); len(sessions) > 0 {
			s.enterUltraGroups(ctx, u, sessions)
			// A message stored between the change and this (the bus's
			// event may come after it) reached none of them live: their
			// devices sync, the rest comes live.
			for _, ss := range sessions {
				ss.send(&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Resync: true}}})
			}
		}
	}
	// After the index: a send the cache lets pass or refuses now finds
	// the sessions in or out of the group's fan-out already.
	s.ultraGroups.invalidate(group)
}

// reenterUltraGroups brings every session here in line with the store (a
// node back on the bus may have missed changes).
func (s *Server) reenterUltraGroups(ctx context.Context) {
	byUser := map[string][]*session{}
	for _, ss := range s.hub.all() {
		byUser[ss.user] = append(byUser[ss.user], ss)
	}
	for u, sessions := range byUser {
		s.enterUltraGroups(ctx, u, sessions)
	}
}

// changeUltraGroup applies c with the settings' limits, brings every
// node's cache and index in line and answers what the store did.
func (s *Server) changeUltraGroup(ctx context.Context, c store.UltraChange) (store.UltraResult, error) {
	st := s.settings.Load()
	c.MaxMembers, c.MaxChannels, c.Now = st.UltraGroupMaxMembers, st.UltraGroupMaxChannels, s.cfg.Now()
	var before *store.UltraChannel // the channel as it was, for what its events say
	var levels []string            // the default levels a dismiss or a channel's deletion ends
	if g, err := s.ultraGroups.get(ctx, c.Group); err == nil {
		before = g.Channels[c.Channel]
		switch c.Op {
		case store.UltraRemoveMembers:
			if slices.Contains(c.Users, g.Owner) {
				// As a group's: a group with no owner has no one who may
				// set its default levels.
				return store.UltraResult{}, codes.New(codes.RCGroupOwnerNotAllowQuitOrKick, "the owner cannot be removed")
			}
		case store.UltraDismiss:
			levels = append(levels, ultraLevelKey(c.Group, ""))
			for id := range g.Channels {
				levels = append(levels, ultraLevelKey(c.Group, id))
			}
		case store.UltraDeleteChannel:
			levels = append(levels, ultraLevelKey(c.Group, c.Channel))
		}
	}
	res, err := s.store.ChangeUltraGroup(ctx, c)
	if err != nil {
		return res, ultraErr(err, c.Op)
	}
	if len(levels) > 0 {
		// A group or channel made again with the same id starts with none.
		if err := s.store.DeleteSettings(ctx, levels); err != nil {
			s.log.Warn("ultra group: its default levels", "group", c.Group, "err", err)
		}
	}
	e := &busEvent{Kind: evUltra, Group: c.Group}
	switch c.Op {
	case store.UltraCreate, store.UltraAddMembers:
		e.Users, e.Code = res.Changed, ultraAdded
	case store.UltraRemoveMembers:
		e.Users, e.Code = res.Changed, ultraRemoved
	case store.UltraDismiss:
		e.Code = ultraDismissed
	}
	s.applyUltraEvent(ctx, e)
	s.cluster.broadcast(e)
	ev := &pb.UltraChannelEvent{Group: c.Group, Channel: c.Channel, Private: c.Private, Time: c.Now.UnixMilli()}
	switch c.Op {
	case store.UltraDeleteChannel:
		ev.Change = ultraChannelDeleted
		ev.Private = before != nil && before.Private // the channel as it was
		s.tellChannelChange(ctx, res.Changed, ev)
	case store.UltraSetChannelPrivate:
		if before == nil || before.Private == c.Private {
			break // no change of type (or none known): nothing to tell
		}
		// Those on its list keep it: they hear of its type, as those
		// who lose or gain it (res.Changed) hear whether they are in it.
		ev.Change = 3 // PRIVATE_TO_PUBLIC
		if c.Private {
			ev.Change = 6 // PUBLIC_TO_PRIVATE_USER_NOT_IN
		}
		s.tellChannelChange(ctx, res.Changed, ev)
		if g, err := s.ultraGroups.get(ctx, c.Group); err == nil && g.Channels[c.Channel] != nil {
			ev2 := *ev
			ev2.Change = 2 // PUBLIC_TO_PRIVATE
			if !c.Private {
				ev2.Change = 3
			}
			s.tellChannelChange(ctx, slices.Collect(maps.Keys(g.Channels[c.Channel].Allowed)), &ev2)
		}
	case store.UltraDisallowChannel:
		if before == nil || !before.Private {
			break // a public channel's list waits for it to be private: no one lost it
		}
		ev.Private = true
		for _, u := range res.Changed {
			e := *ev
			e.Change, e.UserId = ultraChannelKicked, u
			s.tellChannelChange(ctx, []string{u}, &e)
		}
	}
	return res, nil
}

// UltraChannelEvent changes besides UltraGroupChannelChangeType's 2, 3, 6.
const (
	ultraChannelDeleted = 1
	ultraChannelKicked  = 7
)

// evUltra's codes: what changed besides the group's cache.
const (
	ultraAdded     = 1
	ultraRemoved   = 2
	ultraDismissed = 3
)

func (s *Server) applyUltraEvent(ctx context.Context, e *busEvent) {
	switch e.Code {
	case ultraAdded, ultraRemoved:
		s.ultraMembersChanged(ctx, e.Group, e.Users, false)
	case ultraDismissed:
		s.ultraMembersChanged(ctx, e.Group, nil, true)
	default:
		s.ultraGroups.invalidate(e.Group)
	}
}

// ultraErr gives a store refusal RongIMLib's code.
func ultraErr(err error, op store.UltraOp) error {
	switch {
	case errors.Is(err, store.ErrNotFound) && (op == store.UltraDeleteChannel || op == store.UltraSetChannelPrivate || op == store.UltraAllowChannel || op == store.UltraDisallowChannel):
		return codes.Wrap(codes.UltraGroupChannelIDNotExist, "no such channel", err)
	case errors.Is(err, store.ErrNotFound):
		return codes.Wrap(codes.UltraGroupNotExist, "no such ultra group", err)
	case errors.Is(err, store.ErrLimit) && op == store.UltraCreateChannel:
		return codes.Wrap(codes.UltraGroupChannelsOversize, "too many channels", err)
	case errors.Is(err, store.ErrLimit):
		return codes.Wrap(codes.UltraGroupMembersOversize, "too many members", err)
	case errors.Is(err, store.ErrExists):
		return codes.Wrap(codes.InvalidParameter, "exists already", err)
	}
	return err
}

// handleUltraGroup answers a member's ultra group request.
func (ss *session) handleUltraGroup(ctx context.Context, id uint64, r *pb.UltraGroupRequest) {
	res, err := ss.srv.ultraGroupRequest(ctx, ss.user, r)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_UltraGroupResult{UltraGroupResult: res}})
}

func (s *Server) ultraGroupRequest(ctx context.Context, user string, r *pb.UltraGroupRequest) (*pb.UltraGroupResult, error) {
	if err := contract.CheckUltraGroupRequest(r); err != nil {
		return nil, err
	}
	if r.Op == pb.UltraGroupOp_ULTRA_GROUP_LIST {
		ids := []string{r.Group}
		if r.Group == "" {
			var err error
			if ids, err = s.store.UltraGroupsOf(ctx, user); err != nil {
				return nil, err
			}
		}
		res := &pb.UltraGroupResult{}
		for _, id := range ids {
			g, err := s.ultraGroups.get(ctx, id)
			if errors.Is(err, store.ErrNotFound) && r.Group == "" {
				continue // dismissed meanwhile
			}
			if err != nil {
				return nil, ultraErr(err, 0)
			}
			if _, ok := g.Members[user]; !ok {
				if r.Group == "" {
					continue // removed meanwhile
				}
				return nil, codes.New(codes.NotInUltraGroup, "not in the ultra group")
			}
			info := &pb.UltraGroupInfo{Group: g.ID, Name: g.Name, Owner: g.Owner}
			if info.DefaultLevel, err = s.ultraDefaultLevel(ctx, g.ID, ""); err != nil {
				return nil, err
			}
			for _, ch := range g.Channels {
				if !ch.MayUse(user) {
					continue
				}
				ci := &pb.UltraChannelInfo{Channel: ch.ID, Private: ch.Private, CreateTime: ch.Created}
				if ch.ID != "" {
					if ci.DefaultLevel, err = s.ultraDefaultLevel(ctx, g.ID, ch.ID); err != nil {
						return nil, err
					}
				}
				info.Channels = append(info.Channels, ci)
			}
			slices.SortFunc(info.Channels, func(a, b *pb.UltraChannelInfo) int { return strings.Compare(a.Channel, b.Channel) })
			res.Groups = append(res.Groups, info)
		}
		return res, nil
	}
	// The default levels: read by members, set by the owner (of a private
	// channel too, on its list or not: the owner reads what they set).
	if _, g, err := s.ultraConversation(ctx, user, &pb.Conversation{Type: pb.ConversationType_ULTRA_GROUP, Target: r.Group, Channel: r.Channel}); err != nil &&
		!(codes.Of(err) == codes.UltraGroupUserNotInPrivateChannel && g != nil && user == g.Owner) {
		return nil, err
	} else if r.Op == pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL {
		if user != g.Owner {
			return nil, codes.New(codes.RCGroupAuthorityError, "only the ultra group's owner sets its default levels")
		}
		if err := s.store.PutSetting(ctx, ultraLevelKey(r.Group, r.Channel), []byte(strconv.Itoa(int(r.Level)))); err != nil {
			return nil, err
		}
		return &pb.UltraGroupResult{Level: r.Level}, nil
	}
	level, err := s.ultraDefaultLevel(ctx, r.Group, r.Channel)
	return &pb.UltraGroupResult{Level: level}, err
}

// ultraLevelKey is where a group's or channel's default notification
// level is kept (the store's settings).
func ultraLevelKey(group, channel string) string { return "ultra-level/" + group + "/" + channel }

// ultraDefaultLevel reads a default level as set (0: none).
func (s *Server) ultraDefaultLevel(ctx context.Context, group, channel string) (int32, error) {
	b, err := s.store.Setting(ctx, ultraLevelKey(group, channel))
	if err != nil || b == nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return 0, fmt.Errorf("default level of %s/%s: %w", group, channel, err)
	}
	return int32(n), nil
}

// tellChannelChange pushes a channel's change to users' sessions on every
// node (RongIMLib's ULTRA_GROUP_CHANNEL_* events; live only).
func (s *Server) tellChannelChange(ctx context.Context, users []string, e *pb.UltraChannelEvent) {
	if len(users) == 0 {
		return
	}
	s.publishPush(ctx, &pb.Push{UltraChannel: []*pb.UltraChannelEvent{e}}, users, "")
}
