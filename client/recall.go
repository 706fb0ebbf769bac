package client

import (
	"context"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// RecallOptions are recallMessage's options besides messageUId and
// sentTime.
type RecallOptions struct {
	IsAdmin             bool // a group owner or admin recalls someone else's message
	IsDelete            bool
	Extra               string
	DisableNotification bool
	PushContent         string
}

// RecallMessage implements RongIMLib's recallMessage: the message turns
// into an RC:RcNtf on every device of every member and in history, and is
// returned in that form. A message that was never sent (no messageUId)
// cannot be recalled (RECALL_MESSAGE 25101); neither can one outside the
// server's recall window; someone else's message needs IsAdmin and the
// group role (RECALL_MESSAGE_USER_INVALID 25107).
func (e *Engine) RecallMessage(ctx context.Context, c Conversation, messageUID string, sentTime int64, opts RecallOptions) (*Message, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := validConversation(c); err != nil {
		return nil, err
	}
	if messageUID == "" {
		return nil, codes.New(codes.RecallMessage, "messageUId required: a message that was not sent cannot be recalled")
	}
	r, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Recall{Recall: &pb.RecallRequest{
		Conv: wireConv(c), MessageUid: messageUID, SentTime: sentTime,
		IsAdmin: opts.IsAdmin, IsDelete: opts.IsDelete, Extra: opts.Extra,
		DisableNotification: opts.DisableNotification, PushContent: opts.PushContent,
	}}})
	if err != nil {
		return nil, err
	}
	w := r.GetMessageResult().GetMessage()
	if w == nil {
		return nil, codes.New(codes.Timeout, "recall: no message in the answer")
	}
	// Replace the local copy now, so the caller's next read sees it.
	if err := e.submit(context.Background(), &inItem{recalled: w}); err != nil {
		return nil, err
	}
	held, err := e.cfg.Store.MessagesByUID(ctx, []string{w.Uid})
	if err == nil && len(held) == 1 && held[0] != nil {
		return held[0], nil
	}
	return fromWire(e.UserID(), w), nil
}

// validConversation checks a conversation with unread counts and state
// (messages, reads, recalls).
func validConversation(c Conversation) error {
	if !hasCounts(c.Type) {
		return codes.New(codes.InvalidParameterConversationType, "conversationType must be PRIVATE, GROUP or ULTRA_GROUP")
	}
	return CheckConversation(c)
}

// CheckConversation checks any conversation an app names: a type the
// engine serves, a target id, a channel in ultra groups only. The bridge
// checks every conversation argument with it before any work, so a batch
// with one bad item changes nothing.
func CheckConversation(c Conversation) error {
	switch c.Type {
	case Private, Group, Chatroom, System, UltraGroup:
	default:
		return codes.New(codes.InvalidParameterConversationType, "conversationType must be PRIVATE, GROUP, CHATROOM, SYSTEM or ULTRA_GROUP")
	}
	if !contract.ValidID(c.TargetID) {
		return codes.New(codes.InvalidParameterTargetID, "invalid targetId")
	}
	if c.ChannelID != "" && (c.Type != UltraGroup || !contract.ValidID(c.ChannelID)) {
		return codes.New(codes.InvalidParameter, "channelId: an id, in ultra groups only")
	}
	return nil
}
