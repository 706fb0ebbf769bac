package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/internal/wsconn"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Subprotocol versions the wire protocol.
const Subprotocol = contract.Subprotocol

// WebSocket close codes the server uses besides the standard ones.
const (
	closeAuthFailed = 4001
	closeKicked     = 4010
	closeIdle       = 4009
)

// maxMergedPush bounds the pushes the writer concatenates into one
// WebSocket message (clients accept 1 MiB).
const maxMergedPush = 256 << 10

// session is one authenticated WebSocket connection: a browser tab, a Node
// process, a bench client. Frames to it go through a queue bounded in bytes
// (Config.SendQueueBytes) drained by a writer goroutine; a client that
// cannot keep up with its queue is disconnected (it reconnects and catches
// up by sync) rather than allowed to hold memory or slow the fan-out to
// everyone else. Its reader answers one request at a time and reads the
// next only once the answer is written.
type session struct {
	srv     *Server
	conn    *wsconn.Conn
	id      string
	user    string
	device  string
	issued  atomic.Int64 // its token's iat (s), a renewal's once renewed: a revocation the node learns of late is judged by it
	created time.Time
	watched bool // the bus watches user for it (set before it is shared)
	joined  bool // it joined the hub (set before it is shared)

	lastSeen   atomic.Int64 // unix ns of the last frame read (or, while the reader waits, write progress)
	idleClosed atomic.Bool  // the idle sweep is closing it
	// background: the app said this session's tab is hidden and wants its
	// user pushed meanwhile (WEB_PUSH_BACKGROUND); written under
	// cluster.mu, so each change is announced in order.
	background atomic.Bool
	// replying: the reader is writing an answer itself, for replyTimeout
	// at most; meanwhile it reads no heartbeats, and the idle sweep
	// leaves the session be.
	replying atomic.Bool

	mu      sync.Mutex
	q       sendQueue
	closing bool
	dropped bool          // the queue overflowed: the session is being closed
	writing bool          // the writer goroutine is draining q
	wake    chan struct{} // tells a waiting writer goroutine that q has frames
	done    chan struct{} // closed by close: a lingering writer leaves
	// awaiting: the reader waits on drained (made on its first wait, one
	// slot) until the answers queued for its requests are written or the
	// session closes; whoever clears awaiting sends the one signal.
	awaiting bool
	drained  chan struct{}
	// held: authenticating; its ultra groups' pushes are not written
	// (they would come before the AuthOK) but noted in heldMissed, and
	// the device is told to sync once the AuthOK is queued.
	held, heldMissed bool
	// resyncQueued: a stored room's push was missed (the session too far
	// behind) and a Resync waits in q behind what it is catching up on.
	resyncQueued bool
}

// outFrame is an encoded frame waiting for the writer. Adjacent pushes are
// concatenated into one WebSocket message: concatenated encodings of
// Frame{push} decode as one Frame whose Push holds every message and hint,
// in order (protobuf merges repeated embedded fields).
type outFrame struct {
	b     []byte
	push  bool
	reply bool  // answers a request of this session's
	kind  uint8 // its index in frameTypes, for /metrics
}

