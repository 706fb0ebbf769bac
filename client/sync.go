package client

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The processor is the only goroutine that changes the sequencer state and
// writes received messages, so pushes, pulls, acks and send results never
// race. Each batch of items is one Store transaction and one event call.

type inMsg struct {
	w       *pb.Message
	offline bool
	own     *Message // one of this device's sends, already stored: sequencing only
}

type inItem struct {
	msgs []*inMsg
	// A pull result: nothing below start will come for conv.
	conv     Conversation
	start    uint64
	hasStart bool

	states     []*pb.ConversationState // a sync result
	version    uint64                  // set the sync version (after a full sync)
	setVersion bool
	finished   bool // emit EventSyncFinished

	lateAck  *pb.SendAck // an ack that came after its send gave up
	recalled *pb.Message // this device recalled a message: its new form
	// This device deleted messages, cleared a history, or read.
	deleteUIDs []string
	deleteConv Conversation
	clears     []Clear
	read       *readMove
	log        *pb.LogEntry   // applied as if it came in this user's log
	settings   []*pb.LogEntry // this device changed these settings (no event here)
	restamps   []restamp      // ... and the server stamped them so
	draft      *draftSet
	received   *receivedSet
	sent       *Message // a send acknowledged in time (already updated)
	failed     int64    // local id of a send that failed
	result     chan *Message
	done       chan struct{}
	stop       bool // Close's last item (see processLoop)
}

// processLoop applies what the inbox brings, in batches, until Close
// queues a stop item. It receives without a select on quit: a select over
// two channels locks both, and this loop waits for nearly every item
// (measured: the load generator's 2,000 engines spent ~3 % of their CPU in
// those locks). Items queued behind the stop item are answered by their
// waiters' quit (see handOff).
func (e *Engine) processLoop() {
	defer close(e.processed)
	for it := range e.inbox {
		if it.stop {
			return
		}
		items := []*inItem{it}
		stop := false
	drain:
		for len(items) < 256 {
			select {
			case more := <-e.inbox:
				if more.stop {
					stop = true
					break drain
				}
				items = append(items, more)
			default:
				break drain
			}
		}
		e.process(items)
		if stop {
			return
		}
	}
}

type batchState struct {
	batch   Batch
	emitted []*Message
	batchMaps
	// Others' messages accepted in sequence, checked against the store by
	// messageUId in one lookup for the whole batch.
	fresh   []freshMsg
	recalls []recallApply // recalls and expansion changes, in sequence order
	// Receipt requests (markers) and the receipt parts of log entries.
	requests  []*pb.Message
	logs      []logItem
	tagLogs   []*pb.LogEntry // entries saying the user's tags changed
	events    []Event        // besides EventMessages
	recounted bool           // recountLocked changed a state: write it
	// Messages left a conversation (deletes, clears, a recall of one not
	// held): a count that is the server's (serverCounted) is stale, and
	// recountLocked has the server count again.
	lessCounted bool
}

// batchMaps are a batch's lookups, kept by the engine between batches (a
// batch per incoming frame: new maps each time were a tenth of what a
// simulated client allocated).
type batchMaps struct {
	byID  map[int64]*Message // records of this batch already in batch.Messages
	convs map[string]*ConversationState
	// Conversations whose unread count is counted again from the store
	// after this batch: messages left (deletes, clears) or the read
	// watermark moved.
	recount map[string]bool
	// Conversations whose settings another device changed in this batch.
	settings map[string]SettingsChange
}

// reset empties the maps for the next batch, making them the first time.
func (m *batchMaps) reset() {
	if m.byID == nil {
		*m = batchMaps{byID: map[int64]*Message{}, convs: map[string]*ConversationState{}, recount: map[string]bool{}, settings: map[string]SettingsChange{}}
	}
	clear(m.byID)
	clear(m.convs)
	clear(m.recount)
	clear(m.settings)
}

// recallApply is a recall marker (or a recall this device made) to apply:
// the message with uid becomes w's object and content.
type recallApply struct {
	uid string
	w   *pb.Message
}

type freshMsg struct {
	m    *inMsg
	st   *ConversationState
	read bool
}

