package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/internal/natstest"
	"github.com/imwasm/imwasm/internal/pgtest"
	"github.com/imwasm/imwasm/internal/s3test"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// testCluster is n servers of this process on one PostgreSQL database and
// one NATS server (Debian's nats-server), with one clock.
type testCluster struct {
	nodes []*env
	nats  *natstest.Server
	clock *clock
}

func startCluster(t *testing.T, n int, mod func(*server.Config)) *testCluster {
	t.Helper()
	pg := sharedPG
	if pg == nil {
		pg = pgtest.Start(t)
	}
	dsn := pg.CreateDB(t)
	c := &testCluster{nats: natstest.Start(t), clock: &clock{}}
	for range n {
		e := newEnv(t, func(cfg *server.Config) {
			cfg.Store, cfg.Bus, cfg.Now = dsn, c.nats.URL(), c.clock.now
			// Beats often, so the nodes meet soon; a node is never
			// taken for gone (a busy machine delays beats, and tests move
			// the clock forward).
			cfg.ClusterBeat, cfg.ClusterDeadAfter = 100*time.Millisecond, 100*365*24*time.Hour
			if mod != nil {
				mod(cfg)
			}
		})
		e.clock = c.clock
		c.nodes = append(c.nodes, e)
	}
	// Each node hears of every other before the test starts.
	for _, e := range c.nodes {
		waitFor(t, "the nodes meet", func() bool { return e.srv.ClusterNodes() == n-1 })
	}
	return c
}

// waitFor polls cond (a condition on other processes' progress).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClusterCarriesLiveTraffic(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 3, nil)
	n0, n1, n2 := c.nodes[0], c.nodes[1], c.nodes[2]
	alice := n0.device("alice", "a1", devOpts{})
	alice2 := n1.device("alice", "a2", devOpts{}) // one user's devices on two nodes
	bob := n1.device("bob", "b1", devOpts{mod: func(cfg *client.Config) { cfg.TypingInterval = time.Hour }})
	carol := n2.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, alice2, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}

	// Private: bob (node 1) gets it live, and so does alice's other device.
	sent := alice.send(t, text("bob", client.Private, "hi bob"))
	if got := contents(bob.waitMessages(t, 1)); got[0] != "hi bob" {
		t.Fatalf("bob got %v", got)
	}
	alice2.waitMessages(t, 1)
	// Group: every member on every node.
	n0.group(t, "g", "alice", []string{"bob", "carol"}, nil)
	alice.send(t, text("g", client.Group, "hi all"))
	for _, d := range []*device{bob, carol, alice2} {
		d.waitFor(t, "the group message", func(ms []*client.Message, _ []client.Event) bool {
			return slices.ContainsFunc(ms, func(m *client.Message) bool { return string(m.Content) == `{"content":"hi all"}` })
		})
	}
	// Typing (never stored) crosses nodes.
	if err := alice.SendTypingStatus(context.Background(), client.Conversation{Type: client.Private, TargetID: "bob"}, "RC:TxtMsg"); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "alice typing", func(_ []*client.Message, evs []client.Event) bool {
		return slices.ContainsFunc(typingEvents(evs), func(s client.TypingStatus) bool {
			return slices.ContainsFunc(s.Users, func(u client.TypingUser) bool { return u.UserID == "alice" })
		})
	})
	// A recall reaches the recipient on the other node.
	if _, err := alice.RecallMessage(context.Background(), sent.Conversation, sent.MessageUID, sent.SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "the recall", func(ms []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(ms, func(m *client.Message) bool { return m.MessageUID == sent.MessageUID && m.ObjectName == "RC:RcNtf" })
	})
}

