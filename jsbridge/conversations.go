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

// This file: RongIMLib's newer conversation calls, over what the engine
// keeps of each conversation. RongCloud's "realtime conversations" (a
// list kept by its server, for web apps without a local store) are the
// same list here: imwasm's is the server's already.

// pagedQuery reads a page's options with the count at most max
// (INVALID_PARAMETER_COUNT otherwise).
func pagedQuery(opts safejs.Value, def, maxCount int64) (client.ConversationQuery, error) {
	q, err := conversationQuery(opts, def)
	if err == nil && (q.Count < 1 || int64(q.Count) > maxCount) {
		err = codes.New(codes.InvalidParameterCount, "count out of range")
	}
	return q, err
}

// getRealtimeConversations({count?, startTime?, order?}): a page of up
// to 50 conversations.
func (b *Bridge) realtimeConversations(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	opts := arg(args, 0)
	if absent(opts) {
		return b.conversationsWork(eng, client.ConversationQuery{Count: 50}), nil
	}
	q, err := pagedQuery(opts, 50, 50)
	if err != nil {
		return nil, err
	}
	return b.conversationsWork(eng, q), nil
}

// getUnreadMentionMeConversationList({timestamp, count, conversationTypes,
// topPriority?}): the conversations with unread messages that mention the
// user, updated before timestamp (0: now), newest first.
func (b *Bridge) mentionMeConversations(args []safejs.Value) (work, error) {
	eng, params, err := b.withParams(args)
	if err != nil {
		return nil, err
	}
	q, err := pagedQuery(params, -1, 100)
	if err != nil {
		return nil, err
	}
	if q.StartTime, err = optInt(params, "timestamp", 0); err != nil {
		return nil, err
	}
	q.Forward, q.Mentioned = false, true
	return b.conversationsWork(eng, q), nil
}

// getRealtimeConUnreadCounts(identifiers): [{conversationType, targetId,
// channelId, unreadCount}] for 1-10 conversations.
func (b *Bridge) unreadCounts(args []safejs.Value) (work, error) {
	eng, convs, err := b.withConvs(args)
	if err != nil {
		return nil, err
	}
	if len(convs) == 0 || len(convs) > 10 {
		return nil, codes.New(codes.InvalidParameterCount, "1-10 conversations")
	}
	return func() (any, error) {
		out := make([]any, len(convs))
		for i, c := range convs {
			r := conversationJS(c)
			r.Set("unreadCount", eng.UnreadCount(c))
			out[i] = r
		}
		return out, nil
	}, nil
}

// getTotalUnreadCountByLevels(conversationTypes, levels) and
// getTotalUnreadMentionedCountByLevels(conversationTypes, levels)
func (b *Bridge) unreadByLevels(mentions bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		types, err := conversationTypesArg(arg(args, 0))
		if err != nil {
			return nil, err
		}
		levels, err := levelsArg(arg(args, 1), "levels")
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return pickCount(mentions)(eng.UnreadByLevels(types, levels)), nil }, nil
	}
}

// getUnreadMentionedMessages(conversation): the unread messages held here
// that mention the user, oldest first.
func (b *Bridge) unreadMentionedMessages(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		ms, err := eng.UnreadMentioned(context.Background(), c)
		if err != nil {
			return nil, err
		}
		return messagesJS(ms), nil
	}, nil
}

