package server

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/bus"
	"github.com/imwasm/imwasm/server/store"
)

// Chat rooms have no standing membership: a session that joined gets the
// room's messages live until it quits, disconnects or the room goes. The
// store keeps the rooms, who is in them on which node (so every node
// counts the same members), their entries, mutes and history; this node
// keeps which of its sessions are in which room (chatrooms), so a message
// is encoded once and queued for each of them. On a cluster, a room's
// messages travel once over the bus to each node with sessions in it.

// roomIndex indexes this node's sessions by the rooms they are in: the
// chat rooms they joined (Server.rooms), and the ultra groups of their
// users (Server.ultra, keyed by ultraKey). Each room with sessions here has a goroutine that writes its pushes to
// them, one after another, in the room's order: most sessions are idle
// between two messages, and a write from that goroutine costs less than
// waking each session's writer (and keeps no writer goroutine per member;
// with them, 10,000 members took 17.7 KB of server memory each).
type roomIndex struct {
	// start runs a room's fan-out goroutine (the server's tasks: Close
	// waits for them); false when the server is closing.
	start func(func()) bool
	done  <-chan struct{} // the server is closing: the fan-outs end
	// batchEvery spaces a large room's passes (Config.ChatroomBatch).
	batchEvery time.Duration
	// stored: its rooms' messages are stored per member's conversation
	// (ultra groups), so a session that misses one is told to sync (a
	// chat room's device reads the gap from the room's history).
	stored bool
	mu     sync.RWMutex
	rooms  map[string]*liveRoom
	joined map[*session]map[string]struct{} // the rooms of each session in any
	// order serializes a room's appends with their fan-out on this node,
	// so its sessions get its messages in sequence order (two senders'
	// messages fanned out by two goroutines came out of order, and every
	// member then looked for the one it seemed to miss). Striped by room.
	order [64]sync.Mutex
	// member serializes a user's joins and leaves of a room on this node
	// (their store rows and this index), so a leave decided when one
	// session closed never deletes the row of the same user's session
	// joining meanwhile. Striped by room and user.
	member [64]sync.Mutex
}

// memberLock locks user's joins and leaves of room here.
func (c *roomIndex) memberLock(room, user string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(room))
	h.Write([]byte{0})
	h.Write([]byte(user))
	mu := &c.member[h.Sum32()%uint32(len(c.member))]
	mu.Lock()
	return mu
}

// inOrder runs fn, which appends to room and fans out, in the room's
// order on this node.
func (c *roomIndex) inOrder(room string, fn func()) {
	h := fnv.New32a()
	h.Write([]byte(room))
	mu := &c.order[h.Sum32()%uint32(len(c.order))]
	mu.Lock()
	defer mu.Unlock()
	fn()
}

// liveRoom is one room's sessions here, and its mutes as last read.
type liveRoom struct {
	// members is replaced, never changed in place (under chatrooms.mu), so
	// the fan-out reads it without a lock.
	members atomic.Pointer[[]*session]
	at      map[*session]int // index in members
	mutes   atomic.Pointer[roomMutes]
	mutesAt atomic.Uint64 // bumped by each invalidation: a read begun before one is not kept
	out     chan roomPush // to the fan-out goroutine, in order
	gone    chan struct{} // closed when the room has no session here: the fan-out ends
	stored  bool          // roomIndex.stored
	// missed: deliver found out full; the next pass tells the room's
	// sessions to sync (stored rooms only).
	missed atomic.Bool
}

// roomPush is one encoded push for a room's sessions but except.
type roomPush struct {
	frame  []byte
	except string
}

// roomQueue bounds the pushes waiting for a room's fan-out: beyond it a
// push is missed by the room's sessions here (deliver never waits), and
// their devices read its message from the history as a gap. (Entries,
// mutes and a room's end are events outside the sequence: a missed one is
// not read back — noted, not met.)
const roomQueue = 1024

func (r *liveRoom) list() []*session {
	if p := r.members.Load(); p != nil {
		return *p
	}
	return nil
}

// roomMutes is who may not send to a room (nil users: none).
type roomMutes struct {
	all   bool
	users map[string]int64 // muted until, unix ms
}

