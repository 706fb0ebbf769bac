package server_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// Node 1 alone is cut off from NATS while the app's server destroys a
// chat room through node 0; bob's device, on node 1, is in the room. When
// node 1 is back it drops its caches and tells its sessions to sync
// (Push.resync), but a sync is of conversations: the room's end (the
// evRoomGone and the room's push it missed) is never told. Node 1 keeps
// bob's session in the dead room, and his device believes it is in it,
// for good (architecture.md, "A cluster": a node back on the bus tells
// every session to sync rather than missing what was sent; chat rooms:
// "a session that joined gets its messages live until it quits,
// disconnects or the room goes").
func TestClusterRoomDestroyedWhileNodeCutOff(t *testing.T) {
	c, proxy := cutOffCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	bob := n1.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	if _, err := bob.JoinChatroom(ctx, "r", 0, false); err != nil {
		t.Fatal(err)
	}

	proxy.cut()
	waitFor(t, "node 1 to see the bus down", func() bool { return healthz(t, n1) == http.StatusServiceUnavailable })
	if status, _ := n0.admin("DELETE", "/v1/chatrooms/r", nil); status != 200 {
		t.Fatalf("destroy: %d", status)
	}
	proxy.heal()
	waitFor(t, "node 1 back on the bus", func() bool { return healthz(t, n1) == http.StatusOK })
	waitFor(t, "the nodes to meet again", func() bool { return n0.srv.ClusterNodes() == 1 && n1.srv.ClusterNodes() == 1 })
	n1.fence(t, bob)

	waitFor(t, "chat room r's end, told to bob's device on node 1 once it is back", func() bool {
		return slices.ContainsFunc(bob.events(), func(ev client.Event) bool {
			return ev.Kind == client.EventChatroom && ev.Chatroom != nil && ev.Chatroom.Destroyed
		}) && !bob.InChatroom("r")
	})
}

// Node 1 alone is cut off from NATS while the app's server kicks bob
// through node 0 (his tokens until now are revoked, his sessions to be
// closed on every node). Node 0 closes what it has and tells bob's nodes
// over the bus; node 1 does not hear it, and once back on the bus it does
// not look again: bob's session there, on a revoked token, lives on and
// sends (architecture.md, "A cluster": events carry kicks; a node back on
// the bus must not silently miss what was sent meanwhile).
func TestClusterKickWhileNodeCutOff(t *testing.T) {
	c, proxy := cutOffCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	bob := n1.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))

	proxy.cut()
	waitFor(t, "node 1 to see the bus down", func() bool { return healthz(t, n1) == http.StatusServiceUnavailable })
	c.clock.add(time.Second) // the revocation covers tokens issued before this second
	if status, body := n0.admin("POST", "/v1/users/bob/kick", nil); status != http.StatusOK {
		t.Fatalf("kick: %d %v", status, body)
	}
	proxy.heal()
	waitFor(t, "node 1 back on the bus", func() bool { return healthz(t, n1) == http.StatusOK })
	waitFor(t, "the nodes to meet again", func() bool { return n0.srv.ClusterNodes() == 1 && n1.srv.ClusterNodes() == 1 })

	kicked := func() bool {
		return slices.ContainsFunc(bob.events(), func(ev client.Event) bool {
			return ev.Kind == client.EventStatus && ev.Status != client.StatusConnected && ev.Status != client.StatusConnecting
		})
	}
	waitFor(t, "bob's session on node 1 closed once it is back (his tokens revoked meanwhile)", kicked)
}
