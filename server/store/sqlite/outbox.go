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
// writer like every write. A SQLite file has one server, so claims are
// kept in memory (DB.claims, the writer's own, changed once a batch
// commits: wtx.onCommit): a claim rewrote each row,
// its message's body with it, and cost ~20 µs of server CPU per message at
// 5,000 msg/s; a server that restarts has no claims, which is what a
// lease's end gives.

// SetOutbox implements store.Store.
func (d *DB) SetOutbox(on bool) { d.outbox.Store(on) }

// EnqueueEvents implements store.Store.
func (d *DB) EnqueueEvents(ctx context.Context, events []store.OutboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) { return nil, t.enqueue(events) })
	return err
}

// ReplaceEvent implements store.Store.
func (d *DB) ReplaceEvent(ctx context.Context, id int64, events []store.OutboxEvent) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		res, err := t.tx.Exec(`DELETE FROM outbox WHERE id=?`, id)
		if err != nil {
			return nil, fmt.Errorf("replace event %d: %w", id, err)
		}
		t.onCommit(func() { delete(d.claims, id) })
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return nil, err // replaced or finished already: what it became is there
		}
		return nil, t.enqueue(events)
	})
	return err
}

func (t *wtx) enqueue(events []store.OutboxEvent) error {
	for _, e := range events {
		t.outboxID++ // writer.outboxID: never an id a claim holds
		body := e.Body
		if body == nil {
			body = []byte{} // body is NOT NULL (as PostgreSQL's store)
		}
		if _, err := t.tx.Exec(`INSERT INTO outbox(id, event_id, kind, body, created, due) VALUES (?,?,?,?,?,?) ON CONFLICT(event_id) DO NOTHING`,
			t.outboxID, e.EventID, e.Kind, body, e.Created, e.Created); err != nil {
			return fmt.Errorf("enqueue event %s: %w", e.EventID, err)
		}
	}
	return nil
}

// claim is who holds a claimed outbox event, and until when (ms).
type claim struct {
	node  string
	until int64
}

// ClaimEvents implements store.Store.
func (d *DB) ClaimEvents(ctx context.Context, node string, now time.Time, lease time.Duration, limit int) ([]store.OutboxEvent, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		ms := now.UnixMilli()
		if d.claims == nil {
			d.claims = map[int64]claim{}
		}
		for id, c := range d.claims {
			if c.until <= ms {
				delete(d.claims, id) // its lease ran out: claimable again
			}
		}
		// A message's event has its body in messages (by uid: the event
		// id's "msg." prefix off, or "stored." of one enqueued before
		// OutboxStored kept the id); one whose message is gone since (the
		// user erased, retention) comes with none.
		rows, err := t.tx.Query(`SELECT o.id, o.event_id, o.kind, CASE WHEN o.kind IN (?1, ?2) THEN m.body ELSE o.body END, o.created, o.attempts
FROM outbox o LEFT JOIN messages m ON o.kind IN (?1, ?2) AND m.uid = substr(o.event_id, instr(o.event_id, '.') + 1)
WHERE o.due <= ?3 ORDER BY o.due, o.id LIMIT ?4`, store.OutboxMessage, store.OutboxStored, ms, limit+len(d.claims))
		if err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		defer rows.Close()
		var out []store.OutboxEvent
		for rows.Next() && len(out) < limit {
			var e store.OutboxEvent
			if err := rows.Scan(&e.ID, &e.EventID, &e.Kind, &e.Body, &e.Created, &e.Attempts); err != nil {
				return nil, fmt.Errorf("claim events: %w", err)
			}
			if _, held := d.claims[e.ID]; !held && !t.claimed[e.ID] {
				out = append(out, e)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		if t.claimed == nil {
			t.claimed = map[int64]bool{}
		}
		for _, e := range out {
			t.claimed[e.ID] = true
		}
		t.onCommit(func() {
			for _, e := range out {
				d.claims[e.ID] = claim{node, now.Add(lease).UnixMilli()}
			}
		})
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]store.OutboxEvent), nil
}

// FinishEvent implements store.Store.
func (d *DB) FinishEvent(ctx context.Context, node string, id int64, retryAt time.Time) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		var err error
		if retryAt.IsZero() {
			t.onCommit(func() { delete(d.claims, id) })
			_, err = t.tx.Exec(`DELETE FROM outbox WHERE id=?`, id)
		} else if c, held := d.claims[id]; !held || c.node == node {
			t.onCommit(func() { delete(d.claims, id) })
			_, err = t.tx.Exec(`UPDATE outbox SET attempts=attempts+1, due=? WHERE id=?`, retryAt.UnixMilli(), id)
		} // else claimed by another since this claim's lease ran out: theirs to finish
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
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		t.onCommit(func() {
			for _, id := range ids {
				delete(d.claims, id)
			}
		})
		if _, err := t.tx.Exec(`DELETE FROM outbox WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...); err != nil {
			return nil, fmt.Errorf("remove %d delivered events: %w", len(ids), err)
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
