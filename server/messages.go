package server

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/bus"
	"github.com/imwasm/imwasm/server/store"
)

// maxPull is the most messages one Pull answers with (fewer when they
// pass contract.PageBytes).
const maxPull = 500

// conversation checks a client-named conversation and returns its
// canonical id; for groups it also checks membership.
func (ss *session) conversation(ctx context.Context, c *pb.Conversation) (string, error) {
	convID, _, err := ss.conversationGroup(ctx, c)
	return convID, err
}

// ownConversation is conversation for what a user does to their own view
// of it (its history, reading it, its settings, deleting or clearing its
// messages): a
// group they left, or one dismissed, is still theirs, with its history up
// to then, its unread messages and its pin. Only a group they were never
// in is refused.
func (ss *session) ownConversation(ctx context.Context, c *pb.Conversation) (string, error) {
	convID, err := ss.conversation(ctx, c)
	if codes.Of(err) != codes.NotInGroup {
		return convID, err
	}
	convID = store.ConvID(ss.user, c)
	if _, _, verr := ss.srv.store.VisibleRange(ctx, ss.user, convID); verr != nil {
		if errors.Is(verr, store.ErrNotMember) {
			return "", err
		}
		return "", verr
	}
	return convID, nil
}

// conversationGroup is conversation that also returns the group of a
// group conversation (nil otherwise), so a send looks it up once.
func (ss *session) conversationGroup(ctx context.Context, c *pb.Conversation) (string, *groupInfo, error) {
	if c == nil {
		return "", nil, codes.New(codes.InvalidParameter, "conversation required")
	}
	if !contract.ValidID(c.Target) {
		return "", nil, codes.New(codes.InvalidParameterTargetID, "invalid target id")
	}
	if c.Channel != "" && c.Type != pb.ConversationType_ULTRA_GROUP {
		return "", nil, codes.New(codes.InvalidParameter, "a channel is for ultra groups")
	}
	var g *groupInfo
	switch c.Type {
	case pb.ConversationType_PRIVATE:
	case pb.ConversationType_GROUP:
		var err error
		g, err = ss.srv.groups.get(ctx, c.Target)
		if errors.Is(err, store.ErrNotFound) || (err == nil && g.members[ss.user] == 0) {
			return "", nil, codes.New(codes.NotInGroup, "not in group")
		}
		if err != nil {
			return "", nil, err
		}
	case pb.ConversationType_ULTRA_GROUP:
		convID, _, err := ss.srv.ultraConversation(ctx, ss.user, c)
		return convID, nil, err
	default:
		return "", nil, codes.New(codes.InvalidParameterConversationType, "unsupported conversation type")
	}
	return store.ConvID(ss.user, c), g, nil
}

// otherConversation reports whether stored, found by m's client id, is a
// message of another conversation than m's: the id is then no resend's.
func otherConversation(stored, m *pb.Message) bool {
	return stored.ConvType != m.ConvType || stored.To != m.To || stored.Channel != m.Channel
}

// maySpeak refuses a user who may not put words in front of c's members
// (g: its group, for a group): muted in the group or the ultra group, or
// blocked by the peer. Sends and edits both ask: an edit is new text in
// front of them too.
func (ss *session) maySpeak(ctx context.Context, c *pb.Conversation, g *groupInfo) error {
	now := ss.srv.cfg.Now().UnixMilli()
	switch c.Type {
	case pb.ConversationType_GROUP:
		if g.mutedAt(ss.user, now) {
			return codes.New(codes.ForbiddenInGroup, "muted in the group")
		}
	case pb.ConversationType_ULTRA_GROUP:
		ug, err := ss.srv.ultraGroups.get(ctx, c.Target)
		if err != nil {
			return err
		}
		if ultraMuted(ug, ss.user, now) {
			return codes.New(codes.ForbiddenInUltraGroup, "muted in the ultra group")
		}
	case pb.ConversationType_PRIVATE:
		return ss.srv.checkNotBlocked(ctx, c.Target, ss.user)
	}
	return nil
}

