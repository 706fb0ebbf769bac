package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Forms the vendors' server APIs take: Easemob removes several members in
// one call (comma-separated, a list of results back); RongCloud expires at
// most 20 users' tokens a call.
func TestVendorForms(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	app := emAppOf(t, e)
	status, out := e.emCall(t, "POST", "chatgroups", app, map[string]any{"groupname": "Club", "owner": "ann", "members": []string{"ben", "cat", "dan"}})
	if status != 200 {
		t.Fatalf("chatgroups: %d %v", status, out)
	}
	gid := out["data"].(map[string]any)["groupid"].(string)
	status, out = e.emCall(t, "DELETE", "chatgroups/"+gid+"/users/ben,cat", app, nil)
	if status != 200 {
		t.Fatalf("a batch removal: %d %v", status, out)
	}
	if list, _ := out["data"].([]any); len(list) != 2 || list[1].(map[string]any)["user"] != "cat" {
		t.Fatalf("a batch removal answered %v", out["data"])
	}
	_, out = e.emCall(t, "GET", "chatgroups/"+gid+"/users", app, nil)
	if got := fmt.Sprint(out["data"]); strings.Contains(got, "ben") || strings.Contains(got, "cat") || !strings.Contains(got, "dan") {
		t.Fatalf("members after removing ben and cat: %v", got)
	}
	if status, _ := e.emCall(t, "DELETE", "chatgroups/"+gid+"/users/dan,bad id", app, nil); status != 400 {
		t.Fatalf("a removal naming a bad id: %d", status)
	}

	users := url.Values{"time": {fmt.Sprint(e.now().UnixMilli())}}
	for i := range 21 {
		users.Add("userId", fmt.Sprintf("u%02d", i))
	}
	if status, out := e.rcCall(t, "user/token/expire.json", users, appSecret, e.now()); status == 200 && out["code"] == 200.0 {
		t.Fatalf("token/expire.json with 21 users: %d %v", status, out)
	}
}
