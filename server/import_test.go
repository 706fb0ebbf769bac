package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
)

// POST /v1/import (imwasm import's server half) on a real server: what it
// adds keeps its ids and times, a second run changes nothing, bad lines
// are refused one by one.

// importLines posts lines as one part and answers the summary.
func (e *env) importLines(t *testing.T, lines ...any) server.ImportSummary {
	t.Helper()
	var body bytes.Buffer
	for _, l := range lines {
		if s, ok := l.(string); ok {
			body.WriteString(s)
		} else {
			b, _ := json.Marshal(l)
			body.Write(b)
		}
		body.WriteByte('\n')
	}
	req, _ := http.NewRequest("POST", e.url+"/v1/import", &body)
	tok, _ := authAdmin()
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Code int
		Data server.ImportSummary
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("import: HTTP %d, %v", resp.StatusCode, err)
	}
	return out.Data
}

// dbDigest hashes every row of every table of the server's database, so
// a second import can be shown to have written nothing.
func dbDigest(t *testing.T, dir string) string {
	t.Helper()
	if sharedPG != nil {
		return pgDigest(t, dir)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, server.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	h := sha256.New()
	for _, tb := range tables {
		rows, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s %v\n", tb, vals)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func importMsg(uid string, sent int64, from string, typ int, to, text string) map[string]any {
	return map[string]any{"kind": "message", "messageUId": uid, "sentTime": sent, "fromUserId": from, "conversationType": typ,
		"targetId": to, "objectName": "RC:TxtMsg", "content": map[string]any{"content": text}}
}

func TestImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	base := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC).UnixMilli()
	lines := []any{
		map[string]any{"kind": "user", "userId": "ann", "name": "Ann", "portraitUri": "https://p/ann.png"},
		map[string]any{"kind": "user", "userId": "ben", "name": "Ben"},
		map[string]any{"kind": "user", "userId": "cat"},
		map[string]any{"kind": "friend", "userId": "ann", "friendId": "ben"},
		map[string]any{"kind": "blacklist", "userId": "cat", "blockedId": "ann"},
		map[string]any{"kind": "group", "groupId": "team", "ownerId": "ann", "memberIds": []string{"ben", "cat"}, "adminIds": []string{"ben"},
			"name": "The team", "createTime": base - 1000},
		importMsg("BJ3Q-0001", base, "ann", 1, "ben", "hello"),
		importMsg("BJ3Q-0002", base+10, "ben", 1, "ann", "hi ann"),
		importMsg("BJ3Q-0003", base+10, "ann", 1, "ben", "same millisecond"),
		importMsg("G-0001", base+20, "cat", 3, "team", "to the team"),
		// Refused, each alone, the rest of the part going on:
		`{"kind":"message",`,
		map[string]any{"kind": "song"},
		importMsg("BJ3Q-0004", base-5, "ann", 1, "ben", "older than the last"),
		importMsg("BJ3Q-0001", base+30, "cat", 1, "ben", "another message's uid"),
		importMsg("G-0002", base+30, "ann", 3, "nogroup", "no such group"),
		map[string]any{"kind": "message", "messageUId": "X-1", "fromUserId": "ann", "conversationType": 1, "targetId": "ben",
			"objectName": "RC:TxtMsg", "content": "{}"}, // no sentTime
		map[string]any{"kind": "user", "userId": "bad id!"},
	}
	sum := e.importLines(t, lines...)
	if sum.Added["user"] != 3 || sum.Added["friend"] != 1 || sum.Added["blacklist"] != 1 || sum.Added["group"] != 1 || sum.Added["message"] != 4 {
		t.Fatalf("added %v, existing %v, refused %+v", sum.Added, sum.Existing, sum.Errors)
	}
	if sum.Refused != 7 || len(sum.Errors) != 7 {
		t.Fatalf("refused %d: %+v", sum.Refused, sum.Errors)
	}
	for i, want := range map[int]string{0: "JSON", 1: "kind", 2: "older", 3: "uid", 4: "group", 5: "sentTime", 6: "userId"} {
		if e := sum.Errors[i]; e.Line != 11+i || !strings.Contains(e.Error, want) {
			t.Errorf("refusal %d: %+v, want line %d about %q", i, e, 11+i, want)
		}
	}

	// Again, with ?line= numbering from elsewhere in a file: nothing changes.
	before := dbDigest(t, e.dir)
	again := e.importLines(t, lines[:10]...)
	if len(again.Added) != 0 || again.Existing["message"] != 4 || again.Existing["user"] != 3 || again.Existing["group"] != 1 {
		t.Fatalf("second run: added %v, existing %v", again.Added, again.Existing)
	}
	if after := dbDigest(t, e.dir); after != before {
		t.Fatal("the second import changed the database")
	}

	// A time ahead of the server's clock is refused (it would hold every
	// live message after it in the future); a part cut short by a line
	// too long keeps what came before it.
	future := e.importLines(t, importMsg("F-1", e.now().Add(time.Hour).UnixMilli(), "ann", 1, "cat", "from the future"))
	if future.Refused != 1 || !strings.Contains(future.Errors[0].Error, "future") {
		t.Fatalf("a future sentTime: %+v", future)
	}
	cut := e.importLines(t, importMsg("C-1", base, "cat", 1, "dan", "before the long line"), `{"kind":"user","userId":"x","name":"`+strings.Repeat("x", 1<<20)+`"}`)
	if cut.Added["message"] != 1 || cut.Refused != 1 || cut.Errors[0].Line != 2 || !strings.Contains(cut.Errors[0].Error, "stops here") {
		t.Fatalf("a part cut short: %+v", cut)
	}

	// Easemob's and NIM's exported contents, read as their server routes
	// read them (one engine: the modules render them as they render sends).
	vendor := e.importLines(t,
		map[string]any{"kind": "message", "messageUId": "EM-1", "sentTime": base + 40, "fromUserId": "ann", "conversationType": 1, "targetId": "ben",
			"easemob": map[string]any{"bodies": []any{map[string]any{"type": "txt", "msg": "from easemob"}}, "ext": map[string]any{"k": "v"}}},
		map[string]any{"kind": "message", "messageUId": "EM-2", "sentTime": base + 45, "fromUserId": "ben", "conversationType": 1, "targetId": "ann",
			"easemob": map[string]any{"bodies": []any{map[string]any{"type": "img", "url": "https://files.example/a.jpg", "filename": "a.jpg",
				"size": map[string]any{"width": 10, "height": 10}}}}},
		map[string]any{"kind": "message", "messageUId": "NIM-1", "sentTime": base + 50, "fromUserId": "ben", "conversationType": 1, "targetId": "ann",
			"nim": map[string]any{"type": 100, "body": `{"x":1}`}},
		map[string]any{"kind": "message", "messageUId": "NIM-2", "sentTime": base + 60, "fromUserId": "ben", "conversationType": 1, "targetId": "ann",
			"nim": map[string]any{"type": "1", "body": "{}"}},
		map[string]any{"kind": "message", "messageUId": "NIM-3", "sentTime": base + 60, "fromUserId": "ben", "conversationType": 1, "targetId": "ann",
			"nim": map[string]any{"type": "0", "body": `{"msg":"x"}`}, "objectName": "RC:TxtMsg"},
	)
	if vendor.Added["message"] != 3 || vendor.Refused != 2 || !strings.Contains(vendor.Errors[0].Error, "type") || !strings.Contains(vendor.Errors[1].Error, "one of them") {
		t.Fatalf("vendor contents: %+v", vendor)
	}

	// The SDK shows the history with the original ids and times, counts
	// nothing unread, and the group's members see its history.
	ben := e.device("ben", "b1", devOpts{})
	ben.connect(t, e.token(t, "ben", time.Hour))
	ms, _, err := ben.GetHistory(ctx, client.Conversation{Type: client.Private, TargetID: "ann"}, 0, 10, client.OrderOlder)
	if err != nil || len(ms) != 6 {
		t.Fatalf("history %d, %v", len(ms), err)
	}
	if ms[0].ObjectName != "NIM:CustomMsg" || string(ms[0].Content) != `{"attach":"{\"x\":1}","body":""}` ||
		ms[1].ObjectName != "RC:ImgMsg" || string(ms[1].Content) != `{"content":"","imageUri":"https://files.example/a.jpg"}` ||
		ms[2].ObjectName != "RC:TxtMsg" || string(ms[2].Content) != `{"content":"from easemob","extra":"{\"k\":\"v\"}"}` {
		t.Fatalf("vendor contents: %s %s, %s %s, %s %s", ms[0].ObjectName, ms[0].Content, ms[1].ObjectName, ms[1].Content, ms[2].ObjectName, ms[2].Content)
	}
	ms = ms[3:]
	wantUID := []string{"BJ3Q-0003", "BJ3Q-0002", "BJ3Q-0001"}
	wantTime := []int64{base + 11, base + 10, base} // one millisecond on for the second at base+10
	for i, m := range ms {
		if m.MessageUID != wantUID[i] || m.SentTime != wantTime[i] {
			t.Errorf("history[%d] = %s at %d, want %s at %d", i, m.MessageUID, m.SentTime, wantUID[i], wantTime[i])
		}
	}
	convs, err := ben.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 2 {
		t.Fatalf("%d conversations listed, want the private one and the group", len(convs))
	}
	for _, c := range convs {
		if c.UnreadCount != 0 || c.Latest == nil || c.Latest.MessageUID != map[string]string{"ann": "NIM-1", "team": "G-0001"}[c.TargetID] {
			t.Errorf("%v: %d unread, latest %+v; want imported history read, its last message latest", c.Conversation, c.UnreadCount, c.Latest)
		}
	}
	gm, _, err := ben.GetHistory(ctx, client.Conversation{Type: client.Group, TargetID: "team"}, 0, 10, client.OrderOlder)
	if err != nil || len(gm) != 1 || gm[0].MessageUID != "G-0001" || gm[0].SentTime != base+20 {
		t.Fatalf("group history: %v, %v", gm, err)
	}
	_, g := e.admin("GET", "/v1/groups/team", nil)
	if s := fmt.Sprint(g["data"]); !strings.Contains(s, "The team") {
		t.Fatalf("group: %v", g)
	}
	_, f := e.admin("GET", "/v1/users/ben/friends", nil)
	if s := fmt.Sprint(f["data"]); !strings.Contains(s, "ann") {
		t.Fatalf("friends: %v", f)
	}
	_, bl := e.admin("GET", "/v1/users/cat/blacklist", nil)
	if s := fmt.Sprint(bl["data"]); !strings.Contains(s, "ann") {
		t.Fatalf("blacklist: %v", bl)
	}
	_, p := e.admin("GET", "/v1/users/ann/profile", nil)
	if p["data"].(map[string]any)["portraitUri"] != "https://p/ann.png" {
		t.Fatalf("profile: %v", p)
	}

	// Live traffic goes on after the imported history.
	sent := ben.send(t, text("ann", client.Private, "after the move"))
	if sent.SentTime <= base+11 {
		t.Fatalf("a new message at %d, before the imported ones", sent.SentTime)
	}
}
