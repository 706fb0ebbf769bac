package contract

import (
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// CheckSettingsRequest applies the rules of a change of conversation
// settings (setConversationToTop, the notification levels,
// removeConversation, a do-not-disturb of a set length, a type's default
// level) that need no state: both sides refuse the same with the same
// codes. The conversations themselves are checked where they are known.
func CheckSettingsRequest(r *pb.SettingsRequest) error {
	switch {
	case len(r.Convs) == 0 || len(r.Convs) > MaxPerSettings:
		return codes.New(codes.InvalidParameterCount, "1-20 conversations")
	case !r.SetTop && !r.SetLevel && !r.Remove && !r.SetDnd:
		return codes.New(codes.InvalidParameter, "nothing to set")
	case r.SetLevel && !ValidNotificationLevel(r.NotificationLevel):
		return codes.New(codes.InvalidParameter, "notificationLevel must be a NotificationLevel: -1, 0, 1, 2, 4 or 5")
	case r.SetDnd && (r.SetTop || r.SetLevel || r.Remove):
		return codes.New(codes.InvalidParameter, "a do-not-disturb is set alone")
	case r.SetDnd:
		if err := CheckDndDuration(r.DndDurationMs); err != nil {
			return err
		}
	}
	if !r.TypeDefault {
		return nil
	}
	c := r.Convs[0]
	switch {
	case len(r.Convs) != 1 || r.SetTop || r.Remove || r.SetDnd || !r.SetLevel:
		return codes.New(codes.InvalidParameter, "a type's default is one conversation type's level")
	case c == nil || (c.Type != pb.ConversationType_PRIVATE && c.Type != pb.ConversationType_GROUP):
		return codes.New(codes.InvalidParameterConversationType, "conversationType must be PRIVATE or GROUP")
	case c.Target != "" || c.Channel != "":
		return codes.New(codes.InvalidParameterTargetID, "a type's default names no target")
	}
	return nil
}

// Hidden reports a conversation removed from the list (removeConversation
// at removedSeq) with no message since: seen is its last message's
// sequence number. It is out of the list and the unread total until a
// message comes.
func Hidden(removedSeq, seen uint64) bool {
	return removedSeq > 0 && seen <= removedSeq
}

// EditSettings applies r to set, a conversation's settings; last is the
// conversation's last sequence number (removeConversation hides it up to
// there), dndUntil when r's do-not-disturb ends. A removed conversation
// pinned comes back into the list (RongIMLib's setConversationToTop lists
// it), as a message would bring it.
func EditSettings(set *pb.ConversationSettings, r *pb.SettingsRequest, last uint64, dndUntil int64) {
	if r.SetTop {
		set.IsTop = r.IsTop
		if r.IsTop {
			set.RemovedSeq = 0
		}
	}
	if r.SetLevel {
		set.NotificationLevel = r.NotificationLevel
	}
	if r.Remove {
		set.RemovedSeq, set.IsTop = last, false
	}
	if r.SetDnd {
		set.DndUntil = dndUntil
	}
}
