package sqlite

import (
	"context"
	"fmt"

	"github.com/imwasm/imwasm/server/store"
)

// PutWebPush implements store.Store.
func (d *DB) PutWebPush(ctx context.Context, s store.WebPushSubscription) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		// An endpoint is one browser's: whoever subscribed it before (a
		// user who logged out there) no longer gets its pushes.
		if _, err := t.tx.Exec(`DELETE FROM webpush_subscriptions WHERE endpoint=? AND NOT (user_id=? AND device=?)`, s.Endpoint, s.User, s.Device); err != nil {
			return nil, err
		}
		_, err := t.tx.Exec(`INSERT INTO webpush_subscriptions(user_id, device, endpoint, p256dh, auth, created) VALUES (?,?,?,?,?,?)
ON CONFLICT(user_id, device) DO UPDATE SET endpoint=excluded.endpoint, p256dh=excluded.p256dh, auth=excluded.auth, created=excluded.created`,
			s.User, s.Device, s.Endpoint, s.P256dh, s.Auth, s.Created)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("keep %s's web push subscription: %w", s.User, err)
	}
	return nil
}

// DeleteWebPush implements store.Store.
func (d *DB) DeleteWebPush(ctx context.Context, user, device, endpoint string) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		if endpoint != "" {
			_, err := t.tx.Exec(`DELETE FROM webpush_subscriptions WHERE endpoint=?`, endpoint)
			return nil, err
		}
		_, err := t.tx.Exec(`DELETE FROM webpush_subscriptions WHERE user_id=? AND device=?`, user, device)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("forget a web push subscription of %s: %w", user, err)
	}
	return nil
}

// WebPushOf implements store.Store.
func (d *DB) WebPushOf(ctx context.Context, user string) ([]store.WebPushSubscription, error) {
	rows, err := d.query(ctx, `SELECT device, endpoint, p256dh, auth, created FROM webpush_subscriptions WHERE user_id=? ORDER BY device`, user)
	if err != nil {
		return nil, fmt.Errorf("web push subscriptions of %s: %w", user, err)
	}
	defer rows.Close()
	var out []store.WebPushSubscription
	for rows.Next() {
		s := store.WebPushSubscription{User: user}
		if err := rows.Scan(&s.Device, &s.Endpoint, &s.P256dh, &s.Auth, &s.Created); err != nil {
			return nil, fmt.Errorf("web push subscriptions of %s: %w", user, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("web push subscriptions of %s: %w", user, err)
	}
	return out, nil
}
