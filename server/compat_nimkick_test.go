package server_test

import (
	"net/url"
	"testing"
	"time"
)

// team/kick.action named after a manager removes ordinary members only:
// another manager is the owner's to remove (NIM's rule, and imwasm's own
// CheckGroupAction: "a manager is acted on by the owner alone").
func TestNIMManagerCannotKickManager(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "t1", "name": "Team", "ownerId": "ann", "memberIds": []string{"ben", "cat", "dan"}, "adminIds": []string{"ben", "cat"}})
	out := e.nimCall(t, "team/kick.action", url.Values{"tid": {"t1"}, "owner": {"ben"}, "member": {"cat"}}, appSecret, time.Now())
	g := e.adminOK(t, "GET", "/v1/groups/t1", nil)["group"].(map[string]any)
	if out["code"] == 200.0 {
		t.Fatalf("manager ben kicked manager cat through team/kick.action: %v (group now %v members)", out, g["membersCount"])
	}
}
