package server

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Online status: a user is online while any of their sessions is (every
// session is the web SDK's: platform Web). When a user's first session
// opens or their last one closes, each online subscriber of theirs gets
// one push (SUBSCRIBED_USER_STATUS_CHANGE); no one else hears of it. The
// changes are queued and told by one goroutine (presence.run), so a
// session's start and close never wait on the store. With several nodes,
// a user is online while any node has a session of theirs (cluster.go),
// and the node where their status changed for the cluster tells.

// presence tracks when each user's status last changed and tells their
// subscribers.
type presence struct {
	s       *Server
	mu      sync.Mutex
	changed map[string]int64 // user: the time (ms) of their last change
	queue   []string         // users whose status changed, to tell
	wake    chan struct{}
	subs    subscriberCache
}

func newPresence(s *Server) *presence {
	return &presence{s: s, changed: map[string]int64{}, wake: make(chan struct{}, 1),
		subs: subscriberCache{store: s.store, lists: map[string][]store.Subscription{}}}
}

// note records that user went online or offline at now (ms).
func (p *presence) note(user string, now int64) {
	p.mu.Lock()
	p.changed[user] = now
	p.queue = append(p.queue, user)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run tells subscribers of the queued changes until ctx ends.
func (p *presence) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		p.drain(ctx) // (shutting down, ctx ends it: Close drains what is left)
	}
}

// drain tells subscribers of what is queued, once; run's work, and a
// stopping node's after its sessions closed (run has ended), so that
// subscribers on the other nodes hear its users went offline.
func (p *presence) drain(ctx context.Context) {
	p.mu.Lock()
	users := p.queue
	p.queue = nil
	p.mu.Unlock()
	for i, u := range users {
		if ctx.Err() != nil {
			// Left for the next drain (run's last one, with ctx ended,
			// leaves them all to Close's): not lost.
			p.mu.Lock()
			p.queue = append(users[i:], p.queue...)
			p.mu.Unlock()
			return
		}
		p.tell(ctx, u)
	}
}

// status is user's online status as a subscriber sees it.
func (p *presence) status(user string) []*pb.PlatformStatus {
	online := len(p.s.hub.sessionsOf(user)) > 0
	p.mu.Lock()
	t := p.changed[user]
	p.mu.Unlock()
	if elsewhere, since := p.s.cluster.onlineElsewhere(user); elsewhere {
		online, t = true, max(t, since)
	}
	return []*pb.PlatformStatus{{Platform: contract.PlatformWeb, Online: online, Time: t}}
}

// tell pushes user's status to their live online-status subscribers, one
// frame each.
func (p *presence) tell(ctx context.Context, user string) {
	subs, err := p.subs.of(ctx, user)
	if err != nil {
		if ctx.Err() == nil {
			p.s.log.Warn("presence: subscribers", "user", user, "err", err)
		}
		return
	}
	now := p.s.cfg.Now().UnixMilli()
	status := p.status(user)
	for _, sub := range subs {
		if !sub.Live(now) || sub.Type != contract.SubscribeOnline && sub.Type != contract.SubscribeFriendOn {
			continue
		}
		p.s.publishPush(ctx, &pb.Push{Status: []*pb.SubscriptionStatus{{
			UserId: user, Type: sub.Type, Time: sub.Time, Expiry: sub.Expiry, Platforms: status,
		}}}, []string{sub.Subscriber}, "")
	}
}

// subscriberCache keeps who subscribes to each user (loaded on first
// use, dropped when a subscription to them changes).
type subscriberCache struct {
	store interface {
		Subscribers(ctx context.Context, target string) ([]store.Subscription, error)
	}
	mu    sync.RWMutex
	lists map[string][]store.Subscription
	gen   uint64
}

func (c *subscriberCache) of(ctx context.Context, user string) ([]store.Subscription, error) {
	c.mu.RLock()
	l, ok := c.lists[user]
	gen := c.gen
	c.mu.RUnlock()
	if ok {
		return l, nil
	}
	l, err := c.store.Subscribers(ctx, user)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.lists[user] = l
	}
	c.mu.Unlock()
	return l, nil
}

func (c *subscriberCache) invalidateAll() {
	c.mu.Lock()
	clear(c.lists)
	c.gen++
	c.mu.Unlock()
}

func (c *subscriberCache) invalidate(users []string) {
	c.mu.Lock()
	for _, u := range users {
		delete(c.lists, u)
	}
	c.gen++
	c.mu.Unlock()
}

// pushProfile tells those who see user that their profile changed, one
// frame each, online only: their friends (FRIEND_USER_PROFILE) and, unless
// the profile is for friends only, their profile subscribers and the
// members of their groups (USER_PROFILE). An invisible profile is pushed
// to no one.
func (s *Server) pushProfile(ctx context.Context, user string, prof *pb.UserProfile, visibility int32, now int64) {
	if visibility == contract.VisibilityNone {
		return
	}
	told := map[string]bool{user: true}
	friends, err := s.store.Friends(ctx, user)
	if err != nil {
		s.log.Warn("profile push: friends", "user", user, "err", err)
		return
	}
	var to []string
	for f := range friends {
		told[f] = true
		to = append(to, f)
	}
	s.publishPush(ctx, &pb.Push{Status: []*pb.SubscriptionStatus{{UserId: user, Type: contract.SubscribeFriendUP, Profile: prof}}}, to, "")
	if visibility == contract.VisibilityFriends {
		return
	}
	subs, err := s.presence.subs.of(ctx, user)
	if err != nil {
		s.log.Warn("profile push: subscribers", "user", user, "err", err)
		return
	}
	for _, sub := range subs {
		if sub.Live(now) && sub.Type == contract.SubscribeProfile && !told[sub.Subscriber] {
			told[sub.Subscriber] = true
			s.publishPush(ctx, &pb.Push{Status: []*pb.SubscriptionStatus{{UserId: user, Type: sub.Type, Time: sub.Time, Expiry: sub.Expiry, Profile: prof}}},
				[]string{sub.Subscriber}, "")
		}
	}
	joined, err := s.store.JoinedGroups(ctx, user)
	if err != nil {
		s.log.Warn("profile push: groups", "user", user, "err", err)
		return
	}
	to = to[:0]
	for gid := range joined {
		g, err := s.groups.get(ctx, gid)
		if err != nil {
			continue
		}
		for _, u := range g.list {
			if !told[u] {
				told[u] = true
				to = append(to, u)
			}
		}
	}
	s.publishPush(ctx, &pb.Push{Status: []*pb.SubscriptionStatus{{UserId: user, Type: contract.SubscribeProfile, Profile: prof}}}, to, "")
}

