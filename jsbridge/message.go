//go:build js && wasm

package jsbridge

import (
	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsonenc"
)

// This file: RongIMLib's message, conversation and event shapes, to and
// from the engine's types.

// conversationArg reads {conversationType, targetId, channelId?}.
func conversationArg(v safejs.Value) (client.Conversation, error) {
	var c client.Conversation
	if err := object(v, "conversation"); err != nil {
		return c, err
	}
	t, err := optInt(v, "conversationType", -1)
	if err != nil {
		return c, err
	}
	if t < 0 {
		return c, invalid("conversationType is required")
	}
	if c.TargetID, err = reqString(v, "targetId"); err != nil {
		return c, err
	}
	if c.ChannelID, err = optString(v, "channelId"); err != nil {
		return c, err
	}
	c.Type = int32(t)
	return c, nil
}

func conversationJS(c client.Conversation) map[string]any {
	return map[string]any{"conversationType": int(c.Type), "targetId": c.TargetID, "channelId": c.ChannelID}
}

// convField reads obj[key], a conversation.
func convField(obj safejs.Value, key string) (client.Conversation, error) {
	v, err := field(obj, key)
	if err != nil {
		return client.Conversation{}, err
	}
	return conversationArg(v)
}

// withParams is the engine and a call's one argument, an object of
// parameters.
func (b *Bridge) withParams(args []safejs.Value) (*client.Engine, safejs.Value, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, safejs.Undefined(), err
	}
	params := arg(args, 0)
	return eng, params, object(params, "params")
}

// messageArg reads a message object (a message class instance, or any
// object with messageType and content) and sendMessage's options into an
// engine message. Content passes through as JSON.
func messageArg(c client.Conversation, msg, opts safejs.Value) (*client.Message, error) {
	if err := object(msg, "message"); err != nil {
		return nil, err
	}
	m := &client.Message{Conversation: c}
	var err error
	if m.ObjectName, err = reqString(msg, "messageType"); err != nil {
		return nil, err
	}
	content, err := field(msg, "content")
	if err != nil {
		return nil, err
	}
	if absent(content) {
		return nil, invalid("message.content is required")
	}
	if m.Content, err = jsonStringify(content, "message.content"); err != nil {
		return nil, err
	}
	persisted, err := optBoolDefault(msg, "isPersited", true)
	if err != nil {
		return nil, err
	}
	if m.IsCounted, err = optBoolDefault(msg, "isCounted", true); err != nil {
		return nil, err
	}
	status, err := optBool(msg, "isStatusMessage")
	if err != nil {
		return nil, err
	}
	// Not persisted, or a status type: stored nowhere, online only.
	m.IsPersisted, m.IsStatus = persisted && !status, status || !persisted
	if absent(opts) {
		return m, nil
	}
	if err := object(opts, "options"); err != nil {
		return nil, err
	}
	if m.IsMentioned, err = optBool(opts, "isMentioned"); err != nil {
		return nil, err
	}
	mi, err := field(opts, "mentionedInfo")
	if err != nil {
		return nil, err
	}
	if absent(mi) && m.IsMentioned && content.Type() == safejs.TypeObject {
		// RongIMLib's examples put mentionedInfo in the content.
		if mi, err = field(content, "mentionedInfo"); err != nil {
			return nil, err
		}
	}
	if !absent(mi) {
		if err := object(mi, "mentionedInfo"); err != nil {
			return nil, err
		}
		t, err := optInt(mi, "type", 0)
		if err != nil {
			return nil, err
		}
		ids, err := optStrings(mi, "userIdList")
		if err != nil {
			return nil, err
		}
		text, err := optString(mi, "mentionedContent")
		if err != nil {
			return nil, err
		}
		m.MentionedInfo = &client.MentionedInfo{Type: int32(t), UserIDs: ids, Content: text}
	}
	if m.DisableNotification, err = optBool(opts, "disableNotification"); err != nil {
		return nil, err
	}
	if m.PushContent, err = optString(opts, "pushContent"); err != nil {
		return nil, err
	}
	if m.PushData, err = optString(opts, "pushData"); err != nil {
		return nil, err
	}
	if pc, err := field(opts, "pushConfig"); err != nil {
		return nil, err
	} else if !absent(pc) {
		if m.PushConfig, err = jsonStringify(pc, "pushConfig"); err != nil {
			return nil, err
		}
	}
	if m.DirectedUserIDs, err = optStrings(opts, "directionalUserIdList"); err != nil {
		return nil, err
	}
	if m.CanIncludeExpansion, err = optBool(opts, "canIncludeExpansion"); err != nil {
		return nil, err
	}
	if m.Expansion, err = optStringMap(opts, "expansion"); err != nil {
		return nil, err
	}
	if m.NeedReceipt, err = optBool(opts, "needReceipt"); err != nil {
		return nil, err
	}
	return m, nil
}

