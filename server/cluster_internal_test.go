package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/bus"
)

// pairBus joins two servers of this process: what one sends waits until
// the test pumps it to the other (a stand-in for NATS, which the cluster
// tests run; here the test drives the directory's exchanges one by one).
type pairBus struct {
	*bus.Local
	id    string
	other *Server
	sent  *[][2]any // events in flight: the receiving server and the event
}

func (b *pairBus) ID() string { return b.id }
func (b *pairBus) Broadcast(_ context.Context, e []byte) error {
	*b.sent = append(*b.sent, [2]any{b.other, e})
	return nil
}
func (b *pairBus) Send(ctx context.Context, _ string, e []byte) error { return b.Broadcast(ctx, e) }

// pump hands over what is in flight, and what that makes the servers
// send, until nothing is.
func pump(sent *[][2]any) {
	for len(*sent) > 0 {
		next := (*sent)[0]
		*sent = (*sent)[1:]
		next[0].(*Server).cluster.receive(next[1].([]byte))
	}
}

// A node's list of online users crosses in parts small enough for NATS,
// and the other node knows every user once the last part is in; numbered
// announcements then keep it up to date, and a missed number makes it ask
// again.
func TestDirectoryListInParts(t *testing.T) {
	a, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var clock sync.Mutex
	now := time.Now()
	b, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir(),
		Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var sent [][2]any
	a.bus = &pairBus{Local: bus.NewLocal(busNode{s: a}), id: "a", other: b, sent: &sent}
	b.bus = &pairBus{Local: bus.NewLocal(busNode{s: b}), id: "b", other: a, sent: &sent}
	const users = 2*listPart + 17
	a.cluster.mu.Lock()
	for i := range users {
		a.cluster.here[fmt.Sprint("u", i)] = int64(i)
	}
	a.cluster.away["u1"], a.cluster.away[fmt.Sprint("u", users-1)] = true, true // every session there in the background
	a.cluster.seq = 40
	a.cluster.mu.Unlock()

	a.cluster.beat() // b hears of a, asks for its list, gets it in 3 parts
	if len(sent) != 1 {
		t.Fatalf("%d events in flight", len(sent))
	}
	pump(&sent)
	if n := b.ClusterNodes(); n != 1 {
		t.Fatalf("b knows %d nodes", n)
	}
	check := func(user string, want bool) {
		t.Helper()
		if got, _ := b.cluster.onlineElsewhere(user); got != want {
			t.Fatalf("%s online elsewhere: %v, want %v", user, got, want)
		}
	}
	check("u0", true)
	check(fmt.Sprint("u", users-1), true)
	awake := func(user string, want bool) {
		t.Helper()
		if got := b.cluster.awakeElsewhere(user); got != want {
			t.Fatalf("%s awake elsewhere: %v, want %v", user, got, want)
		}
	}
	awake("u0", true)
	awake("u1", false)
	awake(fmt.Sprint("u", users-1), false)
	b.cluster.mu.Lock()
	v := b.cluster.nodes["a"]
	got, synced, seq := len(v.online), v.synced, v.seq
	b.cluster.mu.Unlock()
	if got != users || !synced || seq != 40 {
		t.Fatalf("b holds %d users (synced %v, seq %d), want %d", got, synced, seq, users)
	}
	// The next number applies; one after a gap makes b ask again.
	b.cluster.receive(mustEvent(t, &busEvent{Kind: evOffline, From: "a", Seq: 41, User: "u0"}))
	check("u0", false)
	awake("u0", false)
	b.cluster.receive(mustEvent(t, &busEvent{Kind: evAway, From: "a", Seq: 42, User: "u2"}))
	b.cluster.receive(mustEvent(t, &busEvent{Kind: evBack, From: "a", Seq: 43, User: "u1"}))
	awake("u2", false)
	awake("u1", true)
	check("u2", true)
	// u2 came in the background (no Time): their going offline from there
	// is not "went offline after a message", which would owe no push.
	b.cluster.receive(mustEvent(t, &busEvent{Kind: evOffline, From: "a", Seq: 44, User: "u2", Time: 500}))
	if b.left.since("u2", 400) {
		t.Fatal("u2, offline from the background, counted as having had a message live")
	}
	b.cluster.receive(mustEvent(t, &busEvent{Kind: evOnline, From: "a", Seq: 46, User: "late"}))
	b.cluster.mu.Lock()
	synced = b.cluster.nodes["a"].synced
	b.cluster.mu.Unlock()
	if synced {
		t.Fatal("a gap in the numbers went unnoticed")
	}
	pump(&sent)
	if n := len(sent); n != 0 {
		t.Fatalf("b asked again within a beat: %d events", n)
	}
	clock.Lock()
	now = now.Add(time.Second) // a beat later, a's beat makes b ask again
	clock.Unlock()
	a.cluster.beat()
	pump(&sent)
	check("u0", true)
}

