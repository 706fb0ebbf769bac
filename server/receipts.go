package server

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/imwasm/imwasm/internal/tasks"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Receipts (docs/receipts.md): every kind travels to the user it concerns through
// that user's log (conversation USER_LOG), so it is stored, reaches every
// device once, and waits for devices that are offline:
//   - a read watermark moving: the reader's log (SYNC_READ_STATUS) and, in
//     a private chat, the peer's (READ_RECEIPT_RECEIVED);
//   - delivery: the sender's log once a recipient device acknowledged;
//   - group and needReceipt read receipts: the sender's log, coalesced to
//     one entry per message per ReceiptInterval; the responder's own log
//     (hasRespond on their other devices).
// Receipt requests are markers in the group's sequence: every member sees
// them in order with the messages.

// receiptRefusal is docs/receipts.md's table of refusals: codes with Easemob's reason text.
var (
	errReceiptsOff    = codes.New(codes.RRSV5Unavailable, "group ack msg not open")
	errReceiptDenied  = codes.New(codes.ForbiddenInGroup, "group ack msg permission denied")
	errReceiptMissing = codes.New(codes.RRSV5MessageNotExist, "group ack msg not found")
	errReceiptQuota   = codes.New(codes.SendFrequencyTooFast, "limit send group ack msg")
	errNotSender      = codes.New(codes.RRSV5MessageSenderMismatch, "only the message's sender may do this")
	errNeedless       = codes.New(codes.RRSV5MessageReceiptNeedless, "the message did not ask for receipts")
	errReceiptConf    = codes.New(codes.SendReadReceiptConfError, "receipts cannot be asked for on status or targeted messages")
	// errGroupTooLarge is no refusal: in a group past receiptMaxGroupMembers
	// a message goes without asking, and a request does nothing.
	errGroupTooLarge = errors.New("group past receiptMaxGroupMembers")
)

// asksReceipts reports whether m takes read receipts.
func asksReceipts(m *pb.Message) bool { return m.NeedReceipt || m.ReceiptRequest }

// expired reports whether m is older than the receipt validity.
func (s *Server) receiptExpired(m *pb.Message) bool {
	validity := seconds(s.settings.Load().ReceiptValiditySeconds)
	return s.cfg.Now().Sub(time.UnixMilli(m.SentTime)) > validity
}

// checkAskReceipts applies the policy to user asking for receipts in conv
// (a needReceipt send or a request): switched on, and allowed to this
// member. In a group with a daily quota it returns the quota to take with
// the write.
func (s *Server) checkAskReceipts(ctx context.Context, user string, conv *pb.Conversation) (*store.Quota, error) {
	st := s.settings.Load()
	if !st.ReceiptsEnabled {
		return nil, errReceiptsOff
	}
	if conv.Type != pb.ConversationType_GROUP {
		return nil, nil
	}
	g, err := s.groups.get(ctx, conv.Target)
	if err != nil {
		return nil, err
	}
	if st.ReceiptRequesters == "admins" && g.members[user] < contract.RoleManager {
		return nil, errReceiptDenied
	}
	if st.ReceiptMaxGroupMembers > 0 && len(g.list) > st.ReceiptMaxGroupMembers {
		return nil, errGroupTooLarge
	}
	if st.ReceiptDailyQuota <= 0 {
		return nil, nil
	}
	day := s.cfg.Now().UTC().Format(time.DateOnly)
	return &store.Quota{Key: quotaKey(day, conv.Target), Max: st.ReceiptDailyQuota}, nil
}

// quotaErr turns a spent quota into its refusal.
func quotaErr(err error) error {
	if errors.Is(err, store.ErrQuota) {
		return errReceiptQuota
	}
	return err
}

// quotaKey sorts by day, so a day's keys expire with one range delete.
func quotaKey(day, group string) string { return "rr:" + day + ":" + group }

