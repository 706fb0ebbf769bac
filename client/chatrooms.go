package client

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Chat rooms (conversation type 4): whoever is in a room gets its
// messages live, nothing is kept per member, and a newcomer gets the
// latest messages on joining. Room messages never enter the device's
// store, its sequencer or its conversation list: the engine hands them to
// the application as they come (EventMessages), in the room's sequence
// order, once each. A gap (the server skips pushes to a session that fell
// too far behind) is read from the room's history. After a reconnect the
// engine joins the rooms again (EventChatroom with Rejoined).

// Chatroom is RongIMLib's ConversationType.CHATROOM.
const Chatroom = 4

// ChatroomEvent is what EventChatroom carries: a room's entries changed,
// it was destroyed, members were muted, or it was joined again after a
// reconnect (Rejoined).
type ChatroomEvent struct {
	*pb.ChatroomEvent
	Rejoined *ChatroomRejoin
}

// ChatroomRejoin is a room joined again after a reconnect: Result, or the
// code it failed with (the room is then left).
type ChatroomRejoin struct {
	Room   string
	Count  int32
	Result *pb.ChatroomResult
	Code   int32
}

// roomState is a room this engine joined.
type roomState struct {
	count   int32 // the latest messages asked for when joining
	created int64 // the room's creation time: another means a room of the same id made anew
	joined  bool  // a join was answered
	// taken are the pushes handed on before the join's answer (nothing is
	// judged missing before it).
	taken   map[uint64]bool
	lastSeq uint64 // the highest sequence number seen
	// missing are sequence numbers below lastSeq not seen yet: pushes of
	// a room may come out of order (two senders' messages fanned out
	// by two goroutines), or not at all to a device that fell behind.
	// One still missing after GapWait is read from the history.
	missing map[uint64]bool
	own     map[uint64]bool // this device's sends above lastSeq (never pushed back to it)
	sending map[string]int  // client ids of this device's sends under way
}

// chatrooms are the rooms the engine is in.
type chatrooms struct {
	mu    sync.Mutex
	rooms map[string]*roomState
}

// ChatroomRequest runs a chat room request other than join and quit
// (info, entries).
func (e *Engine) ChatroomRequest(ctx context.Context, r *pb.ChatroomRequest) (*pb.ChatroomResult, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := contract.CheckChatroomRequest(r); err != nil {
		return nil, err
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Chatroom{Chatroom: r}})
	if err != nil {
		return nil, err
	}
	res := f.GetChatroomResult()
	if len(res.GetOwnSeqs()) > 0 { // entry notices, sent as this user: never pushed back
		e.rooms.mu.Lock()
		if st := e.rooms.rooms[r.Room]; st != nil {
			for _, seq := range res.OwnSeqs {
				st.ownSent(seq)
			}
		}
		e.rooms.mu.Unlock()
	}
	return res, nil
}

// JoinChatroom joins room (existing: only a room that exists, 23410
// otherwise) and hands on its latest count messages (-1 none, 0 ten) as
// EventMessages after the answer.
func (e *Engine) JoinChatroom(ctx context.Context, room string, count int32, existing bool) (*pb.ChatroomResult, error) {
	op := pb.ChatroomOp_CHATROOM_JOIN
	if existing {
		op = pb.ChatroomOp_CHATROOM_JOIN_EXISTING
	}
	// The room's state exists before the request: a push that comes
	// before the answer is kept, not dropped.
	st, fresh := e.pendingRoom(room)
	res, err := e.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: op, Room: room, Count: count})
	if err != nil {
		if fresh {
			e.rooms.mu.Lock()
			if e.rooms.rooms[room] == st && !st.joined {
				delete(e.rooms.rooms, room)
			}
			e.rooms.mu.Unlock()
		}
		return nil, err
	}
	e.joined(room, count, res, st)
	return res, nil
}

