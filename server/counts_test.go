package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
)

// Counts on a new device are the server's: it holds the latest 1,000 of
// 1,500 unread messages and still shows 1,500, then counts on from there;
// a read inside what it holds makes its count its own again, exact; a
// second new device starts from the server's count of that read, and a
// read on one device clears the other.
func TestCountsOnANewDevice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.SendRate, c.WriteRate = -1, -1 })
	e.group(t, "g", "bob", []string{"alice", "bob"}, nil)
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	toAlice := func(n int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					if _, err := bob.SendMessage(context.Background(), text("alice", client.Private, "hi"), client.SendOptions{}); err != nil {
						t.Errorf("send: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	toAlice(1500)
	bob.send(t, text("g", client.Group, "one"))
	at := text("g", client.Group, "@alice")
	at.IsMentioned, at.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"alice"}}
	bob.send(t, at)
	all := text("g", client.Group, "@all")
	all.IsMentioned, all.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionAll}
	bob.send(t, all)

	ctx := context.Background()
	p := client.Conversation{Type: client.Private, TargetID: "bob"}
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	info := func(d *device, c client.Conversation) *client.ConversationInfo {
		t.Helper()
		ci, err := d.Conversation(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return ci
	}
	a1 := e.device("alice", "a1", devOpts{})
	a1.connect(t, token(t, "alice", time.Hour))
	if n := len(a1.messages()); n != 1004 {
		t.Fatalf("a new device got %d messages, want the latest 1,000 of bob's and the group's 4 (its creation too)", n)
	}
	if n := a1.UnreadCount(p); n != 1500 {
		t.Fatalf("a new device counts %d unread from bob, want 1500", n)
	}
	if ci := info(a1, g); ci.UnreadCount != 3 || ci.MentionCount != 2 || !ci.HasMentioned {
		t.Fatalf("a new device's group: unread %d mentions %d", ci.UnreadCount, ci.MentionCount)
	}
	if n := a1.TotalUnreadCount(false); n != 1503 {
		t.Fatalf("total unread %d, want 1503", n)
	}

	// Counted on from the server's count.
	toAlice(1)
	a1.waitFor(t, "bob's 1,501st", func(got []*client.Message, _ []client.Event) bool { return len(got) == 1005 })
	if n := a1.UnreadCount(p); n != 1501 {
		t.Fatalf("after one more: %d unread, want 1501", n)
	}

	// Read up to 300, inside what it lacks: the server counts again.
	if err := a1.MarkRead(ctx, p, 300); err != nil {
		t.Fatal(err)
	}
	a1.waitFor(t, "the server's count after reading to 300", func(_ []*client.Message, _ []client.Event) bool {
		return a1.UnreadCount(p) == 1201
	})

	// Read up to 600: the device holds everything above (501-1501).
	if err := a1.MarkRead(ctx, p, 600); err != nil {
		t.Fatal(err)
	}
	if n := a1.UnreadCount(p); n != 901 {
		t.Fatalf("after reading to 600: %d unread, want 901", n)
	}
	a2 := e.device("alice", "a2", devOpts{})
	a2.connect(t, token(t, "alice", time.Hour))
	if n := a2.UnreadCount(p); n != 901 {
		t.Fatalf("a second new device: %d unread, want 901", n)
	}

	// Read everything on a2: a1 (and a2) count nothing.
	if err := a2.MarkRead(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	if err := a2.MarkRead(ctx, g, 0); err != nil {
		t.Fatal(err)
	}
	if n := a2.TotalUnreadCount(false); n != 0 {
		t.Fatalf("a2 after reading all: %d", n)
	}
	a1.waitFor(t, "a2's reads", func(_ []*client.Message, _ []client.Event) bool {
		return a1.UnreadCount(p) == 0 && a1.UnreadCount(g) == 0
	})
}