// receiptMessages finds messages of conv for a receipt call: each must
// exist, be visible to the user (not targeted at others, not before they
// joined or cleared their history, not after they left), and be within
// the receipt validity (unless forever: a private read ack holds for as
// long as the message is kept).
func (ss *session) receiptMessages(ctx context.Context, convID string, uids []string, forever bool) ([]*pb.Message, error) {
	for _, uid := range uids {
		if uid == "" || len(uid) > contract.MaxIDBytes {
			return nil, codes.New(codes.InvalidParameterMessageUID, "invalid messageUId")
		}
	}
	vis, err := ss.visibility(ctx, convID)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.Message, 0, len(uids))
	for _, uid := range uids {
		m, err := vis.message(ctx, uid)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !forever && ss.srv.receiptExpired(m)) {
			return nil, errReceiptMissing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// handleReceiptRequest: sendReadReceiptRequest. Only the sender asks, once
// (asking again answers OK); members learn it from a marker in the group's
// sequence.
func (ss *session) handleReceiptRequest(ctx context.Context, id uint64, r *pb.ReceiptRequest) {
	convID, err := ss.conversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if r.Conv.Type != pb.ConversationType_GROUP {
		ss.replyErr(id, codes.RRSV5ConversationNotSupport, "receipt requests are for group messages")
		return
	}
	if !ss.srv.settings.Load().ReceiptsEnabled {
		ss.replyFor(id, errReceiptsOff)
		return
	}
	ms, err := ss.receiptMessages(ctx, convID, []string{r.MessageUid}, false)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	m := ms[0]
	if m.FromUser != ss.user {
		ss.replyFor(id, errNotSender)
		return
	}
	if m.IsStatus || len(m.DirectedUserIds) > 0 || m.ObjectName == store.RecallObjectName {
		ss.replyFor(id, errReceiptConf)
		return
	}
	if m.ReceiptRequest {
		ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}})
		return
	}
	q, err := ss.srv.checkAskReceipts(ctx, ss.user, r.Conv)
	if errors.Is(err, errGroupTooLarge) {
		ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}})
		return
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	marker := &pb.Message{
		ConvType: pb.ConversationType_GROUP, FromUser: ss.user, To: m.To, Channel: m.Channel,
		ClientMsgId: contract.ReceiptRequestIDPrefix + m.Uid, ObjectName: "RC:RRReqMsg", IsPersisted: true, ReceiptRequestOf: m.Uid,
	}
	mark := func(x *pb.Message) error {
		if x.ObjectName == store.RecallObjectName {
			return errReceiptConf // recalled meanwhile
		}
		x.ReceiptRequest = true
		return nil
	}
	var stored *pb.Message
	if q != nil {
		// The quota is taken in the transaction that marks the message, so
		// a request that loses a race for it is not charged.
		stored, err = ss.srv.store.ModifyCounted(ctx, convID, m.Uid, mark, marker, *q)
		if errors.Is(err, store.ErrQuota) {
			ss.replyFor(id, quotaErr(err))
			return
		}
	} else {
		stored, err = ss.srv.store.Modify(ctx, convID, m.Uid, mark, marker)
	}
	if errors.Is(err, store.ErrExists) {
		ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // a concurrent request won
		return
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.srv.fanOut(ctx, stored, "")
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}

