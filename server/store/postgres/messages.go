package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Append implements store.Store's Append.
func (d *DB) Append(ctx context.Context, convID string, m *pb.Message) (*pb.Message, bool, error) {
	if m.GetClientMsgId() == "" {
		return nil, false, errors.New("append: empty client_msg_id")
	}
	// A resend finds its message without taking a lock: the batch looks
	// for all of its messages at once (commitAppends).
	out, dup, err := d.submitAppend(ctx, convID, m)
	if errors.Is(err, errResent) {
		// The same message reached another node meanwhile; its
		// transaction has committed (ours waited for it).
		prev, err := d.byClientID(ctx, d.pool, m.FromUser, m.ClientMsgId)
		if err == nil && prev == nil {
			err = fmt.Errorf("append to %s: a conflicting message vanished", convID)
		}
		return prev, prev != nil, err
	}
	if err != nil {
		return nil, false, err
	}
	return out, dup, nil
}

// errResent: the insert met a message with the same sender and client id,
// committed by another transaction; the whole transaction is undone (its
// sequence number with it) and the caller returns the stored message.
var errResent = errors.New("resent")

// append stores m in convID within t: the conversation's row gives the
// next sequence number and stays locked until t ends.
func (t *wtx) append(ctx context.Context, convID string, m *pb.Message) (*pb.Message, bool, error) {
	return t.put(ctx, convID, m, false)
}

// put is append, or with imported an imported message (store.Imported):
// it keeps its uid and sent time, must not be older than the
// conversation's last message, and raises no counts or mentions. An
// imported message already stored (same sender and client id) comes back
// as a duplicate before anything is locked.
func (t *wtx) put(ctx context.Context, convID string, m *pb.Message, imported bool) (*pb.Message, bool, error) {
	if imported {
		if prev, err := t.d.byClientID(ctx, t.tx, m.FromUser, m.ClientMsgId); err != nil || prev != nil {
			return prev, prev != nil, err
		}
		var one int
		err := t.tx.QueryRow(ctx, `SELECT 1 FROM messages WHERE uid = $1`, m.Uid).Scan(&one)
		if err == nil {
			return nil, false, fmt.Errorf("message %s: %w", m.Uid, store.ErrUIDTaken)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, false, fmt.Errorf("message %s: %w", m.Uid, err)
		}
	}
	ms, resent, err := t.putMany(ctx, []appendJob{{convID: convID, m: m}}, imported)
	if resent >= 0 {
		return nil, false, errResent
	}
	if err != nil {
		return nil, false, err
	}
	return ms[0], false, nil
}

// sqlNextHeads moves each conversation's head past its n messages and
// returns the new head (the batch's messages take the n numbers and times
// before it): as n appends one by one would, each message's time at
// least want and after the one before. The list time moves to the time of
// the last of them that is not a marker, back messages before the head
// (the times are consecutive), and stays when back is -1 (all markers):
// the inserted list_time carries last_time - back, or -1. The rows are
// locked in id order, the same on every node, and stay locked until the
// transaction ends.
const sqlNextHeads = `INSERT INTO convs(id, last_seq, last_time, list_time, changed)
SELECT id, n, want + n - 1, CASE WHEN back < 0 THEN -1 ELSE want + n - 1 - back END, 0
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS h(id, n, want, back) ORDER BY id
ON CONFLICT (id) DO UPDATE SET last_seq = convs.last_seq + EXCLUDED.last_seq,
  last_time = GREATEST(EXCLUDED.last_time, convs.last_time + EXCLUDED.last_seq),
  list_time = CASE WHEN EXCLUDED.list_time < 0 THEN convs.list_time
    ELSE GREATEST(EXCLUDED.last_time, convs.last_time + EXCLUDED.last_seq) - (EXCLUDED.last_time - EXCLUDED.list_time) END
RETURNING id, last_seq, last_time`

// sqlInsertMessages inserts a batch's messages, and returns the (sender,
// client id) of those inserted: one missing is a resend.
const sqlInsertMessages = `INSERT INTO messages(conv_id, seq, uid, sender, client_msg_id, sent_time, counted, body)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::smallint[], $8::bytea[])
ON CONFLICT (sender, client_msg_id) DO NOTHING RETURNING sender, client_msg_id`

// sqlInsertMessagesEvents is sqlInsertMessages with the outbox on: the
// events of the messages inserted whose uids are in $9 (kind $10, the body
// as stored, created and due at the sent time) go into the outbox in the
// same statement, so no message is stored without its event, and a
// message not inserted (a resend) has none.
const sqlInsertMessagesEvents = `WITH ins AS (INSERT INTO messages(conv_id, seq, uid, sender, client_msg_id, sent_time, counted, body)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::smallint[], $8::bytea[])
ON CONFLICT (sender, client_msg_id) DO NOTHING RETURNING sender, client_msg_id, uid, sent_time, body),
ev AS (INSERT INTO outbox(event_id, kind, body, created, due)
SELECT 'msg.' || uid, $10::text, body, sent_time, sent_time FROM ins WHERE uid IN (SELECT unnest($9::text[]))
ON CONFLICT (event_id) DO NOTHING)
SELECT sender, client_msg_id FROM ins`

