package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

type job struct {
	fn func(*wtx) (any, error)
	// isolated jobs run in a savepoint, so their failure undoes only
	// their own writes. Appends skip it: they fail only before writing.
	isolated bool
	reply    chan result
}

type result struct {
	v   any
	err error
}

// conv is the writer's view of a conversation's head.
type conv struct {
	lastSeq  uint64
	lastTime int64
	listTime int64 // the last message's that is not a marker (convs.list_time)
}

// writer owns the write connection, the sequence counters and the sync
// version. Only its goroutine touches its fields.
type writer struct {
	d       *DB
	conn    *wconn
	convs   map[string]*conv
	known   map[string]bool // user_convs ("user\x00conv") and sent_convs ("\x01user\x00conv") rows known to exist
	version uint64          // last sync version handed out
	// outboxID is the last outbox id handed out. Ids are the writer's, not
	// SQLite's (a rowid without AUTOINCREMENT is reused once the largest
	// row is deleted): an id held by a claim (DB.claims) is never a new
	// event's, so finishing that claim cannot delete a later event.
	outboxID int64
}

// wtx is one batch: the transaction and what it changed.
type wtx struct {
	*writer
	tx      *wconn
	touched map[string]bool // convs whose head moved
	after   []func()        // see onCommit
	// claimed: outbox events claimed by this batch's jobs, not yet in
	// DB.claims (onCommit puts them there): a second claim in the batch
	// must not take them too.
	claimed map[int64]bool
}

// onCommit runs f once the batch's transaction has committed, and never if
// it does not or the job fails: for state kept beside the database (the
// outbox's claims), which must not run ahead of what is committed. For
// isolated jobs: a failed one is rolled back to its savepoint, while a
// failed plain job's writes may still commit without its f.
func (t *wtx) onCommit(f func()) { t.after = append(t.after, f) }

// wconn runs the writer's statements on its one connection, each prepared
// once: re-parsing SQL per batch cost a third of the writer's CPU. The
// transaction is plain BEGIN/COMMIT on that connection, because
// database/sql re-prepares connection statements inside a *sql.Tx.
type wconn struct {
	c     *sql.Conn
	cache map[string]*sql.Stmt
}

func (w *wconn) stmt(q string) (*sql.Stmt, error) {
	if s, ok := w.cache[q]; ok {
		return s, nil
	}
	s, err := w.c.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", q, err)
	}
	w.cache[q] = s
	return s, nil
}

func (w *wconn) Exec(q string, args ...any) (sql.Result, error) {
	s, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.Exec(args...)
}

func (w *wconn) Query(q string, args ...any) (*sql.Rows, error) {
	s, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.Query(args...)
}

// row is *sql.Row with the prepare error folded into Scan.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (w *wconn) QueryRow(q string, args ...any) row {
	s, err := w.stmt(q)
	if err != nil {
		return row{err: err}
	}
	return row{r: s.QueryRow(args...)}
}

// raw runs a statement that must not be cached (transaction control).
func (w *wconn) raw(q string) error {
	_, err := w.c.ExecContext(context.Background(), q)
	return err
}

const (
	sqlInsertMessage = `INSERT INTO messages(conv_id, seq, uid, sender, client_msg_id, sent_time, body, counted) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`
	sqlLookupClient  = `SELECT body FROM messages WHERE sender=? AND client_msg_id=?`
)

