//go:build js && wasm

package jsbridge

import (
	"context"
	"math"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
)

// This file: the message functions of docs/api.md, each reading its arguments
// and calling the engine method of the same meaning (see client/doc.go).

type work = func() (any, error)

// withConv reads args[0] as a conversation and the engine.
func (b *Bridge) withConv(args []safejs.Value) (*client.Engine, client.Conversation, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, client.Conversation{}, err
	}
	c, err := conversationArg(arg(args, 0))
	return eng, c, err
}

// sendMessage(conversation, message, options?)
func (b *Bridge) sendMessage(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	opts := arg(args, 2)
	m, err := messageArg(c, arg(args, 1), opts)
	if err != nil {
		return nil, err
	}
	var so client.SendOptions
	if !absent(opts) {
		id, err := optInt(opts, "messageId", 0)
		if err != nil {
			return nil, err
		}
		so.MessageID = id
		if so.ClientMsgID, err = optString(opts, "clientMsgId"); err != nil {
			return nil, err
		}
		// Internal (index.js's upload helpers): hold while uploading, then
		// send with the uploaded content.
		if so.Hold, err = optBool(opts, "__hold"); err != nil {
			return nil, err
		}
		if so.Replace, err = optBool(opts, "__replace"); err != nil {
			return nil, err
		}
		before, err := field(opts, "onSendBefore")
		if err != nil {
			return nil, err
		}
		if !absent(before) {
			if before.Type() != safejs.TypeFunction {
				return nil, invalid("onSendBefore must be a function")
			}
			so.OnSendBefore = func(m *client.Message) {
				v, err := toJS(messageJS(m))
				if err == nil {
					_, err = before.Invoke(v)
				}
				if err != nil {
					b.log.Log(client.LevelWarn, "imwasm: onSendBefore threw", "err", err.Error())
				}
			}
		}
	}
	return func() (any, error) {
		sent, err := eng.SendMessage(context.Background(), m, so)
		if sent == nil {
			return nil, err
		}
		return messageJS(sent), err // a failed send carries the FAILED message
	}, nil
}

// __failHeld(messageId): an upload helper's upload failed.
func (b *Bridge) failHeld(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	id, err := asInt(arg(args, 0), "messageId")
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		m, err := eng.FailHeld(context.Background(), id)
		if err != nil {
			return nil, err
		}
		return messageJS(m), nil
	}, nil
}

// forwardMessage(conversation, message): message is a received or sent one.
func (b *Bridge) forwardMessage(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	m, err := messageArg(c, arg(args, 1), safejs.Undefined())
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		sent, err := eng.ForwardMessage(context.Background(), c, m, client.SendOptions{})
		if sent == nil {
			return nil, err
		}
		return messageJS(sent), err
	}, nil
}

// recallMessage(conversation, {messageUId, sentTime, isAdmin?, isDelete?, extra?, disableNotification?, pushContent?})
func (b *Bridge) recallMessage(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	o := arg(args, 1)
	if err := object(o, "options"); err != nil {
		return nil, err
	}
	uid, err := optString(o, "messageUId")
	if err != nil {
		return nil, err
	}
	sent, err := optInt(o, "sentTime", 0)
	if err != nil {
		return nil, err
	}
	var ro client.RecallOptions
	if ro.IsAdmin, err = optBool(o, "isAdmin"); err != nil {
		return nil, err
	}
	if ro.IsDelete, err = optBool(o, "isDelete"); err != nil {
		return nil, err
	}
	if ro.Extra, err = optString(o, "extra"); err != nil {
		return nil, err
	}
	if ro.DisableNotification, err = optBool(o, "disableNotification"); err != nil {
		return nil, err
	}
	if ro.PushContent, err = optString(o, "pushContent"); err != nil {
		return nil, err
	}
	return func() (any, error) {
		m, err := eng.RecallMessage(context.Background(), c, uid, sent, ro)
		if err != nil {
			return nil, err
		}
		return messageJS(m), nil
	}, nil
}