func (ss *session) handleSend(ctx context.Context, id uint64, r *pb.SendRequest) {
	if !ss.srv.limits.allowSend(ss.user, ss.srv.cfg.Now()) {
		ss.srv.metrics.rateLimited.Inc()
		ss.replyErr(id, codes.SendFrequencyTooFast, "send frequency too fast")
		return
	}
	if err := contract.CheckSend(r, ss.srv.cfg.MaxContentBytes); err != nil {
		ss.replyFor(id, err)
		return
	}
	if err := contract.CheckSentType(r.ObjectName); err != nil {
		ss.replyFor(id, err)
		return
	}
	if !contract.ValidClientMsgID(r.ClientMsgId) {
		ss.replyErr(id, codes.InvalidParameter, "invalid client_msg_id (1-64 characters of [A-Za-z0-9_.@-], not beginning rc. rr. ed. ex. kv-)")
		return
	}
	// A refusal of who may send what where: such rules may have changed
	// since a first try that was stored (its ack lost), whose resend is
	// answered as the stored message (docs/protocol.md), not refused.
	// Looked up on such a refusal only (the sends that pass pay nothing;
	// the rate limit above bounds the lookups).
	refuse := func(err error) {
		if ack := ss.storedResend(ctx, r); ack != nil {
			ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_SendAck{SendAck: ack}})
			return
		}
		ss.replyFor(id, err)
	}
	var convID string
	var g *groupInfo
	var err error
	if r.Conv.GetType() == pb.ConversationType_CHATROOM {
		convID, err = ss.chatroomConversation(ctx, r.Conv, true)
	} else {
		convID, g, err = ss.conversationGroup(ctx, r.Conv)
	}
	if err != nil {
		refuse(err)
		return
	}
	if err := ss.maySpeak(ctx, r.Conv, g); err != nil {
		refuse(err)
		return
	}
	if err := ss.checkDirected(ctx, r); err != nil {
		refuse(err)
		return
	}
	var quota *store.Quota // receipts asked in a group: taken with the write
	if r.NeedReceipt {
		switch quota, err = ss.srv.checkAskReceipts(ctx, ss.user, r.Conv); {
		case errors.Is(err, errGroupTooLarge):
			r.NeedReceipt, err = false, nil
		case err != nil:
			refuse(err)
			return
		}
	}
	m := &pb.Message{
		ConvType:            r.Conv.Type,
		FromUser:            ss.user,
		To:                  r.Conv.Target,
		Channel:             r.Conv.Channel,
		ClientMsgId:         r.ClientMsgId,
		ObjectName:          r.ObjectName,
		Content:             r.Content,
		IsPersisted:         r.IsPersisted,
		IsCounted:           r.IsCounted,
		IsMentioned:         r.IsMentioned,
		MentionedInfo:       r.MentionedInfo,
		DisableNotification: r.DisableNotification,
		PushContent:         r.PushContent,
		PushData:            r.PushData,
		PushConfig:          r.PushConfig,
		DirectedUserIds:     r.DirectedUserIds,
		CanIncludeExpansion: r.CanIncludeExpansion,
		Expansion:           r.Expansion,
		NeedReceipt:         r.NeedReceipt,
		DeliveryReceipt:     r.DeliveryReceipt && r.Conv.Type == pb.ConversationType_PRIVATE && !r.IsStatus,
	}
	if r.IsStatus {
		ss.sendStatus(ctx, id, m)
		return
	}
	// The app's backend may block or replace it before it is stored.
	if err := ss.srv.beforeSend(ctx, m); err != nil {
		ss.replyFor(id, err)
		return
	}
	ackOf := func(stored *pb.Message, dup bool) *pb.SendAck {
		ack := &pb.SendAck{MessageUid: stored.Uid, Seq: stored.Seq, SentTime: stored.SentTime, Duplicate: dup, ClientMsgId: stored.ClientMsgId}
		if stored.ObjectName != r.ObjectName || !bytes.Equal(stored.Content, r.Content) {
			// Stored as the app's backend replaced it (now or on the first try).
			ack.Replaced, ack.ObjectName, ack.Content = true, stored.ObjectName, stored.Content
		}
		return ack
	}
	if t := r.Conv.Type; t == pb.ConversationType_CHATROOM || t == pb.ConversationType_ULTRA_GROUP {
		// In the room's (the channel's) order: its fan-out too (see
		// roomIndex.inOrder).
		stored, dup, err := ss.srv.appendInOrder(ctx, convID, m, ss.id)
		if errors.Is(err, store.ErrNotFound) {
			ss.replyErr(id, codes.RCChatroomNotExist, "the chat room was destroyed")
			return
		}
		if err != nil {
			ss.replyFor(id, err)
			return
		}
		if otherConversation(stored, m) {
			ss.replyErr(id, codes.InvalidParameter, "clientMsgId names a message of another conversation")
			return
		}
		ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_SendAck{SendAck: ackOf(stored, dup)}})
		return
	}
	start := time.Now()
	var stored *pb.Message
	var dup bool
	if quota != nil {
		stored, dup, err = ss.srv.store.AppendCounted(ctx, convID, m, *quota)
	} else {
		stored, dup, err = ss.srv.store.Append(ctx, convID, m)
	}
	if err != nil {
		ss.replyFor(id, quotaErr(err))
		return
	}
	ss.srv.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	ack := &pb.Frame{Id: id, Body: &pb.Frame_SendAck{SendAck: ackOf(stored, dup)}}
	if dup {
		if otherConversation(stored, m) {
			// The id names another conversation's message: not a resend.
			ss.replyErr(id, codes.InvalidParameter, "clientMsgId names a message of another conversation")
			return
		}
		ss.srv.metrics.duplicates.Inc()
		if stored.DeliveryReceipt && stored.To != stored.FromUser {
			ss.srv.mayHavePending(stored.To) // the first try may have stopped before it told
		}
		ss.reply(ack)
		return
	}
	ss.srv.metrics.messages.Inc()
	ss.srv.wakeWebhooks() // its event, if the webhook is set
	if stored.DeliveryReceipt && stored.To != stored.FromUser {
		// Before its push: the recipient's node learns first that an
		// ack of theirs may deliver it (both go on their subject).
		ss.srv.mayHavePending(stored.To)
	}
	// Fan out before the ack goes: once the sender has it, every session
	// online then has the message queued, and a device that connects
	// later gets it by sync (flagged offline).
	ss.srv.fanOut(ctx, stored, ss.id)
	ss.reply(ack)
}