// putMany stores jobs' messages in t, in order, in two round trips to the
// database whatever their number, with a statement each for the heads,
// the messages (with their outbox events), the senders' notes and the
// users' rows (a statement per message cost the database 0.2 ms of CPU
// per message: BENCHMARKS.md).
// resent is the index of a message that another transaction stored first
// (same sender and client id; then err is errResent and t must be
// undone), or -1.
func (t *wtx) putMany(ctx context.Context, jobs []appendJob, imported bool) (out []*pb.Message, resent int, err error) {
	for i, j := range jobs {
		if !store.IsChatroomConv(j.convID) || i > 0 && jobs[i-1].convID == j.convID {
			continue
		}
		// A room destroyed since its member was checked: its history is
		// not made again (a batch that fails so is run again job by job,
		// storeAppends). FOR SHARE: a destroy waits for this append, and
		// then deletes it with the rest.
		var one int
		err := t.tx.QueryRow(ctx, `SELECT 1 FROM chatrooms WHERE id = $1 FOR SHARE`, store.ChatroomOf(j.convID)).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, -1, fmt.Errorf("chat room %s: %w", j.convID, store.ErrNotFound)
		}
		if err != nil {
			return nil, -1, err
		}
	}
	now := t.d.opts.Now()
	type head struct {
		n    int64
		back int64 // messages after its last that is not a marker; -1 none
		want int64
		seq  uint64 // the next message's, once the head moved
		time int64
		ok   bool
	}
	heads := map[string]*head{}
	var ids []string
	var ns, wants, backs []int64
	for _, j := range jobs {
		h := heads[j.convID]
		if h == nil {
			h = &head{want: now.UnixMilli(), back: -1}
			if imported {
				h.want = j.m.SentTime
			}
			heads[j.convID] = h
			ids = append(ids, j.convID)
		}
		h.n++
		switch {
		case !store.IsMarker(j.m):
			h.back = 0
		case h.back >= 0:
			h.back++
		}
	}
	for _, id := range ids {
		ns, wants, backs = append(ns, heads[id].n), append(wants, heads[id].want), append(backs, heads[id].back)
	}
	rows, err := t.tx.Query(ctx, sqlNextHeads, ids, ns, wants, backs)
	if err != nil {
		return nil, -1, fmt.Errorf("next sequence numbers: %w", err)
	}
	for rows.Next() {
		var id string
		var last uint64
		var lastTime int64
		if err := rows.Scan(&id, &last, &lastTime); err != nil {
			rows.Close()
			return nil, -1, fmt.Errorf("next sequence numbers: %w", err)
		}
		if h := heads[id]; h != nil {
			h.seq, h.time, h.ok = last-uint64(h.n)+1, lastTime-h.n+1, true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, -1, fmt.Errorf("next sequence numbers: %w", err)
	}
	var (
		mConv, mUID, mSender, mClient []string
		mSeq, mTime                   []int64
		mCounted                      []int16
		mBody                         [][]byte
		sSender, sConv                []string
		uUser, uConv, uTarget         []string
		uType                         []int32
		eUID                          []string // the messages whose events go into the outbox
	)
	outbox := t.d.outbox.Load() && !imported
	type pair struct{ a, b string }
	noted, party := map[pair]bool{}, map[pair]bool{}
	out = make([]*pb.Message, len(jobs))
	for i, j := range jobs {
		h := heads[j.convID]
		if !h.ok {
			return nil, -1, fmt.Errorf("next sequence number of %s: no row", j.convID)
		}
		seq, sentTime := h.seq, h.time
		h.seq, h.time = h.seq+1, h.time+1
		stored := j.m // Append owns m
		stored.Seq = seq
		counted := store.CountClass(stored)
		if imported {
			if sentTime > j.m.SentTime+1 {
				// Older than the last message (GREATEST moved it past the
				// head; a tie moves 1 ms on). The increment is undone with
				// the savepoint Import runs each message in.
				return nil, -1, fmt.Errorf("message %s sent %d, before %s's last message: %w", j.m.Uid, j.m.SentTime, j.convID, store.ErrOutOfOrder)
			}
			// History pages by time: no two messages of a conversation
			// share one. Read history: counted by no one.
			counted, stored.IsCounted = 0, false
		} else {
			stored.Uid = t.d.uids.Next(now)
		}
		stored.SentTime = sentTime
		body, err := stored.Marshal()
		if err != nil {
			return nil, -1, fmt.Errorf("encode message: %w", err)
		}
		out[i] = stored
		mConv, mSeq, mUID, mSender = append(mConv, j.convID), append(mSeq, int64(stored.Seq)), append(mUID, stored.Uid), append(mSender, stored.FromUser)
		mClient, mTime, mCounted, mBody = append(mClient, stored.ClientMsgId), append(mTime, stored.SentTime), append(mCounted, int16(counted)), append(mBody, body)
		if outbox && stored.ConvType != pb.ConversationType_USER_LOG {
			eUID = append(eUID, stored.Uid)
		}
		if k := (pair{stored.FromUser, j.convID}); stored.FromUser != "" && !noted[k] {
			noted[k] = true
			sSender, sConv = append(sSender, k.a), append(sConv, k.b)
		}
		for _, p := range parties(stored) {
			if k := (pair{p[0], j.convID}); !party[k] {
				party[k] = true
				uUser, uConv, uType, uTarget = append(uUser, p[0]), append(uConv, j.convID), append(uType, int32(stored.ConvType)), append(uTarget, p[1])
			}
		}
	}
	b := &pgx.Batch{}
	if len(eUID) == 0 {
		b.Queue(sqlInsertMessages, mConv, mSeq, mUID, mSender, mClient, mTime, mCounted, mBody)
	} else {
		b.Queue(sqlInsertMessagesEvents, mConv, mSeq, mUID, mSender, mClient, mTime, mCounted, mBody, eUID, store.OutboxMessage)
	}
	if len(sSender) > 0 {
		b.Queue(`INSERT INTO sent_convs(sender, conv_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, sSender, sConv)
	}
	if len(uUser) > 0 {
		// A new row is a change for their devices.
		b.Queue(`INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
SELECT u, c, t, g, 1, 0, 0, 0 FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) AS x(u, c, t, g) ORDER BY u, c
ON CONFLICT DO NOTHING RETURNING user_id, conv_id`, uUser, uConv, uType, uTarget)
	}
	res := t.tx.SendBatch(ctx, b)
	inserted := map[pair]bool{}
	if err := scanPairs(res, inserted); err != nil {
		res.Close()
		return nil, -1, fmt.Errorf("insert messages: %w", err)
	}
	if len(sSender) > 0 {
		if _, err := res.Exec(); err != nil {
			res.Close()
			return nil, -1, fmt.Errorf("note senders: %w", err)
		}
	}
	if len(uUser) > 0 {
		created := map[pair]bool{}
		if err := scanPairs(res, created); err != nil {
			res.Close()
			return nil, -1, fmt.Errorf("user conversations: %w", err)
		}
		for k := range created {
			t.touchUserConv(k.a, k.b)
		}
	}
	if err := res.Close(); err != nil {
		return nil, -1, fmt.Errorf("append: %w", err)
	}
	for i, m := range out {
		if !inserted[pair{m.FromUser, m.ClientMsgId}] {
			return nil, i, errResent
		}
	}
	for i, j := range jobs {
		stored := out[i]
		t.touchConv(j.convID)
		if imported {
			continue
		}
		if err := t.mention(ctx, j.convID, stored); err != nil {
			return nil, -1, err
		}
		if stored.DeliveryReceipt && stored.ConvType == pb.ConversationType_PRIVATE && stored.To != stored.FromUser {
			if _, err := t.tx.Exec(ctx, `INSERT INTO pending_deliveries(recipient, conv_id, seq, uid, sender, created) VALUES ($1, $2, $3, $4, $5, $6)`,
				stored.To, j.convID, stored.Seq, stored.Uid, stored.FromUser, stored.SentTime); err != nil {
				return nil, -1, fmt.Errorf("pending delivery: %w", err)
			}
		}
	}
	return out, -1, nil
}

// scanPairs reads the next result of a batch, rows of two text columns,
// into set.
func scanPairs[K ~struct{ a, b string }](res pgx.BatchResults, set map[K]bool) error {
	rows, err := res.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		set[K{a, b}] = true
	}
	return rows.Err()
}

// parties are the users whose rows a message of theirs creates (with the
// conversation's target each sees): both sides of a private conversation,
// the owner of a log; none for a group (its members' rows come with
// joining).
func parties(m *pb.Message) [][2]string {
	switch m.ConvType {
	case pb.ConversationType_PRIVATE:
		return [][2]string{{m.FromUser, m.To}, {m.To, m.FromUser}}
	case pb.ConversationType_USER_LOG:
		return [][2]string{{m.FromUser, m.FromUser}}
	}
	return nil
}

// querier is what reads need of a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// MessageByClientID implements store.Store.
func (d *DB) MessageByClientID(ctx context.Context, user, clientMsgID string) (*pb.Message, error) {
	return d.byClientID(ctx, d.pool, user, clientMsgID)
}

// byClientID answers the message user sent with client id id (nil: none).
func (d *DB) byClientID(ctx context.Context, q querier, user, id string) (*pb.Message, error) {
	var body []byte
	err := q.QueryRow(ctx, `SELECT body FROM messages WHERE sender = $1 AND client_msg_id = $2`, user, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("message %s of %s: %w", id, user, err)
	}
	return decode(body)
}

func decode(body []byte) (*pb.Message, error) {
	m := &pb.Message{}
	if err := m.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return m, nil
}

// VisibleRange implements store.Store's VisibleRange.
func (d *DB) VisibleRange(ctx context.Context, user, convID string) (start, last uint64, err error) {
	return visibleRange(ctx, d.pool, user, convID)
}

// visibleRange is the range of convID's sequence numbers user may see:
// [start, last], empty when last < start.
func visibleRange(ctx context.Context, q querier, user, convID string) (start, last uint64, err error) {
	typ, a, b, ok := store.ParseConvID(convID)
	if !ok {
		return 0, 0, fmt.Errorf("conversation %q: %w", convID, store.ErrNotFound)
	}
	var end uint64
	start = 1
	switch typ {
	case pb.ConversationType_PRIVATE, pb.ConversationType_USER_LOG:
		if user != a && user != b {
			return 0, 0, store.ErrNotMember
		}
		// The user's row exists once the conversation has a message; its
		// start moves up when they clear the history.
		err := q.QueryRow(ctx, `SELECT start_seq FROM user_convs WHERE user_id = $1 AND conv_id = $2`, user, convID).Scan(&start)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, 0, fmt.Errorf("%s: %w", convID, err)
		}
	case pb.ConversationType_GROUP, pb.ConversationType_ULTRA_GROUP:
		err := q.QueryRow(ctx, `SELECT start_seq, end_seq FROM user_convs WHERE user_id = $1 AND conv_id = $2`, user, convID).Scan(&start, &end)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, 0, store.ErrNotMember
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%s: membership: %w", convID, err)
		}
	}
	first := uint64(1)
	if err := q.QueryRow(ctx, `SELECT last_seq, first_seq FROM convs WHERE id = $1`, convID).Scan(&last, &first); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, fmt.Errorf("%s: %w", convID, err)
	}
	start = max(start, first)
	if end > 0 && last > end {
		last = end
	}
	return start, last, nil
}

// Pull implements store.Store's Pull.
func (d *DB) Pull(ctx context.Context, user, convID string, afterSeq uint64, limit int, windowStart time.Time, windowMax int) (out []*pb.Message, from, last uint64, err error) {
	err = d.read(ctx, func(tx pgx.Tx) error {
		out, from, last, err = pull(ctx, tx, user, convID, afterSeq, limit, windowStart, windowMax)
		return err
	})
	return out, from, last, err
}

func pull(ctx context.Context, q querier, user, convID string, afterSeq uint64, limit int, windowStart time.Time, windowMax int) ([]*pb.Message, uint64, uint64, error) {
	startSeq, last, err := visibleRange(ctx, q, user, convID)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("pull: %w", err)
	}
	after := max(afterSeq, startSeq-1)
	if afterSeq == 0 && last > 0 {
		// New-device window: the newest windowMax messages newer than windowStart.
		if windowMax > 0 && last > uint64(windowMax) {
			after = max(after, last-uint64(windowMax))
		}
		var first *int64
		if err := q.QueryRow(ctx, `SELECT min(seq) FROM messages WHERE conv_id = $1 AND seq > $2 AND sent_time >= $3`,
			convID, after, windowStart.UnixMilli()).Scan(&first); err != nil {
			return nil, 0, 0, fmt.Errorf("pull %s: window: %w", convID, err)
		}
		if first != nil {
			after = max(after, uint64(*first)-1)
		} else {
			// Nothing in the window: the last message still comes (with
			// the markers after it: an edit, a recall), so the device
			// lists the conversation and pages back from it.
			rows, err := q.Query(ctx, `SELECT seq, body FROM messages WHERE conv_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq DESC LIMIT $4`,
				convID, after, last, store.MarkersBack)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("pull %s: the last message: %w", convID, err)
			}
			from, err := store.LastMessageFrom(func(yield func(uint64, []byte) bool) error {
				defer rows.Close()
				for rows.Next() {
					var seq int64
					var body []byte
					if err := rows.Scan(&seq, &body); err != nil {
						return err
					}
					if !yield(uint64(seq), body) {
						return nil
					}
				}
				return rows.Err()
			}, user, last)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("pull %s: the last message: %w", convID, err)
			}
			after = max(after, from-1)
		}
	}
	rows, err := q.Query(ctx, `SELECT body FROM messages WHERE conv_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`, convID, after, last, limit)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("pull %s: %w", convID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*pb.Message, error) {
		var body []byte
		if err := r.Scan(&body); err != nil {
			return nil, err
		}
		return decode(body)
	})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("pull %s: %w", convID, err)
	}
	if len(out) > 0 {
		hidden, err := hiddenSeqs(ctx, q, user, convID, out[0].Seq, out[len(out)-1].Seq)
		if err != nil {
			return nil, 0, 0, err
		}
		for i, m := range out {
			if hidden[m.Seq] {
				out[i] = store.Tombstone(m)
			}
		}
	}
	return out, after + 1, last, nil
}

// Hidden implements store.Store's Hidden.
func (d *DB) Hidden(ctx context.Context, user, convID string, lo, hi uint64) (map[uint64]bool, error) {
	return hiddenSeqs(ctx, d.pool, user, convID, lo, hi)
}

// hiddenSeqs returns the sequence numbers in [lo, hi] of convID that user
// deleted for themselves.
func hiddenSeqs(ctx context.Context, q querier, user, convID string, lo, hi uint64) (map[uint64]bool, error) {
	if lo > hi {
		lo, hi = hi, lo
	}
	rows, err := q.Query(ctx, `SELECT seq FROM user_hidden WHERE user_id = $1 AND conv_id = $2 AND seq >= $3 AND seq <= $4`, user, convID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("hidden messages: %w", err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("hidden messages: %w", err)
	}
	var out map[uint64]bool
	for _, s := range seqs {
		if out == nil {
			out = map[uint64]bool{}
		}
		out[uint64(s)] = true
	}
	return out, nil
}

// Changes implements store.Store's Changes: the conversations of user
// changed after version since, and the version they are complete up to.
func (d *DB) Changes(ctx context.Context, user string, since uint64) (version uint64, out []*pb.ConversationState, err error) {
	err = d.read(ctx, func(tx pgx.Tx) error {
		version, out, err = changes(ctx, tx, user, since)
		return err
	})
	return version, out, err
}

func changes(ctx context.Context, q querier, user string, since uint64) (uint64, []*pb.ConversationState, error) {
	// Read in the same snapshot as the rows: every change stamped up to
	// this version is in it (versions commit in order).
	var version uint64
	if err := q.QueryRow(ctx, `SELECT version FROM sync_state WHERE id = 1`).Scan(&version); err != nil {
		return 0, nil, fmt.Errorf("changes for %s: %w", user, err)
	}
	rows, err := q.Query(ctx, `
SELECT uc.conv_id, uc.conv_type, uc.target, COALESCE(c.last_seq, 0), CASE WHEN c.list_time > 0 THEN c.list_time ELSE COALESCE(c.last_time, 0) END, COALESCE(c.first_seq, 1), uc.start_seq, uc.end_seq, uc.read_seq
FROM user_convs uc LEFT JOIN convs c ON c.id = uc.conv_id
WHERE uc.user_id = $1 AND (uc.changed > $2 OR c.changed > $2)`, user, since)
	if err != nil {
		return 0, nil, fmt.Errorf("changes for %s: %w", user, err)
	}
	var out []*pb.ConversationState
	var ids []string
	var from []uint64 // counting starts above: the watermark, or what the user cannot see
	for rows.Next() {
		var id, target string
		var typ int32
		var last, first, start, end, read uint64
		var lastTime int64
		if err := rows.Scan(&id, &typ, &target, &last, &lastTime, &first, &start, &end, &read); err != nil {
			rows.Close()
			return 0, nil, fmt.Errorf("changes for %s: %w", user, err)
		}
		if end > 0 && last > end {
			last = end
		}
		conv := &pb.Conversation{Type: pb.ConversationType(typ), Target: target}
		if conv.Type == pb.ConversationType_ULTRA_GROUP {
			_, conv.Channel, _ = store.ParseUltraConvID(id)
		}
		out = append(out, &pb.ConversationState{
			Conv:     conv,
			LastSeq:  last,
			LastTime: lastTime,
			StartSeq: start,
			ReadSeq:  read,
		})
		ids = append(ids, id)
		from = append(from, max(read+1, start, first)-1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("changes for %s: %w", user, err)
	}
	for i, st := range out {
		if !store.HasCounts(st.Conv.Type) {
			continue
		}
		var err error
		if st.UnreadCount, st.MentionCount, err = unreadCounts(ctx, q, user, ids[i], from[i], st.LastSeq); err != nil {
			return 0, nil, err
		}
	}
	out, err = settingsChanges(ctx, q, user, since, out)
	if err != nil {
		return 0, nil, err
	}
	return version, out, nil
}

// unreadCounts counts user's unread messages and mentions of convID with
// seq in (lo, hi] (the SQLite store's rules: messages.counted, from
// others, not deleted by the user, targeted ones only if at the user).
func unreadCounts(ctx context.Context, q querier, user, convID string, lo, hi uint64) (unread, mentions uint32, err error) {
	if lo >= hi {
		return 0, 0, nil
	}
	var all, targeted, hidden uint32
	err = q.QueryRow(ctx, `SELECT
	(SELECT count(*) FROM messages WHERE conv_id = $1 AND seq > $2 AND seq <= $3 AND counted = 1 AND sender <> $4),
	(SELECT count(*) FROM messages WHERE conv_id = $1 AND seq > $2 AND seq <= $3 AND counted = 2 AND sender <> $4),
	(SELECT count(*) FROM user_hidden h JOIN messages m ON m.conv_id = h.conv_id AND m.seq = h.seq
		WHERE h.user_id = $4 AND h.conv_id = $1 AND h.seq > $2 AND h.seq <= $3 AND m.counted = 1 AND m.sender <> $4),
	(SELECT count(*) FROM mentions n WHERE n.conv_id = $1 AND n.user_id IN ($4, '') AND n.seq > $2 AND n.seq <= $3 AND n.sender <> $4
		AND NOT EXISTS (SELECT 1 FROM user_hidden h WHERE h.user_id = $4 AND h.conv_id = $1 AND h.seq = n.seq))`,
		convID, lo, hi, user).Scan(&all, &targeted, &hidden, &mentions)
	if err != nil {
		return 0, 0, fmt.Errorf("unread counts of %s in %s: %w", user, convID, err)
	}
	unread = all - hidden
	if targeted > 0 {
		rows, err := q.Query(ctx, `SELECT body FROM messages m WHERE conv_id = $1 AND seq > $2 AND seq <= $3 AND counted = 2 AND sender <> $4
	AND NOT EXISTS (SELECT 1 FROM user_hidden h WHERE h.user_id = $4 AND h.conv_id = $1 AND h.seq = m.seq)`, convID, lo, hi, user)
		if err != nil {
			return 0, 0, fmt.Errorf("targeted unread in %s: %w", convID, err)
		}
		bodies, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return 0, 0, fmt.Errorf("targeted unread in %s: %w", convID, err)
		}
		for _, b := range bodies {
			m, err := decode(b)
			if err != nil {
				return 0, 0, err
			}
			if store.VisibleTo(m, user) {
				unread++
			}
		}
	}
	return unread, mentions, nil
}

// settingsChanges adds user's conversation settings changed after since to
// states: to the conversation's state, or as a state of their own (a
// conversation pinned before any message).
func settingsChanges(ctx context.Context, q querier, user string, since uint64, states []*pb.ConversationState) ([]*pb.ConversationState, error) {
	rows, err := q.Query(ctx, `SELECT conv_type, target, channel, is_top, level, time, removed_seq, dnd_until FROM conv_settings WHERE user_id = $1 AND changed > $2`, user, since)
	if err != nil {
		return nil, fmt.Errorf("settings changes for %s: %w", user, err)
	}
	defer rows.Close()
	var convs []*pb.Conversation
	var sets []*pb.ConversationSettings
	for rows.Next() {
		var typ int32
		var target, channel string
		set := &pb.ConversationSettings{}
		if err := rows.Scan(&typ, &target, &channel, &set.IsTop, &set.NotificationLevel, &set.Time, &set.RemovedSeq, &set.DndUntil); err != nil {
			return nil, fmt.Errorf("settings changes for %s: %w", user, err)
		}
		convs = append(convs, &pb.Conversation{Type: pb.ConversationType(typ), Target: target, Channel: channel})
		sets = append(sets, set)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("settings changes for %s: %w", user, err)
	}
	return store.WithSettings(states, convs, sets), nil
}

// MarkRead implements store.Store's MarkRead.
func (d *DB) MarkRead(ctx context.Context, user, convID string, seq uint64, uid string, entries func(uint64, *pb.Message) []*pb.Message) (uint64, []*pb.Message, error) {
	var read uint64
	var stored []*pb.Message
	err := d.write(ctx, func(t *wtx) error {
		var err error
		read, stored, err = t.markRead(ctx, user, convID, seq, uid, entries)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return read, stored, nil
}

func (t *wtx) markRead(ctx context.Context, user, convID string, seq uint64, uid string, entries func(uint64, *pb.Message) []*pb.Message) (uint64, []*pb.Message, error) {
	if uid != "" {
		err := t.tx.QueryRow(ctx, `SELECT seq FROM messages WHERE uid = $1 AND conv_id = $2`, uid, convID).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, nil, fmt.Errorf("read up to %s: %w", uid, store.ErrNotFound)
		}
		if err != nil {
			return 0, nil, fmt.Errorf("read up to %s: %w", uid, err)
		}
	}
	// The user's row, locked: two devices reading at once move it in turn.
	var read uint64
	err := t.tx.QueryRow(ctx, `SELECT read_seq FROM user_convs WHERE user_id = $1 AND conv_id = $2 FOR UPDATE`, user, convID).Scan(&read)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, store.ErrNotMember
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read watermark: %w", err)
	}
	var last uint64
	if err := t.tx.QueryRow(ctx, `SELECT last_seq FROM convs WHERE id = $1`, convID).Scan(&last); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("head of %s: %w", convID, err)
	}
	if seq == 0 || seq > last {
		seq = last
	}
	if seq <= read {
		return read, nil, nil
	}
	if _, err := t.tx.Exec(ctx, `UPDATE user_convs SET read_seq = $1 WHERE user_id = $2 AND conv_id = $3`, seq, user, convID); err != nil {
		return 0, nil, fmt.Errorf("move read watermark: %w", err)
	}
	t.touchUserConv(user, convID)
	if entries == nil {
		return seq, nil, nil
	}
	lastRead, err := t.lastReal(ctx, user, convID, seq)
	if err != nil {
		return 0, nil, err
	}
	var stored []*pb.Message
	for _, e := range entries(seq, lastRead) {
		m, err := t.appendLog(ctx, e)
		if err != nil {
			return 0, nil, err
		}
		stored = append(stored, m)
	}
	return seq, stored, nil
}

// appendLog appends entry to its sender's log in t.
func (t *wtx) appendLog(ctx context.Context, entry *pb.Message) (*pb.Message, error) {
	m, _, err := t.append(ctx, store.UserLogID(entry.FromUser), entry)
	if errors.Is(err, errResent) {
		return nil, fmt.Errorf("log entry %s: %w", entry.ClientMsgId, store.ErrExists)
	}
	return m, err
}

// lastReal is the newest message of convID at or below seq that is not a
// marker and that user may see (nil: none).
func (t *wtx) lastReal(ctx context.Context, user, convID string, seq uint64) (*pb.Message, error) {
	const page = 100
	for hi := seq; hi > 0; {
		rows, err := t.tx.Query(ctx, `SELECT body FROM messages WHERE conv_id = $1 AND seq <= $2 ORDER BY seq DESC LIMIT $3`, convID, hi, page)
		if err != nil {
			return nil, fmt.Errorf("last read message: %w", err)
		}
		bodies, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return nil, fmt.Errorf("last read message: %w", err)
		}
		for _, b := range bodies {
			m, err := decode(b)
			if err != nil {
				return nil, err
			}
			hi = m.Seq - 1
			if !store.IsMarker(m) && store.VisibleTo(m, user) {
				return m, nil
			}
		}
		if len(bodies) < page {
			break
		}
	}
	return nil, nil
}

// MessageByUID implements store.Store's MessageByUID.
func (d *DB) MessageByUID(ctx context.Context, convID, uid string) (*pb.Message, error) {
	var body []byte
	err := d.pool.QueryRow(ctx, `SELECT body FROM messages WHERE uid = $1 AND conv_id = $2`, uid, convID).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("message %s: %w", uid, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", uid, err)
	}
	return decode(body)
}

// Modify implements store.Store's Modify.
func (d *DB) Modify(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message) (*pb.Message, error) {
	var out *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		var err error
		out, err = t.modify(ctx, convID, uid, apply, marker)
		return err
	})
	return out, err
}

func (t *wtx) modify(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message) (*pb.Message, error) {
	// Locked: two nodes modifying one message (an edit and a recall) take
	// turns, each on the other's result.
	var body []byte
	err := t.tx.QueryRow(ctx, `SELECT body FROM messages WHERE uid = $1 AND conv_id = $2 FOR UPDATE`, uid, convID).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("modify %s: %w", uid, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("modify %s: %w", uid, err)
	}
	m, err := decode(body)
	if err != nil {
		return nil, err
	}
	seq, sent := m.Seq, m.SentTime
	if err := apply(m); err != nil {
		return nil, err
	}
	if m.Uid != uid || m.Seq != seq || m.SentTime != sent {
		return nil, fmt.Errorf("modify %s: ids, seq and sent time must stay", uid)
	}
	if body, err = m.Marshal(); err != nil {
		return nil, fmt.Errorf("modify %s: encode: %w", uid, err)
	}
	if _, err := t.tx.Exec(ctx, `UPDATE messages SET body = $1, counted = $2 WHERE conv_id = $3 AND seq = $4`, body, store.CountClass(m), convID, seq); err != nil {
		return nil, fmt.Errorf("modify %s: %w", uid, err)
	}
	// Whom it mentions may have changed (a recall mentions nobody).
	if _, err := t.tx.Exec(ctx, `DELETE FROM mentions WHERE conv_id = $1 AND seq = $2`, convID, seq); err != nil {
		return nil, fmt.Errorf("modify %s: mentions: %w", uid, err)
	}
	if err := t.mention(ctx, convID, m); err != nil {
		return nil, err
	}
	out, _, err := t.append(ctx, convID, marker)
	if errors.Is(err, errResent) {
		return nil, fmt.Errorf("modify %s: marker %s: %w", uid, marker.ClientMsgId, store.ErrExists)
	}
	return out, err
}

// mention records whom m mentions (store.MentionedUsers).
func (t *wtx) mention(ctx context.Context, convID string, m *pb.Message) error {
	for _, u := range store.MentionedUsers(m) {
		if _, err := t.tx.Exec(ctx, `INSERT INTO mentions(conv_id, user_id, seq, sender) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			convID, u, m.Seq, m.FromUser); err != nil {
			return fmt.Errorf("mention in %s/%d: %w", convID, m.Seq, err)
		}
	}
	return nil
}