func TestClusterKicksAndSessionLimit(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, func(cfg *server.Config) { cfg.MaxSessions = 2 })
	n0, n1 := c.nodes[0], c.nodes[1]
	kicked := func(d *device) {
		t.Helper()
		d.waitFor(t, d.id+" kicked", func(_ []*client.Message, evs []client.Event) bool {
			return slices.ContainsFunc(evs, func(ev client.Event) bool { return ev.Kind == client.EventStatus && ev.Code == codes.DisconnKick })
		})
	}
	// The limit counts every node's sessions: the third closes the oldest,
	// on the other node.
	d1 := n0.device("u", "d1", devOpts{})
	d1.connect(t, token(t, "u", time.Hour))
	d2 := n1.device("u", "d2", devOpts{})
	d2.connect(t, token(t, "u", time.Hour))
	d3 := n1.device("u", "d3", devOpts{})
	d3.connect(t, token(t, "u", time.Hour))
	kicked(d1)
	if d2.Status() != client.StatusConnected || d3.Status() != client.StatusConnected {
		t.Fatal("the newer sessions must stay")
	}
	// The admin API's kick, on node 0, closes the sessions on node 1.
	c.clock.add(time.Second)
	if status, _ := n0.admin("POST", "/v1/users/u/kick", nil); status != http.StatusOK {
		t.Fatalf("kick: %d", status)
	}
	kicked(d2)
	kicked(d3)
}

func TestClusterOnlineStatusAndCaches(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	sam := n0.device("sam", "s1", devOpts{})
	sam.connect(t, token(t, "sam", time.Hour))
	sam.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"tina"}, Value: contract.SubscribeOnline, Expiry: 3600})
	online := func(want bool) func(*client.PeopleEvent) bool {
		return func(p *client.PeopleEvent) bool {
			s := p.Status[0]
			return s.UserId == "tina" && len(s.Platforms) == 1 && s.Platforms[0].Online == want
		}
	}
	// tina's sessions are on node 1, sam on node 0: told when she comes
	// and when she goes, and asked, node 0 says she is online.
	tina := n1.device("tina", "t1", devOpts{})
	tina.connect(t, token(t, "tina", time.Hour))
	sam.waitPeopleEvent(t, "tina online", client.EventSubscribedStatus, online(true))
	st := sam.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_ONLINE_STATUS, UserIds: []string{"tina"}})
	if !st.Subscriptions[0].Platforms[0].Online {
		t.Fatalf("node 0 says tina is offline: %+v", st.Subscriptions)
	}
	tina.Disconnect()
	sam.waitPeopleEvent(t, "tina offline", client.EventSubscribedStatus, online(false))

	// A group cached on node 1 changes through node 0: node 1 drops it.
	n0.group(t, "g", "ann", []string{"bo"}, nil)
	ann := n1.device("ann", "a1", devOpts{})
	ann.connect(t, token(t, "ann", time.Hour))
	ann.send(t, text("g", client.Group, "before")) // node 1 caches g's members
	if status, body := n0.admin("POST", "/v1/groups/g/members", map[string]any{"userIds": []string{"cy"}}); status != http.StatusOK {
		t.Fatalf("add a member: %d %v", status, body)
	}
	cy := n0.device("cy", "c1", devOpts{})
	cy.connect(t, token(t, "cy", time.Hour))
	ann.send(t, text("g", client.Group, "after"))
	cy.waitFor(t, "the message after cy joined", func(ms []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(ms, func(m *client.Message) bool { return string(m.Content) == `{"content":"after"}` })
	})
}

// NATS dies and comes back in the middle of alice's stream to bob, whose
// device is on the other node: the messages sent meanwhile, whose live
// pushes were lost, reach bob without his device reconnecting, and he gets
// every acknowledged message once, in order.
func TestClusterSurvivesNATSRestart(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	alice := n0.device("alice", "a1", devOpts{})
	bob := n1.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))

	const n = 200
	stream := startStream(t, alice, "bob", n)
	waitFor(t, "a quarter of the stream", func() bool { return stream.count.Load() >= n/4 })
	c.nats.Kill()
	waitFor(t, "/healthz to say the bus is down", func() bool { return healthz(t, n0) == http.StatusServiceUnavailable })
	atKill := stream.count.Load()
	waitFor(t, "sends while NATS is down", func() bool { return stream.count.Load() >= atKill+20 }) // stored; their pushes cannot cross
	c.nats.Restart(t)
	waitFor(t, "/healthz to say ok", func() bool { return healthz(t, n0) == http.StatusOK })
	acked := stream.wait()
	bob.waitMessages(t, n)
	n1.fence(t, bob)
	checkExactlyOnce(t, "bob", bob, acked)
	if slices.ContainsFunc(bob.events(), func(ev client.Event) bool {
		return ev.Kind == client.EventStatus && (ev.Status == client.StatusSuspended || ev.Status == client.StatusDisconnected)
	}) {
		t.Fatal("bob's device lost its connection")
	}
	// And live traffic flows again.
	alice.send(t, text("bob", client.Private, "after"))
	bob.waitMessages(t, n+1)
}