// checkDirected validates a targeted message's recipients: only members
// of the group (contract.CheckSend: group messages only).
func (ss *session) checkDirected(ctx context.Context, r *pb.SendRequest) error {
	if len(r.DirectedUserIds) == 0 {
		return nil
	}
	g, err := ss.srv.groups.get(ctx, r.Conv.Target)
	if err != nil {
		return err
	}
	for _, u := range r.DirectedUserIds {
		if g.members[u] == 0 {
			return codes.New(codes.InvalidParameter, "directionalUserIdList names a user who is not in the group: "+truncate(u, 64))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// On a character boundary: the text goes into a protobuf string, and
	// a cut UTF-8 sequence makes the whole frame undecodable.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// visible is what one user may see of a conversation: its messages from
// start to last (from the user's joining, or the history they cleared, to
// their leaving), except those targeted at others.
type visible struct {
	ss          *session
	convID      string
	start, last uint64
}

// notInCode is the code for a conversation of type t the user is not in.
func notInCode(t pb.ConversationType) int32 {
	if t == pb.ConversationType_ULTRA_GROUP {
		return codes.NotInUltraGroup
	}
	return codes.NotInGroup
}

// visibility reads the user's visible range of convID (22406 in a group
// they never joined).
func (ss *session) visibility(ctx context.Context, convID string) (*visible, error) {
	start, last, err := ss.srv.store.VisibleRange(ctx, ss.user, convID)
	if errors.Is(err, store.ErrNotMember) {
		typ, _, _, _ := store.ParseConvID(convID)
		return nil, codes.New(notInCode(typ), "not in conversation")
	}
	if err != nil {
		return nil, err
	}
	return &visible{ss, convID, start, last}, nil
}

// message returns message uid if the user may see it, store.ErrNotFound
// if not: absent and invisible are one answer, so nobody learns of
// messages they may not see by their ids. Markers are not messages.
func (v *visible) message(ctx context.Context, uid string) (*pb.Message, error) {
	m, err := v.ss.srv.store.MessageByUID(ctx, v.convID, uid)
	if err != nil {
		return nil, err
	}
	if store.IsMarker(m) || !store.VisibleTo(m, v.ss.user) || m.Seq < v.start || m.Seq > v.last {
		return nil, store.ErrNotFound
	}
	return m, nil
}

// sendStatus forwards a status message (is_status) to the conversation's
// online sessions without storing it: no sequence number, no sync.
func (ss *session) sendStatus(ctx context.Context, id uint64, m *pb.Message) {
	now := time.Now()
	m.Uid, m.SentTime, m.IsStatus = ss.srv.uids.Next(now), now.UnixMilli(), true
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_SendAck{SendAck: &pb.SendAck{
		MessageUid: m.Uid, SentTime: m.SentTime, ClientMsgId: m.ClientMsgId,
	}}})
	ss.srv.fanOut(ctx, m, ss.id)
}

// fanOut pushes a stored message to the online sessions of everyone in its
// conversation, except the session that sent it (it has the SendAck).
// Members a targeted message is not for get its tombstone.
func (s *Server) fanOut(ctx context.Context, m *pb.Message, exceptSession string) {
	var users []string
	switch m.ConvType {
	case pb.ConversationType_CHATROOM:
		s.publishRoom(ctx, &pb.Push{Messages: []*pb.Message{m}}, m.To, exceptSession)
		return
	case pb.ConversationType_ULTRA_GROUP:
		s.publishUltra(ctx, &pb.Push{Messages: []*pb.Message{m}}, m.To, m.Channel, exceptSession)
		return
	case pb.ConversationType_GROUP:
		g, err := s.groups.get(ctx, m.To)
		if err != nil {
			s.log.Error("fan-out: group", "group", m.To, "err", err)
			return
		}
		users = g.list
		if len(m.DirectedUserIds) > 0 {
			var others []string
			users = nil
			for _, u := range g.list {
				if store.VisibleTo(m, u) {
					users = append(users, u)
				} else {
					others = append(others, u)
				}
			}
			if m.Seq > 0 && len(others) > 0 {
				s.publish(ctx, store.Tombstone(m), others, "")
			}
		}
	default:
		users = []string{m.FromUser}
		if m.To != m.FromUser {
			users = append(users, m.To)
		}
	}
	s.publish(ctx, m, users, exceptSession)
}

// fanOutTo pushes m to users' sessions (admin-made messages).
func (s *Server) fanOutTo(ctx context.Context, m *pb.Message, users []string) {
	s.publish(ctx, m, users, "")
}

// publish encodes the push once for every recipient session.
func (s *Server) publish(ctx context.Context, m *pb.Message, users []string, exceptSession string) {
	s.publishPush(ctx, &pb.Push{Messages: []*pb.Message{m}}, users, exceptSession)
}

func (s *Server) publishPush(ctx context.Context, p *pb.Push, users []string, exceptSession string) {
	if len(users) == 0 {
		return
	}
	frame, err := (&pb.Frame{Body: &pb.Frame_Push{Push: p}}).Marshal()
	if err != nil {
		s.log.Error("encode push", "err", err)
		return
	}
	// A delivery names its users: in parts, so that one for a group of
	// 100,000 stays well inside a bus message (NATS: 1 MB by default).
	for len(users) > 0 {
		part := users[:min(len(users), maxDeliveryUsers)]
		users = users[len(part):]
		if err := s.bus.Publish(ctx, &bus.Delivery{Users: part, Except: exceptSession, Frame: frame}); err != nil {
			// The message is stored: devices get it by sync.
			s.log.Warn("fan-out publish", "err", err)
		}
	}
}

// maxDeliveryUsers bounds the users of one bus delivery (ids are ≤ 64
// bytes: 10,000 of them ≤ 660 KB).
const maxDeliveryUsers = 10000

func (ss *session) handleSync(ctx context.Context, id uint64, r *pb.SyncRequest) {
	if r.SinceVersion > contract.MaxSeq {
		ss.replyErr(id, codes.InvalidParameter, "since_version out of range")
		return
	}
	version, convs, err := ss.srv.store.Changes(ctx, ss.user, r.SinceVersion)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	tags, err := ss.srv.store.TagsVersion(ctx, ss.user)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	res := &pb.SyncResult{Version: version, Conversations: convs, TagsVersion: tags}
	if r.Paged {
		res.Conversations, res.Cursor = syncPage(convs, r.Cursor, ss.srv.syncPageBytes)
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_SyncResult{SyncResult: res}})
}