func (e *Engine) process(items []*inItem) {
	ctx := context.Background()
	me := e.UserID()
	e.batch.reset()
	bs := &batchState{batchMaps: e.batch}
	finished := false
	e.seqMu.Lock()
	for _, it := range items {
		switch {
		case it.states != nil:
			for _, s := range it.states {
				c := Conversation{Type: int32(s.Conv.Type), TargetID: s.Conv.Target, ChannelID: s.Conv.Channel}
				st, k := e.stateKeyLocked(bs, c)
				st.LastSeq = max(st.LastSeq, s.LastSeq)
				if s.ReadSeq > st.ReadSeq {
					st.ReadSeq = s.ReadSeq
					bs.recount[k] = true
				}
				st.LastTime = max(st.LastTime, s.LastTime)
				if s.StartSeq > st.StartSeq {
					st.StartSeq = s.StartSeq
				}
				if s.LastSeq > 0 { // a settings-only state counts nothing
					st.ServerCounts = ServerCounts{CountSeq: s.LastSeq, CountRead: s.ReadSeq,
						CountUnread: int(s.UnreadCount), CountMentions: int(s.MentionCount)}
					if st.serverCounted() {
						bs.recount[k] = true
					}
				}
				if s.Settings != nil {
					// Taken silently: the log entries the sync pulls next
					// carry the same change (and no event then, as nothing
					// differs); a new device simply starts with them.
					e.applySettingsLocked(bs, &pb.LogEntry{Conv: s.Conv, Settings: s.Settings}, false)
				}
			}
		case it.lateAck != nil:
			e.applyLateAck(ctx, me, bs, it.lateAck)
		case it.sent != nil:
			bs.put(it.sent)
			e.sequenceLocked(ctx, me, bs, &inMsg{w: &pb.Message{
				ConvType: pb.ConversationType(it.sent.Type), To: it.sent.TargetID, Channel: it.sent.ChannelID,
				FromUser: me, Seq: it.sent.Seq, Uid: it.sent.MessageUID, SentTime: it.sent.SentTime,
			}, own: it.sent})
		case it.failed != 0:
			e.applyFailed(ctx, bs, it)
		}
		if it.hasStart {
			st := e.stateLocked(bs, it.conv)
			if it.start > 0 && it.start-1 > st.Contiguous {
				st.Contiguous = it.start - 1
				st.HeldFrom = it.start
				if st.CountSeq > st.ReadSeq {
					bs.recount[it.conv.Key()] = true // it may lack what the server counted
				}
				for s := range e.pending[st.Key()] {
					if s <= st.Contiguous {
						delete(e.pending[st.Key()], s)
					}
				}
			}
		}
		for _, m := range it.msgs {
			if m.w.Seq == 0 {
				// A status message: never stored, shown to whoever is
				// online now.
				if m.w.IsStatus && m.own == nil && m.w.Uid != "" {
					bs.emitted = append(bs.emitted, fromWire(me, m.w))
				}
				continue
			}
			e.sequenceLocked(ctx, me, bs, m)
		}
		bs.batch.DeleteUIDs = append(bs.batch.DeleteUIDs, it.deleteUIDs...)
		bs.batch.Clears = append(bs.batch.Clears, it.clears...)
		bs.lessCounted = bs.lessCounted || len(it.deleteUIDs) > 0 || len(it.clears) > 0
		for _, c := range it.clears {
			bs.recount[c.Key()] = true
		}
		if len(it.deleteUIDs) > 0 {
			bs.recount[it.deleteConv.Key()] = true
		}
		if it.read != nil {
			st, k := e.stateKeyLocked(bs, it.read.conv)
			seq := it.read.seq
			if seq == 0 {
				seq = max(st.LastSeq, st.Contiguous)
			}
			if seq > st.ReadSeq {
				st.ReadSeq = seq
				bs.recount[k] = true
			}
			st.ReadSynced = max(st.ReadSynced, seq) // this device's own read
		}
		if it.log != nil {
			bs.logs = append(bs.logs, logItem{l: it.log})
		}
		for _, l := range it.settings {
			e.applySettingsLocked(bs, l, false)
		}
		for _, r := range it.restamps {
			if st := e.stateLocked(bs, r.conv); st.SettingsTime == r.from {
				st.SettingsTime = r.to
			}
		}
		if d := it.draft; d != nil {
			st := e.stateLocked(bs, d.conv)
			st.Draft, st.DraftTime = d.text, max(e.cfg.Now().UnixMilli(), st.DraftTime+1)
		}
		if rs := it.received; rs != nil {
			e.applyReceivedLocked(ctx, bs, rs)
		}
		if it.recalled != nil {
			bs.recalls = append(bs.recalls, recallApply{uid: it.recalled.Uid, w: it.recalled})
		}
		if it.setVersion {
			if bs.batch.Meta == nil {
				bs.batch.Meta = map[string][]byte{}
			}
			bs.batch.Meta[metaSyncVersion] = []byte(strconv.FormatUint(it.version, 10))
		}
		finished = finished || it.finished
	}
	e.admitFreshLocked(ctx, me, bs)
	e.applyReceiptsLocked(ctx, me, bs)
	for k, p := range e.pending {
		if len(p) > 0 && !e.gapArmed[k] {
			e.armGapLocked(k, e.convs[k])
		}
	}
	for _, st := range bs.convs {
		cp := *st // the store reads it after seqMu is released
		bs.batch.Conversations = append(bs.batch.Conversations, &cp)
	}
	e.seqMu.Unlock()
	for _, l := range bs.tagLogs {
		e.tagsSeen(l)
	}

	failed := false
	if err := e.apply(ctx, &bs.batch); err != nil {
		e.log.Log(LevelError, "store apply failed", "err", err.Error())
		e.undoFailedApply(ctx, bs)
		// Not held: told when they are, once fetched again.
		failed, bs.emitted, bs.events = true, nil, nil
	}
	if len(bs.recount) > 0 {
		e.seqMu.Lock()
		e.recountLocked(ctx, bs)
		var states []*ConversationState
		if bs.recounted {
			for k := range bs.recount {
				if st := e.convs[k]; st != nil {
					cp := *st
					states = append(states, &cp)
				}
			}
		}
		e.seqMu.Unlock()
		if len(states) > 0 {
			if err := e.apply(ctx, &Batch{Conversations: states}); err != nil {
				e.log.Log(LevelError, "store apply failed", "err", err.Error())
			}
		}
	}
	var evs []Event
	if len(bs.emitted) > 0 {
		evs = append(evs, Event{Kind: EventMessages, Messages: bs.emitted})
	}
	evs = append(evs, bs.events...)
	if ev := e.conversationEvent(ctx, bs); ev != nil && !failed {
		evs = append(evs, *ev)
	}
	if finished {
		// Edits made while offline came with the sync (as markers).
		evs = append(evs, Event{Kind: EventSyncFinished}, Event{Kind: EventModifiedSynced})
	}
	if len(evs) > 0 {
		e.emit(evs...)
	}
	for _, it := range items {
		if it.result != nil {
			var m *Message
			if it.sent != nil {
				m = it.sent
			} else if it.failed != 0 {
				m = bs.byID[it.failed]
			}
			if m != nil {
				m = m.Clone()
			}
			it.result <- m
		}
		if it.done != nil {
			close(it.done)
		}
	}
}