func newRoomIndex(start func(func()) bool, done <-chan struct{}, batchEvery time.Duration, stored bool) *roomIndex {
	return &roomIndex{start: start, done: done, batchEvery: batchEvery, stored: stored, rooms: map[string]*liveRoom{}, joined: map[*session]map[string]struct{}{}}
}

// forget takes room from ss's set (under c.mu).
func (c *roomIndex) forget(ss *session, room string) {
	if in := c.joined[ss]; in != nil {
		delete(in, room)
		if len(in) == 0 {
			delete(c.joined, ss)
		}
	}
}

// add puts ss in room; first says the room had no session here before.
// A session that is closing is not added (ok false): close has taken it
// out of every room already, or will not see this one.
func (c *roomIndex) add(ss *session, room string) (first, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ss.mu.Lock()
	closing := ss.closing
	ss.mu.Unlock()
	if closing {
		return false, false
	}
	r := c.rooms[room]
	if r == nil {
		r = &liveRoom{at: map[*session]int{}, out: make(chan roomPush, roomQueue), gone: make(chan struct{}), stored: c.stored}
		if !c.start(func() { r.fanOut(c.done, c.batchEvery) }) {
			return false, false
		}
		c.rooms[room] = r
		first = true
	}
	if _, in := r.at[ss]; in {
		return false, true
	}
	old := r.list()
	r.at[ss] = len(old)
	members := append(old[:len(old):len(old)], ss) // a new array: the fan-out may be reading the old
	r.members.Store(&members)
	in := c.joined[ss]
	if in == nil {
		in = map[string]struct{}{}
		c.joined[ss] = in
	}
	in[room] = struct{}{}
	return first, true
}

// remove takes ss out of room. userStays: another session of its user is
// in the room here; last: no session is.
func (c *roomIndex) remove(ss *session, room string) (was, userStays, last bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removeLocked(ss, room)
}

func (c *roomIndex) removeLocked(ss *session, room string) (was, userStays, last bool) {
	r := c.rooms[room]
	if r == nil {
		return false, false, false
	}
	i, in := r.at[ss]
	if !in {
		return false, false, false
	}
	old := r.list()
	end := len(old) - 1
	members := make([]*session, end) // a new array: the fan-out may be reading the old
	copy(members, old[:end])
	if i < end {
		members[i] = old[end]
		r.at[members[i]] = i
	}
	r.members.Store(&members)
	delete(r.at, ss)
	c.forget(ss, room)
	if len(members) == 0 {
		delete(c.rooms, room)
		close(r.gone)
		return true, false, true
	}
	for _, o := range members {
		if o.user == ss.user {
			return true, true, false
		}
	}
	return true, false, false
}

// roomLeft is a room a closing session was in.
type roomLeft struct {
	room            string
	userStays, last bool
}

// leaveAll takes ss out of every room (its close).
func (c *roomIndex) leaveAll(ss *session) []roomLeft {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []roomLeft
	for room := range c.joined[ss] {
		_, stays, last := c.removeLocked(ss, room)
		out = append(out, roomLeft{room, stays, last})
	}
	return out
}

// roomsOf lists the rooms ss is in.
func (c *roomIndex) roomsOf(ss *session) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Collect(maps.Keys(c.joined[ss]))
}

// maxRoomsPerSession bounds the rooms one connection is in at once.
const maxRoomsPerSession = 50

// joinedBy is how many rooms ss is in.
func (c *roomIndex) joinedBy(ss *session) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.joined[ss])
}

// userIn says whether a session of user is in room here.
func (c *roomIndex) userIn(user, room string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r := c.rooms[room]
	if r == nil {
		return false
	}
	for _, o := range r.list() {
		if o.user == user {
			return true
		}
	}
	return false
}

// has says whether ss is in room.
func (c *roomIndex) has(ss *session, room string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r := c.rooms[room]
	if r == nil {
		return false
	}
	_, in := r.at[ss]
	return in
}

// names lists the rooms with sessions here.
func (c *roomIndex) names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Collect(maps.Keys(c.rooms))
}

// sessionsIn lists room's sessions here.
func (c *roomIndex) sessionsIn(room string) []*session {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if r := c.rooms[room]; r != nil {
		return r.list()
	}
	return nil
}