var sessionCounter atomic.Uint64

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	conn, err := wsconn.Accept(w, r, wsconn.AcceptOptions{
		Subprotocol: Subprotocol,
		// Any origin by default: auth is the token in the first frame,
		// never a cookie. The same list as CORS otherwise.
		CheckOrigin: s.originAllowed,
		ReadLimit:   contract.FrameBytes(s.cfg.MaxContentBytes),
	})
	if err != nil {
		s.log.Debug("websocket accept", "err", err)
		return
	}
	s.metrics.connections.Inc()
	sess, err := s.authenticate(r.Context(), conn)
	if err != nil {
		s.log.Debug("auth failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	// A fresh goroutine with a small stack reads from here on, and the
	// HTTP handler returns, so neither its deep stack nor the request stay
	// alive for every idle connection.
	if !s.tasks.Add() {
		sess.close(errors.New("server closing"))
		return
	}
	go sess.run()
}

// authFrameLimit bounds the first frame: an Auth is a token and a few
// short strings, and a connection that has not authenticated gets no more
// of the server's memory than that.
const authFrameLimit = 8 << 10

// authenticate reads the Auth frame (within AuthTimeout and
// authFrameLimit), answers it, and registers the session.
func (s *Server) authenticate(ctx context.Context, conn *wsconn.Conn) (*session, error) {
	conn.SetReadDeadline(time.Now().Add(s.cfg.AuthTimeout))
	limit := conn.ReadLimit()
	conn.SetReadLimit(authFrameLimit)
	typ, data, err := conn.ReadMessage()
	if err != nil {
		conn.Close(closeAuthFailed, "no auth frame")
		return nil, fmt.Errorf("read auth frame: %w", err)
	}
	conn.SetReadLimit(limit)
	conn.SetReadDeadline(time.Time{})
	fail := func(code int32, msg string) (*session, error) {
		s.metrics.authFailures.Inc()
		s.metrics.errors.inc(code)
		b, _ := (&pb.Frame{Body: &pb.Frame_Error{Error: &pb.Error{Code: code, Msg: msg}}}).Marshal()
		// A peer that does not read holds this write for a second at most
		// (Close comes only after it).
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		conn.WriteMessage(b)
		conn.SetWriteDeadline(time.Time{})
		conn.Close(closeAuthFailed, msg)
		return nil, codes.New(code, msg)
	}
	if typ != wsconn.OpBinary {
		return fail(codes.InvalidParameter, "frames are binary protobuf")
	}
	f := &pb.Frame{}
	if err := f.Unmarshal(data); err != nil {
		return fail(codes.InvalidParameter, "malformed frame")
	}
	a := f.GetAuth()
	if a == nil {
		return fail(codes.ConnTokenIncorrect, "the first frame must be auth")
	}
	if a.AppKey != s.cfg.AppKey {
		return fail(codes.ConnTokenIncorrect, "unknown app key")
	}
	if a.DeviceId == "" || len(a.DeviceId) > 128 || !contract.ValidText(a.DeviceId) {
		return fail(codes.InvalidParameter, "device_id must be 1-128 bytes of text without U+0000") // (PostgreSQL keeps it: Web Push)
	}
	claims, err := s.sessionToken(ctx, a.Token)
	if err != nil {
		var ce *codes.Error
		errors.As(err, &ce) // sessionToken's errors are all codes
		return fail(ce.Code, ce.Msg)
	}

	sess := &session{
		srv:     s,
		conn:    conn,
		id:      strconv.FormatUint(sessionCounter.Add(1), 36) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + s.cluster.tag,
		user:    claims.Subject,
		device:  a.DeviceId,
		created: time.Now(),
		wake:    make(chan struct{}),
		done:    make(chan struct{}),
		held:    true,
	}
	sess.issued.Store(claims.IssuedAt)
	sess.background.Store(a.Background)
	sess.lastSeen.Store(time.Now().UnixNano())
	s.hub.join(sess.user) // (from before the version is read: what comes after it is noted)
	// Its ultra groups' pushes from before the version is read too: a
	// message stored after it is noted while the session is held.
	s.enterUltraGroups(ctx, sess.user, []*session{sess})
	// Deliveries from other nodes reach this node from before the version
	// is read: a message stored after the device's sync read is pushed to
	// it. (Watched after the read, one stored between went to no one here,
	// and a device at that version skipped its sync.)
	if err := s.bus.Watch(ctx, sess.user); err != nil {
		s.log.Warn("bus: watch a user", "user", sess.user, "err", err)
	} else {
		sess.watched = true
	}
	version := s.store.Version()
	rate, burst := uint32(0), uint32(0)
	if s.cfg.SendRate > 0 {
		rate, burst = uint32(math.Ceil(s.cfg.SendRate)), uint32(s.cfg.SendBurst)
	}
	ok := &pb.Frame{Id: f.Id, Body: &pb.Frame_AuthOk{AuthOk: &pb.AuthOK{
		UserId:          sess.user,
		SessionId:       sess.id,
		ServerTime:      time.Now().UnixMilli(),
		SyncVersion:     version,
		SendRatePerSec:  rate,
		SendBurst:       burst,
		MaxContentBytes: uint32(s.cfg.MaxContentBytes),
		HeartbeatMs:     uint32(s.cfg.Heartbeat.Milliseconds()),
		MaxUploadBytes:  uint64(s.settings.Load().UploadMaxBytes),
		RecallWindowSec: uint32(s.settings.Load().recallWindow().Seconds()),
		TokenExpiresAt:  claims.ExpiresAt * 1000,
		TokenIssuedAt:   claims.IssuedAt * 1000,
	}}}
	// The AuthOK goes first in the queue: pushes enqueued once the session
	// is in the hub follow it, and so do its ultra groups' (whose fan-out
	// writes at once to a session with nothing queued: before the AuthOK,
	// the device would take the push for the answer and fail; held, they
	// were noted instead).
	sess.send(ok)
	missedUltra := sess.release()
	sess.joined = true
	kicked, missed := s.hub.add(sess, s.cfg.MaxSessions)
	for _, old := range kicked {
		old.kick(codes.DisconnKick, "too many sessions: the oldest is closed")
	}
	s.enterUltraGroups(ctx, sess.user, []*session{sess}) // again: see there
	// What was pushed to the user between the AuthOK's version and joining
	// the hub reached no session of this one's, and a device at that
	// version would not sync: it is told to.
	if missed || missedUltra {
		sess.send(&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Resync: true}}})
	}
	now := s.cfg.Now().UnixMilli()
	if s.cluster.opened(sess, now) {
		s.presence.note(sess.user, now)
		s.enqueueUserEvent(ctx, "user.online", sess.user, now)
	}
	s.metrics.sessions.Set(float64(s.hub.online()))
	// A block or a revocation (kick) written after the check above closed
	// the sessions it found in the hub, which this one had not joined yet:
	// look again.
	if err := s.admit(ctx, claims); err != nil && codes.Of(err) != codes.Timeout {
		sess.kick(codes.Of(err), err.Error()) // (not for a store that failed to answer: admitted once already)
	}
	return sess, nil
}

