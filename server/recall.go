package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// recallContent is the content of an RC:RcNtf (RongIMLib's
// RecallNotificationMessage), with the recalled message's messageUId and
// sentTime so apps can find it.
type recallContent struct {
	MessageUID         string `json:"messageUId"`
	SentTime           int64  `json:"sentTime"`
	OperatorID         string `json:"operatorId"`
	RecallTime         int64  `json:"recallTime"`
	OriginalObjectName string `json:"originalObjectName"`
	IsAdmin            bool   `json:"isAdmin"`
	IsDelete           bool   `json:"isDelete"`
	Extra              string `json:"extra,omitempty"`
}

// handleRecall replaces a message by an RC:RcNtf everywhere: in storage
// (so devices that never saw it never will), and on every device of every
// member through a marker appended to the conversation. The sender may
// recall within the recall window; so may a group's owner or admins, with
// is_admin.
func (ss *session) handleRecall(ctx context.Context, id uint64, r *pb.RecallRequest) {
	convID, err := ss.conversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if r.MessageUid == "" || len(r.MessageUid) > contract.MaxIDBytes || len(r.Extra) > 1024 || len(r.PushContent) > 1024 {
		ss.replyErr(id, codes.RecallMessage, "messageUId required; extra and pushContent at most 1 KB")
		return
	}
	orig, err := ss.srv.store.MessageByUID(ctx, convID, r.MessageUid)
	if errors.Is(err, store.ErrNotFound) {
		ss.replyErr(id, codes.RecallMessage, "no such message in this conversation")
		return
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	switch {
	case !store.VisibleTo(orig, ss.user):
		ss.replyErr(id, codes.RecallMessage, "no such message in this conversation")
		return
	case orig.RecallOf != "" || orig.ExpansionOf != "" || orig.ObjectName == store.RecallObjectName:
		ss.replyErr(id, codes.RecallMessage, "message already recalled")
		return
	case r.SentTime != 0 && r.SentTime != orig.SentTime:
		ss.replyErr(id, codes.RecallMessage, "sentTime does not match the message")
		return
	}
	isAdmin := false
	if orig.FromUser != ss.user {
		if !r.IsAdmin || orig.ConvType != pb.ConversationType_GROUP {
			ss.replyErr(id, codes.RecallMessageUserInvalid, "only the sender may recall this message")
			return
		}
		g, err := ss.srv.groups.get(ctx, orig.To)
		if err != nil {
			ss.replyFor(id, err)
			return
		}
		if g.members[ss.user] < contract.RoleManager {
			ss.replyErr(id, codes.RecallMessageUserInvalid, "only the group's owner and admins may recall others' messages")
			return
		}
		isAdmin = true
	}
	// The window is a rule (the server's clock, which tests move); the
	// recall's time is data, on the clock of the sent times beside it.
	if w := ss.srv.settings.Load().recallWindow(); w > 0 && ss.srv.cfg.Now().Sub(time.UnixMilli(orig.SentTime)) > w {
		ss.replyErr(id, codes.RecallMessage, "the recall window has passed")
		return
	}
	content, err := json.Marshal(recallContent{
		MessageUID: orig.Uid, SentTime: orig.SentTime, OperatorID: ss.user, RecallTime: time.Now().UnixMilli(),
		OriginalObjectName: orig.ObjectName, IsAdmin: isAdmin, IsDelete: r.IsDelete, Extra: r.Extra,
	})
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	errRecalled := codes.New(codes.RecallMessage, "message already recalled")
	recalled := func(m *pb.Message) error {
		if m.ObjectName == store.RecallObjectName {
			return errRecalled // by someone else since we looked
		}
		m.ObjectName, m.Content = store.RecallObjectName, content
		m.IsCounted, m.IsMentioned, m.MentionedInfo = false, false, nil
		m.PushContent, m.PushData, m.PushConfig = "", "", nil
		m.Expansion, m.CanIncludeExpansion, m.NeedReceipt, m.ReceiptRequest = nil, false, false, false
		return nil
	}
	marker := &pb.Message{
		ConvType: orig.ConvType, FromUser: ss.user, To: orig.To, Channel: orig.Channel,
		// One recall per message: a second one finds this id taken.
		ClientMsgId: "rc." + orig.Uid,
		ObjectName:  store.RecallObjectName, Content: content, IsPersisted: true,
		DisableNotification: r.DisableNotification, PushContent: r.PushContent,
		DirectedUserIds: orig.DirectedUserIds, RecallOf: orig.Uid,
	}
	stored, err := ss.srv.store.Modify(ctx, convID, orig.Uid, recalled, marker)
	if errors.Is(err, store.ErrExists) {
		err = errRecalled // the marker's client id: recalled already
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.srv.metrics.messages.Inc()
	// The operator's session gets the recalled message as it now is; every
	// session, its own included (the marker holds a sequence number), the
	// marker.
	recalled(orig)
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_MessageResult{MessageResult: &pb.MessageResult{Message: orig}}})
	ss.srv.fanOut(ctx, stored, "")
}
