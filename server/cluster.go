package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/bus"
	"github.com/imwasm/imwasm/server/bus/natsbus"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/store"
)

// What the nodes of a cluster tell each other over the bus, beyond
// deliveries (a cluster of one tells no one: the local bus drops events):
//
//   - Who is online where: a node announces each user whose first session
//     opens or last one closes on it, and whose sessions there are all in
//     the background or one no longer is (pushes), numbered, and a beat every
//     Config.ClusterBeat with its last number. A node that missed a number,
//     or hears of a node for the first time, asks that node for its whole
//     list. A node silent for Config.ClusterDeadAfter (5 beats) is dropped
//     with its users.
//     This answers online status, splits a user's rate limits between the
//     nodes they use, and picks the node that coalesces a message's
//     receipts.
//   - A user's sessions, to the nodes that have sessions of them (the
//     user's subject), so the session limit counts every node's.
//   - Kicks, and caches to drop when a group, a blacklist, a subscription
//     or the settings change.
//
// A node cut off from the bus keeps serving its own users; when it is
// back (Reconnected) it drops its caches and tells its sessions to sync.

// Event kinds.
const (
	evBeat      = "beat"      // Broadcast: alive, with the last Seq
	evOnline    = "on"        // Broadcast, numbered: User's first session here
	evOffline   = "off"       // Broadcast, numbered: User's last session here closed
	evAway      = "away"      // Broadcast, numbered: User's sessions here are all in the background (Time: when they left the foreground; 0: they came in the background)
	evBack      = "back"      // Broadcast, numbered: one of User's sessions here is in the foreground again
	evAskList   = "ask"       // Send: send me your list
	evList      = "list"      // Send: the users online here as of Seq, in parts (Part from 0, Last)
	evLeave     = "leave"     // Broadcast: this node is stopping
	evOpened    = "opened"    // Tell: a session of User opened here
	evSessions  = "sessions"  // Tell: User's sessions here (answering opened)
	evClosed    = "closed"    // Tell: a session of User closed here
	evKick      = "kick"      // Tell: close User's sessions with Code
	evTouch     = "touch"     // Send: message UID of Conv has readers to notify
	evDrop      = "drop"      // Broadcast: drop cached Group / blacklists and subscribers of Users
	evDropAll   = "dropall"   // Broadcast: drop every cached group
	evSettings  = "settings"  // Broadcast: the settings changed
	evPending   = "pending"   // Tell: User may have a delivery receipt pending
	evFile      = "file"      // Broadcast: User stored a file of Size bytes in the shared file store (deleted one: -Size-1)
	evRoomGone  = "roomgone"  // Broadcast: chat room Conv was destroyed
	evRoomMutes = "roommutes" // Broadcast: chat room Conv's mutes changed
	evUltra     = "ultra"     // Broadcast: ultra group Group changed (Code: ultraAdded or ultraRemoved Users, ultraDismissed)
	evErased    = "erased"    // Broadcast: User was erased (a node keeping files on its own disk deletes theirs)
)

type busEvent struct {
	Kind     string           `json:"k"`
	From     string           `json:"f"`
	Seq      uint64           `json:"q,omitempty"`
	User     string           `json:"u,omitempty"`
	Users    []string         `json:"us,omitempty"`
	Group    string           `json:"g,omitempty"`
	Code     int32            `json:"c,omitempty"`
	Reason   string           `json:"r,omitempty"`
	Conv     string           `json:"cv,omitempty"`
	UID      string           `json:"id,omitempty"`
	Time     int64            `json:"t,omitempty"`
	Size     int64            `json:"z,omitempty"`
	Part     int              `json:"p,omitempty"`
	Last     bool             `json:"l,omitempty"`
	Sessions []sessionRef     `json:"s,omitempty"`
	Online   map[string]int64 `json:"o,omitempty"` // user: since (ms)
	Away     []string         `json:"a,omitempty"` // of Online, those with every session in the background
}

// sessionRef is a session as other nodes count it for the session limit.
type sessionRef struct {
	ID      string `json:"i"`
	Created int64  `json:"c"` // unix ns
}

// busNode is what the bus hands received traffic to. ready (when not nil)
// is closed once the server holds its bus: an event another node sent may
// arrive while the bus is still being opened, and receive reads the bus's
// id (a data race, found by CI under -race).
type busNode struct {
	s     *Server
	ready <-chan struct{}
}

