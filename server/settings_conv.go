package server

import (
	"context"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// handleSettings is setConversationToTop and setConversationNotificationLevel
// (and their batch forms): the user's own settings of up to
// contract.MaxPerSettings conversations, kept for all their devices, which
// learn the change through their log. Only the user is concerned: a group
// they were never in is refused (one they left is still theirs).
func (ss *session) handleSettings(ctx context.Context, id uint64, r *pb.SettingsRequest) {
	if err := contract.CheckSettingsRequest(r); err != nil {
		ss.replyFor(id, err)
		return
	}
	convs := make([]*pb.Conversation, 0, len(r.Convs))
	for _, c := range r.Convs {
		if r.TypeDefault {
			convs = append(convs, &pb.Conversation{Type: c.Type})
			continue
		}
		if _, err := ss.ownConversation(ctx, c); err != nil {
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
		contract.EditSettings(set, r, last, dndUntil)
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
