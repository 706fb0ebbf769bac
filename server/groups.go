package server

import (
	"context"
	"sort"
	"sync"

	"github.com/imwasm/imwasm/server/store"
)

// groupInfo is the cached membership of a live group; members maps a user
// to role+1, so the zero value means "not a member".
type groupInfo struct {
	members map[string]store.Role
	list    []string
	owner   string
}

// groupCache keeps group membership in memory for the hot path (every group
// send checks membership and fans out to the member list). Admin changes on
// this node invalidate it. (With several nodes the bus will carry the
// invalidations.)
type groupCache struct {
	store interface {
		Group(ctx context.Context, id string) (*store.Group, error)
	}
	mu     sync.RWMutex
	groups map[string]*groupInfo
	// gen counts invalidations: a fill that read the store before one
	// (and so may hold a member list from before an admin's change) is
	// used for its own request but not kept.
	gen uint64
}

func (c *groupCache) get(ctx context.Context, id string) (*groupInfo, error) {
	c.mu.RLock()
	g, ok := c.groups[id]
	gen := c.gen
	c.mu.RUnlock()
	if ok {
		return g, nil
	}
	sg, err := c.store.Group(ctx, id)
	if err != nil {
		return nil, err
	}
	if sg.Dismissed {
		return nil, store.ErrNotFound
	}
	g = &groupInfo{members: make(map[string]store.Role, len(sg.Members)), owner: sg.OwnerID}
	for u, r := range sg.Members {
		g.members[u] = r + 1
		g.list = append(g.list, u)
	}
	sort.Strings(g.list)
	c.mu.Lock()
	if c.gen == gen {
		c.groups[id] = g
	}
	c.mu.Unlock()
	return g, nil
}

func (c *groupCache) invalidate(id string) {
	c.mu.Lock()
	delete(c.groups, id)
	c.gen++
	c.mu.Unlock()
}

// invalidateAll forgets every group (a user left them all at once).
func (c *groupCache) invalidateAll() {
	c.mu.Lock()
	clear(c.groups)
	c.gen++
	c.mu.Unlock()
}
