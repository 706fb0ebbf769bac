package client

import (
	"context"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// WebPush sends one Web Push request for this device: the server's VAPID
// public key (base64url) to subscribe with comes back whatever the op.
// The browser's part (the service worker, PushManager.subscribe) is the
// JavaScript's: the engine only carries the subscription to the server.
func (e *Engine) WebPush(ctx context.Context, r *pb.WebPushRequest) (string, error) {
	if err := e.closed(); err != nil {
		return "", err
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_WebPush{WebPush: r}})
	if err != nil {
		return "", err
	}
	return f.GetWebPushResult().GetVapidPublicKey(), nil
}