func newWriter(ctx context.Context, d *DB) (*writer, error) {
	conn, err := d.wdb.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	w := &writer{d: d, conn: &wconn{c: conn, cache: map[string]*sql.Stmt{}}, convs: map[string]*conv{}, known: map[string]bool{}}
	err = conn.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT MAX(changed) FROM convs), 0), COALESCE((SELECT MAX(changed) FROM user_convs), 0))`).Scan(&w.version)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read sync version: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&w.outboxID); err != nil {
		conn.Close()
		return nil, fmt.Errorf("read the outbox's last id: %w", err)
	}
	return w, nil
}

func (w *writer) run() {
	defer func() {
		for _, s := range w.conn.cache {
			s.Close()
		}
		w.conn.c.Close()
	}()
	batch := make([]job, 0, w.d.opts.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		batch = batch[:0]
		select {
		case j := <-w.d.jobs:
			batch = append(batch, j)
		case <-w.d.closed:
			// Commit whatever is still queued, then stop.
			for {
				select {
				case j := <-w.d.jobs:
					batch = append(batch, j)
					if len(batch) == w.d.opts.MaxBatch {
						w.commit(batch)
						batch = batch[:0]
					}
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				w.commit(batch)
			}
			return
		}
		// Group commit: gather what arrives within MaxDelay of the first
		// job (or MaxBatch jobs). Each commit writes every touched page to
		// the WAL, so a few milliseconds of waiting buys far fewer writes.
		timer.Reset(w.d.opts.MaxDelay)
	gather:
		for len(batch) < w.d.opts.MaxBatch {
			select {
			case j := <-w.d.jobs:
				batch = append(batch, j)
			case <-timer.C:
				break gather
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		w.commit(batch)
		if w.d.rewindWAL.Swap(false) {
			// Between transactions the writer holds no snapshot, so this
			// can copy every frame; the next commit then rewinds the WAL.
			if err := w.conn.raw(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				w.d.opts.Logger.Warn("writer checkpoint", "err", err)
			}
		}
	}
}

// commit runs the batch in one transaction. A job's own error (bad input)
// is rolled back to its savepoint and reported to it alone; a failure of the
// transaction itself fails every job of the batch.
func (w *writer) commit(batch []job) {
	results := make([]result, len(batch))
	tx := w.conn
	var after []func() // the committed jobs' onCommit
	err := func() (err error) {
		// A bug outside the jobs (heads, commit) fails this batch rather
		// than the writer goroutine, which would take the server with it.
		defer func() {
			if r := recover(); r != nil {
				tx.Rollback()
				err = fmt.Errorf("store batch panicked: %v", r)
			}
		}()
		if err := tx.raw(`BEGIN IMMEDIATE`); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		t := &wtx{writer: w, tx: tx, touched: map[string]bool{}}
		for i, j := range batch {
			mark := len(t.after)
			if !j.isolated {
				v, err := safeRun(j.fn, t)
				if err != nil {
					t.after = t.after[:mark]
				}
				results[i] = result{v, err}
				continue
			}
			if err := tx.raw(`SAVEPOINT job`); err != nil {
				tx.Rollback()
				return fmt.Errorf("savepoint: %w", err)
			}
			v, err := safeRun(j.fn, t)
			if err != nil {
				if rerr := tx.raw(`ROLLBACK TO job`); rerr != nil {
					tx.Rollback()
					return fmt.Errorf("rollback to savepoint: %w", rerr)
				}
				// The job may have moved cached heads before failing;
				// they reload (inside this transaction) on next use.
				clear(w.convs)
				clear(w.known)
				t.after = t.after[:mark]
			}
			if rerr := tx.raw(`RELEASE job`); rerr != nil {
				tx.Rollback()
				return fmt.Errorf("release savepoint: %w", rerr)
			}
			results[i] = result{v, err}
		}
		if err := t.flushHeads(); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.raw(`COMMIT`); err != nil {
			tx.Rollback()
			return fmt.Errorf("commit: %w", err)
		}
		after = t.after
		return nil
	}()
	if err != nil {
		w.d.opts.Logger.Error("store batch failed", "jobs", len(batch), "err", err)
		// The cache may be ahead of what is committed.
		clear(w.convs)
		clear(w.known)
		for i := range results {
			results[i] = result{nil, err}
		}
	} else {
		w.d.committed.Store(w.version)
		for _, f := range after {
			w.runHook(f)
		}
	}
	for i, j := range batch {
		j.reply <- results[i]
	}
}

// runHook runs an onCommit hook; one that panics is logged, not the
// writer's end.
func (w *writer) runHook(f func()) {
	defer func() {
		if r := recover(); r != nil {
			w.d.opts.Logger.Error("store: an after-commit hook panicked", "panic", r)
		}
	}()
	f()
}

func safeRun(fn func(*wtx) (any, error), t *wtx) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store job panicked: %v", r)
		}
	}()
	return fn(t)
}

// Rollback ends a failed transaction (a no-op when none is open).
func (w *wconn) Rollback() {
	w.raw(`ROLLBACK`)
}

// head returns the cached head of convID, loading it on first use.
func (t *wtx) head(convID string) (*conv, error) {
	if c, ok := t.convs[convID]; ok {
		return c, nil
	}
	// The sequence and time from the messages themselves, not from convs:
	// convs is written once at the end of a batch, the messages as they
	// come (a job rolled back inside a batch reloads its heads so).
	c := &conv{}
	var written conv
	err := t.tx.QueryRow(`SELECT last_seq, last_time, list_time FROM convs WHERE id=?`, convID).Scan(&written.lastSeq, &written.lastTime, &written.listTime)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load head of %s: %w", convID, err)
	}
	err = t.tx.QueryRow(`SELECT seq, sent_time FROM messages WHERE conv_id=? ORDER BY seq DESC LIMIT 1`, convID).Scan(&c.lastSeq, &c.lastTime)
	if errors.Is(err, sql.ErrNoRows) {
		// Retention may have deleted every message: the numbers go on
		// from the head as last written (the history starts past it).
		*c, err = written, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load head of %s: %w", convID, err)
	}
	c.listTime = written.listTime
	if c.lastSeq > written.lastSeq {
		// Messages of this transaction past the head as written: the
		// list time is the last of them that is not a marker.
		if c.listTime, err = t.listTimeSince(convID, written.lastSeq, c.listTime); err != nil {
			return nil, err
		}
	}
	t.convs[convID] = c
	return c, nil
}

// listTimeSince is the time of the last message of convID past seq that is not
// a marker, or listTime when all are.
func (t *wtx) listTimeSince(convID string, seq uint64, listTime int64) (int64, error) {
	rows, err := t.tx.Query(`SELECT sent_time, body FROM messages WHERE conv_id=? AND seq>? ORDER BY seq`, convID, seq)
	if err != nil {
		return 0, fmt.Errorf("list time of %s: %w", convID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var body []byte
		if err := rows.Scan(&at, &body); err != nil {
			return 0, fmt.Errorf("list time of %s: %w", convID, err)
		}
		m := &pb.Message{}
		if err := m.Unmarshal(body); err != nil {
			return 0, fmt.Errorf("list time of %s: decode: %w", convID, err)
		}
		if !store.IsMarker(m) {
			listTime = at
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list time of %s: %w", convID, err)
	}
	return listTime, nil
}

// flushHeads writes each moved conversation head once per batch.
func (t *wtx) flushHeads() error {
	if len(t.touched) == 0 {
		return nil
	}
	t.version++
	for id := range t.touched {
		// head reloads what a rolled-back job cleared from the cache (it
		// reads the messages of this transaction as they now stand).
		c, err := t.head(id)
		if err != nil {
			return err
		}
		if c.lastSeq == 0 {
			continue // its only message was rolled back
		}
		if _, err := t.tx.Exec(`INSERT INTO convs(id, last_seq, last_time, list_time, changed) VALUES (?,?,?,?,?)
