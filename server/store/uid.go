package store

import (
	"sync"
	"time"
)

// UIDGen makes message UIDs that are unique across nodes and sort by time:
// 48 bits of milliseconds, 16 bits of node id, 16 bits of counter, written
// as 16 Crockford base32 characters in four dash-separated groups
// (RongCloud's messageUId looks alike). Time-ordered ids keep index inserts
// at the end of the B-tree, which matters for SQLite's write rate.
type UIDGen struct {
	node uint16
	mu   sync.Mutex
	ms   int64
	n    uint32
}

// NewUIDGen returns a generator for node.
func NewUIDGen(node uint16) *UIDGen { return &UIDGen{node: node} }

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Next returns a new UID. When more than 65536 are asked for within one
// millisecond, it borrows from the next millisecond so ids stay ordered.
func (g *UIDGen) Next(now time.Time) string {
	g.mu.Lock()
	ms := now.UnixMilli()
	if ms > g.ms {
		g.ms, g.n = ms, 0
	} else if g.n++; g.n > 0xffff {
		g.ms, g.n = g.ms+1, 0
	}
	hi := uint64(g.ms)<<16 | uint64(g.node) // 64 bits
	lo := uint16(g.n)
	g.mu.Unlock()

	// 80 bits (hi:lo) -> 16 base32 digits, least significant written last.
	bit := func(k int) byte {
		if k < 16 {
			return byte(lo>>k) & 1
		}
		return byte(hi>>(k-16)) & 1
	}
	var out [19]byte
	pos := len(out)
	for i := 0; i < 16; i++ {
		var d byte
		for j := 4; j >= 0; j-- {
			d = d<<1 | bit(5*i+j)
		}
		if i > 0 && i%4 == 0 {
			pos--
			out[pos] = '-'
		}
		pos--
		out[pos] = crockford[d]
	}
	return string(out[pos:])
}
