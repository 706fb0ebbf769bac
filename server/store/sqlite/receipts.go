package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Receipts (store.Receipts) on SQLite: see migration 4.

// AddReads implements store.Receipts.
func (d *DB) AddReads(ctx context.Context, convID, reader string, reads []store.Read, entry *pb.Message) ([]store.Read, *pb.Message, error) {
	type res struct {
		added []store.Read
		entry *pb.Message
	}
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		var added []store.Read
		for _, r := range reads {
			x, err := t.tx.Exec(`INSERT INTO receipt_readers(conv_id, uid, reader, read_time, sent_time, content) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
				convID, r.UID, reader, r.Time, r.SentTime, r.Content)
			if err != nil {
				return nil, fmt.Errorf("add reader of %s: %w", r.UID, err)
			}
			if n, _ := x.RowsAffected(); n == 0 {
				continue // read before: receipts are idempotent
			}
			r.Reader = reader
			added = append(added, r)
			if _, err := t.tx.Exec(`INSERT INTO receipt_counts(conv_id, uid, read_count, sent_time) VALUES (?,?,1,?)
ON CONFLICT (conv_id, uid) DO UPDATE SET read_count = read_count + 1`, convID, r.UID, r.SentTime); err != nil {
				return nil, fmt.Errorf("count reader of %s: %w", r.UID, err)
			}
		}
		if len(added) == 0 || entry == nil {
			return res{added: added}, nil
		}
		for _, r := range added {
			entry.Log.RespondedUids = append(entry.Log.RespondedUids, r.UID)
		}
		stored, err := t.appendLog(entry)
		if err != nil {
			return nil, err
		}
		return res{added, stored}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	r := v.(res)
	return r.added, r.entry, nil
}

// FlushReceipts implements store.Receipts.
func (d *DB) FlushReceipts(ctx context.Context, convID, uid string, entry func([]store.Read, int) *pb.Message) (*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		rows, err := t.tx.Query(`SELECT reader, read_time, sent_time, content FROM receipt_readers WHERE conv_id=? AND uid=? AND notified=0 ORDER BY read_time, reader`, convID, uid)
		if err != nil {
			return nil, fmt.Errorf("readers to notify of %s: %w", uid, err)
		}
		var readers []store.Read
		for rows.Next() {
			r := store.Read{UID: uid}
			if err := rows.Scan(&r.Reader, &r.Time, &r.SentTime, &r.Content); err != nil {
				rows.Close()
				return nil, fmt.Errorf("readers to notify of %s: %w", uid, err)
			}
			readers = append(readers, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("readers to notify of %s: %w", uid, err)
		}
		if len(readers) == 0 {
			return (*pb.Message)(nil), nil
		}
		if _, err := t.tx.Exec(`UPDATE receipt_readers SET notified=1 WHERE conv_id=? AND uid=? AND notified=0`, convID, uid); err != nil {
			return nil, fmt.Errorf("mark readers of %s notified: %w", uid, err)
		}
		var count int
		if err := t.tx.QueryRow(`SELECT read_count FROM receipt_counts WHERE conv_id=? AND uid=?`, convID, uid).Scan(&count); err != nil {
			return nil, fmt.Errorf("read count of %s: %w", uid, err)
		}
		e := entry(readers, count)
		if e == nil {
			return (*pb.Message)(nil), nil
		}
		return t.appendLog(e)
	})
	if err != nil {
		return nil, err
	}
	return v.(*pb.Message), nil
}

// Unnotified implements store.Receipts.
func (d *DB) Unnotified(ctx context.Context) ([][2]string, error) {
	rows, err := d.query(ctx, `SELECT DISTINCT conv_id, uid FROM receipt_readers WHERE notified=0`)
	if err != nil {
		return nil, fmt.Errorf("unnotified receipts: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, fmt.Errorf("unnotified receipts: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Readers implements store.Receipts.
func (d *DB) Readers(ctx context.Context, convID, uid string) ([]store.Read, int, error) {
	rows, err := d.query(ctx, `SELECT reader, read_time, sent_time, content FROM receipt_readers WHERE conv_id=? AND uid=? ORDER BY read_time, reader`, convID, uid)
	if err != nil {
		return nil, 0, fmt.Errorf("readers of %s: %w", uid, err)
	}
	defer rows.Close()
	var out []store.Read
	for rows.Next() {
		r := store.Read{UID: uid}
		if err := rows.Scan(&r.Reader, &r.Time, &r.SentTime, &r.Content); err != nil {
			return nil, 0, fmt.Errorf("readers of %s: %w", uid, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("readers of %s: %w", uid, err)
	}
	counts, err := d.ReadCounts(ctx, convID, []string{uid})
	if err != nil {
		return nil, 0, err
	}
	return out, counts[uid], nil
}

// ReadCounts implements store.Receipts.
func (d *DB) ReadCounts(ctx context.Context, convID string, uids []string) (map[string]int, error) {
	out := make(map[string]int, len(uids))
	if len(uids) == 0 {
		return out, nil
	}
	args := []any{convID}
	for _, u := range uids {
		args = append(args, u)
	}
	// Not cached as a statement: the list length varies (at most 100).
	rows, err := d.rdb.QueryContext(ctx, `SELECT uid, read_count FROM receipt_counts WHERE conv_id=? AND uid IN (?`+strings.Repeat(",?", len(uids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			return nil, fmt.Errorf("read counts: %w", err)
		}
		out[u] = n
	}
	return out, rows.Err()
}

// ModifyCounted implements store.Receipts. A failed quota rolls the
// modification back with the job's savepoint.
func (d *DB) ModifyCounted(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message, q store.Quota) (*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		m, err := t.modify(convID, uid, apply, marker)
		if err != nil {
			return nil, err
		}
		if err := t.takeQuota(q); err != nil {
			return nil, err
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*pb.Message), nil
}

// AppendCounted implements store.Receipts.
func (d *DB) AppendCounted(ctx context.Context, convID string, m *pb.Message, q store.Quota) (*pb.Message, bool, error) {
	if m.GetClientMsgId() == "" {
		return nil, false, errors.New("append: empty client_msg_id")
	}
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		var n int
		if err := t.tx.QueryRow(`SELECT 1 FROM messages WHERE sender=? AND client_msg_id=?`, m.FromUser, m.ClientMsgId).Scan(&n); err == nil {
			return t.append(convID, m) // a resend: the first result, no quota taken
		}
		if err := t.takeQuota(q); err != nil {
			return nil, err
		}
		return t.append(convID, m)
	})
	if err != nil {
		return nil, false, err
	}
	r := v.(appended)
	return r.msg, r.dup, nil
}

func (t *wtx) takeQuota(q store.Quota) error {
	var n int
	err := t.tx.QueryRow(`SELECT count FROM quotas WHERE key=?`, q.Key).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("quota %s: %w", q.Key, err)
	}
	if n >= q.Max {
		return store.ErrQuota
	}
	if _, err := t.tx.Exec(`INSERT INTO quotas(key, count) VALUES (?,1) ON CONFLICT (key) DO UPDATE SET count = count + 1`, q.Key); err != nil {
		return fmt.Errorf("quota %s: %w", q.Key, err)
	}
	return nil
}

// DeleteReceiptsBefore implements store.Receipts.
func (d *DB) DeleteReceiptsBefore(ctx context.Context, t int64, quotaBefore string) (int64, error) {
	v, err := d.submit(ctx, true, func(w *wtx) (any, error) {
		r, err := w.tx.Exec(`DELETE FROM receipt_readers WHERE sent_time < ?`, t)
		if err != nil {
			return nil, fmt.Errorf("expire readers: %w", err)
		}
		n, _ := r.RowsAffected()
		if _, err := w.tx.Exec(`DELETE FROM receipt_counts WHERE sent_time < ?`, t); err != nil {
			return nil, fmt.Errorf("expire read counts: %w", err)
		}
		if _, err := w.tx.Exec(`DELETE FROM quotas WHERE key < ?`, quotaBefore); err != nil {
			return nil, fmt.Errorf("expire quotas: %w", err)
		}
		// Delivery receipts never delivered (the recipient's devices are
		// gone) expire too.
		pd, err := w.tx.Exec(`DELETE FROM pending_deliveries WHERE created < ?`, t)
		if err != nil {
			return nil, fmt.Errorf("expire delivery receipts: %w", err)
		}
		gone, _ := pd.RowsAffected()
		return [2]int64{n, gone}, nil
	})
	if err != nil {
		return 0, err
	}
	r := v.([2]int64)
	d.pendingDeliveries.Add(-r[1]) // committed: never below the truth
	return r[0], nil
}

// Delivered implements store.Receipts.
func (d *DB) Delivered(ctx context.Context, user, convID string, seq uint64, entry func(string, []string) *pb.Message) (*pb.Message, error) {
	// Most acks deliver nothing: a read on the reader pool keeps them off
	// the one writer.
	var one int
	err := d.queryRow(ctx, `SELECT 1 FROM pending_deliveries WHERE recipient=? AND conv_id=? AND seq<=? LIMIT 1`, user, convID, seq).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pending deliveries: %w", err)
	}
	type res struct {
		entry *pb.Message
		n     int
	}
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		rows, err := t.tx.Query(`SELECT uid, sender FROM pending_deliveries WHERE recipient=? AND conv_id=? AND seq<=? ORDER BY seq`, user, convID, seq)
		if err != nil {
			return nil, fmt.Errorf("pending deliveries: %w", err)
		}
		var uids []string
		var sender string
		for rows.Next() {
			var u string
			if err := rows.Scan(&u, &sender); err != nil {
				rows.Close()
				return nil, fmt.Errorf("pending deliveries: %w", err)
			}
			uids = append(uids, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("pending deliveries: %w", err)
		}
		if len(uids) == 0 {
			return res{}, nil
		}
		if _, err := t.tx.Exec(`DELETE FROM pending_deliveries WHERE recipient=? AND conv_id=? AND seq<=?`, user, convID, seq); err != nil {
			return nil, fmt.Errorf("delivered: %w", err)
		}
		m, err := t.appendLog(entry(sender, uids))
		return res{m, len(uids)}, err
	})
	if err != nil {
		return nil, err
	}
	r := v.(res)
	d.pendingDeliveries.Add(-int64(r.n)) // committed: never below the truth
	return r.entry, nil
}

// HasPendingDeliveries implements store.Receipts.
func (d *DB) HasPendingDeliveries() bool { return d.pendingDeliveries.Load() > 0 }
