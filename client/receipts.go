package client

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Receipts on the device. Whatever concerns this user arrives as entries
// of their log (see server/receipts.go) or, for receipt requests, as
// markers in the group's sequence; the processor applies both to the
// stored messages and cursors and turns them into events.

// Receipt request cache limits (RongIMLib's web SDK: the latest 30 per
// group conversation, for 24 hours).
const (
	MaxCachedRequests = 30
	RequestCacheTTL   = 24 * time.Hour
	MaxReceiptIDs     = contract.MaxPerCall
)

// ReceiptEvent is the payload of the receipt events; which fields are set
// depends on the kind (see EventKind).
type ReceiptEvent struct {
	Conversation Conversation
	MessageUID   string
	SentTime     int64    // EventReadReceipt: the message read; EventSyncRead: the watermark's time
	UserID       string   // who read, responded, requested, or got it
	MessageUIDs  []string // EventReceiptResponse, EventDelivered
	Time         int64    // EventDelivered: when
	Counts       []ReceiptCount
	// EventReadReceipt, EventReceiptResponseV5: it waited on the server
	// while this user was away, and came with the connection's first sync
	// (Easemob's onStatisticMessage).
	Offline bool
	// EventSyncRead: the peer was told too (AckConversationRead on another
	// device: Easemob's onChannelMessage there).
	Told bool
}

// ReceiptCount is one message's read receipt counts (V5).
type ReceiptCount struct {
	Conversation Conversation
	MessageUID   string
	ReadCount    int
	TotalCount   int
	Users        []Reader // the new readers (events) or none (queries)
}

// ReadersPage is a page of a message's readers or non-readers.
type ReadersPage struct {
	Users         []Reader
	NextPageToken string
	ReadCount     int
	TotalCount    int
}

// SendReadReceipt implements sendReadReceiptMessage (private chats): the
// peer gets READ_RECEIPT_RECEIVED for message uid. It tells, and only
// tells: this user's unread counts and read watermark stay where they are
// (MarkRead, clearMessagesUnreadStatus, moves them), as in RongIMLib. The
// server refuses it with 26314 when the app turned private receipts off.
func (e *Engine) SendReadReceipt(ctx context.Context, c Conversation, uid string) error {
	if err := e.checkMessageCall(c, uid); err != nil {
		return err
	}
	if c.Type != Private {
		return codes.New(codes.InvalidParameterConversationType, "read receipts by message are for private chats")
	}
	_, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Read{Read: &pb.ReadRequest{Conv: wireConv(c), MessageUid: uid, Receipt: true}}})
	return err
}

// AckMessageRead is a read ack for one message (Easemob's read ack,
// NIM's): its sender gets EventReceiptResponseV5 with content among the
// readers. In a private chat any message of the peer may be acked, for as
// long as it is kept (the server refuses with 26314 when the app turned
// private read receipts off); in a group, a message sent with needReceipt.
// This user's unread counts and read watermark stay (see AckConversationRead).
func (e *Engine) AckMessageRead(ctx context.Context, c Conversation, uid, content string) error {
	if err := e.checkMessageCall(c, uid); err != nil {
		return err
	}
	if err := contract.CheckAckContent(content); err != nil {
		return err
	}
	r := &pb.ReceiptResponse{Conv: wireConv(c), MessageUids: []string{uid}, Content: content, Unasked: c.Type == Private}
	if _, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_ReceiptResponse{ReceiptResponse: r}}); err != nil {
		return err
	}
	return e.applyLocal(&inItem{log: &pb.LogEntry{Conv: wireConv(c), RespondedUids: []string{uid}}})
}

