package server_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// RongCloud's server API under /compat/rongcloud/, driven by plain HTTP
// with RongCloud's headers, as a backend using api-cn.ronghub.com sends them.

// signedPost posts form to path with a vendor's four signature headers
// (key, nonce, time, signature = hex SHA1(secret + nonce + time)) for the
// time stamp; it answers the HTTP status and the decoded body.
func (e *env) signedPost(t *testing.T, path string, form url.Values, headers [4]string, secret, stamp string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	nonce := "n" + stamp + strconv.Itoa(len(form))
	sum := sha1.Sum([]byte(secret + nonce + stamp))
	for i, v := range []string{appKey, nonce, stamp, hex.EncodeToString(sum[:])} {
		req.Header.Set(headers[i], v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return resp.StatusCode, out
}

// rcCall posts form to the RongCloud route path, signed at ts (ms) with secret.
func (e *env) rcCall(t *testing.T, path string, form url.Values, secret string, ts time.Time) (int, map[string]any) {
	t.Helper()
	return e.signedPost(t, "/compat/rongcloud/"+path, form, [4]string{"App-Key", "Nonce", "Timestamp", "Signature"}, secret, strconv.FormatInt(ts.UnixMilli(), 10))
}

func (e *env) rcOK(t *testing.T, path string, form url.Values) map[string]any {
	t.Helper()
	status, out := e.rcCall(t, path, form, appSecret, e.now()) // the server's clock, which tests move
	if status != 200 || out["code"] != 200.0 {
		t.Fatalf("%s: %d %v", path, status, out)
	}
	return out
}

func TestRongCloudServerAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()

	// Signatures: a wrong secret, a stale or future timestamp, a missing header.
	for name, tc := range map[string]struct {
		secret string
		at     time.Time
	}{
		"wrong secret":     {"not-the-secret", time.Now()},
		"stale timestamp":  {appSecret, time.Now().Add(-10 * time.Minute)},
		"future timestamp": {appSecret, time.Now().Add(10 * time.Minute)},
	} {
		status, out := e.rcCall(t, "user/getToken.json", url.Values{"userId": {"alice"}}, tc.secret, tc.at)
		if status != 401 || out["code"] != 1004.0 {
			t.Errorf("%s: %d %v, want 401 code 1004", name, status, out)
		}
	}
	// compatSignatureWindowSeconds 0: any timestamp (rongcloud-sdk 3.x signs once, at start).
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"compatSignatureWindowSeconds": 0}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	if status, out := e.rcCall(t, "user/getToken.json", url.Values{"userId": {"alice"}}, appSecret, time.Now().Add(-48*time.Hour)); status != 200 {
		t.Fatalf("an old timestamp with no window: %d %v", status, out)
	}
	if status, out := e.rcCall(t, "user/getToken.json", url.Values{"userId": {"alice"}}, "not-the-secret", time.Now()); status != 401 {
		t.Fatalf("a wrong secret with no window: %d %v", status, out)
	}
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"compatSignatureWindowSeconds": 300}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	req, _ := http.NewRequest("POST", e.url+"/compat/rongcloud/user/getToken.json", strings.NewReader("userId=alice"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("unsigned: %v %v", resp, err)
	}

	// Tokens: a RongCloud backend's token connects the SDK, and lives long.
	out := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}, "name": {"Alice"}, "portraitUri": {"https://p/a.png"}})
	tok := out["token"].(string)
	if out["userId"] != "alice" || tok == "" {
		t.Fatalf("getToken: %v", out)
	}
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, tok)
	bobTok := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"bob"}})["token"].(string)
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, bobTok)
	if status, p := e.admin("GET", "/v1/users/alice/profile", nil); status != 200 || p["data"].(map[string]any)["name"] != "Alice" {
		t.Fatalf("profile after getToken: %d %v", status, p)
	}
	e.rcOK(t, "user/refresh.json", url.Values{"userId": {"alice"}, "name": {"Alice B."}})
	if info := e.rcOK(t, "user/info.json", url.Values{"userId": {"alice"}}); info["userName"] != "Alice B." || info["userPortrait"] != "https://p/a.png" {
		t.Fatalf("user/info.json: %v", info)
	}
	if _, p := e.admin("GET", "/v1/users/alice/profile", nil); p["data"].(map[string]any)["name"] != "Alice B." {
		t.Fatalf("profile after refresh: %v", p)
	}

	// Quiet hours: what the backend sets, the user's device reads, and the
	// reverse; bad ones change nothing.
	e.rcOK(t, "user/blockPushPeriod/set.json", url.Values{"userId": {"alice"}, "startTime": {"23:00:00"}, "period": {"120"}, "level": {"1"}, "timezone": {"+08:00"}})
	if q, err := alice.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_QUIET_HOURS_GET}); err != nil || q.QuietHours == nil ||
		*q.QuietHours != (pb.QuietHours{StartTime: "23:00:00", SpanMinutes: 120, Level: 1, Timezone: "+08:00"}) {
		t.Fatalf("quiet hours the backend set, on alice's device: %+v %v", q, err)
	}
	for _, bad := range []url.Values{
		{"userId": {"alice"}, "startTime": {"23:00"}, "period": {"60"}, "level": {"5"}},
		{"userId": {"alice"}, "startTime": {"23:00:00"}, "period": {"1440"}, "level": {"5"}},
		{"userId": {"alice"}, "startTime": {"23:00:00"}, "period": {"60"}, "level": {"2"}},
		{"userId": {"alice"}, "startTime": {"23:00:00"}, "period": {"60"}, "level": {"5"}, "timezone": {"Nowhere/City"}},
	} {
		if status, out := e.rcCall(t, "user/blockPushPeriod/set.json", bad, appSecret, time.Now()); status != 400 {
			t.Fatalf("quiet hours %v: %d %v", bad, status, out)
		}
	}
	if got := e.rcOK(t, "user/blockPushPeriod/get.json", url.Values{"userId": {"alice"}})["data"]; fmt.Sprint(got) != "map[period:120 startTime:23:00:00 unPushLevel:1]" {
		t.Fatalf("quiet hours after bad sets: %v", got)
	}
	e.rcOK(t, "user/blockPushPeriod/delete.json", url.Values{"userId": {"alice"}})
	// Quiet hours set and removed do not register a user: an import of
	// them later still brings their profile.
	e.rcOK(t, "user/blockPushPeriod/set.json", url.Values{"userId": {"ghost"}, "startTime": {"01:00:00"}, "period": {"60"}, "level": {"5"}})
	e.rcOK(t, "user/blockPushPeriod/delete.json", url.Values{"userId": {"ghost"}})
	e.rcOK(t, "user/blockPushPeriod/delete.json", url.Values{"userId": {"nobody"}})
	if sum := e.importLines(t, map[string]any{"kind": "user", "userId": "ghost", "name": "Ghost"}); sum.Existing["user"] != 0 {
		t.Fatalf("a user with quiet hours only counted as existing: %+v", sum)
	}
	if got := e.rcOK(t, "user/blockPushPeriod/get.json", url.Values{"userId": {"alice"}})["data"]; fmt.Sprint(got) != "map[period:0 startTime: unPushLevel:0]" {
		t.Fatalf("quiet hours deleted: %v", got)
	}
	if status, out := e.rcCall(t, "user/getToken.json", url.Values{"userId": {"bad id"}}, appSecret, time.Now()); status != 400 || out["code"] != 1002.0 {
		t.Fatalf("a bad userId: %d %v", status, out)
	}

	// A private message from the backend, to two users.
	out = e.rcOK(t, "message/private/publish.json", url.Values{"fromUserId": {"system"}, "toUserId": {"alice", "bob"},
		"objectName": {"RC:TxtMsg"}, "content": {`{"content":"welcome"}`}, "pushContent": {"welcome"}})
	if uids := out["messageUIDs"].([]any); len(uids) != 2 {
		t.Fatalf("messageUIDs %v", out)
	}
	got := alice.waitMessages(t, 1)
	if got[0].SenderUserID != "system" || string(got[0].Content) != `{"content":"welcome"}` || got[0].PushContent != "welcome" {
		t.Fatalf("alice got %+v", got[0])
	}
	// The backend recalls it, for its sender.
	uid := out["messageUIDs"].([]any)[0].(map[string]any)["messageUID"].(string)
	if status, res := e.rcCall(t, "message/recall.json", url.Values{"fromUserId": {"alice"}, "conversationType": {"1"}, "targetId": {"system"},
		"messageUID": {uid}}, appSecret, time.Now()); status == 200 {
		t.Fatalf("a recall by someone not the sender: %d %v", status, res)
	}
	e.rcOK(t, "message/recall.json", url.Values{"fromUserId": {"system"}, "conversationType": {"1"}, "targetId": {"alice"}, "messageUID": {uid}, "extra": {"oops"}})
	alice.waitFor(t, "the recall", func(ms []*client.Message, _ []client.Event) bool {
		for _, m := range ms {
			if m.MessageUID == uid && m.ObjectName == "RC:RcNtf" {
				return true
			}
		}
		return false
	})

	// Groups: create, join, members, a group message, quit, dismiss.
	e.rcOK(t, "group/create.json", url.Values{"userId": {"alice", "bob"}, "groupId": {"rg"}, "groupName": {"Readers"}})
	e.rcOK(t, "group/join.json", url.Values{"userId": {"carol"}, "groupId": {"rg"}})
	members := e.rcOK(t, "group/user/query.json", url.Values{"groupId": {"rg"}})["users"].([]any)
	if len(members) != 3 {
		t.Fatalf("members %v", members)
	}
	e.rcOK(t, "message/group/publish.json", url.Values{"fromUserId": {"alice"}, "toGroupId": {"rg"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"hi all"}`}})
	bob.waitFor(t, "the group text", func(ms []*client.Message, _ []client.Event) bool {
		for _, m := range ms {
			if m.TargetID == "rg" && string(m.Content) == `{"content":"hi all"}` {
				return true
			}
		}
		return false
	})
	if status, out := e.rcCall(t, "message/group/publish.json", url.Values{"fromUserId": {"dave"}, "toGroupId": {"rg"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"x"}`}}, appSecret, time.Now()); status != 400 || out["code"] == 200.0 {
		t.Fatalf("a non-member's group message: %d %v", status, out)
	}
	e.rcOK(t, "group/quit.json", url.Values{"userId": {"carol"}, "groupId": {"rg"}})
	if members := e.rcOK(t, "group/user/query.json", url.Values{"groupId": {"rg"}})["users"].([]any); len(members) != 2 {
		t.Fatalf("members after quit %v", members)
	}
	e.rcOK(t, "group/dismiss.json", url.Values{"userId": {"alice"}, "groupId": {"rg"}})
	if status, _ := e.rcCall(t, "group/user/query.json", url.Values{"groupId": {"rg"}}, appSecret, time.Now()); status != 404 {
		t.Fatalf("a dismissed group's members: %d", status)
	}

	// A system message: in the private conversation with its sender.
	e.rcOK(t, "message/system/publish.json", url.Values{"fromUserId": {"notices"}, "toUserId": {"bob"}, "objectName": {"RC:TxtMsg"},
		"content": {`{"content":"maintenance at 2"}`}, "pushContent": {"maintenance"}})
	bob.waitFor(t, "the system message", func(ms []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(ms, func(m *client.Message) bool {
			return m.TargetID == "notices" && m.SenderUserID == "notices" && string(m.Content) == `{"content":"maintenance at 2"}`
		})
	})

	// Block for a time: sessions closed and connects refused with
	// 31009; unblock: the same token connects again.
	if status, out := e.rcCall(t, "user/block.json", url.Values{"userId": {"bob"}, "minute": {"0"}}, appSecret, time.Now()); status != 400 {
		t.Fatalf("minute 0: %d %v", status, out)
	}
	e.rcOK(t, "user/block.json", url.Values{"userId": {"bob"}, "minute": {"10"}})
	bob.waitFor(t, "the block", func(_ []*client.Message, evs []client.Event) bool {
		return slices.ContainsFunc(evs, func(ev client.Event) bool { return ev.Kind == client.EventStatus && ev.Code == codes.ConnUserBlocked })
	})
	if _, err := e.device("bob", "b9", devOpts{}).Connect(context.Background(), bobTok); codes.Of(err) != codes.ConnUserBlocked {
		t.Fatalf("a blocked user's connect: %v, want 31009", err)
	}
	e.clock.add(11 * time.Minute) // the block ends by itself
	e.device("bob", "b10", devOpts{}).connect(t, bobTok)
	e.rcOK(t, "user/block.json", url.Values{"userId": {"bob"}, "minute": {"10"}})
	e.rcOK(t, "user/unblock.json", url.Values{"userId": {"bob"}})
	e.device("bob", "b11", devOpts{}).connect(t, bobTok)
	// The same through the admin API.
	if status, _ := e.admin("POST", "/v1/users/bob/block", map[string]any{"minutes": -1}); status != 400 {
		t.Fatalf("minutes -1: %d", status)
	}
	if status, res := e.admin("POST", "/v1/users/bob/block", map[string]any{"minutes": 5}); status != 200 || res["data"].(map[string]any)["blockedUntil"] == nil {
		t.Fatalf("block: %d %v", status, res)
	}
	if _, err := e.device("bob", "b12", devOpts{}).Connect(context.Background(), bobTok); codes.Of(err) != codes.ConnUserBlocked {
		t.Fatalf("blocked through the admin API: %v, want 31009", err)
	}
	if status, _ := e.admin("DELETE", "/v1/users/bob/block", nil); status != 200 {
		t.Fatalf("unblock: %d", status)
	}
	e.device("bob", "b13", devOpts{}).connect(t, bobTok)

	// Expiring tokens: the token issued before the time is refused at the next connect.
	alice.Disconnect()
	e.rcOK(t, "user/token/expire.json", url.Values{"userId": {"alice"}, "time": {strconv.FormatInt(time.Now().Add(time.Second).UnixMilli(), 10)}})
	again := e.device("alice", "a2", devOpts{})
	if _, err := again.Connect(ctx, tok); err == nil {
		t.Fatal("a revoked token connected")
	}
}

