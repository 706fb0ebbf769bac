package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Receipts (store.Receipts) on PostgreSQL, as on SQLite (its migration 4).

// AddReads implements store.Receipts' AddReads.
func (d *DB) AddReads(ctx context.Context, convID, reader string, reads []store.Read, entry *pb.Message) ([]store.Read, *pb.Message, error) {
	var added []store.Read
	var stored *pb.Message
	var responded []string // the caller's, before this call's
	if entry != nil {
		responded = slices.Clip(entry.Log.RespondedUids)
	}
	err := d.write(ctx, func(t *wtx) error {
		added, stored = nil, nil
		for _, r := range reads {
			tag, err := t.tx.Exec(ctx, `INSERT INTO receipt_readers(conv_id, uid, reader, read_time, sent_time, content) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
				convID, r.UID, reader, r.Time, r.SentTime, r.Content)
			if err != nil {
				return fmt.Errorf("add reader of %s: %w", r.UID, err)
			}
			if tag.RowsAffected() == 0 {
				continue // read before: receipts are idempotent
			}
			r.Reader = reader
			added = append(added, r)
			if _, err := t.tx.Exec(ctx, `INSERT INTO receipt_counts(conv_id, uid, read_count, sent_time) VALUES ($1, $2, 1, $3)
ON CONFLICT (conv_id, uid) DO UPDATE SET read_count = receipt_counts.read_count + 1`, convID, r.UID, r.SentTime); err != nil {
				return fmt.Errorf("count reader of %s: %w", r.UID, err)
			}
		}
		if len(added) == 0 || entry == nil {
			return nil
		}
		entry.Log.RespondedUids = responded // a retried transaction starts again
		for _, r := range added {
			entry.Log.RespondedUids = append(entry.Log.RespondedUids, r.UID)
		}
		var err error
		stored, err = t.appendLog(ctx, entry)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return added, stored, nil
}

func readers(ctx context.Context, q querier, convID, uid, where string) ([]store.Read, error) {
	rows, err := q.Query(ctx, `SELECT reader, read_time, sent_time, content FROM receipt_readers WHERE conv_id = $1 AND uid = $2`+where+` ORDER BY read_time, reader`, convID, uid)
	if err != nil {
		return nil, fmt.Errorf("readers of %s: %w", uid, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Read, error) {
		x := store.Read{UID: uid}
		err := r.Scan(&x.Reader, &x.Time, &x.SentTime, &x.Content)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("readers of %s: %w", uid, err)
	}
	return out, nil
}

// FlushReceipts implements store.Receipts' FlushReceipts. The message's
// count row is locked first: two nodes flushing one message take turns,
// and each reader is told once.
func (d *DB) FlushReceipts(ctx context.Context, convID, uid string, entry func([]store.Read, int) *pb.Message) (*pb.Message, error) {
	var stored *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		stored = nil
		var count int
		err := t.tx.QueryRow(ctx, `SELECT read_count FROM receipt_counts WHERE conv_id = $1 AND uid = $2 FOR UPDATE`, convID, uid).Scan(&count)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // nobody read it
		}
		if err != nil {
			return fmt.Errorf("read count of %s: %w", uid, err)
		}
		rs, err := readers(ctx, t.tx, convID, uid, ` AND NOT notified`)
		if err != nil || len(rs) == 0 {
			return err
		}
		if _, err := t.tx.Exec(ctx, `UPDATE receipt_readers SET notified = true WHERE conv_id = $1 AND uid = $2 AND NOT notified`, convID, uid); err != nil {
			return fmt.Errorf("mark readers of %s notified: %w", uid, err)
		}
		e := entry(rs, count)
		if e == nil {
			return nil
		}
		stored, err = t.appendLog(ctx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// Unnotified implements store.Receipts' Unnotified.
func (d *DB) Unnotified(ctx context.Context) ([][2]string, error) {
	rows, err := d.pool.Query(ctx, `SELECT DISTINCT conv_id, uid FROM receipt_readers WHERE NOT notified`)
	if err != nil {
		return nil, fmt.Errorf("unnotified receipts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var p [2]string
		err := r.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("unnotified receipts: %w", err)
	}
	return out, nil
}

// Readers implements store.Receipts' Readers.
func (d *DB) Readers(ctx context.Context, convID, uid string) (out []store.Read, count int, err error) {
	err = d.read(ctx, func(tx pgx.Tx) error {
		if out, err = readers(ctx, tx, convID, uid, ""); err != nil {
			return err
		}
		counts, err := readCounts(ctx, tx, convID, []string{uid})
		count = counts[uid]
		return err
	})
	return out, count, err
}

// ReadCounts implements store.Receipts' ReadCounts.
func (d *DB) ReadCounts(ctx context.Context, convID string, uids []string) (map[string]int, error) {
	return readCounts(ctx, d.pool, convID, uids)
}

func readCounts(ctx context.Context, q querier, convID string, uids []string) (map[string]int, error) {
	out := make(map[string]int, len(uids))
	if len(uids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT uid, read_count FROM receipt_counts WHERE conv_id = $1 AND uid = ANY($2)`, convID, uids)
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

// ModifyCounted implements store.Receipts' ModifyCounted: a quota that is
// used up undoes the modification.
func (d *DB) ModifyCounted(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message, q store.Quota) (*pb.Message, error) {
	var out *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		var err error
		if out, err = t.modify(ctx, convID, uid, apply, marker); err != nil {
			return err
		}
		return t.takeQuota(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AppendCounted implements store.Receipts' AppendCounted: a resend takes
// no quota and returns the first result.
func (d *DB) AppendCounted(ctx context.Context, convID string, m *pb.Message, q store.Quota) (*pb.Message, bool, error) {
	if m.GetClientMsgId() == "" {
		return nil, false, errors.New("append: empty client_msg_id")
	}
	if prev, err := d.byClientID(ctx, d.pool, m.FromUser, m.ClientMsgId); err != nil || prev != nil {
		return prev, prev != nil, err
	}
	var out *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		if err := t.takeQuota(ctx, q); err != nil {
			return err
		}
		var err error
		out, _, err = t.append(ctx, convID, m)
		return err
	})
	if errors.Is(err, errResent) {
		prev, err := d.byClientID(ctx, d.pool, m.FromUser, m.ClientMsgId)
		return prev, prev != nil, err
	}
	if err != nil {
		return nil, false, err
	}
	return out, false, nil
}

// takeQuota counts one use of q, or refuses with store.ErrQuota. The
// quota's row is locked: uses from several nodes count one by one.
func (t *wtx) takeQuota(ctx context.Context, q store.Quota) error {
	var n int
	err := t.tx.QueryRow(ctx, `INSERT INTO quotas(key, count) VALUES ($1, 1)
ON CONFLICT (key) DO UPDATE SET count = quotas.count + 1 RETURNING count`, q.Key).Scan(&n)
	if err != nil {
		return fmt.Errorf("quota %s: %w", q.Key, err)
	}
	if n > q.Max {
		return store.ErrQuota // the transaction, and this count, roll back
	}
	return nil
}

// DeleteReceiptsBefore implements store.Receipts' DeleteReceiptsBefore.
func (d *DB) DeleteReceiptsBefore(ctx context.Context, before int64, quotaBefore string) (int64, error) {
	var n int64
	err := d.write(ctx, func(t *wtx) error {
		tag, err := t.tx.Exec(ctx, `DELETE FROM receipt_readers WHERE sent_time < $1`, before)
		if err != nil {
			return fmt.Errorf("expire readers: %w", err)
		}
		n = tag.RowsAffected()
		if _, err := t.tx.Exec(ctx, `DELETE FROM receipt_counts WHERE sent_time < $1`, before); err != nil {
			return fmt.Errorf("expire read counts: %w", err)
		}
		if _, err := t.tx.Exec(ctx, `DELETE FROM quotas WHERE key < $1`, quotaBefore); err != nil {
			return fmt.Errorf("expire quotas: %w", err)
		}
		// Delivery receipts never delivered (the recipient's devices are
		// gone) expire too.
		if _, err := t.tx.Exec(ctx, `DELETE FROM pending_deliveries WHERE created < $1`, before); err != nil {
			return fmt.Errorf("expire delivery receipts: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Delivered implements store.Receipts' Delivered.
func (d *DB) Delivered(ctx context.Context, user, convID string, seq uint64, entry func(string, []string) *pb.Message) (*pb.Message, error) {
	// Most acks deliver nothing: a read, and no transaction, answers them.
	var one int
	err := d.pool.QueryRow(ctx, `SELECT 1 FROM pending_deliveries WHERE recipient = $1 AND conv_id = $2 AND seq <= $3 LIMIT 1`, user, convID, seq).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("pending deliveries: %w", err))
	}
	var stored *pb.Message
	err = d.write(ctx, func(t *wtx) error {
		stored = nil
		rows, err := t.tx.Query(ctx, `DELETE FROM pending_deliveries WHERE recipient = $1 AND conv_id = $2 AND seq <= $3 RETURNING seq, uid, sender`, user, convID, seq)
		if err != nil {
			return fmt.Errorf("delivered: %w", err)
		}
		type row struct {
			seq         int64
			uid, sender string
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.seq, &x.uid, &x.sender)
			return x, err
		})
		if err != nil {
			return fmt.Errorf("delivered: %w", err)
		}
		if len(got) == 0 {
			return nil
		}
		slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.seq, b.seq) })
		uids := make([]string, len(got))
		for i, x := range got {
			uids[i] = x.uid
		}
		stored, err = t.appendLog(ctx, entry(got[len(got)-1].sender, uids))
		return err
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// HasPendingDeliveries implements store.Receipts' HasPendingDeliveries. A
// node cannot know what other nodes' appends left pending, so it says yes:
// each delivery acknowledgement then asks the database (Delivered).
func (d *DB) HasPendingDeliveries() bool { return true }

// HasPendingFor says whether any delivery receipt is pending for user
// (the server asks once, then skips Delivered until told of a new one).
func (d *DB) HasPendingFor(ctx context.Context, user string) (bool, error) {
	var any bool
	err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pending_deliveries WHERE recipient = $1)`, user).Scan(&any)
	return any, unavailable(err)
}

// MarkReceipt implements store.Store's MarkReceipt.
func (d *DB) MarkReceipt(ctx context.Context, user, convID, uid string, entry func(uint64, *pb.Message) *pb.Message) (*pb.Message, error) {
	var stored *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		stored = nil
		var seq uint64
		var body []byte
		err := t.tx.QueryRow(ctx, `SELECT seq, body FROM messages WHERE uid = $1 AND conv_id = $2`, uid, convID).Scan(&seq, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("receipt for %s: %w", uid, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("receipt for %s: %w", uid, err)
		}
		var told uint64
		err = t.tx.QueryRow(ctx, `SELECT receipt_seq FROM user_convs WHERE user_id = $1 AND conv_id = $2 FOR UPDATE`, user, convID).Scan(&told)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotMember
		}
		if err != nil {
			return fmt.Errorf("receipt position: %w", err)
		}
		if seq <= told {
			return nil
		}
		if _, err := t.tx.Exec(ctx, `UPDATE user_convs SET receipt_seq = $1 WHERE user_id = $2 AND conv_id = $3`, seq, user, convID); err != nil {
			return fmt.Errorf("move receipt position: %w", err)
		}
		m, err := decode(body)
		if err != nil {
			return err
		}
		stored, err = t.appendLog(ctx, entry(seq, m))
		return err
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}
