// Package sqlite is the embedded default Store: one SQLite database in WAL
// mode, written by a single goroutine that commits in batches.
//
// Why this shape (measured on a 2-core machine: BENCHMARKS.md): one writer avoids
// SQLite's lock contention and is the natural owner of per-conversation
// sequence numbers; batching amortises commits; time-ordered message ids
// keep index inserts at the right edge; checkpoints run on their own
// connection every ~200 ms instead of on the commit path.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Options tune the store; zero values take the defaults.
type Options struct {
	// MaxBatch is the most jobs one transaction commits (default 1000).
	MaxBatch int
	// MaxDelay is how long a batch waits for more jobs after its first
	// (default 2ms).
	MaxDelay time.Duration
	// CheckpointEvery is the background WAL checkpoint period (default 200ms).
	CheckpointEvery time.Duration
	// RewindFrames is the WAL length, in pages, above which the writer
	// finishes a checkpoint itself so that the WAL starts over (default
	// 8192, ~32 MB at 4 KB pages).
	RewindFrames int64
	// EraseWalk is how many sequence numbers of a conversation one read of
	// EraseUser's walk covers (default 10,000): each read is a short
	// snapshot, so checkpoints and WAL rewinds go on during a long walk.
	EraseWalk uint64
	// FullSync makes every commit fsync the WAL (synchronous=FULL), so an
	// acknowledged message survives power loss, not only a process crash.
	FullSync bool
	// Node distinguishes message UIDs minted by different servers.
	Node   uint16
	Logger *slog.Logger
	// Now is the clock of sent times and uids (tests; default time.Now).
	Now func() time.Time
}

// DB is a SQLite-backed store.Store.
type DB struct {
	opts   Options
	wdb    *sql.DB // one connection, used only by the writer goroutine
	rdb    *sql.DB // readers
	mdb    *sql.DB // one connection for checkpoints and backups
	jobs   chan job
	uids   *store.UIDGen
	closed chan struct{}
	done   sync.WaitGroup

	committed atomic.Uint64 // highest sync version whose changes are committed
	rewindWAL atomic.Bool   // set by checkpointLoop: the writer should checkpoint (see Options.RewindFrames)
	// pendingDeliveries counts rows of pending_deliveries (approximately:
	// never below the truth), so device acks skip the lookup when none.
	pendingDeliveries atomic.Int64
	outbox            atomic.Bool     // SetOutbox: each stored message's event goes into the outbox
	claims            map[int64]claim // outbox events claimed: by whom, until when; the writer's alone (outbox.go)
	stmts             sync.Map        // read query -> *sql.Stmt, prepared once (parsing dominated reads)
	closeOnce         sync.Once
	closeErr          error
}

var _ store.Store = (*DB)(nil)

func dsn(path string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// A URI filename: '%', '?' and '#' in the path would otherwise be read
	// as an escape, the query and a fragment.
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 2 * time.Millisecond
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 200 * time.Millisecond
	}
	if opts.RewindFrames <= 0 {
		opts.RewindFrames = 8192
	}
	if opts.EraseWalk == 0 {
		opts.EraseWalk = 10000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	syncMode := "synchronous(NORMAL)"
	if opts.FullSync {
		syncMode = "synchronous(FULL)"
	}
	// A 16 MB page cache for the writer: with the default 2 MB a batch
	// touching a thousand conversations spilled pages mid-transaction.
	// Not more: while the database is under 1 GB, every commit after a
	// b-tree split scans the whole page-cache hash (the split renumbers a
	// page through the never-used page at byte 1 GB, and the commit drops
	// cached pages past the end of the file), so each cached page costs
	// every such commit; 64 MB cost 4 % more server CPU at 10,000 msg/s.
	wdb, err := sql.Open("sqlite", dsn(path, "journal_mode(WAL)", syncMode, "busy_timeout(10000)", "wal_autocheckpoint(0)", "foreign_keys(OFF)", "cache_size(-16384)"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := migrate(ctx, wdb); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)", "query_only(1)", "cache_size(-16384)"))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open readers %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(4)
	rdb.SetMaxIdleConns(4)
	mdb, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)"))
	if err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("open maintenance connection %s: %w", path, err)
	}
	mdb.SetMaxOpenConns(1)

	d := &DB{
		opts:   opts,
		wdb:    wdb,
		rdb:    rdb,
		mdb:    mdb,
		jobs:   make(chan job, 4*opts.MaxBatch),
		uids:   store.NewUIDGen(opts.Node),
		closed: make(chan struct{}),
	}
	w, err := newWriter(ctx, d)
	if err != nil {
		wdb.Close()
		rdb.Close()
		mdb.Close()
		return nil, err
	}
	d.committed.Store(w.version)
	var pending int64
	// The writer holds wdb's one connection; its goroutine is not running yet.
	if err := w.conn.c.QueryRowContext(ctx, `SELECT COUNT(*) FROM pending_deliveries`).Scan(&pending); err != nil {
		wdb.Close()
		rdb.Close()
		mdb.Close()
		return nil, fmt.Errorf("count pending deliveries: %w", err)
	}
	d.pendingDeliveries.Store(pending)
	d.done.Add(2)
	go func() { defer d.done.Done(); w.run() }()
	go func() { defer d.done.Done(); d.checkpointLoop() }()
	return d, nil
}

