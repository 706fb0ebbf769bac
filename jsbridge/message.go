//go:build js && wasm

package jsbridge

import (
	"cmp"
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
	t, err := optInt32(v, "conversationType", -1)
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
	c.Type = t
	return c, client.CheckConversation(c)
}

func conversationJS(c client.Conversation) jsonenc.Object {
	return jsonenc.Object{{Key: "conversationType", Value: int(c.Type)}, {Key: "targetId", Value: c.TargetID}, {Key: "channelId", Value: c.ChannelID}}
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
	if m.Content, err = objectContent(content, "message.content"); err != nil {
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
	if !absent(opts) {
		if err := object(opts, "options"); err != nil {
			return nil, err
		}
		// RongIMLib's (deprecated) ISendMessageOptions.isStatusMessage, read still.
		optStatus, err := optBool(opts, "isStatusMessage")
		if err != nil {
			return nil, err
		}
		status = status || optStatus
	}
	// Not persisted, or a status type: stored nowhere, online only.
	m.IsPersisted, m.IsStatus = persisted && !status, status || !persisted
	if absent(opts) {
		return m, nil
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
		t, err := optInt32(mi, "type", 0)
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
		m.MentionedInfo = &client.MentionedInfo{Type: t, UserIDs: ids, Content: text}
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

// messageJS is RongIMLib's IAReceivedMessage for m: a copy of m that
// writes itself as JSON (jsonenc.Appender).
func messageJS(m *client.Message) jsonenc.Appender {
	cp := messageValue(*m)
	return &cp
}

type messageValue client.Message

// AppendJSON writes the message's properties in one order always (the
// optional ones last, in a fixed order): messages with the same ones share
// a shape in JS.
func (mv *messageValue) AppendJSON(dst []byte) ([]byte, bool) {
	m := (*client.Message)(mv)
	received := int64(m.ReceivedFlags)
	if m.IsRead {
		received |= client.ReceivedRead
	}
	w := jsonenc.Begin(dst)
	w.Int("conversationType", int64(m.Type))
	w.String("targetId", m.TargetID)
	w.String("channelId", m.ChannelID)
	w.String("senderUserId", m.SenderUserID)
	w.String("messageType", m.ObjectName)
	w.Raw("content", m.Content)
	w.String("messageUId", m.MessageUID)
	w.Int("messageId", m.MessageID)
	w.String("clientMsgId", m.ClientMsgID) // imwasm's: the same on every device (NIM's idClient)
	w.Int("messageDirection", int64(m.Direction))
	w.Bool("isOffLineMessage", m.IsOffline)
	// A send not (yet) stored has no server time: it shows when it was made
	// (as RongIMLib's local messages do), which is also where the list and
	// the history place it. An app paging by latestMessage.sentTime goes
	// on past it, not back to the start.
	w.Int("sentTime", cmp.Or(m.SentTime, m.ReceivedTime))
	w.Int("receivedTime", m.ReceivedTime)
	w.Int("sentStatus", int64(m.SentStatus))
	w.Int("receivedStatus", received)
	w.Object("receivedStatusInfo", func(o *jsonenc.ObjectWriter) {
		o.Bool("isRead", m.IsRead)
		o.Bool("isListened", m.ReceivedFlags&client.ReceivedListened != 0)
		o.Bool("isDownload", m.ReceivedFlags&client.ReceivedDownloaded != 0)
		o.Bool("isRetrieved", m.ReceivedFlags&client.ReceivedRetrieved != 0)
	})
	w.Bool("isPersited", m.IsPersisted || !m.IsStatus)
	w.Bool("isCounted", m.IsCounted)
	w.Bool("isStatusMessage", m.IsStatus)
	w.Bool("isMentioned", m.IsMentioned)
	w.Bool("disableNotification", m.DisableNotification)
	w.Bool("canIncludeExpansion", m.CanIncludeExpansion)
	if m.Expansion == nil {
		w.Value("expansion", nil)
	} else {
		w.Value("expansion", m.Expansion)
	}
	w.Strings("directedUserIds", m.DirectedUserIDs)
	w.Bool("needReceipt", m.NeedReceipt)
	if mi := m.MentionedInfo; mi != nil {
		w.Object("mentionedInfo", func(o *jsonenc.ObjectWriter) {
			o.Int("type", int64(mi.Type))
			o.Strings("userIdList", mi.UserIDs)
			o.String("mentionedContent", mi.Content)
		})
	}
	if len(m.PushConfig) > 0 {
		w.Raw("pushConfig", m.PushConfig)
	}
	if ri := readReceiptInfoJS(m); ri != nil {
		w.Value("readReceiptInfo", ri)
	}
	if m.ModifiedTime > 0 {
		// RongIMLib's web: content {} and status SUCCESS (0) always.
		w.Value("modifyInfo", jsonenc.Object{{Key: "timestamp", Value: m.ModifiedTime},
			{Key: "content", Value: map[string]any{}}, {Key: "status", Value: 0}})
	}
	return w.End()
}

func messagesJS(ms []*client.Message) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = messageJS(m)
	}
	return out
}

// conversationInfoJS is RongIMLib's IAReceivedConversation, in part: a
// value that writes itself as JSON (jsonenc.Appender), with extra
// properties a call adds at the end.
func conversationInfoJS(ci client.ConversationInfo) *conversationValue {
	return &conversationValue{info: ci}
}

type conversationValue struct {
	info      client.ConversationInfo
	latestDoc []byte // info.Latest's JSON, already written (latestDocs)
	extra     jsonenc.Object
}

// Set adds a property after RongIMLib's own.
func (cv *conversationValue) Set(k string, v any) { cv.extra.Set(k, v) }

func (cv *conversationValue) AppendJSON(dst []byte) ([]byte, bool) {
	ci := &cv.info
	w := jsonenc.Begin(dst)
	w.Int("conversationType", int64(ci.Type))
	w.String("targetId", ci.TargetID)
	w.String("channelId", ci.ChannelID)
	w.Int("unreadMessageCount", int64(ci.UnreadCount))
	w.Bool("hasMentioned", ci.HasMentioned)
	switch {
	case cv.latestDoc != nil:
		w.JSON("latestMessage", cv.latestDoc)
	case ci.Latest == nil:
		w.Value("latestMessage", nil)
	default:
		w.Value("latestMessage", (*messageValue)(ci.Latest))
	}
	w.Bool("isTop", ci.IsTop)
	w.Int("notificationLevel", int64(ci.NotificationLevel))
	w.Int("notificationStatus", int64(notificationStatusOf(ci.Settings)))
	w.Int("operationTime", ci.SettingsTime)
	w.String("draft", ci.Draft)
	w.Int("unreadMentionedCount", int64(ci.MentionCount))
	for _, f := range cv.extra {
		w.Value(f.Key, f.Value)
	}
	return w.End()
}
