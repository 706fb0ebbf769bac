// Package postgres is the Store on PostgreSQL, for servers that run as
// several nodes sharing one database. Its behaviours are those
// of the SQLite store, checked by the same conformance suite
// (server/store/storetest).
//
// What differs from SQLite, where one writer goroutine owns every
// conversation's head and the sync version: here several nodes write at
// once, so
//
//   - a conversation's next sequence number is taken by updating its convs
//     row, which PostgreSQL locks until the transaction ends: appends to
//     one conversation from any node queue there, and a transaction that
//     rolls back gives its number back, so numbers stay gapless;
//   - de-duplication is the unique index on (sender, client id): a resend
//     that reaches another node waits for the first insert's transaction
//     and then finds its message;
//   - the sync version is taken last in each writing transaction, from one
//     row (sync_state) that stays locked until the commit. Versions are
//     therefore committed in the order they are taken, and a reader that
//     sees version V sees every change stamped V or less: a device whose
//     cursor moves to V never skips a change that commits later with a
//     smaller version (the hazard of a sequence taken earlier in the
//     transaction). Rows a transaction changes are stamped with its version
//     just before the commit;
//   - appends are committed in batches by one goroutine per node
//     (batch.go), as SQLite's writer does, in two round trips a batch.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imwasm/imwasm/server/store"
)

var _ store.Store = (*DB)(nil)

// Options tune the store; zero values take the defaults.
type Options struct {
	// Node distinguishes message UIDs minted by the nodes sharing the
	// database; 0, the default, takes the next from the database at Open,
	// so that every process has its own.
	Node   uint16
	Logger *slog.Logger
	// Now is the clock of sent times and uids (tests; default time.Now).
	Now func() time.Time
}

// DB is a PostgreSQL-backed store.
type DB struct {
	opts Options
	pool *pgxpool.Pool
	uids *store.UIDGen

	// ctx is the batching goroutine's (appendLoop): Close ends it, after
	// closed has stopped new appends.
	ctx         context.Context
	cancel      context.CancelFunc
	appends     chan appendJob
	closed      chan struct{}
	appendsDone chan struct{}
	closeOnce   sync.Once

	outbox atomic.Bool // SetOutbox: each stored message's event goes into the outbox (putMany)

	beforeCommit func() // tests: runs between a write's stamp and its commit
}

// Open connects to the database at dsn (a postgres:// URL) and brings its
// schema up to date; nodes starting together take turns (an advisory lock).
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if opts.Node == 0 {
		var n int64
		if err := pool.QueryRow(ctx, `SELECT nextval('node_ids')`).Scan(&n); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres store: node id: %w", err)
		}
		opts.Node = uint16(n)
	}
	d := &DB{opts: opts, pool: pool, uids: store.NewUIDGen(opts.Node),
		appends: make(chan appendJob), closed: make(chan struct{}), appendsDone: make(chan struct{})}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	go d.appendLoop()
	return d, nil
}

// Ping reports whether the database answers (the server's /healthz).
func (d *DB) Ping(ctx context.Context) error { return unavailable(d.pool.Ping(ctx)) }

// closeGrace is how long Close waits for a batch under way.
const closeGrace = 10 * time.Second

// Close stops the batching goroutine (a batch under way finishes) and
// closes the connections.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		close(d.closed)
		// A batch under way finishes, unless it is stuck (a lock held
		// elsewhere, a dead connection): then it is cancelled.
		select {
		case <-d.appendsDone:
		case <-time.After(closeGrace):
			d.cancel()
			<-d.appendsDone
		}
		d.cancel()
		d.pool.Close()
	})
	return nil
}

// wtx is one writing transaction. What it changes that devices sync by is
// noted as it goes and stamped with the transaction's sync version at the
// end (see the package comment).
type wtx struct {
	d         *DB
	tx        pgx.Tx
	convs     map[string]bool    // conversations whose head moved
	userConvs map[[2]string]bool // (user, conversation) rows changed
	settings  map[settingsKey]bool
}

// settingsKey is a conv_settings row's key.
type settingsKey struct {
	user, target, channel string
	typ                   int32
}

func (t *wtx) touchConv(id string) {
	if t.convs == nil {
		t.convs = map[string]bool{}
	}
	t.convs[id] = true
}

func (t *wtx) touchUserConv(user, convID string) {
	if t.userConvs == nil {
		t.userConvs = map[[2]string]bool{}
	}
	t.userConvs[[2]string{user, convID}] = true
}