// batchDeleteConversations({identifiers, deleteRemotely, deleteMessages}):
// 1-100 conversations out of the list on all the user's devices (as
// removeConversation; deleteRemotely has no meaning here, as on RongIMLib's
// web), and with deleteMessages their history cleared too.
func (b *Bridge) batchDeleteConversations(args []safejs.Value) (work, error) {
	eng, params, err := b.withParams(args)
	if err != nil {
		return nil, err
	}
	ids, err := field(params, "identifiers")
	if err != nil {
		return nil, err
	}
	convs, err := conversationsArg(ids)
	if err != nil {
		return nil, err
	}
	if len(convs) == 0 || len(convs) > contract.MaxPerCall {
		return nil, codes.New(codes.InvalidParameterCount, "identifiers: 1-100 conversations")
	}
	deleteMessages, err := optBool(params, "deleteMessages")
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		ctx := context.Background()
		if deleteMessages {
			for _, c := range convs {
				if err := eng.ClearHistory(ctx, c, 0); err != nil {
					return nil, err
				}
			}
		}
		for chunk := range slices.Chunk(convs, contract.MaxPerSettings) {
			if err := eng.SetSettings(ctx, chunk, client.SettingsEdit{Remove: true}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}, nil
}

// __conversationPage(options, cursor, count): one load of
// createConversationListLoader (npm/index.js keeps the cursor it answers).
// options: {conversationTypes?, tagFilter?: {tagIds?, topPriority?},
// order?}; cursor: {pinnedDone, time} (null: the start). With topPriority
// the pinned conversations come first (pinned in the tags), then the rest,
// each part paged by time. It answers {list, cursor, hasMore}.
func (b *Bridge) conversationPage(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	opts := arg(args, 0)
	if absent(opts) {
		opts = safejs.Undefined()
	}
	var q client.ConversationQuery
	var topFirst bool
	if !absent(opts) {
		if err := object(opts, "options"); err != nil {
			return nil, err
		}
		order, err := optInt(opts, "order", 0)
		if err != nil {
			return nil, err
		}
		if order != 0 && order != 1 {
			return nil, invalid("order must be 0 or 1")
		}
		q.Forward = order == 1
		v, err := field(opts, "conversationTypes")
		if err != nil {
			return nil, err
		}
		if q.Types, err = conversationTypesArg(v); err != nil {
			return nil, err
		}
		tf, err := field(opts, "tagFilter")
		if err != nil {
			return nil, err
		}
		if !absent(tf) {
			if err := object(tf, "tagFilter"); err != nil {
				return nil, err
			}
			ids, err := field(tf, "tagIds")
			if err != nil {
				return nil, err
			}
			if !absent(ids) {
				if q.Tags, err = asArray(ids, "tagIds", tagIDArg); err != nil {
					return nil, err
				}
			}
			if topFirst, err = optBool(tf, "topPriority"); err != nil {
				return nil, err
			}
			topFirst = topFirst && len(q.Tags) > 0
		}
	}
	cur := arg(args, 1)
	var pinnedDone bool
	var start int64
	var startKey string
	if !absent(cur) {
		if pinnedDone, err = optBool(cur, "pinnedDone"); err != nil {
			return nil, err
		}
		if start, err = optInt(cur, "time", 0); err != nil {
			return nil, err
		}
		if startKey, err = optString(cur, "key"); err != nil {
			return nil, err
		}
	}
	count, err := asInt(arg(args, 2), "count")
	if err != nil {
		return nil, err
	}
	if count < 1 || count > 100 {
		return nil, codes.New(codes.InvalidParameterCount, "count: 1-100")
	}
	return func() (any, error) {
		ctx := context.Background()
		var list []client.ConversationInfo
		// The cursor is the last conversation given: its time and key.
		next := func(page []client.ConversationInfo) {
			if len(page) > 0 {
				last := page[len(page)-1]
				start, startKey = last.ListTime, last.Key()
			}
		}
		if topFirst && !pinnedDone {
			pq := q
			pq.Pinned, pq.StartTime, pq.StartKey, pq.Count = client.PinnedOnly, start, startKey, int(count)
			page, err := eng.ConversationsPage(ctx, pq)
			if err != nil {
				return nil, err
			}
			list = page
			next(page)
			if len(page) < int(count) {
				pinnedDone, start, startKey = true, 0, ""
			}
		}
		if len(list) < int(count) {
			rq := q
			rq.StartTime, rq.StartKey, rq.Count = start, startKey, int(count)-len(list)
			if topFirst {
				rq.Pinned = client.PinnedNot
			}
			page, err := eng.ConversationsPage(ctx, rq)
			if err != nil {
				return nil, err
			}
			list = append(list, page...)
			next(page)
		}
		return map[string]any{
			"list":    b.conversationsJS(eng, list),
			"cursor":  map[string]any{"pinnedDone": pinnedDone || !topFirst, "time": start, "key": startKey},
			"hasMore": len(list) == int(count),
		}, nil
	}, nil
}

// searchPropsArg reads the custom types' searchable properties that
// npm/index.js passes last ({objectName: [property]}, from
// registerMessageType's searchProps).
func searchPropsArg(v safejs.Value) (map[string][]string, error) {
	if absent(v) {
		return nil, nil
	}
	m, err := asStringListMap(v, "searchProps")
	if err != nil {
		return nil, err
	}
	return m, nil
}

// searchMessages(conversation, keyword, timestamp, count) → {messages,
// count}: this device's messages of the conversation that match,
// sent before timestamp (0: now), newest first.
func (b *Bridge) searchMessages(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	kw, err := asString(arg(args, 1), "keyword")
	if err != nil {
		return nil, err
	}
	var before, count int64 = 0, 20
	if v := arg(args, 2); !absent(v) {
		if before, err = asInt(v, "timestamp"); err != nil {
			return nil, err
		}
	}
	if v := arg(args, 3); !absent(v) {
		if count, err = asInt(v, "count"); err != nil {
			return nil, err
		}
	}
	props, err := searchPropsArg(arg(args, 4))
	if err != nil {
		return nil, err
	}
	q := client.SearchQuery{Keyword: kw, Before: before, Count: int(count), Props: props}
	return func() (any, error) {
		ms, total, err := eng.SearchMessages(context.Background(), c, q)
		if err != nil {
			return nil, err
		}
		// count is RongIMLib's name; totalMatched imwasm's before it.
		return map[string]any{"messages": messagesJS(ms), "count": total, "totalMatched": total}, nil
	}, nil
}

// searchConversationByContent(keyword, conversationTypes?, messageTypes?,
// channelId?): the conversations holding a message that matches.
func (b *Bridge) searchConversations(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	kw, err := asString(arg(args, 0), "keyword")
	if err != nil {
		return nil, err
	}
	types, err := conversationTypesArg(arg(args, 1))
	if err != nil {
		return nil, err
	}
	var objectNames []string
	if v := arg(args, 2); !absent(v) {
		if objectNames, err = asStrings(v, "messageTypes"); err != nil {
			return nil, err
		}
	}
	props, err := searchPropsArg(arg(args, 4))
	if err != nil {
		return nil, err
	}
	q := client.SearchQuery{Keyword: kw, Types: objectNames, Props: props}
	return func() (any, error) {
		list, err := eng.SearchConversations(context.Background(), q, types)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(list))
		for i, ci := range list {
			out[i] = conversationInfoJS(ci)
		}
		return out, nil
	}, nil
}
