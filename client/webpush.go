package client

import (
	"context"
	"sync"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// WebPush sends one Web Push request for this device: the server's VAPID
// public key (base64url) to subscribe with comes back whatever the op.
// The browser's part (the service worker, PushManager.subscribe) is the
// JavaScript's: the engine only carries the subscription to the server.
//
// WEB_PUSH_BACKGROUND and WEB_PUSH_FOREGROUND say whether the app's page
// is in the background (its user is pushed meanwhile, by the app's
// choice). The server keeps that per connection, so the engine remembers
// it and says it in each new connection's Auth frame; said while
// disconnected, it is only remembered (the answer's key is then "").
func (e *Engine) WebPush(ctx context.Context, r *pb.WebPushRequest) (string, error) {
	if err := e.closed(); err != nil {
		return "", err
	}
	if r.Op == pb.WebPushOp_WEB_PUSH_BACKGROUND || r.Op == pb.WebPushOp_WEB_PUSH_FOREGROUND {
		return e.setBackground(ctx, r.Op == pb.WebPushOp_WEB_PUSH_BACKGROUND)
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_WebPush{WebPush: r}})
	if err != nil {
		return "", err
	}
	return f.GetWebPushResult().GetVapidPublicKey(), nil
}

// background is what the app said last of its page. mu is held while a
// change is told, so the server hears the changes in the order they were
// made, a reconnect's telling included.
type background struct {
	mu sync.Mutex
	on bool
}

func (e *Engine) setBackground(ctx context.Context, on bool) (string, error) {
	e.background.mu.Lock()
	defer e.background.mu.Unlock()
	e.background.on = on
	e.mu.Lock()
	lc := e.conn
	e.mu.Unlock()
	if lc == nil {
		return "", nil // the next connection says it
	}
	key, err := lc.tellBackground(ctx, on)
	if codes.Of(err) == codes.NetChannelInvalid {
		return "", nil // lost meanwhile: the next connection says it
	}
	return key, err
}

func (lc *liveConn) tellBackground(ctx context.Context, on bool) (string, error) {
	op := pb.WebPushOp_WEB_PUSH_FOREGROUND
	if on {
		op = pb.WebPushOp_WEB_PUSH_BACKGROUND
	}
	f, err := lc.request(ctx, &pb.Frame{Body: &pb.Frame_WebPush{WebPush: &pb.WebPushRequest{Op: op}}})
	if err != nil {
		return "", err
	}
	return f.GetWebPushResult().GetVapidPublicKey(), nil
}

// sayBackground tells a new connection's server where the page is, when
// it changed after the Auth frame said (which the session started with).
func (lc *liveConn) sayBackground(ctx context.Context) {
	e := lc.e
	e.background.mu.Lock()
	defer e.background.mu.Unlock()
	if e.background.on == lc.background {
		return
	}
	if _, err := lc.tellBackground(ctx, e.background.on); err != nil && ctx.Err() == nil {
		e.log.Log(LevelWarn, "could not say the page is in the background", "err", err.Error())
	}
}
