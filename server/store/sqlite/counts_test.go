package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// A database from before the counts gets them from its messages.
func TestMigrationBackfillsCounts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "im.db")
	db, err := sql.Open("sqlite", dsn(path, "journal_mode(WAL)"))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 11); err != nil {
		t.Fatal(err)
	}
	conv := store.PrivateConvID("alice", "bob")
	for i := range 1500 {
		m := msg("alice", "bob", fmt.Sprint("c", i))
		m.Seq, m.Uid, m.SentTime, m.IsCounted = uint64(i+1), fmt.Sprint("uid", i), int64(i+1), i%3 != 0
		if i == 7 {
			mention(2, "bob")(m)
		}
		body, _ := m.Marshal()
		if _, err := db.Exec(`INSERT INTO messages(conv_id, seq, uid, sender, client_msg_id, sent_time, body) VALUES (?,?,?,?,?,?,?)`,
			conv, m.Seq, m.Uid, m.FromUser, m.ClientMsgId, m.SentTime, body); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		if _, err := db.Exec(`INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed) VALUES (?,?,1,?,1,0,0,1)`, u[0], conv, u[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO convs(id, last_seq, last_time, changed) VALUES (?,1500,1500,1)`, conv); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d := open(t, path)
	p := &pb.Conversation{Type: pb.ConversationType_PRIVATE}
	p.Target = "alice"
	if u, m := countsOf(t, d, "bob", p); u != 1000 || m != 1 {
		t.Fatalf("bob after the migration: unread %d mentions %d, want 1000 1", u, m)
	}
	p.Target = "bob"
	if u, m := countsOf(t, d, "alice", p); u != 0 || m != 0 {
		t.Fatalf("alice's own messages counted: %d %d", u, m)
	}
}
