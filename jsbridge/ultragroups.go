//go:build js && wasm

package jsbridge

import (
	"context"
	"slices"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// RongIMLib's ultra-group functions. A channel is a conversation
// {conversationType: ULTRA_GROUP, targetId, channelId}: sending, history,
// reads, recalls and edits are the ordinary calls; these read a user's
// groups and channels, their counts and default levels, and name the
// ultra-group forms of typing and expansions.
func (b *Bridge) ultraGroupFunctions() map[string]func([]safejs.Value) (work, error) {
	return map[string]func([]safejs.Value) (work, error){
		"getUltraGroupList":                           b.ultraGroupList,
		"getBlockUltraGroupList":                      b.blockUltraGroupList,
		"sendUltraGroupTypingStatus":                  b.ultraTyping,
		"getUltraGroupMessageListByMessageUId":        b.ultraMessagesByUID,
		"updateExpansionForUltraGroupMessage":         b.ultraExpansion(false, false),
		"removeExpansionForUltraGroupMessage":         b.ultraExpansion(true, false),
		"removeAllExpansionForUltraGroupMessage":      b.ultraExpansion(true, true),
		"getUltraGroupUnreadMentionedCountByTargetId": b.ultraCountByTarget(true),
		"getUltraGroupUnreadCountByTargetId":          b.ultraCountByTarget(false),
		"getAllUltraGroupUnreadCount":                 b.ultraCountAll(false),
		"getAllUltraGroupUnreadMentionedCount":        b.ultraCountAll(true),
		"getUltraGroupDefaultNotificationLevel":       b.ultraDefaultLevel(false),
		"setUltraGroupDefaultNotificationLevel":       b.ultraDefaultLevel(true),
		"getUltraGroupUnreadMentionedMessages":        b.ultraUnreadMentions,
		"getUltraGroupFirstUnreadMessageTimestamp":    b.ultraFirstUnread,
		"getUltraGroupUnreadInfoList":                 b.ultraUnreadInfo,
	}
}

// ultraConv reads an IUltraGroupOption {targetId, channelId?} as a channel.
func ultraConv(v safejs.Value, name string) (client.Conversation, error) {
	c := client.Conversation{Type: client.UltraGroup}
	if err := object(v, name); err != nil {
		return c, err
	}
	var err error
	if c.TargetID, err = reqString(v, "targetId"); err != nil {
		return c, err
	}
	if !contract.ValidID(c.TargetID) {
		return c, codes.New(codes.InvalidParameterTargetID, "invalid targetId")
	}
	if c.ChannelID, err = optString(v, "channelId"); err != nil {
		return c, err
	}
	if c.ChannelID != "" && !contract.ValidID(c.ChannelID) {
		return c, codes.New(codes.UltraGroupChannelIDNotExist, "invalid channelId")
	}
	return c, nil
}

// onlyUltra refuses a conversation of another type, as RongIMLib does.
func onlyUltra(c client.Conversation) error {
	if c.Type != client.UltraGroup {
		return codes.New(codes.MethodOnlySupportUltraGroup, "for ultra group conversations only")
	}
	return nil
}

// ultraChannelJS is an IUltraGroupConversation: the conversation with
// its channel's type and the level in effect.
func ultraChannelJS(ch client.UltraChannel) *conversationValue {
	ci := ch.ConversationInfo
	ci.NotificationLevel = ch.Level
	cv := conversationInfoJS(ci)
	channelType := 0 // UltraGroupChannelType.PUBLIC
	if ch.Private {
		channelType = 1
	}
	cv.Set("channelType", channelType)
	cv.Set("unreadMentionedMeCount", ch.MentionsMe)
	return cv
}

// getUltraGroupList({targetId?, channelType?})
func (b *Bridge) ultraGroupList(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	var target string
	channelType := int64(-1)
	if o := arg(args, 0); !absent(o) {
		if err := object(o, "options"); err != nil {
			return nil, err
		}
		if target, err = optString(o, "targetId"); err != nil {
			return nil, err
		}
		if channelType, err = optInt(o, "channelType", -1); err != nil {
			return nil, err
		}
		if channelType != -1 && channelType != 0 && channelType != 1 {
			return nil, invalid("channelType: UltraGroupChannelType (0 PUBLIC, 1 PRIVATE)")
		}
	}
	return func() (any, error) {
		chs, err := eng.UltraChannels(context.Background(), target)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, ch := range chs {
			if channelType == -1 || (channelType == 1) == ch.Private {
				out = append(out, ultraChannelJS(ch))
			}
		}
		return out, nil
	}, nil
}

// getBlockUltraGroupList(): the channels under do-not-disturb.
func (b *Bridge) blockUltraGroupList(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		chs, err := eng.UltraChannels(context.Background(), "")
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, ch := range chs {
			if ch.Muted {
				out = append(out, ultraChannelJS(ch))
			}
		}
		return out, nil
	}, nil
}

