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
	orig, stored, err := ss.srv.recall(ctx, ss.user, convID, r, false)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	// The operator's session gets the recalled message as it now is; every
	// session, its own included (the marker holds a sequence number), the
	// marker.
	ss.srv.fanOut(ctx, stored, "")
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_MessageResult{MessageResult: &pb.MessageResult{Message: orig}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}

// recall replaces message r.MessageUid of convID by an RC:RcNtf, as user
// operator (the sender, or with IsAdmin a group's owner or admin), within
// the recall window unless app (the app server recalling for the sender).
// It answers the message as it now is and the stored marker to fan out.
func (s *Server) recall(ctx context.Context, operator, convID string, r *pb.RecallRequest, app bool) (orig, marker *pb.Message, err error) {
	fail := func(code int32, msg string) (*pb.Message, *pb.Message, error) { return nil, nil, codes.New(code, msg) }
	if !contract.ValidMessageUID(r.MessageUid) || len(r.Extra) > 1024 || len(r.PushContent) > 1024 {
		return fail(codes.RecallMessage, "messageUId required; extra and pushContent at most 1 KB")
	}
	orig, err = s.store.MessageByUID(ctx, convID, r.MessageUid)
	if errors.Is(err, store.ErrNotFound) {
		return fail(codes.RecallMessage, "no such message in this conversation")
	}
	if err != nil {
		return nil, nil, err
	}
	switch {
	case !store.VisibleTo(orig, operator), store.IsMarker(orig): // a marker is no message of its own
		return fail(codes.RecallMessage, "no such message in this conversation")
	case orig.ObjectName == store.RecallObjectName:
		return fail(codes.RecallMessage, "message already recalled")
	case r.SentTime != 0 && r.SentTime != orig.SentTime:
		return fail(codes.RecallMessage, "sentTime does not match the message")
	}
	isAdmin := false
	if orig.FromUser != operator {
		if !r.IsAdmin || orig.ConvType != pb.ConversationType_GROUP {
			return fail(codes.RecallMessageUserInvalid, "only the sender may recall this message")
		}
		g, err := s.groups.get(ctx, orig.To)
		if err != nil {
			return nil, nil, err
		}
		if g.members[operator] < contract.RoleManager {
			return fail(codes.RecallMessageUserInvalid, "only the group's owner and admins may recall others' messages")
		}
		isAdmin = true
	}
	// The window is a rule (the server's clock, which tests move); the
	// recall's time is data, on the clock of the sent times beside it.
	if w := s.settings.Load().recallWindow(); !app && w > 0 && s.cfg.Now().Sub(time.UnixMilli(orig.SentTime)) > w {
		return fail(codes.RecallMessage, "the recall window has passed")
	}
	content, err := json.Marshal(recallContent{
		MessageUID: orig.Uid, SentTime: orig.SentTime, OperatorID: operator, RecallTime: time.Now().UnixMilli(),
		OriginalObjectName: orig.ObjectName, IsAdmin: isAdmin, IsDelete: r.IsDelete, Extra: r.Extra,
	})
	if err != nil {
		return nil, nil, err
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
	mark := &pb.Message{
		ConvType: orig.ConvType, FromUser: operator, To: orig.To, Channel: orig.Channel,
		// One recall per message: a second one finds this id taken.
		ClientMsgId: contract.RecallIDPrefix + orig.Uid,
		ObjectName:  store.RecallObjectName, Content: content, IsPersisted: true,
		DisableNotification: r.DisableNotification, PushContent: r.PushContent,
		DirectedUserIds: store.MarkerAudience(orig), RecallOf: orig.Uid,
	}
	stored, err := s.store.Modify(ctx, convID, orig.Uid, recalled, mark)
	if errors.Is(err, store.ErrExists) {
		err = errRecalled // the marker's client id: recalled already
	}
	if err != nil {
		return nil, nil, err
	}
	s.metrics.messages.Inc()
	recalled(orig)
	return orig, stored, nil
}
