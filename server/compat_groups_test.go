package server_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"
)

// RongCloud's group routes: join.json takes up to 1000 userIds (rcUsers:
// "1-1000 ids", as RongCloud's own API): the SDK's per-call cap for an
// invite (30) is a user's, not the app server's.
func TestRongCloudJoinMoreThan30(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.rcOK(t, "group/create.json", url.Values{"userId": {"alice"}, "groupId": {"rg"}, "groupName": {"Readers"}})
	users := []string{}
	for i := range 31 {
		users = append(users, fmt.Sprintf("u%02d", i))
	}
	if status, out := e.rcCall(t, "group/join.json", url.Values{"userId": users, "groupId": {"rg"}}, appSecret, e.now()); status != 200 || out["code"] != 200.0 {
		t.Fatalf("join.json with 31 userIds: %d %v", status, out)
	}
}

// NIM's team/add.action takes up to 200 members (nimIDs: 1-1000).
func TestNIMTeamAddMoreThan30(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tid := e.nimOK(t, "team/create.action", url.Values{"tname": {"Club"}, "owner": {"ann"}, "members": {`["ben"]`}})["tid"].(string)
	list := `[`
	for i := range 31 {
		if i > 0 {
			list += ","
		}
		list += fmt.Sprintf(`"u%02d"`, i)
	}
	list += `]`
	if out := e.nimCall(t, "team/add.action", url.Values{"tid": {tid}, "owner": {"ann"}, "members": {list}}, appSecret, time.Now()); out["code"] != 200.0 {
		t.Fatalf("team/add.action with 31 members: %v", out)
	}
}

// group/quit.json "removes the users" (docs/http-api.md): RongCloud's
// groups have no owner, and imwasm's owner (create.json's first userId)
// quits like anyone, handing the group on.
func TestRongCloudCreatorQuits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.rcOK(t, "group/create.json", url.Values{"userId": {"alice", "bob"}, "groupId": {"rg"}, "groupName": {"Readers"}})
	e.rcOK(t, "group/join.json", url.Values{"userId": {"carol"}, "groupId": {"rg"}})
	if status, out := e.rcCall(t, "group/quit.json", url.Values{"userId": {"alice"}, "groupId": {"rg"}}, appSecret, e.now()); status != 200 || out["code"] != 200.0 {
		t.Fatalf("the creator's quit.json: %d %v", status, out)
	}
	// The group goes to the member who joined first of those who stay.
	if g := e.adminOK(t, "GET", "/v1/groups/rg", nil)["group"].(map[string]any); g["ownerId"] != "bob" || g["membersCount"] != 2.0 {
		t.Fatalf("after the creator quit: %v", g)
	}
	// When every member quits, the group is dismissed.
	e.rcOK(t, "group/quit.json", url.Values{"userId": {"bob", "carol"}, "groupId": {"rg"}})
	if status, _ := e.admin("GET", "/v1/groups/rg", nil); status != 404 {
		t.Fatalf("a group everyone quit: %d", status)
	}
}