// armGapLocked schedules a pull for a gap in conv. Gaps are usually
// reordering, not loss: a push can overtake the ack of one's own message
// sent just before it, so the pull waits GapWait for the hole to fill.
// Only the hole seen now is waited for: in a busy group new, equally
// short-lived holes keep appearing, and pulling for those would be waste.
func (e *Engine) armGapLocked(k string, st *ConversationState) {
	if e.gapArmed == nil {
		e.gapArmed = map[string]bool{}
	}
	e.gapArmed[k] = true
	c, hole := st.Conversation, st.Contiguous+1
	e.timers.AfterFunc(e.cfg.GapWait, func() {
		e.seqMu.Lock()
		delete(e.gapArmed, k)
		still := e.convs[k].Contiguous < hole
		if !still && len(e.pending[k]) > 0 {
			e.armGapLocked(k, e.convs[k]) // a newer hole: give it its own wait
		}
		e.seqMu.Unlock()
		if still {
			select {
			case e.gaps() <- c:
			default:
			}
		}
	})
}

func (bs *batchState) put(m *Message) {
	if _, ok := bs.byID[m.MessageID]; ok && m.MessageID != 0 {
		bs.byID[m.MessageID] = m
		for i, x := range bs.batch.Messages {
			if x.MessageID == m.MessageID {
				bs.batch.Messages[i] = m
			}
		}
		return
	}
	bs.batch.Messages = append(bs.batch.Messages, m)
	if m.MessageID != 0 {
		bs.byID[m.MessageID] = m
	}
}

// stateLocked returns the cursor of c, marking it changed in this batch.
func (e *Engine) stateLocked(bs *batchState, c Conversation) *ConversationState {
	st, _ := e.stateKeyLocked(bs, c)
	return st
}

func (e *Engine) stateKeyLocked(bs *batchState, c Conversation) (*ConversationState, string) {
	k := c.Key()
	st := e.convs[k]
	if st == nil {
		st = &ConversationState{Conversation: c}
		e.convs[k] = st
	}
	bs.convs[k] = st
	return st, k
}