// A user's send rate limit holds across nodes: with devices on two nodes,
// each node meters half of it (the burst of 4 is 2 on each).
func TestClusterSplitsRateLimits(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, func(cfg *server.Config) { cfg.SendRate, cfg.SendBurst = 0.001, 4 })
	n0, n1 := c.nodes[0], c.nodes[1]
	watcher := n0.device("wendy", "w1", devOpts{})
	watcher.connect(t, token(t, "wendy", time.Hour))
	d2 := n1.device("u", "d2", devOpts{})
	d2.connect(t, token(t, "u", time.Hour))
	// Node 0 knows u is on node 1 once it says u is online (it has no
	// session of u's yet).
	waitFor(t, "node 0 to hear of u", func() bool {
		st := watcher.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_ONLINE_STATUS, UserIds: []string{"u"}})
		return st.Subscriptions[0].Platforms[0].Online
	})
	d1 := n0.device("u", "d1", devOpts{})
	d1.connect(t, token(t, "u", time.Hour))
	for i := range 2 {
		d1.send(t, text("wendy", client.Private, fmt.Sprint("ok ", i)))
	}
	_, err := d1.SendMessage(context.Background(), text("wendy", client.Private, "one too many"), client.SendOptions{})
	wantCode(t, "the third send on node 0", err, codes.SendFrequencyTooFast)
}

func healthz(t *testing.T, e *env) int {
	t.Helper()
	res, err := http.Get(e.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// With an S3-compatible file store (versitygw), a file uploaded through
// one node is served by the other, ranges included, and the upload quota
// counts the uploader's files on every node; a setting changed through
// one node holds on the other.
func TestClusterSharesFiles(t *testing.T) {
	t.Parallel()
	s3 := s3test.Start(t)
	c := startCluster(t, 2, func(cfg *server.Config) { cfg.Files = s3.URLWithCredentials("cluster-files") })
	n0, n1 := c.nodes[0], c.nodes[1]
	if status, body := n0.admin("PUT", "/v1/settings", map[string]any{"uploadQuotaBytes": 15000}); status != http.StatusOK {
		t.Fatalf("settings: %d %v", status, body)
	}
	waitFor(t, "node 1 to read the settings", func() bool {
		_, body := n1.admin("GET", "/v1/settings", nil)
		return body["data"].(map[string]any)["uploadQuotaBytes"] == float64(15000)
	})
	tok := token(t, "u", time.Hour)
	body := make([]byte, 6000)
	for i := range body {
		body[i] = byte(i % 251)
	}
	status, f, res := n0.upload(t, tok, "a.bin", "application/octet-stream", "", bytes.NewReader(body), int64(len(body)))
	if status != http.StatusOK {
		t.Fatalf("upload: %d %v", status, res)
	}
	req, _ := http.NewRequest("GET", strings.Replace(f.URL, n0.url, n1.url, 1), nil)
	req.Header.Set("Range", "bytes=100-199")
	got, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != http.StatusPartialContent || !bytes.Equal(part, body[100:200]) || got.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("range from node 1: %d %d bytes %v", got.StatusCode, len(part), got.Header)
	}
	// The quota: 6,000 bytes and 4 KiB kept; 6,000 more through node 1
	// would pass 15,000.
	n1.waitMetric(t, "imwasm_upload_files", 1)
	if status, _, res := n1.upload(t, tok, "b.bin", "application/octet-stream", "", bytes.NewReader(body), int64(len(body))); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("past the quota through node 1: %d %v", status, res)
	}
}

