package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/auth"
)

// Easemob's "通过用户 ID 获取用户 token" (POST token, grant_type inherit):
// autoCreateUser (required by the doc, Boolean) "当用户不存在时，是否自动创建用户".
// A backend asking for a token of a new user with autoCreateUser: true must
// get one, not 404.
func TestEasemobInheritAutoCreateUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	app := emAppOf(t, e)
	status, out := e.emCall(t, "POST", "token", app, map[string]any{"grant_type": "inherit", "username": "newbie", "autoCreateUser": true, "ttl": 1024000})
	if status != 200 || out["access_token"] == nil {
		t.Fatalf("inherit with autoCreateUser: true for a new user: %d %v, want 200 and a token (the user created)", status, out)
	}
}

// Easemob: ttl "设置为 0 表示 Token 有效期为永久。若不传该参数，有效期默认为 60 天".
// imwasm gives 24 h in both cases.
func TestEasemobInheritTTLDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	app := emAppOf(t, e)
	if status, out := e.emCall(t, "POST", "users", app, map[string]any{"username": "ann"}); status != 200 {
		t.Fatalf("users: %d %v", status, out)
	}
	for name, body := range map[string]map[string]any{
		"no ttl": {"grant_type": "inherit", "username": "ann"},
		"ttl 0":  {"grant_type": "inherit", "username": "ann", "ttl": 0},
	} {
		status, out := e.emCall(t, "POST", "token", app, body)
		if status != 200 {
			t.Fatalf("%s: %d %v", name, status, out)
		}
		c, err := auth.Verify([]byte(appSecret), out["access_token"].(string), e.now())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		life := time.Unix(c.ExpiresAt, 0).Sub(e.now())
		if life < 59*24*time.Hour {
			t.Errorf("%s: the token lives %v (expires_in %v), want at least Easemob's 60 days (permanent for ttl 0)", name, life.Round(time.Hour), out["expires_in"])
		}
	}
}

// Easemob refuses a token to a deactivated user: 400 invalid_grant "user
// not activated" (错误码 table of the same page). imwasm issues one and says
// activated: true.
func TestEasemobInheritDeactivatedUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	app := emAppOf(t, e)
	if status, out := e.emCall(t, "POST", "users", app, map[string]any{"username": "ann"}); status != 200 {
		t.Fatalf("users: %d %v", status, out)
	}
	if status, out := e.emCall(t, "POST", "users/ann/deactivate", app, nil); status != 200 {
		t.Fatalf("deactivate: %d %v", status, out)
	}
	status, out := e.emCall(t, "POST", "token", app, map[string]any{"grant_type": "inherit", "username": "ann"})
	if status == 200 {
		t.Fatalf("a token for a deactivated user: %d %v, want 400 invalid_grant \"user not activated\"", status, out)
	}
}

// Easemob's 解散群组 answers data {success: true, groupid}; a backend
// reading data.success sees the dismissal fail.
func TestEasemobDismissAnswerShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	app := emAppOf(t, e)
	status, out := e.emCall(t, "POST", "chatgroups", app, map[string]any{"groupname": "Club", "owner": "ann", "members": []string{"ben"}})
	if status != 200 {
		t.Fatalf("chatgroups: %d %v", status, out)
	}
	gid := out["data"].(map[string]any)["groupid"].(string)
	status, out = e.emCall(t, "DELETE", "chatgroups/"+gid, app, nil)
	if status != 200 {
		t.Fatalf("dismiss: %d %v", status, out)
	}
	if d, _ := out["data"].(map[string]any); d["success"] != true || d["groupid"] != gid {
		t.Fatalf("dismiss answered data %v, want Easemob's {success: true, groupid}", out["data"])
	}
}

// Easemob's 发送单聊消息: "600 人/次 … 若超限，报 400 错误，即 \"param to
// exceed limit\"" (不可调). imwasm sends to 601 (up to 1000).
func TestEasemobSendMoreThan600(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	app := emAppOf(t, e)
	to := make([]string, 601)
	for i := range to {
		to[i] = fmt.Sprintf("u%d", i)
	}
	status, out := e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "ops", "to": to, "type": "txt", "body": map[string]any{"msg": "hi"}})
	if status != 400 {
		n := 0
		if d, ok := out["data"].(map[string]any); ok {
			n = len(d)
		}
		t.Fatalf("a send to 601 users: %d (%d sent), want 400 \"param to exceed limit\"", status, n)
	}
}

// Easemob's App Token (client_credentials): "ttl … 若传入该参数，token 有效期以
// 传入的值为准"; imwasm ignores it (always 60 days).
func TestEasemobAppTokenTTL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	status, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret, "ttl": 3600})
	if status != 200 || out["expires_in"] != 3600.0 {
		t.Fatalf("an app token for 3600 s: %d expires_in %v, want 3600", status, out["expires_in"])
	}
}

// Easemob's own examples send ttl as a string; a group send names at most
// 3 groups; from may be left out (Easemob's "admin").
func TestEasemobTokenAndSendForms(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	status, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret, "ttl": "3600"})
	if status != 200 || out["expires_in"] != 3600.0 {
		t.Fatalf("ttl as a string: %d %v", status, out)
	}
	app := out["access_token"].(string)
	for _, blank := range []any{nil, ""} { // not given: the default
		if status, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret, "ttl": blank}); status != 200 || out["expires_in"] != float64(60*24*3600) {
			t.Errorf("ttl %#v: %d %v, want the 60 days", blank, status, out)
		}
	}
	for _, bad := range []any{"soon", -1, "1e3"} {
		if status, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret, "ttl": bad}); status != 400 {
			t.Errorf("ttl %v: %d %v, want 400", bad, status, out)
		}
	}
	status, out = e.emCall(t, "POST", "messages/chatgroups", app, map[string]any{"from": "ops", "to": []string{"g1", "g2", "g3", "g4"}, "type": "txt", "body": map[string]any{"msg": "hi"}})
	if status != 400 {
		t.Fatalf("a group send to 4 groups: %d %v, want 400", status, out)
	}
	status, out = e.emCall(t, "POST", "messages/users", app, map[string]any{"to": []string{"ann"}, "type": "txt", "body": map[string]any{"msg": "hi"}})
	if d, _ := out["data"].(map[string]any); status != 200 || d["ann"] == nil {
		t.Fatalf("a send without from: %d %v, want it sent as admin", status, out)
	}
}
