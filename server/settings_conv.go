package server

import (
	"context"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// handleSettings is setConversationToTop and setConversationNotificationLevel
// (and their batch forms): the user's own settings of up to
// contract.MaxPerSettings conversations, kept for all their devices, which
// learn the change through their log. Only the user is concerned: a group
// they are not in is refused, as for sending there.
func (ss *session) handleSettings(ctx context.Context, id uint64, r *pb.SettingsRequest) {
	switch {
	case len(r.Convs) == 0 || len(r.Convs) > contract.MaxPerSettings:
		ss.replyErr(id, codes.InvalidParameterCount, "1-20 conversations")
		return
	case !r.SetTop && !r.SetLevel && !r.Remove && !r.SetDnd:
		ss.replyErr(id, codes.InvalidParameter, "nothing to set")
		return
	case r.SetLevel && !contract.ValidNotificationLevel(r.NotificationLevel):
		ss.replyErr(id, codes.InvalidParameter, "notificationLevel must be -1, 0, 1, 2, 4 or 5")
		return
	case r.SetDnd:
		if err := contract.CheckDndDuration(r.DndDurationMs); err != nil {
			ss.replyFor(id, err)
			return
		}
	}
	if r.TypeDefault {
		c := r.Convs[0]
		switch {
		case len(r.Convs) != 1 || r.SetTop || r.Remove || r.SetDnd || !r.SetLevel:
			ss.replyErr(id, codes.InvalidParameter, "a type's default is one conversation type's level")
			return
		case c == nil || (c.Type != pb.ConversationType_PRIVATE && c.Type != pb.ConversationType_GROUP):
			ss.replyErr(id, codes.InvalidParameterConversationType, "private or group conversations")
			return
		case c.Target != "" || c.Channel != "":
			ss.replyErr(id, codes.InvalidParameterTargetID, "a type's default names no target")
			return
		}
	}
	convs := make([]*pb.Conversation, 0, len(r.Convs))
	for _, c := range r.Convs {
		if r.TypeDefault {
			convs = append(convs, &pb.Conversation{Type: c.Type})
			continue
		}
		if _, err := ss.conversation(ctx, c); err != nil {
			ss.replyFor(id, err)
			return
		}
		convs = append(convs, &pb.Conversation{Type: c.Type, Target: c.Target, Channel: c.Channel})
	}
	now := ss.srv.cfg.Now().UnixMilli()
	var dndUntil int64
	if r.SetDnd && r.DndDurationMs > 0 {
		dndUntil = now + r.DndDurationMs
	}
	entries, err := ss.srv.store.SetSettings(ctx, ss.user, convs, now, func(set *pb.ConversationSettings, last uint64) {
		if r.SetTop {
			set.IsTop = r.IsTop
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
	}, func(c *pb.Conversation, set *pb.ConversationSettings) *pb.Message {
		return ss.logEntry(&pb.LogEntry{Conv: c, Settings: set})
	})
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	for _, e := range entries {
		ss.srv.fanOut(ctx, e, "")
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{Time: now}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}
