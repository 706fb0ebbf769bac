//go:build js && wasm

package jsbridge

import (
	"slices"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsfunc"
	"github.com/imwasm/imwasm/jsbridge/jsonenc"
)

// dispatch hands a batch of engine events to the JS side in one call, as
// [[eventName, payload], ...] with RongIMLib's names and payloads.
func (b *Bridge) dispatch(evs []client.Event) {
	defer jsfunc.Recovered(b.log, "event dispatch", nil)
	batch := make([]any, 0, len(evs))
	for _, ev := range evs {
		if ev.People != nil {
			for _, e := range peopleEventsJS(ev) {
				batch = append(batch, []any{e[0], e[1]})
			}
			continue
		}
		for _, e := range b.ultraEventsJS(ev) {
			batch = append(batch, []any{e[0], e[1]})
		}
		if name, payload, ok := eventJS(ev); ok {
			batch = append(batch, []any{name, payload})
		}
	}
	if len(batch) == 0 {
		return
	}
	b.mu.Lock()
	emit := b.emit
	b.mu.Unlock()
	v, err := toJS(batch)
	if err == nil {
		_, err = emit.Invoke(v)
	}
	if err != nil {
		b.log.Log(client.LevelError, "imwasm: event dispatch", "err", err.Error())
	}
}

func eventJS(ev client.Event) (string, any, bool) {
	switch ev.Kind {
	case client.EventMessages:
		ms := slices.DeleteFunc(slices.Clone(ev.Messages), ultraRecalled)
		if len(ms) == 0 {
			return "", nil, false
		}
		return "MESSAGES", map[string]any{"messages": messagesJS(ms)}, true
	case client.EventStatus:
		switch ev.Status {
		case client.StatusConnecting:
			return "CONNECTING", nil, true
		case client.StatusConnected:
			return "CONNECTED", nil, true
		case client.StatusSuspended:
			return "SUSPEND", int(ev.Code), true
		default:
			return "DISCONNECT", int(ev.Code), true
		}
	case client.EventSyncFinished:
		return "PULL_OFFLINE_MESSAGE_FINISHED", nil, true
	case client.EventTokenWillExpire:
		return "TOKEN_WILL_EXPIRE", tokenJS(*ev.Token), true
	case client.EventTokenExpired:
		return "TOKEN_EXPIRED", tokenJS(*ev.Token), true
	case client.EventTyping:
		status := make([]any, len(ev.Typing))
		for i, ts := range ev.Typing {
			list := make([]any, len(ts.Users))
			for j, u := range ts.Users {
				list[j] = map[string]any{"userId": u.UserID, "timestamp": u.Time, "messageType": u.TypeName}
			}
			s := conversationJS(ts.Conversation)
			s.Set("list", list)
			status[i] = s
		}
		return "TYPING_STATUS", map[string]any{"status": status}, true
	case client.EventExpansion:
		x := ev.Expansion
		if x.Type == client.UltraGroup {
			return "", nil, false // ULTRA_GROUP_MESSAGE_EXPANSION_UPDATED (ultraEventsJS)
		}
		payload := map[string]any{}
		ref := func() jsonenc.Object {
			r := conversationJS(x.Conversation)
			r.Set("messageUId", x.MessageUID)
			return r
		}
		if len(x.Updated) > 0 {
			u := ref()
			u.Set("expansion", stringMapAny(x.Updated))
			payload["updatedExpansion"] = u
		}
		if len(x.Deleted) > 0 {
			d := ref()
			d.Set("deletedKeys", stringsAny(x.Deleted))
			payload["deletedExpansion"] = d
		}
		return "EXPANSION", payload, true
	case client.EventConversations:
		list := make([]any, len(ev.Conversations))
		for i, ci := range ev.Conversations {
			entry := map[string]any{"conversation": conversationInfoJS(ci)}
			if u := ci.Updated; u != nil {
				// RongIMLib's updatedItems: what another device of the
				// user changed, each with its value and time.
				items := map[string]any{}
				item := func(v any) map[string]any { return map[string]any{"val": v, "time": ci.SettingsTime} }
				if u.Top {
					items["isTop"] = item(ci.IsTop)
				}
				if u.Level {
					items["notificationLevel"] = item(int(ci.NotificationLevel))
					items["notificationStatus"] = item(notificationStatusOf(ci.Settings))
				}
				entry["updatedItems"] = items
			}
			list[i] = entry
		}
		return "CONVERSATION", map[string]any{"conversationList": list}, true
	case client.EventModified:
		return "MESSAGE_MODIFIED", messagesJS(ev.Messages), true
	case client.EventModifiedSynced:
		return "MESSAGE_MODIFIED_SYNC_COMPLETED", nil, true
	case client.EventGroupOperation, client.EventGroupInfo, client.EventGroupMember, client.EventGroupMute,
		client.EventGroupApplication, client.EventGroupRemark, client.EventGroupFollows:
		return groupEventJS(ev)
	case client.EventChatroom:
		return chatroomEventJS(ev.Chatroom)
	case client.EventTags:
		return "TAG", nil, true
	case client.EventConversationTags:
		return "CONVERSATION_TAG", nil, true
	case client.EventReadReceipt, client.EventSyncRead, client.EventReceiptRequest, client.EventReceiptResponse,
		client.EventReceiptResponseV5, client.EventDelivered:
		return receiptEventJS(ev)
	}
	return "", nil, false
}
