package client

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The connection (engine.go): Connect and its refusals, reconnecting with
// backoff, fatal answers, the heartbeat, Disconnect.

func TestNewRequiresItsConfig(t *testing.T) {
	full := Config{URL: "ws://x", AppKey: "k", DeviceID: "d", Store: newTestStore(), Dialer: &fakeServer{}}
	tests := []struct {
		name  string
		unset func(*Config)
	}{
		{"URL", func(c *Config) { c.URL = "" }},
		{"AppKey", func(c *Config) { c.AppKey = "" }},
		{"DeviceID", func(c *Config) { c.DeviceID = "" }},
		{"Store", func(c *Config) { c.Store = nil }},
		{"Dialer", func(c *Config) { c.Dialer = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := full
			tt.unset(&cfg)
			_, err := New(cfg)
			wantCode(t, err, codes.InvalidParameter)
		})
	}
	e, err := New(full)
	if err != nil {
		t.Fatal(err)
	}
	if e.UserID() != "" || e.Status() != 0 || e.MaxUploadBytes() != 0 {
		t.Errorf("a new engine: user %q status %d", e.UserID(), e.Status())
	}
}

func TestConnectRefused(t *testing.T) {
	errorFrame := func(code int32) func(int, *pb.Auth) *pb.Frame {
		return func(int, *pb.Auth) *pb.Frame {
			return &pb.Frame{Body: &pb.Frame_Error{Error: &pb.Error{Code: code, Msg: "no"}}}
		}
	}
	tests := []struct {
		name    string
		auth    func(int, *pb.Auth) *pb.Frame
		dialErr error
		want    int32
	}{
		{"bad token", errorFrame(codes.ConnTokenIncorrect), nil, codes.ConnTokenIncorrect},
		{"expired token", errorFrame(codes.ConnTokenExpired), nil, codes.ConnTokenExpired},
		{"not an AuthOK", func(int, *pb.Auth) *pb.Frame { return &pb.Frame{Body: &pb.Frame_Pong{Pong: &pb.Pong{}}} }, nil, codes.NetUnavailable},
		{"no answer", func(int, *pb.Auth) *pb.Frame { return nil }, nil, codes.ConnAckTimeout},
		{"unreachable", nil, errors.New("connection refused"), codes.NetUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			if tt.auth != nil {
				h.srv.setAuth(tt.auth)
			}
			if tt.dialErr != nil {
				h.srv.setDialErr(func(int) error { return tt.dialErr })
			}
			_, err := h.e.Connect(context.Background(), "token")
			wantCode(t, err, tt.want)
			ev := h.ev.next(t, EventStatus, func(ev Event) bool { return ev.Status == StatusDisconnected })
			if ev.Code != tt.want {
				t.Errorf("DISCONNECT code %d, want %d", ev.Code, tt.want)
			}
			// The loop has ended: no second attempt.
			if n := h.srv.dialCount(); n != 1 {
				t.Errorf("%d dials, want 1", n)
			}
			if h.e.Status() != StatusDisconnected || h.e.UserID() != "" {
				t.Errorf("status %d user %q", h.e.Status(), h.e.UserID())
			}
			// It can be tried again.
			h.srv.setAuth(nil)
			h.srv.setDialErr(nil)
			h.connect(nil)
		})
	}
}

func TestConnectTimesOut(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.setGate(make(chan struct{})) // dials wait
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := h.e.Connect(ctx, "token")
	wantCode(t, err, codes.ConnectionTimeout)
	if h.e.Status() != StatusDisconnected {
		t.Errorf("status %d", h.e.Status())
	}
	h.srv.setGate(nil)
	h.connect(nil)
}

func TestConnectAgainRenewsTheToken(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	type res struct {
		user string
		err  error
	}
	connect := func(token string) <-chan res {
		ch := make(chan res, 1)
		go func() { u, err := h.e.Connect(context.Background(), token); ch <- res{u, err} }()
		return ch
	}
	// The same token: answered at once, nothing sent.
	if r := recv(t, connect("token")); r.err != nil || r.user != me {
		t.Fatalf("Connect again with the same token: %+v", r)
	}
	// Another token goes to the session, which checks it: refused, it is
	// the answer and the old one stays.
	ch := connect("bad")
	f, _ := next[*pb.Frame_RenewToken](t, c)
	c.fail(f, codes.ConnTokenIncorrect)
	if r := recv(t, ch); codes.Of(r.err) != codes.ConnTokenIncorrect {
		t.Fatalf("Connect with a token the server refuses: %+v", r)
	}
	ch = connect("token2")
	f, _ = next[*pb.Frame_RenewToken](t, c)
	c.reply(f, &pb.Frame_RenewTokenResult{RenewTokenResult: &pb.RenewTokenResult{}})
	if r := recv(t, ch); r.err != nil || r.user != me {
		t.Fatalf("Connect while connected: %+v", r)
	}
	if h.srv.dialCount() != 1 {
		t.Error("Connect while connected dialed again")
	}
	c.drop()
	_, auth := next[*pb.Frame_Auth](t, h.srv.conn(t, 1))
	if auth.Auth.Token != "token2" {
		t.Errorf("reconnected with %q, want the renewed token", auth.Auth.Token)
	}
}

