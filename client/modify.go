package client

import (
	"context"
	"slices"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// ModifyMessage implements modifyMessageWithParams: the content of the
// message uid of c, one this user sent, becomes content (JSON; its type
// stays) on every device of every member, within the recall window. Every
// device, this one too, applies the edit when its marker arrives
// (EventModified on the others' and this user's other sessions); the
// answer is the message as it now is.
func (e *Engine) ModifyMessage(ctx context.Context, c Conversation, uid string, content []byte) (*Message, error) {
	if err := e.checkMessageCall(c, uid); err != nil {
		return nil, err
	}
	if len(content) > e.maxContentBytes() {
		return nil, codes.New(codes.MessageSizeExceeded, "content over the content limit")
	}
	if held, err := e.cfg.Store.MessagesByUID(ctx, []string{uid}); err == nil && len(held) == 1 && held[0] != nil &&
		(held[0].Direction != DirectionSend || held[0].Conversation != c) {
		return nil, codes.New(codes.ModifiedMessageIsNotSent, "not a message this user sent here")
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: wireConv(c), MessageUid: uid, Content: content}}})
	if err != nil {
		return nil, err
	}
	return fromWire(e.UserID(), f.GetMessageResult().GetMessage()), nil
}

// RemoteMessages answers the messages of c with uids (1-100) as the server
// now has them (edited, recalled), those the user may see, in the order
// asked: refreshReferenceMessageWithParams.
func (e *Engine) RemoteMessages(ctx context.Context, c Conversation, uids []string) ([]*Message, error) {
	if err := e.checkMessagesCall(c, uids); err != nil {
		return nil, err
	}
	me := e.UserID()
	var out []*Message
	for rest := uids; len(rest) > 0; {
		f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Messages{Messages: &pb.MessagesRequest{Conv: wireConv(c), MessageUids: rest}}})
		if err != nil {
			return nil, err
		}
		res := f.GetHistoryResult()
		for _, w := range res.GetMessages() {
			out = append(out, fromWire(me, w))
		}
		ms := res.GetMessages()
		if !res.GetHasMore() || len(ms) == 0 {
			break
		}
		i := slices.Index(rest, ms[len(ms)-1].Uid)
		if i < 0 {
			break // not one asked for: the server's answer is wrong, stop
		}
		rest = rest[i+1:]
	}
	return out, nil
}

// checkMessageCall is what a call about one message of c checks first: the
// engine open, c valid, uid a message id.
func (e *Engine) checkMessageCall(c Conversation, uid string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if uid == "" || len(uid) > contract.MaxIDBytes {
		return codes.New(codes.InvalidParameterMessageUID, "messageUId required")
	}
	return nil
}

// checkMessagesCall is checkMessageCall for calls about 1-100 messages.
func (e *Engine) checkMessagesCall(c Conversation, uids []string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if len(uids) == 0 || len(uids) > contract.MaxPerCall {
		return codes.New(codes.InvalidParameterCount, "1-100 messageUIds")
	}
	return nil
}