// deleteMessages(conversation, [{messageUId, sentTime, messageDirection}])
func (b *Bridge) deleteMessages(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	uids, err := asArray(arg(args, 1), "messages", func(e safejs.Value) (string, error) {
		if err := object(e, "messages items"); err != nil {
			return "", err
		}
		uid, err := reqString(e, "messageUId")
		if err != nil {
			return "", codes.New(codes.InvalidParameterMessageUID, err.Error())
		}
		return uid, nil
	})
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.DeleteMessages(context.Background(), c, uids) }, nil
}

// clearHistoryMessages(conversation, timestamp)
func (b *Bridge) clearHistoryMessages(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	t, err := asInt(arg(args, 1), "timestamp")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.ClearHistory(context.Background(), c, t) }, nil
}

// clearMessages(conversation): this device's copies only.
func (b *Bridge) clearLocalMessages(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.ClearLocal(c, math.MaxInt64) }, nil
}

// deleteLocalMessagesByTimestamp(conversation, timestamp, cleanSpace):
// this device's copies sent at or before timestamp (cleanSpace has no
// meaning for IndexedDB).
func (b *Bridge) deleteLocalByTime(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	t, err := asInt(arg(args, 1), "timestamp")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.ClearLocal(c, t) }, nil
}

// getMessage(messageId | messageUId): the message this device holds.
func (b *Bridge) getLocalMessage(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	v := arg(args, 0)
	var uid string
	var id int64
	switch v.Type() {
	case safejs.TypeString:
		if uid, err = asString(v, "messageId"); err == nil && uid == "" {
			err = codes.New(codes.InvalidParameterMessageUID, "messageUId must not be empty")
		}
	case safejs.TypeNumber:
		if id, err = asInt(v, "messageId"); err == nil && id <= 0 {
			err = codes.New(codes.InvalidParameterMessageID, "messageId must be positive")
		}
	default:
		err = invalid("messageId must be a messageId (number) or a messageUId (string)")
	}
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		var m *client.Message
		var err error
		if uid != "" {
			m, err = eng.LocalMessageByUID(context.Background(), uid)
		} else {
			m, err = eng.LocalMessage(context.Background(), id)
		}
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, codes.New(codes.DBDataNotFound, "no such message on this device")
		}
		return messageJS(m), nil
	}, nil
}

// sendTypingStatusMessage(conversation, typingContentType)
func (b *Bridge) sendTypingStatus(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	typ, err := asString(arg(args, 1), "typingContentType")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.SendTypingStatus(context.Background(), c, typ) }, nil
}

// messageRef reads the message an expansion call names: its conversation
// and messageUId.
func messageRef(v safejs.Value) (client.Conversation, string, error) {
	c, err := conversationArg(v)
	if err != nil {
		return c, "", err
	}
	uid, err := reqString(v, "messageUId")
	if err != nil {
		return c, "", codes.New(codes.InvalidParameterMessageUID, err.Error())
	}
	return c, uid, nil
}

// updateMessageExpansion(expansion, message)
func (b *Bridge) updateExpansion(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	set, err := asStringMap(arg(args, 0), "expansion")
	if err != nil {
		return nil, err
	}
	c, uid, err := messageRef(arg(args, 1))
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.UpdateMessageExpansion(context.Background(), c, uid, set) }, nil
}

// removeMessageExpansionForKey(keys, message)
func (b *Bridge) removeExpansion(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	keys, err := asStrings(arg(args, 0), "keys")
	if err != nil {
		return nil, err
	}
	c, uid, err := messageRef(arg(args, 1))
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.RemoveMessageExpansionKeys(context.Background(), c, uid, keys) }, nil
}

