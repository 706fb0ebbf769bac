//go:build js && wasm

package jsbridge

import (
	"context"
	"slices"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// This file: the user's own settings of a conversation (RongIMLib's pins and
// do-not-disturb), kept by the server for all their devices.

// RongIMLib's NotificationStatus.
const (
	notificationOpen  = 1
	notificationClose = 2
)

// argBool reads an optional boolean argument: def when absent.
func argBool(v safejs.Value, name string, def bool) (bool, error) {
	if absent(v) {
		return def, nil
	}
	if v.Type() != safejs.TypeBoolean {
		return false, invalid("%s must be a boolean", name)
	}
	return v.Bool()
}

// conversationsArg reads an array of conversations (the batch calls).
func conversationsArg(v safejs.Value) ([]client.Conversation, error) {
	return asArray(v, "conversations", conversationArg)
}

func (b *Bridge) setSettings(eng *client.Engine, convs []client.Conversation, top *bool, level *int32) work {
	return func() (any, error) {
		return nil, eng.SetSettings(context.Background(), convs, client.SettingsEdit{Top: top, Level: level})
	}
}

// setConversationToTop(conversation, isTop = true, isUpdateTime?,
// isCreateConversation?): the last two have no meaning here (a pinned
// conversation is listed whether it has messages or not).
func (b *Bridge) setToTop(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	top, err := argBool(arg(args, 1), "isTop", true)
	if err != nil {
		return nil, err
	}
	return b.setSettings(eng, []client.Conversation{c}, &top, nil), nil
}

// withConvs is withConv for the batch calls: the engine and the
// conversations of the first argument.
func (b *Bridge) withConvs(args []safejs.Value) (*client.Engine, []client.Conversation, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, nil, err
	}
	convs, err := conversationsArg(arg(args, 0))
	return eng, convs, err
}

// batchSetConversationToTop(conversations, isTop, isCreateConversation?, isUpdateTime?)
func (b *Bridge) batchSetToTop(args []safejs.Value) (work, error) {
	eng, convs, err := b.withConvs(args)
	if err != nil {
		return nil, err
	}
	top, err := argBool(arg(args, 1), "isTop", true)
	if err != nil {
		return nil, err
	}
	return b.setSettings(eng, convs, &top, nil), nil
}

// setConversationNotificationLevel(conversation, notificationLevel)
func (b *Bridge) setNotificationLevel(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	l, err := asInt32(arg(args, 1), "notificationLevel")
	if err != nil {
		return nil, err
	}
	return b.setSettings(eng, []client.Conversation{c}, nil, &l), nil
}

// batchSetConversationNotificationLevel(conversations, notificationLevel)
func (b *Bridge) batchSetNotificationLevel(args []safejs.Value) (work, error) {
	eng, convs, err := b.withConvs(args)
	if err != nil {
		return nil, err
	}
	l, err := asInt32(arg(args, 1), "notificationLevel")
	if err != nil {
		return nil, err
	}
	return b.setSettings(eng, convs, nil, &l), nil
}

// setConversationNotificationStatus(conversation, notificationStatus): the
// older call, in levels: CLOSE is NOT_MESSAGE_NOTIFICATION, OPEN is
// ALL_MESSAGE.
func (b *Bridge) setNotificationStatus(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	status, err := asInt(arg(args, 1), "notificationStatus")
	if err != nil {
		return nil, err
	}
	var l int32
	switch status {
	case notificationOpen:
		l = client.NotifyAll
	case notificationClose:
		l = client.NotifyNothing
	default:
		return nil, invalid("notificationStatus must be 1 (OPEN) or 2 (CLOSE)")
	}
	return b.setSettings(eng, []client.Conversation{c}, nil, &l), nil
}

// getConversationNotificationLevel(conversation)
func (b *Bridge) notificationLevel(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return int(eng.ConversationSettings(c).NotificationLevel), nil }, nil
}

// getConversationNotificationStatus(conversation)
func (b *Bridge) notificationStatus(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return notificationStatusOf(eng.ConversationSettings(c)), nil }, nil
}

func notificationStatusOf(s client.Settings) int {
	if s.Blocked() {
		return notificationClose
	}
	return notificationOpen
}

// getTopConversationList(conversationTypes?, channelId?) and
// getBlockedConversationList(): the conversation list, filtered.
func (b *Bridge) filteredList(keep func(client.ConversationInfo) bool) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		types, err := conversationTypesArg(arg(args, 0))
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			list, err := eng.Conversations(context.Background())
			if err != nil {
				return nil, err
			}
			out := []any{}
			for _, ci := range list {
				if keep(ci) && (len(types) == 0 || slices.Contains(types, ci.Type)) {
					out = append(out, conversationInfoJS(ci))
				}
			}
			return out, nil
		}, nil
	}
}

