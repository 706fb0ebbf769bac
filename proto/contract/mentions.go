package contract

import (
	"slices"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Mention types (RongIMLib's MentionedType).
const (
	MentionAll    = 1
	MentionSingle = 2 // SINGAL in RongIMLib's spelling
)

// Mentions reports whether m mentions user, as its reader sees it
// (RongIMLib's isMentioned): the sender is never mentioned by their own
// message.
func Mentions(m *pb.Message, user string) bool {
	mi := m.GetMentionedInfo()
	if !m.IsMentioned || mi == nil || m.FromUser == user {
		return false
	}
	return mi.Type == MentionAll || (mi.Type == MentionSingle && slices.Contains(mi.UserIds, user))
}

// Mentioned lists whom m mentions, for a server to record once per message:
// [""] for @all, or each user it names once, the sender left out.
func Mentioned(m *pb.Message) []string {
	mi := m.GetMentionedInfo()
	if !m.IsMentioned || mi == nil {
		return nil
	}
	if mi.Type == MentionAll {
		return []string{""}
	}
	var out []string
	for _, u := range mi.UserIds {
		if mi.Type == MentionSingle && u != "" && u != m.FromUser && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}