// getHistoryMessages / getRemoteHistoryMessages(conversation, {timestamp?,
// count?, order?}); the remote one also narrowed by imwasm's {objectNames?,
// senderUserId?, boundTimestamp?}, and answering nextTimestamp.
func (b *Bridge) history(remote bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, c, err := b.withConv(args)
		if err != nil {
			return nil, err
		}
		q := client.HistoryQuery{Count: 20}
		if o := arg(args, 1); !absent(o) {
			if err := object(o, "options"); err != nil {
				return nil, err
			}
			var count, order int64
			if q.Timestamp, err = optInt(o, "timestamp", 0); err != nil {
				return nil, err
			}
			if count, err = optInt(o, "count", 20); err != nil {
				return nil, err
			}
			if order, err = optInt(o, "order", 0); err != nil {
				return nil, err
			}
			q.Count, q.Order = int(count), int(order)
			if remote {
				if q.ObjectNames, err = optStrings(o, "objectNames"); err != nil {
					return nil, err
				}
				if q.Sender, err = optString(o, "senderUserId"); err != nil {
					return nil, err
				}
				if q.Bound, err = optInt(o, "boundTimestamp", 0); err != nil {
					return nil, err
				}
			}
		}
		return func() (any, error) {
			if !remote {
				list, more, err := eng.GetHistory(context.Background(), c, q.Timestamp, q.Count, q.Order)
				if err != nil {
					return nil, err
				}
				return map[string]any{"list": messagesJS(list), "hasMore": more}, nil
			}
			list, more, next, err := eng.RemoteHistoryWhere(context.Background(), c, q)
			if err != nil {
				return nil, err
			}
			return map[string]any{"list": messagesJS(list), "hasMore": more, "nextTimestamp": next}, nil
		}, nil
	}
}

// getConversationList(options? {count = 300, startTime = 0, order = 0}, channelId?)
func (b *Bridge) conversationList(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	q := client.ConversationQuery{Count: 300}
	if opts := arg(args, 0); !absent(opts) {
		if q, err = conversationQuery(opts, 300); err != nil {
			return nil, err
		}
	}
	return b.conversationsWork(eng, q), nil
}

// getConversationListByTimestamp({startTime, count, order?, conversationTypes?, topPriority?})
func (b *Bridge) conversationListByTime(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	opts := arg(args, 0)
	if err := object(opts, "params"); err != nil {
		return nil, err
	}
	q, err := conversationQuery(opts, -1)
	if err != nil {
		return nil, err
	}
	return b.conversationsWork(eng, q), nil
}

// getAllConversationList(channelId?)
func (b *Bridge) allConversations([]safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	return b.conversationsWork(eng, client.ConversationQuery{Count: client.MaxConversationPage}), nil
}

// conversationQuery reads a page's options: count (def when absent; -1:
// required), startTime, order, conversationTypes, topPriority.
func conversationQuery(opts safejs.Value, def int64) (client.ConversationQuery, error) {
	var q client.ConversationQuery
	if err := object(opts, "options"); err != nil {
		return q, err
	}
	count, err := optInt(opts, "count", def)
	if err != nil {
		return q, err
	}
	if count == -1 {
		return q, invalid("count is required")
	}
	start, err := optInt(opts, "startTime", 0)
	if err != nil {
		return q, err
	}
	order, err := optInt(opts, "order", 0)
	if err != nil {
		return q, err
	}
	if order != 0 && order != 1 {
		return q, invalid("order must be 0 (older) or 1 (newer)")
	}
	top, err := optBool(opts, "topPriority")
	if err != nil {
		return q, err
	}
	q = client.ConversationQuery{Count: int(min(max(count, -1), client.MaxConversationPage+1)), StartTime: start, Forward: order == 1, TopFirst: top}
	v, err := field(opts, "conversationTypes")
	if err != nil {
		return q, err
	}
	q.Types, err = conversationTypesArg(v)
	return q, err
}

func (b *Bridge) conversationsWork(eng *client.Engine, q client.ConversationQuery) work {
	return func() (any, error) {
		list, err := eng.ConversationsPage(context.Background(), q)
		if err != nil {
			return nil, err
		}
		return b.conversationsJS(eng, list), nil
	}
}

// getConversation(conversation): null when the device knows nothing of it.
func (b *Bridge) conversation(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		ci, err := eng.Conversation(context.Background(), c)
		if err != nil || ci == nil {
			return nil, err
		}
		return conversationInfoJS(*ci), nil
	}, nil
}

