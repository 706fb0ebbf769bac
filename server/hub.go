package server

import (
	"sort"
	"sync"
	"time"

	"github.com/imwasm/imwasm/server/bus"
)

// hub indexes this node's authenticated sessions by user.
type hub struct {
	mu    sync.RWMutex
	users map[string][]*session // oldest first
	count int
	// Users with a session authenticating (join, not yet added) and
	// whether a push for them came meanwhile, which that session missed.
	joining map[string]int
	missed  map[string]bool
}

func newHub() *hub {
	return &hub{users: map[string][]*session{}, joining: map[string]int{}, missed: map[string]bool{}}
}

// join notes that a session of user is authenticating: the pushes for
// user from now until add are noted (add's missed).
func (h *hub) join(user string) {
	h.mu.Lock()
	h.joining[user]++
	h.mu.Unlock()
}

// add registers s, joined before, and returns the sessions it displaces
// (the oldest beyond max per user) and whether a push for its user came
// since join, which s did not get. (Whether the user is online here is the
// cluster's to say, from sessionsOf: cluster.opened.)
func (h *hub) add(s *session, max int) (kicked []*session, missed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	missed = h.missed[s.user]
	if h.joining[s.user]--; h.joining[s.user] <= 0 {
		delete(h.joining, s.user)
		delete(h.missed, s.user)
	}
	list := append(h.users[s.user], s)
	h.count++
	for len(list) > max {
		kicked = append(kicked, list[0])
		list = list[1:]
		h.count--
	}
	h.users[s.user] = list
	return kicked, missed
}

// remove unregisters s; it is a no-op for a session already displaced.
func (h *hub) remove(s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.users[s.user]
	for i, x := range list {
		if x == s {
			list = append(list[:i:i], list[i+1:]...)
			h.count--
			break
		}
	}
	if len(list) == 0 {
		delete(h.users, s.user)
		return
	}
	h.users[s.user] = list
}

// sessionsOf returns a snapshot of user's sessions.
func (h *hub) sessionsOf(user string) []*session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]*session(nil), h.users[user]...)
}

func (h *hub) deliver(d *bus.Delivery) {
	h.noteJoining(d.Users)
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, u := range d.Users {
		for _, s := range h.users[u] {
			if s.id != d.Except {
				s.enqueue(outFrame{b: d.Frame, push: true, kind: framePush})
			}
		}
	}
}

func (h *hub) online() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.count
}

// idle returns sessions that have sent nothing since before (and are not
// writing an answer, which keeps their reader from reading).
func (h *hub) idle(before time.Time) []*session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*session
	for _, list := range h.users {
		for _, s := range list {
			if s.lastSeen.Load() < before.UnixNano() && !s.replying.Load() {
				out = append(out, s)
			}
		}
	}
	return out
}

// all returns every session, oldest user first (shutdown).
func (h *hub) all() []*session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*session
	for _, list := range h.users {
		out = append(out, list...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].created.Before(out[j].created) })
	return out
}

// noteJoining notes a push for the users of users who have a session
// joining (the check costs a read lock while none is).
func (h *hub) noteJoining(users []string) {
	h.mu.RLock()
	joining := len(h.joining) > 0
	h.mu.RUnlock()
	if !joining {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range users {
		if h.joining[u] > 0 {
			h.missed[u] = true
		}
	}
}
