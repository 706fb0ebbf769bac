package server_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
)

// recordingBus is a Bus plugged in through Config.NewBus: it records what
// is published and hands it to the node, as a bus between nodes does with
// what it receives.
type recordingBus struct {
	mu    sync.Mutex
	users [][]string
	local func(*server.Delivery)
}

func (b *recordingBus) Publish(_ context.Context, d *server.Delivery) error {
	b.mu.Lock()
	b.users = append(b.users, d.Users)
	b.mu.Unlock()
	b.local(d)
	return nil
}

func TestPluggedBusCarriesPushes(t *testing.T) {
	t.Parallel()
	bus := &recordingBus{}
	e := newEnv(t, func(c *server.Config) {
		c.NewBus = func(local func(*server.Delivery)) (server.Bus, error) {
			bus.local = local
			return bus, nil
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
	bus.mu.Lock()
	defer bus.mu.Unlock()
	if len(bus.users) == 0 {
		t.Fatal("the push did not go through the plugged bus")
	}
}

func TestBusThatFailsToStartStopsTheServer(t *testing.T) {
	t.Parallel()
	_, err := server.New(context.Background(), server.Config{AppKey: appKey, AppSecret: appSecret, DataDir: t.TempDir(),
		NewBus: func(func(*server.Delivery)) (server.Bus, error) { return nil, errors.New("no NATS here") }})
	if err == nil {
		t.Fatal("started without its bus")
	}
}
