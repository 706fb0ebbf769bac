package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/auth"
)

// Every duration from outside is at most 100 years: past it, a setting of
// seconds overflowed time.Duration (a retention of 1,000 years turned
// negative and deleted every message and file).

const thousandYears = 10 * server.MaxDurationSeconds

var durationSettings = []string{"recallWindowSeconds", "messageRetentionSeconds", "receiptValiditySeconds"}

// adminSend stores n private messages from alice to bob through the admin API.
func adminSend(t *testing.T, e *env, n int) {
	t.Helper()
	for i := range n {
		status, res := e.admin("POST", "/v1/messages", map[string]any{
			"fromUserId": "alice", "conversationType": 1, "targetIds": []string{"bob"},
			"objectName": "RC:TxtMsg", "content": map[string]any{"content": fmt.Sprint("m", i)}, "clientMsgId": fmt.Sprint(time.Now().UnixNano()),
		})
		if status != 200 {
			t.Fatalf("send: %d %v", status, res)
		}
	}
}

func TestDurationsOverHundredYearsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	adminSend(t, e, 3)
	_, f, _ := e.upload(t, token(t, "alice", time.Hour), "a.txt", "text/plain", "", strings.NewReader("kept"), 4)
	msgs := dbCount(t, dir, `SELECT COUNT(*) FROM messages`)
	_, before := e.admin("GET", "/v1/settings", nil)

	for _, name := range durationSettings {
		for _, v := range []int64{server.MaxDurationSeconds + 1, thousandYears, math.MaxInt64} {
			// A valid field beside the bad one is not taken either.
			status, res := e.admin("PUT", "/v1/settings", map[string]any{name: v, "receiptMaxReaders": 7})
			if msg, _ := res["msg"].(string); status != 400 || res["code"] != float64(codes.InvalidParameter) || !strings.Contains(msg, name) || !strings.Contains(msg, "100 years") {
				t.Errorf("%s = %d: %d %v", name, v, status, res)
			}
		}
	}
	if _, after := e.admin("GET", "/v1/settings", nil); !reflect.DeepEqual(after, before) {
		t.Fatalf("settings changed by refused PUTs: %v, were %v", after, before)
	}
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM messages`); n != msgs {
		t.Fatalf("%d messages after refused PUTs, had %d", n, msgs)
	}
	if res, _ := get(t, f.URL); res.StatusCode != 200 {
		t.Fatalf("the file after refused PUTs: %d", res.StatusCode)
	}

	// 100 years is taken, and a retention of 100 years deletes nothing.
	all := map[string]any{}
	for _, name := range durationSettings {
		all[name] = server.MaxDurationSeconds
	}
	if status, res := e.admin("PUT", "/v1/settings", all); status != 200 {
		t.Fatalf("100 years: %d %v", status, res)
	}
	_, res := e.admin("GET", "/v1/settings", nil)
	for _, name := range durationSettings {
		if got := res["data"].(map[string]any)[name]; got != float64(server.MaxDurationSeconds) {
			t.Errorf("%s = %v after setting 100 years", name, got)
		}
	}
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM messages`); n != msgs {
		t.Fatalf("%d messages after a retention of 100 years, had %d", n, msgs)
	}
	if res, _ := get(t, f.URL); res.StatusCode != 200 {
		t.Fatalf("the file after a retention of 100 years: %d", res.StatusCode)
	}

	// The token API's ttlSeconds: 1 s to 100 years (0, as absent, is the
	// default day).
	for _, v := range []int64{server.MaxDurationSeconds + 1, thousandYears, math.MaxInt64, -1} {
		status, res := e.admin("POST", "/v1/users/alice/token", map[string]any{"ttlSeconds": v})
		if status != 400 || res["code"] != float64(codes.InvalidParameter) || !strings.Contains(fmt.Sprint(res["msg"]), "ttlSeconds") {
			t.Errorf("ttlSeconds %d: %d %v", v, status, res)
		}
	}
	status, res := e.admin("POST", "/v1/users/alice/token", map[string]any{"ttlSeconds": server.MaxDurationSeconds})
	if status != 200 {
		t.Fatalf("ttlSeconds of 100 years: %d %v", status, res)
	}
	c, err := auth.Verify([]byte(appSecret), res["data"].(map[string]any)["token"].(string), time.Now())
	if err != nil || c.ExpiresAt-c.IssuedAt != server.MaxDurationSeconds {
		t.Fatalf("a token of 100 years: %+v %v", c, err)
	}
}

// A database from a version that took any value may hold a setting past
// the limit: at the next start it is held to 100 years, with a warning,
// instead of deleting everything at the first retention pass.
func TestStoredDurationOverLimitHeldToIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	adminSend(t, e, 3)
	_, f, _ := e.upload(t, token(t, "alice", time.Hour), "a.txt", "text/plain", "", strings.NewReader("kept"), 4)
	msgs := dbCount(t, dir, `SELECT COUNT(*) FROM messages`)
	e.stop()

	ctx := context.Background()
	db := openStore(t, dir) // the server's, while it is stopped
	old := map[string]any{}
	for _, name := range durationSettings {
		old[name] = thousandYears
	}
	b, _ := json.Marshal(old)
	if err := db.PutSetting(ctx, "app", b); err != nil {
		t.Fatal(err)
	}
	db.Close()

	lg := newLogs()
	e = newEnv(t, func(c *server.Config) {
		c.DataDir = dir
		c.Logger = lg.logger()
		c.RetentionInterval = 20 * time.Millisecond
	})
	lg.wait(t, "of a retention pass", message("retention pass"))
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM messages`); n != msgs {
		t.Fatalf("%d messages after a retention pass, had %d", n, msgs)
	}
	if res, _ := get(t, e.url+"/v1/files/"+f.ID); res.StatusCode != 200 {
		t.Fatalf("the file after a retention pass: %d", res.StatusCode)
	}
	warned := map[string]bool{}
	for _, r := range lg.all(message("stored setting over 100 years: using 100 years")) {
		warned[r.attrs["setting"]] = r.level == slog.LevelWarn
	}
	_, res := e.admin("GET", "/v1/settings", nil)
	for _, name := range durationSettings {
		if got := res["data"].(map[string]any)[name]; got != float64(server.MaxDurationSeconds) || !warned[name] {
			t.Errorf("%s = %v (warned: %v), want 100 years and a warning", name, got, warned[name])
		}
	}

	// Receipts are still taken (an overflowed validity made every
	// message too old for one).
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	m := text("bob", client.Private, "read me")
	m.NeedReceipt = true
	sent := alice.send(t, m)
	bob.waitFor(t, "the message", func(got []*client.Message, _ []client.Event) bool {
		for _, g := range got {
			if g.MessageUID == sent.MessageUID {
				return true
			}
		}
		return false
	})
	if err := bob.RespondReceipts(ctx, client.Conversation{Type: client.Private, TargetID: "alice"}, []string{sent.MessageUID}); err != nil {
		t.Fatalf("a receipt after the restart: %v", err)
	}
	alice.waitReceipt(t, "bob's receipt", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool {
		return len(r.Counts) == 1 && r.Counts[0].ReadCount == 1
	})
}

func TestNewRefusesRecallWindowOver100Years(t *testing.T) {
	t.Parallel()
	srv, err := server.New(context.Background(), server.Config{AppKey: appKey, AppSecret: appSecret, DataDir: t.TempDir(), RecallWindow: server.MaxDuration + time.Second})
	if err == nil {
		srv.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "over 100 years") {
		t.Fatalf("New with a recall window of 100 years and a second: %v", err)
	}
}
