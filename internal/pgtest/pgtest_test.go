package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A database written, the server killed and started again on the same
// folder: what was committed is there (the harness the stores' crash tests
// stand on).
func TestServerKeepsCommitsAcrossAKill(t *testing.T) {
	ctx := context.Background()
	s := Start(t)
	dsn := s.CreateDB(t)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `CREATE TABLE kept (n int); INSERT INTO kept VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	s.Kill()
	if _, err := pgx.Connect(ctx, dsn); err == nil {
		t.Fatal("connected to a killed server")
	}
	s.Restart(t)
	c, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT sum(n) FROM kept`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("after the restart: sum %d, %v", n, err)
	}
}