// A RongCloud token is long-lived: it still connects a day, a year later.
func TestRongCloudTokenLivesLong(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	e := newEnv(t, func(c *server.Config) { c.Now = clk.now })
	tok := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}})["token"].(string)
	clk.add(400 * 24 * time.Hour)
	d := e.device("alice", "a1", devOpts{})
	d.connect(t, tok)
}

// Static tokens (staticTokens): issued by the admin route and RongCloud's
// getToken, working after a restart, refused once revoked and once the
// app turns them off.
func TestStaticTokens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	if status, _ := e.admin("POST", "/v1/users/alice/token", map[string]any{"static": true}); status != 400 {
		t.Fatalf("a static token while they are off: %d, want 400", status)
	}
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"staticTokens": true}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	status, res := e.admin("POST", "/v1/users/alice/token", map[string]any{"static": true})
	if status != 200 {
		t.Fatalf("static token: %d %v", status, res)
	}
	tok := res["data"].(map[string]any)["token"].(string)
	rcTok := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"bob"}})["token"].(string)
	e.stop()

	clk := &clock{}
	clk.add(200 * 365 * 24 * time.Hour) // past any expiry a token could have
	e2 := newEnv(t, func(c *server.Config) { c.DataDir = dir; c.Now = clk.now })
	a := e2.device("alice", "a1", devOpts{})
	a.connect(t, tok)
	b := e2.device("bob", "b1", devOpts{})
	b.connect(t, rcTok)
	a.Disconnect()
	if status, _ := e2.admin("POST", "/v1/users/alice/kick", nil); status != 200 {
		t.Fatalf("kick: %d", status)
	}
	if _, err := e2.device("alice", "a2", devOpts{}).Connect(context.Background(), tok); err == nil {
		t.Fatal("a revoked static token connected")
	}
	if status, res := e2.admin("PUT", "/v1/settings", map[string]any{"staticTokens": false}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	b.Disconnect()
	if _, err := e2.device("bob", "b2", devOpts{}).Connect(context.Background(), rcTok); err == nil {
		t.Fatal("a static token connected with static tokens off")
	}
}