func (d *DB) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := d.stmts.Load(q); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := d.rdb.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", q, err)
	}
	if prev, loaded := d.stmts.LoadOrStore(q, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

func (d *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := d.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (d *DB) queryRow(ctx context.Context, q string, args ...any) row {
	s, err := d.stmt(ctx, q)
	if err != nil {
		return row{err: err}
	}
	return row{r: s.QueryRowContext(ctx, args...)}
}

// Close stops the writer after it has committed what it was given, then
// checkpoints and closes the database.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		close(d.closed)
		d.done.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := d.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			d.opts.Logger.Warn("final checkpoint", "err", err)
		}
		d.stmts.Range(func(_, s any) bool { s.(*sql.Stmt).Close(); return true })
		d.closeErr = errors.Join(d.rdb.Close(), d.mdb.Close(), d.wdb.Close())
	})
	return d.closeErr
}

func (d *DB) checkpointLoop() {
	t := time.NewTicker(d.opts.CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-d.closed:
			return
		case <-t.C:
			frames, err := d.checkpoint()
			if err != nil {
				d.opts.Logger.Warn("checkpoint", "err", err)
				continue
			}
			// Under a steady stream of commits this checkpoint never catches
			// up with the writer, so the WAL is never rewound and grows
			// without bound (1.4 GB in 20 s at 10,000 msg/s). Once it is
			// big, the writer finishes the job between two batches, and its
			// next commit starts the WAL over. Meanwhile every send waits,
			// so first more passes here shrink what is left to it: each
			// copies (and syncs) what came during the one before.
			if frames <= d.opts.RewindFrames {
				continue
			}
			for range 4 {
				more, err := d.checkpoint()
				if err != nil || more-frames < min(rewindRest, d.opts.RewindFrames/8) {
					break
				}
				frames = more
			}
			d.rewindWAL.Store(true)
		}
	}
}

// rewindRest is how many frames the background passes leave to the
// writer's own checkpoint before a rewind, at most (an eighth of
// Options.RewindFrames if that is less).
const rewindRest = 512

// checkpoint copies what it can of the WAL into the database; it returns
// the WAL's length in frames.
func (d *DB) checkpoint() (frames int64, err error) {
	var busy, done int64
	err = d.mdb.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
	return frames, err
}

// submit hands a job to the writer and waits for its result.
func (d *DB) submit(ctx context.Context, isolated bool, fn func(*wtx) (any, error)) (any, error) {
	j := job{fn: fn, isolated: isolated, reply: make(chan result, 1)}
	select {
	case d.jobs <- j:
	case <-d.closed:
		return nil, errors.New("store closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-j.reply:
		return r.v, r.err
	case <-ctx.Done():
		// The job may still commit; callers retry idempotently.
		return nil, ctx.Err()
	}
}

// Append implements store.Store.
func (d *DB) Append(ctx context.Context, convID string, m *pb.Message) (*pb.Message, bool, error) {
	if m.GetClientMsgId() == "" {
		return nil, false, errors.New("append: empty client_msg_id")
	}
	v, err := d.submit(ctx, false, func(t *wtx) (any, error) { return t.append(convID, m) })
	if err != nil {
		return nil, false, err
	}
	r := v.(appended)
	return r.msg, r.dup, nil
}

// Import implements store.Store.
func (d *DB) Import(ctx context.Context, msgs []store.Imported) ([]error, error) {
	for _, m := range msgs {
		if m.Msg.GetClientMsgId() == "" || m.Msg.GetUid() == "" {
			return nil, errors.New("import: a message without uid or client_msg_id")
		}
	}
	// Isolated: a failure of the store half-way undoes the whole call.
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		out := make([]error, len(msgs))
		for i, m := range msgs {
			r, err := t.put(m.ConvID, m.Msg, true)
			switch {
			case errors.Is(err, store.ErrOutOfOrder) || errors.Is(err, store.ErrUIDTaken):
				out[i] = err
			case err != nil:
				return nil, err
			case r.dup:
				out[i] = store.ErrExists
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]error), nil
}

// MessageByUID implements store.Store.
func (d *DB) MessageByUID(ctx context.Context, convID, uid string) (*pb.Message, error) {
	var body []byte
	err := d.queryRow(ctx, `SELECT body FROM messages WHERE uid=? AND conv_id=?`, uid, convID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %s: %w", uid, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", uid, err)
	}
	m := &pb.Message{}
	if err := m.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("message %s: decode: %w", uid, err)
	}
	return m, nil
}