// run is the read loop: one request at a time, in order, so a client's
// sends commit in the order it made them. Sends and acks, the frames of a
// busy connection, are answered on this goroutine; the rest are answered
// by a pooled worker while this one waits, so that an idle connection's
// reader does not keep a stack grown by the deeper handlers (sync, pulls,
// history) between rare requests. (Two goroutine hand-offs per send cost
// more than the stack a sending connection keeps until the next GC.)
//
// The next request is read only once the answers to earlier ones are
// written: a client that sends requests and never reads holds one answer
// on the server, not one per request (a Pull's answer is up to 512 KiB).
func (ss *session) run() {
	defer ss.srv.tasks.Done() // started by handleWS's Add
	defer ss.close(nil)
	handled := make(chan struct{})
	for {
		if !ss.awaitAnswers() {
			return
		}
		// close() ends a blocked read by closing the connection.
		typ, data, err := ss.conn.ReadMessage()
		if err != nil {
			ss.close(err)
			return
		}
		ss.lastSeen.Store(time.Now().UnixNano())
		f := ss.decode(typ, data)
		if f == nil {
			continue
		}
		switch f.Body.(type) {
		case *pb.Frame_Send, *pb.Frame_Ack:
			ss.handle(f)
		default:
			ss.srv.handlers.Run(func() {
				ss.handle(f)
				handled <- struct{}{}
			})
			<-handled
		}
	}
}

// decode reads one frame, answering an undecodable one with an error, and
// counts it.
func (ss *session) decode(typ int, data []byte) *pb.Frame {
	if typ != wsconn.OpBinary {
		ss.srv.metrics.frameIn(frameMalformed)
		ss.replyErr(0, codes.InvalidParameter, "frames are binary protobuf")
		return nil
	}
	f := &pb.Frame{}
	if err := f.Unmarshal(data); err != nil {
		ss.srv.metrics.frameIn(frameMalformed)
		ss.srv.metrics.badFrames.Inc()
		ss.replyErr(0, codes.InvalidParameter, "malformed frame")
		return nil
	}
	ss.srv.metrics.frameIn(frameType(f))
	return f
}

