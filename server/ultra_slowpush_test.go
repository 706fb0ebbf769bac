package server

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/client/wsnative"
	"github.com/imwasm/imwasm/server/auth"
)

// heldReadDialer dials with wsnative; while closed, its connections' reads
// wait (a device whose socket the server cannot write to).
type heldReadDialer struct {
	wsnative.Dialer
	mu   sync.Mutex
	open chan struct{} // nil: reads pass
}

func (d *heldReadDialer) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, err := d.Dialer.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &heldReadConn{Conn: c, d: d}, nil
}

func (d *heldReadDialer) set(ch chan struct{}) { d.mu.Lock(); d.open = ch; d.mu.Unlock() }

type heldReadConn struct {
	client.Conn
	d *heldReadDialer
}

func (c *heldReadConn) Read(ctx context.Context) ([]byte, error) {
	c.d.mu.Lock()
	ch := c.d.open
	c.d.mu.Unlock()
	if ch != nil {
		<-ch
	}
	return c.Conn.Read(ctx)
}

// An ultra group's public channel is fanned out by pushLive, which skips a
// session half its queue behind and keeps it connected. A device finds
// such a gap only when a later message of the same channel comes, so the
// session is told to sync once it has caught up: a skipped message that is
// its channel's last (acknowledged to its sender) still arrives.
func TestUltraSkippedPushCaughtUp(t *testing.T) {
	const secret = "test-secret-0123456789"
	const queue = 2 << 20
	srv, err := New(context.Background(), Config{AppKey: "k", AppSecret: secret, DataDir: t.TempDir(), SendRate: -1, SendQueueBytes: queue})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(served) }()
	t.Cleanup(func() { cancel(); <-served; srv.Close() })
	url := "ws://" + ln.Addr().String() + "/v1/ws"
	tok := func(u string) string {
		s, err := auth.NewToken([]byte(secret), u, time.Hour, false, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	adminAt(t, url, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "alice", "memberIds": []string{"bob"}})

	newDev := func(user string, dialer client.Dialer) (*client.Engine, *memstore.Store) {
		st := memstore.New()
		synced, once := make(chan struct{}), sync.Once{}
		eng, err := client.New(client.Config{URL: url, AppKey: "k", DeviceID: user + "1", Store: st, Dialer: dialer, SendRate: -1,
			BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond, OnEvents: func(evs []client.Event) {
				for _, ev := range evs {
					if ev.Kind == client.EventSyncFinished {
						once.Do(func() { close(synced) })
					}
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(eng.Close)
		if _, err := eng.Connect(context.Background(), tok(user)); err != nil {
			t.Fatal(err)
		}
		select { // its first sync done (its answers pass the gate while it is open)
		case <-synced:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s's first sync", user)
		}
		return eng, st
	}
	alice, _ := newDev("alice", wsnative.Dialer{})
	gate := &heldReadDialer{}
	bob, bobStore := newDev("bob", gate)

	queued := func() (int, bool) {
		ss := srv.hub.sessionsOf("bob")
		if len(ss) != 1 {
			return 0, false
		}
		ss[0].mu.Lock()
		defer ss[0].mu.Unlock()
		return ss[0].q.bytes, !ss[0].closing && !ss[0].dropped
	}
	release := make(chan struct{})
	gate.set(release)
	body := strings.Repeat("x", 100<<10)
	n := 0
	for {
		if _, err := alice.SendMessage(context.Background(), &client.Message{
			Conversation: client.Conversation{Type: client.Private, TargetID: "bob"},
			ObjectName:   "RC:TxtMsg", Content: []byte(fmt.Sprintf(`{"content":"%d %s"}`, n, body)), IsPersisted: true, IsCounted: true,
		}, client.SendOptions{}); err != nil {
			t.Fatalf("private send %d: %v", n, err)
		}
		n++
		q, live := queued()
		if !live {
			t.Fatalf("bob's session closed after %d sends", n)
		}
		if q > queue/2 {
			break
		}
		if n > 400 {
			t.Fatalf("bob's queue never grew: %d bytes", q)
		}
	}
	ug := client.Conversation{Type: client.UltraGroup, TargetID: "ug"}
	sent, err := alice.SendMessage(context.Background(), &client.Message{Conversation: ug, ObjectName: "RC:TxtMsg",
		Content: []byte(`{"content":"ultra"}`), IsPersisted: true, IsCounted: true}, client.SendOptions{})
	if err != nil {
		t.Fatalf("ultra send: %v", err)
	}
	for wait := time.Now().Add(5 * time.Second); value(t, srv.metrics.chatroomMissed) < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatal("the ultra push to bob's busy session was not skipped: the premise failed")
		}
	}
	_, live := queued()
	t.Logf("%d private pushes queued; ultra message %s acked; bob's session live: %v", n, sent.MessageUID, live)
	gate.set(nil)
	close(release)

	bobConv := client.Conversation{Type: client.Private, TargetID: "alice"}
	deadline := time.Now().Add(15 * time.Second)
	for {
		held, _ := bobStore.History(context.Background(), bobConv, 0, 500, false)
		if len(held) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob holds %d of %d private messages", len(held), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	deadline = time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if held, _ := bob.LocalHistory(context.Background(), ug, 0, 10, false); len(held) == 1 {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
	t.Fatalf("bob's device, connected throughout, never got alice's acknowledged ultra group message %s (missed pushes counted: %v)",
		sent.MessageUID, value(t, srv.metrics.chatroomMissed))
}
