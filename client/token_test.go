package client

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The app is told once that a fifth of the token's life is left and once
// that it expired, by the engine's clock; a renewal starts the count again
// for the new token, which the next connection authenticates with, and a
// refused one changes nothing.
func TestTokenWillExpireExpiredAndRenew(t *testing.T) {
	h := newHarness(t, nil)
	t0 := time.UnixMilli(time.Now().UnixMilli())
	h.clock.freeze(t0)
	ms := t0.UnixMilli()
	var mu sync.Mutex
	var tokens []string
	h.srv.setAuth(func(_ int, a *pb.Auth) *pb.Frame {
		mu.Lock()
		tokens = append(tokens, a.Token)
		mu.Unlock()
		return &pb.Frame{Body: &pb.Frame_AuthOk{AuthOk: &pb.AuthOK{UserId: me, SessionId: "s", ServerTime: ms, SyncVersion: 1, HeartbeatMs: 3_600_000,
			TokenIssuedAt: ms, TokenExpiresAt: ms + 100_000}}}
	})
	c := h.connect(nil)
	// check moves the clock to t0+after, lets the engine look, and wants
	// will-expire and expired told so many times in all.
	check := func(after time.Duration, will, expired int) {
		t.Helper()
		h.clock.freeze(t0.Add(after))
		h.e.checkToken()
		eventually(t, "the events told", func() bool {
			return len(h.ev.all(EventTokenWillExpire)) == will && len(h.ev.all(EventTokenExpired)) == expired
		})
	}
	check(79_999*time.Millisecond, 0, 0)
	check(80*time.Second, 1, 0)
	if ev := h.ev.all(EventTokenWillExpire)[0]; ev.Token == nil || ev.Token.ExpiresAt != ms+100_000 || ev.Token.IssuedAt != ms {
		t.Fatalf("will-expire event %+v", ev.Token)
	}
	check(99*time.Second, 1, 0)
	check(100*time.Second, 1, 1)
	check(200*time.Second, 1, 1)

	// A refused renewal: the same token authenticates the next connection.
	errc := make(chan error, 1)
	go func() { _, err := h.e.RenewToken(context.Background(), "other"); errc <- err }()
	f, r := next[*pb.Frame_RenewToken](t, c)
	if r.RenewToken.Token != "other" {
		t.Fatalf("renewal sent %q", r.RenewToken.Token)
	}
	c.fail(f, codes.ConnTokenIncorrect)
	wantCode(t, recv(t, errc), codes.ConnTokenIncorrect)

	// An accepted one: told anew by the new token's times.
	type res struct {
		info TokenInfo
		err  error
	}
	resc := make(chan res, 1)
	go func() { info, err := h.e.RenewToken(context.Background(), "newer"); resc <- res{info, err} }()
	f, _ = next[*pb.Frame_RenewToken](t, c)
	c.reply(f, &pb.Frame_RenewTokenResult{RenewTokenResult: &pb.RenewTokenResult{TokenIssuedAt: ms + 200_000, TokenExpiresAt: ms + 300_000}})
	if got := recv(t, resc); got.err != nil || got.info.ExpiresAt != ms+300_000 {
		t.Fatalf("RenewToken: %+v", got)
	}
	check(279_999*time.Millisecond, 1, 1)
	check(280*time.Second, 2, 1)

	c.drop()
	eventually(t, "a second connection", func() bool { return h.srv.connCount() == 2 })
	mu.Lock()
	got := append([]string(nil), tokens...)
	mu.Unlock()
	if len(got) != 2 || got[0] != "token" || got[1] != "newer" {
		t.Fatalf("authenticated with %q, want token then newer", got)
	}
}

// The timer is armed by the token's times: a token with less than a fifth
// of its life left is told at once, without the test's help.
func TestTokenWillExpireArmed(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.authOK(func(ok *pb.AuthOK) {
		ok.TokenIssuedAt = ok.ServerTime - 90_000
		ok.TokenExpiresAt = ok.ServerTime + 10_000
	})
	h.connect(nil)
	ev := h.ev.next(t, EventTokenWillExpire, nil)
	if ev.Token == nil || ev.Token.ExpiresAt == 0 {
		t.Fatalf("event %+v", ev)
	}
	if n := len(h.ev.all(EventTokenExpired)); n != 0 {
		t.Fatalf("%d expired events for a token still valid", n)
	}
}
