package store

import (
	"context"
	"strings"
	"time"
)

// UltraConvID is the id of one channel of an ultra group (conversation
// type ULTRA_GROUP; channel "" is the default channel). Each channel is a
// conversation of its own: gapless seq, history, a member's read
// watermark and counts. Its messages are stored once; a member has one
// row per channel they may see (written when they join or the channel is
// made, never per message), which carries their watermark.
func UltraConvID(group, channel string) string { return "ug:" + group + ":" + channel }

// ParseUltraConvID splits an ultra group channel's conversation id.
func ParseUltraConvID(id string) (group, channel string, ok bool) {
	rest, ok := strings.CutPrefix(id, "ug:")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// UltraGroup is an ultra group as stored, whole: what the server checks on
// every send (membership, mutes, the channel and who may use it) is read
// once into a cache and dropped on a change.
type UltraGroup struct {
	ID, Name, Owner string
	Created         int64 // unix ms
	MutedAll        bool
	// Members maps each member to when their mute ends (unix ms; 0: not
	// muted, -1: until lifted).
	Members  map[string]int64
	Channels map[string]*UltraChannel
}

// UltraChannel is one channel of an ultra group.
type UltraChannel struct {
	ID      string
	Private bool
	Created int64 // unix ms
	// Allowed lists the members who may use a private channel.
	Allowed map[string]bool
}

// MayUse says whether user, a member, may read and send in ch.
func (ch *UltraChannel) MayUse(user string) bool { return !ch.Private || ch.Allowed[user] }

// UltraChange is one change to an ultra group, applied by ChangeUltraGroup
// in one transaction.
type UltraChange struct {
	Op      UltraOp
	Group   string
	Name    string // UltraCreate
	Owner   string // UltraCreate: the first member
	Users   []string
	Channel string
	Private bool  // UltraCreateChannel, UltraSetChannelPrivate
	Until   int64 // UltraMute: unix ms, 0 lifts, -1 until lifted
	All     bool  // UltraMuteAll
	Now     time.Time
	// Limits: members of the group, channels besides the default one.
	MaxMembers, MaxChannels int
}

// UltraOp names an UltraChange.
type UltraOp int

const (
	UltraCreate            UltraOp = iota + 1 // ErrExists
	UltraDismiss                              // the group, its members and channels go; histories stay for those who were members
	UltraAddMembers                           // ErrLimit past MaxMembers; members already in are skipped
	UltraRemoveMembers                        // their rows end at each channel's last message
	UltraCreateChannel                        // ErrExists; ErrLimit past MaxChannels
	UltraDeleteChannel                        // ErrNotFound: no such channel (the default channel stays)
	UltraSetChannelPrivate                    // Private: whether the channel is private (Users: no effect)
	UltraAllowChannel                         // Users may use the private Channel
	UltraDisallowChannel                      // Users may no longer use it
	UltraMute                                 // Users muted until Until
	UltraMuteAll                              // the whole group muted (All) or not
)

// UltraResult is what an UltraChange did: the users it changed (added,
// removed, allowed, muted …; for a deleted or private-made channel, who
// lost it; for a dismissal, the members).
type UltraResult struct {
	Changed []string
}

// UltraGroups is what the server keeps of ultra groups.
type UltraGroups interface {
	// ChangeUltraGroup applies c (ErrNotFound: no such group, or channel
	// where one is named).
	ChangeUltraGroup(ctx context.Context, c UltraChange) (UltraResult, error)
	// UltraGroup returns a group whole (ErrNotFound).
	UltraGroup(ctx context.Context, id string) (*UltraGroup, error)
	// UltraGroupsOf lists the ultra groups user is a member of.
	UltraGroupsOf(ctx context.Context, user string) ([]string, error)
	// ListUltraGroups lists group ids after after, at most limit.
	ListUltraGroups(ctx context.Context, after string, limit int) ([]string, error)
}
