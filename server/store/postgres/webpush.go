package postgres

import (
	"context"
	"fmt"

	"github.com/imwasm/imwasm/server/store"
)

// PutWebPush implements store.Store.
func (d *DB) PutWebPush(ctx context.Context, s store.WebPushSubscription) error {
	// An endpoint is one browser's: whoever subscribed it before (a user
	// who logged out there) no longer gets its pushes. One statement.
	_, err := d.pool.Exec(ctx, `WITH gone AS (DELETE FROM webpush_subscriptions WHERE endpoint = $3 AND NOT (user_id = $1 AND device = $2))
INSERT INTO webpush_subscriptions(user_id, device, endpoint, p256dh, auth, created) VALUES ($1,$2,$3,$4,$5,$6)
ON CONFLICT (user_id, device) DO UPDATE SET endpoint=excluded.endpoint, p256dh=excluded.p256dh, auth=excluded.auth, created=excluded.created`,
		s.User, s.Device, s.Endpoint, s.P256dh, s.Auth, s.Created)
	if err != nil {
		return unavailable(fmt.Errorf("keep %s's web push subscription: %w", s.User, err))
	}
	return nil
}

// DeleteWebPush implements store.Store.
func (d *DB) DeleteWebPush(ctx context.Context, user, device, endpoint string) error {
	var err error
	if endpoint != "" {
		_, err = d.pool.Exec(ctx, `DELETE FROM webpush_subscriptions WHERE endpoint=$1`, endpoint)
	} else {
		_, err = d.pool.Exec(ctx, `DELETE FROM webpush_subscriptions WHERE user_id=$1 AND device=$2`, user, device)
	}
	if err != nil {
		return unavailable(fmt.Errorf("forget a web push subscription of %s: %w", user, err))
	}
	return nil
}

// WebPushOf implements store.Store.
func (d *DB) WebPushOf(ctx context.Context, user string) ([]store.WebPushSubscription, error) {
	rows, err := d.pool.Query(ctx, `SELECT device, endpoint, p256dh, auth, created FROM webpush_subscriptions WHERE user_id=$1 ORDER BY device`, user)
	if err != nil {
		return nil, unavailable(fmt.Errorf("web push subscriptions of %s: %w", user, err))
	}
	defer rows.Close()
	var out []store.WebPushSubscription
	for rows.Next() {
		s := store.WebPushSubscription{User: user}
		if err := rows.Scan(&s.Device, &s.Endpoint, &s.P256dh, &s.Auth, &s.Created); err != nil {
			return nil, unavailable(fmt.Errorf("web push subscriptions of %s: %w", user, err))
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("web push subscriptions of %s: %w", user, err))
	}
	return out, nil
}
