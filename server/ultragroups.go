package server

import (
	"context"
	"errors"
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
// and on every node (evUltra).
type ultraCache struct {
	load   func(context.Context, string) (*store.UltraGroup, error)
	mu     sync.Mutex
	groups map[string]*store.UltraGroup
	gen    uint64 // bumped by each invalidation: a load begun before one is not kept
}

func newUltraCache(load func(context.Context, string) (*store.UltraGroup, error)) *ultraCache {
	return &ultraCache{load: load, groups: map[string]*store.UltraGroup{}}
}

// get returns group id (store.ErrNotFound); the result is shared: read only.
func (c *ultraCache) get(ctx context.Context, id string) (*store.UltraGroup, error) {
	c.mu.Lock()
	g, gen := c.groups[id], c.gen
	c.mu.Unlock()
	if g != nil {
		return g, nil
	}
	g, err := c.load(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.groups[id] = g
	}
	c.mu.Unlock()
	return g, nil
}

func (c *ultraCache) invalidate(id string) {
	c.mu.Lock()
	c.gen++
	delete(c.groups, id)
	c.mu.Unlock()
}

func (c *ultraCache) invalidateAll() {
	c.mu.Lock()
	c.gen++
	clear(c.groups)
	c.mu.Unlock()
}

// ultraConversation checks that user may use channel conv of an ultra
// group and returns its conversation id and the group.
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
		return "", nil, codes.New(codes.UltraGroupUserNotInPrivateChannel, "not in the private channel")
	}
	return store.UltraConvID(conv.Target, conv.Channel), g, nil
}

// ultraMuted says whether user may not send to g now: muted alone, or the
// whole group muted and user not its owner.
func ultraMuted(g *store.UltraGroup, user string, now int64) bool {
	until := g.Members[user]
	return until == -1 || until > now || (g.MutedAll && user != g.Owner)
}

// fanOutUltra pushes a stored ultra group message: a public channel's to
// the group's sessions on every node (one bus message), a private one's to
// the users allowed in it.
func (s *Server) fanOutUltra(ctx context.Context, m *pb.Message, exceptSession string) {
	g, err := s.ultraGroups.get(ctx, m.To)
	if err != nil {
		s.log.Error("fan-out: ultra group", "group", m.To, "err", err)
		return
	}
	ch := g.Channels[m.Channel]
	if ch != nil && ch.Private {
		users := make([]string, 0, len(ch.Allowed))
		for u := range ch.Allowed {
			users = append(users, u)
		}
		s.publish(ctx, m, users, exceptSession)
		return
	}
	s.publishRoom(ctx, &pb.Push{Messages: []*pb.Message{m}}, ultraKey(m.To), exceptSession)
}

// enterUltraGroups puts a session that is opening in its user's groups.
func (s *Server) enterUltraGroups(ctx context.Context, ss *session) {
	groups, err := s.store.UltraGroupsOf(ctx, ss.user)
	if err != nil {
		// Its messages still reach the device by sync.
		s.log.Warn("ultra groups of a user", "user", ss.user, "err", err)
		return
	}
	for _, g := range groups {
		s.enterUltra(ctx, ss, g)
	}
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
// group's members (users added, or removed), or its end.
func (s *Server) ultraMembersChanged(ctx context.Context, group string, users []string, added, dismissed bool) {
	s.ultraGroups.invalidate(group)
	if dismissed {
		if s.ultra.drop(ultraKey(group)) {
			s.bus.UnwatchRoom(ultraKey(group))
		}
		return
	}
	for _, u := range users {
		for _, ss := range s.hub.sessionsOf(u) {
			if added {
				s.enterUltra(ctx, ss, group)
			} else if was, _, last := s.ultra.remove(ss, ultraKey(group)); was && last {
				s.bus.UnwatchRoom(ultraKey(group))
			}
		}
	}
}

// changeUltraGroup applies c with the settings' limits, brings every
// node's cache and index in line and answers what the store did.
func (s *Server) changeUltraGroup(ctx context.Context, c store.UltraChange) (store.UltraResult, error) {
	st := s.settings.Load()
	c.MaxMembers, c.MaxChannels, c.Now = st.UltraGroupMaxMembers, st.UltraGroupMaxChannels, s.cfg.Now()
	res, err := s.store.ChangeUltraGroup(ctx, c)
	if err != nil {
		return res, ultraErr(err, c.Op)
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
	return res, nil
}

// evUltra's codes: what changed besides the group's cache.
const (
	ultraAdded     = 1
	ultraRemoved   = 2
	ultraDismissed = 3
)

func (s *Server) applyUltraEvent(ctx context.Context, e *busEvent) {
	switch e.Code {
	case ultraAdded, ultraRemoved:
		s.ultraMembersChanged(ctx, e.Group, e.Users, e.Code == ultraAdded, false)
	case ultraDismissed:
		s.ultraMembersChanged(ctx, e.Group, nil, false, true)
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