// handle answers one frame. A panic in a handler is contained to the
// request: the client gets an error and the connection lives on.
func (ss *session) handle(f *pb.Frame) {
	defer func() {
		if r := recover(); r != nil {
			ss.srv.metrics.panics.Inc()
			ss.srv.log.Error("request handler panicked", "user", ss.user, "panic", r)
			ss.replyErr(f.Id, codes.Timeout, "internal error")
		}
	}()
	ctx := ss.srv.ctx
	switch f.Body.(type) {
	case *pb.Frame_Expansion, *pb.Frame_Recall, *pb.Frame_Delete, *pb.Frame_ClearHistory, *pb.Frame_Read,
		*pb.Frame_ReceiptRequest, *pb.Frame_ReceiptResponse, *pb.Frame_Typing, *pb.Frame_Settings, *pb.Frame_Tag, *pb.Frame_Modify, *pb.Frame_Tags, *pb.Frame_Group, *pb.Frame_People, *pb.Frame_Chatroom, *pb.Frame_UltraGroup, *pb.Frame_WebPush, *pb.Frame_RenewToken:
		// Writes others are told of, or that are stored: one bucket per
		// user for all of them (sends have their own, in handleSend).
		if !ss.srv.limits.allowOther(ss.user, ss.srv.cfg.Now()) {
			ss.srv.metrics.requestsLimited.Inc()
			ss.replyErr(f.Id, codes.RequestOverFrequency, "request over frequency")
			return
		}
	}
	if !uidsWellFormed(f) {
		ss.replyErr(f.Id, codes.InvalidParameterMessageUID, "a messageUId is 1-64 bytes of UTF-8 text without U+0000")
		return
	}
	switch b := f.Body.(type) {
	case *pb.Frame_Ping:
		ss.reply(&pb.Frame{Id: f.Id, Body: &pb.Frame_Pong{Pong: &pb.Pong{ServerTime: time.Now().UnixMilli()}}})
	case *pb.Frame_Ack:
		ss.handleAck(ctx, f.Id, b.Ack)
	case *pb.Frame_Send:
		ss.handleSend(ctx, f.Id, b.Send)
	case *pb.Frame_Sync:
		ss.handleSync(ctx, f.Id, b.Sync)
	case *pb.Frame_Pull:
		ss.handlePull(ctx, f.Id, b.Pull)
	case *pb.Frame_Read:
		ss.handleRead(ctx, f.Id, b.Read)
	case *pb.Frame_Settings:
		ss.handleSettings(ctx, f.Id, b.Settings)
	case *pb.Frame_Tag:
		ss.handleTag(ctx, f.Id, b.Tag)
	case *pb.Frame_Tags:
		ss.handleTags(ctx, f.Id)
	case *pb.Frame_Group:
		ss.handleGroup(ctx, f.Id, b.Group)
	case *pb.Frame_People:
		ss.handlePeople(ctx, f.Id, b.People)
	case *pb.Frame_Chatroom:
		ss.handleChatroom(ctx, f.Id, b.Chatroom)
	case *pb.Frame_UltraGroup:
		ss.handleUltraGroup(ctx, f.Id, b.UltraGroup)
	case *pb.Frame_WebPush:
		ss.handleWebPush(ctx, f.Id, b.WebPush)
	case *pb.Frame_Typing:
		ss.handleTyping(ctx, f.Id, b.Typing)
	case *pb.Frame_RenewToken:
		ss.handleRenewToken(ctx, f.Id, b.RenewToken)
	case *pb.Frame_Recall:
		ss.handleRecall(ctx, f.Id, b.Recall)
	case *pb.Frame_Modify:
		ss.handleModify(ctx, f.Id, b.Modify)
	case *pb.Frame_Messages:
		ss.handleMessages(ctx, f.Id, b.Messages)
	case *pb.Frame_History:
		ss.handleHistory(ctx, f.Id, b.History)
	case *pb.Frame_Expansion:
		ss.handleExpansion(ctx, f.Id, b.Expansion)
	case *pb.Frame_Delete:
		ss.handleDelete(ctx, f.Id, b.Delete)
	case *pb.Frame_ClearHistory:
		ss.handleClearHistory(ctx, f.Id, b.ClearHistory)
	case *pb.Frame_ReceiptRequest:
		ss.handleReceiptRequest(ctx, f.Id, b.ReceiptRequest)
	case *pb.Frame_ReceiptResponse:
		ss.handleReceiptResponse(ctx, f.Id, b.ReceiptResponse)
	case *pb.Frame_Readers:
		ss.handleReaders(ctx, f.Id, b.Readers)
	case *pb.Frame_ReceiptInfo:
		ss.handleReceiptInfo(ctx, f.Id, b.ReceiptInfo)
	case *pb.Frame_Auth:
		ss.replyErr(f.Id, codes.ConnectionExist, "already authenticated")
	case nil:
		ss.replyErr(f.Id, codes.InvalidParameter, "frame without body")
	default:
		ss.replyErr(f.Id, codes.InvalidParameter, "not a client request")
	}
}