// syncPage cuts the page of changes after cursor, within limit bytes
// (contract.PageBytes), in a fixed order (the user's log first): the
// changes are read whole again for each page, and a conversation changed
// meanwhile keeps its place (one new to the changes is in a later page,
// or, before the cursor, at the next sync: the device keeps the first
// page's version). It answers the next page's cursor, "" after the last.
func syncPage(convs []*pb.ConversationState, cursor string, limit int) ([]*pb.ConversationState, string) {
	key := func(s *pb.ConversationState) string {
		if s.Conv.GetType() == pb.ConversationType_USER_LOG {
			return "0" // first: what it says of the others is known when they come
		}
		return fmt.Sprintf("1/%d/%s/%s", s.Conv.GetType(), s.Conv.GetTarget(), s.Conv.GetChannel())
	}
	slices.SortFunc(convs, func(a, b *pb.ConversationState) int { return strings.Compare(key(a), key(b)) })
	if cursor != "" {
		from, _ := slices.BinarySearchFunc(convs, cursor, func(s *pb.ConversationState, c string) int {
			if k := key(s); k <= c {
				return -1
			}
			return 1
		})
		convs = convs[from:]
	}
	size := 0
	for i, s := range convs {
		if size += s.Size() + 4; i > 0 && size > limit {
			return convs[:i], key(convs[i-1])
		}
	}
	return convs, ""
}

