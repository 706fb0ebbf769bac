package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/imwasm/imwasm/server/store"
)

// The webhooks' outbox (store.Outbox). A message's event is written by
// put, in the message's transaction; claims and finishes run in the
// writer like every write.

// SetOutbox implements store.Store.
func (d *DB) SetOutbox(on bool) { d.outbox.Store(on) }

// EnqueueEvents implements store.Store.
func (d *DB) EnqueueEvents(ctx context.Context, events []store.OutboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		for _, e := range events {
			if _, err := t.tx.Exec(`INSERT INTO outbox(event_id, kind, body, created, due) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING`,
				e.EventID, e.Kind, e.Body, e.Created, e.Created); err != nil {
				return nil, fmt.Errorf("enqueue event %s: %w", e.EventID, err)
			}
		}
		return nil, nil
	})
	return err
}

// ClaimEvents implements store.Store.
func (d *DB) ClaimEvents(ctx context.Context, node string, now time.Time, lease time.Duration, limit int) ([]store.OutboxEvent, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		ms := now.UnixMilli()
		rows, err := t.tx.Query(`SELECT id, event_id, kind, body, created, attempts FROM outbox
WHERE due <= ? AND claimed_until <= ? ORDER BY due, id LIMIT ?`, ms, ms, limit)
		if err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		var out []store.OutboxEvent
		for rows.Next() {
			var e store.OutboxEvent
			if err := rows.Scan(&e.ID, &e.EventID, &e.Kind, &e.Body, &e.Created, &e.Attempts); err != nil {
				rows.Close()
				return nil, fmt.Errorf("claim events: %w", err)
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		if len(out) == 0 {
			return out, nil
		}
		ids := make([]string, len(out))
		args := []any{node, now.Add(lease).UnixMilli()}
		for i, e := range out {
			ids[i] = "?"
			args = append(args, e.ID)
		}
		if _, err := t.tx.Exec(`UPDATE outbox SET claimed_by=?, claimed_until=? WHERE id IN (`+strings.Join(ids, ",")+`)`, args...); err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]store.OutboxEvent), nil
}

// FinishEvent implements store.Store.
func (d *DB) FinishEvent(ctx context.Context, id int64, retryAt time.Time) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		var err error
		if retryAt.IsZero() {
			_, err = t.tx.Exec(`DELETE FROM outbox WHERE id=?`, id)
		} else {
			_, err = t.tx.Exec(`UPDATE outbox SET attempts=attempts+1, due=?, claimed_by='', claimed_until=0 WHERE id=?`, retryAt.UnixMilli(), id)
		}
		if err != nil {
			return nil, fmt.Errorf("finish event %d: %w", id, err)
		}
		return nil, nil
	})
	return err
}

// DeliveredEvents implements store.Store.
func (d *DB) DeliveredEvents(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		for _, id := range ids {
			if _, err := t.tx.Exec(`DELETE FROM outbox WHERE id=?`, id); err != nil {
				return nil, fmt.Errorf("remove delivered event %d: %w", id, err)
			}
		}
		return nil, nil
	})
	return err
}

// OutboxSize implements store.Store.
func (d *DB) OutboxSize(ctx context.Context) (int, error) {
	var n int
	if err := d.queryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox size: %w", err)
	}
	return n, nil
}
