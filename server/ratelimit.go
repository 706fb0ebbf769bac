package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/imwasm/imwasm/proto/contract"
)

// userLimits meters each user's writes across all of their sessions and
// reconnects (a bucket per connection let one user multiply the limit by
// reconnecting or opening more sessions). Each user has two buckets:
// sends, and the other writes that are stored or fanned out (expansion,
// recall, delete, clear history, read state, receipts, typing). Device
// acks are never metered: they are the at-least-once path. The admin HTTP
// API is not metered.
type userLimits struct {
	send, other bucketSpec
	// nodes is how many nodes user has sessions on: each meters its share.
	nodes func(user string) int

	mu    sync.Mutex
	users map[string]*userBuckets
}

// bucketSpec is a token bucket's refill rate (per second; <= 0: no limit)
// and size.
type bucketSpec struct {
	rate  float64
	burst int
}

type userBuckets struct {
	send, other *rate.Limiter
	shares      [2]int // the node count each bucket was sized for
}

func newUserLimits(send, other bucketSpec, nodes func(string) int) *userLimits {
	return &userLimits{send: send, other: other, nodes: nodes, users: map[string]*userBuckets{}}
}

// allowSend takes a token from user's send bucket.
func (l *userLimits) allowSend(user string, now time.Time) bool {
	return l.allow(user, now, false)
}

// allowOther takes a token from user's bucket of other writes.
func (l *userLimits) allowOther(user string, now time.Time) bool {
	return l.allow(user, now, true)
}

func (l *userLimits) allow(user string, now time.Time, other bool) bool {
	spec := l.send
	if other {
		spec = l.other
	}
	if spec.rate <= 0 {
		return true
	}
	l.mu.Lock()
	b := l.users[user]
	if b == nil {
		b = &userBuckets{}
		l.users[user] = b
	}
	lim, share := &b.send, &b.shares[0]
	if other {
		lim, share = &b.other, &b.shares[1]
	}
	// A user with sessions on k nodes is metered on each at 1/k of the
	// rate and burst, so the cluster lets through what one node would.
	k := 1
	if l.nodes != nil {
		k = l.nodes(user)
	}
	if *lim == nil {
		*lim = contract.NewLimiter(spec.rate, spec.burst)
		*share = 1
	}
	if *share != k {
		*share = k
		(*lim).SetLimitAt(now, rate.Limit(spec.rate/float64(k)))
		(*lim).SetBurstAt(now, max(1, spec.burst/k))
	}
	l.mu.Unlock()
	return (*lim).AllowN(now, 1)
}

// forgetFull drops the users whose buckets are full again: a fresh bucket
// is the same, so only users who wrote in the last few seconds are kept.
func (l *userLimits) forgetFull(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for user, b := range l.users {
		if full(b.send, l.send, now) && full(b.other, l.other, now) {
			delete(l.users, user)
		}
	}
}

func full(lim *rate.Limiter, spec bucketSpec, now time.Time) bool {
	return lim == nil || lim.TokensAt(now) >= float64(spec.burst)
}