func (ss *session) handlePull(ctx context.Context, id uint64, r *pb.PullRequest) {
	if r.Conv == nil || !contract.ValidID(r.Conv.Target) {
		ss.replyErr(id, codes.InvalidParameterTargetID, "invalid target id")
		return
	}
	switch r.Conv.Type {
	case pb.ConversationType_PRIVATE, pb.ConversationType_GROUP:
	case pb.ConversationType_ULTRA_GROUP: // the member's row of the channel bounds what they read
		if r.Conv.Channel != "" && !contract.ValidID(r.Conv.Channel) {
			ss.replyErr(id, codes.UltraGroupChannelIDNotExist, "invalid channel id")
			return
		}
	case pb.ConversationType_USER_LOG: // one's own log only (ConvID ignores the target)
	case pb.ConversationType_CHATROOM: // a gap in the live stream: members only
		if _, err := ss.chatroomConversation(ctx, r.Conv, false); err != nil {
			ss.replyFor(id, err)
			return
		}
	default:
		ss.replyErr(id, codes.InvalidParameterConversationType, "unsupported conversation type")
		return
	}
	if r.AfterSeq > contract.MaxSeq {
		ss.replyErr(id, codes.InvalidParameter, "after_seq out of range")
		return
	}
	limit := int(r.Limit)
	if limit <= 0 || limit > maxPull {
		limit = maxPull
	}
	cfg := ss.srv.cfg
	msgs, start, last, err := ss.srv.store.Pull(ctx, ss.user, store.ConvID(ss.user, r.Conv), r.AfterSeq, limit,
		cfg.Now().Add(-cfg.NewDeviceWindow), cfg.NewDeviceMax)
	if errors.Is(err, store.ErrNotMember) {
		ss.replyErr(id, notInCode(r.Conv.Type), "not in conversation")
		return
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	for i, m := range msgs {
		if !store.VisibleTo(m, ss.user) {
			msgs[i] = store.Tombstone(m)
		}
	}
	if err := ss.srv.hideMarkersOfRecalled(ctx, store.ConvID(ss.user, r.Conv), msgs); err != nil {
		ss.replyFor(id, err)
		return
	}
	msgs, _ = capPage(msgs)
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: msgs, LastSeq: last, StartSeq: start}}})
}

// hideMarkersOfRecalled turns the edit, expansion and receipt-request
// markers of a recalled message in a pulled page into tombstones: the
// recall rewrote the message so that a device that never saw it never
// will (an edit's marker holds its text too), and a receipt for it may no
// longer be asked. Markers are rare, so the lookups are few.
func (s *Server) hideMarkersOfRecalled(ctx context.Context, convID string, msgs []*pb.Message) error {
	var page map[string]*pb.Message
	for i, m := range msgs {
		target := cmp.Or(m.ModifyOf, m.ExpansionOf, m.ReceiptRequestOf)
		if target == "" {
			continue
		}
		if page == nil {
			page = make(map[string]*pb.Message, len(msgs))
			for _, x := range msgs {
				if x.Uid != "" {
					page[x.Uid] = x
				}
			}
		}
		orig, ok := page[target]
		if !ok {
			var err error
			switch orig, err = s.store.MessageByUID(ctx, convID, target); {
			case errors.Is(err, store.ErrNotFound):
				continue
			case err != nil:
				return fmt.Errorf("looking up the message of a marker: %w", err)
			}
		}
		if orig.ObjectName == store.RecallObjectName && !store.IsMarker(orig) {
			msgs[i] = store.Tombstone(m)
		}
	}
	return nil
}