func (n busNode) wait() {
	if n.ready != nil {
		<-n.ready
	}
}

func (n busNode) Deliver(d *bus.Delivery) {
	if d.Room != "" {
		idx := n.s.rooms
		if isUltraKey(d.Room) {
			idx = n.s.ultra
		}
		if !idx.deliver(d) {
			n.s.metrics.chatroomMissed.Inc()
		}
		return
	}
	n.s.hub.deliver(d)
}
func (n busNode) Receive(b []byte) { n.wait(); n.s.cluster.receive(b) }
func (n busNode) Reconnected()     { n.wait(); n.s.cluster.reconnected() }

// openBus starts the bus cfg.Bus names.
func openBus(ctx context.Context, cfg Config, node bus.Node) (bus.Bus, error) {
	switch {
	case cfg.NewBus != nil:
		return cfg.NewBus(node)
	case cfg.Bus == "" || cfg.Bus == "local":
		return bus.NewLocal(node), nil
	case strings.HasPrefix(cfg.Bus, "nats://") || strings.HasPrefix(cfg.Bus, "tls://"):
		return natsbus.Open(ctx, natsbus.Options{URLs: cfg.Bus, Prefix: busPrefix(cfg.AppKey), Logger: cfg.Logger}, node)
	}
	return nil, errBadBus(cfg.Bus)
}

type errBadBus string

func (e errBadBus) Error() string { return "bus " + string(e) + ": want local or a nats:// URL" }

// busPrefix names an app's cluster on NATS (app keys may hold characters
// a subject may not).
func busPrefix(appKey string) string {
	h := fnv.New64a()
	h.Write([]byte(appKey))
	return "imwasm." + strconv.FormatUint(h.Sum64(), 16)
}

// cluster is this node's view of the others.
type cluster struct {
	s   *Server
	tag string // ends this node's session ids: unique across nodes

	alone atomic.Bool // no other node known (nodes is empty)

	mu     sync.Mutex
	seq    uint64           // the number of this node's last online/offline announcement
	here   map[string]int64 // users online here: since (ms)
	away   map[string]bool  // of here, those whose every session here is in the background
	nodes  map[string]*nodeView
	left   map[string]bool                    // nodes that said they were stopping
	remote map[string]map[string][]sessionRef // user (with sessions here): node: their sessions there
	// heard is when each node was last heard, kept past its drop (a node
	// silent through a bus outage is alive again after it); dropped names
	// the nodes dropped for silence, whose users' presence is told again
	// when their list comes back.
	heard   map[string]time.Time
	dropped map[string]bool
}

// nodeView is what this node knows of another.
type nodeView struct {
	seq    uint64
	synced bool      // online holds its list as of seq
	asked  time.Time // when its list was last asked for
	seen   time.Time // when it was last heard of
	online map[string]int64
	away   map[string]bool // of online, those with every session there in the background
	// partial gathers a list arriving in parts; nextPart is the part due.
	partial     map[string]int64
	partialAway map[string]bool
	nextPart    int
}

// listPart is how many users one part of a list holds: a part stays well
// under NATS's largest message (1 MB by default).
const listPart = 5000

// sendListLocked sends node to the users online here, in parts; under
// c.mu, so no announcement comes between them.
func (c *cluster) sendListLocked(node string) {
	part := map[string]int64{}
	var away []string
	n := 0
	send := func(last bool) {
		c.sendTo(node, &busEvent{Kind: evList, Seq: c.seq, Part: n, Last: last, Online: part, Away: away})
		part, away = map[string]int64{}, nil
		n++
	}
	for u, t := range c.here {
		part[u] = t
		if c.away[u] {
			away = append(away, u)
		}
		if len(part) == listPart {
			send(false)
		}
	}
	send(true)
}

func newCluster(s *Server) *cluster {
	tag := make([]byte, 4)
	rand.Read(tag)
	c := &cluster{s: s, tag: "-" + hex.EncodeToString(tag), here: map[string]int64{}, away: map[string]bool{}, nodes: map[string]*nodeView{}, left: map[string]bool{}, remote: map[string]map[string][]sessionRef{},
		heard: map[string]time.Time{}, dropped: map[string]bool{}}
	c.alone.Store(true)
	return c
}

