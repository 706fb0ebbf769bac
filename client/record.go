package client

import (
	"fmt"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Storage records: how a Store that keeps bytes (the browser's IndexedDB)
// encodes messages and cursors. Protobuf, because the wire already links
// it: a second encoding (encoding/json) would cost the wasm ~150 KB.

// EncodeMessage encodes m as a pb.StoredMessage.
func EncodeMessage(m *Message) ([]byte, error) {
	w := &pb.Message{
		Uid: m.MessageUID, ConvType: pb.ConversationType(m.Type), FromUser: m.SenderUserID, Channel: m.ChannelID,
		Seq: m.Seq, SentTime: m.SentTime, ClientMsgId: m.ClientMsgID, ObjectName: m.ObjectName, Content: m.Content,
		IsPersisted: m.IsPersisted, IsCounted: m.IsCounted, IsStatus: m.IsStatus, IsMentioned: m.IsMentioned,
		DisableNotification: m.DisableNotification, PushContent: m.PushContent, PushData: m.PushData, PushConfig: m.PushConfig,
		DirectedUserIds: m.DirectedUserIDs, CanIncludeExpansion: m.CanIncludeExpansion, Expansion: m.Expansion, NeedReceipt: m.NeedReceipt,
		DeliveryReceipt: m.DeliveryReceipt, ModifiedTime: m.ModifiedTime,
	}
	if mi := m.MentionedInfo; mi != nil {
		w.MentionedInfo = &pb.MentionedInfo{Type: mi.Type, UserIds: mi.UserIDs, Content: mi.Content}
	}
	r := &pb.StoredMessage{
		Wire: w, LocalId: m.MessageID, Conv: wireConv(m.Conversation), Direction: m.Direction, SentStatus: m.SentStatus,
		IsOffline: m.IsOffline, IsRead: m.IsRead, ReceivedTime: m.ReceivedTime, ReceivedFlags: m.ReceivedFlags,
	}
	if rc := m.Receipt; rc != nil {
		r.Receipt = &pb.StoredReceipt{IsRequest: rc.IsRequest, HasRespond: rc.HasRespond, Readers: wireReaders(rc.Readers),
			ReadCount: uint32(rc.ReadCount), TotalCount: uint32(rc.TotalCount)}
	}
	return r.Marshal()
}

// DecodeMessage is EncodeMessage's inverse.
func DecodeMessage(b []byte) (*Message, error) {
	r := &pb.StoredMessage{}
	if err := r.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("stored message: %w", err)
	}
	w := r.GetWire()
	if w == nil {
		w = &pb.Message{}
	}
	m := &Message{
		Conversation: Conversation{Type: int32(r.GetConv().GetType()), TargetID: r.GetConv().GetTarget(), ChannelID: r.GetConv().GetChannel()},
		MessageID:    r.LocalId, MessageUID: w.Uid, ClientMsgID: w.ClientMsgId, Seq: w.Seq,
		SenderUserID: w.FromUser, ObjectName: w.ObjectName, Content: w.Content,
		Direction: r.Direction, SentTime: w.SentTime, ReceivedTime: r.ReceivedTime, SentStatus: r.SentStatus,
		IsOffline: r.IsOffline, IsRead: r.IsRead, IsPersisted: w.IsPersisted, IsCounted: w.IsCounted, IsStatus: w.IsStatus,
		IsMentioned: w.IsMentioned, DisableNotification: w.DisableNotification, PushContent: w.PushContent,
		PushData: w.PushData, PushConfig: w.PushConfig, DirectedUserIDs: w.DirectedUserIds,
		CanIncludeExpansion: w.CanIncludeExpansion, Expansion: w.Expansion, NeedReceipt: w.NeedReceipt,
		DeliveryReceipt: w.DeliveryReceipt, ModifiedTime: w.ModifiedTime, ReceivedFlags: r.ReceivedFlags,
	}
	if mi := w.MentionedInfo; mi != nil {
		m.MentionedInfo = &MentionedInfo{Type: mi.Type, UserIDs: mi.UserIds, Content: mi.Content}
	}
	if rc := r.Receipt; rc != nil {
		m.Receipt = &ReceiptInfo{IsRequest: rc.IsRequest, HasRespond: rc.HasRespond, Readers: localReaders(rc.Readers),
			ReadCount: int(rc.ReadCount), TotalCount: int(rc.TotalCount)}
	}
	return m, nil
}

// EncodeConversation encodes a cursor as a pb.StoredConversation.
func EncodeConversation(st *ConversationState) ([]byte, error) {
	r := &pb.StoredConversation{
		Conv: wireConv(st.Conversation), Contiguous: st.Contiguous, StartSeq: st.StartSeq, HeldFrom: st.HeldFrom,
		LastSeq: st.LastSeq, ReadSeq: st.ReadSeq, LastTime: st.LastTime, Unread: int32(st.Unread), Mentioned: st.Mentioned,
		PeerReadSeq: st.PeerReadSeq, PeerDeliveredSeq: st.PeerDeliveredSeq, Requests: wireRequests(st.Requests), ReadSynced: st.ReadSynced,
	}
	if st.Settings != (Settings{}) {
		r.Settings = wireSettings(st.Settings)
	}
	r.Draft, r.DraftTime = st.Draft, st.DraftTime
	r.Mentions = int32(st.Mentions)
	r.CountSeq, r.CountRead, r.CountUnread, r.CountMentions = st.CountSeq, st.CountRead, int32(st.CountUnread), int32(st.CountMentions)
	r.MessageSeq = st.MessageSeq
	return r.Marshal()
}

// DecodeConversation is EncodeConversation's inverse.
func DecodeConversation(b []byte) (*ConversationState, error) {
	r := &pb.StoredConversation{}
	if err := r.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("stored conversation: %w", err)
	}
	return &ConversationState{
		Conversation: Conversation{Type: int32(r.GetConv().GetType()), TargetID: r.GetConv().GetTarget(), ChannelID: r.GetConv().GetChannel()},
		Contiguous:   r.Contiguous, StartSeq: r.StartSeq, HeldFrom: r.HeldFrom, LastSeq: r.LastSeq, ReadSeq: r.ReadSeq,
		LastTime: r.LastTime, Unread: int(r.Unread), Mentioned: r.Mentioned,
		PeerReadSeq: r.PeerReadSeq, PeerDeliveredSeq: r.PeerDeliveredSeq, Requests: localRequests(r.Requests), ReadSynced: r.ReadSynced,
		Settings: localSettings(r.Settings), Draft: r.Draft, DraftTime: r.DraftTime, Mentions: int(r.Mentions),
		ServerCounts: ServerCounts{CountSeq: r.CountSeq, CountRead: r.CountRead, CountUnread: int(r.CountUnread), CountMentions: int(r.CountMentions)},
		MessageSeq:   r.MessageSeq,
	}, nil
}