// sequenceLocked puts m in order: it is accepted when every sequence number
// below it is held, held back while there is a gap (a pull fills it), and
// dropped when already held.
func (e *Engine) sequenceLocked(ctx context.Context, me string, bs *batchState, m *inMsg) {
	c := localConv(me, m.w)
	st, k := e.stateKeyLocked(bs, c)
	if m.own != nil {
		// This device's send, acknowledged: the list orders by it at once,
		// also while a gap before it waits for a pull.
		st.LastTime = max(st.LastTime, m.w.SentTime)
	}
	if m.w.Seq == 0 || m.w.Seq <= st.Contiguous {
		return
	}
	p := e.pending[k]
	if p == nil && m.w.Seq == st.Contiguous+1 {
		// In order with nothing held back: the common case.
		st.Contiguous++
		e.acceptLocked(ctx, me, bs, st, m)
		st.LastSeq = max(st.LastSeq, st.Contiguous)
		if m.own == nil {
			e.markAck(k, c, st.Contiguous)
		}
		return
	}
	if p == nil {
		p = map[uint64]*inMsg{}
		e.pending[k] = p
	}
	if old, ok := p[m.w.Seq]; ok && old.own != nil {
		return
	}
	p[m.w.Seq] = m
	for {
		next, ok := p[st.Contiguous+1]
		if !ok {
			break
		}
		delete(p, st.Contiguous+1)
		st.Contiguous++
		e.acceptLocked(ctx, me, bs, st, next)
	}
	st.LastSeq = max(st.LastSeq, st.Contiguous)
	if len(p) == 0 {
		delete(e.pending, k)
	}
	if m.own == nil {
		// The server knows the device has its own sends.
		e.markAck(k, c, st.Contiguous)
	}
}

func (e *Engine) acceptLocked(ctx context.Context, me string, bs *batchState, st *ConversationState, m *inMsg) {
	if m.w.Tombstone {
		return
	}
	if m.own != nil {
		st.MessageSeq = max(st.MessageSeq, m.w.Seq)
		return
	}
	if m.w.ConvType == pb.ConversationType_USER_LOG {
		if e.ownLog.take(m.w.Seq) {
			return // this device's own change, made for the others: nothing to tell here
		}
		if l := m.w.Log; l != nil {
			groupLogEventLocked(bs, l)
			peopleEventLocked(bs, l)
		}
		applyLog(bs, m.w.Log, m.offline) // what another device of mine did, receipts for me
		if l := m.w.Log; l != nil && l.Conv != nil {
			// Known at once, not when the batch is written: a late pull's
			// answer later in this batch is not new (recentUIDs).
			e.deleted.note(l.DeletedUids)
			e.cleared.note(Conversation{Type: int32(l.Conv.Type), TargetID: l.Conv.Target, ChannelID: l.Conv.Channel}, l.ClearedSeq)
		}
		if l := m.w.Log; l != nil && l.TagsChanged != 0 {
			bs.tagLogs = append(bs.tagLogs, l)
		}
		return
	}
	if m.w.ReceiptRequestOf != "" {
		bs.requests = append(bs.requests, m.w)
		return
	}
	if m.w.RecallOf != "" {
		// Not a message of its own: it turns an earlier one into RC:RcNtf.
		bs.recalls = append(bs.recalls, recallApply{uid: m.w.RecallOf, w: m.w})
		return
	}
	if m.w.ExpansionOf != "" {
		bs.recalls = append(bs.recalls, recallApply{uid: m.w.ExpansionOf, w: m.w})
		return
	}
	if m.w.ModifyOf != "" {
		bs.recalls = append(bs.recalls, recallApply{uid: m.w.ModifyOf, w: m.w})
		return
	}
	if m.w.GroupEvent != nil {
		groupEventLocked(bs, m.w)
	}
	st.LastTime = max(st.LastTime, m.w.SentTime)
	st.MessageSeq = max(st.MessageSeq, m.w.Seq)
	if m.w.FromUser == me {
		// My own message: one of this device's sends (update it in place,
		// e.g. FAILED to SENT after a late commit) or another device's.
		// (The same client id in another conversation is another message:
		// an app chose an id twice.)
		if rec, _ := e.cfg.Store.MessageByClientID(ctx, m.w.ClientMsgId); rec != nil && rec.Conversation == localConv(me, m.w) {
			if prev, ok := bs.byID[rec.MessageID]; ok {
				rec = prev
			}
			rec.MessageUID, rec.Seq, rec.SentTime, rec.SentStatus = m.w.Uid, m.w.Seq, m.w.SentTime, StatusSent
			w := fromWire(me, m.w)
			if w.ObjectName != rec.ObjectName || !bytes.Equal(w.Content, rec.Content) {
				// Stored otherwise by now (recalled or edited from another
				// device, replaced by the app's backend): as the server has
				// it, and the application is told — of an edit by its marker,
				// which follows.
				rec.ObjectName, rec.Content, rec.ModifiedTime = w.ObjectName, w.Content, w.ModifiedTime
				if w.ModifiedTime == 0 {
					bs.emitted = append(bs.emitted, rec)
				}
			}
			rec.Expansion = w.Expansion
			bs.put(rec)
			return
		}
	}
	if e.deleted.has(m.w.Uid) || e.cleared.covers(localConv(me, m.w), m.w.Seq) {
		return // deleted or cleared before it got here (recentUIDs, recentClears)
	}
	bs.fresh = append(bs.fresh, freshMsg{m: m, st: st, read: m.w.Seq <= st.ReadSeq})
}