// presenceRequest runs the subscription calls.
func (s *Server) presenceRequest(ctx context.Context, user, session string, r *pb.PeopleRequest, now int64) (*pb.PeopleResult, error) {
	relation := func(made []store.Subscription, unsubscribed bool) *pb.Message {
		var out []*pb.SubscriptionStatus
		for _, m := range made {
			out = append(out, &pb.SubscriptionStatus{UserId: m.Target, Type: m.Type, Time: m.Time, Expiry: m.Expiry, Unsubscribed: unsubscribed})
		}
		return userLogEntry(user, &pb.LogEntry{Subscriptions: out})
	}
	switch r.Op {
	case pb.PeopleOp_SUBSCRIBE:
		st := s.settings.Load()
		full, entry, err := s.store.Subscribe(ctx, user, r.Value, r.UserIds, now, r.Expiry, st.SubscriptionsMax, st.SubscribersMax,
			func(made []store.Subscription) *pb.Message { return relation(made, false) })
		if errors.Is(err, store.ErrQuota) {
			return nil, codes.New(codes.RCSubscribedUserIDsExceedLimit, "too many subscriptions (subscriptionsMax)")
		}
		if err != nil {
			return nil, err
		}
		s.dropSubscribers(r.UserIds)
		res := &pb.PeopleResult{UserIds: full}
		if entry != nil {
			s.publish(ctx, entry, []string{user}, session)
			res.OwnLogSeqs = []uint64{entry.Seq}
		}
		if len(full) > 0 {
			res.ProcessCode = codes.RCBesubscribedUserIDsCountExceedLimit
		}
		return res, nil
	case pb.PeopleOp_UNSUBSCRIBE:
		entry, err := s.store.Unsubscribe(ctx, user, r.Value, r.UserIds, func(ended []store.Subscription) *pb.Message { return relation(ended, true) })
		if err != nil {
			return nil, err
		}
		s.dropSubscribers(r.UserIds)
		if entry != nil {
			s.publish(ctx, entry, []string{user}, session)
			return &pb.PeopleResult{OwnLogSeqs: []uint64{entry.Seq}}, nil
		}
		return &pb.PeopleResult{}, nil
	case pb.PeopleOp_ONLINE_STATUS:
		res := &pb.PeopleResult{}
		for _, u := range r.UserIds {
			res.Subscriptions = append(res.Subscriptions, &pb.SubscriptionStatus{UserId: u, Type: contract.SubscribeOnline, Platforms: s.presence.status(u)})
		}
		return res, nil
	}
	subs, err := s.store.Subscriptions(ctx, user)
	if err != nil {
		return nil, err
	}
	subs = slices.DeleteFunc(subs, func(x store.Subscription) bool { return !x.Live(now) || x.Type != r.Value })
	if r.Op == pb.PeopleOp_SUBSCRIBED_STATUS {
		subs = slices.DeleteFunc(subs, func(x store.Subscription) bool { return !slices.Contains(r.UserIds, x.Target) })
	} else { // SUBSCRIPTIONS: a page by offset, oldest first
		slices.SortFunc(subs, func(a, b store.Subscription) int {
			return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Target, b.Target))
		})
		if off, err := parseOffset(r.PageToken); r.PageToken != "" && err == nil && off > len(subs) {
			subs = nil // RongIMLib's offset, past the end (or past what an unsubscribe left): an empty page
		} else {
			from, to, _, err := page(r.PageToken, r.Count, len(subs))
			if err != nil {
				return nil, err
			}
			subs = subs[from:to]
		}
	}
	var profiles map[string]*pb.UserProfile
	if r.Value == contract.SubscribeProfile || r.Value == contract.SubscribeFriendUP {
		ids := make([]string, len(subs))
		for i, x := range subs {
			ids[i] = x.Target
		}
		ps, err := s.profiles(ctx, user, ids) // as the subscriber may see them
		if err != nil {
			return nil, err
		}
		profiles = make(map[string]*pb.UserProfile, len(ps.Profiles))
		for _, p := range ps.Profiles {
			profiles[p.UserId] = p
		}
	}
	res := &pb.PeopleResult{}
	for _, x := range subs {
		st := &pb.SubscriptionStatus{UserId: x.Target, Type: x.Type, Time: x.Time, Expiry: x.Expiry}
		if profiles != nil {
			st.Profile = profiles[x.Target]
		} else {
			st.Platforms = s.presence.status(x.Target)
		}
		res.Subscriptions = append(res.Subscriptions, st)
	}
	return res, nil
}