// handleReceiptResponse: sendReadReceiptResponseV2 / V5, and the read
// acks of the other APIs. Every message must take receipts, else nothing
// is recorded: one that asked (needReceipt, a request), or, with unasked,
// any of the peer's in a private chat while private read receipts are on.
func (ss *session) handleReceiptResponse(ctx context.Context, id uint64, r *pb.ReceiptResponse) {
	convID, err := ss.conversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	st := ss.srv.settings.Load()
	private := r.Conv.Type == pb.ConversationType_PRIVATE
	switch {
	case r.Unasked && !private:
		ss.replyFor(id, errNeedless)
		return
	case private && !st.PrivateReadReceiptsEnabled: // asked for (needReceipt) or not
		ss.replyErr(id, codes.RRSV5Unavailable, "private read receipts are off (privateReadReceiptsEnabled)")
		return
	case !r.Unasked && !st.ReceiptsEnabled:
		ss.replyFor(id, errReceiptsOff)
		return
	case len(r.MessageUids) == 0 || len(r.MessageUids) > contract.MaxPerCall:
		ss.replyErr(id, codes.RRSV5ParamLengthExceed, "1-100 messages per call")
		return
	}
	if err := contract.CheckAckContent(r.Content); err != nil {
		ss.replyFor(id, err)
		return
	}
	now := ss.srv.cfg.Now().UnixMilli()
	var reads []store.Read
	seen := map[string]bool{}
	var uids []string
	for _, uid := range r.MessageUids {
		if !seen[uid] {
			seen[uid] = true
			uids = append(uids, uid)
		}
	}
	ms, err := ss.receiptMessages(ctx, convID, uids, r.Unasked)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	for _, m := range ms {
		asked := asksReceipts(m)
		if !asked && !r.Unasked {
			ss.replyFor(id, errNeedless)
			return
		}
		if m.FromUser == ss.user {
			continue // one's own message: nothing to answer
		}
		read := store.Read{UID: m.Uid, Time: now, SentTime: m.SentTime, Content: r.Content}
		if !asked {
			// Kept until the receipt validity after the read (the
			// message may be older than that): long enough to notify.
			read.SentTime = now
		}
		reads = append(reads, read)
	}
	conv := &pb.Conversation{Type: r.Conv.Type, Target: r.Conv.Target, Channel: r.Conv.Channel}
	added, entry, err := ss.srv.store.AddReads(ctx, convID, ss.user, reads, ss.logEntry(&pb.LogEntry{Conv: conv}))
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if entry != nil {
		ss.srv.fanOut(ctx, entry, "")
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // after the fan-out: whatever the caller does next comes after it everywhere
	for _, a := range added {
		ss.srv.touchReceipts(convID, a.UID)
	}
}

// handleReaders: getMessageReader and getMessagesReadReceiptUsersByPageV5.
func (ss *session) handleReaders(ctx context.Context, id uint64, r *pb.ReadersRequest) {
	convID, ms, err := ss.readableReceipts(ctx, r.Conv, []string{r.MessageUid})
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	m := ms[0]
	if r.ReadStatus > 2 {
		ss.replyErr(id, codes.RRSV5QueryNotSupport, "readStatus must be 0, 1 (read) or 2 (unread)")
		return
	}
	count := int(r.PageCount)
	if count == 0 {
		count = 100
	}
	if count > contract.MaxPerCall {
		ss.replyErr(id, codes.InvalidParameterCount, "pageCount must be 1-100")
		return
	}
	offset := 0
	if r.PageToken != "" {
		if offset, err = strconv.Atoi(r.PageToken); err != nil || offset < 0 {
			ss.replyErr(id, codes.InvalidParameter, "invalid pageToken")
			return
		}
	}
	readers, readCount, err := ss.srv.store.Readers(ctx, convID, m.Uid)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	audience, err := ss.srv.receiptAudience(ctx, m)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	var users []*pb.Reader
	if r.ReadStatus == 2 {
		read := make(map[string]bool, len(readers))
		for _, x := range readers {
			read[x.Reader] = true
		}
		for _, u := range audience {
			if !read[u] {
				users = append(users, &pb.Reader{UserId: u})
			}
		}
	} else {
		// The newest receiptMaxReaders are listed (every reader is kept:
		// non-readers are told from them all).
		if max := ss.srv.settings.Load().ReceiptMaxReaders; len(readers) > max {
			readers = readers[len(readers)-max:]
		}
		for _, x := range readers {
			users = append(users, &pb.Reader{UserId: x.Reader, Time: x.Time, Content: x.Content})
		}
	}
	res := &pb.ReadersResult{ReadCount: uint32(readCount), TotalCount: uint32(len(audience))}
	if offset < len(users) {
		end := min(offset+count, len(users))
		res.Users = users[offset:end]
		if end < len(users) {
			res.NextPageToken = strconv.Itoa(end)
		}
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_ReadersResult{ReadersResult: res}})
}