// drop takes every session out of room (it was destroyed); had says there
// were some.
func (c *roomIndex) drop(room string) (had bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.rooms[room]
	if r == nil {
		return false
	}
	for _, ss := range r.list() {
		c.forget(ss, room)
	}
	delete(c.rooms, room)
	close(r.gone)
	return true
}

// deliver hands d's frame to the room's fan-out. It never waits (it runs
// on the bus's one goroutine, or under the room's order): a room whose
// queue is full misses the push, and its devices read the gap from the
// history.
func (c *roomIndex) deliver(d *bus.Delivery) bool {
	c.mu.RLock()
	r := c.rooms[d.Room]
	c.mu.RUnlock()
	if r == nil {
		return true
	}
	select {
	case r.out <- roomPush{d.Frame, d.Except}:
		return true
	default:
		if r.stored {
			r.missed.Store(true)
		}
		return false
	}
}

// fanOut writes the room's pushes to its sessions until it has none here.
// Pushes queued while a pass runs go out together in the next, as one
// WebSocket message per session (concatenated pushes decode as one): a
// room that falls behind catches up with fewer writes rather than
// falling further behind. In a large room (bigRoom sessions here), passes
// start at most every batchEvery: what comes meanwhile waits for the next,
// so each member costs at most 1/batchEvery writes a second whatever the
// room's message rate (a write to a socket costs ~10 µs of kernel time
// however small; measured at 10,000 members). A large room's pass is split
// over the cores.
// A session whose writer is busy gets the pushes queued, and one too far
// behind misses them (pushLive) rather than slowing the room: its device
// finds the gap in the room's sequence and reads it from the history.
func (r *liveRoom) fanOut(done <-chan struct{}, batchEvery time.Duration) {
	var batch []roomPush
	var last time.Time // the last pass's start
	for {
		select {
		case <-r.gone:
			r.drain()
			return
		case <-done:
			return
		case p := <-r.out:
			batch = append(batch[:0], p)
		}
		if wait := batchEvery - time.Since(last); wait > 0 && len(r.list()) >= bigRoom {
			t := time.NewTimer(wait)
			select {
			case <-r.gone:
				t.Stop()
				r.pass(batch)
				r.drain()
				return
			case <-done:
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		size := len(batch[0].frame)
	more:
		for size < maxMergedPush/2 {
			select {
			case p := <-r.out:
				batch = append(batch, p)
				size += len(p.frame)
			default:
				break more
			}
		}
		r.pass(batch)
	}
}

// drain writes what is still queued (the room's end, say) to the sessions
// that were in the room when it went.
func (r *liveRoom) drain() {
	for {
		select {
		case p := <-r.out:
			r.pass([]roomPush{p})
		default:
			return
		}
	}
}

// pass writes one batch of pushes to every session in the room.
func (r *liveRoom) pass(batch []roomPush) {
	if r.missed.Swap(false) { // out is full, so a pass comes after the miss
		batch = append(batch, roomPush{frame: resyncFrame})
	}
	all := batch[0].frame
	if len(batch) > 1 {
		all = nil
		for _, p := range batch {
			all = append(all, p.frame...)
		}
	}
	// Pushes skip their sender's session: it gets the others only.
	except := map[string][]byte{}
	for _, p := range batch {
		if p.except != "" {
			except[p.except] = nil
		}
	}
	for id := range except {
		var b []byte
		for _, p := range batch {
			if p.except != id {
				b = append(b, p.frame...)
			}
		}
		except[id] = b
	}
	write := func(members []*session) {
		for _, ss := range members {
			b, skip := all, false
			if len(except) > 0 {
				if e, ok := except[ss.id]; ok {
					b, skip = e, len(e) == 0
				}
			}
			if !skip {
				ss.pushLive(b, r.stored)
			}
		}
	}
	members := r.list()
	n := min(runtime.GOMAXPROCS(0), len(members)/fanOutChunk+1)
	if n <= 1 {
		write(members)
		return
	}
	var wg sync.WaitGroup
	per := (len(members) + n - 1) / n
	for i := per; i < len(members); i += per {
		part := members[i:min(i+per, len(members))]
		wg.Add(1)
		go func() { defer wg.Done(); write(part) }()
	}
	write(members[:per])
	wg.Wait()
}

// fanOutChunk is the fewest sessions a pass gives a core of its own;
// bigRoom, the fewest that make a room's passes wait for one another.
const (
	fanOutChunk = 1000
	bigRoom     = 1000
)

// invalidate forgets room's mutes as read (they changed).
func (c *roomIndex) invalidate(room string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if r := c.rooms[room]; r != nil {
		r.mutesAt.Add(1)
		r.mutes.Store(nil)
	}
}

// invalidateAll forgets every room's mutes (the bus was cut off: changes
// may have been missed).
func (c *roomIndex) invalidateAll() {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, r := range c.rooms {
		r.mutesAt.Add(1)
		r.mutes.Store(nil)
	}
}

// count is how many sessions here are in rooms (for /metrics).
func (c *roomIndex) count() (rooms, sessions int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, r := range c.rooms {
		sessions += len(r.list())
	}
	return len(c.rooms), sessions
}

// mutes returns room's mutes, read from the store on first use here.
func (s *Server) chatroomMutes(ctx context.Context, room string) (*roomMutes, error) {
	s.rooms.mu.RLock()
	r := s.rooms.rooms[room]
	s.rooms.mu.RUnlock()
	var gen uint64
	if r != nil {
		if m := r.mutes.Load(); m != nil {
			return m, nil
		}
		gen = r.mutesAt.Load()
	}
	c, err := s.store.Chatroom(ctx, room)
	if err != nil {
		return nil, err
	}
	users, err := s.store.ChatroomMutes(ctx, room, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	m := &roomMutes{all: c.MutedAll, users: users}
	if r != nil && r.mutesAt.Load() == gen {
		r.mutes.CompareAndSwap(nil, m)
	}
	return m, nil
}

// checkNotMuted refuses user's messages to room while they are muted in
// it (23408).
func (s *Server) checkNotMuted(ctx context.Context, room, user string) error {
	m, err := s.chatroomMutes(ctx, room)
	if err != nil {
		return err
	}
	if m.muted(user, s.cfg.Now().UnixMilli()) {
		return codes.New(codes.ForbiddenInChatroom, "muted in the chat room")
	}
	return nil
}

// muted says whether user may not send to the room at now.
func (m *roomMutes) muted(user string, now int64) bool {
	return m.all || m.users[user] > now
}

// chatroomErr maps the store's answers to RongIMLib's chat room codes.
func chatroomErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return codes.New(codes.RCChatroomNotExist, "chat room not found")
	}
	return err
}

func (ss *session) handleChatroom(ctx context.Context, id uint64, r *pb.ChatroomRequest) {
	if err := contract.CheckChatroomRequest(r); err != nil {
		ss.replyFor(id, err)
		return
	}
	res, err := ss.srv.chatroomRequest(ctx, ss, r)
	if err != nil {
		ss.replyFor(id, chatroomErr(err))
		return
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_ChatroomResult{ChatroomResult: res}})
}

