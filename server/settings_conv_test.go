package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// Pins and do-not-disturb are the user's, kept by the server: the user's
// other device hears of a change (CONVERSATION with what changed), the
// device that made it does not, and a new device starts with them — a
// pinned conversation listed although it has no message yet.
func TestConversationSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "carol", []string{"alice", "carol"}, nil)
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	for _, d := range []*device{a1, a2} {
		d.connect(t, token(t, "alice", time.Hour))
	}
	ctx := context.Background()
	bob := client.Conversation{Type: client.Private, TargetID: "bob"}
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	top, level := true, int32(client.NotifyNothing)
	if err := a1.SetSettings(ctx, []client.Conversation{bob}, client.SettingsEdit{Top: &top}); err != nil {
		t.Fatal(err)
	}
	if err := a1.SetSettings(ctx, []client.Conversation{g}, client.SettingsEdit{Level: &level}); err != nil {
		t.Fatal(err)
	}
	if s := a1.ConversationSettings(bob); !s.IsTop || s.SettingsTime == 0 {
		t.Fatalf("a1's own pin: %+v", s)
	}
	updated := func(d *device, c client.Conversation, want client.SettingsChange) client.ConversationInfo {
		t.Helper()
		var got client.ConversationInfo
		d.waitFor(t, "CONVERSATION for "+c.TargetID, func(_ []*client.Message, evs []client.Event) bool {
			for _, ev := range evs {
				for _, ci := range ev.Conversations {
					if ci.Conversation == c && ci.Updated != nil && *ci.Updated == want {
						got = ci
						return true
					}
				}
			}
			return false
		})
		return got
	}
	if ci := updated(a2, bob, client.SettingsChange{Top: true}); !ci.IsTop || ci.NotificationLevel != 0 {
		t.Fatalf("a2's event for bob: %+v", ci.Settings)
	}
	if ci := updated(a2, g, client.SettingsChange{Level: true}); ci.NotificationLevel != client.NotifyNothing || !ci.Blocked() || ci.IsTop {
		t.Fatalf("a2's event for g: %+v", ci.Settings)
	}
	e.fence(t, a1)
	for _, ev := range a1.events() {
		for _, ci := range ev.Conversations {
			if ci.Updated != nil {
				t.Fatalf("a1 told of its own change: %+v", ci)
			}
		}
	}

	// A new device: the settings, and bob's conversation listed pinned.
	a3 := e.device("alice", "a3", devOpts{})
	a3.connect(t, token(t, "alice", time.Hour))
	if s := a3.ConversationSettings(bob); !s.IsTop {
		t.Fatalf("a new device's bob: %+v", s)
	}
	if s := a3.ConversationSettings(g); s.NotificationLevel != client.NotifyNothing {
		t.Fatalf("a new device's g: %+v", s)
	}
	list, err := a3.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pinned bool
	for _, ci := range list {
		pinned = pinned || (ci.Conversation == bob && ci.IsTop && ci.Latest == nil)
	}
	if !pinned {
		t.Fatalf("a new device's list %+v lacks the pinned conversation with bob", list)
	}

	// Unpinned on a2: a1 and a3 hear of it.
	off := false
	if err := a2.SetSettings(ctx, []client.Conversation{bob}, client.SettingsEdit{Top: &off}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*device{a1, a3} {
		if ci := updated(d, bob, client.SettingsChange{Top: true}); ci.IsTop {
			t.Fatalf("%s still pinned: %+v", d.id, ci.Settings)
		}
	}

	// Bad input changes nothing.
	many := make([]client.Conversation, 21)
	for i := range many {
		many[i] = bob
	}
	bad := int32(3)
	for name, tc := range map[string]struct {
		convs []client.Conversation
		level *int32
		want  int32
	}{
		"21 conversations":    {many, &level, codes.InvalidParameterCount},
		"no conversation":     {nil, &level, codes.InvalidParameterCount},
		"not a level":         {[]client.Conversation{bob}, &bad, codes.InvalidParameter},
		"a group not joined":  {[]client.Conversation{{Type: client.Group, TargetID: "other"}}, &level, codes.NotInGroup},
		"a chat room (later)": {[]client.Conversation{{Type: 4, TargetID: "room"}}, &level, codes.InvalidParameterConversationType},
	} {
		if err := a1.SetSettings(ctx, tc.convs, client.SettingsEdit{Level: tc.level}); codes.Of(err) != tc.want {
			t.Errorf("%s: %v, want code %d", name, err, tc.want)
		}
	}
	if s := a1.ConversationSettings(bob); s.NotificationLevel != 0 {
		t.Fatalf("bob's level after refused changes: %+v", s)
	}
}

// removeConversation: out of the list on every device of the user (a new
// one too), its messages kept, back with the next message.
func TestRemoveConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	bobDev := e.device("bob", "b1", devOpts{})
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	for _, d := range []*device{bobDev, a1, a2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	bob := client.Conversation{Type: client.Private, TargetID: "bob"}
	bobDev.send(t, text("alice", client.Private, "one"))
	bobDev.send(t, text("alice", client.Private, "two"))
	a1.waitMessages(t, 2)
	a2.waitMessages(t, 2)
	listed := func(d *device) bool {
		t.Helper()
		list, err := d.Conversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range list {
			if ci.Conversation == bob {
				return true
			}
		}
		return false
	}
	if err := a1.SetSettings(ctx, []client.Conversation{bob}, client.SettingsEdit{Remove: true}); err != nil {
		t.Fatal(err)
	}
	if listed(a1) || a1.TotalUnreadCount(true) != 0 {
		t.Fatalf("a1 still lists bob (or counts his %d unread) after removing the conversation", a1.TotalUnreadCount(true))
	}
	e.fence(t, a2) // the log entry of the removal came before it
	if listed(a2) {
		t.Fatal("a2 still lists the conversation a1 removed")
	}
	if h, err := a1.LocalHistory(ctx, bob, 0, 10, false); err != nil || len(h) != 2 {
		t.Fatalf("history after removing: %d messages, %v; want both kept", len(h), err)
	}
	a3 := e.device("alice", "a3", devOpts{})
	a3.connect(t, token(t, "alice", time.Hour))
	if listed(a3) {
		t.Fatal("a new device lists the removed conversation")
	}
	bobDev.send(t, text("alice", client.Private, "three"))
	for _, d := range []*device{a1, a2, a3} {
		d.waitFor(t, "bob's conversation back on "+d.id, func([]*client.Message, []client.Event) bool { return listed(d) })
	}
	if n := a1.UnreadCount(bob); n != 3 {
		t.Fatalf("unread %d once back, want 3 (removing reads nothing)", n)
	}
}