// Hide implements store.Store's Hide.
func (d *DB) Hide(ctx context.Context, user, convID string, uids []string, entry *pb.Message) (*pb.Message, error) {
	var out *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		tag, err := t.tx.Exec(ctx, `INSERT INTO user_hidden(user_id, conv_id, seq)
SELECT $1, conv_id, seq FROM messages WHERE uid = ANY($2) AND conv_id = $3 ON CONFLICT DO NOTHING`, user, uids, convID)
		if err != nil {
			return fmt.Errorf("hide in %s: %w", convID, err)
		}
		if tag.RowsAffected() > 0 {
			t.touchUserConv(user, convID) // the user's counts of it changed: a device's next sync is told
		}
		out, err = t.appendLog(ctx, entry)
		return err
	})
	return out, err
}

// ClearHistory implements store.Store's ClearHistory.
func (d *DB) ClearHistory(ctx context.Context, user, convID string, before int64, entry *pb.Message) (*pb.Message, error) {
	var out *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		var last *int64
		if err := t.tx.QueryRow(ctx, `SELECT max(seq) FROM messages WHERE conv_id = $1 AND sent_time <= $2`, convID, before).Scan(&last); err != nil {
			return fmt.Errorf("clear %s: %w", convID, err)
		}
		if last != nil {
			if entry.GetLog() != nil {
				entry.Log.ClearedSeq = uint64(*last)
			}
			// Raising the first visible sequence number hides the rest from
			// pulls, history and a new device's sync alike.
			tag, err := t.tx.Exec(ctx, `UPDATE user_convs SET start_seq = GREATEST(start_seq, $1) WHERE user_id = $2 AND conv_id = $3`, *last+1, user, convID)
			if err != nil {
				return fmt.Errorf("clear %s: %w", convID, err)
			}
			if tag.RowsAffected() > 0 {
				t.touchUserConv(user, convID)
			}
		}
		var err error
		out, err = t.appendLog(ctx, entry)
		return err
	})
	return out, err
}