// Connect while the connection is lost tries at once and answers how that
// went (RongIMLib's), not success before anything is connected.
func TestConnectWhileSuspendedAnswersTheAttempt(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BackoffMin = time.Hour; c.BackoffMax = time.Hour })
	var fail atomic.Bool
	fail.Store(true)
	h.srv.setDialErr(func(n int) error {
		if n >= 1 && fail.Load() {
			return errors.New("unreachable")
		}
		return nil
	})
	c := h.connect(nil)
	c.drop()
	h.ev.next(t, EventStatus, func(ev Event) bool { return ev.Status == StatusSuspended })
	// The first attempt after the drop failed; the next is an hour away.
	if _, err := h.e.Connect(context.Background(), "token"); codes.Of(err) != codes.NetUnavailable {
		t.Fatalf("Connect while the server cannot be reached: %v", err)
	}
	fail.Store(false)
	user, err := h.e.Connect(context.Background(), "token")
	if err != nil || user != me || h.e.Status() != StatusConnected {
		t.Fatalf("Connect once the server is back: %q %v, status %d", user, err, h.e.Status())
	}
}

// gaps returns the times between the dials from..to (inclusive), and from
// the drop to the first.
func gaps(times []time.Time, dropped time.Time) []time.Duration {
	out := []time.Duration{times[0].Sub(dropped)}
	for i := 1; i < len(times); i++ {
		out = append(out, times[i].Sub(times[i-1]))
	}
	return out
}

func TestReconnectBacksOffAndResets(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BackoffMin = time.Millisecond; c.BackoffMax = time.Second })
	const fails = 8
	h.srv.setDialErr(func(n int) error {
		if n >= 1 && n <= fails {
			return errors.New("unreachable")
		}
		return nil
	})
	c := h.connect(nil)
	dropped := time.Now()
	c.drop()
	c = h.srv.conn(t, 1) // dial fails+1
	times := h.srv.dialTimes()
	// Each wait is at least half the backoff, which doubles from BackoffMin.
	backoff := time.Millisecond
	for i, g := range gaps(times[1:], dropped) {
		if g < backoff/2 {
			t.Errorf("wait %d: %v, want at least %v", i, g, backoff/2)
		}
		backoff *= 2
	}
	eventually(t, "the second connection", func() bool {
		n := 0
		for _, ev := range h.ev.all(EventStatus) {
			if ev.Status == StatusConnected {
				n++
			}
		}
		return n == 2
	})
	// A connection that worked starts the backoff again from BackoffMin:
	// the next wait is at most 1ms, where it would be at least 256ms.
	dropped = time.Now()
	c.drop()
	h.srv.conn(t, 2)
	if g := h.srv.dialTimes()[fails+2].Sub(dropped); g > 200*time.Millisecond {
		t.Errorf("waited %v after a good connection, want BackoffMin", g)
	}
}

func TestReconnectBackoffIsCapped(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BackoffMin = time.Millisecond; c.BackoffMax = 4 * time.Millisecond })
	const fails = 15
	h.srv.setDialErr(func(n int) error {
		if n >= 1 && n <= fails {
			return errors.New("unreachable")
		}
		return nil
	})
	c := h.connect(nil)
	dropped := time.Now()
	c.drop()
	h.srv.conn(t, 1)
	// Uncapped, the 15th wait alone would be at least 8s.
	if took := time.Since(dropped); took > 2*time.Second {
		t.Errorf("%d failed dials took %v: backoff not capped at 4ms", fails, took)
	}
	// Statuses: a SUSPEND for the drop and one after each failed attempt
	// (each attempt is CONNECTING).
	var suspends int
	for _, ev := range h.ev.all(EventStatus) {
		if ev.Status == StatusSuspended {
			suspends++
			if ev.Code != codes.NetUnavailable {
				t.Errorf("SUSPEND code %d", ev.Code)
			}
		}
	}
	if suspends != fails+1 {
		t.Errorf("%d SUSPEND events, want %d", suspends, fails+1)
	}
}

