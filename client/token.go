package client

import (
	"context"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// TokenInfo is what the server said of the session's token: its expiry
// and issue time, unix ms (0: a token without expiry, or no issue time).
type TokenInfo struct {
	ExpiresAt int64
	IssuedAt  int64
}

// tokenState is the engine's token's times and what the app was told of
// them; guarded by Engine.mu.
type tokenState struct {
	TokenInfo
	learned int64       // server time (ms) the engine learned of the token: its life's start without an iat
	told    EventKind   // the last of EventTokenWillExpire, EventTokenExpired emitted (0: none)
	timer   *time.Timer // due at the next of the two
}

func (t *tokenState) stopLocked() {
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

// willExpireAt is when a fifth of the token's life is left (Easemob's
// onTokenWillExpire).
func (t *tokenState) willExpireAt() int64 {
	start := t.IssuedAt
	if start <= 0 || start >= t.ExpiresAt {
		start = t.learned
	}
	return t.ExpiresAt - max(t.ExpiresAt-start, 0)/5
}

// RenewToken hands the connected session a newer token of this user: the
// server checks it as when connecting (ConnTokenExpired, ConnTokenIncorrect
// for another user's, ConnUserBlocked) and the engine reconnects with it
// from then on; a refused token changes nothing.
func (e *Engine) RenewToken(ctx context.Context, token string) (TokenInfo, error) {
	if err := e.closed(); err != nil {
		return TokenInfo{}, err
	}
	if token == "" || len(token) > 4096 {
		return TokenInfo{}, codes.New(codes.InvalidParameter, "token must be 1-4,096 bytes")
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_RenewToken{RenewToken: &pb.RenewTokenRequest{Token: token}}})
	if err != nil {
		return TokenInfo{}, err
	}
	r := f.GetRenewTokenResult()
	if r == nil {
		return TokenInfo{}, codes.New(codes.NetUnavailable, "unexpected answer to a token renewal")
	}
	e.mu.Lock()
	if e.running {
		e.token = token
		e.noteTokenLocked(r.TokenExpiresAt, r.TokenIssuedAt)
	}
	e.mu.Unlock()
	return TokenInfo{ExpiresAt: r.TokenExpiresAt, IssuedAt: r.TokenIssuedAt}, nil
}

// noteTokenLocked takes the token's times from an AuthOK or a renewal and
// schedules what the app is to be told. The same expiry again (a
// reconnect) tells nothing twice.
func (e *Engine) noteTokenLocked(expiresAt, issuedAt int64) {
	t := &e.tok
	if expiresAt != t.ExpiresAt {
		t.stopLocked()
		*t = tokenState{TokenInfo: TokenInfo{ExpiresAt: expiresAt, IssuedAt: issuedAt}, learned: e.cfg.Now().UnixMilli() + e.clockOffset}
	}
	e.armTokenLocked()
}

// armTokenLocked schedules checkToken for the next time the app is to be
// told something: due by the engine's clock (corrected to the server's),
// the timer itself real.
func (e *Engine) armTokenLocked() {
	t := &e.tok
	if t.timer != nil || t.ExpiresAt <= 0 || t.told == EventTokenExpired {
		return
	}
	due := t.ExpiresAt
	if t.told == 0 {
		due = t.willExpireAt()
	}
	wait := time.Duration(due-(e.cfg.Now().UnixMilli()+e.clockOffset)) * time.Millisecond
	t.timer = e.timers.AfterFunc(max(wait, time.Millisecond), e.checkToken)
}

// checkToken tells the app that the token will expire, or has; a token
// already expired tells only that.
func (e *Engine) checkToken() {
	e.mu.Lock()
	t := &e.tok
	t.timer = nil
	var kind EventKind
	if now := e.cfg.Now().UnixMilli() + e.clockOffset; e.running && t.ExpiresAt > 0 {
		switch {
		case now >= t.ExpiresAt && t.told != EventTokenExpired:
			kind = EventTokenExpired
		case now >= t.willExpireAt() && t.told == 0:
			kind = EventTokenWillExpire
		}
	}
	if kind != 0 {
		t.told = kind
	}
	info := t.TokenInfo
	if e.running {
		e.armTokenLocked()
	}
	e.mu.Unlock()
	if kind != 0 {
		e.emit(Event{Kind: kind, Token: &info})
	}
}

// Token is what the server said of the token last authenticated with or
// renewed to (zero before the first connection).
func (e *Engine) Token() TokenInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tok.TokenInfo
}
