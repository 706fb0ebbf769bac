package server_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// A device that is up to date reconnects to another node (its first
// session there). The node read the sync version for the AuthOK, then
// subscribed to the user's subject on NATS (Watch): a message to the user
// stored through another node in between was published to a subject no
// node of the user watched, and the AuthOK's version being the device's
// own, the device did not sync and never got it. The node now watches
// before it reads the version (architecture.md, "A cluster"). The test
// stores the message just before node 1's Watch.
func TestClusterReconnectGetsMessageStoredWhileAdmitted(t *testing.T) {
	c, buses := hookCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	alice := n0.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	alice.send(t, text("bob", client.Private, "first"))
	// (No acks: nothing else moves the sync version after bob's sync.)
	noAcks := devOpts{mod: func(cfg *client.Config) { cfg.AckInterval = time.Hour }}
	bob := n0.device("bob", "b1", noAcks)
	bob.connect(t, token(t, "bob", time.Hour))
	bob.waitMessages(t, 1)
	n0.fence(t, bob)
	st := bob.store
	bob.Close()
	v, _ := st.Meta(context.Background(), "sync_version")
	t.Logf("bob's version %s", v)

	// bob's device comes back through node 1. While node 1 is between its
	// version read and its subscription, alice's message is stored and
	// published through node 0.
	var once sync.Once
	var watches atomic.Int32
	var sent *client.Message
	var sendErr error
	buses[1].setBeforeWatch(func(user string) {
		if user != "bob" {
			return
		}
		watches.Add(1)
		once.Do(func() {
			t.Logf("hook fired")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sent, sendErr = alice.SendMessage(ctx, text("bob", client.Private, "while bob reconnects"), client.SendOptions{})
		})
	})
	bob2 := n1.device("bob", "b1", devOpts{store: st, mod: noAcks.mod})
	bob2.connect(t, token(t, "bob", time.Hour))
	buses[1].setBeforeWatch(nil)
	if sendErr != nil || sent == nil {
		t.Fatalf("alice's send: %v", sendErr)
	}
	n1.fence(t, bob2)
	t.Logf("node 1 watched bob %d times (more than once: the device connected again, and synced)", watches.Load())
	v, _ = st.Meta(context.Background(), "sync_version")
	t.Logf("bob's version after %s", v)
	waitFor(t, "alice's message, stored while node 1 admitted bob, on bob's device", func() bool {
		return slices.ContainsFunc(bob2.messages(), func(m *client.Message) bool { return m.MessageUID == sent.MessageUID })
	})
}