ON CONFLICT(id) DO UPDATE SET last_seq=excluded.last_seq, last_time=excluded.last_time, list_time=excluded.list_time, changed=excluded.changed`,
			id, c.lastSeq, c.lastTime, c.listTime, t.version); err != nil {
			return fmt.Errorf("update head of %s: %w", id, err)
		}
	}
	return nil
}

// append stores m in convID unless its (sender, client id) is stored.
// The insert comes first and the unique index on (sender, client id)
// rejects a resend; the sequence number it would have taken is not
// consumed, so the conversation stays gapless. This keeps the common case
// at one statement.
func (t *wtx) append(convID string, m *pb.Message) (appended, error) {
	return t.put(convID, m, false)
}

// put is append, or with imported an imported message (store.Imported):
// it keeps its uid and sent time, must not be older than the
// conversation's last message, and raises no counts or mentions.
func (t *wtx) put(convID string, m *pb.Message, imported bool) (appended, error) {
	if store.IsChatroomConv(convID) {
		// A room destroyed since its member was checked: its history is
		// not made again (nothing written yet).
		var one int
		err := t.tx.QueryRow(`SELECT 1 FROM chatrooms WHERE id=?`, store.ChatroomOf(convID)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return appended{}, fmt.Errorf("chat room %s: %w", convID, store.ErrNotFound)
		}
		if err != nil {
			return appended{}, err
		}
	}
	c, err := t.head(convID)
	if err != nil {
		return appended{}, err
	}
	stored := m // Append owns m (see store.Store): no copy on the hot path
	stored.Seq = c.lastSeq + 1
	counted := store.CountClass(stored)
	if imported {
		// A rerun finds its messages before their times are judged.
		if prev, err := t.byClientID(m.FromUser, m.ClientMsgId); err != nil || prev != nil {
			return appended{prev, prev != nil}, err
		}
		if m.SentTime < c.lastTime {
			return appended{}, fmt.Errorf("message %s sent %d, before %s's last message (%d): %w", m.Uid, m.SentTime, convID, c.lastTime, store.ErrOutOfOrder)
		}
		// History pages by time: no two messages of a conversation share one.
		// Read history: counted by no one, on the server or by a device
		// that counts what it holds.
		stored.SentTime, counted, stored.IsCounted = max(m.SentTime, c.lastTime+1), 0, false
	} else {
		now := t.d.opts.Now()
		stored.SentTime = max(now.UnixMilli(), c.lastTime+1)
		stored.Uid = t.d.uids.Next(now)
	}
	body, err := stored.Marshal()
	if err != nil {
		return appended{}, fmt.Errorf("encode message: %w", err)
	}
	// Noted before the insert: a resend of a message whose first attempt
	// committed without its note (a failure after the insert does not undo
	// it) still leaves the pair for erasing to find. (An imported message
	// is noted after: a refused one changes nothing.)
	if !imported {
		if err := t.noteSent(stored.FromUser, convID); err != nil {
			return appended{}, err
		}
	}
	res, err := t.tx.Exec(sqlInsertMessage, convID, stored.Seq, stored.Uid, stored.FromUser, stored.ClientMsgId, stored.SentTime, body, counted)
	if err != nil {
		return appended{}, fmt.Errorf("insert message: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		prev, err := t.byClientID(m.GetFromUser(), m.GetClientMsgId())
		if err == nil && prev == nil {
			if imported { // not a resend: the uid is another message's
				return appended{}, fmt.Errorf("message %s: %w", stored.Uid, store.ErrUIDTaken)
			}
			err = sql.ErrNoRows
		}
		if err != nil {
			return appended{}, fmt.Errorf("insert message %s/%d: conflict: %w", convID, stored.Seq, err)
		}
		return appended{prev, true}, nil
	}
	if imported {
		if err := t.noteSent(stored.FromUser, convID); err != nil {
			return appended{}, err
		}
	}
	c.lastSeq, c.lastTime = stored.Seq, stored.SentTime
	if !store.IsMarker(stored) {
		c.listTime = stored.SentTime
	}
	t.touched[convID] = true
	if t.d.outbox.Load() && !imported && stored.ConvType != pb.ConversationType_USER_LOG {
		// Its webhook event, in its transaction: never one without the
		// other. The message's body is not copied: a claim reads it from
		// messages (outbox.go).
		t.outboxID++
		if _, err := t.tx.Exec(`INSERT INTO outbox(id, event_id, kind, body, created, due) VALUES (?,?,?,x'',?,?) ON CONFLICT(event_id) DO NOTHING`,
			t.outboxID, "msg."+stored.Uid, store.OutboxMessage, stored.SentTime, stored.SentTime); err != nil {
			return appended{}, fmt.Errorf("outbox: %w", err)
		}
	}
	if stored.IsMentioned && !imported {
		if err := insertMentions(t.tx, convID, stored); err != nil {
			return appended{}, err
		}
	}
	switch stored.ConvType {
	case pb.ConversationType_PRIVATE:
		if err := t.ensureUserConv(stored.FromUser, convID, stored.To, stored.ConvType); err != nil {
			return appended{}, err
		}
		if err := t.ensureUserConv(stored.To, convID, stored.FromUser, stored.ConvType); err != nil {
			return appended{}, err
		}
	case pb.ConversationType_USER_LOG:
		if err := t.ensureUserConv(stored.FromUser, convID, stored.FromUser, stored.ConvType); err != nil {
			return appended{}, err
		}
	}
	if stored.DeliveryReceipt && !imported && stored.ConvType == pb.ConversationType_PRIVATE && stored.To != stored.FromUser {
		if _, err := t.tx.Exec(`INSERT INTO pending_deliveries(recipient, conv_id, seq, uid, sender, created) VALUES (?,?,?,?,?,?)`,
			stored.To, convID, stored.Seq, stored.Uid, stored.FromUser, stored.SentTime); err != nil {
			return appended{}, fmt.Errorf("pending delivery: %w", err)
		}
		t.d.pendingDeliveries.Add(1) // before the commit: may count one that rolls back, never too few
	}
	return appended{stored, false}, nil
}

// byClientID answers the message user sent with client id id (nil: none).
func (t *wtx) byClientID(user, id string) (*pb.Message, error) {
	var body []byte
	if err := t.tx.QueryRow(sqlLookupClient, user, id).Scan(&body); errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up %s's message %s: %w", user, id, err)
	}
	m := &pb.Message{}
	if err := m.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("decode stored message: %w", err)
	}
	return m, nil
}

func (t *wtx) modify(convID, uid string, apply func(*pb.Message) error, marker *pb.Message) (*pb.Message, error) {
	var body []byte
	err := t.tx.QueryRow(`SELECT body FROM messages WHERE uid=? AND conv_id=?`, uid, convID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("modify %s: %w", uid, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("modify %s: %w", uid, err)
	}
	m := &pb.Message{}
	if err := m.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("modify %s: decode: %w", uid, err)
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
	if _, err := t.tx.Exec(`UPDATE messages SET body=?, counted=? WHERE uid=?`, body, store.CountClass(m), uid); err != nil {
		return nil, fmt.Errorf("modify %s: %w", uid, err)
	}
	// Whom it mentions may have changed (a recall mentions nobody).
	if _, err := t.tx.Exec(`DELETE FROM mentions WHERE conv_id=? AND seq=?`, convID, seq); err != nil {
		return nil, fmt.Errorf("modify %s: mentions: %w", uid, err)
	}
	if err := insertMentions(t.tx, convID, m); err != nil {
		return nil, err
	}
	r, err := t.append(convID, marker)
	if err != nil {
		return nil, err
	}
	if r.dup {
		return nil, fmt.Errorf("modify %s: marker %s: %w", uid, marker.ClientMsgId, store.ErrExists)
	}
	return r.msg, nil
}

func (t *wtx) hide(user, convID string, uids []string, entry *pb.Message) (*pb.Message, error) {
	hid := int64(0)
	for _, uid := range uids {
		res, err := t.tx.Exec(`INSERT INTO user_hidden(user_id, conv_id, seq)