// conversationTypesArg reads an optional conversationTypes array (absent:
// nil, every type).
func conversationTypesArg(v safejs.Value) ([]int32, error) {
	if absent(v) {
		return nil, nil
	}
	return asArray(v, "conversationTypes", func(e safejs.Value) (int32, error) {
		return asInt32(e, "conversationTypes")
	})
}

// saveTextMessageDraft(conversation, draft)
func (b *Bridge) saveDraft(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	text, err := asString(arg(args, 1), "draft")
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.SetDraft(c, text) }, nil
}

// clearTextMessageDraft(conversation)
func (b *Bridge) clearDraft(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return nil, eng.SetDraft(c, "") }, nil
}

// getTextMessageDraft(conversation)
func (b *Bridge) getDraft(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return eng.Draft(c), nil }, nil
}

// removeConversation(conversation, deleteRemotely?): out of the user's list
// on all their devices until its next message; its messages stay
// (deleteRemotely has no meaning here: the list is the server's already).
func (b *Bridge) removeConversation(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		return nil, eng.SetSettings(context.Background(), []client.Conversation{c}, client.SettingsEdit{Remove: true})
	}, nil
}

// batchRemoveConversation(conversations)
func (b *Bridge) batchRemoveConversations(args []safejs.Value) (work, error) {
	eng, convs, err := b.withConvs(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		return nil, eng.SetSettings(context.Background(), convs, client.SettingsEdit{Remove: true})
	}, nil
}

// withType is the engine and the conversation type a type-level setting
// applies to (the first argument), as a Conversation with no target.
func (b *Bridge) withType(args []safejs.Value) (*client.Engine, client.Conversation, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, client.Conversation{}, err
	}
	t, err := asInt(arg(args, 0), "conversationType")
	if err == nil && t != client.Private && t != client.Group {
		err = codes.New(codes.InvalidParameterConversationType, "conversationType must be PRIVATE or GROUP")
	}
	return eng, client.Conversation{Type: int32(t)}, err
}

// setConversationTypeNotificationLevel(conversationType, level): the level
// of the type's conversations whose own is NOT_SET, on all the user's
// devices.
func (b *Bridge) setTypeLevel(args []safejs.Value) (work, error) {
	eng, c, err := b.withType(args)
	if err != nil {
		return nil, err
	}
	level, err := asInt32(arg(args, 1), "level")
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		return nil, eng.SetSettings(context.Background(), []client.Conversation{c}, client.SettingsEdit{Level: &level, TypeDefault: true})
	}, nil
}

// getConversationTypeNotificationLevel(conversationType)
func (b *Bridge) typeLevel(args []safejs.Value) (work, error) {
	eng, c, err := b.withType(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return int(eng.ConversationSettings(c).NotificationLevel), nil }, nil
}

// setDoNotDisturb(durationMs, conversation?): no push for durationMs from
// now (0 ends it): of the conversation's messages when one is given, else
// of any. Resolves {until}, when it ends (server ms; 0 none).
func (b *Bridge) setDoNotDisturb(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	ms, err := asInt(arg(args, 0), "durationMs")
	if err != nil {
		return nil, err
	}
	if absent(arg(args, 1)) {
		return func() (any, error) {
			res, err := eng.People(context.Background(), &pb.PeopleRequest{Op: pb.PeopleOp_DND_SET, DurationMs: ms})
			return map[string]any{"until": res.GetQuietHours().GetUntil()}, err
		}, nil
	}
	c, err := conversationArg(arg(args, 1))
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		if err := eng.SetSettings(context.Background(), []client.Conversation{c}, client.SettingsEdit{Dnd: &ms}); err != nil {
			return nil, err
		}
		return map[string]any{"until": eng.ConversationSettings(c).DndUntil}, nil
	}, nil
}

// getDoNotDisturb(conversation?): {until} of setDoNotDisturb's (0 none or
// ended): the conversation's as this device knows it, else the user's from
// the server.
func (b *Bridge) getDoNotDisturb(args []safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	if absent(arg(args, 0)) {
		return func() (any, error) {
			res, err := eng.People(context.Background(), &pb.PeopleRequest{Op: pb.PeopleOp_QUIET_HOURS_GET})
			return map[string]any{"until": res.GetQuietHours().GetUntil()}, err
		}, nil
	}
	c, err := conversationArg(arg(args, 0))
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		until := eng.ConversationSettings(c).DndUntil
		if until <= eng.ServerTime() {
			until = 0
		}
		return map[string]any{"until": until}, nil
	}, nil
}
