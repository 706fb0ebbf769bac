package server

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// editable reports whether messages of type objectName may be edited:
// text and quotes, as RongCloud allows, and the app's own types; never a
// recall, a file's or media's message (its upload is what it is), nor a
// notification the server wrote on someone's behalf (RC:GrpNtf and the
// like: a member must not rewrite what the group was told).
func editable(objectName string) bool {
	switch objectName {
	case "RC:TxtMsg", "RC:ReferenceMsg":
		return true
	}
	return !strings.HasPrefix(objectName, "RC:")
}

// handleModify is modifyMessageWithParams: the sender replaces the content
// of one of their messages, keeping its type, within the recall window.
// Like a recall, the stored message changes (so a device that never saw
// it gets it edited) and a marker in the conversation carries the new
// content to every device of every member, in order.
func (ss *session) handleModify(ctx context.Context, id uint64, r *pb.ModifyRequest) {
	convID, g, err := ss.conversationGroup(ctx, r.Conv)
	if err == nil {
		err = ss.maySpeak(ctx, r.Conv, g)
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	switch {
	case r.MessageUid == "" || len(r.MessageUid) > contract.MaxIDBytes:
		ss.replyErr(id, codes.InvalidParameterMessageUID, "messageUId required")
		return
	case len(r.Content) > ss.srv.cfg.MaxContentBytes:
		ss.replyErr(id, codes.MessageSizeExceeded, "content over the content limit")
		return
	case !validContent(r.Content):
		ss.replyErr(id, codes.InvalidParameter, "content must be one JSON object")
		return
	}
	v, err := ss.visibility(ctx, convID)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	orig, err := v.message(ctx, r.MessageUid) // markers and what the user may not see are not found
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && orig.FromUser != ss.user:
		ss.replyErr(id, codes.ModifiedMessageIsNotSent, "not a message this user sent here")
		return
	case err != nil:
		ss.replyFor(id, err)
		return
	case !editable(orig.ObjectName):
		ss.replyErr(id, codes.MessageUnsupportedModify, "this type of message cannot be edited")
		return
	}
	now := ss.srv.cfg.Now()
	if w := ss.srv.settings.Load().recallWindow(); w > 0 && now.Sub(time.UnixMilli(orig.SentTime)) > w {
		ss.replyErr(id, codes.MessageOverModifyTimeFail, "the recall window has passed")
		return
	}
	edited := now.UnixMilli()
	clientID := contract.EditIDPrefix + orig.Uid + "." + strconv.FormatInt(edited, 36) + "." + strconv.FormatUint(id, 36)
	// The new text is asked about as a send's is (its marker's client id;
	// modifyOf names the message): the answer may block it or replace its
	// content, its type staying what it is.
	asked := &pb.Message{ConvType: orig.ConvType, FromUser: ss.user, To: orig.To, Channel: orig.Channel, ClientMsgId: clientID,
		ObjectName: orig.ObjectName, Content: r.Content, DirectedUserIds: orig.DirectedUserIds, ModifyOf: orig.Uid}
	if err := ss.srv.beforeSend(ctx, asked); err != nil {
		ss.replyFor(id, err)
		return
	}
	if asked.ObjectName != orig.ObjectName {
		ss.replyErr(id, codes.SensitiveShield, "the app's backend changed an edit's type")
		return
	}
	r.Content = asked.Content
	errRecalled := codes.New(codes.MessageUnsupportedModify, "the message was recalled")
	marker := &pb.Message{
		ConvType: orig.ConvType, FromUser: ss.user, To: orig.To, Channel: orig.Channel,
		ClientMsgId: clientID,
		ObjectName:  orig.ObjectName, Content: r.Content, IsPersisted: true,
		DirectedUserIds: orig.DirectedUserIds, ModifyOf: orig.Uid,
	}
	edit := func(m *pb.Message) error {
		if m.ObjectName == store.RecallObjectName {
			return errRecalled // since we looked
		}
		// Later than the edit before, whatever the clock says (a step
		// back, another node's): devices keep the edit with the latest.
		m.Content, m.ModifiedTime = r.Content, max(edited, m.ModifiedTime+1)
		marker.ModifiedTime = m.ModifiedTime
		return nil
	}
	stored, err := ss.srv.store.Modify(ctx, convID, orig.Uid, edit, marker)
	if errors.Is(err, store.ErrExists) {
		err = codes.New(codes.MessageUnsupportedModify, "edited twice at once")
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.srv.metrics.messages.Inc()
	orig.Content, orig.ModifiedTime = r.Content, marker.ModifiedTime
	ss.srv.fanOut(ctx, stored, "")
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_MessageResult{MessageResult: &pb.MessageResult{Message: orig}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}

// handleMessages answers the messages of a conversation by uid, as they
// now are (edited, recalled), those the user may see; refreshing the
// messages a quote refers to needs them.
func (ss *session) handleMessages(ctx context.Context, id uint64, r *pb.MessagesRequest) {
	convID, err := ss.conversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if len(r.MessageUids) == 0 || len(r.MessageUids) > contract.MaxPerCall {
		ss.replyErr(id, codes.InvalidParameterCount, "1-100 messageUIds")
		return
	}
	v, err := ss.visibility(ctx, convID)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	var msgs []*pb.Message
	seen := make(map[string]bool, len(r.MessageUids))
	for _, uid := range r.MessageUids {
		if seen[uid] { // each message once, however often it is named
			continue
		}
		seen[uid] = true
		m, err := v.message(ctx, uid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			ss.replyFor(id, err)
			return
		}
		msgs = append(msgs, m)
	}
	if len(msgs) > 0 { // leave out those the user deleted for themselves
		lo, hi := msgs[0].Seq, msgs[0].Seq
		for _, m := range msgs {
			lo, hi = min(lo, m.Seq), max(hi, m.Seq)
		}
		hidden, err := ss.srv.store.Hidden(ctx, ss.user, convID, lo, hi)
		if err != nil {
			ss.replyFor(id, err)
			return
		}
		msgs = slices.DeleteFunc(msgs, func(m *pb.Message) bool { return hidden[m.Seq] })
	}
	msgs, more := capPage(msgs) // more: ask again for those after the last one given
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_HistoryResult{HistoryResult: &pb.HistoryResult{Messages: msgs, HasMore: more}}})
}

// validContent reports whether content is one JSON object, as a message's
// content is (the app server's sends, edits).
func validContent(content []byte) bool {
	return contract.ObjectContent(content) && json.Valid(content)
}