func (s *Server) chatroomRequest(ctx context.Context, ss *session, r *pb.ChatroomRequest) (*pb.ChatroomResult, error) {
	now := s.cfg.Now()
	switch r.Op {
	case pb.ChatroomOp_CHATROOM_JOIN, pb.ChatroomOp_CHATROOM_JOIN_EXISTING:
		return s.joinChatroom(ctx, ss, r, now)
	case pb.ChatroomOp_CHATROOM_QUIT:
		was, stays, last := s.rooms.remove(ss, r.Room)
		if !was {
			return nil, codes.New(codes.NotInChatroom, "not in the chat room")
		}
		s.leftChatroom(ctx, r.Room, ss.user, stays, last)
		return &pb.ChatroomResult{}, nil
	case pb.ChatroomOp_CHATROOM_INFO:
		c, err := s.store.Chatroom(ctx, r.Room)
		if err != nil {
			return nil, err
		}
		res := &pb.ChatroomResult{CreateTime: c.Created, MemberCount: int32(c.Members), AllMuted: c.MutedAll}
		if r.Count > 0 && r.Order > 0 {
			_, members, err := s.store.ChatroomMembers(ctx, r.Room, 0, int(r.Count), r.Order == 2)
			if err != nil {
				return nil, err
			}
			for _, m := range members {
				res.Members = append(res.Members, &pb.ChatroomMember{User: m.User, JoinTime: m.Joined})
			}
		}
		return res, nil
	case pb.ChatroomOp_CHATROOM_GET_ENTRIES:
		if _, err := s.store.Chatroom(ctx, r.Room); err != nil {
			return nil, err
		}
		all, err := s.store.ChatroomEntries(ctx, r.Room)
		if err != nil {
			return nil, err
		}
		res := &pb.ChatroomResult{}
		for _, e := range all {
			if len(r.Keys) == 0 || slices.Contains(r.Keys, e.Key) {
				res.Entries = append(res.Entries, e)
			}
		}
		return res, nil
	case pb.ChatroomOp_CHATROOM_SET_ENTRIES, pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES:
		if !s.rooms.has(ss, r.Room) {
			return nil, codes.New(codes.NotInChatroom, "not in the chat room")
		}
		if r.Notify { // the notice is a message from the member
			if err := s.checkNotMuted(ctx, r.Room, ss.user); err != nil {
				return nil, err
			}
		}
		_, notices, err := s.changeChatroomEntries(ctx, r.Room, ss.user, ss.id, r, now)
		return &pb.ChatroomResult{OwnSeqs: notices}, err
	}
	return nil, codes.New(codes.RCChatroomParameterInvalid, "unknown chat room operation")
}

