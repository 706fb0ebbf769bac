package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imwasm/imwasm/internal/pgtest"
	"github.com/imwasm/imwasm/proto/contract"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/storetest"
)

// holdSyncVersion locks the sync version's row from a connection of its
// own, so that every writing transaction stops at its stamp, after all it
// read and decided; release lets them commit.
func holdSyncVersion(t *testing.T, dsn string) (release func()) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT version FROM sync_state WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			tx.Commit(ctx)
			c.Close(ctx)
		}
	}
	t.Cleanup(release)
	return release
}

// Statements that wait for a lock, as pg_stat_activity shows them: a
// transaction at its stamp (held by holdSyncVersion), one at an advisory
// lock.
const (
	atStamp    = `WITH v AS (UPDATE sync_state%`
	atAdvisory = `SELECT pg_advisory_xact_lock%`
)

// waitForWaiters polls until n sessions wait for a lock in a statement
// matching one of likes (SQL LIKE patterns).
func waitForWaiters(t *testing.T, d *DB, n int, likes ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := d.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE ANY($1)`, likes).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait at %q, want %d", waiting, likes, n)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition
	}
}

// twoNodes opens two stores, nodes 1 and 2, on one new database.
func twoNodes(t *testing.T) (dsn string, both [2]*DB) {
	t.Helper()
	dsn = pgtest.Start(t).CreateDB(t)
	for i := range both {
		d, err := Open(context.Background(), dsn, Options{Node: uint16(i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		both[i] = d
	}
	return dsn, both
}

// A user joins two groups at once, through two nodes, with room for one
// more group (GroupChange.MaxJoined): one join is refused with
// ErrTooManyGroups, as SQLite's one writer refuses it. Each change locks
// its own group; the count of the user's groups is read under the user's
// lock, or both joins would see room for one and both commit.
func TestMaxJoinedAcrossNodes(t *testing.T) {
	ctx := context.Background()
	dsn, both := twoNodes(t)
	storetest.CreateGroup(t, both[0], "g1", "o1")
	storetest.CreateGroup(t, both[0], "g2", "o2")
	const maxJoined = 1
	join := func(d *DB, group string) error {
		_, err := d.ChangeGroup(ctx, group, func(g *store.Group) (*store.GroupChange, error) {
			g.Members["u"] = store.Member{Role: contract.RoleNormal, Joined: 2}
			ntf := storetest.Ntf("join-u-" + group)
			ntf.FromUser, ntf.To = g.OwnerID, group
			return &store.GroupChange{Group: g, Ntf: ntf, MaxJoined: maxJoined}, nil
		})
		return err
	}
	release := holdSyncVersion(t, dsn)
	errs := make(chan error, 2)
	for i, g := range []string{"g1", "g2"} {
		go func() { errs <- join(both[i], g) }()
	}
	waitForWaiters(t, both[0], 2, atStamp, atAdvisory) // one at its stamp, the other at it too (unlocked) or at the user's lock
	release()
	var refused int
	for range 2 {
		err := <-errs
		switch {
		case errors.Is(err, store.ErrTooManyGroups):
			refused++
		case err != nil:
			t.Fatal(err)
		}
	}
	groups, err := both[0].JoinedGroups(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if refused != 1 || len(groups) > maxJoined {
		t.Fatalf("u is in %d groups (%v), %d joins refused; want at most %d group(s), one join refused", len(groups), fmt.Sprint(groups), refused, maxJoined)
	}
}

// The same import line applied through two nodes at once (an import rerun
// on another node while the first run is still committing): the first
// stores the message, the second answers ErrExists for it, as SQLite does
// and as a rerun after the commit does. The second's check for a stored
// message runs before the first commits, and its insert then meets the
// first's row: that is an ErrExists too, not a failed Import.
func TestImportSameLineAcrossNodes(t *testing.T) {
	ctx := context.Background()
	dsn, both := twoNodes(t)
	conv := store.PrivateConvID("a", "b")
	line := func() []store.Imported {
		m := storetest.Msg("a", "b", "imported-1")
		m.Uid, m.SentTime = "U1", 1000
		return []store.Imported{{ConvID: conv, Msg: m}}
	}
	release := holdSyncVersion(t, dsn)
	type answer struct {
		res []error
		err error
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	go func() { r, err := both[0].Import(ctx, line()); first <- answer{r, err} }()
	waitForWaiters(t, both[0], 1, atStamp) // the first has stored it, uncommitted
	go func() { r, err := both[1].Import(ctx, line()); second <- answer{r, err} }()
	waitForWaiters(t, both[0], 1, "INSERT INTO convs%") // the second waits for the conversation's head
	release()
	a := <-first
	if a.err != nil || a.res[0] != nil {
		t.Fatalf("first import: %v %v", a.res, a.err)
	}
	b := <-second
	if b.err != nil || !errors.Is(b.res[0], store.ErrExists) {
		t.Fatalf("the same line through the other node: results %v, error %v; want [ErrExists], nil", b.res, b.err)
	}
}
