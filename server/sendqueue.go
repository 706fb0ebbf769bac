package server

// sendQueue holds a session's encoded frames from the moment they are
// queued until the writer has written them, bounded in bytes: a peer that
// stops reading costs at most the bound, and is then closed as a slow
// consumer. It also counts the answers to the session's own requests among
// them: the session's reader waits for those to be written before it reads
// the next request, so a client that sends requests and never reads gets
// at most one answer held for it.
//
// Frames taken by the writer stay counted until it has written them (a
// batch blocked on the peer is memory held all the same). Not safe for
// concurrent use: the session's mutex guards it.
type sendQueue struct {
	waiting []outFrame // not yet taken by the writer
	bytes   int        // of the waiting frames and the batch being written
	replies int        // answers among them
}

// add queues f unless that would take the queue past limit bytes.
func (q *sendQueue) add(f outFrame, limit int) bool {
	if q.bytes+len(f.b) > limit {
		return false
	}
	q.waiting = append(q.waiting, f)
	q.bytes += len(f.b)
	if f.reply {
		q.replies++
	}
	return true
}

// take hands the waiting frames to the writer in batch, up to maxBytes
// (at least one frame), in order; they stay counted until written. When it
// takes them all, the queue reuses batch's backing array.
func (q *sendQueue) take(batch []outFrame, maxBytes int) []outFrame {
	n, size := 0, 0
	for n < len(q.waiting) && (n == 0 || size+len(q.waiting[n].b) <= maxBytes) {
		size += len(q.waiting[n].b)
		n++
	}
	if n == len(q.waiting) {
		batch, q.waiting = q.waiting, batch[:0]
		return batch
	}
	batch = append(batch[:0], q.waiting[:n]...)
	rest := copy(q.waiting, q.waiting[n:])
	clear(q.waiting[rest:])
	q.waiting = q.waiting[:rest]
	return batch
}

// written uncounts a batch the writer has written.
func (q *sendQueue) written(batch []outFrame) {
	for _, f := range batch {
		q.bytes -= len(f.b)
		if f.reply {
			q.replies--
		}
	}
}

// idle reports whether nothing waits for the writer.
func (q *sendQueue) idle() bool { return len(q.waiting) == 0 }