// undoFailedApply puts the cursors of a batch the store did not take
// (IndexedDB's quota, an aborted transaction) back to what the store holds,
// drops their pending messages and unsent acks, and fetches what the
// server has past them again (a gap pull), so nothing the batch held is
// lost; its own writes are left to later batches.
func (e *Engine) undoFailedApply(ctx context.Context, bs *batchState) {
	stored, err := e.cfg.Store.Conversations(ctx)
	if err != nil {
		e.log.Log(LevelError, "read the stored cursors after a failed apply", "err", err.Error())
		stored = nil // start the batch's conversations over: the pulls fetch them again
	}
	held := make(map[string]*ConversationState, len(stored))
	for _, st := range stored {
		held[st.Key()] = st
	}
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	for k, st := range bs.convs {
		back := &ConversationState{Conversation: st.Conversation}
		if h := held[k]; h != nil {
			cp := *h
			back = &cp
		}
		back.LastSeq = max(back.LastSeq, st.LastSeq) // what the server has: fetched again
		e.convs[k] = back
		delete(e.pending, k)
		delete(e.acks, k)
		if back.LastSeq > back.Contiguous && !e.gapArmed[k] {
			e.armGapLocked(k, back)
		}
	}
}

// recordOf is the record of the batch with messageUId uid (one of this
// device's sends given its uid in the batch, which the store does not know
// by it yet), or nil.
func (bs *batchState) recordOf(uid string) *Message {
	for _, m := range bs.byID {
		if m.MessageUID == uid {
			return m
		}
	}
	return nil
}

// admitFreshLocked stores and emits the batch's new messages that the store
// does not hold yet (de-duplication by messageUId: another tab of the
// device, or a history fetch, may have stored them).
//
// It then applies the batch's recalls, to messages of this batch or held
// ones: they become RC:RcNtf in place (same messageId and messageUId) and
// are emitted again in that form.
func (e *Engine) admitFreshLocked(ctx context.Context, me string, bs *batchState) {
	if len(bs.fresh) == 0 && len(bs.recalls) == 0 {
		return
	}
	uids := make([]string, 0, len(bs.fresh)+len(bs.recalls))
	for _, f := range bs.fresh {
		uids = append(uids, f.m.w.Uid)
	}
	for _, r := range bs.recalls {
		uids = append(uids, r.uid)
	}
	held, err := e.cfg.Store.MessagesByUID(ctx, uids)
	if err != nil || len(held) != len(uids) {
		held = make([]*Message, len(uids)) // store anyway: a duplicate row beats a lost message
	}
	now := e.cfg.Now().UnixMilli()
	admitted := map[string]*Message{}
	for i, f := range bs.fresh {
		msg := held[i]
		if msg == nil {
			msg = fromWire(me, f.m.w)
			msg.IsOffline = f.m.offline
			msg.ReceivedTime = now
			msg.IsRead = f.read || msg.Direction == DirectionSend // the user's own, from another device: read, as fromWire has it
			switch {
			case msg.Direction != DirectionSend:
			case msg.Seq <= f.st.PeerReadSeq:
				msg.SentStatus = StatusRead // another device's send the peer has read
			case msg.Seq <= f.st.PeerDeliveredSeq:
				msg.SentStatus = StatusReceived // … or has received (its log entry may come first: a sync)
			}
		}
		bs.put(msg) // a held one too: a recall later in the batch changes it
		// A held one was stored by another session of this device (a tab
		// sharing the database): not stored twice, but this session has
		// not told its application yet (its sequence is past it otherwise).
		bs.emitted = append(bs.emitted, msg)
		admitted[msg.MessageUID] = msg
		if counts(msg, f.st) && !countedByServer(msg, f.st) {
			f.st.Unread++
			f.st.Mentioned = f.st.Mentioned || msg.IsMentioned
			if msg.IsMentioned {
				f.st.Mentions++
			}
		}
	}
	var modified []*Message
	for i, r := range bs.recalls {
		if held[len(bs.fresh)+i] == nil {
			held[len(bs.fresh)+i] = bs.recordOf(r.uid) // one of this device's sends, matched earlier in the batch
		}
		if r.w.ModifyOf != "" {
			if m := applyModify(bs, r.w, admitted[r.uid], held[len(bs.fresh)+i]); m != nil {
				modified = append(modified, m)
			}
			continue
		}
		var xc *ExpansionChange
		if r.w.ExpansionOf != "" {
			xc = &ExpansionChange{Conversation: localConv(me, r.w), MessageUID: r.uid, Updated: r.w.Expansion, Deleted: r.w.ExpansionRemoved}
			bs.events = append(bs.events, Event{Kind: EventExpansion, Expansion: xc})
		}
		target := admitted[r.uid]
		if target == nil {
			target = held[len(bs.fresh)+i]
			if target == nil {
				// Never held here: nothing to replace; a recalled message may
				// be in the server's count, which recountLocked asks for again.
				if r.w.RecallOf != "" {
					bs.lessCounted = true
					bs.recount[localConv(me, r.w).Key()] = true
				}
				continue
			}
			if prev, ok := bs.byID[target.MessageID]; ok {
				target = prev
			}
			if xc != nil {
				applyExpansion(target, r.w)
				bs.put(target)
				m := *target
				xc.Message = &m
				continue
			}
			if target.ObjectName == RecallObjectName {
				continue // applied already
			}
			bs.emitted = append(bs.emitted, target)
		} else if xc != nil {
			applyExpansion(target, r.w)
			m := *target
			xc.Message = &m
			continue
		}
		// It counts no more (a fresh one was counted as it was admitted).
		if st, k := e.stateKeyLocked(bs, target.Conversation); counts(target, st) {
			st.Unread = max(0, st.Unread-1)
			if countedByServer(target, st) { // until the next sync counts again
				st.CountUnread = max(0, st.CountUnread-1)
				if target.IsMentioned {
					st.CountMentions = max(0, st.CountMentions-1)
				}
			}
			if target.IsMentioned {
				bs.recount[k] = true // another unread one may mention too
			}
		}
		fresh := admitted[r.uid] != nil
		target.ObjectName, target.Content = RecallObjectName, r.w.Content
		target.IsCounted, target.IsMentioned, target.MentionedInfo = false, false, nil
		target.Expansion, target.CanIncludeExpansion, target.NeedReceipt = nil, false, false
		if !fresh {
			bs.put(target) // a fresh one is in the batch already
		}
	}
	if len(modified) > 0 {
		// Edited twice in one batch: told once, as it now is (one record).
		seen := map[*Message]bool{}
		modified = slices.DeleteFunc(modified, func(m *Message) bool {
			dup := seen[m]
			seen[m] = true
			return dup
		})
		bs.events = append(bs.events, Event{Kind: EventModified, Messages: modified})
	}
}

