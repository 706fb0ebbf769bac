package server_test

import (
	"net/http"
	"testing"
)

// PUT /v1/settings changes only the fields named, applied to the settings
// as stored (not as this node holds them in memory): a change made
// through another node that this node has not reloaded yet (its
// evSettings still on its way, or held back by a bus outage) is kept, not
// written back to its old value.
func TestSettingsPutOnTwoNodesKeepsBothChanges(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	// The bus is down a moment (or just slow): node 1 has not reloaded
	// node 0's change when its own PUT comes.
	c.nats.Kill()
	waitFor(t, "the nodes to see the bus down", func() bool {
		return healthz(t, n0) == http.StatusServiceUnavailable && healthz(t, n1) == http.StatusServiceUnavailable
	})
	n0.adminOK(t, "PUT", "/v1/settings", map[string]any{"recallWindowSeconds": 42})
	n1.adminOK(t, "PUT", "/v1/settings", map[string]any{"uploadMaxBytes": 12345})
	c.nats.Restart(t)
	waitFor(t, "/healthz ok on both", func() bool { return healthz(t, n0) == http.StatusOK && healthz(t, n1) == http.StatusOK })
	// Both nodes read the settings again once the bus is back: each
	// should now hold both changes.
	for i, n := range c.nodes {
		var got map[string]any
		waitFor(t, "the node to hold uploadMaxBytes 12345", func() bool {
			got = n.adminOK(t, "GET", "/v1/settings", nil)
			return got["uploadMaxBytes"] == float64(12345)
		})
		if got["recallWindowSeconds"] != float64(42) {
			t.Errorf("node %d: recallWindowSeconds = %v after PUT {recallWindowSeconds: 42} on node 0 answered 200: node 1's PUT of another field wrote it back", i, got["recallWindowSeconds"])
		}
	}
}

// The same without any outage: two admins' PUTs, one through each node, a
// moment apart (each answered before the next is sent), node 0's
// evSettings maybe not reloaded on node 1 yet.
func TestSettingsPutBackToBackOnTwoNodesKeepsBothChanges(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	lost := 0
	for i := 1; i <= 20; i++ {
		n0.adminOK(t, "PUT", "/v1/settings", map[string]any{"recallWindowSeconds": 1000 + i})
		n1.adminOK(t, "PUT", "/v1/settings", map[string]any{"uploadMaxBytes": 100000 + i})
		var got map[string]any
		waitFor(t, "node 0 to hold node 1's change", func() bool {
			got = n0.adminOK(t, "GET", "/v1/settings", nil)
			return got["uploadMaxBytes"] == float64(100000+i)
		})
		if got["recallWindowSeconds"] != float64(1000+i) {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of 20 PUTs of recallWindowSeconds through node 0 (each answered 200) were undone by the next PUT of another field through node 1", lost)
	}
}
