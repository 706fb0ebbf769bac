//go:build js && wasm

package jsbridge

import (
	"context"
	"slices"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
)

// This file: the receipt functions and events of docs/api.md with RongIMLib's
// argument orders and shapes.

// groupArgs reads (targetId, …, channelId at index ch) as a group
// conversation, as RongIMLib's group receipt functions take it.
func groupArgs(args []safejs.Value, typ int32, ch int) (client.Conversation, error) {
	target, err := asString(arg(args, 0), "targetId")
	if err != nil || target == "" {
		return client.Conversation{}, codes.New(codes.InvalidParameterTargetID, "targetId must be a non-empty string")
	}
	c := client.Conversation{Type: typ, TargetID: target}
	if v := arg(args, ch); !absent(v) {
		if c.ChannelID, err = asString(v, "channelId"); err != nil {
			return c, err
		}
	}
	return c, nil
}

// messageArgs reads (targetId, messageUId, …, channelId at index ch), the
// arguments of RongIMLib's per-message receipt functions.
func (b *Bridge) messageArgs(args []safejs.Value, typ int32, ch int) (*client.Engine, client.Conversation, string, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, client.Conversation{}, "", err
	}
	c, err := groupArgs(args, typ, ch)
	if err != nil {
		return nil, c, "", err
	}
	uid, err := uidArg(arg(args, 1))
	return eng, c, uid, err
}

// convMessageArgs reads (conversation, messageUId, …), the arguments of
// the V5 receipt functions and the read acks.
func (b *Bridge) convMessageArgs(args []safejs.Value) (*client.Engine, client.Conversation, string, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, c, "", err
	}
	uid, err := uidArg(arg(args, 1))
	return eng, c, uid, err
}

func uidArg(v safejs.Value) (string, error) {
	uid, err := asString(v, "messageUId")
	if err != nil || uid == "" {
		return "", codes.New(codes.InvalidParameterMessageUID, "messageUId must be a non-empty string")
	}
	return uid, nil
}

// sendReadReceiptMessage(targetId, messageUId, timestamp, channelId?)
func (b *Bridge) sendReadReceipt(args []safejs.Value) (work, error) {
	eng, c, uid, err := b.messageArgs(args, client.Private, 3)
	if err != nil {
		return nil, err
	}
	if _, err := asInt(arg(args, 2), "timestamp"); err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.SendReadReceipt(context.Background(), c, uid) }, nil
}

// sendReadReceiptRequest(targetId, messageUId, channelId?)
func (b *Bridge) sendReceiptRequest(args []safejs.Value) (work, error) {
	eng, c, uid, err := b.messageArgs(args, client.Group, 2)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.RequestReceipts(context.Background(), c, uid) }, nil
}

// sendReadReceiptResponseV2(targetId, messageList?, channelId?): without
// messageList the SDK answers the requests its cache holds.
func (b *Bridge) sendReceiptResponseV2(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	c, err := groupArgs(args, client.Group, 2)
	if err != nil {
		return nil, err
	}
	list := arg(args, 1)
	if absent(list) {
		return func() (any, error) {
			_, err := eng.RespondCachedRequests(context.Background(), c)
			return nil, err
		}, nil
	}
	// { [senderUserId]: messageUId[] }: the server knows each sender.
	bySender, err := senderLists(list)
	if err != nil {
		return nil, err
	}
	var uids []string
	for _, l := range bySender {
		uids = append(uids, l...)
	}
	if len(uids) == 0 {
		return func() (any, error) { return nil, nil }, nil
	}
	return func() (any, error) { return nil, eng.RespondReceipts(context.Background(), c, uids) }, nil
}