func (ss *session) replyErr(id uint64, code int32, msg string) {
	ss.srv.metrics.errors.inc(code)
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Error{Error: &pb.Error{Code: code, Msg: msg}}})
}

// replyFor answers a failed request with the code the error carries.
func (ss *session) replyFor(id uint64, err error) {
	var ce *codes.Error
	if errors.As(err, &ce) {
		ss.replyErr(id, ce.Code, ce.Msg)
		return
	}
	if errors.Is(err, store.ErrUnavailable) {
		ss.srv.log.Warn("request failed: the store is unavailable", "user", ss.user, "err", err)
		ss.replyErr(id, codes.MessageStorageUnavailable, "the store is unavailable")
		return
	}
	ss.srv.log.Error("request failed", "user", ss.user, "err", err)
	ss.replyErr(id, codes.Timeout, "server error")
}

// send queues f, a frame nobody asked for (AuthOK, Kick). Answers to
// requests go through reply.
func (ss *session) send(f *pb.Frame) {
	b, err := f.Marshal()
	if err != nil {
		ss.srv.log.Error("encode frame", "err", err)
		return
	}
	ss.enqueue(outFrame{b: b, kind: frameType(f)})
}

// reply sends f, an answer to the request the calling goroutine (the
// session's reader, or a worker it waits for) is handling. When nothing is
// queued or being written it writes at once, from this goroutine, rather
// than waking the session's writer goroutine: one hand-off fewer for the
// frame nearly every send ends with. A peer that does not read then holds
// up only its own reader, for replyTimeout at most: it is then closed as a
// slow consumer (as an overflowing queue would have it). Otherwise the
// answer is queued behind what is there, and the reader waits for it to be
// written before reading the next request (awaitAnswers). Never call it
// from another session's goroutine.
func (ss *session) reply(f *pb.Frame) {
	kind := frameType(f)
	b, err := f.Marshal()
	if err != nil {
		ss.srv.log.Error("encode frame", "err", err)
		return
	}
	ss.mu.Lock()
	if ss.closing || ss.dropped || ss.writing || !ss.q.idle() {
		ss.mu.Unlock()
		ss.enqueue(outFrame{b: b, reply: true, kind: kind}) // keeps the order behind what is queued
		return
	}
	ss.writing = true // whoever sets it sees to what gets queued meanwhile
	ss.mu.Unlock()
	ss.replying.Store(true)
	ss.conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	err = ss.conn.WriteMessage(b)
	ss.conn.SetWriteDeadline(time.Time{})
	ss.replying.Store(false)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			ss.srv.metrics.slowConsumers.Inc()
		}
		ss.close(fmt.Errorf("write: %w", err))
		return
	}
	ss.srv.metrics.frameOut(kind)
	ss.mu.Lock()
	if ss.q.idle() || ss.closing {
		ss.writing = false
		ss.mu.Unlock()
		return
	}
	ss.mu.Unlock()
	ss.startWriter()
}

