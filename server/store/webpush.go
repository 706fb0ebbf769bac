package store

import "context"

// WebPushSubscription is one device's Web Push subscription (RFC 8030):
// where the push service takes its messages, and the keys they are
// encrypted to (RFC 8291).
type WebPushSubscription struct {
	User     string
	Device   string
	Endpoint string
	P256dh   string // base64url
	Auth     string // base64url
	Created  int64  // unix ms
}

// WebPush keeps the Web Push subscriptions: one per device of a user.
type WebPush interface {
	// PutWebPush keeps s, replacing its device's subscription and any
	// other's at the same endpoint (one browser, another user before).
	PutWebPush(ctx context.Context, s WebPushSubscription) error
	// DeleteWebPush forgets user's device's subscription, or, with
	// endpoint set, the subscription at endpoint whoever's it is (the
	// push service said it is gone). Forgetting none is no error.
	DeleteWebPush(ctx context.Context, user, device, endpoint string) error
	// WebPushOf lists user's subscriptions, by device.
	WebPushOf(ctx context.Context, user string) ([]WebPushSubscription, error)
}