// pendingRoom makes room's state if there is none (fresh says it did) and
// answers it.
func (e *Engine) pendingRoom(room string) (st *roomState, fresh bool) {
	e.rooms.mu.Lock()
	defer e.rooms.mu.Unlock()
	if e.rooms.rooms == nil {
		e.rooms.rooms = map[string]*roomState{}
	}
	if st := e.rooms.rooms[room]; st != nil {
		return st, false
	}
	st = &roomState{}
	e.rooms.rooms[room] = st
	return st, true
}

// joined records a join's answer, made for the room's state asked (its
// state when the join went), and hands on its messages the application has
// not had. A room quit since (its state gone, or made anew by another join)
// takes nothing from it: the answer must not bring a quit room back.
func (e *Engine) joined(room string, count int32, res *pb.ChatroomResult, asked *roomState) {
	e.rooms.mu.Lock()
	st := e.rooms.rooms[room]
	if st == nil || st != asked {
		e.rooms.mu.Unlock()
		return
	}
	if st.joined && (st.created != res.CreateTime || st.lastSeq > res.LastSeq) {
		// New, or a room of the same id made anew: its numbers start over.
		st = &roomState{}
		e.rooms.rooms[room] = st
	}
	st.count, st.created = count, res.CreateTime
	var msgs []*Message
	if !st.joined {
		// The answer's messages, but those pushed meanwhile; nothing up to
		// its last number is missing (the join asked for what it wanted),
		// and what lies between it and a push that came early is.
		me := e.UserID()
		hi := res.LastSeq
		for _, w := range res.Messages {
			if !st.taken[w.Seq] {
				msgs = append(msgs, fromWire(me, w))
			}
			hi = max(hi, w.Seq)
		}
		for seq := range st.taken {
			hi = max(hi, seq)
		}
		for seq := max(res.LastSeq+1, hi-min(hi, maxRoomGap)); seq < hi; seq++ {
			if !st.taken[seq] {
				if st.missing == nil {
					st.missing = map[uint64]bool{}
				}
				st.missing[seq] = true
			}
		}
		st.lastSeq, st.taken, st.joined = hi, nil, true
	} else {
		msgs = e.roomFreshLocked(st, res.Messages)
		// From here on every message comes live: a later one beyond the
		// next sequence number shows a gap.
		st.lastSeq = max(st.lastSeq, res.LastSeq)
		for seq := range st.missing {
			if seq <= res.LastSeq {
				delete(st.missing, seq)
			}
		}
	}
	e.rooms.mu.Unlock()
	e.emitRoomMessages(msgs)
}

// QuitChatroom leaves room: its messages stop.
func (e *Engine) QuitChatroom(ctx context.Context, room string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if !contract.ValidID(room) {
		return codes.New(codes.RCChatroomParameterInvalid, "invalid chat room id")
	}
	e.rooms.mu.Lock()
	delete(e.rooms.rooms, room)
	e.rooms.mu.Unlock()
	_, err := e.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_QUIT, Room: room})
	return err
}

// InChatroom says whether the engine is in room.
func (e *Engine) InChatroom(room string) bool {
	e.rooms.mu.Lock()
	defer e.rooms.mu.Unlock()
	return e.rooms.rooms[room] != nil
}

// roomFreshLocked returns the messages of ws (one room's) the application
// has not had, noting what they show missing.
func (e *Engine) roomFreshLocked(st *roomState, ws []*pb.Message) []*Message {
	var out []*Message
	me := e.UserID()
	for _, w := range ws {
		if w.Seq != 0 && !st.take(w.Seq) {
			continue
		}
		out = append(out, fromWire(me, w))
	}
	return out
}