func wireSettings(s Settings) *pb.ConversationSettings {
	return &pb.ConversationSettings{IsTop: s.IsTop, NotificationLevel: s.NotificationLevel, Time: s.SettingsTime, RemovedSeq: s.RemovedSeq, DndUntil: s.DndUntil}
}

func localSettings(s *pb.ConversationSettings) Settings {
	return Settings{IsTop: s.GetIsTop(), NotificationLevel: s.GetNotificationLevel(), SettingsTime: s.GetTime(), RemovedSeq: s.GetRemovedSeq(), DndUntil: s.GetDndUntil()}
}

func wireReaders(rs []Reader) []*pb.Reader {
	out := make([]*pb.Reader, len(rs))
	for i, r := range rs {
		out[i] = &pb.Reader{UserId: r.UserID, Time: r.Time, Content: r.Content}
	}
	return out
}

func localReaders(rs []*pb.Reader) []Reader {
	out := make([]Reader, len(rs))
	for i, r := range rs {
		out[i] = Reader{UserID: r.UserId, Time: r.Time, Content: r.Content}
	}
	return out
}

func wireRequests(rs []CachedRequest) []*pb.CachedRequest {
	out := make([]*pb.CachedRequest, len(rs))
	for i, r := range rs {
		out[i] = &pb.CachedRequest{MessageUid: r.MessageUID, Sender: r.Sender, ReceivedAt: r.ReceivedAt}
	}
	return out
}

func localRequests(rs []*pb.CachedRequest) []CachedRequest {
	var out []CachedRequest
	for _, r := range rs {
		out = append(out, CachedRequest{MessageUID: r.MessageUid, Sender: r.Sender, ReceivedAt: r.ReceivedAt})
	}
	return out
}
