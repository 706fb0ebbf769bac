package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
)

// Erasing a user hands the groups they own to the member who joined first
// (as an owner's quit through RongCloud's API does), and leaves the ultra
// groups they own without an owner: none names the erased user as owner.
func TestEraseHandsOwnedGroupsOn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	e.group(t, "g2", "carol", []string{"alice", "bob"}, nil)
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug2", "name": "Carol's", "ownerId": "carol", "memberIds": []string{"alice"}})

	if status, res := e.admin("DELETE", "/v1/users/carol", nil); status != 200 {
		t.Fatalf("erase: %d %v", status, res)
	}
	status, res := e.admin("GET", "/v1/groups/g2", nil)
	if status == 200 {
		g := res["data"].(map[string]any)["group"].(map[string]any)
		if g["ownerId"] != "alice" {
			t.Errorf("group g2 after erasing its owner carol: ownerId %v, want alice (joined first, by id among equals); members %v", g["ownerId"], res["data"].(map[string]any)["members"])
		}
	} else {
		t.Errorf("group g2 after erasing its owner: %d %v", status, res)
	}
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM groups WHERE owner=? AND NOT dismissed`, "carol"); n != 0 {
		t.Errorf("%d live groups still owned by the erased user", n)
	}
	status, res = e.admin("GET", "/v1/ultragroups/ug2", nil)
	if status != 200 || res["data"].(map[string]any)["ownerId"] != "" {
		t.Errorf("ultra group ug2 after erasing its owner carol: %d %v, want it kept without an owner", status, res["data"])
	}
}

// Erasing a user takes their read receipts: they are no longer listed as
// a reader (with the time they read) of others' messages.
func TestEraseTakesReceiptReaders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	carol.connect(t, token(t, "carol", time.Hour))
	m := text("g1", client.Group, "please read")
	m.NeedReceipt = true
	sent := alice.send(t, m)
	carol.waitMessages(t, 1)
	g1 := client.Conversation{Type: client.Group, TargetID: "g1"}
	if err := carol.RespondReceipts(context.Background(), g1, []string{sent.MessageUID}); err != nil {
		t.Fatal(err)
	}
	page, err := alice.Readers(context.Background(), g1, sent.MessageUID, 0, "", 100)
	if err != nil || len(page.Users) != 1 {
		t.Fatalf("before: %+v %v", page, err)
	}
	if status, res := e.admin("DELETE", "/v1/users/carol", nil); status != 200 {
		t.Fatalf("erase: %d %v", status, res)
	}
	page, err = alice.Readers(context.Background(), g1, sent.MessageUID, 0, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Users {
		if r.UserID == "carol" {
			t.Errorf("the erased user is still listed as a reader: %+v", page)
		}
	}
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM receipt_readers WHERE reader=?`, "carol"); n != 0 {
		t.Errorf("%d receipt_readers rows of the erased user left", n)
	}
}