// MessageByClientID implements store.Store.
func (d *DB) MessageByClientID(ctx context.Context, user, clientMsgID string) (*pb.Message, error) {
	var body []byte
	err := d.queryRow(ctx, sqlLookupClient, user, clientMsgID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("message %s of %s: %w", clientMsgID, user, err)
	}
	m := &pb.Message{}
	if err := m.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("message %s of %s: decode: %w", clientMsgID, user, err)
	}
	return m, nil
}

// Modify implements store.Store.
func (d *DB) Modify(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message) (*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.modify(convID, uid, apply, marker) })
	if err != nil {
		return nil, err
	}
	return v.(*pb.Message), nil
}

type appended struct {
	msg *pb.Message
	dup bool
}

// Pull implements store.Store.
func (d *DB) Pull(ctx context.Context, user, convID string, afterSeq uint64, limit int, windowStart time.Time, windowMax int) ([]*pb.Message, uint64, uint64, error) {
	startSeq, last, err := d.visibleRange(ctx, user, convID)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("pull: %w", err)
	}
	after := max(afterSeq, startSeq-1)
	if afterSeq == 0 && last > 0 {
		// New-device window: the newest windowMax messages newer than windowStart.
		if windowMax > 0 && last > uint64(windowMax) {
			after = max(after, last-uint64(windowMax))
		}
		var first sql.NullInt64
		err := d.queryRow(ctx, `SELECT MIN(seq) FROM messages WHERE conv_id=? AND seq>? AND sent_time>=?`,
			convID, after, windowStart.UnixMilli()).Scan(&first)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("pull %s: window: %w", convID, err)
		}
		if first.Valid {
			after = max(after, uint64(first.Int64)-1)
		} else {
			// Nothing in the window: the last message still comes (with
			// the markers after it: an edit, a recall), so the device
			// lists the conversation (an old one, an imported one) as
			// RongIMLib's list does, and pages back from it.
			rows, err := d.query(ctx, `SELECT seq, body FROM messages WHERE conv_id=? AND seq>? AND seq<=? ORDER BY seq DESC LIMIT ?`,
				convID, after, last, store.MarkersBack)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("pull %s: the last message: %w", convID, err)
			}
			from, err := store.LastMessageFrom(func(yield func(uint64, []byte) bool) error {
				defer rows.Close()
				for rows.Next() {
					var seq uint64
					var body []byte
					if err := rows.Scan(&seq, &body); err != nil {
						return err
					}
					if !yield(seq, body) {
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
	hi := last
	rows, err := d.query(ctx, `SELECT body FROM messages WHERE conv_id=? AND seq>? AND seq<=? ORDER BY seq LIMIT ?`, convID, after, hi, limit)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("pull %s: %w", convID, err)
	}
	defer rows.Close()
	var out []*pb.Message
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, 0, 0, fmt.Errorf("pull %s: scan: %w", convID, err)
		}
		m := &pb.Message{}
		if err := m.Unmarshal(body); err != nil {
			return nil, 0, 0, fmt.Errorf("pull %s: decode: %w", convID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("pull %s: %w", convID, err)
	}
	if len(out) > 0 {
		hidden, err := d.hiddenSeqs(ctx, user, convID, out[0].Seq, out[len(out)-1].Seq)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("pull %s: %w", convID, err)
		}
		for i, m := range out {
			if hidden[m.Seq] {
				out[i] = store.Tombstone(m)
			}
		}
	}
	return out, after + 1, last, nil
}

// hiddenSeqs returns the sequence numbers in [lo, hi] of convID that user
// deleted for themselves.
func (d *DB) hiddenSeqs(ctx context.Context, user, convID string, lo, hi uint64) (map[uint64]bool, error) {
	if lo > hi {
		lo, hi = hi, lo
	}
	rows, err := d.query(ctx, `SELECT seq FROM user_hidden WHERE user_id=? AND conv_id=? AND seq>=? AND seq<=?`, user, convID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("hidden messages: %w", err)
	}
	defer rows.Close()
	var out map[uint64]bool
	for rows.Next() {
		var s uint64
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("hidden messages: %w", err)
		}
		if out == nil {
			out = map[uint64]bool{}
		}
		out[s] = true
	}
	return out, rows.Err()
}

