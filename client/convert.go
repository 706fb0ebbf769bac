package client

import (
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// fromWire turns a stored wire message into the local model, as seen by me.
func fromWire(me string, w *pb.Message) *Message {
	m := &Message{
		Conversation: Conversation{Type: int32(w.ConvType), TargetID: w.To, ChannelID: w.Channel},
		MessageUID:   w.Uid,
		ClientMsgID:  w.ClientMsgId,
		Seq:          w.Seq,
		SenderUserID: w.FromUser,
		ObjectName:   w.ObjectName,
		Content:      w.Content,
		Direction:    DirectionReceive,
		SentTime:     w.SentTime,
		ModifiedTime: w.ModifiedTime,
		SentStatus:   StatusSent,

		IsPersisted:         w.IsPersisted,
		IsCounted:           w.IsCounted,
		IsStatus:            w.IsStatus,
		IsMentioned:         w.IsMentioned,
		DisableNotification: w.DisableNotification,
		PushContent:         w.PushContent,
		PushData:            w.PushData,
		PushConfig:          w.PushConfig,
		DirectedUserIDs:     w.DirectedUserIds,
		CanIncludeExpansion: w.CanIncludeExpansion,
		Expansion:           w.Expansion,
		NeedReceipt:         w.NeedReceipt,
		DeliveryReceipt:     w.DeliveryReceipt,
	}
	if w.ReceiptRequest {
		m.Receipt = &ReceiptInfo{IsRequest: true}
	}
	if w.ConvType == pb.ConversationType_PRIVATE && w.FromUser != me {
		m.TargetID = w.FromUser
	}
	if w.FromUser == me {
		m.Direction = DirectionSend
		m.IsRead = true
	}
	if mi := w.MentionedInfo; mi != nil {
		m.MentionedInfo = &MentionedInfo{Type: mi.Type, UserIDs: mi.UserIds, Content: mi.Content}
	}
	// isMentioned is the reader's: set only for those the sender named.
	m.IsMentioned = contract.Mentions(w, me)
	return m
}

// Mention types (RongIMLib's MentionedType).
const (
	MentionAll    = contract.MentionAll
	MentionSingle = contract.MentionSingle // SINGAL in RongIMLib's spelling
)

// WireConversation is c as the wire protocol has it (for requests built
// outside the engine, such as a TagRequest).
func WireConversation(c Conversation) *pb.Conversation { return wireConv(c) }

func wireConv(c Conversation) *pb.Conversation {
	return &pb.Conversation{Type: pb.ConversationType(c.Type), Target: c.TargetID, Channel: c.ChannelID}
}

// localConv is the conversation of a wire message from my side.
func localConv(me string, w *pb.Message) Conversation {
	c := Conversation{Type: int32(w.ConvType), TargetID: w.To, ChannelID: w.Channel}
	if w.ConvType == pb.ConversationType_PRIVATE && w.FromUser != me {
		c.TargetID = w.FromUser
	}
	return c
}

func sendRequest(m *Message) *pb.SendRequest {
	r := &pb.SendRequest{
		Conv:                wireConv(m.Conversation),
		ClientMsgId:         m.ClientMsgID,
		ObjectName:          m.ObjectName,
		Content:             m.Content,
		IsPersisted:         m.IsPersisted,
		IsCounted:           m.IsCounted,
		IsStatus:            m.IsStatus,
		IsMentioned:         m.IsMentioned,
		DisableNotification: m.DisableNotification,
		PushContent:         m.PushContent,
		PushData:            m.PushData,
		PushConfig:          m.PushConfig,
		DirectedUserIds:     m.DirectedUserIDs,
		CanIncludeExpansion: m.CanIncludeExpansion,
		Expansion:           m.Expansion,
		NeedReceipt:         m.NeedReceipt,
		DeliveryReceipt:     m.DeliveryReceipt,
	}
	if mi := m.MentionedInfo; mi != nil {
		r.MentionedInfo = &pb.MentionedInfo{Type: mi.Type, UserIds: mi.UserIDs, Content: mi.Content}
	}
	return r
}