func (c *cluster) send(ctx context.Context, e *busEvent, to func(context.Context, []byte) error) {
	e.From = c.s.bus.ID()
	b, err := json.Marshal(e)
	if err != nil {
		c.s.log.Error("bus: encode event", "kind", e.Kind, "err", err)
		return
	}
	if err := to(ctx, b); err != nil {
		c.s.log.Warn("bus: send event", "kind", e.Kind, "err", err)
	}
}

func (c *cluster) broadcast(e *busEvent) {
	c.send(c.s.ctx, e, c.s.bus.Broadcast)
}

func (c *cluster) tell(user string, e *busEvent) {
	c.send(c.s.ctx, e, func(ctx context.Context, b []byte) error { return c.s.bus.Tell(ctx, user, b) })
}

func (c *cluster) sendTo(node string, e *busEvent) {
	c.send(c.s.ctx, e, func(ctx context.Context, b []byte) error { return c.s.bus.Send(ctx, node, b) })
}

// opened registers a session that just joined this node's hub, closed
// one that left it. Each reports whether the user's status changed for the
// cluster (online nowhere else). Whether the user is here is read from the
// hub under c.mu, not from what hub.add or hub.remove said: a session's
// close and the next one's open may run their halves in either order, and
// the last to run must leave the truth announced. The user's nodes are
// told of the sessions here (the session limit counts them), under c.mu
// too, so the lists they get arrive in order.
func (c *cluster) opened(ss *session, now int64) (changed bool) {
	return c.sessionsChanged(ss.user, now, evOpened)
}

func (c *cluster) closed(ss *session, now int64) (changed bool) {
	return c.sessionsChanged(ss.user, now, evClosed)
}

func (c *cluster) sessionsChanged(user string, now int64, kind string) (changed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	local := c.s.hub.sessionsOf(user)
	_, was := c.here[user]
	wasAwake := c.awakeHereLocked(user)
	switch {
	case len(local) > 0 && !was:
		c.here[user] = now
		c.seq++
		// Numbered announcements go out under the lock: in the order of
		// their numbers.
		c.broadcast(&busEvent{Kind: evOnline, Seq: c.seq, User: user, Time: now})
		changed = !c.elsewhereLocked(user)
	case len(local) == 0 && was:
		delete(c.here, user)
		delete(c.remote, user)
		c.s.pending.mu.Lock()
		delete(c.s.pending.none, user)
		c.s.pending.mu.Unlock()
		c.seq++
		c.broadcast(&busEvent{Kind: evOffline, Seq: c.seq, User: user, Time: now})
		if wasAwake {
			c.s.left.note(user, now) // (from the background: noted when they went there)
		}
		changed = !c.elsewhereLocked(user)
	}
	c.awayChangedLocked(user, local, now, wasAwake)
	c.tell(user, &busEvent{Kind: kind, User: user, Sessions: refs(local)})
	return changed
}

// setBackground puts ss in the background or back in the foreground, and
// announces its user's change, if any.
func (c *cluster) setBackground(ss *session, background bool, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	wasAwake := c.awakeHereLocked(ss.user)
	ss.background.Store(background)
	c.awayChangedLocked(ss.user, c.s.hub.sessionsOf(ss.user), now, wasAwake)
}

// awakeHereLocked: user had, as last announced, a session here in the
// foreground.
func (c *cluster) awakeHereLocked(user string) bool {
	_, here := c.here[user]
	return here && !c.away[user]
}

// awayChangedLocked announces whether user, online here, has every
// session here in the background now (evAway: for pushes they went
// offline; from the foreground if wasAwake, which leftTimes notes) or one
// in the foreground again (evBack).
func (c *cluster) awayChangedLocked(user string, local []*session, now int64, wasAwake bool) {
	away := len(local) > 0 && !anyForeground(local)
	switch {
	case away == c.away[user]:
		return
	case len(local) == 0:
		delete(c.away, user) // its evOffline said it
		return
	}
	c.seq++
	if away {
		c.away[user] = true
		e := &busEvent{Kind: evAway, Seq: c.seq, User: user}
		if wasAwake {
			e.Time = now
			c.s.left.note(user, now)
		}
		c.broadcast(e)
		return
	}
	delete(c.away, user)
	c.broadcast(&busEvent{Kind: evBack, Seq: c.seq, User: user, Time: now})
}

func refs(list []*session) []sessionRef {
	out := make([]sessionRef, len(list))
	for i, ss := range list {
		out[i] = ss.ref()
	}
	return out
}

