package server_test

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/internal/natstest"
	"github.com/imwasm/imwasm/internal/pgtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Two `imwasm serve` processes on one PostgreSQL database (a cluster
// without its bus yet: each user's devices on one node). alice sends to bob
// through the first while bob sends to alice through the second, and
// PostgreSQL is killed and started again in the middle: every
// acknowledged message is kept, once, in one gapless order that a new
// device on either node pulls.
func TestTwoNodesOnOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs PostgreSQL and two servers")
	}
	pg := pgtest.Start(t)
	dsn := pg.CreateDB(t)
	bin := buildIMWasm(t)
	addrs := []string{freeAddr(t), freeAddr(t)}
	for _, a := range addrs {
		startServe(t, bin, a, t.TempDir(), "--store", dsn)
	}
	nodes := []*env{{t: t, url: "http://" + addrs[0]}, {t: t, url: "http://" + addrs[1]}}
	alice := nodes[0].device("alice", "a1", devOpts{})
	bob := nodes[1].device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))

	const each = 150
	acked := map[string]bool{}
	var mu sync.Mutex
	var count atomic.Int32
	var wg sync.WaitGroup
	for _, s := range []struct {
		d  *device
		to string
	}{{alice, "bob"}, {bob, "alice"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := sendUntilSent(t, s.d, text(s.to, client.Private, fmt.Sprint(s.d.user, i)))
				mu.Lock()
				acked[m.MessageUID] = true
				mu.Unlock()
				count.Add(1)
			}
		}()
	}
	for count.Load() < each/2 {
		time.Sleep(5 * time.Millisecond) // polling a condition
	}
	// PostgreSQL dies (every backend with it) and comes back: sends fail
	// meanwhile, the senders retry, the servers reconnect by themselves.
	pg.Kill()
	atKill := count.Load()
	health := func() int {
		t.Helper()
		res, err := http.Get(nodes[0].url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := health(); code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz with PostgreSQL down: %d", code)
	}
	pg.Restart(t)
	if code := health(); code != http.StatusOK {
		t.Fatalf("/healthz with PostgreSQL back: %d", code)
	}
	atRestart := count.Load()
	wg.Wait()
	t.Logf("PostgreSQL killed after %d acknowledged sends, back after %d", atKill, atRestart)
	if len(acked) != 2*each {
		t.Fatalf("%d messages acknowledged, want %d", len(acked), 2*each)
	}
	// A new device of each user, on the other node, pulls the whole
	// conversation: seq 1..300, each message once.
	for i, u := range []string{"alice", "bob"} {
		d := nodes[1-i].device(u, u+"-new", devOpts{})
		d.connect(t, token(t, u, time.Hour))
		d.waitMessages(t, 2*each)
		nodes[1-i].fence(t, d)
		checkExactlyOnce(t, u+"'s new device", d, acked)
		if got := d.messages(); got[0].Seq != 1 || got[len(got)-1].Seq != 2*each {
			t.Fatalf("%s: seq %d..%d, want 1..%d", u, got[0].Seq, got[len(got)-1].Seq, 2*each)
		}
	}
}

// Two `imwasm serve` nodes on one PostgreSQL and one NATS. alice's device
// knows both nodes (node A first), bob's is on node B. Node A is killed
// with -9 in the middle of alice's stream to bob: alice's device moves to
// node B by itself, and bob gets every acknowledged message, once, in
// order, without reconnecting.
func TestClusterNodeKilledItsClientsMoveOn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs PostgreSQL, NATS and two servers")
	}
	pg := pgtest.Start(t)
	dsn := pg.CreateDB(t)
	nt := natstest.Start(t)
	bin := buildIMWasm(t)
	addrs := []string{freeAddr(t), freeAddr(t)}
	var procs []*proc
	for _, a := range addrs {
		procs = append(procs, startServe(t, bin, a, t.TempDir(), "--store", dsn, "--bus", nt.URL()))
	}
	ws := func(addr string) string { return "ws://" + addr + "/v1/ws" }
	a, b := &env{t: t, url: "http://" + addrs[0]}, &env{t: t, url: "http://" + addrs[1]}
	alice := a.device("alice", "a1", devOpts{mod: func(c *client.Config) { c.Fallbacks = []string{ws(addrs[1])} }})
	bob := b.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))

	const n = 300
	stream := startStream(t, alice, "bob", n)
	waitFor(t, "a third of the stream", func() bool { return stream.count.Load() >= n/3 })
	procs[0].cmd.Process.Kill() // SIGKILL: no shutdown, no goodbye to the cluster
	procs[0].cmd.Wait()
	atKill := stream.count.Load()
	acked := stream.wait()
	t.Logf("node A killed after %d acknowledged sends", atKill)
	bob.waitMessages(t, n)
	b.fence(t, bob)
	checkExactlyOnce(t, "bob", bob, acked)
	if alice.Status() != client.StatusConnected {
		t.Fatalf("alice is %v", alice.Status())
	}
	var statuses []int
	for _, ev := range alice.events() {
		if ev.Kind == client.EventStatus {
			statuses = append(statuses, ev.Status)
		}
	}
	if !slices.Contains(statuses, client.StatusConnecting) || statuses[len(statuses)-1] != client.StatusConnected {
		t.Fatalf("alice's statuses: %v", statuses)
	}
	if slices.ContainsFunc(bob.events(), func(ev client.Event) bool {
		return ev.Kind == client.EventStatus && (ev.Status == client.StatusSuspended || ev.Status == client.StatusDisconnected)
	}) {
		t.Fatal("bob, on the node that lived, was disconnected")
	}
}