// applyModify applies an edit marker w to the message it edits: fresh (in
// this batch: stored edited already, nothing to tell) or held. It answers
// the held message it changed, for MESSAGE_MODIFIED.
func applyModify(bs *batchState, w *pb.Message, fresh, held *Message) *Message {
	target := fresh
	if target == nil {
		if held == nil {
			return nil // never held here: a pull brings it edited
		}
		target = held
		if prev, ok := bs.byID[target.MessageID]; ok {
			target = prev
		}
	}
	if target.ObjectName == RecallObjectName || w.ModifiedTime < target.ModifiedTime {
		return nil // recalled since, or a later edit is in
	}
	target.Content, target.ModifiedTime = w.Content, w.ModifiedTime
	if fresh != nil {
		return nil
	}
	bs.put(target)
	return target
}

// RecallObjectName is what a recalled message becomes (RongIMLib's
// RecallNotificationMessage).
const RecallObjectName = contract.RecallNotice

func (e *Engine) applyLateAck(ctx context.Context, me string, bs *batchState, ack *pb.SendAck) {
	rec, err := e.cfg.Store.MessageByClientID(ctx, ack.ClientMsgId)
	if err != nil || rec == nil {
		return
	}
	if prev, ok := bs.byID[rec.MessageID]; ok {
		rec = prev
	}
	rec.MessageUID, rec.Seq, rec.SentTime, rec.SentStatus = ack.MessageUid, ack.Seq, ack.SentTime, StatusSent
	applyReplaced(rec, ack) // as stored, if the app's backend replaced it
	bs.put(rec)
	e.sequenceLocked(ctx, me, bs, &inMsg{w: &pb.Message{
		ConvType: pb.ConversationType(rec.Type), To: rec.TargetID, Channel: rec.ChannelID, FromUser: rec.SenderUserID, Seq: rec.Seq, Uid: rec.MessageUID,
	}, own: rec})
}

func (e *Engine) applyFailed(ctx context.Context, bs *batchState, it *inItem) {
	rec := bs.byID[it.failed]
	if rec == nil {
		recs, err := e.cfg.Store.MessagesByID(ctx, []int64{it.failed})
		if err != nil || len(recs) != 1 || recs[0] == nil {
			return
		}
		rec = recs[0]
	}
	if rec.SentStatus == StatusSending {
		rec.SentStatus = StatusFailed
	}
	bs.put(rec)
}

