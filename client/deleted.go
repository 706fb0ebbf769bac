package client

import "sync"

// recentDeletes remembers the server ids of messages deleted lately (by
// this device or, through the user's log, another), so that one of them
// arriving afterwards is not stored: a pull's answer can reach the
// processor after a delete that followed it on the wire (pull answers go
// through the sync's goroutine, log pushes straight from the reader), and
// the delete found nothing to remove then. The server leaves a deleted
// message out of later pulls, so only this reordering needs it: a bounded
// memory of the latest deletes.
type recentDeletes struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string // in the order noted; the oldest goes first past maxRecentDeletes
	next int
}

const maxRecentDeletes = 4096

func (r *recentDeletes) note(uids []string) {
	if len(uids) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set == nil {
		r.set = make(map[string]struct{}, len(uids))
	}
	for _, u := range uids {
		if _, ok := r.set[u]; ok || u == "" {
			continue
		}
		if len(r.ring) < maxRecentDeletes {
			r.ring = append(r.ring, u)
		} else {
			delete(r.set, r.ring[r.next])
			r.ring[r.next] = u
			r.next = (r.next + 1) % maxRecentDeletes
		}
		r.set[u] = struct{}{}
	}
}

func (r *recentDeletes) has(uid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[uid]
	return ok
}

// recentClears is recentDeletes for clears of a conversation's history
// (clearHistoryMessages, through the user's log): the latest time cleared
// up to, per conversation, for maxRecentClears conversations.
type recentClears struct {
	mu     sync.Mutex
	before map[string]int64 // conversation key: cleared up to (ms)
	ring   []string
	next   int
}

const maxRecentClears = 1024

func (r *recentClears) note(c Conversation, before int64) {
	k := c.Key()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.before == nil {
		r.before = map[string]int64{}
	}
	if _, ok := r.before[k]; !ok {
		if len(r.ring) < maxRecentClears {
			r.ring = append(r.ring, k)
		} else {
			delete(r.before, r.ring[r.next])
			r.ring[r.next] = k
			r.next = (r.next + 1) % maxRecentClears
		}
	}
	r.before[k] = max(r.before[k], before)
}

// covers reports whether a message of c sent at t was cleared.
func (r *recentClears) covers(c Conversation, t int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.before) == 0 {
		return false // (no key built: every message a device receives asks)
	}
	return t <= r.before[c.Key()]
}