// joinChatroom puts the session in the room (creating it for JOIN) and
// answers with the room's state and its latest messages. The session is
// in the room before the history is read, so a message stored meanwhile
// comes live if not in the answer (the device drops what it has twice, by
// the room's sequence).
func (s *Server) joinChatroom(ctx context.Context, ss *session, r *pb.ChatroomRequest, now time.Time) (res *pb.ChatroomResult, err error) {
	if !s.rooms.has(ss, r.Room) && s.rooms.joinedBy(ss) >= maxRoomsPerSession {
		return nil, codes.New(codes.RCChatroomParameterInvalid, "in too many chat rooms at once (50)")
	}
	if r.Op == pb.ChatroomOp_CHATROOM_JOIN {
		_, _, err = s.store.CreateChatroom(ctx, r.Room, now)
	} else {
		_, err = s.store.Chatroom(ctx, r.Room)
	}
	if err != nil {
		return nil, err
	}
	mu := s.rooms.memberLock(r.Room, ss.user)
	joined, err := s.store.JoinChatroom(ctx, r.Room, ss.user, s.bus.ID(), now)
	if err != nil {
		mu.Unlock()
		return nil, err
	}
	first, ok := s.rooms.add(ss, r.Room)
	mu.Unlock()
	if !ok {
		// Closing: its other rooms are left already; this row goes too.
		s.leftChatroom(ctx, r.Room, ss.user, s.rooms.userIn(ss.user, r.Room), false)
		return nil, codes.New(codes.NetChannelInvalid, "the connection is closing")
	}
	defer func() {
		if err != nil { // the device was told it did not join: it is not in
			if was, stays, last := s.rooms.remove(ss, r.Room); was {
				s.leftChatroom(ctx, r.Room, ss.user, stays, last)
			}
		}
	}()
	if first {
		if err := s.bus.WatchRoom(ctx, r.Room); err != nil {
			s.log.Warn("bus: watch a chat room", "room", r.Room, "err", err)
		}
	}
	c, err := s.store.Chatroom(ctx, r.Room)
	if err != nil {
		return nil, err
	}
	mutes, err := s.chatroomMutes(ctx, r.Room)
	if err != nil {
		return nil, err
	}
	_, last, err := s.store.VisibleRange(ctx, ss.user, store.ChatroomConvID(r.Room))
	if err != nil {
		return nil, err
	}
	res = &pb.ChatroomResult{
		CreateTime: c.Created, MemberCount: int32(c.Members), AllMuted: c.MutedAll,
		Muted: mutes.users[ss.user] > now.UnixMilli(), JoinTime: joined, LastSeq: last,
	}
	n := int(r.Count)
	if n == 0 {
		n = contract.ChatroomJoinDefault
	}
	if n > 0 {
		kept := s.chatroomKept(now)
		msgs, _, err := s.store.History(ctx, ss.user, store.ChatroomConvID(r.Room), 0, n, false, func(m *pb.Message) bool { return !store.IsMarker(m) && kept(m) })
		if err != nil {
			return nil, err
		}
		msgs, _ = capPage(msgs) // the newest that fit a client's frame
		slices.Reverse(msgs)    // oldest first, as they would have come
		res.Messages = msgs
	}
	return res, nil
}

