package client_test

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// loopback is a Dialer whose connections answer in place of a server:
// AuthOK for user "alice", an empty sync, pongs, and whatever a test
// pushes. It starts no goroutine of its own, so the engine's are all there
// is to count.
type loopback struct {
	mu    sync.Mutex
	conns []*loopConn
	hold  bool // Dial waits for its context instead of connecting
}

func (d *loopback) Dial(ctx context.Context, _ string) (client.Conn, error) {
	if d.hold {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	c := &loopConn{in: make(chan []byte, 64), closed: make(chan struct{})}
	d.mu.Lock()
	d.conns = append(d.conns, c)
	d.mu.Unlock()
	return c, nil
}

func (d *loopback) last() *loopConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns[len(d.conns)-1]
}

type loopConn struct {
	in     chan []byte
	once   sync.Once
	closed chan struct{}
}

func (c *loopConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.in:
		return b, nil
	case <-c.closed:
		return nil, errors.New("closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *loopConn) Write(_ context.Context, b []byte) error {
	f := &pb.Frame{}
	if err := f.Unmarshal(b); err != nil {
		return err
	}
	var answer pb.Frame
	switch f.Body.(type) {
	case *pb.Frame_Auth:
		answer.Body = &pb.Frame_AuthOk{AuthOk: &pb.AuthOK{UserId: "alice", HeartbeatMs: 3_600_000}}
	case *pb.Frame_Sync:
		answer.Body = &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 1}}
	case *pb.Frame_Ping:
		answer.Body = &pb.Frame_Pong{Pong: &pb.Pong{}}
	default:
		return nil // acks; other requests are never answered
	}
	answer.Id = f.Id
	c.push(&answer)
	return nil
}

func (c *loopConn) push(f *pb.Frame) {
	b, _ := f.Marshal()
	select {
	case c.in <- b:
	case <-c.closed:
	}
}

func (c *loopConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *loopConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// events records what an engine emits.
type events struct {
	mu   sync.Mutex
	list []client.Event
}

func (r *events) on(evs []client.Event) {
	r.mu.Lock()
	r.list = append(r.list, evs...)
	r.mu.Unlock()
}

func (r *events) has(kind client.EventKind) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.list {
		if ev.Kind == kind {
			return true
		}
	}
	return false
}

func (r *events) last() client.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.list[len(r.list)-1]
}

// eventually waits, polling, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newLoopEngine(t *testing.T, d *loopback, rec *events) *client.Engine {
	t.Helper()
	e, err := client.New(client.Config{
		URL: "ws://loopback/v1/ws", AppKey: "app", DeviceID: "dev", Store: memstore.New(), Dialer: d,
		OnEvents: rec.on,
		// Timers that are pending when Close comes: it stops them.
		AckInterval: time.Hour, GapWait: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCloseStopsEveryGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	d, rec := &loopback{}, &events{}
	e := newLoopEngine(t, d, rec)
	if _, err := e.Connect(context.Background(), "token"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sync finished", func() bool { return rec.has(client.EventSyncFinished) })
	// A message (arms the ack timer), one after a gap (the gap timer) and
	// a typing status (the typing timer).
	conv := &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}
	msg := func(seq uint64) *pb.Message {
		return &pb.Message{ConvType: pb.ConversationType_PRIVATE, FromUser: "bob", To: "alice", Seq: seq,
			Uid: "u" + string(rune('0'+seq)), ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`), SentTime: int64(seq)}
	}
	d.last().push(&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{
		Messages: []*pb.Message{msg(1), msg(3)},
		Typing:   []*pb.TypingUpdate{{Conv: conv, UserId: "bob", TypeName: "RC:TxtMsg"}},
	}}})
	eventually(t, "the message and the typing status", func() bool {
		return rec.has(client.EventMessages) && rec.has(client.EventTyping)
	})

	e.Close()
	if !d.last().isClosed() {
		t.Error("the connection is open after Close")
	}
	if ev := rec.last(); ev.Kind != client.EventStatus || ev.Status != client.StatusDisconnected {
		t.Errorf("the last event before Close returned is %+v, want the status DISCONNECTED", ev)
	}
	eventually(t, "the engine's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })

	done := make(chan struct{})
	go func() { e.Close(); close(done) }() // again: nothing to do
	e.Close()
	<-done
}

func TestCallsAfterCloseAnswerClientNotInit(t *testing.T) {
	e := newLoopEngine(t, &loopback{}, &events{})
	if _, err := e.Connect(context.Background(), "token"); err != nil {
		t.Fatal(err)
	}
	e.Close()
	// Every exported method that answers an error, whatever its arguments:
	// the check comes first.
	v := reflect.ValueOf(e)
	errType := reflect.TypeFor[error]()
	ctxType := reflect.TypeFor[context.Context]()
	n := 0
	for i := range v.NumMethod() {
		m, name := v.Method(i), v.Type().Method(i).Name
		mt := m.Type()
		if mt.NumOut() == 0 || mt.Out(mt.NumOut()-1) != errType {
			continue
		}
		t.Run(name, func(t *testing.T) {
			args := make([]reflect.Value, mt.NumIn())
			for j := range args {
				args[j] = reflect.Zero(mt.In(j))
				if mt.In(j) == ctxType {
					args[j] = reflect.ValueOf(context.Background())
				}
			}
			out := m.Call(args)
			err, _ := out[len(out)-1].Interface().(error)
			if codes.Of(err) != codes.ClientNotInit {
				t.Fatalf("%s after Close: %v, want code %d", name, err, codes.ClientNotInit)
			}
		})
		n++
	}
	if n < 20 {
		t.Fatalf("only %d methods checked", n)
	}
}

// A Connect still waiting for its first connection returns when the
// engine is disconnected or closed, rather than waiting for ever.
func TestConnectReturnsWhenStopped(t *testing.T) {
	for _, tt := range []struct {
		name string
		stop func(*client.Engine)
		want int32
	}{
		{"Disconnect", (*client.Engine).Disconnect, codes.NetChannelInvalid},
		{"Close", (*client.Engine).Close, codes.ClientNotInit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &events{}
			e := newLoopEngine(t, &loopback{hold: true}, rec)
			defer e.Close()
			errc := make(chan error, 1)
			go func() {
				_, err := e.Connect(context.Background(), "token")
				errc <- err
			}()
			eventually(t, "connecting", func() bool { return e.Status() == client.StatusConnecting })
			tt.stop(e)
			select {
			case err := <-errc:
				if codes.Of(err) != tt.want {
					t.Fatalf("Connect answered %v, want code %d", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Connect still waits after " + tt.name)
			}
		})
	}
}