// History implements store.Store's History.
func (d *DB) History(ctx context.Context, user, convID string, t int64, count int, newer bool, keep func(*pb.Message) bool) (out []*pb.Message, more bool, err error) {
	err = d.read(ctx, func(tx pgx.Tx) error {
		lo, hi, err := visibleRange(ctx, tx, user, convID)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		probe := func(seq uint64) (uint64, int64, bool, error) {
			var at uint64
			var sent int64
			err := tx.QueryRow(ctx, `SELECT seq, sent_time FROM messages WHERE conv_id = $1 AND seq >= $2 ORDER BY seq LIMIT 1`, convID, seq).Scan(&at, &sent)
			if errors.Is(err, pgx.ErrNoRows) {
				return 0, 0, false, nil
			}
			if err != nil {
				return 0, 0, false, fmt.Errorf("%s: seek time: %w", convID, err)
			}
			return at, sent, true, nil
		}
		hiddenIn := func(lo, hi uint64) (map[uint64]bool, error) { return hiddenSeqs(ctx, tx, user, convID, lo, hi) }
		page := func(lo, hi uint64, n int, newer bool) ([]*pb.Message, error) {
			q := `SELECT body FROM messages WHERE conv_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq DESC LIMIT $4`
			if newer {
				q = `SELECT body FROM messages WHERE conv_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`
			}
			rows, err := tx.Query(ctx, q, convID, lo, hi, n)
			if err != nil {
				return nil, fmt.Errorf("history %s: %w", convID, err)
			}
			return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*pb.Message, error) {
				var body []byte
				if err := r.Scan(&body); err != nil {
					return nil, err
				}
				return decode(body)
			})
		}
		out, more, err = store.WalkHistory(lo, hi, t, count, newer, keep, probe, hiddenIn, page)
		return err
	})
	return out, more, err
}

