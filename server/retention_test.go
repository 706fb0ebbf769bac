package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server"
)

// dbCount runs a COUNT query against the server's database directly (the
// SQLite file in dir, or its PostgreSQL database under
// IMWASM_TEST_STORE=postgres: q is written for SQLite and translated).
func dbCount(t *testing.T, dir, q string, args ...any) int {
	t.Helper()
	if sharedPG != nil {
		return pgCount(t, dir, q, args...)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, server.DBFile)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// waitDB waits until a COUNT query against the server's database reads
// want.
func waitDB(t *testing.T, dir string, want int, q string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n := dbCount(t, dir, q, args...); n != want; n = dbCount(t, dir, q, args...) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want %d", q, n, want)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

func TestSettingsAndRetention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The clock stands still, so a retention can draw its line between two
	// real sent times and keep it there while the loop runs.
	clk := &fixedClock{t: time.Now()}
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir; c.RetentionInterval = 100 * time.Millisecond; c.Now = clk.now })
	status, res := e.admin("GET", "/v1/settings", nil)
	if data := res["data"].(map[string]any); status != 200 || data["recallWindowSeconds"] != float64(120) || data["messageRetentionSeconds"] != float64(0) {
		t.Fatalf("defaults: %d %v", status, res)
	}
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"recallWindowSeconds": -1}); status != 400 || res["code"] != float64(codes.InvalidParameter) {
		t.Fatalf("negative window: %d %v", status, res)
	}
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"recallWindowSeconds": 1}); status != 200 {
		t.Fatalf("set window: %d %v", status, res)
	}
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	toBob := client.Conversation{Type: client.Private, TargetID: "bob"}
	var old []*client.Message
	for i := range 3 {
		old = append(old, alice.send(t, text("bob", client.Private, fmt.Sprint("old", i))))
	}
	// The window is now one second, and the first message is older.
	clk.set(time.UnixMilli(old[0].SentTime).Add(time.Second + time.Millisecond))
	if _, err := alice.RecallMessage(context.Background(), toBob, old[0].MessageUID, old[0].SentTime, client.RecallOptions{}); codes.Of(err) != codes.RecallMessage {
		t.Fatalf("recall after the changed window: %v", err)
	}
	fresh := alice.send(t, text("bob", client.Private, "new"))
	bob.waitMessages(t, 4)

	// Retention of one second, a second after the new message was sent:
	// the old messages go, the new one stays, and a new device syncs from
	// there without gaps.
	cutoff := fresh.SentTime
	clk.set(time.UnixMilli(cutoff).Add(time.Second))
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"messageRetentionSeconds": 1}); status != 200 {
		t.Fatalf("set retention: %d %v", status, res)
	}
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM messages WHERE sent_time < ?`, cutoff); n != 0 {
		t.Fatalf("%d expired messages left in the database", n)
	}
	ms, _, err := bob.RemoteHistory(context.Background(), client.Conversation{Type: client.Private, TargetID: "alice"}, 0, 100, client.OrderNewer)
	if err != nil || strings.Join(contents(ms), "|") != "new" {
		t.Fatalf("history after retention: %v %v", contents(ms), err)
	}
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	if got := bob2.waitMessages(t, 1); contents(got)[0] != "new" || got[0].Seq != 4 {
		t.Fatalf("new device got %v (seq %d)", contents(got), got[0].Seq)
	}
	alice.send(t, text("bob", client.Private, "after"))
	if got := bob2.waitMessages(t, 2); contents(got)[1] != "after" {
		t.Fatalf("then %v", contents(got))
	}
	// The settings outlive a restart.
	e.stop()
	e2 := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	_, res = e2.admin("GET", "/v1/settings", nil)
	if data := res["data"].(map[string]any); data["recallWindowSeconds"] != float64(1) || data["messageRetentionSeconds"] != float64(1) {
		t.Fatalf("after restart: %v", res)
	}
}

func TestEraseUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "name": "Town", "ownerId": "alice", "memberIds": []string{"carol"}})

	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	carolToken := e.token(t, "carol", time.Hour)
	carol.connect(t, carolToken)
	carol.send(t, text("g1", client.Group, "carol in group"))
	carol.send(t, text("ug", client.UltraGroup, "ultra hello")) // and the group is cached
	carol.send(t, text("bob", client.Private, "carol to bob"))
	bob.send(t, text("carol", client.Private, "bob to carol"))
	m := carol.send(t, text("bob", client.Private, "delete me"))
	if err := carol.DeleteMessages(context.Background(), client.Conversation{Type: client.Private, TargetID: "bob"}, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}
	alice.send(t, text("g1", client.Group, "alice in group"))
	bob.waitMessages(t, 5)

	if n := dbCount(t, dir, `SELECT COUNT(*) FROM messages WHERE instr(body, ?) > 0`, []byte("carol in")); n != 1 {
		t.Fatalf("before erasing, %d bodies hold carol's text", n)
	}
	status, res := e.admin("DELETE", "/v1/users/carol", nil)
	if status != 200 || res["data"].(map[string]any)["erasedMessages"] != float64(4) { // with her ultra group message
		t.Fatalf("erase: %d %v", status, res)
	}
	carol.waitFor(t, "kicked", func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs {
			if ev.Kind == client.EventStatus && ev.Status == client.StatusDisconnected {
				return true
			}
		}
		return false
	})
	for q, args := range map[string][]any{
		`SELECT COUNT(*) FROM messages WHERE sender=?`:            {"carol"},
		`SELECT COUNT(*) FROM messages WHERE instr(body, ?) > 0`:  {[]byte("carol in")},
		`SELECT COUNT(*) FROM messages WHERE instr(body, ?) > 0 `: {[]byte("carol to")},
		`SELECT COUNT(*) FROM messages WHERE conv_id=?`:           {"u:carol"},
		`SELECT COUNT(*) FROM user_convs WHERE user_id=?`:         {"carol"},
		`SELECT COUNT(*) FROM user_hidden WHERE user_id=?`:        {"carol"},
		`SELECT COUNT(*) FROM group_members WHERE user_id=?`:      {"carol"},
	} {
		if n := dbCount(t, dir, q, args...); n != 0 {
			t.Fatalf("%s: %d rows left", q, n)
		}
	}
	// Others keep their own messages, gapless: a new device of bob's gets
	// everything but carol's.
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	e.fence(t, bob2)
	got := strings.Join(contents(bob2.messages()), "|")
	hist, _, err := bob2.RemoteHistory(context.Background(), client.Conversation{Type: client.Private, TargetID: "carol"}, 0, 10, client.OrderNewer)
	if err != nil || strings.Join(contents(hist), "|") != "bob to carol" {
		t.Fatalf("bob's history with carol: %v %v", contents(hist), err)
	}
	if strings.Contains(got, "carol in") || strings.Contains(got, "carol to") || !strings.Contains(got, "bob to carol") || !strings.Contains(got, "alice in group") {
		t.Fatalf("bob's new device: %s", got)
	}
	// Her tokens from before the erase are revoked (one minted a second
	// later on the server's clock is good); she is no longer in the group.
	c2 := e.device("carol", "c2", devOpts{})
	if _, err := c2.Connect(context.Background(), carolToken); codes.Of(err) != codes.ConnTokenIncorrect {
		t.Fatalf("connect with a token from before the erase: %v", err)
	}
	e.clock.add(time.Second)
	c3 := e.device("carol", "c3", devOpts{})
	c3.connect(t, e.token(t, "carol", time.Hour))
	if status, res := e.admin("POST", "/v1/messages", map[string]any{"fromUserId": "carol", "conversationType": 3, "targetIds": []string{"g1"}, "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "x"}); status != 400 || res["code"] != float64(codes.NotInGroup) {
		t.Fatalf("erased user still in the group: %d %v", status, res)
	}
	if _, err := c3.SendMessage(context.Background(), text("ug", client.UltraGroup, "back"), client.SendOptions{}); err == nil {
		t.Fatal("erased user still in the ultra group")
	}
}
