package client

import (
	pb "github.com/imwasm/imwasm/proto/litepb"
	"sync"
)

// The user's log (docs/architecture.md, "The user log") is a conversation
// of the user's own (type USER_LOG) that the device syncs like any other.
// Its entries are not messages: each carries what concerns this user beyond
// messages — deletes and clears from another device, read watermarks,
// delivery receipts, read-receipt updates, receipts answered, the user's
// conversation settings — and the
// processor applies them to the batch it is building (deletes and clears
// here; the rest in receipts.go once the batch's messages are known).

// logItem is a log entry for receipts.go; offline: it came with the
// connection's first sync (it waited while the user was away).
type logItem struct {
	l       *pb.LogEntry
	offline bool
}

// applyLog applies an entry of the user's own log to the batch.
func applyLog(bs *batchState, l *pb.LogEntry, offline bool) {
	if l == nil || l.Conv == nil {
		return
	}
	c := Conversation{Type: int32(l.Conv.Type), TargetID: l.Conv.Target, ChannelID: l.Conv.Channel}
	bs.batch.DeleteUIDs = append(bs.batch.DeleteUIDs, l.DeletedUids...)
	if l.ClearedBefore > 0 {
		bs.batch.Clears = append(bs.batch.Clears, Clear{Conversation: c, Before: l.ClearedBefore})
	}
	if len(l.DeletedUids) > 0 || l.ClearedBefore > 0 {
		bs.recount[c.Key()] = true
		bs.lessCounted = true
	}
	if l.ReadBy != "" || l.DeliveredTo != "" || len(l.Receipts) > 0 || len(l.RespondedUids) > 0 || l.Settings != nil {
		bs.logs = append(bs.logs, logItem{l, offline})
	}
}

// ownLogEntries are the numbers of the user's log entries this device's
// own requests made for the user's other devices (GroupResult's and
// PeopleResult's own_log_seqs): when one reaches this device (read back
// from the log), it tells nothing of it — no *_SYNC event for its own
// change.
type ownLogEntries struct {
	mu   sync.Mutex
	seqs map[uint64]bool
}

func (o *ownLogEntries) add(seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seqs == nil || len(o.seqs) > maxRecentUIDs {
		o.seqs = map[uint64]bool{} // bounded: each is taken when its entry comes
	}
	for _, s := range seqs {
		o.seqs[s] = true
	}
}

// take says whether seq is one of them, forgetting it.
func (o *ownLogEntries) take(seq uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.seqs[seq] {
		return false
	}
	delete(o.seqs, seq)
	return true
}