// chatroomKept says whether a room's message is within the history the
// rooms keep (chatroomHistorySeconds): the sweep deletes older ones once
// a minute, and what it has not reached yet is not handed out either.
func (s *Server) chatroomKept(now time.Time) func(*pb.Message) bool {
	cutoff, ok := retentionCutoff(now, s.settings.Load().ChatroomHistorySeconds)
	if !ok {
		return func(*pb.Message) bool { return true }
	}
	return func(m *pb.Message) bool { return m.SentTime >= cutoff.UnixMilli() }
}

// leftChatroom records that user's session left room here: when no other
// session of theirs is in it here, their row of this node goes (and with
// their last row anywhere, their auto-delete entries, which the room is
// told of). last: no session here is in the room any more.
func (s *Server) leftChatroom(ctx context.Context, room, user string, userStays, last bool) {
	if last {
		s.bus.UnwatchRoom(room)
	}
	if userStays {
		return
	}
	mu := s.rooms.memberLock(room, user)
	if s.rooms.userIn(user, room) { // another session of theirs joined meanwhile: the row stays
		mu.Unlock()
		return
	}
	removed, err := s.store.LeaveChatroom(ctx, room, user, s.bus.ID(), s.cfg.Now())
	mu.Unlock()
	if err != nil {
		if ctx.Err() == nil { // closing: Close removes the node's memberships at once
			s.log.Warn("chat room: leave", "room", room, "user", user, "err", err)
		}
		return
	}
	s.pushChatroomEvent(ctx, &pb.ChatroomEvent{Room: room, Entries: removed}, "")
}

// leaveChatrooms takes a closing session out of its rooms.
func (s *Server) leaveChatrooms(ss *session) {
	left := s.rooms.leaveAll(ss)
	if len(left) == 0 {
		return
	}
	s.tasks.Go(func() {
		for _, l := range left {
			s.leftChatroom(s.ctx, l.room, ss.user, l.userStays, l.last)
		}
	})
}

// changeChatroomEntries sets or removes entries as user (the app's server:
// "") under contract.DecideEntries, tells the room, and with notify sends
// it one RC:chrmKVNotiMsg per entry changed.
func (s *Server) changeChatroomEntries(ctx context.Context, room, user, exceptSession string, r *pb.ChatroomRequest, now time.Time) (changed []*pb.ChatroomEntry, notices []uint64, err error) {
	var put []*pb.ChatroomEntry
	var keys []string
	if r.Op == pb.ChatroomOp_CHATROOM_SET_ENTRIES {
		put = r.Entries
	} else {
		keys = r.Keys
	}
	changed, err = s.store.ChangeChatroomEntries(ctx, room, func(cur map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error) {
		return contract.DecideEntries(cur, user, put, keys, r.Force, now.UnixMilli())
	})
	if err != nil {
		return nil, nil, err
	}
	s.pushChatroomEvent(ctx, &pb.ChatroomEvent{Room: room, Entries: changed}, "")
	if r.Notify && user != "" {
		for _, e := range changed {
			typ := 1
			if e.Removed {
				typ = 2
			}
			content, _ := json.Marshal(map[string]any{"type": typ, "key": e.Key, "value": e.Value, "extra": r.Extra})
			m := &pb.Message{ConvType: pb.ConversationType_CHATROOM, FromUser: user, To: room,
				ClientMsgId: contract.ChatroomEntryIDPrefix + s.uids.Next(now), ObjectName: contract.ChatroomEntryNotice, Content: content, IsPersisted: true}
			stored, _, err := s.appendInOrder(ctx, store.ChatroomConvID(m.To), m, exceptSession)
			if err != nil {
				s.log.Warn("chat room: entry notice", "room", room, "err", err)
				continue
			}
			notices = append(notices, stored.Seq)
		}
	}
	return changed, notices, nil
}

