package server_test

import (
	"net/url"
	"testing"
)

// A quit.json the group refuses (here one of the userIds is no member)
// hands nothing on: the owner keeps the group.
func TestRongCloudRefusedQuitKeepsOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.rcOK(t, "group/create.json", url.Values{"userId": {"alice", "bob"}, "groupId": {"rg"}, "groupName": {"Readers"}})
	status, out := e.rcCall(t, "group/quit.json", url.Values{"userId": {"alice", "zed"}, "groupId": {"rg"}}, appSecret, e.now())
	g := e.adminOK(t, "GET", "/v1/groups/rg", nil)["group"].(map[string]any)
	if (status != 200 || out["code"] != 200.0) && g["ownerId"] != "alice" {
		t.Fatalf("quit.json refused (%d %v), yet the group changed hands: owner %v, %v members", status, out, g["ownerId"], g["membersCount"])
	}
}