// sendUltraGroupTypingStatus({conversationType, targetId, channelId})
func (b *Bridge) ultraTyping(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	if err := onlyUltra(c); err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.SendTypingStatus(context.Background(), c, "RC:TxtMsg") }, nil
}

// getUltraGroupMessageListByMessageUId(conversation, [{messageUId}]): the
// messages as the server has them now, by uid (absent: none visible).
func (b *Bridge) ultraMessagesByUID(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	// Any conversation type since RongIMLib 5.28, as there.
	uids, err := asArray(arg(args, 1), "messages", func(v safejs.Value) (string, error) {
		if err := object(v, "messages[]"); err != nil {
			return "", err
		}
		return reqString(v, "messageUId")
	})
	if err != nil {
		return nil, err
	}
	if len(uids) == 0 || len(uids) > 100 {
		return nil, codes.New(codes.InvalidParameterCount, "messages: 1-100")
	}
	return func() (any, error) {
		ms, err := eng.RemoteMessages(context.Background(), c, uids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(uids)) // a uid not found is left out: undefined
		for _, m := range ms {
			out[m.MessageUID] = messageJS(m)
		}
		return out, nil
	}, nil
}

// updateExpansionForUltraGroupMessage(expansion, message),
// removeExpansionForUltraGroupMessage(keys, message),
// removeAllExpansionForUltraGroupMessage(message).
func (b *Bridge) ultraExpansion(remove, all bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		msg := arg(args, 1)
		if all {
			msg = arg(args, 0)
		}
		c, uid, err := messageRef(msg)
		if err != nil {
			return nil, err
		}
		if err := onlyUltra(c); err != nil {
			return nil, err
		}
		ctx := context.Background()
		switch {
		case all:
			return func() (any, error) { return nil, eng.RemoveAllMessageExpansion(ctx, c, uid) }, nil
		case remove:
			keys, err := asStrings(arg(args, 0), "expansion")
			if err != nil {
				return nil, err
			}
			return func() (any, error) { return nil, eng.RemoveMessageExpansionKeys(ctx, c, uid, keys) }, nil
		}
		set, err := asStringMap(arg(args, 0), "expansion")
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, eng.UpdateMessageExpansion(ctx, c, uid, set) }, nil
	}
}

// levelsArg reads a NotificationLevel[].
func levelsArg(v safejs.Value, name string) ([]int32, error) {
	return asArray(v, name, func(v safejs.Value) (int32, error) {
		l, err := asInt32(v, name)
		if err == nil && !contract.ValidNotificationLevel(l) {
			err = invalid("%s: -1, 0, 1, 2, 4 or 5", name)
		}
		return l, err
	})
}

