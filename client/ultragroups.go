package client

import (
	"context"
	"slices"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Ultra groups: each channel is a conversation of type UltraGroup with its
// ChannelID, stored, synced and counted like a group's, so sending,
// history, reads, recalls, edits and expansions are the ordinary calls.
// What is particular to them — the list of a user's groups and channels,
// their default notification levels, counts over a group's channels — is
// here.

// UltraGroupRequest sends one ultra group request (its shape checked by
// contract.CheckUltraGroupRequest first).
func (e *Engine) UltraGroupRequest(ctx context.Context, r *pb.UltraGroupRequest) (*pb.UltraGroupResult, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := contract.CheckUltraGroupRequest(r); err != nil {
		return nil, err
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_UltraGroup{UltraGroup: r}})
	if err != nil {
		return nil, err
	}
	return f.GetUltraGroupResult(), nil
}

// UltraChannel is one channel of an ultra group as the user sees it: its
// state on this device, its type, and the do-not-disturb level in effect
// (the user's own, else the channel's default, else the group's).
type UltraChannel struct {
	ConversationInfo
	Private bool
	// Level is the NotificationLevel in effect.
	Level int32
	// MentionsMe counts the unread messages that name the user (not @all).
	MentionsMe int
}

// UltraChannels lists the channels of the user's ultra groups (group set:
// that group's; 24406 when the user is not in it), asking the server which
// they are and counting from this device's state.
func (e *Engine) UltraChannels(ctx context.Context, group string) ([]UltraChannel, error) {
	res, err := e.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_LIST, Group: group})
	if err != nil {
		return nil, err
	}
	var out []UltraChannel
	for _, g := range res.Groups {
		for _, ch := range g.Channels {
			c := Conversation{Type: UltraGroup, TargetID: g.Group, ChannelID: ch.Channel}
			uc := UltraChannel{Private: ch.Private}
			e.seqMu.Lock()
			st := e.convs[c.Key()]
			if st != nil {
				uc.ConversationInfo = infoOf(st)
				uc.Muted = e.mutedLocked(st)
			} else {
				uc.Conversation = c
			}
			e.seqMu.Unlock()
			uc.Level = uc.NotificationLevel
			for _, def := range []int32{ch.DefaultLevel, g.DefaultLevel} {
				if uc.Level == NotifyNotSet {
					uc.Level = def
				}
			}
			uc.Muted = uc.Muted || (Settings{NotificationLevel: uc.Level}).Blocked()
			if st != nil && uc.MentionCount > 0 {
				if uc.MentionsMe, err = e.mentionsMe(ctx, c); err != nil {
					return nil, err
				}
			}
			latest, err := e.latestOf(ctx, c)
			if err != nil {
				return nil, codes.Wrap(codes.Timeout, "read conversation", err)
			}
			uc.setLatest(latest)
			out = append(out, uc)
		}
	}
	return out, nil
}

// mentionsMe counts c's unread messages that name the user.
func (e *Engine) mentionsMe(ctx context.Context, c Conversation) (int, error) {
	ms, err := e.UnreadMentioned(ctx, c)
	n := 0
	for _, m := range ms {
		if mi := m.MentionedInfo; mi != nil && mi.Type == MentionSingle && slices.Contains(mi.UserIDs, e.UserID()) {
			n++
		}
	}
	return n, err
}

// lostUltraChannels reads, on this device, what is unread in the channels
// the events say the user lost: deleted (1), made private without them (6),
// or taken off a private one's list (7). Such a channel leaves the channel
// list, and the server refuses a read of it: its count would stay in the
// group's forever.
func (e *Engine) lostUltraChannels(evs []*pb.UltraChannelEvent) {
	for _, ev := range evs {
		switch ev.Change {
		case 1, 6, 7:
			c := Conversation{Type: UltraGroup, TargetID: ev.Group, ChannelID: ev.Channel}
			e.toInbox(&inItem{read: &readMove{conv: c}}) // (from the reader: not waited for)
		}
	}
}

// UltraUnread sums the unread messages and mentions this device counts
// over the channels of the user's ultra groups (group: only that one),
// without asking the server (getAllUltraGroupUnreadCount and the like).
func (e *Engine) UltraUnread(group string) (unread, mentions int) {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	for _, st := range e.convs {
		if st.Type == UltraGroup && (group == "" || st.TargetID == group) && !st.Hidden() {
			unread += st.Unread
			mentions += st.Mentions
		}
	}
	return unread, mentions
}

// UltraConversations is this device's state of every ultra group channel
// it knows, without asking the server (ULTRA_GROUP_ENABLE's list).
func (e *Engine) UltraConversations() []ConversationInfo {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	var out []ConversationInfo
	for _, st := range e.convs {
		if st.Type == UltraGroup && st.TargetID != "" && !st.Hidden() {
			out = append(out, infoOf(st))
		}
	}
	return out
}