SELECT ?, conv_id, seq FROM messages WHERE uid=? AND conv_id=? ON CONFLICT DO NOTHING`, user, uid, convID)
		if err != nil {
			return nil, fmt.Errorf("hide %s: %w", uid, err)
		}
		n, _ := res.RowsAffected()
		hid += n
	}
	if hid > 0 {
		// The user's counts of it changed: a device's next sync is told.
		t.version++
		if _, err := t.tx.Exec(`UPDATE user_convs SET changed=? WHERE user_id=? AND conv_id=?`, t.version, user, convID); err != nil {
			return nil, fmt.Errorf("hide in %s: %w", convID, err)
		}
	}
	return t.appendLog(entry)
}

func (t *wtx) clearHistory(user, convID string, before int64, entry *pb.Message) (*pb.Message, error) {
	var last sql.NullInt64
	if err := t.tx.QueryRow(`SELECT MAX(seq) FROM messages WHERE conv_id=? AND sent_time<=?`, convID, before).Scan(&last); err != nil {
		return nil, fmt.Errorf("clear %s: %w", convID, err)
	}
	if last.Valid {
		if entry.GetLog() != nil {
			entry.Log.ClearedSeq = uint64(last.Int64)
		}
		t.version++
		// Raising the first visible sequence number hides the rest from
		// pulls, history and a new device's sync alike.
		if _, err := t.tx.Exec(`UPDATE user_convs SET start_seq=MAX(start_seq, ?), changed=? WHERE user_id=? AND conv_id=?`,
			last.Int64+1, t.version, user, convID); err != nil {
			return nil, fmt.Errorf("clear %s: %w", convID, err)
		}
	}
	return t.appendLog(entry)
}

func (t *wtx) deleteBefore(before int64) (int64, error) {
	// Conversations' new first sequence numbers, before their rows go.
	if _, err := t.tx.Exec(`UPDATE convs SET first_seq = COALESCE(
	(SELECT MIN(m.seq) FROM messages m WHERE m.conv_id = convs.id AND m.sent_time >= ?), convs.last_seq + 1)
