package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a lock-free log-linear latency histogram in microseconds, in the
// manner of HDR histograms: values below 256 µs are exact, larger ones fall
// in buckets 1/128 of their power of two wide, so a reported quantile (the
// middle of its bucket) is within 0.4% of the true value.
type hist struct {
	counts [nBuckets]atomic.Int64
	n      atomic.Int64
	sum    atomic.Int64 // µs
	max    atomic.Int64 // µs
}

const (
	subBits  = 7
	sub      = 1 << subBits // buckets per power of two
	nBuckets = 2*sub + 40*sub
)

func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v < 2*sub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits - 1 // v>>shift is in [sub, 2*sub)
	i := 2*sub + (shift-1)*sub + int(v>>shift) - sub
	return min(i, nBuckets-1)
}

// bucketRange is the lowest value of bucket i and its width.
func bucketRange(i int) (lo, width int64) {
	if i < 2*sub {
		return int64(i), 1
	}
	shift := (i-2*sub)/sub + 1
	m := int64((i-2*sub)%sub + sub)
	return m << shift, 1 << shift
}

// record adds one latency.
func (h *hist) record(d time.Duration) {
	us := int64(d+500) / 1000
	if us < 0 {
		us = 0
	}
	h.counts[bucketOf(us)].Add(1)
	h.n.Add(1)
	h.sum.Add(us)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			break
		}
	}
}

// quantile returns the q-quantile (0 < q <= 1) in milliseconds, NaN when
// the histogram is empty.
func (h *hist) quantile(q float64) float64 {
	var counts [nBuckets]int64
	var n int64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	if n == 0 {
		return math.NaN()
	}
	rank := int64(math.Ceil(q * float64(n)))
	rank = max(1, min(rank, n))
	var cum int64
	for i, c := range counts {
		cum += c
		if cum >= rank {
			lo, w := bucketRange(i)
			v := float64(lo)
			if w > 1 {
				v += float64(w) / 2
			}
			v = min(v, float64(h.max.Load()))
			return v / 1000
		}
	}
	return float64(h.max.Load()) / 1000
}

func (h *hist) count() int64 { return h.n.Load() }

func (h *hist) maxMs() float64 {
	if h.n.Load() == 0 {
		return math.NaN()
	}
	return float64(h.max.Load()) / 1000
}

func (h *hist) meanMs() float64 {
	n := h.n.Load()
	if n == 0 {
		return math.NaN()
	}
	return float64(h.sum.Load()) / float64(n) / 1000
}
