package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/wsconn"
)

// Subprotocol versions the wire protocol.
const Subprotocol = "imwasm.v1"

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
// process, a bench client. Frames to it go through a bounded queue drained
// by a writer goroutine; a client that cannot keep up with its queue is
// disconnected (it reconnects and catches up by sync) rather than allowed to
// hold memory or slow the fan-out to everyone else.
type session struct {
	srv     *Server
	conn    *wsconn.Conn
	id      string
	user    string
	device  string
	created time.Time

	lastSeen atomic.Int64 // unix ns of the last frame read

	mu      sync.Mutex
	queue   []outFrame
	closing bool
	dropped bool          // the queue overflowed: the session is being closed
	writing bool          // the writer goroutine is draining queue
	wake    chan struct{} // tells a waiting writer goroutine that queue has frames

	bucket tokenBucket
}

// outFrame is an encoded frame waiting for the writer. Adjacent pushes are
// concatenated into one WebSocket message: concatenated encodings of
// Frame{push} decode as one Frame whose Push holds every message and hint,
// in order (protobuf merges repeated embedded fields).
type outFrame struct {
	b    []byte
	push bool
}

var sessionCounter atomic.Uint64

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	conn, err := wsconn.Accept(w, r, wsconn.AcceptOptions{
		Subprotocol: Subprotocol,
		// Any origin by default: auth is the token in the first frame,
		// never a cookie. The same list as CORS otherwise.
		CheckOrigin: s.originAllowed,
		ReadLimit:   s.cfg.MaxContentBytes + 64<<10,
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
	go sess.run()
}

// authenticate reads the Auth frame (within AuthTimeout), answers it, and
// registers the session.
func (s *Server) authenticate(ctx context.Context, conn *wsconn.Conn) (*session, error) {
	conn.SetReadDeadline(time.Now().Add(s.cfg.AuthTimeout))
	typ, data, err := conn.ReadMessage()
	if err != nil {
		conn.Close(closeAuthFailed, "no auth frame")
		return nil, fmt.Errorf("read auth frame: %w", err)
	}
	conn.SetReadDeadline(time.Time{})
	fail := func(code int32, msg string) (*session, error) {
		s.metrics.authFailures.Inc()
		b, _ := (&pb.Frame{Body: &pb.Frame_Error{Error: &pb.Error{Code: code, Msg: msg}}}).Marshal()
		conn.WriteMessage(b) // Close below bounds a stuck write to a second
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
	if a.DeviceId == "" || len(a.DeviceId) > 128 {
		return fail(codes.InvalidParameter, "device_id must be 1-128 bytes")
	}
	claims, err := auth.Verify([]byte(s.cfg.AppSecret), a.Token, time.Now())
	switch {
	case errors.Is(err, auth.ErrExpired):
		return fail(codes.ConnTokenExpired, "token expired")
	case err != nil:
		return fail(codes.ConnTokenIncorrect, "token invalid")
	case claims.IsAdmin():
		return fail(codes.ConnTokenIncorrect, "app-server tokens cannot connect")
	}
	validAfter, err := s.store.TokensValidAfter(ctx, claims.Subject)
	if err != nil {
		return fail(codes.Timeout, "server error")
	}
	if !validAfter.IsZero() && claims.IssuedAt*1000 < validAfter.UnixMilli() {
		return fail(codes.ConnTokenIncorrect, "token revoked")
	}

	sess := &session{
		srv:     s,
		conn:    conn,
		id:      strconv.FormatUint(sessionCounter.Add(1), 36) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		user:    claims.Subject,
		device:  a.DeviceId,
		created: time.Now(),
		wake:    make(chan struct{}),
	}
	sess.lastSeen.Store(time.Now().UnixNano())
	sess.bucket.init(s.cfg.SendRate, s.cfg.SendBurst)
	version := s.store.Version()
	rate := uint32(0)
	if s.cfg.SendRate > 0 {
		rate = uint32(s.cfg.SendRate)
	}
	ok := &pb.Frame{Id: f.Id, Body: &pb.Frame_AuthOk{AuthOk: &pb.AuthOK{
		UserId:          sess.user,
		SessionId:       sess.id,
		ServerTime:      time.Now().UnixMilli(),
		SyncVersion:     version,
		SendRatePerSec:  rate,
		MaxContentBytes: uint32(s.cfg.MaxContentBytes),
		HeartbeatMs:     uint32(s.cfg.Heartbeat.Milliseconds()),
		MaxUploadBytes:  uint64(s.settings.Load().UploadMaxBytes),
	}}}
	// The AuthOK goes first in the queue: pushes enqueued once the session
	// is in the hub follow it.
	sess.send(ok)
	for _, old := range s.hub.add(sess, s.cfg.MaxSessions) {
		old.kick(codes.DisconnKick, "too many sessions: the oldest is closed")
	}
	s.metrics.sessions.Set(int64(s.hub.online()))
	return sess, nil
}

// run is the read loop: one request at a time, in order, so a client's
// sends commit in the order it made them. Sends and acks, the frames of a
// busy connection, are answered on this goroutine; the rest are answered
// by a pooled worker while this one waits, so that an idle connection's
// reader does not keep a stack grown by the deeper handlers (sync, pulls,
// history) between rare requests. (Two goroutine hand-offs per send cost
// more than the stack a sending connection keeps until the next GC.)
func (ss *session) run() {
	defer ss.close(nil)
	handled := make(chan struct{})
	for {
		// close() ends a blocked read by closing the connection.
		typ, data, err := ss.conn.ReadMessage()
		if err != nil {
			ss.close(err)
			return
		}
		ss.lastSeen.Store(time.Now().UnixNano())
		ss.srv.metrics.framesIn.Inc()
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

// decode reads one frame, answering an undecodable one with an error.
func (ss *session) decode(typ int, data []byte) *pb.Frame {
	if typ != wsconn.OpBinary {
		ss.replyErr(0, codes.InvalidParameter, "frames are binary protobuf")
		return nil
	}
	f := &pb.Frame{}
	if err := f.Unmarshal(data); err != nil {
		ss.srv.metrics.badFrames.Inc()
		ss.replyErr(0, codes.InvalidParameter, "malformed frame")
		return nil
	}
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
	switch b := f.Body.(type) {
	case *pb.Frame_Ping:
		ss.send(&pb.Frame{Id: f.Id, Body: &pb.Frame_Pong{Pong: &pb.Pong{ServerTime: time.Now().UnixMilli()}}})
	case *pb.Frame_Ack:
		ss.handleAck(ctx, b.Ack)
	case *pb.Frame_Send:
		ss.handleSend(ctx, f.Id, b.Send)
	case *pb.Frame_Sync:
		ss.handleSync(ctx, f.Id, b.Sync)
	case *pb.Frame_Pull:
		ss.handlePull(ctx, f.Id, b.Pull)
	case *pb.Frame_Read:
		ss.handleRead(ctx, f.Id, b.Read)
	case *pb.Frame_Typing:
		ss.handleTyping(ctx, f.Id, b.Typing)
	case *pb.Frame_Recall:
		ss.handleRecall(ctx, f.Id, b.Recall)
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
	ss.send(&pb.Frame{Id: id, Body: &pb.Frame_Error{Error: &pb.Error{Code: code, Msg: msg}}})
}

// replyFor answers a failed request with the code the error carries.
func (ss *session) replyFor(id uint64, err error) {
	var ce *codes.Error
	if errors.As(err, &ce) {
		ss.replyErr(id, ce.Code, ce.Msg)
		return
	}
	ss.srv.log.Error("request failed", "user", ss.user, "err", err)
	ss.replyErr(id, codes.Timeout, "server error")
}

func (ss *session) send(f *pb.Frame) {
	b, err := f.Marshal()
	if err != nil {
		ss.srv.log.Error("encode frame", "err", err)
		return
	}
	ss.enqueue(outFrame{b: b})
}

// reply sends f, an answer to the request the calling goroutine (the
// session's reader, or a worker it waits for) is handling. When nothing is
// queued or being written it writes at once, from this goroutine, rather
// than waking the session's writer goroutine: one hand-off fewer for the
// frame nearly every send ends with. A peer that does not read then holds
// up only its own reader, for replyTimeout at most: it is then closed as a
// slow consumer (as an overflowing queue would have it). Never call it from
// another session's goroutine.
func (ss *session) reply(f *pb.Frame) {
	b, err := f.Marshal()
	if err != nil {
		ss.srv.log.Error("encode frame", "err", err)
		return
	}
	ss.mu.Lock()
	if ss.closing || ss.dropped || ss.writing || len(ss.queue) > 0 {
		ss.mu.Unlock()
		ss.enqueue(outFrame{b: b}) // keeps the order behind what is queued
		return
	}
	ss.writing = true // whoever sets it sees to what gets queued meanwhile
	ss.mu.Unlock()
	ss.conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	err = ss.conn.WriteMessage(b)
	ss.conn.SetWriteDeadline(time.Time{})
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			ss.srv.metrics.slowConsumers.Inc()
		}
		ss.close(fmt.Errorf("write: %w", err))
		return
	}
	ss.srv.metrics.framesOut.Inc()
	ss.mu.Lock()
	if len(ss.queue) == 0 || ss.closing {
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

// enqueue queues an encoded frame; a full queue marks a slow consumer.
func (ss *session) enqueue(f outFrame) {
	ss.mu.Lock()
	if ss.closing || ss.dropped {
		ss.mu.Unlock()
		return
	}
	if len(ss.queue) >= ss.srv.cfg.SendQueue {
		ss.dropped, ss.queue = true, nil
		ss.mu.Unlock()
		ss.srv.metrics.slowConsumers.Inc()
		// No close handshake: the peer is not reading, so a close frame
		// would wait behind everything it has not read.
		go ss.close(errors.New("slow consumer: reconnect and sync"))
		return
	}
	ss.queue = append(ss.queue, f)
	start := !ss.writing
	ss.writing = true
	ss.mu.Unlock()
	if start {
		ss.startWriter()
	}
}

// startWriter hands the queue to the writer goroutine: a lingering one, or
// a new one. Its caller has set ss.writing.
func (ss *session) startWriter() {
	select {
	case ss.wake <- struct{}{}: // an idle writer is waiting
	default:
		go ss.writeLoop()
	}
}

// writerLinger is how long a writer goroutine waits for more frames before
// it exits: busy sessions keep theirs (a new goroutine per frame, growing
// its stack each time, cost more than the writes), idle ones hold none.
const writerLinger = time.Second

// writeLoop drains the queue, lingers, and exits when nothing came.
func (ss *session) writeLoop() {
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
		if len(ss.queue) == 0 {
			ss.writing = false
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
			}
			// Exit, unless a frame came in just as the timer fired.
			ss.mu.Lock()
			if ss.writing || len(ss.queue) == 0 || ss.closing {
				ss.mu.Unlock()
				return
			}
			ss.writing = true
			ss.mu.Unlock()
			continue
		}
		batch, ss.queue = ss.queue, batch[:0]
		ss.mu.Unlock()
		out = mergePushes(out[:0], batch)
		clear(batch)
		// A peer that stops reading blocks this write; the queue then
		// overflows and closes the connection, unblocking it.
		err := ss.conn.WriteBatch(out)
		clear(out)
		if err != nil {
			ss.close(fmt.Errorf("write: %w", err))
			return
		}
		ss.srv.metrics.framesOut.Add(uint64(len(batch)))
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
	// Give the writer a moment to flush the kick frame.
	time.AfterFunc(200*time.Millisecond, func() { ss.closeWith(closeKicked, reason) })
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
	ss.queue = nil
	ss.mu.Unlock()
	ss.srv.hub.remove(ss)
	ss.conn.CloseNow()
	ss.srv.metrics.sessions.Set(int64(ss.srv.hub.online()))
	ss.srv.log.Debug("session closed", "user", ss.user, "session", ss.id, "cause", cause)
}

// tokenBucket is the per-connection send limit; rate <= 0 disables it.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func (b *tokenBucket) init(rate float64, burst int) {
	b.rate, b.burst, b.tokens = rate, float64(burst), float64(burst)
	b.last = time.Now()
}

func (b *tokenBucket) take(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
