package client

import (
	"context"
	"maps"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// ExpansionChange is RongIMLib's EXPANSION payload: keys set (Updated) or
// removed (Deleted) on a message's expansion, by any member.
type ExpansionChange struct {
	Conversation
	MessageUID string
	Updated    map[string]string
	Deleted    []string
	// Message is the message as changed, when the device holds it (the
	// ultra groups' ULTRA_GROUP_MESSAGE_EXPANSION_UPDATED carries it).
	Message *Message
}

// UpdateMessageExpansion implements updateMessageExpansion on a message
// sent with CanIncludeExpansion. A malformed change is refused here (34220,
// contract.CheckExpansionChange); the message's whole expansion is held to
// its limits by the server (34010).
func (e *Engine) UpdateMessageExpansion(ctx context.Context, c Conversation, messageUID string, set map[string]string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if len(set) == 0 {
		return codes.New(codes.InvalidParameter, "expansion required")
	}
	return e.changeExpansion(ctx, c, messageUID, set, nil)
}

// RemoveMessageExpansionKeys implements removeMessageExpansionForKey.
func (e *Engine) RemoveMessageExpansionKeys(ctx context.Context, c Conversation, messageUID string, keys []string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return codes.New(codes.InvalidParameter, "keys required")
	}
	return e.changeExpansion(ctx, c, messageUID, nil, keys)
}

// RemoveAllMessageExpansion removes every key of the message's expansion
// (as the server holds it).
func (e *Engine) RemoveAllMessageExpansion(ctx context.Context, c Conversation, messageUID string) error {
	if err := e.closed(); err != nil {
		return err
	}
	return e.changeExpansion(ctx, c, messageUID, nil, nil)
}

// changeExpansion sets and removes keys; neither: removes them all.
func (e *Engine) changeExpansion(ctx context.Context, c Conversation, uid string, set map[string]string, remove []string) error {
	if err := validConversation(c); err != nil {
		return err
	}
	if uid == "" {
		return codes.New(codes.InvalidParameterMessageUID, "messageUId required")
	}
	if err := contract.CheckExpansionChange(set, remove); err != nil {
		return err
	}
	_, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Expansion{Expansion: &pb.ExpansionRequest{
		Conv: wireConv(c), MessageUid: uid, Set: set, Remove: remove, RemoveAll: len(set)+len(remove) == 0,
	}}})
	return err
}

// applyExpansion changes target's expansion as marker w says.
func applyExpansion(target *Message, w *pb.Message) {
	if target.Expansion == nil {
		target.Expansion = map[string]string{}
	}
	for _, k := range w.ExpansionRemoved {
		delete(target.Expansion, k)
	}
	maps.Copy(target.Expansion, w.Expansion)
}