// replyTimeout bounds reply's direct write: a peer whose socket buffers are
// full for that long is not reading.
const replyTimeout = 2 * time.Second

// awaitAnswers waits until the answers queued for this session's requests
// are written; false when the session closed meanwhile. Meanwhile the
// reader reads no heartbeats, so the writer's progress keeps the session
// from looking idle: a peer that reads slowly stays, and one that never
// reads is closed when its queue passes its bound, or by the idle sweep.
func (ss *session) awaitAnswers() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for !ss.closing && ss.q.replies > 0 {
		if ss.drained == nil {
			ss.drained = make(chan struct{}, 1)
		}
		ss.awaiting = true
		ss.mu.Unlock()
		<-ss.drained
		ss.mu.Lock()
	}
	return !ss.closing
}

// wakeReader ends the reader's wait; the caller holds mu.
func (ss *session) wakeReader() {
	if ss.awaiting {
		ss.awaiting = false
		ss.drained <- struct{}{}
	}
}

// enqueue queues an encoded frame; a full queue marks a slow consumer.
func (ss *session) enqueue(f outFrame) {
	ss.mu.Lock()
	if ss.closing || ss.dropped {
		ss.mu.Unlock()
		return
	}
	if !ss.q.add(f, ss.srv.cfg.SendQueueBytes) {
		ss.dropped = true
		ss.mu.Unlock()
		ss.srv.metrics.slowConsumers.Inc()
		// No close handshake: the peer is not reading, so a close frame
		// would wait behind everything it has not read. (Once the server
		// is closing, Close closes it.)
		ss.srv.tasks.Go(func() { ss.close(errors.New("slow consumer: reconnect and sync")) })
		return
	}
	start := !ss.writing
	ss.writing = true
	ss.mu.Unlock()
	if start {
		ss.startWriter()
	}
}

// release ends the hold of authentication (see held): it reports whether
// a push was missed meanwhile.
func (ss *session) release() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.held = false
	return ss.heldMissed
}

// resyncFrame is Push{Resync}: the device syncs.
var resyncFrame = func() []byte {
	b, err := (&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Resync: true}}}).Marshal()
	if err != nil {
		panic(err)
	}
	return b
}()

// pushLive writes a room's push (a chat room's, or an ultra group's,
// stored: a stored room) from the room's fan-out goroutine. When nothing
// is queued or being written it writes at once (as reply does), within
// liveWriteTimeout: a peer whose socket buffers stay full that long is not
// reading, and is closed as a slow consumer. Otherwise the push is queued
// behind what is there, unless the session is already half its queue's
// bound behind: then it misses the push and stays connected. A chat room's
// device reads the room's history for the gap a later message shows; a
// stored room's is told to sync once it has caught up (its missed message
// may be its conversation's last: no later one would show the gap).
func (ss *session) pushLive(b []byte, stored bool) {
	ss.mu.Lock()
	if ss.closing || ss.dropped {
		ss.mu.Unlock()
		return
	}
	if ss.held {
		ss.heldMissed = true
		ss.mu.Unlock()
		return
	}
	if ss.writing || !ss.q.idle() {
		ok := ss.q.add(outFrame{b: b, push: true, kind: framePush}, ss.srv.cfg.SendQueueBytes/2)
		if !ok && stored && !ss.resyncQueued {
			// Within the whole bound: past it, the session is closed
			// as a slow consumer as enqueue would (it syncs on reconnect).
			ss.resyncQueued = ss.q.add(outFrame{b: resyncFrame, push: true, kind: framePush}, ss.srv.cfg.SendQueueBytes)
		}
		ss.mu.Unlock()
		if !ok {
			ss.srv.metrics.chatroomMissed.Inc()
		}
		return // the writer takes it
	}
	ss.writing = true // whoever sets it sees to what gets queued meanwhile
	ss.mu.Unlock()
	ss.conn.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
	err := ss.conn.WriteMessage(b)
	ss.conn.SetWriteDeadline(time.Time{})
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			ss.srv.metrics.slowConsumers.Inc()
		}
		ss.srv.tasks.Go(func() { ss.close(fmt.Errorf("write: %w", err)) })
		return
	}
	ss.srv.metrics.frameOut(framePush)
	ss.mu.Lock()
	if ss.q.idle() || ss.closing {
		ss.writing = false
		ss.mu.Unlock()
		return
	}
	ss.mu.Unlock()
	ss.startWriter()
}

