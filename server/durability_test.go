package server_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/wsnative"
)

// sendUntilSent sends m and, whenever the attempt fails, resends the same
// local message by messageId until the server has acknowledged it.
func sendUntilSent(t *testing.T, d *device, m *client.Message) *client.Message {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	got, err := d.SendMessage(context.Background(), m, client.SendOptions{})
	for err != nil {
		if got == nil {
			t.Fatalf("send refused without a local message: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d never acknowledged: %v", got.MessageID, err)
		}
		time.Sleep(20 * time.Millisecond) // between retries (the server may be restarting)
		var again *client.Message
		again, err = d.SendMessage(context.Background(), &client.Message{}, client.SendOptions{MessageID: got.MessageID})
		if again != nil {
			got = again
		}
	}
	return got
}

// sendStream is n texts sent from one device to a user in the background,
// each until acknowledged (through kills and restarts).
type sendStream struct {
	acked map[string]bool // written by the sending goroutine until done
	count atomic.Int32    // how many are acknowledged so far
	done  chan struct{}
}

func startStream(t *testing.T, d *device, to string, n int) *sendStream {
	s := &sendStream{acked: map[string]bool{}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for i := range n {
			m := sendUntilSent(t, d, text(to, client.Private, fmt.Sprint(i)))
			s.acked[m.MessageUID] = true
			s.count.Add(1)
		}
	}()
	return s
}

// wait waits for the whole stream and returns the acknowledged uids.
func (s *sendStream) wait() map[string]bool {
	<-s.done
	return s.acked
}

// checkExactlyOnce asserts that d received exactly the want uids, each
// once, in increasing sequence order.
func checkExactlyOnce(t *testing.T, name string, d *device, want map[string]bool) {
	t.Helper()
	got := d.messages()
	seen := map[string]bool{}
	var last uint64
	for _, m := range got {
		if seen[m.MessageUID] {
			t.Fatalf("%s: %s delivered twice", name, m.MessageUID)
		}
		seen[m.MessageUID] = true
		if m.Seq <= last {
			t.Fatalf("%s: seq %d after %d", name, m.Seq, last)
		}
		last = m.Seq
		if !want[m.MessageUID] {
			t.Fatalf("%s: unexpected message %s", name, m.MessageUID)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%s: got %d messages, want %d", name, len(seen), len(want))
	}
}

// waitUID waits until d has shown message uid.
func waitUID(t *testing.T, d *device, uid string) {
	t.Helper()
	d.waitFor(t, "message "+uid, func(got []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(got, func(m *client.Message) bool { return m.MessageUID == uid })
	})
}

func buildIMWasm(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "imwasm")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/imwasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// proc is `imwasm serve` in its own process.
type proc struct {
	cmd *exec.Cmd
}

func startServe(t *testing.T, bin, addr, data string, more ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--data", data, "--app-key", appKey, "--app-secret", appSecret, "--send-rate", "0"}, more...)...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening on http://"+addr) {
		t.Fatalf("server did not start: %q %v", line, err)
	}
	go func() { bufio.NewReader(out).WriteTo(discard{}) }()
	return p
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

func TestKill9KeepsEveryAcknowledgedMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it mid-stream: runs without -short")
	}
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildIMWasm(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := t.TempDir()
	p := startServe(t, bin, addr, data)
	e := &env{t: t, url: "http://" + addr}

	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))

	const n = 400
	stream := startStream(t, alice, "bob", n)
	waitFor(t, "150 acknowledged sends", func() bool { return stream.count.Load() >= 150 })
	// SIGKILL in the middle of the stream: no shutdown, no final checkpoint.
	p.cmd.Process.Kill()
	p.cmd.Wait()
	startServe(t, bin, addr, data)
	acked := stream.wait()

	bob.waitMessages(t, n)
	e.fence(t, bob)
	checkExactlyOnce(t, "bob", bob, acked)
	// A new device reads the same history from the restarted server.
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	bob2.waitMessages(t, n)
	e.fence(t, bob2)
	checkExactlyOnce(t, "bob's new device", bob2, acked)
}

// flaky is a Dialer whose connections die after a random number of frames.
type flaky struct {
	wsnative.Dialer
	drops atomic.Int32
}

func (f *flaky) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, err := f.Dialer.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &flakyConn{Conn: c, f: f, left: 20 + rand.IntN(300)}, nil
}

type flakyConn struct {
	client.Conn
	f    *flaky
	mu   sync.Mutex
	left int
}

func (c *flakyConn) Read(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	c.left--
	dead := c.left < 0
	c.mu.Unlock()
	if dead {
		c.f.drops.Add(1)
		c.Conn.Close()
		return nil, fmt.Errorf("dropped by test")
	}
	return c.Conn.Read(ctx)
}

func TestRandomDropsDeliverExactlyOnceInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("a long stream with random drops: runs without -short")
	}
	e := newEnv(t, nil)
	fl := &flaky{}
	alice := e.device("alice", "a1", devOpts{dialer: fl})
	bob := e.device("bob", "b1", devOpts{dialer: fl})
	watcher := e.device("alice", "a2", devOpts{dialer: fl}) // alice's second device sees both sides
	for _, d := range []*device{alice, bob, watcher} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	const each = 2500
	var mu sync.Mutex
	sentBy := map[string]map[string]bool{"alice": {}, "bob": {}}
	var wg sync.WaitGroup
	for _, pair := range []struct {
		from *device
		user string
		to   string
	}{{alice, "alice", "bob"}, {bob, "bob", "alice"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m := sendUntilSent(t, pair.from, text(pair.to, client.Private, fmt.Sprint(i)))
				mu.Lock()
				sentBy[pair.user][m.MessageUID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// A last message each way, stored (a status message could be lost in
	// a drop): once a device shows it, what came before it has come.
	fenceA := sendUntilSent(t, alice, text("bob", client.Private, "fence"))
	fenceB := sendUntilSent(t, bob, text("alice", client.Private, "fence"))
	sentBy["alice"][fenceA.MessageUID], sentBy["bob"][fenceB.MessageUID] = true, true
	all := map[string]bool{}
	for _, set := range sentBy {
		for uid := range set {
			all[uid] = true
		}
	}
	waitUID(t, alice, fenceB.MessageUID)
	waitUID(t, bob, fenceA.MessageUID)
	waitUID(t, watcher, fenceA.MessageUID)
	waitUID(t, watcher, fenceB.MessageUID)
	checkExactlyOnce(t, "alice", alice, sentBy["bob"])
	checkExactlyOnce(t, "bob", bob, sentBy["alice"])
	checkExactlyOnce(t, "alice's second device", watcher, all)
	if fl.drops.Load() < 10 {
		t.Fatalf("only %d connection drops: the test did not test", fl.drops.Load())
	}
	t.Logf("%d connection drops", fl.drops.Load())
}