func (b *Bridge) unreadCount(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return eng.UnreadCount(c), nil }, nil
}

// getTotalUnreadCount(includeMuted = false, conversationTypes?)
func (b *Bridge) totalUnreadCount(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	muted, err := argBool(arg(args, 0), "includeMuted", false)
	if err != nil {
		return nil, err
	}
	types, err := conversationTypesArg(arg(args, 1))
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return eng.TotalUnreadCount(muted, types...), nil }, nil
}

// clearMessagesUnreadStatus(conversation)
func (b *Bridge) clearUnread(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.MarkRead(context.Background(), c, 0) }, nil
}

// getFirstUnreadMessage(conversation): the oldest unread message, or null.
func (b *Bridge) firstUnread(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		m, err := eng.FirstUnread(context.Background(), c)
		if err != nil || m == nil {
			return nil, err
		}
		return messageJS(m), nil
	}, nil
}

// getFirstUnreadMessageInfo(conversation): {messageUId, sentTime} of it, or null.
func (b *Bridge) firstUnreadInfo(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		m, err := eng.FirstUnread(context.Background(), c)
		if err != nil || m == nil {
			return nil, err
		}
		return map[string]any{"messageUId": m.MessageUID, "sentTime": m.SentTime}, nil
	}, nil
}

// getUnreadMentionedCount(conversation)
func (b *Bridge) unreadMentions(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return eng.UnreadMentions(&c), nil }, nil
}

// getAllUnreadMentionedCount()
func (b *Bridge) allUnreadMentions([]safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return eng.UnreadMentions(nil), nil }, nil
}

// clearAllMessagesUnreadStatus()
func (b *Bridge) clearAllUnread([]safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.ClearAllUnread(context.Background()) }, nil
}

// sendSyncReadStatusMessage(conversation, timestamp): this user read up to
// timestamp, told to their other devices (clearMessagesUnreadStatus up to
// a message).
func (b *Bridge) syncReadStatus(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	t, err := asInt(arg(args, 1), "timestamp")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.MarkReadAt(context.Background(), c, t) }, nil
}

// getMessagesByUIds({conversationIdentifier, messageUIds}): for each uid,
// {code, messageUId, message?}: the message this device holds, or
// RC_DB_DATA_NOT_FOUND.
func (b *Bridge) messagesByUIDs(args []safejs.Value) (work, error) {
	eng, params, err := b.withParams(args)
	if err != nil {
		return nil, err
	}
	c, err := convField(params, "conversationIdentifier")
	if err != nil {
		return nil, err
	}
	uv, err := field(params, "messageUIds")
	if err != nil {
		return nil, err
	}
	uids, err := asStrings(uv, "messageUIds")
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		ms, err := eng.LocalMessagesByUID(context.Background(), c, uids)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(uids))
		for i, u := range uids {
			r := map[string]any{"code": int(codes.DBDataNotFound), "messageUId": u}
			if ms[i] != nil {
				r["code"], r["message"] = 0, messageJS(ms[i])
			}
			out[i] = r
		}
		return out, nil
	}, nil
}

// batchClearRemoteHistoryMessages([{conversationType, targetId, timestamp?}], isDeleteLocal?):
// clearHistoryMessages for each (timestamp absent: everything so far); the
// device's copies go too, whatever isDeleteLocal says.
func (b *Bridge) batchClearHistory(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	type clear struct {
		c client.Conversation
		t int64
	}
	clears, err := asArray(arg(args, 0), "clearMessageOption", func(v safejs.Value) (clear, error) {
		c, err := conversationArg(v)
		if err != nil {
			return clear{}, err
		}
		t, err := optInt(v, "timestamp", 0)
		return clear{c, t}, err
	})
	if err != nil {
		return nil, err
	}
	if len(clears) == 0 || len(clears) > contract.MaxPerCall {
		return nil, codes.New(codes.InvalidParameterCount, "1-100 conversations")
	}
	return func() (any, error) {
		for _, cl := range clears {
			if err := eng.ClearHistory(context.Background(), cl.c, cl.t); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}, nil
}
