package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// plan returns SQLite's query plan for q.
func plan(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "; ")
}

// The lookups that run inside the writer's transaction go through an
// index, never a scan of every message while all sends wait.
func TestWriterLookupsUseIndexes(t *testing.T) {
	d := open(t, "")
	for _, c := range []struct {
		name, q, index string
		args           []any
	}{
		{"resend lookup", sqlLookupClient, "messages_client_time", []any{"u", "c"}},
		{"erase: conversations", `SELECT conv_id FROM sent_convs WHERE sender=? AND conv_id<>?`, "PRIMARY KEY", []any{"u", "u:u"}},
		{"erase: messages in a range", `SELECT id, seq FROM messages WHERE conv_id=? AND seq>? AND seq<=? AND sender=?`, "messages_conv_seq", []any{"p:a:b", 0, 10, "u"}},
	} {
		if p := plan(t, d.rdb, c.q, c.args...); !strings.Contains(p, c.index) || strings.HasPrefix(p, "SCAN") {
			t.Errorf("%s: plan %q does not use %s", c.name, p, c.index)
		}
	}
}

// Messages sent between the read-side walk and the writer's part of an
// erase are erased too, and none is counted twice.
func TestEraseCatchesMessagesSentDuringTheWalk(t *testing.T) {
	ctx := context.Background()
	// A walk of one sequence number per read: every range boundary is met.
	d, err := Open(ctx, filepath.Join(t.TempDir(), "im.db"), Options{EraseWalk: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	send := func(from, to, cid string) {
		t.Helper()
		if _, _, err := d.Append(ctx, store.PrivateConvID(from, to), msg(from, to, cid)); err != nil {
			t.Fatal(err)
		}
	}
	group := &pb.Message{ConvType: pb.ConversationType_GROUP, FromUser: "carol", To: "g1", ClientMsgId: "g-1", ObjectName: "RC:TxtMsg", Content: []byte(`{}`)}
	if _, _, err := d.Append(ctx, store.GroupConvID("g1"), group); err != nil {
		t.Fatal(err)
	}
	send("bob", "carol", "b0")
	send("carol", "bob", "c1")
	send("bob", "carol", "b1")
	send("carol", "bob", "c1b")
	found, upTo, err := d.findSent(ctx, "carol")
	if err != nil || len(found) != 3 {
		t.Fatalf("walk: %v %v", found, err)
	}
	send("carol", "bob", "c2")  // a conversation the walk saw
	send("carol", "dave", "c3") // one it did not
	v, err := d.submit(ctx, true, func(w *wtx) (any, error) {
		return w.eraseUser("carol", append(found, found[0]), upTo, time.Now())
	})
	if err != nil || v.(int64) != 5 {
		t.Fatalf("erase: %v %v, want 5", v, err)
	}
	var left, bobs int
	d.rdb.QueryRow(`SELECT COUNT(*) FROM messages WHERE sender='carol'`).Scan(&left)
	d.rdb.QueryRow(`SELECT COUNT(*) FROM messages WHERE sender='bob'`).Scan(&bobs)
	if left != 0 || bobs != 2 {
		t.Fatalf("after erase: %d of carol's left, %d of bob's (want 0, 2)", left, bobs)
	}
	// Her client ids are gone: the same id from a new account of the same
	// name is a new message.
	if m, dup, err := d.Append(ctx, store.PrivateConvID("carol", "bob"), msg("carol", "bob", "c1")); err != nil || dup || m.Seq != 6 {
		t.Fatalf("resend after erase: %v dup=%v %v", m, dup, err)
	}
}

// A database from before sent_convs gets it filled from its messages.
func TestMigrationFillsSentConversations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "im.db")
	db, err := sql.Open("sqlite", dsn(path, "journal_mode(WAL)"))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 7); err != nil {
		t.Fatal(err)
	}
	for i, r := range [][3]string{{"p:alice:bob", "alice", "a1"}, {"p:alice:bob", "alice", "a2"}, {"g:g1", "alice", "a3"}, {"p:alice:bob", "bob", "b1"}} {
		if _, err := db.Exec(`INSERT INTO messages(conv_id, seq, uid, sender, client_msg_id, sent_time, body) VALUES (?,?,?,?,?,?,x'')`,
			r[0], i+1, fmt.Sprint("uid", i), r[1], r[2], i+1); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	d := open(t, path)
	var got []string
	rows, err := d.rdb.Query(`SELECT sender || ' ' || conv_id FROM sent_convs ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	rows.Close()
	if strings.Join(got, ",") != "alice g:g1,alice p:alice:bob,bob p:alice:bob" {
		t.Fatalf("sent_convs after migration: %v", got)
	}
	if n, err := d.EraseUser(ctx, "alice", time.Now()); err != nil || n != 3 {
		t.Fatalf("erase alice: %d %v", n, err)
	}
}