// AckConversationRead is a conversation read ack (Easemob's channel ack;
// NIM's p2p receipt, up to one message): this user read c up to message
// uid ("": all of it). The read watermark moves there, as MarkRead does
// (this user's other devices get EventSyncRead with Told), and in a
// private chat the peer gets EventReadReceipt.
func (e *Engine) AckConversationRead(ctx context.Context, c Conversation, uid string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	var seq uint64 // 0: the latest
	if uid != "" {
		if len(uid) > contract.MaxIDBytes {
			return codes.New(codes.InvalidParameterMessageUID, "invalid messageUId")
		}
		held, err := e.cfg.Store.MessagesByUID(ctx, []string{uid})
		if err != nil {
			return codes.Wrap(codes.Timeout, "read message", err)
		}
		if len(held) != 1 || held[0] == nil || held[0].Seq == 0 || held[0].Conversation != c {
			return codes.New(codes.InvalidParameterMessageUID, "no such message in this conversation here")
		}
		seq = held[0].Seq
	}
	seq, refused := e.expectRead(c, seq) // the latest this device holds, as MarkRead names it
	r := &pb.ReadRequest{Conv: wireConv(c), Seq: seq, TellPeer: true}
	if _, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Read{Read: r}}); err != nil {
		refused(err)
		return err
	}
	return e.applyLocal(&inItem{read: &readMove{conv: c, seq: seq}})
}

// expectRead notes, before asking the server, that this device is moving
// the read watermark of c to seq (0: the latest it holds, which it
// answers, for the request to name: the server's latest may be past what
// this device showed): the log entry that comes back (maybe before the
// answer) is not another device's read. The caller hands a failed
// request's error to the func it answers.
func (e *Engine) expectRead(c Conversation, seq uint64) (uint64, func(error)) {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	st := e.convs[c.Key()]
	if st == nil {
		return seq, func(error) {}
	}
	if seq == 0 {
		seq = max(st.LastSeq, st.Contiguous)
	}
	prev := st.ReadSynced
	st.ReadSynced = max(st.ReadSynced, seq)
	// refused puts it back when the server refused the read (a rate
	// limit, say): another device's read up to seq is then news. Not when
	// the answer is unknown (the connection lost): the read may be done.
	refused := func(err error) {
		var ce *codes.Error
		if !errors.As(err, &ce) || ce.Code == codes.NetChannelInvalid {
			return
		}
		e.seqMu.Lock()
		defer e.seqMu.Unlock()
		if cur := e.convs[c.Key()]; cur == st && st.ReadSynced == seq {
			st.ReadSynced = prev
		}
	}
	return seq, refused
}

// RequestReceipts implements sendReadReceiptRequest: the sender of a group
// message asks its members for read receipts.
func (e *Engine) RequestReceipts(ctx context.Context, c Conversation, uid string) error {
	if err := e.checkMessageCall(c, uid); err != nil {
		return err
	}
	_, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_ReceiptRequest{ReceiptRequest: &pb.ReceiptRequest{Conv: wireConv(c), MessageUid: uid}}})
	return err
}

// RespondReceipts implements sendReadReceiptResponseV2 with a message list
// and sendReadReceiptResponseV5: this user has read these messages of c.
func (e *Engine) RespondReceipts(ctx context.Context, c Conversation, uids []string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if len(uids) == 0 || len(uids) > MaxReceiptIDs {
		return codes.New(codes.RRSV5ParamLengthExceed, "1-100 messageUIds per call")
	}
	for _, u := range uids {
		if u == "" || len(u) > contract.MaxIDBytes {
			return codes.New(codes.InvalidParameterMessageUID, "invalid messageUId")
		}
	}
	if _, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_ReceiptResponse{ReceiptResponse: &pb.ReceiptResponse{Conv: wireConv(c), MessageUids: uids}}}); err != nil {
		return err
	}
	return e.applyLocal(&inItem{log: &pb.LogEntry{Conv: wireConv(c), RespondedUids: uids}})
}

