package server

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/client/wsnative"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/sqlite"
)

// authWinStore holds the first Version() after it is armed, once it has
// read it: authenticate's read of the AuthOK's SyncVersion, after the
// session entered its ultra groups (held) and before it joins the hub. A
// message stored meanwhile is after the version the device is given.
type authWinStore struct {
	store.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *authWinStore) Version() uint64 {
	v := g.Store.Version()
	if g.armed.CompareAndSwap(true, false) { // only authenticate reads it
		close(g.entered)
		<-g.release
	}
	return v
}

type authWinDevice struct {
	*client.Engine
	mu   sync.Mutex
	got  []*client.Message
	evs  []client.Event
	cond *sync.Cond
}

func authWinNewDevice(t *testing.T, url, device string) *authWinDevice {
	d := &authWinDevice{}
	d.cond = sync.NewCond(&d.mu)
	eng, err := client.New(client.Config{
		URL: url, AppKey: "k", DeviceID: device, Store: memstore.New(), Dialer: wsnative.Dialer{},
		SendRate: -1, BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		OnEvents: func(evs []client.Event) {
			d.mu.Lock()
			defer d.mu.Unlock()
			for _, ev := range evs {
				if ev.Kind == client.EventMessages {
					d.got = append(d.got, ev.Messages...)
				}
				d.evs = append(d.evs, ev)
			}
			d.cond.Broadcast()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Engine = eng
	t.Cleanup(eng.Close)
	return d
}

func (d *authWinDevice) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	timer := time.AfterFunc(10*time.Second, func() { d.mu.Lock(); d.cond.Broadcast(); d.mu.Unlock() })
	defer timer.Stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		d.cond.Wait()
	}
}

func (d *authWinDevice) syncs() int {
	n := 0
	for _, ev := range d.evs {
		if ev.Kind == client.EventSyncFinished {
			n++
		}
	}
	return n
}

// A message committed while a device authenticates, after the server read
// the AuthOK's SyncVersion but before the session joined the hub, is
// pushed to no session of the device's, and a device whose stored version
// equals that AuthOK version (a quiet app, a short drop) would skip the
// sync (client/sync.go syncAll): the server tells it to sync, and the
// message arrives.
func TestAuthWindowMessageArrives(t *testing.T) {
	gs, url, tok := startAuthWindowServer(t)

	alice := authWinNewDevice(t, url, "a1")
	bob := authWinNewDevice(t, url, "b1")
	msg := func(text string) *client.Message {
		return &client.Message{
			Conversation: client.Conversation{Type: client.Private, TargetID: "bob"},
			ObjectName:   "RC:TxtMsg", Content: []byte(`{"content":"` + text + `"}`), IsPersisted: true, IsCounted: true,
		}
	}
	if _, err := alice.Connect(context.Background(), tok("alice")); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(t, "alice's sync", func() bool { return alice.syncs() >= 1 })
	if _, err := alice.SendMessage(context.Background(), msg("before"), client.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Connect(context.Background(), tok("bob")); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "bob's sync and first message", func() bool { return bob.syncs() >= 1 && len(bob.got) == 1 })
	// A short drop of bob's connection; nothing changes meanwhile.
	bob.Disconnect()
	t.Logf("server version %d after bob's first sync", gs.Store.Version())

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
	// Alice sends while bob's session authenticates: committed, fanned out,
	// acknowledged.
	sent, err := alice.SendMessage(context.Background(), msg("during bob's auth"), client.SendOptions{})
	if err != nil || sent.MessageUID == "" {
		t.Fatalf("alice's send: %v %+v", err, sent)
	}
	t.Logf("server version %d after alice's send", gs.Store.Version())
	close(gs.release)
	if err := <-connected; err != nil {
		t.Fatalf("bob's reconnect: %v", err)
	}
	bob.waitFor(t, "alice's message on bob's device", func() bool { return len(bob.got) >= 2 }) // (waitFor holds bob.mu)
	bob.mu.Lock()
	n := len(bob.got)
	bob.mu.Unlock()
	held, _ := bob.Engine.LocalHistory(context.Background(), client.Conversation{Type: client.Private, TargetID: "alice"}, 0, 10, false)
	if n != 2 || len(held) != 2 {
		t.Fatalf("alice's acknowledged message %s (seq %d) never reached bob's device: %d messages shown, %d held, want 2 and 2",
			sent.MessageUID, sent.Seq, n, len(held))
	}
}

// startAuthWindowServer starts a server on loopback whose store holds bob's
// authentication open when armed (authWinStore), and answers the store,
// the server's WebSocket URL and a token maker.
func startAuthWindowServer(t *testing.T, set ...func(*Server)) (gs *authWinStore, url string, tok func(string) string) {
	t.Helper()
	const secret = "test-secret-0123456789"
	cfg := Config{AppKey: "k", AppSecret: secret, DataDir: t.TempDir(), SendRate: -1}
	cfg.Defaults()
	db, err := sqlite.Open(context.Background(), filepath.Join(cfg.DataDir, DBFile), sqlite.Options{Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := files.NewDisk(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	gs = &authWinStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	srv := newServer(cfg, gs, fs)
	for _, f := range set {
		f(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(served) }()
	t.Cleanup(func() { cancel(); <-served; srv.Close() })
	tok = func(u string) string {
		s, err := auth.NewToken([]byte(secret), u, time.Hour, false, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return gs, "ws://" + ln.Addr().String() + "/v1/ws", tok
}
