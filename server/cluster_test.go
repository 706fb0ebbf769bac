package server_test

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
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