// getUltraGroupUnreadCountByTargetId / …MentionedCountByTargetId(targetId,
// notificationLevels?): over the group's channels whose level in effect is
// one of those given.
func (b *Bridge) ultraCountByTarget(mentions bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		target, err := asString(arg(args, 0), "targetId")
		if err != nil {
			return nil, err
		}
		if !contract.ValidID(target) {
			return nil, codes.New(codes.InvalidParameterTargetID, "invalid targetId")
		}
		var levels []int32 // none or empty: every level
		if v := arg(args, 1); !absent(v) {
			if levels, err = levelsArg(v, "notificationLevels"); err != nil {
				return nil, err
			}
		}
		return func() (any, error) {
			if len(levels) == 0 {
				return pickCount(mentions)(eng.UltraUnread(target)), nil
			}
			chs, err := eng.UltraChannels(context.Background(), target)
			if err != nil {
				return nil, err
			}
			n := 0
			for _, ch := range chs {
				if slices.Contains(levels, ch.Level) {
					if mentions {
						n += ch.MentionCount
					} else {
						n += ch.UnreadCount
					}
				}
			}
			return n, nil
		}, nil
	}
}

// pickCount picks the unread count, or with mentions the mentions, of a
// (unread, mentions) pair.
func pickCount(mentions bool) func(unread, mentioned int) int {
	return func(unread, mentioned int) int {
		if mentions {
			return mentioned
		}
		return unread
	}
}

// getAllUltraGroupUnreadCount / getAllUltraGroupUnreadMentionedCount()
func (b *Bridge) ultraCountAll(mentions bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return pickCount(mentions)(eng.UltraUnread("")), nil }, nil
	}
}

// getUltraGroupDefaultNotificationLevel({targetId, channelId?}),
// setUltraGroupDefaultNotificationLevel(options, level): the group's
// (channelId "") or a channel's; set by its owner.
func (b *Bridge) ultraDefaultLevel(set bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		c, err := ultraConv(arg(args, 0), "options")
		if err != nil {
			return nil, err
		}
		r := &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_GET_DEFAULT_LEVEL, Group: c.TargetID, Channel: c.ChannelID}
		if set {
			l, err := asInt32(arg(args, 1), "notificationLevel") // (a wrapped 2**32+5 was 5)
			if err != nil {
				return nil, err
			}
			r.Op, r.Level = pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, l
		}
		return func() (any, error) {
			res, err := eng.UltraGroupRequest(context.Background(), r)
			if err != nil || set {
				return nil, err
			}
			return int(res.Level), nil
		}, nil
	}
}

// ultraUnreadMsg is an IUltraUnreadMsg.
func ultraUnreadMsg(m *client.Message) map[string]any {
	out := map[string]any{"messageUId": m.MessageUID, "sentTime": m.SentTime, "messageType": m.ObjectName}
	if mi := m.MentionedInfo; mi != nil {
		out["mentionedType"] = int(mi.Type)
	}
	return out
}

// getUltraGroupUnreadMentionedMessages({targetId, channelId?, sentTime,
// count}): the unread messages mentioning the user that this device holds,
// sent after sentTime, at most count (1-50), oldest first.
func (b *Bridge) ultraUnreadMentions(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	o := arg(args, 0)
	c, err := ultraConv(o, "options")
	if err != nil {
		return nil, err
	}
	after, err := optInt(o, "sentTime", 0)
	if err != nil {
		return nil, err
	}
	count, err := optInt(o, "count", 0)
	if err != nil {
		return nil, err
	}
	if count < 1 || count > contract.MaxUltraMentionPage {
		return nil, codes.New(codes.InvalidParameterCount, "count: 1-50")
	}
	return func() (any, error) {
		ms, err := eng.UnreadMentioned(context.Background(), c)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, m := range ms {
			if m.SentTime > after && int64(len(out)) < count {
				out = append(out, ultraUnreadMsg(m))
			}
		}
		return out, nil
	}, nil
}