func mustEvent(t *testing.T, e *busEvent) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every node that knows the same nodes picks the same node to coalesce a
// message's receipts, and the work is spread.
func TestReceiptOwnerIsAgreed(t *testing.T) {
	var nodes []*Server
	for range 3 {
		s, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		nodes = append(nodes, s)
	}
	ids := []string{"n1", "n2", "n3"}
	var sent [][2]any // never pumped: the nodes are set up by hand
	for i, s := range nodes {
		s.bus = &pairBus{Local: bus.NewLocal(busNode{s: s}), id: ids[i], sent: &sent}
		for j, id := range ids {
			if j != i {
				s.cluster.nodes[id] = &nodeView{online: map[string]int64{}}
			}
		}
	}
	owned := map[string]int{}
	for k := range 300 {
		key := fmt.Sprint("g:conv\x00uid", k)
		o := nodes[0].cluster.owner(key)
		for _, s := range nodes[1:] {
			if got := s.cluster.owner(key); got != o {
				t.Fatalf("%s: owner %s on one node, %s on another", key, o, got)
			}
		}
		owned[o]++
	}
	for _, id := range ids {
		if owned[id] < 50 {
			t.Fatalf("owners %v: uneven", owned)
		}
	}
}

// A session's close and the next one's open may run their halves in either
// order: whichever runs last, the directory says what the hub holds.
func TestDirectoryFollowsTheHub(t *testing.T) {
	s, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := &session{srv: s, user: "u", id: "a", created: time.Now()}
	b := &session{srv: s, user: "u", id: "b", created: time.Now()}
	here := func() bool {
		s.cluster.mu.Lock()
		defer s.cluster.mu.Unlock()
		_, ok := s.cluster.here["u"]
		return ok
	}
	s.hub.add(a, 10)
	if !s.cluster.opened(a, 1) || !here() {
		t.Fatal("a's open: u not online")
	}
	// a leaves the hub, b joins it, b's open runs, then a's close.
	s.hub.remove(a)
	s.hub.add(b, 10)
	if s.cluster.opened(b, 2) {
		t.Fatal("b's open changed nothing: u was online")
	}
	if s.cluster.closed(a, 3) || !here() {
		t.Fatal("a's late close took u offline while b is connected")
	}
	s.hub.remove(b)
	if !s.cluster.closed(b, 4) || here() {
		t.Fatal("b's close: u still online")
	}
}

// Pushes: leftTimes notes a user leaving the foreground (they had what was
// stored before live), not a user coming or leaving from the background.
func TestLeftFromTheForegroundOnly(t *testing.T) {
	s, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := &session{srv: s, user: "u", id: "a", created: time.Now()}
	s.hub.add(a, 10)
	s.cluster.opened(a, 10)
	s.cluster.setBackground(a, true, 20) // from the foreground: noted
	if !s.left.since("u", 15) || s.left.since("u", 21) {
		t.Fatal("going into the background at 20 not noted")
	}
	s.hub.remove(a)
	s.cluster.closed(a, 30) // from the background: not noted
	if s.left.since("u", 25) {
		t.Fatal("a hidden session's close counted as having had a message live")
	}
	b := &session{srv: s, user: "u", id: "b", created: time.Now()}
	b.background.Store(true) // a hidden tab reconnecting (Auth.background)
	s.hub.add(b, 10)
	s.cluster.opened(b, 40)
	if s.left.since("u", 35) || s.awake("u") {
		t.Fatal("a session opened in the background counted as reading")
	}
	s.cluster.setBackground(b, false, 50)
	if !s.awake("u") {
		t.Fatal("back in the foreground: not awake")
	}
	s.hub.remove(b)
	s.cluster.closed(b, 60) // from the foreground: noted
	if !s.left.since("u", 55) || s.awake("u") {
		t.Fatal("leaving from the foreground at 60 not noted")
	}
}
