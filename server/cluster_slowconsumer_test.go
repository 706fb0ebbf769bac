package server_test

import (
	"encoding/base64"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/imwasm/imwasm/client"
)

// A node falls behind NATS (its inbox of 65,536 fills: the node is busy):
// NATS drops what comes for it. natsbus tells the node's sessions to sync
// at the first drop (ErrSlowConsumer), while the node is still behind;
// what is dropped after that sync (NATS reports a subscription's drops
// once until one message gets through) is never told: bob's device,
// synced already, misses alice's message for good, though nothing was
// cut off. (architecture.md, "A cluster": a node that misses live
// traffic tells every session to sync, Push.resync; natsbus.go: "beyond
// it NATS drops them and the node's sessions are told to sync".)
func TestClusterSlowConsumerSyncsOnceCaughtUp(t *testing.T) {
	c, buses := hookCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	alice := n0.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob := n1.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	alice.send(t, text("bob", client.Private, "before"))
	bob.waitMessages(t, 1)
	// Node 1 is busy: what NATS hands it waits. A burst of traffic for
	// bob's subject (here, empty messages the node ignores) fills its inbox.
	gate := &buses[1].gated.gate
	gate.Lock()
	unlocked := false
	defer func() {
		if !unlocked {
			gate.Unlock()
		}
	}()
	nc, err := nats.Connect(c.nats.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	subj := clusterBusPrefix() + ".u." + base64.RawURLEncoding.EncodeToString([]byte("bob"))
	// One event (from node 1 itself: ignored) that the busy node holds,
	// then the burst.
	if err := nc.Publish(subj, []byte(`E{"k":"beat","f":"`+buses[1].ID()+`"}`)); err != nil {
		t.Fatal(err)
	}
	for range 70000 {
		if err := nc.Publish(subj, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Still behind: alice's message's push is dropped too (a real NATS
	// connection hands it to the full inbox: nothing to observe but a
	// moment; on a busy machine it may get through instead, and the test
	// passes either way).
	m := alice.send(t, text("bob", client.Private, "while node 1 is behind"))
	time.Sleep(300 * time.Millisecond)
	if n := buses[1].gated.resyncs.Load(); n != 0 {
		t.Fatalf("node 1 told its sessions to sync %d times while still behind (what it drops after is told to no one)", n)
	}
	gate.Unlock()
	unlocked = true
	// Caught up: the sessions sync, and bob's device gets what was dropped.
	waitFor(t, "alice's message on bob's device, through the sync after node 1 caught up", func() bool {
		return slices.ContainsFunc(bob.messages(), func(x *client.Message) bool { return x.MessageUID == m.MessageUID })
	})
	// (Whether it came by the sync after the catch-up or got through live
	// depends on what NATS dropped: on a busy machine the push may reach
	// the inbox after it drained. Either way nothing is lost.)
}
