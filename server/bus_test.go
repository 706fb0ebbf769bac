package server_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/bus"
)

// recordingBus is a Bus plugged in through Config.NewBus: it records what
// is published and hands it to the node, as a bus between nodes does with
// what it receives.
type recordingBus struct {
	*bus.Local
	mu    sync.Mutex
	users [][]string
}

func (b *recordingBus) Publish(ctx context.Context, d *bus.Delivery) error {
	b.mu.Lock()
	b.users = append(b.users, d.Users)
	b.mu.Unlock()
	return b.Local.Publish(ctx, d)
}

func TestPluggedBusCarriesPushes(t *testing.T) {
	t.Parallel()
	rec := &recordingBus{}
	e := newEnv(t, func(c *server.Config) {
		c.NewBus = func(n bus.Node) (bus.Bus, error) {
			rec.Local = bus.NewLocal(n)
			return rec, nil
		}
	})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	alice.send(t, text("bob", client.Private, "through the bus"))
	if got := contents(bob.waitMessages(t, 1)); len(got) != 1 || got[0] != "through the bus" {
		t.Fatalf("bob got %v", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.users) == 0 {
		t.Fatal("the push did not go through the plugged bus")
	}
}

func TestBusThatFailsToStartStopsTheServer(t *testing.T) {
	t.Parallel()
	_, err := server.New(context.Background(), server.Config{AppKey: appKey, AppSecret: appSecret, DataDir: t.TempDir(),
		NewBus: func(bus.Node) (bus.Bus, error) { return nil, errors.New("no NATS here") }})
	if err == nil {
		t.Fatal("started without its bus")
	}
}