// getUltraGroupFirstUnreadMessageTimestamp({targetId, channelId?}): the
// first unread message as an IUltraUnreadMsg (sentTime 0: none).
func (b *Bridge) ultraFirstUnread(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	c, err := ultraConv(arg(args, 0), "conversation")
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		m, err := eng.FirstUnread(context.Background(), c)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return map[string]any{"sentTime": 0, "messageType": ""}, nil
		}
		return ultraUnreadMsg(m), nil
	}, nil
}

// getUltraGroupUnreadInfoList(targetIds): each channel's counts and level
// (IUltraGroupUnreadInfo), for 1-20 groups.
func (b *Bridge) ultraUnreadInfo(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	targets, err := asStrings(arg(args, 0), "targetIds")
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 || len(targets) > contract.MaxUltraUnreadInfo {
		return nil, codes.New(codes.InvalidParameterCount, "targetIds: 1-20")
	}
	for _, t := range targets {
		if !contract.ValidID(t) {
			return nil, codes.New(codes.InvalidParameterTargetID, "invalid targetId")
		}
	}
	return func() (any, error) {
		out := []any{}
		for _, t := range targets {
			chs, err := eng.UltraChannels(context.Background(), t)
			if err != nil {
				return nil, err
			}
			for _, ch := range chs {
				out = append(out, map[string]any{
					"type": client.UltraGroup, "conversationType": client.UltraGroup, "targetId": ch.TargetID, "channelId": ch.ChannelID,
					"unreadMessageCount": ch.UnreadCount, "mentionedCount": ch.MentionCount, "mentionedMeCount": ch.MentionsMe,
					"notificationLevel": int(ch.Level),
				})
			}
		}
		return out, nil
	}, nil
}

// ultraRecalled says whether m is an ultra group message recalled: those
// go out as ULTRA_GROUP_MESSAGE_RECALLED, not MESSAGES.
func ultraRecalled(m *client.Message) bool {
	return m.Type == client.UltraGroup && m.ObjectName == client.RecallObjectName
}

// ultraEventsJS is what ev tells of ultra groups, as RongIMLib's
// ULTRA_GROUP_* events: channels changed, messages recalled or their
// expansions changed, and after a sync the channels the device knows
// (ULTRA_GROUP_ENABLE).
func (b *Bridge) ultraEventsJS(ev client.Event) [][2]any {
	var out [][2]any
	switch ev.Kind {
	case client.EventSyncFinished:
		if eng, err := b.engine(); err == nil {
			list := []any{}
			for _, ci := range eng.UltraConversations() {
				list = append(list, conversationInfoJS(ci))
			}
			out = append(out, [2]any{"ULTRA_GROUP_ENABLE", list})
		}
	case client.EventMessages:
		var recalled []*client.Message
		for _, m := range ev.Messages {
			if ultraRecalled(m) {
				recalled = append(recalled, m)
			}
		}
		if len(recalled) > 0 {
			out = append(out, [2]any{"ULTRA_GROUP_MESSAGE_RECALLED", messagesJS(recalled)})
		}
	case client.EventExpansion:
		if x := ev.Expansion; x.Type == client.UltraGroup && x.Message != nil {
			out = append(out, [2]any{"ULTRA_GROUP_MESSAGE_EXPANSION_UPDATED", messagesJS([]*client.Message{x.Message})})
		}
	case client.EventUltraChannel:
		for _, e := range ev.UltraChannel {
			channelType := 0
			if e.Private {
				channelType = 1
			}
			info := map[string]any{"targetId": e.Group, "channelId": e.Channel, "channelType": channelType}
			switch e.Change {
			case 1:
				info["deleteTime"] = e.Time
				out = append(out, [2]any{"ULTRA_GROUP_CHANNEL_DELETE", []any{info}})
			case 7:
				info["userId"] = e.UserId
				out = append(out, [2]any{"ULTRA_GROUP_CHANNEL_USER_KICKED", []any{info}})
			default:
				info["changeType"] = int(e.Change)
				out = append(out, [2]any{"ULTRA_GROUP_CHANNEL_TYPE_CHANGE", []any{info}})
			}
		}
	}
	return out
}
