package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// Batches refused whole before any of them applies, and vendor refusals in
// the vendor's code.

func emAppOf(t *testing.T, e *env) string {
	t.Helper()
	status, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret})
	if status != 200 {
		t.Fatalf("app token: %d %v", status, out)
	}
	return out["access_token"].(string)
}

// Easemob POST users with a list: a nickname too long on the second user
// refuses the list before the first is registered, so the corrected retry
// works.
func TestEasemobUsersListAllOrNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	app := emAppOf(t, e)
	long := strings.Repeat("n", 65) // MaxProfileNameChars is 64
	if status, out := e.emCall(t, "POST", "users", app, []map[string]any{{"username": "ann", "nickname": "Ann"}, {"username": "ben", "nickname": long}}); status != 400 {
		t.Fatalf("a list with a nickname too long: %d %v, want 400", status, out)
	}
	// Nothing of the refused list may be registered: the corrected retry works.
	if status, out := e.emCall(t, "POST", "users", app, []map[string]any{{"username": "ann", "nickname": "Ann"}, {"username": "ben", "nickname": "Ben"}}); status != 200 {
		t.Fatalf("the corrected retry: %d %v (ann was registered by the refused call)", status, out)
	}
}

// NIM's team routes name the team's owner (owner): a user who is not the
// owner cannot dismiss, kick from or add to the team (NIM refuses it, 403).
func TestNIMTeamOpsByNonOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, u := range []string{"ann", "ben", "cal"} {
		e.nimOK(t, "user/create.action", url.Values{"accid": {u}})
	}
	tid := e.nimOK(t, "team/create.action", url.Values{"tname": {"Club"}, "owner": {"ann"}, "members": {`["ben","cal"]`}})["tid"].(string)
	if out := e.nimCall(t, "team/kick.action", url.Values{"tid": {tid}, "owner": {"ben"}, "member": {"cal"}}, appSecret, time.Now()); out["code"] == 200.0 {
		t.Errorf("ben, a plain member, kicked cal as the team's owner: %v", out)
	}
	if out := e.nimCall(t, "team/remove.action", url.Values{"tid": {tid}, "owner": {"mallory"}}, appSecret, time.Now()); out["code"] == 200.0 {
		t.Errorf("mallory, not in the team, dismissed it as its owner: %v", out)
	}
	if status, _ := e.admin("GET", "/v1/groups/"+tid, nil); status != 200 {
		t.Errorf("the team is gone: %d", status)
	}
}

// RongCloud's refusals of a bad parameter answer code 1002 (docs/http-api.md),
// message/*/publish.json's too (not the admin API's 33003/34210).
func TestRongCloudPublishBadParamCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for name, form := range map[string]url.Values{
		"no fromUserId": {"toUserId": {"alice"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"x"}`}},
		"bad toUserId":  {"fromUserId": {"system"}, "toUserId": {"bad id"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"x"}`}},
		"no objectName": {"fromUserId": {"system"}, "toUserId": {"alice"}, "content": {`{"content":"x"}`}},
		"no content":    {"fromUserId": {"system"}, "toUserId": {"alice"}, "objectName": {"RC:TxtMsg"}},
	} {
		status, out := e.rcCall(t, "message/private/publish.json", form, appSecret, e.now())
		if status != 400 || out["code"] != 1002.0 {
			t.Errorf("%s: %d %v, want 400 code 1002", name, status, out)
		}
	}
}

// POST /v1/groups with more adminIds than one managers call takes (10) but
// within groupMaxManagers: the group is made with all of them managers.
func TestAdminCreateGroupManyAdmins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"groupMaxManagers": 20}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	admins := []string{}
	for i := range 11 {
		admins = append(admins, "adm"+string(rune('a'+i)))
	}
	status, res := e.admin("POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "G", "ownerId": "owner", "adminIds": admins})
	if status == 200 {
		return // accepted whole: fine
	}
	if st, g := e.admin("GET", "/v1/groups/g1", nil); st != 404 {
		t.Fatalf("POST /v1/groups refused (%d %v) but left the group: GET %d %v", status, res, st, g)
	}
}

// POST /v1/users/{id}/friends: every user's count is checked before the
// first friendship is made; a later friend at friendsMax (bob, with 2 of 2)
// refuses the call whole.
func TestAdminAddFriendsAllOrNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"friendsMax": 2}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	if status, res := e.admin("POST", "/v1/users/bob/friends", map[string]any{"userIds": []string{"carol", "erin"}}); status != 200 {
		t.Fatalf("bob+carol+erin: %d %v", status, res)
	}
	status, res := e.admin("POST", "/v1/users/alice/friends", map[string]any{"userIds": []string{"dave", "bob"}})
	if status == 200 {
		t.Fatalf("alice+bob past bob's friendsMax: %d %v", status, res)
	}
	_, f := e.admin("GET", "/v1/users/alice/friends", nil)
	if n := len(f["data"].(map[string]any)["friends"].([]any)); n != 0 {
		t.Fatalf("the refused call (%d %v) left alice with %d friend(s): %v", status, res, n, f["data"])
	}
}

// The refusal names the side that is full: bob's count,
// RC_FRIEND_OTHER_FRIEND_COUNT_EXCEED_LIMIT (25468), not alice's (25467).
func TestAdminAddFriendsOtherFullCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"friendsMax": 1}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	if status, res := e.admin("POST", "/v1/users/bob/friends", map[string]any{"userIds": []string{"carol"}}); status != 200 {
		t.Fatalf("bob+carol: %d %v", status, res)
	}
	if status, res := e.admin("POST", "/v1/users/alice/friends", map[string]any{"userIds": []string{"bob"}}); status != 400 || res["code"] != 25468.0 {
		t.Fatalf("alice+bob, bob at friendsMax: %d %v, want 400 code 25468", status, res)
	}
}