func senderLists(v safejs.Value) (map[string][]string, error) {
	if err := object(v, "messageList"); err != nil {
		return nil, err
	}
	obj, err := safejs.Global().Get("Object")
	if err != nil {
		return nil, err
	}
	keys, err := obj.Call("keys", v)
	if err != nil {
		return nil, invalid("messageList: %v", err)
	}
	senders, err := asStrings(keys, "messageList keys")
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, s := range senders {
		l, err := field(v, s)
		if err != nil {
			return nil, err
		}
		if out[s], err = asStrings(l, "messageList["+s+"]"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sendReadReceiptResponseV5(conversation, messageUIds)
func (b *Bridge) sendReceiptResponseV5(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	uids, err := asStrings(arg(args, 1), "messageUIds")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.RespondReceipts(context.Background(), c, uids) }, nil
}

// sendMessageReadAck(conversation, messageUId, ackContent?): imwasm's own
// (Easemob's and NIM's per-message read ack).
func (b *Bridge) sendMessageReadAck(args []safejs.Value) (work, error) {
	eng, c, uid, err := b.convMessageArgs(args)
	if err != nil {
		return nil, err
	}
	var content string
	if v := arg(args, 2); !absent(v) {
		if content, err = asString(v, "ackContent"); err != nil {
			return nil, err
		}
	}
	return func() (any, error) { return nil, eng.AckMessageRead(context.Background(), c, uid, content) }, nil
}

// sendConversationReadAck(conversation, messageUId?): imwasm's own
// (Easemob's channel ack; NIM's p2p receipt, up to a message).
func (b *Bridge) sendConversationReadAck(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	var uid string
	if v := arg(args, 1); !absent(v) {
		if uid, err = uidArg(v); err != nil {
			return nil, err
		}
	}
	return func() (any, error) { return nil, eng.AckConversationRead(context.Background(), c, uid) }, nil
}

// getMessageReader(targetId, messageUId, channelId?) → {totalMemberCount, list}
func (b *Bridge) getMessageReader(args []safejs.Value) (work, error) {
	eng, c, uid, err := b.messageArgs(args, client.Group, 2)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		var list []any
		total := 0
		for token := ""; ; {
			p, err := eng.Readers(context.Background(), c, uid, 1, token, 100)
			if err != nil {
				return nil, err
			}
			total = p.TotalCount
			for _, r := range p.Users {
				list = append(list, map[string]any{"userId": r.UserID, "readTime": r.Time})
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if list == nil {
			list = []any{}
		}
		return map[string]any{"totalMemberCount": total, "list": list}, nil
	}, nil
}

// getMessageReadReceiptInfoV5(conversation, messageUIds) → ReadReceiptInfoV5[]
func (b *Bridge) getReceiptInfoV5(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	uids, err := asStrings(arg(args, 1), "messageUIds")
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		infos, err := eng.ReceiptCounts(context.Background(), c, uids)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(infos))
		for i, in := range infos {
			out[i] = receiptInfoV5JS(c, in)
		}
		return out, nil
	}, nil
}

// receiptInfoV5JS is RongIMLib's ReadReceiptInfoV5.
func receiptInfoV5JS(c client.Conversation, in client.ReceiptCount) map[string]any {
	return map[string]any{"identifier": conversationJS(c), "messageUId": in.MessageUID, "readCount": in.ReadCount,
		"unreadCount": max(0, in.TotalCount-in.ReadCount), "totalCount": in.TotalCount}
}

// getMessageReadReceiptInfoV5ByIdentifiers([{identifier, messageUId}])
// → ReadReceiptInfoV5[], in the order asked (1-100 messages, in any
// conversations).
func (b *Bridge) getReceiptInfoV5ByIDs(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	type ref struct {
		c   client.Conversation
		uid string
	}
	refs, err := asArray(arg(args, 0), "messageIds", func(v safejs.Value) (ref, error) {
		if err := object(v, "messageIds"); err != nil {
			return ref{}, err
		}
		c, err := convField(v, "identifier")
		if err != nil {
			return ref{}, err
		}
		uid, err := reqString(v, "messageUId")
		return ref{c, uid}, err
	})
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 || len(refs) > contract.MaxPerCall {
		return nil, codes.New(codes.RRSV5ParamLengthExceed, "1-100 messages per call")
	}
	return func() (any, error) {
		byConv := map[client.Conversation][]string{}
		var order []client.Conversation
		for _, r := range refs {
			if _, ok := byConv[r.c]; !ok {
				order = append(order, r.c)
			}
			byConv[r.c] = append(byConv[r.c], r.uid)
		}
		found := map[ref]client.ReceiptCount{}
		for _, c := range order {
			infos, err := eng.ReceiptCounts(context.Background(), c, byConv[c])
			if err != nil {
				return nil, err
			}
			for _, in := range infos {
				found[ref{c, in.MessageUID}] = in
			}
		}
		out := []any{}
		for _, r := range refs {
			if in, ok := found[r]; ok {
				out = append(out, receiptInfoV5JS(r.c, in))
			}
		}
		return out, nil
	}, nil
}

// getMessagesReadReceiptByUsersV5(conversation, messageUId, userIds) →
// {pageToken: ”, totalCount, users}: which of userIds (1-100) read the
// message, and when.
func (b *Bridge) getReceiptByUsersV5(args []safejs.Value) (work, error) {
	eng, c, uid, err := b.convMessageArgs(args)
	if err != nil {
		return nil, err
	}
	users, err := asStrings(arg(args, 2), "userIds")
	if err != nil {
		return nil, err
	}
	if len(users) == 0 || len(users) > contract.MaxPerCall {
		return nil, codes.New(codes.RRSV5ParamLengthExceed, "1-100 userIds per call")
	}
	return func() (any, error) {
		out := []any{}
		for token := ""; ; {
			p, err := eng.Readers(context.Background(), c, uid, 1, token, 100)
			if err != nil {
				return nil, err
			}
			for _, r := range p.Users {
				if slices.Contains(users, r.UserID) {
					out = append(out, map[string]any{"userId": r.UserID, "timestamp": r.Time})
				}
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		return map[string]any{"pageToken": "", "totalCount": len(out), "users": out}, nil
	}, nil
}

// sendReadReceiptResponse(targetId, messageUIds, channelId?): the older
// form of sendReadReceiptResponseV2, the messages listed directly.
func (b *Bridge) sendReceiptResponseV1(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	c, err := groupArgs(args, client.Group, 2)
	if err != nil {
		return nil, err
	}
	uids, err := asStrings(arg(args, 1), "messageUIds")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.RespondReceipts(context.Background(), c, uids) }, nil
}

// getMessagesReadReceiptUsersByPageV5(conversation, messageUId, {pageToken?, pageCount?, readStatus?})
// → {pageToken, totalCount, users: [{userId, timestamp}]}. readStatus 0:
// readers, 1: … RongIMLib's ReadReceiptStatus: 0 read, 1 unread.
func (b *Bridge) getReceiptUsersV5(args []safejs.Value) (work, error) {
	eng, c, uid, err := b.convMessageArgs(args)
	if err != nil {
		return nil, err
	}
	opt := arg(args, 2)
	var token string
	var count, status int64
	if !absent(opt) {
		if err := object(opt, "options"); err != nil {
			return nil, err
		}
		if token, err = optString(opt, "pageToken"); err != nil {
			return nil, err
		}
		if count, err = optInt(opt, "pageCount", 0); err != nil {
			return nil, err
		}
		if status, err = optInt(opt, "readStatus", 0); err != nil {
			return nil, err
		}
	}
	if count < 0 || count > 100 {
		return nil, codes.New(codes.InvalidParameterCount, "pageCount must be 1-100")
	}
	if status != 0 && status != 1 {
		return nil, invalid("readStatus must be 0 (read) or 1 (unread)")
	}
	wire := uint32(1) // readers
	if status == 1 {
		wire = 2 // members who have not read
	}
	return func() (any, error) {
		p, err := eng.Readers(context.Background(), c, uid, wire, token, uint32(count))
		if err != nil {
			return nil, err
		}
		users := make([]any, len(p.Users))
		for i, r := range p.Users {
			users[i] = map[string]any{"userId": r.UserID, "timestamp": r.Time}
		}
		total := p.ReadCount
		if status == 1 {
			total = max(0, p.TotalCount-p.ReadCount) // readers who left the group still count as read
		}
		return map[string]any{"pageToken": p.NextPageToken, "totalCount": total, "users": users}, nil
	}, nil
}

// readReceiptInfoJS is RongIMLib's readReceiptInfo in the form the message
// asked for: request/response ({isReceiptRequestMessage, hasRespond,
// readerList: ids}) or needReceipt ({readerList: [{userId, readTime}],
// readCount, totalCount}); nil for messages without receipts.
func readReceiptInfoJS(m *client.Message) map[string]any {
	rc := m.Receipt
	switch {
	case rc != nil && rc.IsRequest:
		ids := make([]any, len(rc.Readers))
		for i, r := range rc.Readers {
			ids[i] = r.UserID
		}
		return map[string]any{"isReceiptRequestMessage": true, "hasRespond": rc.HasRespond, "readerList": ids}
	case m.NeedReceipt:
		out := map[string]any{"readerList": []any{}, "readCount": 0, "totalCount": 0, "hasRespond": false}
		if rc != nil {
			list := make([]any, len(rc.Readers))
			for i, r := range rc.Readers {
				list[i] = map[string]any{"userId": r.UserID, "readTime": r.Time}
			}
			out["readerList"], out["readCount"], out["totalCount"], out["hasRespond"] = list, rc.ReadCount, rc.TotalCount, rc.HasRespond
		}
		return out
	case rc != nil && rc.HasRespond:
		return map[string]any{"hasRespond": true}
	}
	return nil
}

func receiptEventJS(ev client.Event) (string, any, bool) {
	r := ev.Receipt
	if r == nil {
		return "", nil, false
	}
	conv := conversationJS(r.Conversation)
	switch ev.Kind {
	case client.EventReadReceipt:
		out := map[string]any{"conversation": conv, "messageUId": r.MessageUID, "sentTime": r.SentTime, "sendUserId": r.UserID}
		if r.Offline {
			out["isOffline"] = true
		}
		return "READ_RECEIPT_RECEIVED", out, true
	case client.EventSyncRead:
		out := conversationJS(r.Conversation)
		out.Set("timestamp", r.SentTime)
		if r.Told {
			out.Set("peerTold", true)
		}
		return "SYNC_READ_STATUS", out, true
	case client.EventReceiptRequest:
		return "MESSAGE_RECEIPT_REQUEST", map[string]any{"conversation": conv, "messageUId": r.MessageUID, "senderUserId": r.UserID}, true
	case client.EventReceiptResponse:
		return "MESSAGE_RECEIPT_RESPONSE", map[string]any{"conversation": conv, "receivedUserId": r.UserID, "messageUIdList": stringsAny(r.MessageUIDs)}, true
	case client.EventReceiptResponseV5:
		list := make([]any, len(r.Counts))
		for i, c := range r.Counts {
			users := make([]any, len(c.Users))
			for j, u := range c.Users {
				user := map[string]any{"userId": u.UserID, "timestamp": u.Time}
				if u.Content != "" {
					user["content"] = u.Content
				}
				users[j] = user
			}
			item := map[string]any{"identifier": conversationJS(c.Conversation), "messageUId": c.MessageUID, "readCount": c.ReadCount,
				"unreadCount": max(0, c.TotalCount-c.ReadCount), "totalCount": c.TotalCount, "users": users}
			if r.Offline {
				item["isOffline"] = true
			}
			list[i] = item
		}
		return "MESSAGE_RECEIPT_RESPONSE_V5", list, true
	case client.EventDelivered:
		return "MESSAGE_DELIVERED", map[string]any{"conversation": conv, "deliveredUserId": r.UserID, "messageUIdList": stringsAny(r.MessageUIDs), "deliveredTime": r.Time}, true
	}
	return "", nil, false
}