// markAck notes that conv is held up to seq; flushAcks tells the server.
func (e *Engine) markAck(key string, c Conversation, seq uint64) {
	if e.acks == nil {
		e.acks = map[string]*pb.AckItem{}
	}
	if a := e.acks[key]; a != nil {
		a.Seq = max(a.Seq, seq)
	} else {
		e.acks[key] = &pb.AckItem{Conv: wireConv(c), Seq: seq}
	}
	if !e.ackArmed {
		// One timer per burst, none while idle: thousands of engines in
		// one process (the bench) must not tick for nothing.
		e.ackArmed = true
		e.timers.AfterFunc(e.cfg.AckInterval, e.flushAcks)
	}
}

// flushAcks sends the coalesced acks on the current connection; if there is
// none, the next connection's sync covers them.
func (e *Engine) flushAcks() {
	e.seqMu.Lock()
	acks := e.acks
	e.acks = nil
	e.ackArmed = false
	e.seqMu.Unlock()
	e.mu.Lock()
	lc := e.conn
	e.mu.Unlock()
	if len(acks) == 0 {
		return
	}
	if lc == nil {
		e.keepAcks(acks) // sent once the next connection has synced
		return
	}
	ctx := context.Background()
	items := make([]*pb.AckItem, 0, len(acks))
	for _, a := range acks {
		items = append(items, a)
	}
	for chunk := range slices.Chunk(items, contract.MaxIDs) { // the server's most per frame
		if err := lc.write(ctx, &pb.Frame{Body: &pb.Frame_Ack{Ack: &pb.Ack{Items: chunk}}}); err != nil {
			// The connection broke under the write: the next one sends
			// them all (acks are cumulative, a chunk sent twice is harmless).
			e.keepAcks(acks)
			return
		}
	}
}

// keepAcks puts acks a flush could not send back, for the next connection
// (the server delivers delivery receipts on acks).
func (e *Engine) keepAcks(acks map[string]*pb.AckItem) {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	if e.acks == nil {
		e.acks = map[string]*pb.AckItem{}
	}
	for k, a := range acks {
		if cur := e.acks[k]; cur == nil || cur.Seq < a.Seq {
			e.acks[k] = a
		}
	}
}

// submit hands an item to the processor and waits until it is applied.
func (e *Engine) submit(ctx context.Context, it *inItem) error {
	it.done = make(chan struct{})
	select {
	case e.inbox <- it: // without waiting, the cheap case (see emit)
	default:
		select {
		case e.inbox <- it:
		case <-ctx.Done():
			return ctx.Err()
		case <-e.quit:
			return errClosed()
		}
	}
	select {
	case <-it.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-e.quit:
		select {
		case <-it.done: // applied just before
			return nil
		default:
			return errClosed()
		}
	}
}

// toInbox hands it to the processor; false once the engine has closed.
func (e *Engine) toInbox(it *inItem) bool {
	select {
	case e.inbox <- it: // without waiting, the cheap case (see emit)
		return true
	default:
	}
	select {
	case e.inbox <- it:
		return true
	case <-e.quit:
		return false
	}
}

// handOff hands an item with a result to the processor and returns what it
// answers, or false once the engine has closed (its processor may be gone).
func (e *Engine) handOff(it *inItem) (*Message, bool) {
	if !e.toInbox(it) {
		return nil, false
	}
	select {
	case m := <-it.result:
		return m, true
	case <-e.quit:
		select {
		case m := <-it.result: // answered just before
			return m, true
		default:
			return nil, false
		}
	}
}

func (e *Engine) gaps() chan Conversation {
	e.gapOnce.Do(func() { e.gapCh = make(chan Conversation, 64) })
	return e.gapCh
}

// syncAll catches up after (re)connecting: the conversations changed since
// the device's sync version, each pulled up to its last sequence number.
// Then it serves gap pulls until the connection ends.
func (e *Engine) syncAll(ctx context.Context, lc *liveConn) {
	e.setTagSession(lc.auth.GetSessionId())
	// The copy this session starts from, read now: a tab sharing the store
	// that changes the tags later writes there first, and this session
	// must still see that change as news.
	if _, err := e.tagSet(ctx); err != nil {
		e.log.Log(LevelWarn, "read tags", "err", err.Error())
	}
	version, err := e.syncVersion(ctx)
	if err != nil {
		return
	}
	if version != lc.auth.SyncVersion || version == 0 {
		if err := e.syncChanges(ctx, lc, version, true); err != nil {
			return
		}
	} else if err := e.submit(ctx, &inItem{finished: true}); err != nil {
		return
	}
	e.flushAcks() // what an earlier connection could not send

	for {
		select {
		case <-ctx.Done():
			return
		case <-lc.closed:
			return
		case c := <-e.gaps():
			if err := e.pullConv(ctx, lc, c, false); err != nil {
				return
			}
		case <-e.tags.refresh:
			if err := e.fetchTags(ctx, lc); err != nil {
				e.tags.poke() // again on the next connection
				return
			}
		case <-e.resync:
			version, err := e.syncVersion(ctx)
			if err != nil {
				return
			}
			if err := e.syncChanges(ctx, lc, version, false); err != nil {
				return
			}
		}
	}
}

