package client

import (
	"context"

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
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := validConversation(c); err != nil {
		return nil, err
	}
	if uid == "" || len(uid) > contract.MaxIDBytes {
		return nil, codes.New(codes.InvalidParameterMessageUID, "messageUId required")
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