func (ss *session) ref() sessionRef { return sessionRef{ID: ss.id, Created: ss.created.UnixNano()} }

func (c *cluster) elsewhereLocked(user string) bool {
	return c.elsewhereExceptLocked(user, "")
}

// elsewhereExceptLocked is elsewhereLocked leaving node out.
func (c *cluster) elsewhereExceptLocked(user, node string) bool {
	for id, v := range c.nodes {
		if _, ok := v.online[user]; ok && id != node {
			return true
		}
	}
	return false
}

// onlineElsewhere reports whether user has sessions on another node, and
// since when (ms).
func (c *cluster) onlineElsewhere(user string) (bool, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	found, since := false, int64(0)
	for _, v := range c.nodes {
		if t, ok := v.online[user]; ok {
			found, since = true, max(since, t)
		}
	}
	return found, since
}

// awakeElsewhere reports whether user has a session in the foreground on
// another node.
func (c *cluster) awakeElsewhere(user string) bool {
	if c.alone.Load() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.nodes {
		if _, ok := v.online[user]; ok && !v.away[user] {
			return true
		}
	}
	return false
}

// nodesOf is how many nodes user has sessions on (at least 1): their rate
// limits are split between them.
func (c *cluster) nodesOf(user string) int {
	if c.alone.Load() {
		return 1 // a cluster of one: no lock on every send
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 1
	for _, v := range c.nodes {
		if _, ok := v.online[user]; ok {
			n++
		}
	}
	return n
}

// owner is the node that coalesces the receipts of key: the same on every
// node that knows the same nodes.
// knows says whether node is one the cluster hears from.
func (c *cluster) knows(node string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.nodes[node]
	return ok
}

// heardSince reports whether node was heard at or after t (dropped since
// or not).
func (c *cluster) heardSince(node string, t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.heard[node]
	return ok && !h.Before(t)
}

func (c *cluster) owner(key string) string {
	self := c.s.bus.ID()
	c.mu.Lock()
	ids := make([]string, 0, len(c.nodes)+1)
	ids = append(ids, self)
	for id := range c.nodes {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	if len(ids) == 1 {
		return self
	}
	slices.Sort(ids)
	h := fnv.New32a()
	h.Write([]byte(key))
	return ids[h.Sum32()%uint32(len(ids))]
}

// touchReceipts says message uid of convID has readers to notify, to the
// node that coalesces its updates.
func (s *Server) touchReceipts(convID, uid string) {
	owner := s.cluster.owner(convID + "\x00" + uid)
	if owner == s.bus.ID() || s.bus.Err() != nil {
		s.receipts.touch(convID, uid)
		return
	}
	s.cluster.sendTo(owner, &busEvent{Kind: evTouch, Conv: convID, UID: uid})
}

// kickUser closes user's sessions on every node.
func (s *Server) kickUser(user string, code int32, reason string) int {
	n := 0
	for _, ss := range s.hub.sessionsOf(user) {
		ss.kick(code, reason)
		n++
	}
	s.cluster.tell(user, &busEvent{Kind: evKick, User: user, Code: code, Reason: reason})
	return n
}

// The caches every node keeps, dropped on every node.
func (s *Server) dropGroup(gid string) {
	s.groups.invalidate(gid)
	s.cluster.broadcast(&busEvent{Kind: evDrop, Group: gid})
}

func (s *Server) dropAllGroups() {
	s.groups.invalidateAll()
	s.ultraGroups.invalidateAll()
	s.cluster.broadcast(&busEvent{Kind: evDropAll})
}

func (s *Server) dropBlacklist(user string) {
	s.blocks.invalidate(user)
	s.cluster.broadcast(&busEvent{Kind: evDrop, User: user})
}

func (s *Server) dropSubscribers(users []string) {
	s.presence.subs.invalidate(users)
	s.cluster.broadcast(&busEvent{Kind: evDrop, Users: users})
}

// sharedFileCounted tells the other nodes that user stored a file of size
// bytes (a deleted one: -size-1) when the nodes share their file store, so
// every node's upload quotas count every node's files.
func (s *Server) sharedFileCounted(user string, size int64) {
	if s.filesShared() {
		s.cluster.broadcast(&busEvent{Kind: evFile, User: user, Size: size})
	}
}

// filesShared: the file store is the cluster's (S3), not this node's disk.
func (s *Server) filesShared() bool {
	_, disk := s.files.(*files.Disk)
	return !disk
}

// receive handles an event from another node.
func (c *cluster) receive(b []byte) {
	var e busEvent
	if err := json.Unmarshal(b, &e); err != nil || e.From == "" || e.From == c.s.bus.ID() {
		if err != nil {
			c.s.log.Warn("bus: bad event", "err", err)
		}
		return
	}
	s := c.s
	switch e.Kind {
	case evBeat, evOnline, evOffline, evAway, evBack, evList, evLeave:
		c.directory(&e)
	case evAskList:
		c.mu.Lock()
		c.sendListLocked(e.From)
		c.mu.Unlock()
	case evOpened, evSessions, evClosed:
		c.sessions(&e)
	case evKick:
		for _, ss := range s.hub.sessionsOf(e.User) {
			ss.kick(e.Code, e.Reason)
		}
	case evTouch:
		s.receipts.touch(e.Conv, e.UID)
	case evDrop:
		if e.Group != "" {
			s.groups.invalidate(e.Group)
		}
		if e.User != "" {
			s.blocks.invalidate(e.User)
		}
		if len(e.Users) > 0 {
			s.presence.subs.invalidate(e.Users)
		}
	case evDropAll:
		s.groups.invalidateAll()
		s.ultraGroups.invalidateAll()
	case evRoomGone:
		s.chatroomGone(e.Conv)
	case evRoomMutes:
		s.rooms.invalidate(e.Conv)
	case evUltra:
		// It reads the store (members' groups): not on the bus's goroutine.
		s.tasks.Go(func() { s.applyUltraEvent(s.ctx, &e) })
	case evPending:
		s.pendingMaybe(e.User)
	case evErased:
		if !s.filesShared() {
			// A walk of this node's files: not on the bus's goroutine.
			s.tasks.Go(func() { s.eraseLocalFiles(s.ctx, e.User) })
		}
	case evFile:
		if e.Size >= 0 {
			s.quota.add(e.User, e.Size)
		} else {
			s.quota.remove(e.User, -e.Size-1)
		}
	case evSettings:
		if err := s.loadSettings(s.ctx); err != nil {
			s.log.Warn("bus: reload the settings", "err", err)
		} else if s.settings.Load().MessageRetentionSeconds > 0 && s.filesShared() {
			// A shorter retention applies now, here too: this node may be
			// the one that deletes the shared files.
			s.tasks.Go(func() { s.applyRetention(s.ctx) })
		}
	}
}

// directory keeps who is online on the node e comes from.
func (c *cluster) directory(e *busEvent) {
	now := c.s.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Kind == evLeave {
		c.left[e.From] = true
		c.dropNodeLocked(e.From)
		return
	}
	v := c.nodes[e.From]
	if v == nil {
		if c.left[e.From] || e.Kind != evBeat && e.Kind != evList {
			// A node is known from its beats (its list follows); what a
			// node that left still sends while it stops is not news.
			return
		}
		v = &nodeView{online: map[string]int64{}, away: map[string]bool{}}
		c.nodes[e.From] = v
		c.alone.Store(false)
	}
	v.seen = now
	c.heard[e.From] = now
	switch e.Kind {
	case evList:
		if e.Part == 0 {
			v.partial, v.partialAway, v.nextPart = map[string]int64{}, map[string]bool{}, 0
		}
		if v.partial == nil || e.Part != v.nextPart {
			v.partial = nil // a part was missed: asked again at its next beat
			return
		}
		maps.Copy(v.partial, e.Online)
		for _, u := range e.Away {
			v.partialAway[u] = true
		}
		v.nextPart++
		if e.Last {
			v.online, v.away, v.seq, v.synced = v.partial, v.partialAway, e.Seq, true
			v.partial, v.partialAway = nil, nil
			if c.dropped[e.From] {
				// Back after it was dropped for silence (a bus outage):
				// its users online nowhere else were told offline then.
				delete(c.dropped, e.From)
				back := map[string]int64{}
				for u, t := range v.online {
					if _, ok := c.here[u]; !ok && !c.elsewhereExceptLocked(u, e.From) {
						back[u] = t
					}
				}
				c.noteOnlineAgainLocked(back, e.From)
			}
		}
		return
	case evBeat:
		if v.synced && e.Seq == v.seq {
			return
		}
		v.synced = false
	case evOnline, evOffline, evAway, evBack:
		if v.synced && e.Seq <= v.seq {
			return // told before its list was taken
		}
		if v.synced && e.Seq == v.seq+1 {
			v.seq = e.Seq
			switch e.Kind {
			case evOnline:
				v.online[e.User] = e.Time
			case evOffline:
				if !v.away[e.User] { // from the background: noted when they went there
					c.s.left.note(e.User, e.Time)
				}
				delete(v.online, e.User)
				delete(v.away, e.User)
				if _, ok := c.here[e.User]; ok && !c.elsewhereLocked(e.User) {
					// The user moved here faster than the bus: the other
					// node told them offline, thinking them nowhere else,
					// while this one took them as online there.
					c.noteOnlineAgainLocked(map[string]int64{e.User: e.Time}, "")
				}
			case evAway:
				v.away[e.User] = true
				if e.Time != 0 {
					c.s.left.note(e.User, e.Time)
				}
			case evBack:
				delete(v.away, e.User)
			}
			return
		}
		v.synced = false // missed some
	}
	if now.Sub(v.asked) >= c.s.cfg.ClusterBeat {
		v.asked = now
		c.sendTo(e.From, &busEvent{Kind: evAskList})
	}
}

// dropNodeLocked forgets a node that left or went silent. The node with
// the lowest id (so it happens once) tells the subscribers of its users
// who are now offline everywhere, and hands the receipt updates it may
// have had pending to their new owners.
func (c *cluster) dropNodeLocked(id string) {
	v := c.nodes[id]
	if v == nil {
		return
	}
	delete(c.nodes, id)
	c.alone.Store(len(c.nodes) == 0)
	for _, per := range c.remote {
		delete(per, id)
	}
	self := c.s.bus.ID()
	for other := range c.nodes {
		if other < self {
			return
		}
	}
	// The receipt updates the node had pending go to their new owners.
	c.s.tasks.Go(func() { c.s.resumeReceipts(c.s.ctx) })
	now := c.s.cfg.Now().UnixMilli()
	var gone []string
	for u := range v.online {
		if _, ok := c.here[u]; !ok && !c.elsewhereLocked(u) {
			c.s.presence.note(u, now)
			gone = append(gone, u)
		}
	}
	// The events webhook too: the node that went (a kill -9, or a stop
	// whose own events did not make it) told nobody.
	if len(gone) > 0 {
		c.s.tasks.Go(func() {
			for _, u := range gone {
				c.s.enqueueUserEvent(c.s.ctx, "user.offline", u, now)
			}
		})
	}
}

// noteOnlineAgainLocked tells the subscribers (and the events webhook)
// of users that are online after all, once for the cluster: from the node
// with the lowest id among the others (than from).
func (c *cluster) noteOnlineAgainLocked(users map[string]int64, from string) {
	self := c.s.bus.ID()
	if from != "" {
		for other := range c.nodes {
			if other != from && other < self {
				return
			}
		}
	}
	if len(users) == 0 {
		return
	}
	now := c.s.cfg.Now().UnixMilli()
	var back []string
	for u := range users {
		c.s.presence.note(u, now)
		back = append(back, u)
	}
	c.s.tasks.Go(func() {
		for _, u := range back {
			c.s.enqueueUserEvent(c.s.ctx, "user.online", u, now)
		}
	})
}

// beat announces this node and drops the nodes gone silent.
func (c *cluster) beat() {
	now := c.s.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.broadcast(&busEvent{Kind: evBeat, Seq: c.seq})
	for id, v := range c.nodes {
		if now.Sub(v.seen) > c.s.cfg.ClusterDeadAfter {
			c.s.log.Warn("bus: a node went silent", "node", id)
			c.dropNodeLocked(id)
			c.dropped[id] = true
		}
	}
}

// beatLoop runs beat every Config.ClusterBeat until ctx ends.
func (c *cluster) beatLoop(ctx context.Context) {
	if _, local := c.s.bus.(*bus.Local); local {
		return
	}
	t := time.NewTicker(c.s.cfg.ClusterBeat)
	defer t.Stop()
	c.beat()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.beat()
		}
	}
}

