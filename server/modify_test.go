package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server"
)

// Editing: the sender's edit reaches every device of every member (the
// sender's other device and an offline one too, by sync), keeps the type,
// and is refused to others, after the recall window and once recalled.
func TestModifyMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.RecallWindow = time.Minute })
	e.group(t, "g", "alice", []string{"alice", "bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, alice2, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	carol.Disconnect()
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	m := alice.send(t, text("g", client.Group, "helo"))
	bob.waitFor(t, "the message", func(got []*client.Message, _ []client.Event) bool {
		return len(got) > 0 && got[len(got)-1].MessageUID == m.MessageUID
	})

	if _, err := bob.ModifyMessage(ctx, g, m.MessageUID, []byte(`{"content":"mine now"}`)); codes.Of(err) != codes.ModifiedMessageIsNotSent {
		t.Fatalf("an edit by a member who did not send it: %v", err)
	}
	edited, err := alice.ModifyMessage(ctx, g, m.MessageUID, []byte(`{"content":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	if edited.ObjectName != "RC:TxtMsg" || edited.ModifiedTime == 0 || contents([]*client.Message{edited})[0] != "hello" {
		t.Fatalf("the edit's answer: %+v", edited)
	}
	modified := func(evs []client.Event) []*client.Message {
		for _, ev := range evs {
			if ev.Kind == client.EventModified {
				return ev.Messages
			}
		}
		return nil
	}
	for _, d := range []*device{alice, alice2, bob} {
		d.waitFor(t, d.id+"'s MESSAGE_MODIFIED", func(_ []*client.Message, evs []client.Event) bool { return len(modified(evs)) > 0 })
		got := modified(d.events())
		if len(got) != 1 || got[0].MessageUID != m.MessageUID || got[0].ModifiedTime != edited.ModifiedTime || got[0].ObjectName != "RC:TxtMsg" {
			t.Fatalf("%s's MESSAGE_MODIFIED: %+v", d.id, got)
		}
		if h := storedTexts(t, d, g); strings.Join(h, "|") != "hello|RC:GrpNtf" {
			t.Fatalf("%s's history: %v", d.id, h)
		}
	}

	// Looked up by id (a quote's refresh): as it now is; an unknown id left out.
	if ms, err := bob.RemoteMessages(ctx, g, []string{"AAAA-AAAA-AAAA-AAAA", m.MessageUID}); err != nil || len(ms) != 1 || contents(ms)[0] != "hello" || ms[0].ModifiedTime != edited.ModifiedTime {
		t.Fatalf("remote messages: %v %v", ms, err)
	}
	// Not one the user deleted for themselves.
	if err := alice2.DeleteMessages(ctx, g, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}
	if ms, err := alice2.RemoteMessages(ctx, g, []string{m.MessageUID}); err != nil || len(ms) != 0 {
		t.Fatalf("a message alice deleted for herself, looked up by her: %v %v", ms, err)
	}
	dave := e.device("dave", "d1", devOpts{})
	dave.connect(t, token(t, "dave", time.Hour))
	if _, err := dave.RemoteMessages(ctx, g, []string{m.MessageUID}); codes.Of(err) != codes.NotInGroup {
		t.Fatalf("a stranger's lookup: %v", err)
	}

	// Carol was offline: the message comes edited, then the sync's end.
	carol.connect(t, token(t, "carol", time.Hour))
	if h := storedTexts(t, carol, g); strings.Join(h, "|") != "hello|RC:GrpNtf" {
		t.Fatalf("carol's history: %v", h)
	}
	var synced bool
	for _, ev := range carol.events() {
		synced = synced || ev.Kind == client.EventModifiedSynced
	}
	if !synced {
		t.Fatal("no MESSAGE_MODIFIED_SYNC_COMPLETED after carol's sync")
	}
	// A new device of bob's: edited, from the server's store.
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	if got := bob2.messages(); len(got) != 2 || contents(got)[1] != "hello" || got[1].ModifiedTime != edited.ModifiedTime {
		t.Fatalf("a new device's messages: %v", contents(got))
	}

	// Refused: bad content, too big, after the window, once recalled.
	for name, c := range map[string]struct {
		content string
		want    int32
	}{
		"not JSON":   {`hello`, codes.InvalidParameter},
		"too big":    {`{"content":"` + strings.Repeat("x", 200<<10) + `"}`, codes.MessageSizeExceeded},
		"no such id": {`{"content":"x"}`, codes.ModifiedMessageIsNotSent},
	} {
		uid := m.MessageUID
		if name == "no such id" {
			uid = "AAAA-AAAA-AAAA-AAAA"
		}
		if _, err := alice.ModifyMessage(ctx, g, uid, []byte(c.content)); codes.Of(err) != c.want {
			t.Errorf("%s: %v, want %d", name, err, c.want)
		}
	}
	// The group's creation notice is alice's (she made the group) but no
	// member may rewrite what the group was told.
	var notice *client.Message
	for _, x := range alice.messages() {
		if x.ObjectName == "RC:GrpNtf" {
			notice = x
		}
	}
	if notice == nil {
		t.Fatal("no group notification on alice's device")
	}
	if _, err := alice.ModifyMessage(ctx, g, notice.MessageUID, []byte(`{"operation":"Kicked"}`)); codes.Of(err) != codes.MessageUnsupportedModify {
		t.Fatalf("an edit of a group notification: %v", err)
	}
	// Remote history lists the edited message once, not its edit markers.
	if h, _, err := carol.RemoteHistory(ctx, g, 0, 20, client.OrderOlder); err != nil || strings.Join(contents(h), "|") != "hello|RC:GrpNtf" {
		t.Fatalf("remote history: %v %v", contents(h), err)
	}
	gone := alice.send(t, text("g", client.Group, "gone"))
	if _, err := alice.RecallMessage(ctx, g, gone.MessageUID, gone.SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ModifyMessage(ctx, g, gone.MessageUID, []byte(`{"content":"x"}`)); codes.Of(err) != codes.MessageUnsupportedModify {
		t.Fatalf("a recalled message: %v", err)
	}
	e.clock.add(time.Minute + time.Second)
	if _, err := alice.ModifyMessage(ctx, g, m.MessageUID, []byte(`{"content":"x"}`)); codes.Of(err) != codes.MessageOverModifyTimeFail {
		t.Fatalf("after the window: %v", err)
	}
}