// RespondCachedRequests implements sendReadReceiptResponseV2 without a
// message list: it answers every request of c the cache holds (those this
// user has not answered, received in the last 24 hours) and returns them.
func (e *Engine) RespondCachedRequests(ctx context.Context, c Conversation) ([]string, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := validConversation(c); err != nil {
		return nil, err
	}
	if err := e.loadState(ctx); err != nil {
		return nil, err
	}
	cutoff := e.cfg.Now().Add(-RequestCacheTTL).UnixMilli()
	var uids []string
	e.seqMu.Lock()
	if st := e.convs[c.Key()]; st != nil {
		for _, r := range st.Requests {
			if r.ReceivedAt >= cutoff {
				uids = append(uids, r.MessageUID)
			}
		}
	}
	e.seqMu.Unlock()
	if len(uids) == 0 {
		return nil, nil
	}
	err := e.RespondReceipts(ctx, c, uids)
	if code := codes.Of(err); len(uids) > 1 && (code == codes.RRSV5MessageNotExist || code == codes.RRSV5MessageReceiptNeedless) {
		// One of them was recalled or expired meanwhile: answer the rest
		// one by one and drop those that cannot be answered.
		var answered, dropped []string
		for _, u := range uids {
			switch err := e.RespondReceipts(ctx, c, []string{u}); codes.Of(err) {
			case codes.Success:
				answered = append(answered, u)
			case codes.RRSV5MessageNotExist, codes.RRSV5MessageReceiptNeedless:
				dropped = append(dropped, u)
			default:
				return answered, err
			}
		}
		if len(dropped) > 0 {
			e.applyLocal(&inItem{log: &pb.LogEntry{Conv: wireConv(c), RespondedUids: dropped}})
		}
		return answered, nil
	}
	if err != nil {
		return nil, err
	}
	return uids, nil
}

// Readers implements getMessageReader (status 0 or 1: readers) and
// getMessagesReadReceiptUsersByPageV5 (2: members who have not read).
func (e *Engine) Readers(ctx context.Context, c Conversation, uid string, status uint32, pageToken string, count uint32) (*ReadersPage, error) {
	if err := e.checkMessageCall(c, uid); err != nil {
		return nil, err
	}
	r, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Readers{Readers: &pb.ReadersRequest{
		Conv: wireConv(c), MessageUid: uid, ReadStatus: status, PageToken: pageToken, PageCount: count,
	}}})
	if err != nil {
		return nil, err
	}
	res := r.GetReadersResult()
	return &ReadersPage{Users: localReaders(res.GetUsers()), NextPageToken: res.GetNextPageToken(),
		ReadCount: int(res.GetReadCount()), TotalCount: int(res.GetTotalCount())}, nil
}

// ReceiptCounts implements getMessageReadReceiptInfoV5.
func (e *Engine) ReceiptCounts(ctx context.Context, c Conversation, uids []string) ([]ReceiptCount, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := validConversation(c); err != nil {
		return nil, err
	}
	if len(uids) == 0 || len(uids) > MaxReceiptIDs {
		return nil, codes.New(codes.RRSV5ParamLengthExceed, "1-100 messageUIds per call")
	}
	r, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_ReceiptInfo{ReceiptInfo: &pb.ReceiptInfoRequest{Conv: wireConv(c), MessageUids: uids}}})
	if err != nil {
		return nil, err
	}
	var out []ReceiptCount
	for _, in := range r.GetReceiptInfoResult().GetInfos() {
		out = append(out, ReceiptCount{Conversation: c, MessageUID: in.MessageUid, ReadCount: int(in.ReadCount), TotalCount: int(in.TotalCount)})
	}
	return out, nil
}

// heldLocked returns the messages with these uids as this batch last left
// them, or as stored; absent ones are missing from the map.
func (e *Engine) heldLocked(ctx context.Context, bs *batchState, uids []string) map[string]*Message {
	out := map[string]*Message{}
	var ask []string
	for _, u := range uids {
		if _, ok := out[u]; ok || u == "" {
			continue
		}
		found := false
		for _, m := range bs.batch.Messages {
			if m.MessageUID == u {
				out[u], found = m, true
			}
		}
		if !found {
			ask = append(ask, u)
		}
	}
	if len(ask) == 0 {
		return out
	}
	held, err := e.cfg.Store.MessagesByUID(ctx, ask)
	if err != nil || len(held) != len(ask) {
		e.log.Log(LevelWarn, "receipts: read messages", "err", errString(err))
		return out
	}
	for i, m := range held {
		if m == nil {
			continue
		}
		if prev, ok := bs.byID[m.MessageID]; ok {
			m = prev
		}
		out[ask[i]] = m
	}
	return out
}