// Hidden implements store.Store.
func (d *DB) Hidden(ctx context.Context, user, convID string, lo, hi uint64) (map[uint64]bool, error) {
	return d.hiddenSeqs(ctx, user, convID, lo, hi)
}

// Setting implements store.Store.
func (d *DB) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := d.queryRow(ctx, `SELECT value FROM settings WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// PutSetting implements store.Store.
func (d *DB) PutSetting(ctx context.Context, key string, value []byte) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		_, err := t.tx.Exec(`INSERT INTO settings(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, value)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// MergeSetting implements store.Store (in the writer: one at a time).
func (d *DB) MergeSetting(ctx context.Context, key string, fields map[string]json.RawMessage) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		var prev []byte
		err := t.tx.QueryRow(`SELECT value FROM settings WHERE key=?`, key).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		b, err := store.MergeJSON(prev, fields)
		if err != nil {
			return nil, err
		}
		_, err = t.tx.Exec(`INSERT INTO settings(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, b)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// DeleteSettings implements store.Store.
func (d *DB) DeleteSettings(ctx context.Context, keys []string) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		for _, k := range keys {
			if _, err := t.tx.Exec(`DELETE FROM settings WHERE key=?`, k); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("delete settings: %w", err)
	}
	return nil
}

// DeleteBefore implements store.Store.
func (d *DB) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	v, err := d.submit(ctx, true, func(w *wtx) (any, error) { return w.deleteBefore(t.UnixMilli()) })
	if err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	return v.(int64), nil
}

// EraseUser implements store.Store. The user's messages are looked up on
// the read pool, a conversation at a time, so that the writer (and with it
// every send) waits only for the updates and for what was sent meanwhile.
func (d *DB) EraseUser(ctx context.Context, user string, revokeBefore time.Time) (int64, error) {
	found, upTo, err := d.findSent(ctx, user)
	if err != nil {
		return 0, fmt.Errorf("erase %s: %w", user, err)
	}
	v, err := d.submit(ctx, true, func(w *wtx) (any, error) { return w.eraseUser(user, found, upTo, revokeBefore) })
	if err != nil {
		return 0, fmt.Errorf("erase %s: %w", user, err)
	}
	return v.(int64), nil
}

// findSent lists user's messages in each conversation they have sent to,
// up to the head each conversation had when its walk began; the writer
// looks after those heads.
func (d *DB) findSent(ctx context.Context, user string) ([]erased, map[string]uint64, error) {
	var found []erased
	upTo := map[string]uint64{}
	rp := readPool{ctx, d}
	// A conversation the user first sends to during the walk would be
	// walked whole by the writer; looking again for new ones leaves it
	// only those that appear in the last instant.
	for range 3 {
		convs, err := sentConvs(rp, user)
		if err != nil {
			return nil, nil, err
		}
		walked := 0
		for _, c := range convs {
			if _, ok := upTo[c]; ok {
				continue
			}
			walked++
			var head uint64
			if err := d.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv_id=?`, c).Scan(&head); err != nil {
				return nil, nil, fmt.Errorf("head of %s: %w", c, err)
			}
			for from := uint64(0); from < head; from += d.opts.EraseWalk {
				list, err := sentBetween(rp, user, c, from, min(from+d.opts.EraseWalk, head))
				if err != nil {
					return nil, nil, err
				}
				found = append(found, list...)
			}
			upTo[c] = head
		}
		if walked == 0 {
			break
		}
	}
	return found, upTo, nil
}