// messageJS is RongIMLib's IAReceivedMessage for m.
func messageJS(m *client.Message) map[string]any {
	received := int(m.ReceivedFlags)
	if m.IsRead {
		received |= client.ReceivedRead
	}
	out := map[string]any{
		"conversationType": int(m.Type),
		"targetId":         m.TargetID,
		"channelId":        m.ChannelID,
		"senderUserId":     m.SenderUserID,
		"messageType":      m.ObjectName,
		"content":          jsonenc.Raw(m.Content),
		"messageUId":       m.MessageUID,
		"messageId":        m.MessageID,
		"messageDirection": int(m.Direction),
		"isOffLineMessage": m.IsOffline,
		"sentTime":         m.SentTime,
		"receivedTime":     m.ReceivedTime,
		"sentStatus":       int(m.SentStatus),
		"receivedStatus":   received,
		"receivedStatusInfo": map[string]any{"isRead": m.IsRead, "isListened": m.ReceivedFlags&client.ReceivedListened != 0,
			"isDownload": m.ReceivedFlags&client.ReceivedDownloaded != 0, "isRetrieved": m.ReceivedFlags&client.ReceivedRetrieved != 0},
		"isPersited":          m.IsPersisted || !m.IsStatus,
		"isCounted":           m.IsCounted,
		"isStatusMessage":     m.IsStatus,
		"isMentioned":         m.IsMentioned,
		"disableNotification": m.DisableNotification,
		"canIncludeExpansion": m.CanIncludeExpansion,
		"expansion":           stringMapAny(m.Expansion),
		"directedUserIds":     stringsAny(m.DirectedUserIDs),
		"needReceipt":         m.NeedReceipt,
	}
	if mi := m.MentionedInfo; mi != nil {
		out["mentionedInfo"] = map[string]any{"type": int(mi.Type), "userIdList": stringsAny(mi.UserIDs), "mentionedContent": mi.Content}
	}
	if len(m.PushConfig) > 0 {
		out["pushConfig"] = jsonenc.Raw(m.PushConfig)
	}
	if ri := readReceiptInfoJS(m); ri != nil {
		out["readReceiptInfo"] = ri
	}
	if m.ModifiedTime > 0 {
		// RongIMLib's web: content {} and status SUCCESS (0) always.
		out["modifyInfo"] = map[string]any{"timestamp": m.ModifiedTime, "content": map[string]any{}, "status": 0}
	}
	return out
}

func messagesJS(ms []*client.Message) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = messageJS(m)
	}
	return out
}

// conversationInfoJS is RongIMLib's IAReceivedConversation, in part.
func conversationInfoJS(ci client.ConversationInfo) map[string]any {
	out := conversationJS(ci.Conversation)
	out["unreadMessageCount"] = ci.UnreadCount
	out["hasMentioned"] = ci.HasMentioned
	out["latestMessage"] = nil
	if ci.Latest != nil {
		out["latestMessage"] = messageJS(ci.Latest)
	}
	out["isTop"] = ci.IsTop
	out["notificationLevel"] = int(ci.NotificationLevel)
	out["notificationStatus"] = notificationStatusOf(ci.Settings)
	out["operationTime"] = ci.SettingsTime
	out["draft"] = ci.Draft
	out["unreadMentionedCount"] = ci.MentionCount
	return out
}