// applyReceiptsLocked applies the batch's receipt requests and the receipt
// parts of log entries.
func (e *Engine) applyReceiptsLocked(ctx context.Context, me string, bs *batchState) {
	if len(bs.logs) == 0 && len(bs.requests) == 0 {
		return
	}
	var uids []string
	for _, w := range bs.requests {
		uids = append(uids, w.ReceiptRequestOf)
	}
	for _, it := range bs.logs {
		e.responded.note(it.l.RespondedUids) // before this batch's requests, and the later ones'
	}
	for _, it := range bs.logs {
		l := it.l
		uids = append(uids, l.DeliveredUids...)
		uids = append(uids, l.RespondedUids...)
		for _, up := range l.Receipts {
			uids = append(uids, up.MessageUid)
		}
	}
	held := e.heldLocked(ctx, bs, uids)
	now := e.cfg.Now().UnixMilli()
	for _, w := range bs.requests {
		c := localConv(me, w)
		target := held[w.ReceiptRequestOf]
		if target != nil {
			if target.Receipt == nil {
				target.Receipt = &ReceiptInfo{}
			}
			if !target.Receipt.IsRequest {
				target.Receipt.IsRequest = true
				bs.put(target)
			}
			if target.Receipt.HasRespond {
				continue // answered on another device already
			}
		}
		if e.responded.has(w.ReceiptRequestOf) {
			// Answered on another device, whose log entry came first (a sync):
			// not asked again, and the message says so.
			if target != nil && !target.Receipt.HasRespond {
				target.Receipt.HasRespond = true
				bs.put(target)
			}
			continue
		}
		if w.FromUser == me || w.SentTime < now-RequestCacheTTL.Milliseconds() {
			continue // one's own, or asked too long ago (an old request found by sync)
		}
		st := e.stateLocked(bs, c)
		cacheRequest(st, CachedRequest{MessageUID: w.ReceiptRequestOf, Sender: w.FromUser, ReceivedAt: w.SentTime}, now)
		bs.events = append(bs.events, Event{Kind: EventReceiptRequest, Receipt: &ReceiptEvent{Conversation: c, MessageUID: w.ReceiptRequestOf, UserID: w.FromUser}})
	}
	for _, it := range bs.logs {
		l := it.l
		if l.Settings != nil {
			e.applySettingsLocked(bs, l, true)
		}
		c := Conversation{Type: int32(l.Conv.GetType()), TargetID: l.Conv.GetTarget(), ChannelID: l.Conv.GetChannel()}
		switch {
		case l.ReadBy == "":
		case l.ReadBy == me:
			// The sync state may have moved ReadSeq already (a device that
			// was offline): ReadSynced tells whether this read was told.
			st, k := e.stateKeyLocked(bs, c)
			if l.ReadSeq > st.ReadSeq {
				st.ReadSeq = l.ReadSeq
				bs.recount[k] = true
			}
			if l.ReadSeq > st.ReadSynced {
				st.ReadSynced = l.ReadSeq
				bs.events = append(bs.events, Event{Kind: EventSyncRead, Receipt: &ReceiptEvent{Conversation: c, SentTime: l.ReadTime, Told: l.ReadReceipt}})
			}
		default:
			st := e.stateLocked(bs, c)
			if l.ReadSeq > st.PeerReadSeq {
				st.PeerReadSeq = l.ReadSeq
				e.markReadLocked(ctx, bs, c, l.ReadSeq, l.ReadTime)
				bs.events = append(bs.events, Event{Kind: EventReadReceipt, Receipt: &ReceiptEvent{
					Conversation: c, MessageUID: l.ReadUid, SentTime: l.ReadTime, UserID: l.ReadBy, Offline: it.offline,
				}})
			}
		}
		if l.DeliveredTo != "" {
			st := e.stateLocked(bs, c)
			st.PeerDeliveredSeq = max(st.PeerDeliveredSeq, l.DeliveredSeq)
			for _, u := range l.DeliveredUids {
				if m := held[u]; m != nil && m.SentStatus == StatusSent {
					m.SentStatus = StatusReceived
					bs.put(m)
				}
			}
			bs.events = append(bs.events, Event{Kind: EventDelivered, Receipt: &ReceiptEvent{
				Conversation: c, UserID: l.DeliveredTo, MessageUIDs: l.DeliveredUids, Time: l.DeliveredTime,
			}})
		}
		if len(l.Receipts) > 0 {
			e.applyReceiptUpdates(bs, c, l.Receipts, held, it.offline)
		}
		if len(l.RespondedUids) > 0 {
			for _, u := range l.RespondedUids {
				if m := held[u]; m != nil {
					if m.Receipt == nil {
						m.Receipt = &ReceiptInfo{}
					}
					if !m.Receipt.HasRespond {
						m.Receipt.HasRespond = true
						bs.put(m)
					}
				}
			}
			st := e.stateLocked(bs, c)
			st.Requests = slices.DeleteFunc(slices.Clone(st.Requests), func(r CachedRequest) bool {
				return slices.Contains(l.RespondedUids, r.MessageUID)
			})
		}
	}
}