// readPool runs sentBetween's query on the read connections.
type readPool struct {
	ctx context.Context
	d   *DB
}

func (r readPool) Query(q string, args ...any) (*sql.Rows, error) {
	return r.d.query(r.ctx, q, args...)
}

// Hide implements store.Store.
func (d *DB) Hide(ctx context.Context, user, convID string, uids []string, entry *pb.Message) (*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.hide(user, convID, uids, entry) })
	if err != nil {
		return nil, err
	}
	return v.(*pb.Message), nil
}

// ClearHistory implements store.Store.
func (d *DB) ClearHistory(ctx context.Context, user, convID string, before int64, entry *pb.Message) (*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.clearHistory(user, convID, before, entry) })
	if err != nil {
		return nil, err
	}
	return v.(*pb.Message), nil
}

// visibleRange is the range of convID's sequence numbers user may see:
// [start, last], empty when last < start.
// VisibleRange implements store.Store.
func (d *DB) VisibleRange(ctx context.Context, user, convID string) (start, last uint64, err error) {
	return d.visibleRange(ctx, user, convID)
}

func (d *DB) visibleRange(ctx context.Context, user, convID string) (start, last uint64, err error) {
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
		err := d.queryRow(ctx, `SELECT start_seq FROM user_convs WHERE user_id=? AND conv_id=?`, user, convID).Scan(&start)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, fmt.Errorf("%s: %w", convID, err)
		}
	case pb.ConversationType_GROUP, pb.ConversationType_ULTRA_GROUP:
		err := d.queryRow(ctx, `SELECT start_seq, end_seq FROM user_convs WHERE user_id=? AND conv_id=?`, user, convID).Scan(&start, &end)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, 0, store.ErrNotMember
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%s: membership: %w", convID, err)
		}
	}
	first := uint64(1)
	if err := d.queryRow(ctx, `SELECT last_seq, first_seq FROM convs WHERE id=?`, convID).Scan(&last, &first); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("%s: %w", convID, err)
	}
	start = max(start, first) // retention removed what lies below
	if end > 0 && last > end {
		last = end
	}
	return start, last, nil
}

// History implements store.Store.
func (d *DB) History(ctx context.Context, user, convID string, t int64, count int, newer bool, keep func(*pb.Message) bool) ([]*pb.Message, bool, error) {
	lo, hi, err := d.visibleRange(ctx, user, convID)
	if err != nil {
		return nil, false, fmt.Errorf("history: %w", err)
	}
	probe := func(seq uint64) (uint64, int64, bool, error) {
		var at uint64
		var sent int64
		err := d.queryRow(ctx, `SELECT seq, sent_time FROM messages WHERE conv_id=? AND seq>=? ORDER BY seq LIMIT 1`, convID, seq).Scan(&at, &sent)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, 0, false, nil
		}
		if err != nil {
			return 0, 0, false, fmt.Errorf("%s: seek time: %w", convID, err)
		}
		return at, sent, true, nil
	}
	hiddenIn := func(lo, hi uint64) (map[uint64]bool, error) { return d.hiddenSeqs(ctx, user, convID, lo, hi) }
	page := func(lo, hi uint64, n int, newer bool) ([]*pb.Message, error) {
		q := `SELECT body FROM messages WHERE conv_id=? AND seq>=? AND seq<=? ORDER BY seq DESC LIMIT ?`
		if newer {
			q = `SELECT body FROM messages WHERE conv_id=? AND seq>=? AND seq<=? ORDER BY seq LIMIT ?`
		}
		rows, err := d.query(ctx, q, convID, lo, hi, n)
		if err != nil {
			return nil, fmt.Errorf("history %s: %w", convID, err)
		}
		defer rows.Close()
		var out []*pb.Message
		for rows.Next() {
			var body []byte
			if err := rows.Scan(&body); err != nil {
				return nil, fmt.Errorf("history %s: scan: %w", convID, err)
			}
			m := &pb.Message{}
			if err := m.Unmarshal(body); err != nil {
				return nil, fmt.Errorf("history %s: decode: %w", convID, err)
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("history %s: %w", convID, err)
		}
		return out, nil
	}
	out, more, err := store.WalkHistory(lo, hi, t, count, newer, keep, probe, hiddenIn, page)
	if err != nil {
		return nil, false, fmt.Errorf("history: %w", err)
	}
	return out, more, nil
}