// Seed 000's read-receipt flow with its members on three nodes: the
// request reaches each, each answer reaches the sender on another node,
// and the sender's copy ends with both readers.
func TestClusterGroupReadReceipts(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 3, nil)
	c.nodes[0].group(t, "g", "alice", []string{"bob", "carol"}, nil)
	var d []*device
	for i, u := range []string{"alice", "bob", "carol"} {
		d = append(d, c.nodes[i].device(u, u+"1", devOpts{}))
		d[i].connect(t, token(t, u, time.Hour))
	}
	alice, bob, carol := d[0], d[1], d[2]
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	ctx := context.Background()
	m := alice.send(t, text("g", client.Group, "lunch?"))
	if err := alice.RequestReceipts(ctx, g, m.MessageUID); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*device{bob, carol} {
		r.waitReceipt(t, r.user+"'s request", client.EventReceiptRequest, func(e *client.ReceiptEvent) bool { return e.MessageUID == m.MessageUID })
		if err := r.RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
			t.Fatal(err)
		}
		alice.waitReceipt(t, r.user+"'s response", client.EventReceiptResponse, func(e *client.ReceiptEvent) bool { return e.UserID == r.user })
	}
	alice.waitFor(t, "both readers in alice's copy", func([]*client.Message, []client.Event) bool {
		rc := alice.stored(t, m.MessageUID).Receipt
		return rc != nil && rc.ReadCount == 2 && len(rc.Readers) == 2
	})
}

// Delivery receipts across nodes: bob's node has learned he has none
// pending (his acks then ask the database nothing); alice's message asking
// for one, stored through another node, tells bob's node first, so his
// device's ack delivers it.
func TestClusterDeliveryReceipts(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	const ackEvery = 50 * time.Millisecond
	alice := c.nodes[0].device("alice", "a1", devOpts{mod: func(cfg *client.Config) { cfg.DeliveryReceipts, cfg.AckInterval = true, ackEvery }})
	bob := c.nodes[1].device("bob", "b1", devOpts{mod: func(cfg *client.Config) { cfg.AckInterval = ackEvery }})
	carol := c.nodes[0].device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	// bob acks a message that asked for nothing: his node now knows he
	// has nothing pending. (A session handles its frames one at a time:
	// once his send after the ack is answered, the ack was handled.)
	carol.send(t, text("bob", client.Private, "hi"))
	bob.waitMessages(t, 1)
	waitFor(t, "bob's ack", func() bool { return c.nodes[1].metric(t, "imwasm_device_acks_total") >= 1 })
	bob.send(t, text("carol", client.Private, "hello"))
	for i := range 2 {
		m := alice.send(t, text("bob", client.Private, fmt.Sprint("tell me ", i)))
		alice.waitReceipt(t, "delivered", client.EventDelivered, func(r *client.ReceiptEvent) bool {
			return slices.Contains(r.MessageUIDs, m.MessageUID) && r.UserID == "bob"
		})
	}
}

// Presence across a bus outage and a graceful stop: a node dropped for its
// silence (its users told offline) has them told online again when it is
// heard again; a node that stops has its users told offline to the
// subscribers on the others.
func TestClusterPresenceAfterOutageAndStop(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, func(cfg *server.Config) { cfg.ClusterDeadAfter = 500 * time.Millisecond })
	n0, n1 := c.nodes[0], c.nodes[1]
	sam := n0.device("sam", "s1", devOpts{})
	sam.connect(t, token(t, "sam", time.Hour))
	sam.mustPeople(t, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"tina"}, Value: contract.SubscribeOnline, Expiry: 3600})
	// last is the online status in the last push sam got about tina.
	last := func() (online, told bool) {
		for _, ev := range sam.events() {
			if ev.Kind != client.EventSubscribedStatus {
				continue
			}
			for _, s := range ev.People.Status {
				if s.UserId == "tina" && len(s.Platforms) > 0 {
					online, told = s.Platforms[0].Online, true
				}
			}
		}
		return online, told
	}
	tina := n1.device("tina", "t1", devOpts{})
	tina.connect(t, token(t, "tina", time.Hour))
	waitFor(t, "sam told tina is online", func() bool { on, told := last(); return told && on })

	c.nats.Kill()
	waitFor(t, "sam told tina is offline (node 1 silent)", func() bool { on, _ := last(); return !on })
	c.nats.Restart(t)
	waitFor(t, "the nodes meet again", func() bool { return n0.srv.ClusterNodes() == 1 && n1.srv.ClusterNodes() == 1 })
	waitFor(t, "sam told tina is online again", func() bool { on, _ := last(); return on })

	n1.stop()
	waitFor(t, "sam told tina is offline (node 1 stopped)", func() bool { on, _ := last(); return !on })
}