// merge takes what inner, a savepoint of t's, changed.
func (t *wtx) merge(inner *wtx) {
	for id := range inner.convs {
		t.touchConv(id)
	}
	for k := range inner.userConvs {
		t.touchUserConv(k[0], k[1])
	}
	for k := range inner.settings {
		t.touchSettings(k)
	}
}

func (t *wtx) touchSettings(k settingsKey) {
	if t.settings == nil {
		t.settings = map[settingsKey]bool{}
	}
	t.settings[k] = true
}

// stamp takes the transaction's sync version and stamps what it changed;
// a transaction that changed nothing devices sync takes none.
func (t *wtx) stamp(ctx context.Context) error {
	if len(t.convs) == 0 && len(t.userConvs) == 0 && len(t.settings) == 0 {
		return nil
	}
	// The version and the conversations' stamps in one round trip (most
	// writes are appends, which change conversations only).
	ids := make([]string, 0, len(t.convs))
	for id := range t.convs {
		ids = append(ids, id)
	}
	var v int64
	if err := t.tx.QueryRow(ctx, `WITH v AS (UPDATE sync_state SET version = version + 1 WHERE id = 1 RETURNING version),
s AS (UPDATE convs SET changed = (SELECT version FROM v) WHERE id = ANY($1))
SELECT version FROM v`, ids).Scan(&v); err != nil {
		return fmt.Errorf("take sync version: %w", err)
	}
	if len(t.userConvs) > 0 {
		users, convs := make([]string, 0, len(t.userConvs)), make([]string, 0, len(t.userConvs))
		for k := range t.userConvs {
			users, convs = append(users, k[0]), append(convs, k[1])
		}
		if _, err := t.tx.Exec(ctx, `UPDATE user_convs u SET changed = $1 FROM unnest($2::text[], $3::text[]) AS k(user_id, conv_id)
WHERE u.user_id = k.user_id AND u.conv_id = k.conv_id`, v, users, convs); err != nil {
			return fmt.Errorf("stamp user conversations: %w", err)
		}
	}
	if len(t.settings) > 0 {
		var users, targets, channels []string
		var types []int32
		for k := range t.settings {
			users, targets, channels, types = append(users, k.user), append(targets, k.target), append(channels, k.channel), append(types, k.typ)
		}
		if _, err := t.tx.Exec(ctx, `UPDATE conv_settings s SET changed = $1
FROM unnest($2::text[], $3::int[], $4::text[], $5::text[]) AS k(user_id, conv_type, target, channel)
WHERE s.user_id = k.user_id AND s.conv_type = k.conv_type AND s.target = k.target AND s.channel = k.channel`, v, users, types, targets, channels); err != nil {
			return fmt.Errorf("stamp conversation settings: %w", err)
		}
	}
	return nil
}

// Version implements store.Store's Version: the last sync version
// committed, read from the database (another node may have committed
// since this one last looked). A device whose cursor equals it skips its
// sync, so when the database cannot answer it returns a value no cursor
// has: the device syncs and learns the truth then.
func (d *DB) Version() uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var v uint64
	if err := d.pool.QueryRow(ctx, `SELECT version FROM sync_state WHERE id = 1`).Scan(&v); err != nil {
		d.opts.Logger.Warn("read sync version", "err", err)
		return math.MaxUint64
	}
	return v
}

// write runs fn in a transaction and commits it, stamped. A deadlock or a
// serialization failure (another node's transaction in the way) runs it
// again from the start, a few times.
func (d *DB) write(ctx context.Context, fn func(*wtx) error) error {
	for attempt := 0; ; attempt++ {
		err := d.writeOnce(ctx, fn)
		var pe *pgconn.PgError
		if attempt < 5 && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
			continue
		}
		return unavailable(err)
	}
}

// unavailable marks err with store.ErrUnavailable when it says PostgreSQL
// cannot be reached: no connection, a connection lost, a server shutting
// down or starting up (SQLSTATE class 08, 57P01-57P03).
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

func (d *DB) writeOnce(ctx context.Context, fn func(*wtx) error) (err error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	t := &wtx{d: d, tx: tx}
	if err := fn(t); err != nil {
		return err
	}
	if err := t.stamp(ctx); err != nil {
		return err
	}
	if d.beforeCommit != nil {
		d.beforeCommit()
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only transaction on one snapshot, so that the
// sync version it reads and the rows it reads agree.
func (d *DB) read(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return unavailable(fmt.Errorf("begin read: %w", err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return unavailable(err)
	}
	return unavailable(tx.Commit(ctx))
}