// Changes implements store.Store.
func (d *DB) Changes(ctx context.Context, user string, since uint64) (uint64, []*pb.ConversationState, error) {
	// Everything up to this version is committed, so rows changed at or
	// below it are visible to the query that follows.
	version := d.committed.Load()
	rows, err := d.query(ctx, `
SELECT uc.conv_id, uc.conv_type, uc.target, COALESCE(c.last_seq, 0), CASE WHEN c.list_time > 0 THEN c.list_time ELSE COALESCE(c.last_time, 0) END, COALESCE(c.first_seq, 1), uc.start_seq, uc.end_seq, uc.read_seq
FROM user_convs uc LEFT JOIN convs c ON c.id = uc.conv_id
WHERE uc.user_id = ? AND (uc.changed > ? OR c.changed > ?)`, user, since, since)
	if err != nil {
		return 0, nil, fmt.Errorf("changes for %s: %w", user, err)
	}
	defer rows.Close()
	var out []*pb.ConversationState
	var ids []string
	var from []uint64 // counting starts above: the watermark, or what the user cannot see
	for rows.Next() {
		var id, target string
		var typ int32
		var last, first, start, end, read uint64
		var lastTime int64
		if err := rows.Scan(&id, &typ, &target, &last, &lastTime, &first, &start, &end, &read); err != nil {
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
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("changes for %s: %w", user, err)
	}
	rows.Close() // before the counts' queries: one reader connection may be all there is
	for i, st := range out {
		if !store.HasCounts(st.Conv.Type) {
			continue
		}
		if st.UnreadCount, st.MentionCount, err = d.unreadCounts(ctx, user, ids[i], from[i], st.LastSeq); err != nil {
			return 0, nil, err
		}
	}
	if out, err = d.settingsChanges(ctx, user, since, out); err != nil {
		return 0, nil, err
	}
	return version, out, nil
}

// unreadCounts counts user's unread messages and mentions of convID with
// seq in (lo, hi]: messages that count (messages.counted), from others,
// not deleted by the user, and — for the rare targeted ones — targeted at
// the user. The first count is a scan of the conversation's index entries.
func (d *DB) unreadCounts(ctx context.Context, user, convID string, lo, hi uint64) (unread, mentions uint32, err error) {
	if lo >= hi {
		return 0, 0, nil
	}
	var all, targeted, hidden uint32
	err = d.queryRow(ctx, `SELECT
	(SELECT count(*) FROM messages WHERE conv_id=?1 AND seq>?2 AND seq<=?3 AND counted=1 AND sender<>?4),
	(SELECT count(*) FROM messages WHERE conv_id=?1 AND seq>?2 AND seq<=?3 AND counted=2 AND sender<>?4),
	(SELECT count(*) FROM user_hidden h JOIN messages m ON m.conv_id=h.conv_id AND m.seq=h.seq
		WHERE h.user_id=?4 AND h.conv_id=?1 AND h.seq>?2 AND h.seq<=?3 AND m.counted=1 AND m.sender<>?4),
	(SELECT count(*) FROM mentions n WHERE n.conv_id=?1 AND n.user_id IN (?4, '') AND n.seq>?2 AND n.seq<=?3 AND n.sender<>?4
		AND NOT EXISTS (SELECT 1 FROM user_hidden h WHERE h.user_id=?4 AND h.conv_id=?1 AND h.seq=n.seq))`,
		convID, lo, hi, user).Scan(&all, &targeted, &hidden, &mentions)
	if err != nil {
		return 0, 0, fmt.Errorf("unread counts of %s in %s: %w", user, convID, err)
	}
	unread = all - hidden
	if targeted > 0 {
		n, err := d.targetedUnread(ctx, user, convID, lo, hi)
		if err != nil {
			return 0, 0, err
		}
		unread += n
	}
	return unread, mentions, nil
}

// targetedUnread counts the targeted messages of convID in (lo, hi] that
// user may see and has not deleted.
func (d *DB) targetedUnread(ctx context.Context, user, convID string, lo, hi uint64) (uint32, error) {
	rows, err := d.query(ctx, `SELECT body FROM messages m WHERE conv_id=?1 AND seq>?2 AND seq<=?3 AND counted=2 AND sender<>?4
	AND NOT EXISTS (SELECT 1 FROM user_hidden h WHERE h.user_id=?4 AND h.conv_id=?1 AND h.seq=m.seq)`, convID, lo, hi, user)
	if err != nil {
		return 0, fmt.Errorf("targeted unread in %s: %w", convID, err)
	}
	defer rows.Close()
	var n uint32
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return 0, fmt.Errorf("targeted unread in %s: %w", convID, err)
		}
		m := &pb.Message{}
		if err := m.Unmarshal(body); err != nil {
			return 0, fmt.Errorf("targeted unread in %s: decode: %w", convID, err)
		}
		if store.VisibleTo(m, user) {
			n++
		}
	}
	return n, rows.Err()
}