// sessions keeps the sessions other nodes have of a user with sessions
// here (each event carries the sender's whole list for the user), and
// applies the session limit to this node's: the oldest beyond
// Config.MaxSessions, counting every node's, are kicked where they are.
func (c *cluster) sessions(e *busEvent) {
	local := c.s.hub.sessionsOf(e.User)
	if len(local) == 0 {
		return
	}
	c.mu.Lock()
	per := c.remote[e.User]
	if per == nil {
		per = map[string][]sessionRef{}
		c.remote[e.User] = per
	}
	per[e.From] = e.Sessions
	var all []sessionRef
	for _, list := range per {
		all = append(all, list...)
	}
	if e.Kind == evOpened {
		// The new session's node learns of these.
		c.tell(e.User, &busEvent{Kind: evSessions, User: e.User, Sessions: refs(local)})
	}
	c.mu.Unlock()
	all = append(all, refs(local)...)
	over := len(all) - c.s.cfg.MaxSessions
	if over <= 0 {
		return
	}
	slices.SortFunc(all, func(a, b sessionRef) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), strings.Compare(a.ID, b.ID))
	})
	for _, old := range all[:over] {
		for _, ss := range local {
			if ss.id == old.ID {
				ss.kick(codes.DisconnKick, "too many sessions: the oldest is closed")
			}
		}
	}
}