WHERE first_seq <= (SELECT MAX(m.seq) FROM messages m WHERE m.conv_id = convs.id AND m.sent_time < ?)`, before, before); err != nil {
		return 0, fmt.Errorf("move conversation starts: %w", err)
	}
	if _, err := t.tx.Exec(`DELETE FROM user_hidden WHERE EXISTS (
	SELECT 1 FROM messages m WHERE m.conv_id = user_hidden.conv_id AND m.seq = user_hidden.seq AND m.sent_time < ?)`, before); err != nil {
		return 0, fmt.Errorf("drop hidden marks: %w", err)
	}
	if _, err := t.tx.Exec(`DELETE FROM mentions WHERE EXISTS (
	SELECT 1 FROM messages m WHERE m.conv_id = mentions.conv_id AND m.seq = mentions.seq AND m.sent_time < ?)`, before); err != nil {
		return 0, fmt.Errorf("drop mentions: %w", err)
	}
	res, err := t.tx.Exec(`DELETE FROM messages WHERE sent_time < ?`, before)
	if err != nil {
		return 0, fmt.Errorf("delete messages: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// erased is one message of a user's found for erasing.
type erased struct {
	id   int64
	conv string
	seq  uint64
}

// eraseUser tombstones the messages of user's that found lists (read
// outside the writer, up to seq upTo[conv] in each conversation), finds
// those sent since (or to conversations found did not know), and removes
// the rest of the user's state; tokens issued before revokeBefore are
// revoked.
func (t *wtx) eraseUser(user string, found []erased, upTo map[string]uint64, revokeBefore time.Time) (int64, error) {
	logConv := store.UserLogID(user)
	convs, err := sentConvs(t.tx, user)
	if err != nil {
		return 0, err
	}
	for _, c := range convs {
		more, err := sentBetween(t.tx, user, c, upTo[c], math.MaxInt64) // from 0 when the walk did not see c
		if err != nil {
			return 0, err
		}
		found = append(found, more...)
	}
	var n int64
	for _, r := range found {
		body, err := store.Erased(user, r.conv, r.seq).Marshal()
		if err != nil {
			return 0, err
		}
		// The client id goes too: nothing of the user is left to match.
		// (The other conditions skip a row retention removed since the
		// walk, even if its rowid was taken again.)
		res, err := t.tx.Exec(`UPDATE messages SET body=?, sender='', client_msg_id=uid, counted=0 WHERE id=? AND conv_id=? AND seq=? AND sender=?`, body, r.id, r.conv, r.seq, user)
		if err != nil {
			return 0, fmt.Errorf("erase message: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM messages WHERE conv_id=?`, []any{logConv}},
		{`DELETE FROM convs WHERE id=?`, []any{logConv}},
		{`DELETE FROM user_convs WHERE user_id=?`, []any{user}},
		{`DELETE FROM user_hidden WHERE user_id=?`, []any{user}},
		// By index, not a scan inside the writer's transaction: those of
		// the user by mentions_user, those by the user through the
		// conversations they sent to.
		{`DELETE FROM mentions WHERE user_id=?`, []any{user}},
		{`DELETE FROM mentions WHERE sender=?1 AND conv_id IN (SELECT conv_id FROM sent_convs WHERE sender=?1)`, []any{user}},
		{`DELETE FROM conv_settings WHERE user_id=?`, []any{user}},
		{`DELETE FROM tags WHERE user_id=?`, []any{user}},
		{`DELETE FROM tag_convs WHERE user_id=?`, []any{user}},
		{`DELETE FROM tag_versions WHERE user_id=?`, []any{user}},
		// Their reads of their groups' messages (by the groups they are
		// in, before those rows go); the counts stay, anonymous.
		{`DELETE FROM receipt_readers WHERE reader=?1 AND conv_id IN (SELECT 'g:' || group_id FROM group_members WHERE user_id=?1)`, []any{user}},
		{`DELETE FROM group_members WHERE user_id=?`, []any{user}},
		// An ultra group they own has no owner after them (its members
		// stay; the app server still runs it).
		{`UPDATE ultra_groups SET owner='' WHERE owner=?1 AND id IN (SELECT group_id FROM ultra_members WHERE user_id=?1)`, []any{user}},
		// Their ultra groups' private channels by the groups they are in
		// (the channels' rows are keyed by group), then the groups.
		{`DELETE FROM ultra_channel_users WHERE user_id=?1 AND group_id IN (SELECT group_id FROM ultra_members WHERE user_id=?1)`, []any{user}},
		{`DELETE FROM ultra_members WHERE user_id=?`, []any{user}},
		{`DELETE FROM webpush_subscriptions WHERE user_id=?`, []any{user}},
		{`DELETE FROM group_applications WHERE user_id=?1 OR inviter=?1`, []any{user}},
		{`DELETE FROM people WHERE user_id=?`, []any{user}},
		{`DELETE FROM friends WHERE user_id=?1 OR friend_id=?1`, []any{user}},
		{`DELETE FROM friend_requests WHERE from_id=?1 OR to_id=?1`, []any{user}},
		{`DELETE FROM blacklist WHERE user_id=?`, []any{user}},
		{`DELETE FROM subscriptions WHERE subscriber=?1 OR target=?1`, []any{user}},
		{`DELETE FROM sent_convs WHERE sender=?`, []any{user}},
		{`INSERT INTO users(id, tokens_valid_after) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET tokens_valid_after=excluded.tokens_valid_after`, []any{user, revokeBefore.UnixMilli()}},
	} {
		if _, err := t.tx.Exec(q.sql, q.args...); err != nil {
			return 0, fmt.Errorf("erase state: %w", err)
		}
	}
	// Cached heads and known rows may name what just went.
	clear(t.convs)
	clear(t.known)
	return n, nil
}