// handleRead moves the read watermark (clearMessagesUnreadStatus): the log
// entry it writes tells the user's other devices, and nobody else. With
// receipt it is sendReadReceiptMessage instead (handleReadReceipt).
func (ss *session) handleRead(ctx context.Context, id uint64, r *pb.ReadRequest) {
	convID, err := ss.ownConversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if len(r.MessageUid) > contract.MaxIDBytes {
		ss.replyErr(id, codes.InvalidParameterMessageUID, "invalid messageUId")
		return
	}
	if r.Seq > contract.MaxSeq {
		ss.replyErr(id, codes.InvalidParameter, "seq out of range")
		return
	}
	conv := &pb.Conversation{Type: r.Conv.Type, Target: r.Conv.Target, Channel: r.Conv.Channel}
	switch {
	case r.Receipt && r.TellPeer:
		ss.replyErr(id, codes.InvalidParameter, "receipt and tellPeer are exclusive")
		return
	case r.Receipt:
		ss.handleReadReceipt(ctx, id, convID, conv, r.MessageUid)
		return
	case r.TellPeer && conv.Type == pb.ConversationType_PRIVATE && !ss.srv.settings.Load().PrivateReadReceiptsEnabled:
		ss.replyErr(id, codes.RRSV5Unavailable, "private read receipts are off (privateReadReceiptsEnabled)")
		return
	}
	var last *pb.Message // the newest message the read reached, when it moved
	entriesFor := ss.readEntries(conv, r.TellPeer)
	watermark, entries, err := ss.srv.store.MarkRead(ctx, ss.user, convID, r.Seq, r.MessageUid, func(seq uint64, m *pb.Message) []*pb.Message {
		last = m
		return entriesFor(seq, m)
	})
	if err != nil {
		switch {
		case errors.Is(err, store.ErrNotMember):
			ss.replyErr(id, codes.NotInGroup, "no such conversation")
		case errors.Is(err, store.ErrNotFound):
			ss.replyErr(id, codes.InvalidParameterMessageUID, "no such message")
		default:
			ss.replyFor(id, err)
		}
		return
	}
	if r.TellPeer && conv.Type == pb.ConversationType_PRIVATE && conv.Target != ss.user {
		// The peer is told through the receipt position, moved or not by
		// this read (an earlier plain read may have moved the watermark),
		// up to what the request named and no further than the watermark.
		upTo := watermark
		if r.Seq > 0 {
			upTo = min(upTo, r.Seq)
		}
		entry, err := ss.tellRead(ctx, convID, conv, r.MessageUid, last, upTo)
		if err != nil {
			ss.replyFor(id, err)
			return
		}
		if entry != nil {
			entries = append(entries, entry)
		}
	}
	for _, e := range entries {
		ss.srv.fanOut(ctx, e, "")
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}

// capPage keeps a page of messages within contract.PageBytes encoded (a
// client's frame is 1 MiB), cutting it before the first message that would
// pass it; the first message always goes (one fits a frame: see
// contract.MessageBytes).
func capPage(msgs []*pb.Message) ([]*pb.Message, bool) {
	size := 0
	for i, m := range msgs {
		size += m.Size() + 4 // the repeated field's tag and length
		if i > 0 && size > contract.PageBytes {
			return msgs[:i], true
		}
	}
	return msgs, false
}

func (ss *session) handleHistory(ctx context.Context, id uint64, r *pb.HistoryRequest) {
	var convID string
	var err error
	if r.Conv.GetType() == pb.ConversationType_CHATROOM {
		convID, err = ss.chatroomConversation(ctx, r.Conv, false)
	} else {
		// A group left is read up to the leaving (the store's visible range).
		convID, err = ss.ownConversation(ctx, r.Conv)
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if r.Count < 1 || r.Count > contract.MaxPerCall {
		ss.replyErr(id, codes.InvalidParameterCount, "count must be 1-100")
		return
	}
	if r.Order > 1 || r.Timestamp < 0 {
		ss.replyErr(id, codes.InvalidParameter, "order must be 0 or 1, timestamp not negative")
		return
	}
	if err := checkHistoryNarrowing(r); err != nil {
		ss.replyFor(id, err)
		return
	}
	kept := func(*pb.Message) bool { return true }
	if r.Conv.GetType() == pb.ConversationType_CHATROOM {
		kept = ss.srv.chatroomKept(ss.srv.cfg.Now())
	}
	msgs, more, next, err := ss.srv.history(ctx, ss.user, convID, r, func(m *pb.Message) bool {
		return !store.IsMarker(m) && store.VisibleTo(m, ss.user) && kept(m)
	})
	if errors.Is(err, store.ErrNotMember) {
		ss.replyErr(id, notInCode(r.Conv.Type), "not in conversation")
		return
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if page, cut := capPage(msgs); cut {
		msgs, more = page, true // the rest on the next page
		next = page[len(page)-1].SentTime
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: msgs, HasMore: more, NextTimestamp: next}}})
}

