package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// authTokens records the token of each Auth (answered with an AuthOK).
func authTokensOf(h *harness) func() []string {
	var mu sync.Mutex
	var tokens []string
	h.srv.setAuth(func(_ int, a *pb.Auth) *pb.Frame {
		mu.Lock()
		tokens = append(tokens, a.Token)
		mu.Unlock()
		return &pb.Frame{Body: &pb.Frame_AuthOk{AuthOk: defaultAuthOK()}}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), tokens...)
	}
}

// connect(newToken) while the connection is lost (after TOKEN_EXPIRED, or
// NIM's setOptions in willReconnect): the attempt it triggers, and every
// later reconnect, authenticate with the new token (found by a review).
func TestConnectNewTokenWhileSuspended(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BackoffMin = time.Hour; c.BackoffMax = time.Hour })
	var mu sync.Mutex
	var tokens []string
	var expired atomic.Bool // "token" has expired meanwhile
	h.srv.setAuth(func(_ int, a *pb.Auth) *pb.Frame {
		mu.Lock()
		tokens = append(tokens, a.Token)
		mu.Unlock()
		if a.Token == "token" && expired.Load() {
			return &pb.Frame{Body: &pb.Frame_Error{Error: &pb.Error{Code: codes.ConnTokenExpired, Msg: "token expired"}}}
		}
		return &pb.Frame{Body: &pb.Frame_AuthOk{AuthOk: defaultAuthOK()}}
	})
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
	// The old token expires while the network is down; the app gets a new
	// one and calls connect with it.
	expired.Store(true)
	fail.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := h.e.Connect(ctx, "token2")
	mu.Lock()
	got := append([]string(nil), tokens...)
	mu.Unlock()
	if err != nil || got[len(got)-1] != "token2" {
		t.Fatalf("Connect(token2) while suspended: %v; Auth tokens %q: the new token was not used, status %d", err, got, h.e.Status())
	}
}

// A server older than renewals answers RenewTokenRequest 33003 ("frame
// without body"): connect(newToken) while connected keeps the token for
// the next reconnect, as before renewals (found by a review).
func TestConnectNewTokenOlderServer(t *testing.T) {
	h := newHarness(t, nil)
	tokens := authTokensOf(h)
	c := h.connect(nil)
	type res struct {
		user string
		err  error
	}
	ch := make(chan res, 1)
	go func() { u, err := h.e.Connect(context.Background(), "token2"); ch <- res{u, err} }()
	f, _ := next[*pb.Frame_RenewToken](t, c)
	c.fail(f, codes.InvalidParameter) // the older server's answer
	r := recv(t, ch)
	c.drop()
	eventually(t, "a reconnect", func() bool { return len(tokens()) == 2 })
	if r.err != nil || tokens()[1] != "token2" {
		t.Fatalf("Connect(token2) against an older server: %+v; reconnected with %q", r, tokens()[1])
	}
}
