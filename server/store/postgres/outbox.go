package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/imwasm/imwasm/server/store"
)

// The webhooks' outbox (store.Outbox). A message's event is written by
// putMany, in the message's statement; events are claimed with row locks
// skipped (FOR UPDATE SKIP LOCKED), so nodes sharing the database never
// claim one event at once.

// SetOutbox implements store.Store.
func (d *DB) SetOutbox(on bool) { d.outbox.Store(on) }

// EnqueueEvents implements store.Store: one statement for all of events.
func (d *DB) EnqueueEvents(ctx context.Context, events []store.OutboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := enqueue(ctx, d.pool, events); err != nil {
		return unavailable(err)
	}
	return nil
}

// ReplaceEvent implements store.Store.
func (d *DB) ReplaceEvent(ctx context.Context, id int64, events []store.OutboxEvent) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM outbox WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("replace event %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 || len(events) == 0 {
			return nil // replaced or finished already (another node's claim): what it became is there
		}
		return enqueue(ctx, tx, events)
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// enqueue inserts events through ex (the pool, or a transaction).
func enqueue(ctx context.Context, ex interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, events []store.OutboxEvent) error {
	ids, kinds, bodies, created := make([]string, len(events)), make([]string, len(events)), make([][]byte, len(events)), make([]int64, len(events))
	for i, e := range events {
		ids[i], kinds[i], bodies[i], created[i] = e.EventID, e.Kind, e.Body, e.Created
		if bodies[i] == nil {
			bodies[i] = []byte{} // body is NOT NULL
		}
	}
	// ORDER BY ord: ids in events' order; the first of an EventID given
	// twice wins, as one by one.
	_, err := ex.Exec(ctx, `INSERT INTO outbox(event_id, kind, body, created, due)
SELECT e, k, b, c, c FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[]) WITH ORDINALITY AS x(e, k, b, c, ord) ORDER BY ord
ON CONFLICT (event_id) DO NOTHING`, ids, kinds, bodies, created)
	if err != nil {
		return fmt.Errorf("enqueue events: %w", err)
	}
	return nil
}

// ClaimEvents implements store.Store. Rows another node is claiming are
// skipped, not waited for: each event goes to one claim.
func (d *DB) ClaimEvents(ctx context.Context, node string, now time.Time, lease time.Duration, limit int) ([]store.OutboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms := now.UnixMilli()
	rows, err := d.pool.Query(ctx, `UPDATE outbox SET claimed_by = $1, claimed_until = $2
WHERE id IN (SELECT id FROM outbox WHERE due <= $3 AND claimed_until <= $3 ORDER BY due, id LIMIT $4 FOR UPDATE SKIP LOCKED)
RETURNING id, event_id, kind, body, created, attempts, due`, node, now.Add(lease).UnixMilli(), ms, limit)
	if err != nil {
		return nil, unavailable(fmt.Errorf("claim events: %w", err))
	}
	defer rows.Close()
	type claimed struct {
		e   store.OutboxEvent
		due int64
	}
	var got []claimed
	for rows.Next() {
		var c claimed
		if err := rows.Scan(&c.e.ID, &c.e.EventID, &c.e.Kind, &c.e.Body, &c.e.Created, &c.e.Attempts, &c.due); err != nil {
			return nil, unavailable(fmt.Errorf("claim events: %w", err))
		}
		got = append(got, c)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("claim events: %w", err))
	}
	// RETURNING's order is not the subquery's: oldest first again.
	slices.SortFunc(got, func(a, b claimed) int {
		return cmp.Or(cmp.Compare(a.due, b.due), cmp.Compare(a.e.ID, b.e.ID))
	})
	out := make([]store.OutboxEvent, len(got))
	for i, c := range got {
		out[i] = c.e
	}
	return out, nil
}

// FinishEvent implements store.Store.
func (d *DB) FinishEvent(ctx context.Context, node string, id int64, retryAt time.Time) error {
	var err error
	if retryAt.IsZero() {
		_, err = d.pool.Exec(ctx, `DELETE FROM outbox WHERE id = $1`, id)
	} else {
		// Only node's own claim is released: after its lease ran out
		// another node may hold the event, and releasing it then would let
		// a third claim it too.
		_, err = d.pool.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, due = $1, claimed_by = '', claimed_until = 0 WHERE id = $2 AND claimed_by = $3`, retryAt.UnixMilli(), id, node)
	}
	if err != nil {
		return unavailable(fmt.Errorf("finish event %d: %w", id, err))
	}
	return nil
}

// DeliveredEvents implements store.Store: one statement for all of ids.
func (d *DB) DeliveredEvents(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := d.pool.Exec(ctx, `DELETE FROM outbox WHERE id = ANY($1::bigint[])`, ids); err != nil {
		return unavailable(fmt.Errorf("remove delivered events: %w", err))
	}
	return nil
}

// OutboxSize implements store.Store.
func (d *DB) OutboxSize(ctx context.Context) (int, error) {
	var n int
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, unavailable(fmt.Errorf("outbox size: %w", err))
	}
	return n, nil
}
