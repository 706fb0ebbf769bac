package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/imwasm/imwasm/internal/pgtest"
	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/postgres"
	"github.com/imwasm/imwasm/server/store/sqlite"
)

// sharedPG, when IMWASM_TEST_STORE=postgres, is the PostgreSQL that every
// test server of this package keeps its state in (a database each): the
// server's tests then run against the PostgreSQL store. Unset, they use
// SQLite, the default.
var sharedPG *pgtest.Server

// pgDatabase is the database of the server whose DataDir is dir: a server
// started again on the same folder (a restart) finds its state.
func pgDatabase(t *testing.T, dir string) string {
	pgMu.Lock()
	defer pgMu.Unlock()
	if dsn, ok := pgDBs[dir]; ok {
		return dsn
	}
	dsn := sharedPG.CreateDB(t)
	pgDBs[dir] = dsn
	return dsn
}

var (
	pgMu  sync.Mutex
	pgDBs = map[string]string{}
)

func TestMain(m *testing.M) {
	if os.Getenv("IMWASM_TEST_STORE") == "postgres" {
		pg, err := pgtest.StartMain()
		if errors.Is(err, pgtest.ErrUnavailable) && os.Getenv("IMWASM_REQUIRE_POSTGRES") == "" {
			fmt.Fprintln(os.Stderr, "IMWASM_TEST_STORE=postgres: skipped:", err)
			os.Exit(0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "IMWASM_TEST_STORE=postgres:", err)
			os.Exit(1)
		}
		sharedPG = pg
		code := m.Run()
		pg.Stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// pgConn connects to the PostgreSQL database of the server whose DataDir
// is dir.
func pgConn(t *testing.T, dir string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), pgDatabase(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// pgCount is dbCount on PostgreSQL: SQLite's ? become $n, and
// instr(body, x) > 0 (bytes in the message body) position(x in body) > 0.
func pgCount(t *testing.T, dir, q string, args ...any) int {
	t.Helper()
	n := 0
	pq := regexp.MustCompile(`\?`).ReplaceAllStringFunc(q, func(string) string { n++; return fmt.Sprint("$", n) })
	pq = regexp.MustCompile(`instr\(body, (\$\d+)\)`).ReplaceAllString(pq, "position($1::bytea in body)")
	var count int
	if err := pgConn(t, dir).QueryRow(context.Background(), pq, args...).Scan(&count); err != nil {
		t.Fatalf("%s: %v", pq, err)
	}
	return count
}

// pgDigest is dbDigest on PostgreSQL: every row of every table, in order.
func pgDigest(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	c := pgConn(t, dir)
	rows, err := c.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, tb := range tables {
		rows, err := c.Query(ctx, `SELECT row_to_json(x)::text FROM "`+tb+`" x ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		all, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			fmt.Fprintf(h, "%s %s\n", tb, r)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// openStore opens the store of the server whose DataDir is dir, as that
// server does (the server must be stopped); the caller closes it.
func openStore(t *testing.T, dir string) store.Store {
	t.Helper()
	var db store.Store
	var err error
	if sharedPG != nil {
		db, err = postgres.Open(context.Background(), pgDatabase(t, dir), postgres.Options{})
	} else {
		db, err = sqlite.Open(context.Background(), filepath.Join(dir, server.DBFile), sqlite.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}