// appendInOrder stores m, a chat room's or an ultra group channel's
// message, in convID and pushes it (unless it was stored before: dup), in
// the room's (the channel's) order on this node (roomIndex.inOrder): its
// sessions get its messages in sequence.
func (s *Server) appendInOrder(ctx context.Context, convID string, m *pb.Message, exceptSession string) (stored *pb.Message, dup bool, err error) {
	order, key := s.rooms, m.To
	if m.ConvType == pb.ConversationType_ULTRA_GROUP {
		order, key = s.ultra, convID
	}
	order.inOrder(key, func() {
		start := time.Now()
		if stored, dup, err = s.store.Append(ctx, convID, m); err != nil {
			return
		}
		s.metrics.commitSeconds.Observe(time.Since(start).Seconds())
		if dup {
			s.metrics.duplicates.Inc()
			return
		}
		s.metrics.messages.Inc()
		s.fanOut(ctx, stored, exceptSession)
	})
	return stored, dup, err
}

// pushChatroomEvent tells the sessions in e.Room (on every node) of e, if
// it says anything.
func (s *Server) pushChatroomEvent(ctx context.Context, e *pb.ChatroomEvent, exceptSession string) {
	if len(e.Entries) == 0 && !e.Destroyed && e.Ban == nil {
		return
	}
	s.publishRoom(ctx, &pb.Push{Chatroom: []*pb.ChatroomEvent{e}}, e.Room, exceptSession)
}

// publishRoom encodes p once for every session in room, on every node.
func (s *Server) publishRoom(ctx context.Context, p *pb.Push, room, exceptSession string) {
	frame, err := (&pb.Frame{Body: &pb.Frame_Push{Push: p}}).Marshal()
	if err != nil {
		s.log.Error("encode push", "err", err)
		return
	}
	if err := s.bus.Publish(ctx, &bus.Delivery{Room: room, Except: exceptSession, Frame: frame}); err != nil {
		// Stored messages are in the history; events are live only.
		s.log.Warn("chat room publish", "room", room, "err", err)
	}
}

// destroyChatroom removes a room with everything in it; its sessions are
// told (chatroomDestroyed, kind 0: it stood empty, 1: the app's server)
// and are out of it, on every node.
func (s *Server) destroyChatroom(ctx context.Context, room string, kind int32, emptyBefore time.Time) error {
	if err := s.store.DestroyChatroom(ctx, room, emptyBefore); err != nil {
		return err
	}
	s.pushChatroomEvent(ctx, &pb.ChatroomEvent{Room: room, Destroyed: true, DestroyedType: kind}, "")
	s.chatroomGone(room)
	s.cluster.broadcast(&busEvent{Kind: evRoomGone, Conv: room})
	return nil
}

// chatroomGone takes this node's sessions out of a destroyed room.
func (s *Server) chatroomGone(room string) {
	if s.rooms.drop(room) {
		s.bus.UnwatchRoom(room)
	}
}

// muteChatroom mutes users (duration 0: unmutes them), or with all the
// whole room, and tells the room (chatroomNotifyBan).
func (s *Server) muteChatroom(ctx context.Context, room string, users []string, duration time.Duration, all *bool, extra string) error {
	now := s.cfg.Now()
	until := int64(0)
	if duration > 0 {
		until = now.Add(duration).UnixMilli()
	}
	if err := s.store.MuteChatroom(ctx, room, users, until, all); err != nil {
		return err
	}
	s.rooms.invalidate(room)
	s.cluster.broadcast(&busEvent{Kind: evRoomMutes, Conv: room})
	ban := &pb.ChatroomBan{Time: now.UnixMilli(), Users: users, Extra: extra, DurationMs: duration.Milliseconds()}
	switch {
	case all != nil && *all:
		ban.BanType = 3 // MuteAll
	case all != nil:
		ban.BanType = 2 // UnmuteAll
	case until > 0:
		ban.BanType = 1 // MuteUsers
	default:
		ban.BanType = 0 // UnmuteUsers
	}
	s.pushChatroomEvent(ctx, &pb.ChatroomEvent{Room: room, Ban: ban}, "")
	return nil
}