// leave tells the other nodes this one is stopping (its sessions are
// closed by then), so they drop it at once rather than after 5 beats.
func (c *cluster) leave() {
	if _, local := c.s.bus.(*bus.Local); local {
		return
	}
	c.send(context.Background(), &busEvent{Kind: evLeave}, c.s.bus.Broadcast)
}

// reconnected runs when the bus is back after a cut: what other nodes
// changed or sent meanwhile may be missed, so the caches go, the settings
// are read again, the other nodes' lists are asked for again, and every
// session here syncs.
func (c *cluster) reconnected() {
	s := c.s
	s.groups.invalidateAll()
	s.blocks.invalidateAll()
	s.presence.subs.invalidateAll()
	s.rooms.invalidateAll()
	s.ultraGroups.invalidateAll()
	if err := s.loadSettings(s.ctx); err != nil {
		s.log.Warn("bus: reload the settings", "err", err)
	}
	c.mu.Lock()
	for _, v := range c.nodes {
		v.synced = false
	}
	clear(c.remote) // what other nodes said of their sessions may be stale: their next events say again
	c.mu.Unlock()
	s.pendingMaybeAll()
	c.beat()
	frame, err := (&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Resync: true}}}).Marshal()
	if err != nil {
		return
	}
	for _, ss := range s.hub.all() {
		ss.enqueue(outFrame{b: frame, push: true, kind: framePush})
	}
	// Changes of ultra groups' members may have been missed: every
	// session here is brought in line with the store (reads: not on the
	// bus's goroutine). So are kicks, blocks and rooms destroyed.
	s.tasks.Go(func() { s.reenterUltraGroups(s.ctx) })
	s.tasks.Go(func() { s.recheckAfterCut(s.ctx) })
}

