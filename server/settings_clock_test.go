package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A device whose clock is corrected forward after it connected (its
// estimate of the server's time is then ahead) pins a conversation; the
// user's other device unpins it afterwards. Both devices, and a new one,
// must agree it is unpinned. The device stamped its change with its
// estimate of the server's time, a minute ahead, and dropped the later
// unpin as older; the server's answer now stamps it.
func TestSettingsFromADeviceWhoseClockRanAhead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var mu sync.Mutex
	var skew time.Duration
	a1 := e.device("alice", "a1", devOpts{mod: func(c *client.Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(skew) }
	}})
	a2 := e.device("alice", "a2", devOpts{})
	for _, d := range []*device{a1, a2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	// The device's clock is set forward a minute (NTP, the user): its
	// offset to the server was measured before.
	mu.Lock()
	skew = time.Minute
	mu.Unlock()
	ctx := context.Background()
	bob := client.Conversation{Type: client.Private, TargetID: "bob"}
	top, off := true, false
	if err := a1.SetSettings(ctx, []client.Conversation{bob}, client.SettingsEdit{Top: &top}); err != nil {
		t.Fatal(err)
	}
	e.fence(t, a2)
	if err := a2.SetSettings(ctx, []client.Conversation{bob}, client.SettingsEdit{Top: &off}); err != nil {
		t.Fatal(err)
	}
	e.fence(t, a1)
	a3 := e.device("alice", "a3", devOpts{})
	a3.connect(t, token(t, "alice", time.Hour))
	if a2.ConversationSettings(bob).IsTop || a3.ConversationSettings(bob).IsTop {
		t.Fatalf("a2 or the new device still pinned")
	}
	if s := a1.ConversationSettings(bob); s.IsTop {
		t.Errorf("a1 still shows bob pinned after a2 unpinned it (a2 and a new device: unpinned): %+v", s)
	}
}