// chatroomLoop destroys rooms that stood empty too long, deletes room
// history past its time and the memberships of nodes gone: on one node of
// a cluster, every Config.ChatroomSweepInterval.
func (s *Server) chatroomLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.ChatroomSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.cluster.owner("chat rooms") == s.bus.ID() {
				s.sweepChatrooms(ctx)
			}
		}
	}
}

func (s *Server) sweepChatrooms(ctx context.Context) {
	now := s.cfg.Now()
	st := s.settings.Load()
	if cutoff, ok := retentionCutoff(now, st.ChatroomEmptyDestroySeconds); ok {
		empty, err := s.store.EmptyChatrooms(ctx, cutoff)
		if err != nil {
			s.log.Warn("chat rooms: empty rooms", "err", err)
		}
		for _, room := range empty {
			// Only if still empty (joined meanwhile: ErrExists).
			if err := s.destroyChatroom(ctx, room, 0, cutoff); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExists) {
				s.log.Warn("chat rooms: destroy an empty room", "room", room, "err", err)
			}
		}
	}
	if cutoff, ok := retentionCutoff(now, st.ChatroomHistorySeconds); ok {
		if _, err := s.store.DeleteChatroomHistoryBefore(ctx, cutoff); err != nil {
			s.log.Warn("chat rooms: history", "err", err)
		}
	}
	// Memberships of nodes that are gone: not this one, not one the
	// cluster knows, and none joined there for a while (a node that just
	// started may not have been heard of yet). Not while this node is cut
	// off from the bus: it knows no one then.
	if s.bus.Err() != nil {
		return
	}
	nodes, err := s.store.ChatroomNodes(ctx)
	if err != nil {
		s.log.Warn("chat rooms: nodes", "err", err)
		return
	}
	for node, latest := range nodes {
		if node == s.bus.ID() || s.cluster.knows(node) || now.UnixMilli()-latest < s.cfg.ClusterDeadAfter.Milliseconds()*2 ||
			// heard lately: dropped for a silence (a bus outage, this
			// node's or its), it may be serving its members still
			s.cluster.heardSince(node, now.Add(-chatroomNodeGrace(s.cfg.ClusterDeadAfter))) {
			continue
		}
		s.leaveNode(ctx, node)
	}
}

// chatroomNodeGrace is how long after it was last heard a node's room
// memberships are kept: long enough for a bus outage to end and the node
// to be heard again.
func chatroomNodeGrace(deadAfter time.Duration) time.Duration {
	return max(20*deadAfter, time.Minute)
}

// leaveNode removes a node's memberships (it is gone, or this node is
// starting and has no sessions) and tells the rooms of the entries that
// went with them.
func (s *Server) leaveNode(ctx context.Context, node string) {
	removed, err := s.store.LeaveNode(ctx, node, s.cfg.Now())
	if err != nil {
		s.log.Warn("chat rooms: leave a node", "node", node, "err", err)
		return
	}
	for room, entries := range removed {
		s.pushChatroomEvent(ctx, &pb.ChatroomEvent{Room: room, Entries: entries}, "")
	}
}

// chatroomConversation checks a request about a chat room's messages (a
// send, with sending, its history, a gap's pull): the session is in the
// room (23406), and a sender is not muted (23408). It returns the
// history's id. The room's other requests (recall, reads, deletes) are
// not taken: nothing is kept per member.
func (ss *session) chatroomConversation(ctx context.Context, c *pb.Conversation, sending bool) (string, error) {
	if !contract.ValidID(c.GetTarget()) {
		return "", codes.New(codes.InvalidParameterTargetID, "invalid target id")
	}
	if c.GetChannel() != "" {
		return "", codes.New(codes.InvalidParameter, "a channel is for ultra groups")
	}
	room := c.GetTarget()
	if !ss.srv.rooms.has(ss, room) {
		return "", codes.New(codes.NotInChatroom, "not in the chat room")
	}
	if sending {
		if err := ss.srv.checkNotMuted(ctx, room, ss.user); err != nil {
			return "", chatroomErr(err)
		}
	}
	return store.ChatroomConvID(room), nil
}