// recheckAfterCut brings this node's sessions in line with what other
// nodes did while it missed their events: a user kicked (tokens revoked)
// or blocked has their sessions here closed; a chat room destroyed is
// told to its sessions here (as destroyed by the app's server: how is not
// known) and they are out of it.
func (s *Server) recheckAfterCut(ctx context.Context) {
	access := map[string]store.Access{} // one read a user
	for _, ss := range s.hub.all() {
		a, ok := access[ss.user]
		if !ok {
			var err error
			if a, err = s.store.Access(ctx, ss.user); err != nil {
				continue
			}
			access[ss.user] = a
		}
		if err := accessAllows(a, auth.Claims{Subject: ss.user, IssuedAt: ss.issued.Load()}, s.cfg.Now()); err != nil {
			ss.kick(codes.Of(err), err.Error())
		}
	}
	for _, room := range s.rooms.names() {
		if _, err := s.store.Chatroom(ctx, room); !errors.Is(err, store.ErrNotFound) {
			continue
		}
		frame, err := (&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Chatroom: []*pb.ChatroomEvent{{Room: room, Destroyed: true, DestroyedType: 1}}}}}).Marshal()
		if err != nil {
			continue
		}
		for _, ss := range s.rooms.sessionsIn(room) {
			ss.enqueue(outFrame{b: frame, push: true, kind: framePush})
		}
		s.chatroomGone(room)
	}
}

// ClusterNodes is how many other nodes this one knows are alive.
func (s *Server) ClusterNodes() int {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	return len(s.cluster.nodes)
}
