package client_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
)

// signalDialer tells when a socket was asked for.
type signalDialer struct {
	*loopback
	dialed chan struct{}
}

func (d signalDialer) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, err := d.loopback.Dial(ctx, url)
	select {
	case d.dialed <- struct{}{}:
	default:
	}
	return c, err
}

// gatedStore's conversation read waits for each of its gates (named by
// what it waits for, in the error of one never opened), then answers with
// err. Its first Meta read opens versionRead.
type gatedStore struct {
	client.Store
	gates       map[string]<-chan struct{}
	err         error
	versionRead chan struct{}
	once        *sync.Once
}

func (s gatedStore) Meta(ctx context.Context, key string) ([]byte, error) {
	s.once.Do(func() { close(s.versionRead) })
	return s.Store.Meta(ctx, key)
}

func (s gatedStore) Conversations(ctx context.Context) ([]*client.ConversationState, error) {
	deadline := time.After(10 * time.Second)
	for what, gate := range s.gates {
		select {
		case <-gate:
		case <-deadline:
			return nil, errors.New(what + " was not asked for while the state loaded")
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.Store.Conversations(ctx)
}

// A cold start opens the socket and reads the sync version while it reads
// the store, not after (in a browser each is on the way to the Auth), and
// a failed load leaves no socket open and no read behind.
func TestConnectDialsWhileTheStateLoads(t *testing.T) {
	for _, tc := range []struct {
		name    string
		loadErr error
	}{
		{"state loads", nil},
		{"state fails to load", errors.New("disk gone")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			d := signalDialer{&loopback{}, make(chan struct{}, 1)}
			versionRead := make(chan struct{})
			store := gatedStore{memstore.New(), map[string]<-chan struct{}{"the socket": d.dialed, "the sync version": versionRead},
				tc.loadErr, versionRead, &sync.Once{}}
			e, err := client.New(client.Config{
				URL: "ws://loopback/v1/ws", AppKey: "app", DeviceID: "dev", Dialer: d, Store: store,
				AckInterval: time.Hour, GapWait: time.Hour,
			})
			if err != nil {
				t.Fatal(err)
			}
			user, err := e.Connect(context.Background(), "tok")
			if tc.loadErr == nil {
				if err != nil || user != "alice" {
					t.Fatalf("Connect = %q, %v", user, err)
				}
				if n := len(d.conns); n != 1 {
					t.Fatalf("%d sockets opened, want the early one only", n)
				}
			} else {
				if err == nil || !errors.Is(err, tc.loadErr) {
					t.Fatalf("Connect error %v, want the load's", err)
				}
				if !d.last().isClosed() {
					t.Fatal("the socket opened early was left open")
				}
			}
			e.Close()
			eventually(t, "the engine's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
		})
	}
}

// The socket opened early may be closed by the server before the Auth goes
// (its deadline passed while the state loaded): Connect takes a fresh one
// rather than failing.
func TestConnectRedialsWhenTheEarlySocketDied(t *testing.T) {
	d := signalDialer{&loopback{}, make(chan struct{}, 1)}
	died := &dyingFirst{signalDialer: d}
	// The engine's clock moves 3 s a reading: the early socket is taken
	// long after it opened, as when the state took that long to load.
	var clock sync.Mutex
	now := time.UnixMilli(1_700_000_000_000)
	e, err := client.New(client.Config{
		URL: "ws://loopback/v1/ws", AppKey: "app", DeviceID: "dev", Dialer: died,
		Store: memstore.New(), AckInterval: time.Hour, GapWait: time.Hour,
		Now: func() time.Time {
			clock.Lock()
			defer clock.Unlock()
			now = now.Add(3 * time.Second)
			return now
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if user, err := e.Connect(context.Background(), "tok"); err != nil || user != "alice" {
		t.Fatalf("Connect = %q, %v; want a second socket to connect", user, err)
	}
	if n := len(d.conns); n != 2 {
		t.Fatalf("%d sockets, want the early one and a fresh one", n)
	}
}

// dyingFirst's first socket is closed by the server before anything is
// written (every read and write fails); the next ones work.
type dyingFirst struct {
	signalDialer
	n int
}

func (d *dyingFirst) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, err := d.signalDialer.Dial(ctx, url)
	if d.n++; d.n == 1 && err == nil {
		c.Close()
		return deadConn{}, nil
	}
	return c, err
}

type deadConn struct{}

func (deadConn) Read(context.Context) ([]byte, error) { return nil, errors.New("closed by the server") }
func (deadConn) Write(context.Context, []byte) error  { return errors.New("closed by the server") }
func (deadConn) Close() error                         { return nil }