// handleReceiptInfo: getMessageReadReceiptInfoV5.
func (ss *session) handleReceiptInfo(ctx context.Context, id uint64, r *pb.ReceiptInfoRequest) {
	if len(r.MessageUids) == 0 || len(r.MessageUids) > contract.MaxPerCall {
		ss.replyErr(id, codes.RRSV5ParamLengthExceed, "1-100 messages per call")
		return
	}
	convID, msgs, err := ss.readableReceipts(ctx, r.Conv, r.MessageUids)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	counts, err := ss.srv.store.ReadCounts(ctx, convID, r.MessageUids)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	res := &pb.ReceiptInfoResult{}
	for _, m := range msgs {
		audience, err := ss.srv.receiptAudience(ctx, m)
		if err != nil {
			ss.replyFor(id, err)
			return
		}
		res.Infos = append(res.Infos, &pb.ReceiptInfo{MessageUid: m.Uid, ReadCount: uint32(counts[m.Uid]), TotalCount: uint32(len(audience))})
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_ReceiptInfoResult{ReceiptInfoResult: res}})
}

// readableReceipts checks that the user may read these messages'
// receipts: the sender, or any member when the app allows it.
func (ss *session) readableReceipts(ctx context.Context, c *pb.Conversation, uids []string) (string, []*pb.Message, error) {
	convID, err := ss.conversation(ctx, c)
	if err != nil {
		return "", nil, err
	}
	if !ss.srv.settings.Load().ReceiptsEnabled {
		return "", nil, errReceiptsOff
	}
	ms, err := ss.receiptMessages(ctx, convID, uids, false)
	if err != nil {
		return "", nil, err
	}
	for _, m := range ms {
		if m.FromUser != ss.user && ss.srv.settings.Load().ReaderListVisibleTo != "members" {
			return "", nil, errNotSender
		}
		if !asksReceipts(m) {
			return "", nil, errNeedless
		}
	}
	return convID, ms, nil
}

// receiptAudience lists who may read m: the group's members but its
// sender, or the peer of a private chat.
func (s *Server) receiptAudience(ctx context.Context, m *pb.Message) ([]string, error) {
	if m.ConvType != pb.ConversationType_GROUP {
		return []string{m.To}, nil
	}
	g, err := s.groups.get(ctx, m.To)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(g.list))
	for _, u := range g.list {
		if u != m.FromUser {
			out = append(out, u)
		}
	}
	return out, nil
}

// flushReceipts tells a message's sender who newly read it: one entry in
// the sender's log for whatever gathered since the last one.
func (s *Server) flushReceipts(ctx context.Context, convID, uid string) {
	// A failure leaves the readers unnotified: try again a little later
	// (a message that is gone takes its readers with it at expiry).
	retry := func(what string, err error) {
		s.log.Warn("receipt update: "+what, "uid", uid, "err", err)
		if ctx.Err() == nil {
			s.tasks.AfterFunc(time.Second, func() { s.receipts.touch(convID, uid) })
		}
	}
	m, err := s.store.MessageByUID(ctx, convID, uid)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err != nil {
		retry("message", err)
		return
	}
	audience, err := s.receiptAudience(ctx, m)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		retry("audience", err)
		return
	}
	entry, err := s.store.FlushReceipts(ctx, convID, uid, func(readers []store.Read, readCount int) *pb.Message {
		up := &pb.ReceiptUpdate{MessageUid: uid, ReadCount: uint32(readCount), TotalCount: uint32(len(audience))}
		for _, r := range readers {
			up.Readers = append(up.Readers, &pb.Reader{UserId: r.Reader, Time: r.Time, Content: r.Content})
		}
		return userLogEntry(m.FromUser, &pb.LogEntry{
			Conv:     &pb.Conversation{Type: m.ConvType, Target: m.To, Channel: m.Channel},
			Receipts: []*pb.ReceiptUpdate{up},
		})
	})
	if err != nil {
		retry("flush", err)
		return
	}
	if entry != nil {
		s.fanOut(ctx, entry, "")
	}
}