func TestFatalAnswersStopReconnecting(t *testing.T) {
	tests := []struct {
		name  string
		end   func(c *fakeConn, h *harness)
		code  int32
		dials int
	}{
		{"kicked", func(c *fakeConn, h *harness) {
			c.send(&pb.Frame{Body: &pb.Frame_Kick{Kick: &pb.Kick{Code: codes.DisconnKick, Reason: "displaced"}}})
		}, codes.DisconnKick, 1},
		{"token expired at reconnect", func(c *fakeConn, h *harness) {
			h.srv.setAuth(func(int, *pb.Auth) *pb.Frame {
				return &pb.Frame{Body: &pb.Frame_Error{Error: &pb.Error{Code: codes.ConnTokenExpired}}}
			})
			c.drop()
		}, codes.ConnTokenExpired, 2},
		{"another user's token at reconnect", func(c *fakeConn, h *harness) {
			h.srv.authOK(func(ok *pb.AuthOK) { ok.UserId = "mallory" })
			c.drop()
		}, codes.ConnTokenIncorrect, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			c := h.connect(nil)
			tt.end(c, h)
			ev := h.ev.next(t, EventStatus, func(ev Event) bool { return ev.Status == StatusDisconnected })
			if ev.Code != tt.code {
				t.Errorf("DISCONNECT code %d, want %d", ev.Code, tt.code)
			}
			if n := h.srv.dialCount(); n != tt.dials {
				t.Errorf("%d dials, want %d", n, tt.dials)
			}
			if h.e.UserID() != me {
				t.Errorf("user %q after the refusal", h.e.UserID())
			}
			_, err := h.e.SendMessage(context.Background(), text(bob, "x"), SendOptions{})
			wantCode(t, err, codes.NetChannelInvalid)
		})
	}
}

func TestErrorPushEndsTheConnectionNotTheSession(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.send(&pb.Frame{Body: &pb.Frame_Error{Error: &pb.Error{Code: codes.Timeout, Msg: "bad frame"}}})
	h.srv.conn(t, 1)
	if !c.isClosed() {
		t.Error("the connection that got an Error push was not closed")
	}
	// Malformed frames are skipped, the connection lives on.
	c2 := h.srv.conn(t, 1)
	h.ev.next(t, EventSyncFinished, nil)
	c2.sendRaw([]byte{0xff, 0xff, 0xff})
	h.barrier(c2)
	if c2.isClosed() {
		t.Error("a malformed frame closed the connection")
	}
}

func TestHeartbeat(t *testing.T) {
	h := newHarness(t, nil)
	// 100 ms, not less: on a busy machine a pong answered later than the
	// silence allowed (2.5 intervals) ended the connection, and the test
	// waited for pings on it.
	h.srv.authOK(func(ok *pb.AuthOK) { ok.HeartbeatMs = 100 })
	c := h.connect(nil)
	// Answered pings keep the connection: without input it would end after
	// 250ms, before the fifth ping.
	h.srv.pong.Store(true)
	for range 5 {
		if f, _ := next[*pb.Frame_Ping](t, c); f.Id == 0 {
			t.Fatal("a ping without request id")
		}
	}
	if c.isClosed() {
		t.Fatal("closed while pings were answered")
	}
	// Silence ends it, and the engine reconnects.
	h.srv.pong.Store(false)
	h.srv.conn(t, 1)
	if !c.isClosed() {
		t.Error("a silent connection was not closed")
	}
}

func TestDisconnect(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	h.e.Disconnect()
	if !c.isClosed() {
		t.Error("Disconnect left the connection open")
	}
	// RongIMLib's DISCONNECT after disconnect(): ACTIVE_DISCONNECT.
	ev := h.ev.next(t, EventStatus, func(ev Event) bool { return ev.Status == StatusDisconnected })
	if ev.Code != codes.ActiveDisconnect || h.e.Status() != StatusDisconnected {
		t.Errorf("DISCONNECT %+v, status %d", ev, h.e.Status())
	}
	if n := h.srv.dialCount(); n != 1 {
		t.Errorf("%d dials after Disconnect", n)
	}
	h.e.Disconnect() // twice is harmless
	m, err := h.e.SendMessage(context.Background(), text(bob, "x"), SendOptions{})
	wantCode(t, err, codes.NetChannelInvalid)
	if m == nil || m.SentStatus != StatusFailed || h.store.byID(m.MessageID).SentStatus != StatusFailed {
		t.Errorf("a send while disconnected: %+v, want FAILED", m)
	}
	// The engine connects again (nothing changed: no sync request).
	if _, err := h.e.Connect(context.Background(), "token"); err != nil {
		t.Fatal(err)
	}
	h.srv.conn(t, 1)
	eventually(t, "the second sync", func() bool { return len(h.ev.all(EventSyncFinished)) == 2 })
}

func TestPendingSendsFailAtStart(t *testing.T) {
	h := newHarness(t, nil)
	interrupted := text(bob, "x")
	interrupted.Direction, interrupted.SentStatus, interrupted.ClientMsgID, interrupted.SenderUserID = DirectionSend, StatusSending, "c1", me
	h.store.put(interrupted)
	h.store.Apply(context.Background(), &Batch{Conversations: []*ConversationState{{Conversation: bob, Contiguous: 4, LastSeq: 4}}})
	h.connect(nil)
	if m := h.store.byID(interrupted.MessageID); m.SentStatus != StatusFailed {
		t.Errorf("an interrupted send is %d, want FAILED", m.SentStatus)
	}
	if st := h.state(bob); st.Contiguous != 4 {
		t.Errorf("stored cursor not loaded: %+v", st)
	}
}