// checkHistoryNarrowing refuses narrowing a history page cannot apply.
func checkHistoryNarrowing(r *pb.HistoryRequest) error {
	if len(r.ObjectNames) > 20 {
		return codes.New(codes.InvalidParameter, "at most 20 message types")
	}
	for _, o := range r.ObjectNames {
		if o == "" || len(o) > contract.MaxIDBytes {
			return codes.New(codes.InvalidParameter, "message types of 1-64 bytes")
		}
	}
	if r.Sender != "" && !contract.ValidID(r.Sender) {
		return codes.New(codes.InvalidParameter, "invalid sender")
	}
	if r.Bound < 0 {
		return codes.New(codes.InvalidParameter, "bound not negative")
	}
	return nil
}

// history is a page of r's history of convID for user, of the messages
// visible passes, narrowed as r asks; next is where the page after it
// starts.
func (s *Server) history(ctx context.Context, user, convID string, r *pb.HistoryRequest, visible func(*pb.Message) bool) (out []*pb.Message, more bool, next int64, err error) {
	newer := r.Order == 1
	next = r.Timestamp
	if len(r.ObjectNames) == 0 && r.Sender == "" && r.Bound == 0 {
		out, more, err = s.store.History(ctx, user, convID, r.Timestamp, int(r.Count), newer, visible)
		if len(out) > 0 {
			next = out[len(out)-1].SentTime
		}
		return out, more, next, err
	}
	// Narrowed: the visible messages a store page at a time, each judged
	// here, up to Config.HistoryScanMax of them (a type no message has
	// must not walk a long conversation whole).
	for scanned := 0; ; {
		page, pageMore, err := s.store.History(ctx, user, convID, next, contract.MaxPerCall, newer, visible)
		if err != nil {
			return nil, false, 0, err
		}
		for _, m := range page {
			if r.Bound > 0 && (newer && m.SentTime > r.Bound || !newer && m.SentTime < r.Bound) {
				return out, false, next, nil
			}
			if (len(r.ObjectNames) == 0 || slices.Contains(r.ObjectNames, m.ObjectName)) && (r.Sender == "" || m.FromUser == r.Sender) {
				if len(out) == int(r.Count) {
					return out, true, next, nil
				}
				out = append(out, m)
			}
			next = m.SentTime
			if m.SentTime == r.Bound {
				return out, false, next, nil // (times are a conversation's own: none other at it)
			}
			if scanned++; scanned == s.cfg.HistoryScanMax {
				return out, true, next, nil
			}
		}
		if !pageMore {
			return out, false, next, nil
		}
	}
}

// storedResend is the ack of a message this session's user already stored
// with r's client id in r's conversation (a resend whose first try's ack
// was lost), or nil.
func (ss *session) storedResend(ctx context.Context, r *pb.SendRequest) *pb.SendAck {
	prev, err := ss.srv.store.MessageByClientID(ctx, ss.user, r.ClientMsgId)
	if err != nil || prev == nil || prev.ConvType != r.Conv.GetType() || prev.To != r.Conv.GetTarget() || prev.Channel != r.Conv.GetChannel() {
		return nil
	}
	ss.srv.metrics.duplicates.Inc()
	ack := &pb.SendAck{MessageUid: prev.Uid, Seq: prev.Seq, SentTime: prev.SentTime, Duplicate: true, ClientMsgId: prev.ClientMsgId}
	if prev.ObjectName != r.ObjectName || !bytes.Equal(prev.Content, r.Content) {
		ack.Replaced, ack.ObjectName, ack.Content = true, prev.ObjectName, prev.Content
	}
	return ack
}