// querier is what sentBetween reads through: the writer's transaction or the
// read pool.
type querier interface {
	Query(q string, args ...any) (*sql.Rows, error)
}

// sentConvs lists the conversations user has sent to, but their log.
func sentConvs(q querier, user string) ([]string, error) {
	rows, err := q.Query(`SELECT conv_id FROM sent_convs WHERE sender=? AND conv_id<>?`, user, store.UserLogID(user))
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	defer rows.Close()
	var convs []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("find conversations: %w", err)
		}
		convs = append(convs, c)
	}
	return convs, rows.Err()
}

// sentBetween lists user's messages in conv with sequence numbers in
// (after, upTo], walking the conversation by its (conv_id, seq) index.
func sentBetween(q querier, user, conv string, after, upTo uint64) ([]erased, error) {
	rows, err := q.Query(`SELECT id, seq FROM messages WHERE conv_id=? AND seq>? AND seq<=? AND sender=?`, conv, int64(after), int64(min(upTo, math.MaxInt64)), user)
	if err != nil {
		return nil, fmt.Errorf("find messages in %s: %w", conv, err)
	}
	defer rows.Close()
	var list []erased
	for rows.Next() {
		r := erased{conv: conv}
		if err := rows.Scan(&r.id, &r.seq); err != nil {
			return nil, fmt.Errorf("find messages in %s: %w", conv, err)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

func (t *wtx) appendLog(entry *pb.Message) (*pb.Message, error) {
	r, err := t.append(store.UserLogID(entry.FromUser), entry)
	if err != nil {
		return nil, err
	}
	if r.dup {
		return nil, fmt.Errorf("log entry %s: %w", entry.ClientMsgId, store.ErrExists)
	}
	return r.msg, nil
}

// noteSent records that user has sent to convID (erasing a user walks
// these conversations), once per pair.
func (t *wtx) noteSent(user, convID string) error {
	return t.insertOnce("\x01"+user+"\x00"+convID, "note sender of", convID,
		`INSERT INTO sent_convs(sender, conv_id) VALUES (?,?) ON CONFLICT DO NOTHING`, user, convID)
}

// ensureUserConv creates user's row for a private conversation or their log.
func (t *wtx) ensureUserConv(user, convID, target string, typ pb.ConversationType) error {
	return t.insertOnce(user+"\x00"+convID, "user conversation", convID,
		`INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
VALUES (?,?,?,?,1,0,0,?) ON CONFLICT DO NOTHING`, user, convID, int32(typ), target, t.version+1)
}

// insertOnce runs an idempotent insert about convID unless key says its
// row exists (the hot path: a map lookup, nothing formatted).
func (t *wtx) insertOnce(key, what, convID, query string, args ...any) error {
	if t.known[key] {
		return nil
	}
	if _, err := t.tx.Exec(query, args...); err != nil {
		return fmt.Errorf("%s %s: %w", what, convID, err)
	}
	t.known[key] = true
	return nil
}

func (t *wtx) markRead(user, convID string, seq uint64, uid string, entries func(uint64, *pb.Message) []*pb.Message) (uint64, []*pb.Message, error) {
	c, err := t.head(convID)
	if err != nil {
		return 0, nil, err
	}
	if uid != "" {
		err := t.tx.QueryRow(`SELECT seq FROM messages WHERE uid=? AND conv_id=?`, uid, convID).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, fmt.Errorf("read up to %s: %w", uid, store.ErrNotFound)
		}
		if err != nil {
			return 0, nil, fmt.Errorf("read up to %s: %w", uid, err)
		}
	}
	if seq == 0 || seq > c.lastSeq {
		seq = c.lastSeq
	}
	var read uint64
	err = t.tx.QueryRow(`SELECT read_seq FROM user_convs WHERE user_id=? AND conv_id=?`, user, convID).Scan(&read)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, store.ErrNotMember
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read watermark: %w", err)
	}
	if seq <= read {
		return read, nil, nil
	}
	t.version++
	if _, err := t.tx.Exec(`UPDATE user_convs SET read_seq=?, changed=? WHERE user_id=? AND conv_id=?`, seq, t.version, user, convID); err != nil {
		return 0, nil, fmt.Errorf("move read watermark: %w", err)
	}
	if entries == nil {
		return seq, nil, nil
	}
	last, err := t.lastReal(user, convID, seq)
	if err != nil {
		return 0, nil, err
	}
	var stored []*pb.Message
	for _, e := range entries(seq, last) {
		m, err := t.appendLog(e)
		if err != nil {
			return 0, nil, err
		}
		stored = append(stored, m)
	}
	return seq, stored, nil
}

func (t *wtx) setSettings(user string, convs []*pb.Conversation, time int64, change func(*pb.ConversationSettings, uint64), entry func(*pb.Conversation, *pb.ConversationSettings) *pb.Message) ([]*pb.Message, error) {
	t.version++
	var stored []*pb.Message
	for _, c := range convs {
		set := &pb.ConversationSettings{}
		err := t.tx.QueryRow(`SELECT is_top, level, removed_seq, dnd_until FROM conv_settings WHERE user_id=? AND conv_type=? AND target=? AND channel=?`,
			user, int32(c.Type), c.Target, c.Channel).Scan(&set.IsTop, &set.NotificationLevel, &set.RemovedSeq, &set.DndUntil)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("settings of %s: %w", c.Target, err)
		}
		var last uint64
		err = t.tx.QueryRow(`SELECT last_seq FROM convs WHERE id=?`, store.ConvID(user, c)).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("settings of %s: last message: %w", c.Target, err)
		}
		change(set, last)
		set.Time = time
		if _, err := t.tx.Exec(`INSERT INTO conv_settings(user_id, conv_type, target, channel, is_top, level, time, changed, removed_seq, dnd_until) VALUES (?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(user_id, conv_type, target, channel) DO UPDATE SET is_top=excluded.is_top, level=excluded.level, time=excluded.time, changed=excluded.changed, removed_seq=excluded.removed_seq, dnd_until=excluded.dnd_until`,
			user, int32(c.Type), c.Target, c.Channel, set.IsTop, set.NotificationLevel, set.Time, t.version, set.RemovedSeq, set.DndUntil); err != nil {
			return nil, fmt.Errorf("store settings of %s: %w", c.Target, err)
		}
		m, err := t.appendLog(entry(c, set))
		if err != nil {
			return nil, err
		}
		stored = append(stored, m)
	}
	return stored, nil
}

