package store

import (
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// How History walks a conversation, the same in every store: what differs
// is how a store reads, which the walk asks of it through these.

// SeqProbe answers the first stored message of a conversation at or after
// seq: its sequence number and sent time (found false: none).
type SeqProbe func(seq uint64) (at uint64, sent int64, found bool, err error)

// HistoryPage reads up to n messages of a conversation with sequence
// numbers in [lo, hi]: newest first, or oldest first when newer.
type HistoryPage func(lo, hi uint64, n int, newer bool) ([]*pb.Message, error)

// HistoryPageSize is how many messages a walk reads at a time.
const HistoryPageSize = 64

// LastSeqBefore is the largest sequence number in [lo, hi] whose message
// was sent before t, or lo-1. Sent times increase with sequence numbers,
// so a binary search over the conversation's sequence finds it without an
// index on time, which every insert would pay for.
func LastSeqBefore(lo, hi uint64, t int64, probe SeqProbe) (uint64, error) {
	a, b := lo, hi
	for a <= b && b >= lo {
		mid := a + (b-a)/2
		seq, sent, found, err := probe(mid)
		if err != nil {
			return 0, err
		}
		switch {
		case !found || seq > b || sent >= t:
			// No row from mid on within range is before t.
			if mid == 0 {
				return lo - 1, nil
			}
			b = mid - 1
		default:
			a = seq + 1
		}
	}
	return b, nil
}

// WalkHistory is History over the visible range [lo, hi] of a
// conversation: up to count messages sent before t (0: the latest),
// newest first, or after t oldest first when newer, leaving out those the
// user hid and those keep (when set) refuses; more reports whether there
// are others.
func WalkHistory(lo, hi uint64, t int64, count int, newer bool, keep func(*pb.Message) bool,
	probe SeqProbe, hiddenIn func(lo, hi uint64) (map[uint64]bool, error), page HistoryPage) (out []*pb.Message, more bool, err error) {
	if t != 0 && hi >= lo {
		if newer {
			b, err := LastSeqBefore(lo, hi, t+1, probe)
			if err != nil {
				return nil, false, err
			}
			lo = b + 1
		} else if hi, err = LastSeqBefore(lo, hi, t, probe); err != nil {
			return nil, false, err
		}
	}
	var hidden map[uint64]bool
	if hi >= lo && hi > 0 {
		if hidden, err = hiddenIn(lo, hi); err != nil {
			return nil, false, err
		}
	}
	for hi >= lo && hi > 0 {
		ms, err := page(lo, hi, HistoryPageSize, newer)
		if err != nil {
			return nil, false, err
		}
		for _, m := range ms {
			if newer {
				lo = m.Seq + 1
			} else {
				hi = m.Seq - 1
			}
			if hidden[m.Seq] || (keep != nil && !keep(m)) {
				continue
			}
			if len(out) == count {
				return out, true, nil
			}
			out = append(out, m)
		}
		if len(ms) < HistoryPageSize {
			break
		}
	}
	return out, false, nil
}
