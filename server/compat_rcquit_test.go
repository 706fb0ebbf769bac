package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
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

// RongCloud's group/quit.json and NIM's team/leave.action leave as the
// users would: the members are told of a quit (RC:GrpNtf "Quit"), not of a
// kick by the app server.
func TestVendorQuitTellsAQuit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.rcOK(t, "group/create.json", url.Values{"userId": {"alice", "bob", "carol"}, "groupId": {"rg"}, "groupName": {"Readers"}})
	tid := e.nimOK(t, "team/create.action", url.Values{"tname": {"Club"}, "owner": {"ann"}, "members": {`["carol", "dan"]`}})["tid"].(string)
	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	e.rcOK(t, "group/quit.json", url.Values{"userId": {"bob"}, "groupId": {"rg"}})
	e.nimOK(t, "team/leave.action", url.Values{"tid": {tid}, "accid": {"dan"}})
	for _, who := range []string{"bob", "dan"} {
		carol.waitFor(t, who+"'s quit", func(got []*client.Message, _ []client.Event) bool {
			for _, m := range got {
				c := string(m.Content)
				if m.ObjectName == "RC:GrpNtf" && strings.Contains(c, `"operatorUserId":"`+who+`"`) && strings.Contains(c, `"operation":"Quit"`) {
					return true
				}
			}
			return false
		})
	}
}
