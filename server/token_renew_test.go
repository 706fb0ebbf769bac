package server_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server/auth"
)

// A connected device hands its session a newer token (Easemob's
// renewToken): the server checks it as at Auth, a refused one changes
// nothing, and the device reconnects with the new one, which outlives a
// revocation of the old.
func TestRenewToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	old := e.token(t, "alice", time.Hour)
	cut := &roomCutter{}
	alice := e.device("alice", "a1", devOpts{dialer: cut})
	if _, err := alice.Connect(ctx, old); err != nil {
		t.Fatal(err)
	}
	claims, _ := auth.Verify([]byte(appSecret), old, e.now())
	if got := alice.Token(); got.ExpiresAt != claims.ExpiresAt*1000 || got.IssuedAt != claims.IssuedAt*1000 {
		t.Fatalf("the AuthOK told %+v, want the token's exp %d and iat %d (s)", got, claims.ExpiresAt, claims.IssuedAt)
	}

	admin, err := auth.NewToken([]byte(appSecret), "app", time.Hour, true, e.now())
	if err != nil {
		t.Fatal(err)
	}
	expired := e.token(t, "alice", time.Second)
	e.clock.add(2 * time.Second) // expired expires; the next token is issued two seconds after old
	for _, tc := range []struct {
		name  string
		token string
		code  int32
	}{
		{"another user's", e.token(t, "bob", time.Hour), codes.ConnTokenIncorrect},
		{"expired", expired, codes.ConnTokenExpired},
		{"the app server's", admin, codes.ConnTokenIncorrect},
		{"not a token", "abc.def.ghi", codes.ConnTokenIncorrect},
		{"empty", "", codes.InvalidParameter},
	} {
		_, err := alice.RenewToken(ctx, tc.token)
		if codes.Of(err) != tc.code {
			t.Errorf("%s: %v, want %d", tc.name, err, tc.code)
		}
	}
	if got := alice.Token(); got.ExpiresAt != claims.ExpiresAt*1000 {
		t.Fatalf("a refused renewal changed the token's times: %+v", got)
	}

	newer := e.token(t, "alice", 3*time.Hour)
	info, err := alice.RenewToken(ctx, newer)
	if err != nil {
		t.Fatal(err)
	}
	nc, _ := auth.Verify([]byte(appSecret), newer, e.now())
	if info.ExpiresAt != nc.ExpiresAt*1000 || info.IssuedAt != nc.IssuedAt*1000 || alice.Token() != info {
		t.Fatalf("renewal answered %+v (the engine holds %+v), want exp %d iat %d (s)", info, alice.Token(), nc.ExpiresAt, nc.IssuedAt)
	}

	// Tokens issued before the newer one are revoked: the reconnect after
	// a dropped connection authenticates with the newer.
	e.rcOK(t, "user/token/expire.json", url.Values{"userId": {"alice"}, "time": {strconv.FormatInt(nc.IssuedAt*1000, 10)}})
	cut.cut()
	alice.waitFor(t, "connected again", func(_ []*client.Message, evs []client.Event) bool {
		n := 0
		for _, ev := range evs {
			if ev.Kind == client.EventStatus && ev.Status == client.StatusConnected {
				n++
			}
		}
		return n == 2
	})
	e.fence(t, alice)

	// A blocked user's renewal is refused, the session kept (NIM's block
	// without needkick): bob's, connected as usual.
	bob := e.device("bob", "b1", devOpts{})
	if _, err := bob.Connect(ctx, e.token(t, "bob", time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.nimOK(t, "user/create.action", url.Values{"accid": {"bob"}})
	e.nimOK(t, "user/block.action", url.Values{"accid": {"bob"}, "needkick": {"false"}})
	if _, err := bob.RenewToken(ctx, e.token(t, "bob", time.Hour)); codes.Of(err) != codes.ConnUserBlocked {
		t.Fatalf("a blocked user's renewal: %v, want %d", err, codes.ConnUserBlocked)
	}
}
