package client

import (
	"reflect"
	"testing"
)

func TestRecordsRoundTrip(t *testing.T) {
	msgs := []*Message{
		{}, // zero value
		{
			Conversation: Conversation{Type: Group, TargetID: "g1", ChannelID: "ch"},
			MessageID:    42, MessageUID: "0000-1111-2222-3333", ClientMsgID: "c-1", Seq: 7,
			SenderUserID: "alice", ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`),
			Direction: DirectionSend, SentTime: 1700000000000, ReceivedTime: 1700000000001, SentStatus: StatusSent,
			IsOffline: true, IsRead: true, IsPersisted: true, IsCounted: true, IsStatus: true, IsMentioned: true,
			MentionedInfo:       &MentionedInfo{Type: MentionSingle, UserIDs: []string{"bob"}, Content: "@bob"},
			DisableNotification: true, PushContent: "p", PushData: "d", PushConfig: []byte(`{}`),
			DirectedUserIDs: []string{"bob", "carol"}, CanIncludeExpansion: true, Expansion: map[string]string{"k": "v"}, NeedReceipt: true,
		},
	}
	for _, m := range msgs {
		b, err := EncodeMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(m)) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
		}
	}
	st := &ConversationState{Conversation: Conversation{Type: Private, TargetID: "bob"}, Contiguous: 9, StartSeq: 2, HeldFrom: 3,
		LastSeq: 10, ReadSeq: 8, LastTime: 123, Unread: 2, Mentioned: true}
	b, err := EncodeConversation(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeConversation(b)
	if err != nil || !reflect.DeepEqual(got, st) {
		t.Fatalf("conversation round trip: %+v %v", got, err)
	}
	if _, err := DecodeMessage([]byte{0xff}); err == nil {
		t.Fatal("garbage decoded")
	}
}

// normalize maps empty slices and maps to nil (protobuf does not tell them apart).
func normalize(m *Message) *Message {
	c := *m
	if len(c.Content) == 0 {
		c.Content = nil
	}
	if len(c.PushConfig) == 0 {
		c.PushConfig = nil
	}
	if len(c.DirectedUserIDs) == 0 {
		c.DirectedUserIDs = nil
	}
	if len(c.Expansion) == 0 {
		c.Expansion = nil
	}
	return &c
}
