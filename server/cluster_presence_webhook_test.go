package server_test

import (
	"context"
	"hash/fnv"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/bus"
	"github.com/imwasm/imwasm/server/bus/natsbus"
)

// freezableBus is a node's NATS bus the test can freeze: from then on the
// node neither sends nor receives anything on the bus, which is what the
// other nodes see of a node killed with -9 (it falls silent), while the
// node itself runs on.
type freezableBus struct {
	bus.Bus
	frozen *atomic.Bool
}

func (b *freezableBus) Publish(ctx context.Context, d *bus.Delivery) error {
	if b.frozen.Load() {
		return nil
	}
	return b.Bus.Publish(ctx, d)
}

func (b *freezableBus) Tell(ctx context.Context, user string, e []byte) error {
	if b.frozen.Load() {
		return nil
	}
	return b.Bus.Tell(ctx, user, e)
}

func (b *freezableBus) Broadcast(ctx context.Context, e []byte) error {
	if b.frozen.Load() {
		return nil
	}
	return b.Bus.Broadcast(ctx, e)
}

func (b *freezableBus) Send(ctx context.Context, node string, e []byte) error {
	if b.frozen.Load() {
		return nil
	}
	return b.Bus.Send(ctx, node, e)
}

// freezableNode is the node side: a frozen node hears nothing either.
type freezableNode struct {
	bus.Node
	frozen *atomic.Bool
}

func (n freezableNode) Deliver(d *bus.Delivery) {
	if !n.frozen.Load() {
		n.Node.Deliver(d)
	}
}

func (n freezableNode) Receive(e []byte) {
	if !n.frozen.Load() {
		n.Node.Receive(e)
	}
}

// freezable makes the nodes of a cluster (startCluster's, in its order) use
// buses on its NATS server that freeze when frozen[i] is set.
func freezable(frozen []*atomic.Bool) func(*server.Config) {
	i := 0
	return func(cfg *server.Config) {
		f, url, logger := frozen[i], cfg.Bus, cfg.Logger
		i++
		h := fnv.New64a() // the prefix the server gives its own buses (cluster.go busPrefix)
		h.Write([]byte(cfg.AppKey))
		prefix := "imwasm." + strconv.FormatUint(h.Sum64(), 16)
		cfg.NewBus = func(n bus.Node) (bus.Bus, error) {
			b, err := natsbus.Open(context.Background(), natsbus.Options{URLs: url, Prefix: prefix, Logger: logger}, freezableNode{n, f})
			if err != nil {
				return nil, err
			}
			return &freezableBus{Bus: b, frozen: f}, nil
		}
	}
}

// presenceHook starts a cluster's events webhook on its first node and
// answers how many events of kind it got for user.
func presenceHook(t *testing.T, c *testCluster) func(kind, user string) int {
	t.Helper()
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	c.nodes[0].adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": h.srv.URL + "/events"})
	for _, n := range c.nodes[1:] {
		waitFor(t, "the nodes to read the settings", func() bool {
			return n.adminOK(t, "GET", "/v1/settings", nil)["webhookUrl"] == h.srv.URL+"/events"
		})
	}
	return func(kind, user string) int {
		n := 0
		for _, ev := range h.seen() {
			if data, ok := ev["data"].(map[string]any); ok && ev["type"] == kind && data["userId"] == user {
				n++
			}
		}
		return n
	}
}

// tinaOnNode1 connects sam to node 0, subscribed to tina's status, and
// tina to node 1, and waits until sam and the backend know she is online.
func tinaOnNode1(t *testing.T, c *testCluster, userEvents func(kind, user string) int) *device {
	t.Helper()
	sam := c.nodes[0].device("sam", "s1", devOpts{})
	sam.connect(t, token(t, "sam", time.Hour))
	sam.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"tina"}, Value: contract.SubscribeOnline, Expiry: 3600})
	tina := c.nodes[1].device("tina", "t1", devOpts{})
	tina.connect(t, token(t, "tina", time.Hour))
	sam.waitPeopleEvent(t, "tina online", client.EventSubscribedStatus, func(p *client.PeopleEvent) bool {
		s := p.Status[0]
		return s.UserId == "tina" && len(s.Platforms) == 1 && s.Platforms[0].Online
	})
	waitFor(t, "the backend told tina is online", func() bool { return userEvents("user.online", "tina") == 1 })
	return sam
}

func waitTinaOffline(t *testing.T, sam *device) {
	t.Helper()
	sam.waitPeopleEvent(t, "tina offline", client.EventSubscribedStatus, func(p *client.PeopleEvent) bool {
		s := p.Status[0]
		return s.UserId == "tina" && len(s.Platforms) == 1 && !s.Platforms[0].Online
	})
}

// A node dies (kill -9: it falls silent). The node that survives drops it
// after ClusterDeadAfter and tells the subscribers of its users that they
// are offline, and the events webhook too, which was told "user.online" for
// tina when she connected (cluster.dropNodeLocked, as noteOnlineAgainLocked).
func TestNodeDeathSendsUserOfflineWebhook(t *testing.T) {
	t.Parallel()
	frozen := []*atomic.Bool{{}, {}}
	mod := freezable(frozen)
	c := startCluster(t, 2, func(cfg *server.Config) {
		mod(cfg)
		cfg.ClusterDeadAfter = 700 * time.Millisecond
	})
	userEvents := presenceHook(t, c)
	sam := tinaOnNode1(t, c, userEvents)

	frozen[1].Store(true) // node 1 dies
	waitTinaOffline(t, sam)
	waitFor(t, "the events webhook to get user.offline for tina", func() bool { return userEvents("user.offline", "tina") == 1 })
}

// A node stopped gracefully (SIGTERM: Serve returns, then Close). Serve
// closes its sessions, whose closes enqueue "user.offline" on the server's
// tasks with a context Close's cancel does not cut (Close waits for them
// before the store closes): tina, online on the stopped node only, is
// offline for the cluster (sam is told) and for the events webhook.
func TestGracefulStopSendsUserOfflineWebhook(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	userEvents := presenceHook(t, c)
	sam := tinaOnNode1(t, c, userEvents)

	c.nodes[1].stop()
	waitTinaOffline(t, sam)
	waitFor(t, "the events webhook to get user.offline for tina", func() bool { return userEvents("user.offline", "tina") >= 1 })
}
