package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
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
	dup bool // the same message came twice in one batch: this is the first's
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
// errResent and the others run again without it. The same message twice
// in the batch is stored once, the second answered as its duplicate. When
// the transaction fails otherwise, each message is tried alone, so that
// one bad message fails alone.
func (d *DB) commitAppends(batch []appendJob) {
	type key = struct{ sender, cid string }
	first := map[key]int{}
	var dups []appendJob
	var dupOf []int
	unique := batch[:0:0]
	for _, j := range batch {
		k := key{j.m.FromUser, j.m.ClientMsgId}
		if i, ok := first[k]; ok {
			dups, dupOf = append(dups, j), append(dupOf, i)
			continue
		}
		first[k] = len(unique)
		unique = append(unique, j)
	}
	// A resend finds its message before anything is locked: one query for
	// the batch. (Should it fail, the insert's unique index still catches
	// a resend.)
	prev, err := d.storedByClientID(unique)
	if err != nil {
		d.opts.Logger.Warn("look for resent messages", "err", err)
	}
	results := make([]appendResult, len(unique))
	var fresh []appendJob
	var freshAt []int
	for i, j := range unique {
		if m := prev[key{j.m.FromUser, j.m.ClientMsgId}]; m != nil {
			results[i] = appendResult{m: m, dup: true}
			continue
		}
		fresh, freshAt = append(fresh, j), append(freshAt, i)
	}
	if len(fresh) > 0 {
		for k, r := range d.storeAppends(fresh) {
			results[freshAt[k]] = r
		}
	}
	for i, j := range unique {
		j.reply <- results[i]
	}
	for i, j := range dups {
		r := results[dupOf[i]]
		r.dup = r.err == nil
		j.reply <- r
	}
}

// storedByClientID finds the messages of jobs already stored, by sender
// and client id.
func (d *DB) storedByClientID(jobs []appendJob) (map[struct{ sender, cid string }]*pb.Message, error) {
	senders, cids := make([]string, len(jobs)), make([]string, len(jobs))
	for i, j := range jobs {
		senders[i], cids[i] = j.m.FromUser, j.m.ClientMsgId
	}
	// LATERAL: an index lookup per message (a join let the planner scan
	// the messages for a batch of a few dozen: 0.6 ms of the database's
	// CPU per batch).
	rows, err := d.pool.Query(d.ctx, `SELECT k.sender, k.cid, m.body FROM unnest($1::text[], $2::text[]) AS k(sender, cid),
LATERAL (SELECT body FROM messages WHERE sender = k.sender AND client_msg_id = k.cid) m`, senders, cids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[struct{ sender, cid string }]*pb.Message{}
	for rows.Next() {
		var sender, cid string
		var body []byte
		if err := rows.Scan(&sender, &cid, &body); err != nil {
			return nil, err
		}
		m, err := decode(body)
		if err != nil {
			return nil, err
		}
		out[struct{ sender, cid string }{sender, cid}] = m
	}
	return out, rows.Err()
}

// storeAppends stores jobs (no two the same message) and returns each
// one's result, in jobs' order.
func (d *DB) storeAppends(jobs []appendJob) []appendResult {
	results := make([]appendResult, len(jobs))
	order := make([]int, len(jobs)) // jobs' indexes, by conversation id
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(jobs[a].convID, jobs[b].convID) })
	for len(order) > 0 {
		sorted := make([]appendJob, len(order))
		for k, i := range order {
			sorted[k] = jobs[i]
		}
		resent := -1
		var stored []*pb.Message
		err := d.write(d.ctx, func(t *wtx) error {
			var err error
			stored, resent, err = t.putMany(d.ctx, sorted, false)
			return err
		})
		if resent >= 0 && errors.Is(err, errResent) {
			results[order[resent]] = appendResult{err: errResent}
			order = slices.Delete(order, resent, resent+1)
			continue
		}
		if err != nil && len(order) > 1 && !errors.Is(err, store.ErrUnavailable) && d.ctx.Err() == nil {
			for _, i := range order {
				results[i] = d.storeAppends(jobs[i : i+1])[0]
			}
			return results
		}
		for k, i := range order {
			if err != nil {
				results[i] = appendResult{err: fmt.Errorf("append to %s: %w", jobs[i].convID, err)}
			} else {
				results[i] = appendResult{m: stored[k]}
			}
		}
		return results
	}
	return results
}

// submitAppend hands an append to the batching goroutine and waits for
// its answer. A caller whose ctx ends first gets ctx's error; the append
// may still commit (a resend finds it).
func (d *DB) submitAppend(ctx context.Context, convID string, m *pb.Message) (*pb.Message, bool, error) {
	j := appendJob{convID: convID, m: m, reply: make(chan appendResult, 1)}
	select {
	case d.appends <- j:
	case <-d.closed:
		return nil, false, errClosed
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	select {
	case r := <-j.reply:
		return r.m, r.dup, r.err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}