// resumeReceipts notifies what a stop interrupted.
func (s *Server) resumeReceipts(ctx context.Context) {
	pending, err := s.store.Unnotified(ctx)
	if err != nil {
		s.log.Error("resume receipt updates", "err", err)
		return
	}
	for _, p := range pending {
		s.touchReceipts(p[0], p[1])
	}
}

// expireReceipts forgets readers past the validity, and old quotas.
func (s *Server) expireReceipts(ctx context.Context) {
	validity := seconds(s.settings.Load().ReceiptValiditySeconds)
	now := s.cfg.Now()
	yesterday := now.UTC().Add(-24 * time.Hour).Format(time.DateOnly)
	if _, err := s.store.DeleteReceiptsBefore(ctx, now.Add(-validity).UnixMilli(), quotaKey(yesterday, "")); err != nil {
		s.log.Error("expire receipts", "err", err)
	}
}

// handleAck takes a device's acks: they count, and they deliver the
// delivery receipts of private messages up to them. Acks are never rate
// limited (they are the at-least-once path) and never answered, but for a
// frame of bad items: that is refused whole, logged once, counted, and
// answered (33003) only when it carries a request id (an Error of id 0
// would end the connection for the client).
func (ss *session) handleAck(ctx context.Context, id uint64, a *pb.Ack) {
	if err := checkAck(a); err != nil {
		ss.srv.metrics.badFrames.Inc()
		ss.srv.log.Debug("bad ack frame", "user", ss.user, "err", err)
		if id != 0 {
			ss.replyFor(id, err)
		}
		return
	}
	ss.srv.metrics.acks.Add(float64(len(a.GetItems())))
	if !ss.srv.store.HasPendingDeliveries() || ss.srv.nonePending(ctx, ss.user) {
		return
	}
	for _, it := range a.GetItems() {
		if it.Conv.Type != pb.ConversationType_PRIVATE {
			continue
		}
		convID := store.ConvID(ss.user, it.Conv)
		now := ss.srv.cfg.Now().UnixMilli()
		entry, err := ss.srv.store.Delivered(ctx, ss.user, convID, it.Seq, func(sender string, uids []string) *pb.Message {
			return userLogEntry(sender, &pb.LogEntry{
				Conv:        &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: ss.user, Channel: it.Conv.Channel},
				DeliveredTo: ss.user, DeliveredSeq: it.Seq, DeliveredUids: uids, DeliveredTime: now,
			})
		})
		if err != nil {
			ss.srv.log.Warn("delivery receipt", "user", ss.user, "err", err)
			continue
		}
		if entry != nil {
			ss.srv.fanOut(ctx, entry, "")
		}
	}
}

// pendingFinder is a store that can say whether a user has delivery
// receipts pending at all (PostgreSQL: with several nodes, one node cannot
// know what another's appends left pending).
type pendingFinder interface {
	HasPendingFor(ctx context.Context, user string) (bool, error)
}

// pendingHints remembers the users of this node's sessions who have no
// delivery receipt pending, so that their devices' acks (one a second per
// device) ask the store nothing. A message asking for one, stored on any
// node, tells the recipient's nodes first (evPending).
type pendingHints struct {
	mu   sync.Mutex
	gen  uint64 // moves at every mayHavePending: a lookup that began before it counts for nothing
	none map[string]bool
}

// nonePending reports whether user has no delivery receipt pending, asking
// the store at most once until one may be.
func (s *Server) nonePending(ctx context.Context, user string) bool {
	f, ok := s.store.(pendingFinder)
	if !ok {
		return false
	}
	h := &s.pending
	h.mu.Lock()
	none, gen := h.none[user], h.gen
	h.mu.Unlock()
	if none {
		return true
	}
	any, err := f.HasPendingFor(ctx, user)
	if err != nil || any {
		return false
	}
	h.mu.Lock()
	if h.gen == gen && len(s.hub.sessionsOf(user)) > 0 { // kept only while they are here
		if h.none == nil {
			h.none = map[string]bool{}
		}
		h.none[user] = true
	}
	h.mu.Unlock()
	return true
}