// take says whether seq is new to the application, and notes it seen
// (and any number it skips as missing).
func (st *roomState) take(seq uint64) bool {
	if seq <= st.lastSeq {
		if !st.missing[seq] {
			return false
		}
		delete(st.missing, seq)
		return true
	}
	from := st.lastSeq + 1
	if seq-from > maxRoomGap {
		from = seq - maxRoomGap // more is not read back (a page of the history)
	}
	for s := from; s < seq; s++ {
		if st.own[s] {
			delete(st.own, s)
			continue
		}
		if st.missing == nil {
			st.missing = map[uint64]bool{}
		}
		st.missing[s] = true
	}
	st.lastSeq = seq
	if st.own[seq] {
		delete(st.own, seq)
		return false // the device's own send: the application has it from the send
	}
	return true
}

// maxRoomGap bounds the numbers one push may mark missing.
const maxRoomGap = 500

// ownSent notes this device's own message seq: it is never pushed back.
func (st *roomState) ownSent(seq uint64) {
	if seq <= st.lastSeq {
		delete(st.missing, seq)
		return
	}
	if st.own == nil {
		st.own = map[uint64]bool{}
	}
	st.own[seq] = true
	for st.own[st.lastSeq+1] {
		st.lastSeq++
		delete(st.own, st.lastSeq)
	}
}

// noteSending counts a send to room under way (d 1) or ended (-1).
func (e *Engine) noteSending(room, clientID string, d int) {
	e.rooms.mu.Lock()
	defer e.rooms.mu.Unlock()
	e.noteSendingLocked(room, clientID, d)
}

func (e *Engine) noteSendingLocked(room, clientID string, d int) {
	st := e.rooms.rooms[room]
	if st == nil {
		return
	}
	if st.sending == nil {
		st.sending = map[string]int{}
	}
	if st.sending[clientID] += d; st.sending[clientID] <= 0 {
		delete(st.sending, clientID)
	}
}

func (e *Engine) emitRoomMessages(msgs []*Message) {
	if len(msgs) > 0 {
		e.emit(Event{Kind: EventMessages, Messages: msgs})
	}
}

// onRoomPush hands on room messages pushed live (one push may hold
// several rooms'), in the order they come; a number one of them skips is
// looked for again after GapWait and then read from the room's history.
func (lc *liveConn) onRoomPush(ctx context.Context, ws []*pb.Message) {
	e := lc.e
	var out []*Message
	var gaps []string
	e.rooms.mu.Lock()
	for _, w := range ws {
		st := e.rooms.rooms[w.To]
		if st == nil {
			continue // left the room: what was on its way is dropped
		}
		if !st.joined { // before the join's answer: taken as it comes
			if w.Seq == 0 || !st.taken[w.Seq] {
				if w.Seq > 0 {
					if st.taken == nil {
						st.taken = map[uint64]bool{}
					}
					st.taken[w.Seq] = true
				}
				out = append(out, fromWire(e.UserID(), w))
			}
			continue
		}
		had := len(st.missing)
		out = append(out, e.roomFreshLocked(st, []*pb.Message{w})...)
		if len(st.missing) > had && !slices.Contains(gaps, w.To) {
			gaps = append(gaps, w.To)
		}
	}
	e.rooms.mu.Unlock()
	e.emitRoomMessages(out)
	for _, room := range gaps {
		lc.helpers.Add(1) // from run's goroutine: its Wait has not begun
		go func() {
			defer lc.helpers.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(e.cfg.GapWait):
			}
			lc.fillRoomGap(ctx, room)
		}()
	}
}

// fillRoomGap reads from the room's history what is still missing and
// hands it on (late, after what followed it).
func (lc *liveConn) fillRoomGap(ctx context.Context, room string) {
	// A page at a time, while each reads something.
	for i := 0; i < 10 && lc.fillRoomGapPage(ctx, room); i++ {
	}
}

