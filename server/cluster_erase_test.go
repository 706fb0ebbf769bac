package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A cluster whose nodes keep files on their own disks (--files disk, the
// default: each node serves its own uploads). DELETE /v1/users/{id}
// through one node erases the user's files on every node's disk: the
// others hear of it on the bus.
func TestClusterDiskEraseReachesOtherNodesFiles(t *testing.T) {
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	alice := token(t, "alice", time.Hour)
	status, f, res := n1.upload(t, alice, "private.txt", "text/plain", "", strings.NewReader("alice's secret"), 14)
	if status != http.StatusOK {
		t.Fatalf("upload through node 1: %d %v", status, res)
	}
	status, body := n0.admin("DELETE", "/v1/users/alice", nil)
	if status != http.StatusOK {
		t.Fatalf("erase through node 0: %d %v", status, body)
	}
	waitFor(t, "alice's file on node 1 to go", func() bool {
		got, _ := get(t, f.URL)
		return got.StatusCode == http.StatusNotFound
	})
}
