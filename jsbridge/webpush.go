//go:build js && wasm

package jsbridge

import (
	"context"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// webPush carries index.js's registerWebPush and unregisterWebPush to the
// server: {op} (0 the VAPID key, 1 subscribe with {endpoint, p256dh, auth},
// 2 unsubscribe, 3 the page is in the background, 4 in the foreground),
// answering the server's VAPID public key. The service
// worker and PushManager are the JavaScript's.
func (b *Bridge) webPush(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	v := arg(args, 0)
	if err := object(v, "request"); err != nil {
		return nil, err
	}
	op, err := optInt(v, "op", 0)
	if err != nil {
		return nil, err
	}
	if op < 0 || op > int64(pb.WebPushOp_WEB_PUSH_FOREGROUND) {
		return nil, codes.New(codes.InvalidParameter, "op must be 0 to 4")
	}
	r := &pb.WebPushRequest{Op: pb.WebPushOp(op)}
	for key, dst := range map[string]*string{"endpoint": &r.Endpoint, "p256dh": &r.P256Dh, "auth": &r.Auth} {
		if *dst, err = optString(v, key); err != nil {
			return nil, err
		}
	}
	return func() (any, error) { return eng.WebPush(context.Background(), r) }, nil
}