// applyReceiptUpdates merges new readers into the sender's messages and
// emits one MESSAGE_RECEIPT_RESPONSE per responder and one
// MESSAGE_RECEIPT_RESPONSE_V5 with the counts.
func (e *Engine) applyReceiptUpdates(bs *batchState, c Conversation, ups []*pb.ReceiptUpdate, held map[string]*Message, offline bool) {
	var order []string
	byReader := map[string][]string{}
	var counts []ReceiptCount
	for _, up := range ups {
		if m := held[up.MessageUid]; m != nil && m.ObjectName != RecallObjectName {
			if m.Receipt == nil {
				m.Receipt = &ReceiptInfo{}
			}
			rc := m.Receipt
			for _, r := range up.Readers {
				if !slices.ContainsFunc(rc.Readers, func(x Reader) bool { return x.UserID == r.UserId }) {
					rc.Readers = append(rc.Readers, Reader{UserID: r.UserId, Time: r.Time, Content: r.Content})
				}
			}
			rc.ReadCount, rc.TotalCount = max(rc.ReadCount, int(up.ReadCount)), int(up.TotalCount)
			bs.put(m)
		}
		for _, r := range up.Readers {
			if _, ok := byReader[r.UserId]; !ok {
				order = append(order, r.UserId)
			}
			byReader[r.UserId] = append(byReader[r.UserId], up.MessageUid)
		}
		counts = append(counts, ReceiptCount{Conversation: c, MessageUID: up.MessageUid, ReadCount: int(up.ReadCount),
			TotalCount: int(up.TotalCount), Users: localReaders(up.Readers)})
	}
	for _, u := range order {
		bs.events = append(bs.events, Event{Kind: EventReceiptResponse, Receipt: &ReceiptEvent{Conversation: c, UserID: u, MessageUIDs: byReader[u]}})
	}
	bs.events = append(bs.events, Event{Kind: EventReceiptResponseV5, Receipt: &ReceiptEvent{Conversation: c, Counts: counts, Offline: offline}})
}

// markReadLocked turns this user's messages of c up to seq (sent at or
// before t) READ, newest first, until one already is.
func (e *Engine) markReadLocked(ctx context.Context, bs *batchState, c Conversation, seq uint64, t int64) {
	n := 0
	err := e.eachHeld(ctx, c, t+1, func(m *Message) bool {
		if n++; n > 2000 { // bounded work: older ones were read by earlier receipts
			return false
		}
		if prev, ok := bs.byID[m.MessageID]; ok {
			m = prev
		}
		if m.Direction != DirectionSend || m.Seq == 0 || m.Seq > seq {
			return true
		}
		if m.SentStatus == StatusRead {
			return false
		}
		if m.SentStatus >= StatusSent {
			m.SentStatus = StatusRead
			bs.put(m)
		}
		return true
	})
	if err != nil {
		e.log.Log(LevelWarn, "receipts: read history", "err", err.Error())
	}
}

// cacheRequest adds r to st's request cache, keeping the newest
// MaxCachedRequests of the last RequestCacheTTL.
func cacheRequest(st *ConversationState, r CachedRequest, now int64) {
	cutoff := now - RequestCacheTTL.Milliseconds()
	out := make([]CachedRequest, 0, len(st.Requests)+1)
	for _, x := range st.Requests {
		if x.ReceivedAt >= cutoff && x.MessageUID != r.MessageUID {
			out = append(out, x)
		}
	}
	out = append(out, r)
	if len(out) > MaxCachedRequests {
		out = out[len(out)-MaxCachedRequests:]
	}
	st.Requests = out
}
