package server_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server"
)

// A token a vendor route issues right after a revocation of the same user
// (in the same second) must connect: the backend was just handed it.

// midSecondEnv is a server whose clock stands at the middle of a second.
func midSecondEnv(t *testing.T) (*env, *fixedClock) {
	clk := &fixedClock{t: time.Now().Truncate(time.Second).Add(500 * time.Millisecond)}
	return newEnv(t, func(c *server.Config) { c.Now = clk.now }), clk
}

// RongCloud: user/token/expire.json with time = now, then user/getToken.json.
func TestRongCloudGetTokenAfterExpire(t *testing.T) {
	t.Parallel()
	e, _ := midSecondEnv(t)
	e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}})
	e.rcOK(t, "user/token/expire.json", url.Values{"userId": {"alice"}, "time": {strconv.FormatInt(e.now().UnixMilli(), 10)}})
	tok := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}})["token"].(string)
	if _, err := e.device("alice", "a1", devOpts{}).Connect(context.Background(), tok); err != nil {
		t.Fatalf("the token getToken.json issued after expire.json does not connect: %v", err)
	}
}

// RongCloud: the admin API's kick, then user/getToken.json in the same second.
func TestRongCloudGetTokenAfterKick(t *testing.T) {
	t.Parallel()
	e, _ := midSecondEnv(t)
	if status, res := e.admin("POST", "/v1/users/alice/kick", nil); status != 200 {
		t.Fatalf("kick: %d %v", status, res)
	}
	tok := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}})["token"].(string)
	if _, err := e.device("alice", "a1", devOpts{}).Connect(context.Background(), tok); err != nil {
		t.Fatalf("the token getToken.json issued after a kick does not connect: %v", err)
	}
}

// Easemob: DELETE users/{u}, POST users (again), POST token (inherit).
func TestEasemobTokenAfterDeleteAndRecreate(t *testing.T) {
	t.Parallel()
	e, _ := midSecondEnv(t)
	_, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret})
	app := out["access_token"].(string)
	if status, out := e.emCall(t, "POST", "users", app, map[string]any{"username": "ann"}); status != 200 {
		t.Fatalf("users: %d %v", status, out)
	}
	if status, out := e.emCall(t, "DELETE", "users/ann", app, nil); status != 200 {
		t.Fatalf("delete: %d %v", status, out)
	}
	if status, out := e.emCall(t, "POST", "users", app, map[string]any{"username": "ann"}); status != 200 {
		t.Fatalf("users again: %d %v", status, out)
	}
	status, out := e.emCall(t, "POST", "token", app, map[string]any{"grant_type": "inherit", "username": "ann"})
	if status != 200 {
		t.Fatalf("inherit: %d %v", status, out)
	}
	if _, err := e.device("ann", "a1", devOpts{}).Connect(context.Background(), out["access_token"].(string)); err != nil {
		t.Fatalf("the token inherit issued to the re-created user does not connect: %v", err)
	}
}

// The admin API's own token route after RongCloud's expire.json (time =
// now, mid-second): the token is of the next second.
func TestAdminTokenAfterRongCloudExpire(t *testing.T) {
	t.Parallel()
	e, _ := midSecondEnv(t)
	e.rcOK(t, "user/token/expire.json", url.Values{"userId": {"alice"}, "time": {strconv.FormatInt(e.now().UnixMilli(), 10)}})
	status, res := e.admin("POST", "/v1/users/alice/token", nil)
	if status != 200 {
		t.Fatalf("token: %d %v", status, res)
	}
	tok := res["data"].(map[string]any)["token"].(string)
	if _, err := e.device("alice", "a1", devOpts{}).Connect(context.Background(), tok); err != nil {
		t.Fatalf("the token POST /v1/users/alice/token issued after expire.json does not connect: %v", err)
	}
}