// fillRoomGapPage reads one page of what room is missing; true when it
// read some and more is missing.
func (lc *liveConn) fillRoomGapPage(ctx context.Context, room string) bool {
	e := lc.e
	e.rooms.mu.Lock()
	st := e.rooms.rooms[room]
	var lo, hi uint64
	if st != nil {
		for s := range st.missing {
			if lo == 0 || s < lo {
				lo = s
			}
			hi = max(hi, s)
		}
	}
	e.rooms.mu.Unlock()
	if lo == 0 {
		return false // all came meanwhile
	}
	f, err := lc.request(ctx, &pb.Frame{Body: &pb.Frame_Pull{Pull: &pb.PullRequest{
		Conv: &pb.Conversation{Type: pb.ConversationType_CHATROOM, Target: room}, AfterSeq: lo - 1, Limit: uint32(min(hi-lo+1, 500)),
	}}})
	if err != nil {
		e.log.Log(LevelWarn, "chat room: read a gap", "room", room, "err", err.Error())
		return false
	}
	me := e.UserID()
	var out []*Message
	more := false
	e.rooms.mu.Lock()
	if st := e.rooms.rooms[room]; st != nil {
		for _, w := range f.GetPullResult().GetMessages() {
			if !st.missing[w.Seq] {
				continue
			}
			delete(st.missing, w.Seq)
			// This device's own send whose answer is still on its way.
			if w.Tombstone || (w.FromUser == me && st.sending[w.ClientMsgId] > 0) {
				continue
			}
			out = append(out, fromWire(me, w))
		}
		// What the history no longer has (retention: below the answer's
		// start) is not looked for again; nor what the answer covered.
		res := f.GetPullResult()
		covered := res.GetStartSeq() - 1
		if ms := res.GetMessages(); len(ms) > 0 {
			covered = ms[len(ms)-1].Seq
		}
		for s := range st.missing {
			if s < res.GetStartSeq() || s <= covered {
				delete(st.missing, s)
			}
		}
		more = len(st.missing) > 0 && covered >= lo
	}
	e.rooms.mu.Unlock()
	e.emitRoomMessages(out)
	return more
}

// rejoinRetry is how long a rejoin refused for frequency waits: the
// server's bucket of writes refills at 20 a second.
const rejoinRetry = time.Second

// rejoinChatrooms joins again, after a reconnect, the rooms the engine
// was in, and tells the application how each went.
func (lc *liveConn) rejoinChatrooms(ctx context.Context) {
	e := lc.e
	e.rooms.mu.Lock()
	type join struct {
		room  string
		count int32
		st    *roomState
	}
	var joins []join
	for room, st := range e.rooms.rooms {
		joins = append(joins, join{room, st.count, st})
	}
	e.rooms.mu.Unlock()
	slices.SortFunc(joins, func(a, b join) int {
		if a.room < b.room {
			return -1
		}
		return 1
	})
	for _, j := range joins {
		var f *pb.Frame
		var err error
		for {
			f, err = lc.request(ctx, &pb.Frame{Body: &pb.Frame_Chatroom{Chatroom: &pb.ChatroomRequest{
				Op: pb.ChatroomOp_CHATROOM_JOIN_EXISTING, Room: j.room, Count: j.count,
			}}})
			if codes.Of(err) != codes.RequestOverFrequency {
				break
			}
			// The user's bucket of writes ran dry (a device in more rooms
			// than its burst): wait for it rather than lose the room for
			// the whole connection.
			select {
			case <-ctx.Done():
			case <-time.After(rejoinRetry):
			}
			if ctx.Err() != nil {
				break
			}
		}
		if ctx.Err() != nil {
			return // the connection went: the next one rejoins
		}
		rj := &ChatroomRejoin{Room: j.room, Count: j.count}
		if err != nil {
			rj.Code = codes.Of(err)
			if rj.Code == codes.RCChatroomNotExist || rj.Code == codes.RCChatroomParameterInvalid {
				e.rooms.mu.Lock()
				if e.rooms.rooms[j.room] == j.st {
					delete(e.rooms.rooms, j.room)
				}
				e.rooms.mu.Unlock()
			} // else kept: the next connection tries again
		} else {
			rj.Result = f.GetChatroomResult()
			e.joined(j.room, j.count, rj.Result, j.st)
		}
		e.emit(Event{Kind: EventChatroom, Chatroom: &ChatroomEvent{ChatroomEvent: &pb.ChatroomEvent{Room: j.room}, Rejoined: rj}})
	}
}