// mayHavePending says user may now have a delivery receipt pending, here
// and on the nodes of their sessions.
func (s *Server) mayHavePending(user string) {
	s.pendingMaybe(user)
	s.cluster.tell(user, &busEvent{Kind: evPending, User: user})
}

// pendingMaybeAll forgets what is known of every user (the bus was cut:
// an evPending may have been lost).
func (s *Server) pendingMaybeAll() {
	s.pending.mu.Lock()
	s.pending.gen++
	clear(s.pending.none)
	s.pending.mu.Unlock()
}

func (s *Server) pendingMaybe(user string) {
	s.pending.mu.Lock()
	s.pending.gen++
	delete(s.pending.none, user)
	s.pending.mu.Unlock()
}

// checkAck validates a device's Ack frame as a whole.
func checkAck(a *pb.Ack) error {
	if len(a.Items) > contract.MaxIDs {
		return codes.New(codes.InvalidParameter, "an ack holds at most 1000 items")
	}
	for _, it := range a.Items {
		switch {
		case it.Conv == nil || !contract.ValidID(it.Conv.Target):
			return codes.New(codes.InvalidParameter, "ack item: invalid conversation")
		case it.Seq > contract.MaxSeq:
			return codes.New(codes.InvalidParameter, "ack item: sequence number out of range")
		case it.Conv.Channel != "" && (it.Conv.Type != pb.ConversationType_ULTRA_GROUP || !contract.ValidID(it.Conv.Channel)):
			return codes.New(codes.InvalidParameter, "ack item: a channel is an ultra group's id")
		}
	}
	return nil
}

// readEntries are the log entries a moved read watermark writes: the
// reader's own, for their other sessions (with tell, saying the peer was
// told: tellRead tells them). Nobody else learns of it from these.
func (ss *session) readEntries(conv *pb.Conversation, tell bool) func(uint64, *pb.Message) []*pb.Message {
	return func(seq uint64, last *pb.Message) []*pb.Message {
		var uid string
		var at int64
		if last != nil { // none: the entry still carries the watermark
			uid, at = last.Uid, last.SentTime
		}
		own := &pb.LogEntry{Conv: conv, ReadBy: ss.user, ReadSeq: seq, ReadUid: uid, ReadTime: at, ReadReceipt: tell}
		return []*pb.Message{ss.logEntry(own)}
	}
}

// tellRead tells the peer of a private chat that this user read up to
// message uid (or, without it, last, or else the newest message at or
// below upTo: the read watermark, or the sequence the request named): the
// receipt position moves as with a read receipt, and only forward, so a
// read told once is not told again. It answers the peer's log entry, nil
// when there was nothing new to tell.
func (ss *session) tellRead(ctx context.Context, convID string, conv *pb.Conversation, uid string, last *pb.Message, upTo uint64) (*pb.Message, error) {
	if uid == "" && last != nil {
		uid = last.Uid
	}
	if uid == "" {
		newest, _, err := ss.srv.store.History(ctx, ss.user, convID, 0, 1, false, func(m *pb.Message) bool { return !store.IsMarker(m) && m.Seq <= upTo })
		if err != nil || len(newest) == 0 {
			return nil, err
		}
		uid = newest[0].Uid
	}
	entry, err := ss.srv.store.MarkReceipt(ctx, ss.user, convID, uid, ss.peerReadEntry(conv))
	if errors.Is(err, store.ErrNotFound) {
		return nil, codes.New(codes.InvalidParameterMessageUID, "no such message")
	}
	return entry, err
}

