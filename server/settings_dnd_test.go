package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/wsnative"
)

// dndSlowUplink delays each frame the device writes (a slow uplink, as on a
// phone): the server's clock has moved on when it reads the frame.
type dndSlowUplink struct{ delay time.Duration }

func (d dndSlowUplink) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, err := wsnative.Dialer{}.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &dndSlowConn{Conn: c, delay: d.delay}, nil
}

type dndSlowConn struct {
	client.Conn
	delay time.Duration
}

func (c *dndSlowConn) Write(ctx context.Context, b []byte) error {
	time.Sleep(c.delay)
	return c.Conn.Write(ctx, b)
}

// setDoNotDisturb(durationMs, conversation) resolves {until} as
// jsbridge/settings.go reads it: eng.ConversationSettings(c).DndUntil right
// after SetSettings returns. docs/api.md says it is "when it ends, on the
// server's clock" — the value the server keeps and the user's other devices
// get, even when the request took a while to arrive.
func TestConversationDndAnswerIsTheServers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	bob := e.device("bob", "b1", devOpts{dialer: dndSlowUplink{60 * time.Millisecond}})
	bob.connect(t, token(t, "bob", time.Hour))
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	hour := int64(time.Hour / time.Millisecond)
	var mismatches []string
	var mu sync.Mutex
	for i := range 5 {
		c := client.Conversation{Type: client.Private, TargetID: fmt.Sprint("peer", i)}
		if err := bob.SetSettings(ctx, []client.Conversation{c}, client.SettingsEdit{Dnd: &hour}); err != nil {
			t.Fatal(err)
		}
		answered := bob.ConversationSettings(c).DndUntil // what setDoNotDisturb resolves
		waitFor(t, "the other device's copy", func() bool { return bob2.ConversationSettings(c).DndUntil > 0 })
		kept := bob2.ConversationSettings(c).DndUntil // the server's, by the log entry
		if answered != kept {
			mu.Lock()
			mismatches = append(mismatches, fmt.Sprintf("%s: answered %d, the server keeps %d (%+d ms)", c.TargetID, answered, kept, kept-answered))
			mu.Unlock()
		}
	}
	if len(mismatches) > 0 {
		t.Fatalf("setDoNotDisturb's answer is not the server's until:\n%v", mismatches)
	}
}

// dndDevClock is a device's clock that the test moves (a device whose clock
// is corrected forward after it connected, as phones do on waking).
type dndDevClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *dndDevClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *dndDevClock) add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// A device whose clock moved on after it connected (10 minutes here) keeps
// the server's end of the do-not-disturb, not one of its own reckoning.
func TestConversationDndFromTheServersClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	clk := &dndDevClock{}
	bob := e.device("bob", "b1", devOpts{mod: func(c *client.Config) { c.Now = clk.now }})
	bob.connect(t, token(t, "bob", time.Hour))
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	clk.add(10 * time.Minute)
	hour := int64(time.Hour / time.Millisecond)
	c := client.Conversation{Type: client.Private, TargetID: "alice"}
	if err := bob.SetSettings(ctx, []client.Conversation{c}, client.SettingsEdit{Dnd: &hour}); err != nil {
		t.Fatal(err)
	}
	e.fence(t, bob, bob2) // the log entry has reached both devices
	mine, kept := bob.ConversationSettings(c).DndUntil, bob2.ConversationSettings(c).DndUntil
	if mine != kept {
		t.Fatalf("the setting device keeps until %d, the server and the other device %d (%+d ms)", mine, kept, mine-kept)
	}
}