// DeleteBefore implements store.Store's DeleteBefore (retention): every
// message sent before t goes, with what hangs on it; each conversation
// keeps its numbering and starts where its remaining messages do.
func (d *DB) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	before := t.UnixMilli()
	var n int64
	err := d.write(ctx, func(w *wtx) error {
		// Conversations' new first sequence numbers, before their rows go.
		// The start moves past the last message deleted (sent times follow
		// sequence numbers, so what goes is a prefix). Not from the head: a
		// message appended while this waits for its conversation's row is
		// past this statement's snapshot, and must stay visible.
		if _, err := w.tx.Exec(ctx, `UPDATE convs SET first_seq = o.last_old + 1
FROM (SELECT conv_id, max(seq) AS last_old FROM messages WHERE sent_time < $1 GROUP BY conv_id) o
WHERE convs.id = o.conv_id AND convs.first_seq <= o.last_old`, before); err != nil {
			return fmt.Errorf("move conversation starts: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM user_hidden h USING messages m WHERE m.conv_id = h.conv_id AND m.seq = h.seq AND m.sent_time < $1`, before); err != nil {
			return fmt.Errorf("drop hidden marks: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM mentions n USING messages m WHERE m.conv_id = n.conv_id AND m.seq = n.seq AND m.sent_time < $1`, before); err != nil {
			return fmt.Errorf("drop mentions: %w", err)
		}
		// Events not yet sent carry their messages' bodies (outbox.go): a
		// message's event is created at its sent time.
		if _, err := w.tx.Exec(ctx, `DELETE FROM outbox WHERE kind IN ($1, $2) AND created < $3`, store.OutboxMessage, store.OutboxStored, before); err != nil {
			return fmt.Errorf("drop the deleted messages' events: %w", err)
		}
		tag, err := w.tx.Exec(ctx, `DELETE FROM messages WHERE sent_time < $1`, before)
		if err != nil {
			return fmt.Errorf("delete messages: %w", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	return n, nil
}

// EraseUser implements store.Store's EraseUser: the user's messages become
// tombstones (store.Erased) in place, and the rest of their state goes, in
// one transaction. (SQLite walks the messages first, outside its one
// writer; here the transaction holds only the rows it changes.)
func (d *DB) EraseUser(ctx context.Context, user string, revokeBefore time.Time) (int64, error) {
	var n int64
	err := d.write(ctx, func(t *wtx) error {
		n = 0
		// The user's lock: their own changes (profile, friends) wait.
		if err := t.lockUsers(ctx, user); err != nil {
			return err
		}
		// The log's head first: an append to the log in flight holds it,
		// and its message is then deleted with the rest (deleting the
		// messages first would leave it behind, at a number the log reuses).
		logConv := store.UserLogID(user)
		for _, q := range []string{
			`DELETE FROM convs WHERE id = $1`,
			`DELETE FROM messages WHERE conv_id = $1`,
		} {
			if _, err := t.tx.Exec(ctx, q, logConv); err != nil {
				return fmt.Errorf("erase log: %w", err)
			}
		}
		for _, q := range []string{
			`DELETE FROM user_convs WHERE user_id = $1`,
			`DELETE FROM user_hidden WHERE user_id = $1`,
			`DELETE FROM mentions WHERE user_id = $1`,
			`DELETE FROM mentions WHERE sender = $1 AND conv_id IN (SELECT conv_id FROM sent_convs WHERE sender = $1)`,
			`DELETE FROM conv_settings WHERE user_id = $1`,
			`DELETE FROM tags WHERE user_id = $1`,
			`DELETE FROM tag_convs WHERE user_id = $1`,
			`DELETE FROM tag_versions WHERE user_id = $1`,
			// Their reads of their groups' messages (by the groups they are
			// in, before those rows go); the counts stay, anonymous.
			`DELETE FROM receipt_readers WHERE reader = $1 AND conv_id IN (SELECT 'g:' || group_id FROM group_members WHERE user_id = $1)`,
			`DELETE FROM group_members WHERE user_id = $1`,
			// An ultra group they own has no owner after them (its members
			// stay; the app server still runs it).
			`UPDATE ultra_groups SET owner = '' WHERE owner = $1 AND id IN (SELECT group_id FROM ultra_members WHERE user_id = $1)`,
			// Their ultra groups' private channels by the groups they are in
			// (the channels' rows are keyed by group), then the groups.
			`DELETE FROM ultra_channel_users WHERE user_id = $1 AND group_id IN (SELECT group_id FROM ultra_members WHERE user_id = $1)`,
			`DELETE FROM ultra_members WHERE user_id = $1`,
			`DELETE FROM webpush_subscriptions WHERE user_id = $1`,
			`DELETE FROM group_applications WHERE user_id = $1 OR inviter = $1`,
			`DELETE FROM people WHERE user_id = $1`,
			`DELETE FROM friends WHERE user_id = $1 OR friend_id = $1`,
			`DELETE FROM friend_requests WHERE from_id = $1 OR to_id = $1`,
			`DELETE FROM blacklist WHERE user_id = $1`,
			`DELETE FROM subscriptions WHERE subscriber = $1 OR target = $1`,
			`DELETE FROM sent_convs WHERE sender = $1`,
		} {
			if _, err := t.tx.Exec(ctx, q, user); err != nil {
				return fmt.Errorf("erase state: %w", err)
			}
		}
		// Events not yet sent carry the bodies of the user's messages
		// (outbox.go): they go with what the messages said (and the
		// "stored."+uid events enqueued before OutboxStored kept the id).
		if _, err := t.tx.Exec(ctx, `DELETE FROM outbox o USING messages m WHERE m.sender = $1 AND o.event_id IN ('msg.' || m.uid, 'stored.' || m.uid)`, user); err != nil {
			return fmt.Errorf("erase events: %w", err)
		}
		// The user's messages become tombstones last, found by sender
		// (the (sender, client id) index): a message of theirs committed
		// while this ran is found too.
		rows, err := t.tx.Query(ctx, `SELECT conv_id, seq FROM messages WHERE sender = $1`, user)
		if err != nil {
			return fmt.Errorf("find messages: %w", err)
		}
		type at struct {
			conv string
			seq  int64
		}
		found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (at, error) {
			var x at
			err := r.Scan(&x.conv, &x.seq)
			return x, err
		})
		if err != nil {
			return fmt.Errorf("find messages: %w", err)
		}
		for _, x := range found {
			body, err := store.Erased(user, x.conv, uint64(x.seq)).Marshal()
			if err != nil {
				return err
			}
			// The client id goes too: nothing of the user is left to match.
			tag, err := t.tx.Exec(ctx, `UPDATE messages SET body = $1, sender = '', client_msg_id = uid, counted = 0 WHERE conv_id = $2 AND seq = $3 AND sender = $4`,
				body, x.conv, x.seq, user)
			if err != nil {
				return fmt.Errorf("erase message: %w", err)
			}
			n += tag.RowsAffected()
		}
		if _, err := t.tx.Exec(ctx, `INSERT INTO users(id, tokens_valid_after) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET tokens_valid_after = excluded.tokens_valid_after`, user, revokeBefore.UnixMilli()); err != nil {
			return fmt.Errorf("erase state: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("erase %s: %w", user, err)
	}
	return n, nil
}

// Backup implements store.Store's Backup: the database is the state, and
// PostgreSQL's own tools copy it.
func (d *DB) Backup(ctx context.Context, path string) error {
	return fmt.Errorf("backup: with the PostgreSQL store, back up the database itself (pg_dump, or the server's base backups and WAL archive); files under --data are copied apart: %w", errors.ErrUnsupported)
}

// Import implements store.Store's Import: the messages in one transaction,
// each under a savepoint, so one refused (out of order, its uid taken)
// changes nothing and the rest go on.
func (d *DB) Import(ctx context.Context, msgs []store.Imported) ([]error, error) {
	for _, m := range msgs {
		if m.Msg.GetClientMsgId() == "" || m.Msg.GetUid() == "" {
			return nil, errors.New("import: a message without uid or client_msg_id")
		}
	}
	out := make([]error, len(msgs))
	err := d.write(ctx, func(t *wtx) error {
		clear(out)
		for i, m := range msgs {
			sp, err := t.tx.Begin(ctx) // a savepoint
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			inner := &wtx{d: d, tx: sp}
			_, dup, err := inner.put(ctx, m.ConvID, m.Msg, true)
			// The same line imported through another node at once: looked
			// for before that one committed, then met on insert.
			var pe *pgconn.PgError
			switch {
			case errors.Is(err, errResent):
				err = store.ErrExists
			case errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "messages_uid":
				err = fmt.Errorf("message %s: %w", m.Msg.Uid, store.ErrUIDTaken)
			}
			switch {
			case errors.Is(err, store.ErrOutOfOrder) || errors.Is(err, store.ErrUIDTaken) || errors.Is(err, store.ErrExists):
				out[i] = err
				if err := sp.Rollback(ctx); err != nil {
					return fmt.Errorf("import: %w", err)
				}
				continue
			case err != nil:
				return err
			case dup:
				out[i] = store.ErrExists
			}
			if err := sp.Commit(ctx); err != nil { // releases the savepoint
				return fmt.Errorf("import: %w", err)
			}
			t.merge(inner)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