// peerReadEntry is the log entry that tells the peer of private chat conv
// this user read up to a message (READ_RECEIPT_RECEIVED).
func (ss *session) peerReadEntry(conv *pb.Conversation) func(uint64, *pb.Message) *pb.Message {
	return func(seq uint64, m *pb.Message) *pb.Message {
		return userLogEntry(conv.Target, &pb.LogEntry{
			Conv:   &pb.Conversation{Type: conv.Type, Target: ss.user, Channel: conv.Channel},
			ReadBy: ss.user, ReadSeq: seq, ReadUid: m.Uid, ReadTime: m.SentTime,
		})
	}
}

// handleReadReceipt is sendReadReceiptMessage: the peer of a private chat
// learns, through their log, that this user read up to message uid. The
// reader's own watermark and counts stay (clearMessagesUnreadStatus moves
// them); a receipt for a message at or before the last one told sends
// nothing again. privateReadReceiptsEnabled off: refused, nothing sent.
func (ss *session) handleReadReceipt(ctx context.Context, id uint64, convID string, conv *pb.Conversation, uid string) {
	switch {
	case conv.Type != pb.ConversationType_PRIVATE:
		ss.replyErr(id, codes.InvalidParameterConversationType, "read receipts by message are for private chats")
		return
	case uid == "":
		ss.replyErr(id, codes.InvalidParameterMessageUID, "messageUId required")
		return
	case !ss.srv.settings.Load().PrivateReadReceiptsEnabled:
		ss.replyErr(id, codes.RRSV5Unavailable, "private read receipts are off (privateReadReceiptsEnabled)")
		return
	case conv.Target == ss.user:
		// A chat with oneself: there is nobody to tell (the entry would
		// land in the user's own log and read as their own read).
		ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}})
		return
	}
	entry, err := ss.srv.store.MarkReceipt(ctx, ss.user, convID, uid, ss.peerReadEntry(conv))
	switch {
	case errors.Is(err, store.ErrNotMember):
		ss.replyErr(id, codes.NotInGroup, "no such conversation")
		return
	case errors.Is(err, store.ErrNotFound):
		ss.replyErr(id, codes.InvalidParameterMessageUID, "no such message")
		return
	case err != nil:
		ss.replyFor(id, err)
		return
	}
	if entry != nil {
		ss.srv.fanOut(ctx, entry, "")
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}

// notifier coalesces receipt updates: for each message, at most one flush
// per interval; the first comes at once, later ones gather what arrived.
type notifier struct {
	every time.Duration
	tasks *tasks.Group // the server's: its flushes and timers are the server's tasks
	flush func(convID, uid string)
	mu    sync.Mutex
	state map[[2]string]*noteState
}

type noteState struct {
	last  time.Time
	armed bool
}

func newNotifier(every time.Duration, tg *tasks.Group, flush func(convID, uid string)) *notifier {
	return &notifier{every: every, tasks: tg, flush: flush, state: map[[2]string]*noteState{}}
}

// touch says message uid of convID has readers to notify.
func (n *notifier) touch(convID, uid string) {
	k := [2]string{convID, uid}
	n.mu.Lock()
	st := n.state[k]
	if st == nil {
		st = &noteState{}
		n.state[k] = st
	}
	if st.armed {
		n.mu.Unlock()
		return // the scheduled flush takes these readers too
	}
	st.armed = true
	wait := time.Until(st.last.Add(n.every))
	n.mu.Unlock()
	// Once the server is closing neither runs: what is left unnotified is
	// notified after the next start (resumeReceipts).
	if wait <= 0 {
		n.tasks.Go(func() { n.fire(k) })
		return
	}
	n.tasks.AfterFunc(wait, func() { n.fire(k) })
}

func (n *notifier) fire(k [2]string) {
	n.mu.Lock()
	st := n.state[k]
	// Disarmed before flushing: a reader arriving during the flush arms
	// the next one, due an interval after this.
	st.armed, st.last = false, time.Now()
	n.mu.Unlock()
	n.flush(k[0], k[1])
	n.tasks.AfterFunc(n.every, func() {
		n.mu.Lock()
		if st := n.state[k]; st != nil && !st.armed && time.Since(st.last) >= n.every {
			delete(n.state, k)
		}
		n.mu.Unlock()
	})
}