// onChatroomEvents hands on what happened in rooms; a destroyed room is
// left.
func (e *Engine) onChatroomEvents(evs []*pb.ChatroomEvent) {
	var out []Event
	e.rooms.mu.Lock()
	for _, ev := range evs {
		if e.rooms.rooms[ev.Room] == nil {
			continue
		}
		if ev.Destroyed {
			delete(e.rooms.rooms, ev.Room)
		}
		out = append(out, Event{Kind: EventChatroom, Chatroom: &ChatroomEvent{ChatroomEvent: ev}})
	}
	e.rooms.mu.Unlock()
	e.emit(out...)
}

// sendToChatroom sends a message to a room the engine is in. Nothing is
// stored on the device: the answer is the message as sent (SENT), or
// FAILED with the error.
func (e *Engine) sendToChatroom(ctx context.Context, m *Message, opts SendOptions) (*Message, error) {
	if !contract.ValidID(m.TargetID) {
		return nil, codes.New(codes.InvalidParameterTargetID, "invalid targetId")
	}
	if m.ObjectName == "" {
		return nil, codes.New(codes.InvalidParameter, "messageType required")
	}
	if opts.Hold || opts.MessageID != 0 {
		return nil, codes.New(codes.InvalidParameter, "chat room messages are not stored on the device: send them whole")
	}
	rec := m.Clone()
	rec.ClientMsgID = opts.ClientMsgID
	if rec.ClientMsgID == "" {
		rec.ClientMsgID = newClientID(e.cfg.Now().UnixMilli())
	} else if !contract.ValidClientMsgID(rec.ClientMsgID) {
		return nil, codes.New(codes.InvalidParameter, "clientMsgId must be 1-64 characters of [A-Za-z0-9_.@-], not beginning rc. rr. ed. ex. kv- (the server's own)")
	}
	rec.SenderUserID, rec.Direction, rec.IsRead = e.UserID(), DirectionSend, true
	rec.MessageUID, rec.Seq, rec.SentTime, rec.MessageID = "", 0, 0, 0
	rec.DeliveryReceipt, rec.NeedReceipt, rec.Receipt = false, false, nil
	rec.ReceivedTime = e.cfg.Now().UnixMilli()
	req := sendRequest(rec)
	if err := contract.CheckSend(req, e.maxContentBytes()); err != nil {
		return nil, err
	}
	if err := contract.CheckSentType(req.ObjectName); err != nil {
		return nil, err
	}
	if !e.bucket.AllowN(e.cfg.Now(), 1) {
		return nil, codes.New(codes.SendFrequencyTooFast, "send frequency too fast")
	}
	if opts.OnSendBefore != nil {
		opts.OnSendBefore(rec.Clone())
	}
	e.noteSending(m.TargetID, rec.ClientMsgID, 1)
	ack, err := e.sendOnce(ctx, req)
	// Together: a gap read in between must see it as this device's own.
	e.rooms.mu.Lock()
	e.noteSendingLocked(m.TargetID, rec.ClientMsgID, -1)
	if st := e.rooms.rooms[m.TargetID]; err == nil && st != nil && ack.Seq > 0 {
		st.ownSent(ack.Seq)
	}
	e.rooms.mu.Unlock()
	if err != nil {
		rec.SentStatus = StatusFailed
		return rec, err
	}
	applyReplaced(rec, ack)
	rec.MessageUID, rec.Seq, rec.SentTime, rec.SentStatus = ack.MessageUid, ack.Seq, ack.SentTime, StatusSent
	return rec, nil
}
