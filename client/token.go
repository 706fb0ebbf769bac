package client

import (
	"context"

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
// them; guarded by Engine.mu. The engine looks at them when it learns them
// and at each heartbeat: no timer of its own (in a browser, a Go timer of
// hours keeps a JavaScript timeout, and Node, alive after the engine is
// gone).
type tokenState struct {
	TokenInfo
	learned int64     // server time (ms) the engine learned of the token: its life's start without an iat
	told    EventKind // the last of EventTokenWillExpire, EventTokenExpired emitted (0: none)
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
	e.checkToken()
	return TokenInfo{ExpiresAt: r.TokenExpiresAt, IssuedAt: r.TokenIssuedAt}, nil
}

// noteTokenLocked takes the token's times from an AuthOK or a renewal
// (its caller then calls checkToken). The same expiry again (a reconnect)
// tells nothing twice.
func (e *Engine) noteTokenLocked(expiresAt, issuedAt int64) {
	if expiresAt != e.tok.ExpiresAt {
		e.tok = tokenState{TokenInfo: TokenInfo{ExpiresAt: expiresAt, IssuedAt: issuedAt}, learned: e.cfg.Now().UnixMilli() + e.clockOffset}
	}
}

// checkToken tells the app, by the engine's clock (corrected to the
// server's), that the token will expire, or has; a token already expired
// tells only that.
func (e *Engine) checkToken() {
	e.mu.Lock()
	t := &e.tok
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

// connectRunning is Connect on an engine already running, as RongIMLib's:
// connected, it answers at once; lost, it tries now and answers how that
// went (a fatal refusal meanwhile too). A new token goes to the session
// (RenewToken) once connected: refused, it is the answer and changes
// nothing.
func (e *Engine) connectRunning(ctx context.Context, token string) (string, error) {
	// Not connected: the next attempt authenticates with the new token
	// (its Auth checks it; the old one may have expired meanwhile).
	e.mu.Lock()
	if e.status != StatusConnected && token != e.token {
		e.token, e.tok = token, tokenState{}
	}
	e.mu.Unlock()
	if err := e.awaitConnected(ctx); err != nil {
		return "", err
	}
	e.mu.Lock()
	same, user := token == e.token, e.user
	e.mu.Unlock()
	if !same {
		_, err := e.RenewToken(ctx, token)
		if codes.Of(err) == codes.InvalidParameter {
			// A server older than renewals ("frame without body"): kept for
			// the next reconnect, as Connect did then.
			e.mu.Lock()
			e.token, e.tok = token, tokenState{}
			e.mu.Unlock()
			err = nil
		}
		if err != nil {
			return "", err
		}
	}
	return user, nil
}

// awaitConnected waits for the running engine's connection: nil once
// connected; the next attempt's failure, or the refusal that stopped the
// engine, otherwise.
func (e *Engine) awaitConnected(ctx context.Context) error {
	tried := false
	for {
		e.mu.Lock()
		status, code, changed, running := e.status, e.statusCode, e.statusCh, e.running
		e.mu.Unlock()
		switch {
		case status == StatusConnected:
			return nil
		case !running && status == StatusDisconnected: // (stopping, the status comes next)
			if code == codes.Success || code == codes.ActiveDisconnect {
				code = codes.NetChannelInvalid
			}
			return codes.New(code, "disconnected while connecting")
		case status == StatusSuspended && tried:
			return codes.New(codes.NetUnavailable, "the server could not be reached: the engine keeps trying")
		case status == StatusSuspended:
			select {
			case e.retry <- struct{}{}: // try now
			default:
			}
		case status == StatusConnecting:
			tried = true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return codes.New(codes.ConnectionTimeout, "connect timed out")
		}
	}
}
