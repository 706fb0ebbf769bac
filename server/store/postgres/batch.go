package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Appends are committed in batches (group commit), as on SQLite: one
// goroutine per node gathers what arrives within maxAppendDelay of the
// first, up to maxAppendBatch, and runs it as one transaction. A commit
// waits for the database's WAL flush, and the sync version's row stays
// locked until it is done, so a transaction per message held every node's
// writes to one flush each (BENCHMARKS.md).
const (
	maxAppendBatch = 256
	maxAppendDelay = time.Millisecond
)

type appendJob struct {
	convID string
	m      *pb.Message
	reply  chan appendResult // one slot: the writer never waits on it
}

type appendResult struct {
	m   *pb.Message
	err error
}

// appendLoop is the batching goroutine; Open starts it, Close stops it
// (what is queued by then fails with errClosed).
func (d *DB) appendLoop() {
	defer close(d.appendsDone)
	batch := make([]appendJob, 0, maxAppendBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		batch = batch[:0]
		select {
		case j := <-d.appends:
			batch = append(batch, j)
		case <-d.closed:
			for {
				select {
				case j := <-d.appends:
					j.reply <- appendResult{err: errClosed}
					continue
				default:
				}
				return
			}
		}
		timer.Reset(maxAppendDelay)
	gather:
		for len(batch) < maxAppendBatch {
			select {
			case j := <-d.appends:
				batch = append(batch, j)
			case <-timer.C:
				break gather
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		d.commitAppends(batch)
	}
}

var errClosed = errors.New("store closed")

// commitAppends stores batch in one transaction and answers each job. The
// conversations' rows are locked in id order, the same on every node, so
// two nodes' batches do not deadlock on each other. A message that another
// node stored meanwhile (its resend) undoes the transaction: it is answered
// errResent and the others run again without it.
func (d *DB) commitAppends(batch []appendJob) {
	slices.SortStableFunc(batch, func(a, b appendJob) int { return cmp.Compare(a.convID, b.convID) })
	results := make([]appendResult, len(batch))
	for len(batch) > 0 {
		resent := -1
		err := d.write(d.ctx, func(t *wtx) error {
			ms, i, err := t.putMany(d.ctx, batch, false)
			resent = i
			for i, m := range ms {
				results[i] = appendResult{m: m}
			}
			return err
		})
		if resent >= 0 && errors.Is(err, errResent) {
			batch[resent].reply <- appendResult{err: errResent}
			batch = slices.Delete(batch, resent, resent+1)
			results = results[:len(batch)]
			continue
		}
		for i, j := range batch {
			if err != nil {
				j.reply <- appendResult{err: fmt.Errorf("append to %s: %w", j.convID, err)}
			} else {
				j.reply <- results[i]
			}
		}
		return
	}
}

// submitAppend hands an append to the batching goroutine and waits for
// its answer. A caller whose ctx ends first gets ctx's error; the append
// may still commit (a resend finds it).
func (d *DB) submitAppend(ctx context.Context, convID string, m *pb.Message) (*pb.Message, error) {
	j := appendJob{convID: convID, m: m, reply: make(chan appendResult, 1)}
	select {
	case d.appends <- j:
	case <-d.closed:
		return nil, errClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-j.reply:
		return r.m, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
