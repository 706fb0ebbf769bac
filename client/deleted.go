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
// (clearHistoryMessages, through the user's log): the last sequence
// number the server's clear hid, per conversation, for maxRecentClears
// conversations. (By sequence number, not time: a message stored after
// the clear, even one sent before its time, is not hidden.)
type recentClears struct {
	mu   sync.Mutex
	upTo map[string]uint64 // conversation key: cleared up to this seq
	ring []string
	next int
}

const maxRecentClears = 1024

func (r *recentClears) note(c Conversation, seq uint64) {
	if seq == 0 {
		return
	}
	k := c.Key()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.upTo == nil {
		r.upTo = map[string]uint64{}
	}
	if _, ok := r.upTo[k]; !ok {
		if len(r.ring) < maxRecentClears {
			r.ring = append(r.ring, k)
		} else {
			delete(r.upTo, r.ring[r.next])
			r.ring[r.next] = k
			r.next = (r.next + 1) % maxRecentClears
		}
	}
	r.upTo[k] = max(r.upTo[k], seq)
}

// covers reports whether message seq of c was cleared.
func (r *recentClears) covers(c Conversation, seq uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.upTo) == 0 {
		return false // (no key built: every message a device receives asks)
	}
	return seq <= r.upTo[c.Key()]
}