// liveWriteTimeout bounds pushLive's direct write: the room waits for no
// one longer.
const liveWriteTimeout = 100 * time.Millisecond

// startWriter hands the queue to the writer goroutine: a lingering one, or
// a new one. Its caller has set ss.writing.
func (ss *session) startWriter() {
	select {
	case ss.wake <- struct{}{}: // an idle writer is waiting
	default:
		// Add, not Go: no closure to allocate on the send path. A server
		// that is closing starts no writer: Close closes the session.
		if ss.srv.tasks.Add() {
			go ss.writeLoop()
		}
	}
}

// maxWriteBatch bounds what one write of the writer holds: a backlog goes
// out in pieces, so that each one's completion shows the peer is reading
// (see awaitAnswers) and merged copies stay small.
const maxWriteBatch = 256 << 10

// writerLinger is how long a writer goroutine waits for more frames before
// it exits: busy sessions keep theirs (a new goroutine per frame, growing
// its stack each time, cost more than the writes), idle ones hold none.
const writerLinger = time.Second

// writeLoop drains the queue, lingers, and exits when nothing came.
func (ss *session) writeLoop() {
	defer ss.srv.tasks.Done() // started by startWriter's Add
	var batch []outFrame
	var out [][]byte
	var linger *time.Timer
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	for {
		ss.mu.Lock()
		if ss.closing {
			ss.writing = false
			ss.mu.Unlock()
			return
		}
		if ss.q.idle() {
			ss.writing = false
			ss.resyncQueued = false // written: another miss needs another
			ss.mu.Unlock()
			if linger == nil {
				linger = time.NewTimer(writerLinger)
			} else {
				linger.Reset(writerLinger)
			}
			select {
			case <-ss.wake:
				continue // enqueue set writing again
			case <-linger.C:
			case <-ss.done:
				// Closed (Server.Close closes every session and waits for
				// this goroutine). Not the server's ctx: 500 writers waiting
				// on one channel contend for its lock (+4 % of the server's
				// CPU in the group benchmark).
			}
			// Exit, unless a frame came in just as the timer fired.
			ss.mu.Lock()
			if ss.writing || ss.q.idle() || ss.closing {
				ss.mu.Unlock()
				return
			}
			ss.writing = true
			ss.mu.Unlock()
			continue
		}
		batch = ss.q.take(batch, maxWriteBatch)
		ss.mu.Unlock()
		out = mergePushes(out[:0], batch)
		// A peer that stops reading blocks this write; the queue then
		// overflows and closes the connection, unblocking it.
		err := ss.conn.WriteBatch(out)
		clear(out)
		if err != nil {
			ss.close(fmt.Errorf("write: %w", err))
			return
		}
		ss.mu.Lock()
		if !ss.closing {
			ss.q.written(batch)
			if ss.awaiting {
				// The peer reads: that is the heartbeat's news while the
				// reader, waiting, reads none.
				ss.lastSeen.Store(time.Now().UnixNano())
				if ss.q.replies == 0 {
					ss.wakeReader() // it may read the next request
				}
			}
		}
		ss.mu.Unlock()
		ss.srv.metrics.framesWritten(batch)
		clear(batch)
		if cap(batch) > 1024 { // a burst's backlog is not kept
			batch, out = nil, nil
		}
	}
}

