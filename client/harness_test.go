package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The engine's own tests run it against a fake server: fakeServer is its
// Dialer, and each fakeConn is a connection whose server side the test plays
// frame by frame (docs/protocol.md). A connection answers Auth by itself
// (AuthOK unless the test says otherwise); everything else — sync results,
// pulls, send acks, pushes, errors, drops — the test scripts, and it reads
// what the engine wrote with next.
//
// Time: the engine's timers (GapWait, AckInterval, backoff, SendTimeout)
// are set small, and tests wait on conditions (a frame written, an event
// emitted), never for time to pass. A negative ("no pull was made") is
// proved with a barrier: something the engine does in order after the thing
// that must not have happened (frames of one connection and events are
// both in order).

// waitLimit is how long a test waits for a condition before it fails.
const waitLimit = 10 * time.Second

// eventually polls cond until it holds, failing the test after waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

const me = "me"

var (
	bob   = Conversation{Type: Private, TargetID: "bob"}
	carol = Conversation{Type: Private, TargetID: "carol"}
	grp   = Conversation{Type: Group, TargetID: "g1"}
	// baseTime is the sent time of sequence number 0 in every conversation
	// (recent: receipt requests older than a day are ignored).
	baseTime = time.Now().Add(-time.Hour).UnixMilli()
)

func uidOf(c Conversation, seq uint64) string {
	return c.TargetID + "-" + strconv.FormatUint(seq, 10)
}

