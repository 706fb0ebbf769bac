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

// countsOf is user's unread and mention counts of conv in a full sync.
func countsOf(t *testing.T, d *DB, user string, conv *pb.Conversation) (uint32, uint32) {
	t.Helper()
	_, states, err := d.Changes(context.Background(), user, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Conv.Type == conv.Type && s.Conv.Target == conv.Target {
			return s.UnreadCount, s.MentionCount
		}
	}
	t.Fatalf("%s has no state for %v", user, conv)
	return 0, 0
}

func groupMsg(from, cid string, edit func(*pb.Message)) *pb.Message {
	m := msg(from, "g1", cid)
	m.ConvType, m.IsCounted = pb.ConversationType_GROUP, true
	if edit != nil {
		edit(m)
	}
	return m
}

func mention(typ int32, users ...string) func(*pb.Message) {
	return func(m *pb.Message) {
		m.IsMentioned, m.MentionedInfo = true, &pb.MentionedInfo{Type: typ, UserIds: users}
	}
}

// The server's counts: counted messages from others above the watermark,
// less those targeted at others, deleted by the user or recalled; mentions
// for the members named and everyone for @all.
func TestUnreadCountsFromTheSequence(t *testing.T) {
	ctx := context.Background()
	d := open(t, "")
	createGroup(t, d, "g1", "a", "b", "c") // 1, not counted
	gc := store.GroupConvID("g1")
	add := func(m *pb.Message) *pb.Message {
		t.Helper()
		s, _, err := d.Append(ctx, gc, m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i := range 10 { // 2-11
		add(groupMsg("a", fmt.Sprint("a", i), nil))
	}
	add(groupMsg("b", "b0", nil))                                                         // 12: b's own
	add(groupMsg("a", "to-c", func(m *pb.Message) { m.DirectedUserIds = []string{"c"} })) // 13: c's only
	add(groupMsg("a", "to-b", func(m *pb.Message) { m.DirectedUserIds = []string{"b"} })) // 14: b's only
	add(groupMsg("a", "at-b", mention(2, "b", "b")))                                      // 15: names b (twice)
	add(groupMsg("a", "at-all", mention(1)))                                              // 16: @all
	recalled := add(groupMsg("a", "gone", mention(2, "b", "c")))                          // 17
	if _, err := d.Modify(ctx, gc, recalled.Uid, func(m *pb.Message) error {
		m.ObjectName, m.IsCounted, m.IsMentioned, m.MentionedInfo = store.RecallObjectName, false, false, nil
		return nil
	}, &pb.Message{ConvType: pb.ConversationType_GROUP, FromUser: "a", To: "g1", ClientMsgId: "recall", RecallOf: recalled.Uid}); err != nil { // 18
		t.Fatal(err)
	}
	hidden := add(groupMsg("a", "hidden", mention(1)))                       // 19: b deletes it
	add(groupMsg("a", "quiet", func(m *pb.Message) { m.IsCounted = false })) // 20
	if _, err := d.Hide(ctx, "b", gc, []string{hidden.Uid}, &pb.Message{ConvType: pb.ConversationType_USER_LOG, FromUser: "b", To: "b", ClientMsgId: "hide"}); err != nil {
		t.Fatal(err)
	}
	conv := &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g1"}
	for _, c := range []struct {
		user             string
		unread, mentions uint32
	}{
		{"b", 13, 2}, // 2-11, 14, 15, 16; mentions 15, 16
		{"c", 15, 2}, // 2-11, 12, 13, 15, 16, 19; mentions 16, 19
		{"a", 1, 0},  // b's 12
	} {
		if u, m := countsOf(t, d, c.user, conv); u != c.unread || m != c.mentions {
			t.Errorf("%s: unread %d mentions %d, want %d %d", c.user, u, m, c.unread, c.mentions)
		}
	}
	if _, _, err := d.MarkRead(ctx, "b", gc, 14, "", nil); err != nil {
		t.Fatal(err)
	}
	if u, m := countsOf(t, d, "b", conv); u != 2 || m != 2 {
		t.Errorf("b after reading to 14: unread %d mentions %d, want 2 2", u, m)
	}
	if _, _, err := d.MarkRead(ctx, "b", gc, 0, "", nil); err != nil {
		t.Fatal(err)
	}
	if u, m := countsOf(t, d, "b", conv); u != 0 || m != 0 {
		t.Errorf("b after reading all: unread %d mentions %d", u, m)
	}
}

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
