package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// listedIn is c's entry in d's conversation list (nil: not listed).
func listedIn(t *testing.T, d *device, c client.Conversation) *client.ConversationInfo {
	t.Helper()
	list, err := d.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range list {
		if list[i].Conversation == c {
			return &list[i]
		}
	}
	return nil
}

// Pinning a conversation that was removed from the list brings it back:
// pinned (isTop) on every device, and listed (RongIMLib's
// setConversationToTop lists it; "a pinned conversation is listed even
// before it has a message"). It was pinned and listed nowhere.
func TestPinBringsRemovedConversationBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	bobDev := e.device("bob", "b1", devOpts{})
	a1 := e.device("alice", "a1", devOpts{})
	for _, d := range []*device{bobDev, a1} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	bob := client.Conversation{Type: client.Private, TargetID: "bob"}
	bobDev.send(t, text("alice", client.Private, "one"))
	a1.waitMessages(t, 1)
	if err := a1.SetSettings(ctx, []client.Conversation{bob}, client.SettingsEdit{Remove: true}); err != nil {
		t.Fatal(err)
	}
	if listedIn(t, a1, bob) != nil {
		t.Fatal("listed after removal")
	}
	top := true
	if err := a1.SetSettings(ctx, []client.Conversation{bob}, client.SettingsEdit{Top: &top}); err != nil {
		t.Fatal(err)
	}
	if s := a1.ConversationSettings(bob); !s.IsTop {
		t.Fatalf("not pinned: %+v", s)
	}
	if listedIn(t, a1, bob) == nil {
		t.Errorf("a1: bob's conversation is pinned (isTop) yet not in the list nor getTopConversationList")
	}
	a2 := e.device("alice", "a2", devOpts{})
	a2.connect(t, token(t, "alice", time.Hour))
	if s := a2.ConversationSettings(bob); !s.IsTop {
		t.Fatalf("new device: not pinned: %+v", s)
	}
	if listedIn(t, a2, bob) == nil {
		t.Errorf("new device: bob's conversation is pinned (isTop) yet not in the list nor getTopConversationList")
	}
}

// A user kicked from a group keeps its conversation (its history up to the
// kick, its unread messages, its pin). RongIMLib lets them read it, unpin
// it and remove it from their list; each was refused NOT_IN_GROUP, so its
// unread messages stayed in the total and its pin in the list for good.
func TestLeftGroupConversationStillTheirs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "bob", []string{"alice", "bob"}, nil)
	bobDev := e.device("bob", "b1", devOpts{})
	a1 := e.device("alice", "a1", devOpts{})
	for _, d := range []*device{bobDev, a1} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	top := true
	if err := a1.SetSettings(ctx, []client.Conversation{g}, client.SettingsEdit{Top: &top}); err != nil {
		t.Fatal(err)
	}
	bobDev.send(t, text("g", client.Group, "one"))
	bobDev.send(t, text("g", client.Group, "two"))
	a1.waitFor(t, "2 unread", func([]*client.Message, []client.Event) bool { return a1.UnreadCount(g) == 2 })
	if st, body := e.admin("DELETE", "/v1/groups/g/members/alice", nil); st != 200 {
		t.Fatalf("kick: %d %v", st, body)
	}
	e.fence(t, a1)
	// Its history up to the kick is still hers to read (from the server
	// too); nothing after it.
	bobDev.send(t, text("g", client.Group, "after"))
	remote, _, err := a1.RemoteHistory(ctx, g, 0, 20, client.OrderOlder)
	if err != nil {
		t.Fatalf("the history of the group left: %v", err)
	}
	if got := contents(remote); !slices.Contains(got, "one") || !slices.Contains(got, "two") || slices.Contains(got, "after") {
		t.Errorf("the history of the group left: %v, want one and two, not after", got)
	}
	if err := a1.MarkRead(ctx, g, 0); err != nil {
		t.Errorf("clearMessagesUnreadStatus of the group left: %v", err)
	}
	if n := a1.TotalUnreadCount(true); n != 0 {
		t.Errorf("total unread %d after clearMessagesUnreadStatus of the group left", n)
	}
	off := false
	if err := a1.SetSettings(ctx, []client.Conversation{g}, client.SettingsEdit{Top: &off}); err != nil {
		t.Errorf("unpin the group left: %v", err)
	}
	if err := a1.SetSettings(ctx, []client.Conversation{g}, client.SettingsEdit{Remove: true}); err != nil {
		t.Errorf("removeConversation of the group left: %v", err)
	}
	if ci := listedIn(t, a1, g); ci != nil {
		t.Errorf("the group left is still listed (pinned %v, unread %d)", ci.IsTop, ci.UnreadCount)
	}
}