// syncChanges asks for what changed since version (SyncRequest, in
// pages), takes the states, pulls each changed conversation and the tags
// if they are newer, and stores the new version (the first page's) once
// every page is in; finished: the connection's first sync, told as such
// once all is in.
func (e *Engine) syncChanges(ctx context.Context, lc *liveConn, version uint64, finished bool) error {
	var reached, tags uint64
	cursor := ""
	for first := true; first || cursor != ""; first = false {
		r, err := lc.request(ctx, &pb.Frame{Body: &pb.Frame_Sync{Sync: &pb.SyncRequest{SinceVersion: version, Paged: true, Cursor: cursor}}})
		if err != nil {
			return err
		}
		res := r.GetSyncResult()
		if first {
			reached = res.GetVersion()
		}
		tags, cursor = res.GetTagsVersion(), res.GetCursor()
		if err := e.syncPage(ctx, lc, res.GetConversations(), finished); err != nil {
			return err
		}
	}
	if e.tagsOlderThan(tags) {
		// Before the sync is said finished: getTags then answers them
		// (a new device has none yet).
		if err := e.fetchTags(ctx, lc); err != nil {
			return err
		}
	}
	return e.submit(ctx, &inItem{version: reached, setVersion: true, finished: finished})
}

// syncPage takes one page of a sync's states and pulls each conversation.
func (e *Engine) syncPage(ctx context.Context, lc *liveConn, convs []*pb.ConversationState, finished bool) error {
	if err := e.submit(ctx, &inItem{states: convs}); err != nil {
		return err
	}
	// The user's log first: what it says of the conversations (a clear up
	// to a sequence number, a receipt answered on another device) is known
	// when their messages come, as it is live.
	states := slices.Clone(convs)
	logFirst := func(s *pb.ConversationState) int {
		if s.Conv.GetType() == pb.ConversationType_USER_LOG {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(states, func(a, b *pb.ConversationState) int { return logFirst(a) - logFirst(b) })
	for _, s := range states {
		c := Conversation{Type: int32(s.Conv.Type), TargetID: s.Conv.Target, ChannelID: s.Conv.Channel}
		if err := e.pullConv(ctx, lc, c, finished); err != nil {
			return err
		}
	}
	return nil
}

// resyncSoon asks syncAll's loop for a sync of what changed: the server's
// counts of a conversation this device lacks messages of went stale (its
// read watermark moved inside what the server counted).
func (e *Engine) resyncSoon() {
	select {
	case e.resync <- struct{}{}:
	default: // one is pending
	}
}

// pullConv fetches conv's messages after what the device holds, page by
// page, until it holds the last one. The next page is asked for while the
// processor stores the previous one (a browser's IndexedDB transaction
// takes longer than a round trip on a good network).
func (e *Engine) pullConv(ctx context.Context, lc *liveConn, c Conversation, offline bool) error {
	for {
		e.seqMu.Lock()
		st := e.convs[c.Key()]
		var after, last uint64
		if st != nil {
			after, last = st.Contiguous, st.LastSeq
		}
		gap := len(e.pending[c.Key()]) > 0
		e.seqMu.Unlock()
		if after >= last && !gap {
			return nil
		}
		var inFlight []chan struct{}
		next := after
		for {
			pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			r, err := lc.request(pctx, &pb.Frame{Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: wireConv(c), AfterSeq: next, Limit: uint32(e.cfg.PullPage)}}})
			cancel()
			if err != nil {
				e.log.Log(LevelWarn, "pull failed", "conv", c.Key(), "err", err.Error())
				return err
			}
			res := r.GetPullResult()
			it := &inItem{conv: c, start: res.GetStartSeq(), hasStart: true, done: make(chan struct{})}
			for _, m := range res.GetMessages() {
				it.msgs = append(it.msgs, &inMsg{w: m, offline: offline})
			}
			e.seqMu.Lock()
			if st := e.convs[c.Key()]; st != nil {
				st.LastSeq = max(st.LastSeq, res.GetLastSeq())
			}
			e.seqMu.Unlock()
			select {
			case e.inbox <- it:
			case <-ctx.Done():
				return ctx.Err()
			}
			inFlight = append(inFlight, it.done)
			ms := res.GetMessages()
			if len(ms) == 0 || ms[len(ms)-1].Seq >= res.GetLastSeq() {
				break
			}
			next = max(next, ms[len(ms)-1].Seq)
		}
		for _, done := range inFlight {
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		e.seqMu.Lock()
		now := e.convs[c.Key()].Contiguous
		e.seqMu.Unlock()
		if now <= after {
			return nil // no progress: the server has nothing more for us
		}
	}
}
