package client

import "sync"

// recentUIDs remembers server ids of messages the user's log named lately,
// for a message that arrives after its entry:
//   - deleted (by this device or, through the log, another), so that one
//     of them arriving afterwards is not stored: a pull's answer can reach
//     the processor after a delete that followed it on the wire (pull
//     answers go through the sync's goroutine, log pushes straight from the
//     reader), and the delete found nothing to remove then. The server
//     leaves a deleted message out of later pulls, so only this reordering
//     needs it;
//   - whose receipt request was answered (on another device), so that the
//     request, pulled after the log's entry by a sync, is not asked again.
//
// A bounded memory of the latest.
type recentUIDs struct {
	mu  sync.Mutex
	set recentKeys[struct{}]
}

const maxRecentUIDs = 4096

func (r *recentUIDs) note(uids []string) {
	if len(uids) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range uids {
		if u != "" {
			r.set.put(u, struct{}{}, maxRecentUIDs)
		}
	}
}

func (r *recentUIDs) has(uid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set.m[uid]
	return ok
}

// recentClears is recentUIDs for clears of a conversation's history
// (clearHistoryMessages, through the user's log): the last sequence
// number the server's clear hid, per conversation, for maxRecentClears
// conversations. (By sequence number, not time: a message stored after
// the clear, even one sent before its time, is not hidden.)
type recentClears struct {
	mu   sync.Mutex
	upTo recentKeys[uint64] // conversation key: cleared up to this seq
}

const maxRecentClears = 1024

func (r *recentClears) note(c Conversation, seq uint64) {
	if seq == 0 {
		return
	}
	k := c.Key()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.upTo.put(k, max(r.upTo.m[k], seq), maxRecentClears)
}

// covers reports whether message seq of c was cleared.
func (r *recentClears) covers(c Conversation, seq uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.upTo.m) == 0 {
		return false // (no key built: every message a device receives asks)
	}
	return seq <= r.upTo.m[c.Key()]
}

// recentKeys is a map that keeps its latest keys only: past limit, a new
// key takes the place of the oldest (in the order first put).
type recentKeys[V any] struct {
	m     map[string]V
	order []string
	next  int
}

func (r *recentKeys[V]) put(k string, v V, limit int) {
	if r.m == nil {
		r.m = map[string]V{}
	}
	if _, ok := r.m[k]; !ok {
		if len(r.order) < limit {
			r.order = append(r.order, k)
		} else {
			delete(r.m, r.order[r.next])
			r.order[r.next] = k
			r.next = (r.next + 1) % limit
		}
	}
	r.m[k] = v
}
