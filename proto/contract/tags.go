package contract

import (
	"strings"
	"unicode/utf8"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Tag limits (RongIMLib's): a user has at most MaxTags tags, each on at
// most MaxTagConversations conversations (adding more drops those added
// first); ids are 1-10 characters, names 1-15.
const (
	MaxTags             = 20
	MaxTagConversations = 1000
	MaxTagIDChars       = 10
	MaxTagNameChars     = 15
)

// Tag change kinds (LogEntry.tags_changed bits): RongIMLib's TAG and
// CONVERSATION_TAG events.
const (
	TagsChanged             = 1
	TagConversationsChanged = 2
)

// CheckTagRequest applies the rules of a tag change that need no state:
// the ids, the name, the number of conversations and their types.
func CheckTagRequest(r *pb.TagRequest) error {
	switch r.Op {
	case pb.TagOp_TAG_ADD, pb.TagOp_TAG_UPDATE, pb.TagOp_TAG_REMOVE, pb.TagOp_TAG_ADD_CONVS,
		pb.TagOp_TAG_REMOVE_CONVS, pb.TagOp_TAG_SET_TOP:
		if err := checkTagID(r.TagId); err != nil {
			return err
		}
	case pb.TagOp_TAG_REMOVE_FROM_CONV:
		if len(r.TagIds) == 0 || len(r.TagIds) > MaxTags {
			return codes.New(codes.InvalidParameterCount, "tagIds: 1-20 tag ids")
		}
		for _, id := range r.TagIds {
			if err := checkTagID(id); err != nil {
				return err
			}
		}
	default:
		return codes.New(codes.InvalidParameter, "unknown tag operation")
	}
	if r.Op == pb.TagOp_TAG_ADD || r.Op == pb.TagOp_TAG_UPDATE {
		if n := utf8.RuneCountInString(r.TagName); !ValidText(r.TagName) || n == 0 || n > MaxTagNameChars || strings.TrimSpace(r.TagName) == "" {
			return codes.New(codes.InvalidParameterTagName, "tagName: 1-15 characters")
		}
	}
	want := 0 // conversations the operation takes: 0 none, 1 one, 2 1-1000
	switch r.Op {
	case pb.TagOp_TAG_ADD_CONVS, pb.TagOp_TAG_REMOVE_CONVS:
		want = 2
	case pb.TagOp_TAG_REMOVE_FROM_CONV, pb.TagOp_TAG_SET_TOP:
		want = 1
	}
	switch {
	case want == 0 && len(r.Convs) > 0, want == 1 && len(r.Convs) != 1:
		return codes.New(codes.InvalidParameter, "wrong number of conversations for this tag operation")
	case want == 2 && (len(r.Convs) == 0 || len(r.Convs) > MaxTagConversations):
		return codes.New(codes.InvalidParameterCount, "conversations: 1-1000")
	}
	for _, c := range r.Convs {
		if c == nil || (c.Type != pb.ConversationType_PRIVATE && c.Type != pb.ConversationType_GROUP) {
			return codes.New(codes.InvalidParameterConversationType, "tags hold private and group conversations")
		}
		if !ValidID(c.Target) || c.Channel != "" {
			return codes.New(codes.InvalidParameterTargetID, "invalid target id")
		}
	}
	return nil
}

func checkTagID(id string) error {
	if n := utf8.RuneCountInString(id); !ValidText(id) || n == 0 || n > MaxTagIDChars || strings.TrimSpace(id) != id {
		return codes.New(codes.InvalidParameterTagID, "tagId: 1-10 characters")
	}
	return nil
}