func (t *wtx) markReceipt(user, convID, uid string, entry func(uint64, *pb.Message) *pb.Message) (*pb.Message, error) {
	var seq uint64
	var body []byte
	err := t.tx.QueryRow(`SELECT seq, body FROM messages WHERE uid=? AND conv_id=?`, uid, convID).Scan(&seq, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("receipt for %s: %w", uid, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("receipt for %s: %w", uid, err)
	}
	var told uint64
	err = t.tx.QueryRow(`SELECT receipt_seq FROM user_convs WHERE user_id=? AND conv_id=?`, user, convID).Scan(&told)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotMember
	}
	if err != nil {
		return nil, fmt.Errorf("receipt position: %w", err)
	}
	if seq <= told {
		return nil, nil
	}
	if _, err := t.tx.Exec(`UPDATE user_convs SET receipt_seq=? WHERE user_id=? AND conv_id=?`, seq, user, convID); err != nil {
		return nil, fmt.Errorf("move receipt position: %w", err)
	}
	m := &pb.Message{}
	if err := m.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("receipt for %s: decode: %w", uid, err)
	}
	return t.appendLog(entry(seq, m))
}

// lastReal is the newest message of convID at or below seq that is a
// message of its own (not a marker) and that user may see, or nil.
func (t *wtx) lastReal(user, convID string, seq uint64) (*pb.Message, error) {
	for hi := seq; hi > 0; {
		rows, err := t.tx.Query(`SELECT body FROM messages WHERE conv_id=? AND seq<=? ORDER BY seq DESC LIMIT 100`, convID, hi)
		if err != nil {
			return nil, fmt.Errorf("last read message: %w", err)
		}
		n := 0
		for rows.Next() {
			n++
			var body []byte
			if err := rows.Scan(&body); err != nil {
				rows.Close()
				return nil, fmt.Errorf("last read message: %w", err)
			}
			m := &pb.Message{}
			if err := m.Unmarshal(body); err != nil {
				rows.Close()
				return nil, fmt.Errorf("last read message: decode: %w", err)
			}
			hi = m.Seq - 1
			if !store.IsMarker(m) && store.VisibleTo(m, user) {
				rows.Close()
				return m, nil
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("last read message: %w", err)
		}
		if n < 100 {
			break
		}
	}
	return nil, nil
}
