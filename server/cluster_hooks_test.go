package server_test

import (
	"context"
	"hash/fnv"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/bus"
	"github.com/imwasm/imwasm/server/bus/natsbus"
)

// clusterBusPrefix is the server's busPrefix(appKey): the subjects of the test
// app's cluster.
func clusterBusPrefix() string {
	h := fnv.New64a()
	h.Write([]byte(appKey))
	return "imwasm." + strconv.FormatUint(h.Sum64(), 16)
}

// hookBus is the real NATS bus with a hook run before Watch (what a
// slow round trip to NATS would let happen in that moment).
type hookBus struct {
	*natsbus.Bus
	gated       *gateNode
	mu          sync.Mutex
	beforeWatch func(user string)
}

func (b *hookBus) Watch(ctx context.Context, user string) error {
	b.mu.Lock()
	h := b.beforeWatch
	b.mu.Unlock()
	if h != nil {
		h(user)
	}
	return b.Bus.Watch(ctx, user)
}

func (b *hookBus) setBeforeWatch(h func(string)) {
	b.mu.Lock()
	b.beforeWatch = h
	b.mu.Unlock()
}

// gateNode stands between the bus and the server: while the test
// holds gate, what NATS delivers waits (a node busy elsewhere, a slow
// consumer), so NATS's inbox fills.
type gateNode struct {
	bus.Node
	gate    sync.RWMutex
	resyncs atomic.Int32 // Reconnected calls
}

func (n *gateNode) Deliver(d *bus.Delivery) {
	n.gate.RLock()
	n.gate.RUnlock()
	n.Node.Deliver(d)
}

func (n *gateNode) Reconnected() {
	n.resyncs.Add(1)
	n.Node.Reconnected()
}

func (n *gateNode) Receive(b []byte) {
	n.gate.RLock()
	n.gate.RUnlock()
	n.Node.Receive(b)
}

// hookCluster starts a cluster of n nodes whose buses are
// hookBus, returned in node order.
func hookCluster(t *testing.T, n int, mod func(*server.Config)) (*testCluster, []*hookBus) {
	t.Helper()
	var mu sync.Mutex
	var buses []*hookBus
	var url string
	c := startCluster(t, n, func(cfg *server.Config) {
		url = cfg.Bus
		cfg.NewBus = func(node bus.Node) (bus.Bus, error) {
			gn := &gateNode{Node: node}
			nb, err := natsbus.Open(context.Background(), natsbus.Options{URLs: url, Prefix: clusterBusPrefix()}, gn)
			if err != nil {
				return nil, err
			}
			hb := &hookBus{Bus: nb, gated: gn}
			mu.Lock()
			buses = append(buses, hb)
			mu.Unlock()
			return hb, nil
		}
		if mod != nil {
			mod(cfg)
		}
	})
	if len(buses) != n {
		t.Fatalf("%d buses for %d nodes", len(buses), n)
	}
	return c, buses
}