// settingsChanges adds user's conversation settings changed after since to
// states: to the conversation's state, or as a state of their own (a
// conversation pinned before any message).
func (d *DB) settingsChanges(ctx context.Context, user string, since uint64, states []*pb.ConversationState) ([]*pb.ConversationState, error) {
	rows, err := d.query(ctx, `SELECT conv_type, target, channel, is_top, level, time, removed_seq, dnd_until FROM conv_settings WHERE user_id = ? AND changed > ?`, user, since)
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

// Version implements store.Store.
func (d *DB) Version() uint64 { return d.committed.Load() }

// MarkRead implements store.Store.
func (d *DB) MarkRead(ctx context.Context, user, convID string, seq uint64, uid string, entries func(uint64, *pb.Message) []*pb.Message) (uint64, []*pb.Message, error) {
	type res struct {
		seq     uint64
		entries []*pb.Message
	}
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		seq, es, err := t.markRead(user, convID, seq, uid, entries)
		return res{seq, es}, err
	})
	if err != nil {
		return 0, nil, err
	}
	r := v.(res)
	return r.seq, r.entries, nil
}

// SetSettings implements store.Store.
func (d *DB) SetSettings(ctx context.Context, user string, convs []*pb.Conversation, time int64, change func(*pb.ConversationSettings, uint64), entry func(*pb.Conversation, *pb.ConversationSettings) *pb.Message) ([]*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.setSettings(user, convs, time, change, entry) })
	if err != nil {
		return nil, err
	}
	return v.([]*pb.Message), nil
}

// MarkReceipt implements store.Store.
func (d *DB) MarkReceipt(ctx context.Context, user, convID, uid string, entry func(uint64, *pb.Message) *pb.Message) (*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.markReceipt(user, convID, uid, entry) })
	if err != nil {
		return nil, err
	}
	m, _ := v.(*pb.Message)
	return m, nil
}

// Access implements store.Store.
func (d *DB) Access(ctx context.Context, user string) (store.Access, error) {
	var valid, blocked int64
	err := d.queryRow(ctx, `SELECT tokens_valid_after, blocked_until FROM users WHERE id=?`, user).Scan(&valid, &blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Access{}, nil
	}
	if err != nil {
		return store.Access{}, fmt.Errorf("access of %s: %w", user, err)
	}
	return store.AccessFrom(valid, blocked), nil
}

// BlockUser implements store.Store.
func (d *DB) BlockUser(ctx context.Context, user string, until time.Time) error {
	var ms int64
	if !until.IsZero() {
		ms = until.UnixMilli()
	}
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		_, err := t.tx.Exec(`INSERT INTO users(id, blocked_until) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET blocked_until = excluded.blocked_until`, user, ms)
		return nil, err
	})
	return err
}

// RevokeTokens implements store.Store.
func (d *DB) RevokeTokens(ctx context.Context, user string, before time.Time) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		_, err := t.tx.Exec(`INSERT INTO users(id, tokens_valid_after) VALUES (?, ?)
ON CONFLICT(id) DO UPDATE SET tokens_valid_after = MAX(tokens_valid_after, excluded.tokens_valid_after)`, user, before.UnixMilli())
		return nil, err
	})
	return err
}

// Backup implements store.Store: VACUUM INTO reads one consistent snapshot
// while the writer goes on.
func (d *DB) Backup(ctx context.Context, path string) error {
	return backupInto(ctx, d.mdb, path)
}

func backupInto(ctx context.Context, db *sql.DB, path string) error {
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// BackupFile copies the database at src (which a running server may be
// writing) to dest, consistently.
func BackupFile(ctx context.Context, src, dest string) error {
	db, err := sql.Open("sqlite", dsn(src, "busy_timeout(10000)"))
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("%s is not an imwasm database: %w", src, err)
	}
	return backupInto(ctx, db, dest)
}