// mergePushes appends the WebSocket messages for frames to out, with each
// run of adjacent pushes concatenated into one message of at most
// maxMergedPush bytes (a single larger push goes alone).
func mergePushes(out [][]byte, frames []outFrame) [][]byte {
	for i := 0; i < len(frames); {
		f := frames[i]
		i++
		if !f.push {
			out = append(out, f.b)
			continue
		}
		j, size := i, len(f.b)
		for j < len(frames) && frames[j].push && size+len(frames[j].b) <= maxMergedPush {
			size += len(frames[j].b)
			j++
		}
		if j == i {
			out = append(out, f.b)
			continue
		}
		m := make([]byte, 0, size)
		m = append(m, f.b...)
		for _, g := range frames[i:j] {
			m = append(m, g.b...)
		}
		out = append(out, m)
		i = j
	}
	return out
}

// kick tells the client why it is being closed, then closes.
func (ss *session) kick(code int32, reason string) {
	ss.send(&pb.Frame{Body: &pb.Frame_Kick{Kick: &pb.Kick{Code: code, Reason: reason}}})
	// Give the writer a moment to flush the kick frame. (Once the server
	// is closing, Close closes the session.)
	ss.srv.tasks.AfterFunc(200*time.Millisecond, func() { ss.closeWith(closeKicked, reason) })
}

func (ss *session) closeWith(code int, reason string) {
	ss.conn.Close(code, reason)
	ss.close(errors.New(reason))
}

// close unregisters the session and stops its goroutines; idempotent.
func (ss *session) close(cause error) {
	ss.mu.Lock()
	if ss.closing {
		ss.mu.Unlock()
		return
	}
	ss.closing = true
	close(ss.done)
	ss.q = sendQueue{}
	ss.wakeReader()
	ss.mu.Unlock()
	// Taken before it leaves the hub: a message stored from then on did
	// not reach it live (pushes, leftTimes).
	now := ss.srv.cfg.Now().UnixMilli()
	ss.srv.hub.remove(ss)
	ss.srv.leaveChatrooms(ss)
	ss.srv.leaveUltraGroups(ss)
	if ss.joined {
		if ss.srv.cluster.closed(ss, now) {
			ss.srv.presence.note(ss.user, now)
			// Not cut by a stop: a server stopping must still say so. Its
			// context outlives Close's cancel; Close waits for the task (or,
			// once its tasks are stopped, for this close) before the store
			// closes.
			offline := func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ss.srv.ctx), 5*time.Second)
				defer cancel()
				ss.srv.enqueueUserEvent(ctx, "user.offline", ss.user, now)
			}
			if !ss.srv.tasks.Go(offline) {
				offline()
			}
		}
	}
	if ss.watched {
		ss.srv.bus.Unwatch(ss.user)
	}
	ss.conn.CloseNow()
	ss.srv.metrics.sessions.Set(float64(ss.srv.hub.online()))
	ss.srv.log.Debug("session closed", "user", ss.user, "session", ss.id, "cause", cause)
}

// uidsWellFormed reports whether every message uid a request names is one
// a message can have (contract.ValidMessageUID; an optional one may be
// empty): the handlers look them up, and answer for their absence.
func uidsWellFormed(f *pb.Frame) bool {
	one := func(u string) bool { return u == "" || contract.ValidMessageUID(u) }
	many := func(us []string) bool {
		for _, u := range us {
			if !one(u) {
				return false
			}
		}
		return true
	}
	switch b := f.Body.(type) {
	case *pb.Frame_Recall:
		return one(b.Recall.GetMessageUid())
	case *pb.Frame_Modify:
		return one(b.Modify.GetMessageUid())
	case *pb.Frame_Expansion:
		return one(b.Expansion.GetMessageUid())
	case *pb.Frame_Read:
		return one(b.Read.GetMessageUid())
	case *pb.Frame_ReceiptRequest:
		return one(b.ReceiptRequest.GetMessageUid())
	case *pb.Frame_Readers:
		return one(b.Readers.GetMessageUid())
	case *pb.Frame_Messages:
		return many(b.Messages.GetMessageUids())
	case *pb.Frame_Delete:
		return many(b.Delete.GetMessageUids())
	case *pb.Frame_ReceiptResponse:
		return many(b.ReceiptResponse.GetMessageUids())
	case *pb.Frame_ReceiptInfo:
		return many(b.ReceiptInfo.GetMessageUids())
	}
	return true
}
