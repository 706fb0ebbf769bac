//go:build js && wasm

package jsbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsonenc"
)

// messageJS and conversationInfoJS write RongIMLib's shapes straight from
// the structs: every property with its value, the optional ones only when
// set, and the extra ones a call adds after RongIMLib's own.
func TestMessageAndConversationJSON(t *testing.T) {
	full := &client.Message{Conversation: client.Conversation{Type: 3, TargetID: "team", ChannelID: "ch"}, SenderUserID: "alice",
		ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`), MessageUID: "UID-1", MessageID: 7, ClientMsgID: "c-1", Direction: client.DirectionReceive,
		IsOffline: true, SentTime: 1764950000123, ReceivedTime: 1764950000200, SentStatus: client.StatusSent, IsRead: true,
		ReceivedFlags: client.ReceivedListened, IsPersisted: true, IsCounted: true, IsMentioned: true,
		MentionedInfo: &client.MentionedInfo{Type: 2, UserIDs: []string{"bob"}, Content: "@bob"}, Expansion: map[string]string{"k": "v"},
		DirectedUserIDs: []string{"bob"}, PushConfig: []byte(`{"pushTitle":"t"}`), ModifiedTime: 1764950000999,
		Receipt: &client.ReceiptInfo{IsRequest: true, Readers: []client.Reader{{UserID: "carol"}}}}
	bare := &client.Message{Conversation: client.Conversation{Type: 1, TargetID: "bob"}, ObjectName: "RC:TxtMsg"}
	fullWant := map[string]any{"conversationType": 3.0, "targetId": "team", "channelId": "ch", "senderUserId": "alice",
		"messageType": "RC:TxtMsg", "content": map[string]any{"content": "hi"}, "messageUId": "UID-1", "messageId": 7.0, "clientMsgId": "c-1",
		"messageDirection": float64(client.DirectionReceive), "isOffLineMessage": true, "sentTime": 1764950000123.0,
		"receivedTime": 1764950000200.0, "sentStatus": float64(client.StatusSent),
		"receivedStatus":     float64(client.ReceivedListened | client.ReceivedRead),
		"receivedStatusInfo": map[string]any{"isRead": true, "isListened": true, "isDownload": false, "isRetrieved": false},
		"isPersited":         true, "isCounted": true, "isStatusMessage": false, "isMentioned": true, "disableNotification": false,
		"canIncludeExpansion": false, "expansion": map[string]any{"k": "v"}, "directedUserIds": []any{"bob"}, "needReceipt": false,
		"mentionedInfo":   map[string]any{"type": 2.0, "userIdList": []any{"bob"}, "mentionedContent": "@bob"},
		"pushConfig":      map[string]any{"pushTitle": "t"},
		"readReceiptInfo": map[string]any{"isReceiptRequestMessage": true, "hasRespond": false, "readerList": []any{"carol"}},
		"modifyInfo":      map[string]any{"timestamp": 1764950000999.0, "content": map[string]any{}, "status": 0.0}}
	bareWant := map[string]any{"conversationType": 1.0, "targetId": "bob", "channelId": "", "senderUserId": "",
		"messageType": "RC:TxtMsg", "content": map[string]any{}, "messageUId": "", "messageId": 0.0, "clientMsgId": "", "messageDirection": 0.0,
		"isOffLineMessage": false, "sentTime": 0.0, "receivedTime": 0.0, "sentStatus": 0.0, "receivedStatus": 0.0,
		"receivedStatusInfo": map[string]any{"isRead": false, "isListened": false, "isDownload": false, "isRetrieved": false},
		"isPersited":         true, "isCounted": false, "isStatusMessage": false, "isMentioned": false, "disableNotification": false,
		"canIncludeExpansion": false, "expansion": nil, "directedUserIds": []any{}, "needReceipt": false}
	conv := conversationInfoJS(client.ConversationInfo{Conversation: bare.Conversation, UnreadCount: 2, MentionCount: 1,
		HasMentioned: true, Latest: bare, Draft: "d", Settings: client.Settings{SettingsTime: 5}})
	conv.Set("isTopInTag", true)
	convWant := map[string]any{"conversationType": 1.0, "targetId": "bob", "channelId": "", "unreadMessageCount": 2.0,
		"hasMentioned": true, "latestMessage": bareWant, "isTop": false, "notificationLevel": 0.0,
		"notificationStatus": float64(notificationStatusOf(client.Settings{})), "operationTime": 5.0, "draft": "d",
		"unreadMentionedCount": 1.0, "isTopInTag": true}
	for _, tc := range []struct {
		name    string
		v       any
		want    map[string]any
		lastKey string
	}{
		{"message with everything", messageJS(full), fullWant, "modifyInfo"},
		{"bare message", messageJS(bare), bareWant, "needReceipt"},
		{"conversation with an extra property", conv, convWant, "isTopInTag"},
		{"conversation without a message", conversationInfoJS(client.ConversationInfo{Conversation: bare.Conversation}),
			map[string]any{"conversationType": 1.0, "targetId": "bob", "channelId": "", "unreadMessageCount": 0.0,
				"hasMentioned": false, "latestMessage": nil, "isTop": false, "notificationLevel": 0.0,
				"notificationStatus": float64(notificationStatusOf(client.Settings{})), "operationTime": 0.0, "draft": "",
				"unreadMentionedCount": 0.0}, "unreadMentionedCount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, ok := jsonenc.Append(nil, tc.v)
			if !ok {
				t.Fatal("not written")
			}
			var got map[string]any
			if err := json.Unmarshal(doc, &got); err != nil {
				t.Fatalf("%s: %v", doc, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tc.want)
			}
			if last := lastKey(t, doc); last != tc.lastKey {
				t.Fatalf("last property %q, want %q", last, tc.lastKey)
			}
		})
	}
}

// lastKey is the last top-level property of the JSON object doc.
func lastKey(t *testing.T, doc []byte) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.Token() // {
	last := ""
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		last = k.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return last
}

// BenchmarkConversationList: a list of 1,000 conversations from the
// engine's values to a JS value (make test-wasm runs it in Node with
// -bench): what getConversationList({count: 1000}) spends in the bridge.
func BenchmarkConversationList(b *testing.B) {
	list := make([]any, 1000)
	for i := range list {
		m := &client.Message{Conversation: client.Conversation{Type: 1, TargetID: fmt.Sprintf("peer%d", i)}, SenderUserID: fmt.Sprintf("peer%d", i),
			ObjectName: "RC:TxtMsg", Content: fmt.Appendf(nil, `{"content":"m%d"}`, i), MessageUID: fmt.Sprintf("C3K5-1234-%04d-ABCD", i),
			MessageID: int64(i), SentTime: 1764950000000, ReceivedTime: 1764950000100, IsPersisted: true, IsCounted: true}
		list[i] = conversationInfoJS(client.ConversationInfo{Conversation: m.Conversation, UnreadCount: 1, Latest: m})
	}
	for b.Loop() {
		if _, err := toJS(list); err != nil {
			b.Fatal(err)
		}
	}
}