// wire is the stored message seq of c as the server delivers it, sent by
// sender (in a private chat, the peer or me).
func wire(c Conversation, sender string, seq uint64) *pb.Message {
	w := &pb.Message{
		Uid: uidOf(c, seq), ConvType: pb.ConversationType(c.Type), FromUser: sender, To: c.TargetID, Channel: c.ChannelID,
		Seq: seq, SentTime: baseTime + int64(seq)*1000, ClientMsgId: "cid-" + uidOf(c, seq),
		ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"` + uidOf(c, seq) + `"}`), IsPersisted: true, IsCounted: true,
	}
	if c.Type == Private && sender != me {
		w.To = me
	}
	return w
}

// from is wire for messages of others: in a private chat the peer, in a
// group "carol".
func from(c Conversation, seq uint64) *pb.Message {
	if c.Type == Private {
		return wire(c, c.TargetID, seq)
	}
	return wire(c, "carol", seq)
}

// userLog is the conversation of this user's log.
var userLog = Conversation{Type: int32(pb.ConversationType_USER_LOG), TargetID: me}

// logEntry is entry seq of this user's log.
func logEntry(seq uint64, e *pb.LogEntry) *pb.Message {
	w := wire(userLog, me, seq)
	w.ObjectName, w.Content, w.Log = "IM:Log", nil, e
	return w
}

func wconv(c Conversation) *pb.Conversation { return wireConv(c) }

// fakeServer is the engine's Dialer.
type fakeServer struct {
	mu      sync.Mutex
	auth    func(n int, a *pb.Auth) *pb.Frame // answer to dial n's Auth (nil: close instead)
	dialErr func(n int) error
	gate    chan struct{} // when set, each Dial waits for a value
	dials   []time.Time
	conns   []*fakeConn
	pong    atomic.Bool // answer pings at once
}

func (s *fakeServer) Dial(ctx context.Context, url string) (Conn, error) {
	s.mu.Lock()
	n := len(s.dials)
	s.dials = append(s.dials, time.Now())
	gate, dialErr := s.gate, s.dialErr
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if dialErr != nil {
		if err := dialErr(n); err != nil {
			return nil, err
		}
	}
	c := &fakeConn{srv: s, n: n, in: make(chan []byte, 8192), eof: make(chan struct{}), closed: make(chan struct{}), taken: map[reflect.Type]int{}}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	return c, nil
}

// setGate makes the next dials wait for a value from gate (nil: not).
func (s *fakeServer) setGate(gate chan struct{}) {
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
}

// setDialErr makes dial n fail with dialErr(n) when that is not nil.
func (s *fakeServer) setDialErr(dialErr func(n int) error) {
	s.mu.Lock()
	s.dialErr = dialErr
	s.mu.Unlock()
}

// setAuth changes how the next connections' Auth frames are answered.
func (s *fakeServer) setAuth(f func(n int, a *pb.Auth) *pb.Frame) {
	s.mu.Lock()
	s.auth = f
	s.mu.Unlock()
}

// authOK answers every Auth with an AuthOK for me, changed by mod.
func (s *fakeServer) authOK(mod func(ok *pb.AuthOK)) {
	s.setAuth(func(int, *pb.Auth) *pb.Frame {
		ok := defaultAuthOK()
		if mod != nil {
			mod(ok)
		}
		return &pb.Frame{Body: &pb.Frame_AuthOk{AuthOk: ok}}
	})
}

func defaultAuthOK() *pb.AuthOK {
	return &pb.AuthOK{UserId: me, SessionId: "s", ServerTime: time.Now().UnixMilli(), SyncVersion: 1, HeartbeatMs: 3_600_000}
}

func (s *fakeServer) answerAuth(n int, a *pb.Auth) *pb.Frame {
	s.mu.Lock()
	f := s.auth
	s.mu.Unlock()
	if f == nil {
		return &pb.Frame{Body: &pb.Frame_AuthOk{AuthOk: defaultAuthOK()}}
	}
	return f(n, a)
}

func (s *fakeServer) dialCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.dials)
}

func (s *fakeServer) dialTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.dials...)
}

// conn waits for the i-th connection (0: the first) to be made.
func (s *fakeServer) conn(t *testing.T, i int) *fakeConn {
	t.Helper()
	var c *fakeConn
	eventually(t, fmt.Sprintf("connection %d", i), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.conns) > i {
			c = s.conns[i]
		}
		return c != nil
	})
	return c
}

func (s *fakeServer) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// fakeConn is one connection; the test plays the server's side.
type fakeConn struct {
	srv       *fakeServer
	n         int
	in        chan []byte   // frames to the engine
	eof       chan struct{} // the server closed the connection
	closed    chan struct{} // the engine closed it
	eofOnce   sync.Once
	closeOnce sync.Once

	mu     sync.Mutex
	out    []*pb.Frame          // what the engine wrote, in order
	taken  map[reflect.Type]int // next's position per body type
	refuse func(*pb.Frame) bool // writes it refuses (a broken connection)
}

var errConnClosed = errors.New("fake connection closed")

func (c *fakeConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.in:
		return b, nil
	default:
	}
	select {
	case b := <-c.in:
		return b, nil
	case <-c.closed:
		return nil, errConnClosed
	case <-c.eof:
		select { // what the server wrote before closing arrives first
		case b := <-c.in:
			return b, nil
		default:
			return nil, io.EOF
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *fakeConn) Write(ctx context.Context, b []byte) error {
	select {
	case <-c.closed:
		return errConnClosed
	case <-c.eof:
		return errConnClosed
	default:
	}
	f := &pb.Frame{}
	if err := f.Unmarshal(b); err != nil {
		return fmt.Errorf("engine wrote a malformed frame: %w", err)
	}
	c.mu.Lock()
	if c.refuse != nil && c.refuse(f) {
		c.mu.Unlock()
		return errConnClosed
	}
	c.out = append(c.out, f)
	c.mu.Unlock()
	if f.GetPing() != nil && c.srv.pong.Load() {
		c.send(&pb.Frame{Id: f.Id, Body: &pb.Frame_Pong{Pong: &pb.Pong{ServerTime: time.Now().UnixMilli()}}})
	}
	if a := f.GetAuth(); a != nil {
		if ans := c.srv.answerAuth(c.n, a); ans != nil {
			ans.Id = f.Id
			c.send(ans)
		} else {
			c.drop()
		}
	}
	return nil
}

func (c *fakeConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// refuseWrites makes the writes for which refuse holds fail.
func (c *fakeConn) refuseWrites(refuse func(*pb.Frame) bool) {
	c.mu.Lock()
	c.refuse = refuse
	c.mu.Unlock()
}

// isClosed reports whether the engine closed the connection.
func (c *fakeConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// send writes f to the engine.
func (c *fakeConn) send(f *pb.Frame) {
	b, err := f.Marshal()
	if err != nil {
		panic(err)
	}
	c.in <- b
}

// sendRaw writes bytes that need not be a frame.
func (c *fakeConn) sendRaw(b []byte) { c.in <- b }

// reply answers the request req with body.
func (c *fakeConn) reply(req *pb.Frame, body any) {
	f := &pb.Frame{Id: req.Id}
	reflect.ValueOf(f).Elem().FieldByName("Body").Set(reflect.ValueOf(body))
	c.send(f)
}

// ok answers req with OK.
func (c *fakeConn) ok(req *pb.Frame) { c.reply(req, &pb.Frame_Ok{Ok: &pb.OK{}}) }

// fail answers req with an Error.
func (c *fakeConn) fail(req *pb.Frame, code int32) {
	c.reply(req, &pb.Frame_Error{Error: &pb.Error{Code: code, Msg: "refused"}})
}

// push delivers stored messages (one Push frame, so one batch).
func (c *fakeConn) push(ms ...*pb.Message) {
	c.send(&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Messages: ms}}})
}

// drop closes the connection from the server's side.
func (c *fakeConn) drop() { c.eofOnce.Do(func() { close(c.eof) }) }

// next returns the next frame the engine wrote on c whose body is a T (each
// body type has its own position), waiting for it.
func next[T any](t *testing.T, c *fakeConn) (*pb.Frame, T) {
	t.Helper()
	typ := reflect.TypeFor[T]()
	var (
		f    *pb.Frame
		body T
	)
	eventually(t, "the engine to write a "+typ.String(), func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i := c.taken[typ]; i < len(c.out); i++ {
			if b, ok := c.out[i].Body.(T); ok {
				f, body = c.out[i], b
				c.taken[typ] = i + 1
				return true
			}
		}
		c.taken[typ] = len(c.out)
		return false
	})
	return f, body
}

// written returns every frame body of type T the engine wrote on c so far.
func written[T any](c *fakeConn) []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []T
	for _, f := range c.out {
		if b, ok := f.Body.(T); ok {
			out = append(out, b)
		}
	}
	return out
}

// count is the number of frames the engine wrote on c.
func (c *fakeConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.out)
}

// recorder keeps the engine's events.
type recorder struct {
	mu    sync.Mutex
	evs   []Event
	taken map[EventKind]int
}

func (r *recorder) on(evs []Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
}

// next returns the next event of kind for which match holds (nil: any),
// skipping the others of that kind.
func (r *recorder) next(t *testing.T, kind EventKind, match func(Event) bool) Event {
	t.Helper()
	var ev Event
	eventually(t, fmt.Sprintf("an event of kind %d", kind), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.taken == nil {
			r.taken = map[EventKind]int{}
		}
		for i := r.taken[kind]; i < len(r.evs); i++ {
			if r.evs[i].Kind != kind {
				continue
			}
			r.taken[kind] = i + 1
			if match == nil || match(r.evs[i]) {
				ev = r.evs[i]
				return true
			}
		}
		r.taken[kind] = len(r.evs)
		return false
	})
	return ev
}

// all returns every event of kind so far.
func (r *recorder) all(kind EventKind) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, ev := range r.evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// testClock is the engine's Config.Now: real time moved by an offset the
// test changes, or frozen.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen
	}
	return time.Now().Add(c.offset)
}

// freeze stops the clock at t.
func (c *testClock) freeze(t time.Time) {
	c.mu.Lock()
	c.frozen = t
	c.mu.Unlock()
}

// advance moves the clock forward by d.
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	if c.frozen.IsZero() {
		c.offset += d
	} else {
		c.frozen = c.frozen.Add(d)
	}
	c.mu.Unlock()
}

// harness is one engine on a testStore, its fake server and its events.
type harness struct {
	t     *testing.T
	e     *Engine
	srv   *fakeServer
	store *testStore
	ev    *recorder
	clock *testClock

	barrierSeq uint64 // see barrier
}

// newHarness returns an engine with short timers (mod may change them),
// disconnected at the end of the test.
func newHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, srv: &fakeServer{}, store: newTestStore(), ev: &recorder{}, clock: &testClock{}}
	cfg := Config{
		URL: "ws://fake/v1/ws", AppKey: "app", DeviceID: "dev", Store: h.store, Dialer: h.srv, OnEvents: h.ev.on,
		SendTimeout: waitLimit, BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		AckInterval: 20 * time.Millisecond, GapWait: 20 * time.Millisecond, Now: h.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	t.Cleanup(e.Close) // stops every goroutine the engine started
	return h
}

// connect connects and answers the first sync with res (nil: nothing
// changed), then waits for the sync to finish. It returns the connection.
func (h *harness) connect(res *pb.SyncResult) *fakeConn {
	h.t.Helper()
	n := h.srv.connCount()
	user, err := h.e.Connect(context.Background(), "token")
	if err != nil {
		h.t.Fatalf("Connect: %v", err)
	}
	if user != me {
		h.t.Fatalf("Connect: user %q", user)
	}
	c := h.srv.conn(h.t, n)
	h.sync(c, res)
	return c
}

// sync answers the SyncRequest on c with res (nil: nothing changed) and
// waits for the sync to finish.
func (h *harness) sync(c *fakeConn, res *pb.SyncResult) *pb.SyncRequest {
	h.t.Helper()
	f, req := next[*pb.Frame_Sync](h.t, c)
	if res == nil {
		res = &pb.SyncResult{Version: 1}
	}
	c.reply(f, &pb.Frame_SyncResult{SyncResult: res})
	h.ev.next(h.t, EventSyncFinished, nil)
	return req.Sync
}

// messages waits for the next MESSAGES event and returns its messages.
func (h *harness) messages() []*Message {
	h.t.Helper()
	return h.ev.next(h.t, EventMessages, nil).Messages
}

// seqs are the sequence numbers of ms.
func seqs(ms []*Message) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

// emitted returns the sequence numbers of every message of c emitted so far.
func (h *harness) emitted(c Conversation) []uint64 {
	var out []uint64
	for _, ev := range h.ev.all(EventMessages) {
		for _, m := range ev.Messages {
			if m.Conversation == c {
				out = append(out, m.Seq)
			}
		}
	}
	return out
}

// state is a copy of the engine's cursor of c.
func (h *harness) state(c Conversation) ConversationState {
	h.e.seqMu.Lock()
	defer h.e.seqMu.Unlock()
	if st := h.e.convs[c.Key()]; st != nil {
		return *st
	}
	return ConversationState{}
}

// send starts SendMessage of a text to c and returns the frame it wrote and
// a channel with its result.
func (h *harness) send(c *fakeConn, conv Conversation, opts SendOptions) (*pb.Frame, *pb.SendRequest, <-chan sendResult) {
	h.t.Helper()
	ch := make(chan sendResult, 1)
	go func() {
		m, err := h.e.SendMessage(context.Background(), text(conv, "hello"), opts)
		ch <- sendResult{m, err}
	}()
	f, body := next[*pb.Frame_Send](h.t, c)
	return f, body.Send, ch
}

type sendResult struct {
	m   *Message
	err error
}

func text(c Conversation, s string) *Message {
	return &Message{Conversation: c, ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"` + s + `"}`), IsPersisted: true, IsCounted: true}
}

func result(t *testing.T, ch <-chan sendResult) (*Message, error) {
	t.Helper()
	r := recv(t, ch)
	return r.m, r.err
}

// recv waits for a value from ch (an API call's result).
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatal("timed out waiting for a call to return")
		var zero T
		return zero
	}
}

// sendAck answers a SendRequest as the server does for its first commit.
func sendAck(req *pb.SendRequest, seq uint64) *pb.Frame_SendAck {
	return &pb.Frame_SendAck{SendAck: &pb.SendAck{
		MessageUid: "own-" + req.GetConv().GetTarget() + "-" + strconv.FormatUint(seq, 10), Seq: seq, SentTime: baseTime + int64(seq)*1000, ClientMsgId: req.ClientMsgId,
	}}
}

func wantCode(t *testing.T, err error, code int32) {
	t.Helper()
	if got := codes.Of(err); got != code {
		t.Fatalf("error %v: code %d, want %d", err, got, code)
	}
}
