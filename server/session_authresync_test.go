package server

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/client/wsnative"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// countDialer counts the SyncRequests a device writes and the Resync
// pushes it reads.
type countDialer struct {
	mu             sync.Mutex
	syncs, resyncs int
}

type countConn struct {
	client.Conn
	d *countDialer
}

func (d *countDialer) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, err := wsnative.Dialer{}.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &countConn{c, d}, nil
}

func (c *countConn) Write(ctx context.Context, b []byte) error {
	f := &pb.Frame{}
	if f.Unmarshal(b) == nil && f.GetSync() != nil {
		c.d.mu.Lock()
		c.d.syncs++
		c.d.mu.Unlock()
	}
	return c.Conn.Write(ctx, b)
}

func (c *countConn) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	f := &pb.Frame{}
	if err == nil && f.Unmarshal(b) == nil && f.GetPush().GetResync() {
		c.d.mu.Lock()
		c.d.resyncs++
		c.d.mu.Unlock()
	}
	return b, err
}

func (d *countDialer) counts() (int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.syncs, d.resyncs
}

// A session is told to sync after authenticating only when something was
// pushed to its user meanwhile: the writes of other users (alice to carol
// here) during bob's authentication cost bob's device no second sync (on a
// busy server, a write falls in nearly every authentication window).
func TestAuthResyncOnlyForOwnChanges(t *testing.T) {
	gs, url, tok := startAuthWindowServer(t)
	msg := func(to, text string) *client.Message {
		return &client.Message{Conversation: client.Conversation{Type: client.Private, TargetID: to},
			ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"` + text + `"}`), IsPersisted: true, IsCounted: true}
	}

	alice := authWinNewDevice(t, url, "a1")
	if _, err := alice.Connect(context.Background(), tok("alice")); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(t, "alice's sync", func() bool { return alice.syncs() >= 1 })

	counter := &countDialer{}
	bob := &authWinDevice{}
	bob.cond = sync.NewCond(&bob.mu)
	eng, err := client.New(client.Config{URL: url, AppKey: "k", DeviceID: "b1", Store: memstore.New(), Dialer: counter,
		SendRate: -1, BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		OnEvents: func(evs []client.Event) {
			bob.mu.Lock()
			bob.evs = append(bob.evs, evs...)
			bob.cond.Broadcast()
			bob.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	bob.Engine = eng
	t.Cleanup(eng.Close)
	if _, err := bob.Connect(context.Background(), tok("bob")); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "bob's first sync", func() bool { return bob.syncs() >= 1 })
	bob.Disconnect()
	// Baseline: a reconnect with no write meanwhile.
	base0, _ := counter.counts()
	if _, err := bob.Connect(context.Background(), tok("bob")); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "bob's second sync", func() bool { return bob.syncs() >= 2 })
	if _, err := bob.SendMessage(context.Background(), msg("alice", "fence0"), client.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	bob.Disconnect()
	before, _ := counter.counts()
	baseline := before - base0

	gs.armed.Store(true)
	connected := make(chan error, 1)
	go func() {
		_, err := bob.Connect(context.Background(), tok("bob"))
		connected <- err
	}()
	select {
	case <-gs.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("bob's authentication never reached the gate")
	}
	// Someone else's write: nothing of bob's changes.
	if _, err := alice.SendMessage(context.Background(), msg("carol", "not for bob"), client.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	close(gs.release)
	if err := <-connected; err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "bob's third sync", func() bool { return bob.syncs() >= 3 })
	// A round trip after the AuthOK (and the Resync push behind it): an
	// own send, acked after whatever the server queued before.
	if _, err := bob.SendMessage(context.Background(), msg("alice", "fence"), client.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // a sync the push started goes out within a round trip
	syncs, resyncs := counter.counts()
	if resyncs != 0 || syncs-before != baseline {
		t.Fatalf("bob's reconnect, with nothing of his changed, got %d Resync pushes and sent %d SyncRequests (a quiet reconnect sends %d; "+
			"want no Resync: the version moved for alice's message to carol only)", resyncs, syncs-before, baseline)
	}
}
