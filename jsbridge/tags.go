//go:build js && wasm

package jsbridge

import (
	"context"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// This file: RongIMLib's conversation tags, kept by the server for all the
// user's devices (the rules are proto/contract's, applied by the engine
// and the server).

// tagIDArg reads a tagId (INVALID_PARAMETER_TAG_ID when not a string; its
// length is the contract's to check).
func tagIDArg(v safejs.Value) (string, error) {
	if v.Type() != safejs.TypeString {
		return "", codes.New(codes.InvalidParameterTagID, "tagId must be a string")
	}
	return v.String()
}

// withTag is the engine and the tagId a call names first.
func (b *Bridge) withTag(args []safejs.Value) (*client.Engine, string, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, "", err
	}
	id, err := tagIDArg(arg(args, 0))
	return eng, id, err
}

// tagParamArg reads an ITagParam {tagId, tagName}.
func tagParamArg(v safejs.Value) (id, name string, err error) {
	if err := object(v, "tag"); err != nil {
		return "", "", err
	}
	idv, err := field(v, "tagId")
	if err != nil {
		return "", "", err
	}
	if id, err = tagIDArg(idv); err != nil {
		return "", "", err
	}
	namev, err := field(v, "tagName")
	if err != nil {
		return "", "", err
	}
	if namev.Type() != safejs.TypeString {
		return "", "", codes.New(codes.InvalidParameterTagName, "tagName must be a string")
	}
	name, err = namev.String()
	return id, name, err
}

// changeTags is the work of a change.
func changeTags(eng *client.Engine, r *pb.TagRequest) work {
	return func() (any, error) { return nil, eng.ChangeTags(context.Background(), r) }
}

// addTag(tag) and updateTag(tag)
func (b *Bridge) tagParamCall(op pb.TagOp) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, err := b.engine()
		if err != nil {
			return nil, err
		}
		id, name, err := tagParamArg(arg(args, 0))
		if err != nil {
			return nil, err
		}
		return changeTags(eng, &pb.TagRequest{Op: op, TagId: id, TagName: name}), nil
	}
}

// removeTag(tagId)
func (b *Bridge) removeTag(args []safejs.Value) (work, error) {
	eng, id, err := b.withTag(args)
	if err != nil {
		return nil, err
	}
	return changeTags(eng, &pb.TagRequest{Op: pb.TagOp_TAG_REMOVE, TagId: id}), nil
}

// addConversationsToTag(tagId, conversations),
// removeConversationsFromTag(tagId, conversations) and
// removeTagFromConversations(tagId, conversations)
func (b *Bridge) tagConversations(op pb.TagOp) func([]safejs.Value) (work, error) {
	return func(args []safejs.Value) (work, error) {
		eng, id, err := b.withTag(args)
		if err != nil {
			return nil, err
		}
		convs, err := conversationsArg(arg(args, 1))
		if err != nil {
			return nil, err
		}
		return changeTags(eng, &pb.TagRequest{Op: op, TagId: id, Convs: wireConvs(convs)}), nil
	}
}

// removeTagsFromConversation(conversation, tagIds)
func (b *Bridge) removeTagsFromConversation(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	ids, err := asArray(arg(args, 1), "tagIds", tagIDArg)
	if err != nil {
		return nil, err
	}
	return changeTags(eng, &pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_FROM_CONV, TagIds: ids, Convs: wireConvs([]client.Conversation{c})}), nil
}

// setConversationToTopInTag(tagId, conversation, isTop)
func (b *Bridge) setTopInTag(args []safejs.Value) (work, error) {
	eng, id, err := b.withTag(args)
	if err != nil {
		return nil, err
	}
	c, err := conversationArg(arg(args, 1))
	if err != nil {
		return nil, err
	}
	top, err := argBool(arg(args, 2), "isTop", true)
	if err != nil {
		return nil, err
	}
	return changeTags(eng, &pb.TagRequest{Op: pb.TagOp_TAG_SET_TOP, TagId: id, Convs: wireConvs([]client.Conversation{c}), IsTop: top}), nil
}

// getTags(): ITagInfo[]
func (b *Bridge) getTags([]safejs.Value) (work, error) {
	eng, err := b.engine()
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		tags, err := eng.Tags(context.Background())
		if err != nil {
			return nil, err
		}
		out := make([]any, len(tags))
		for i, t := range tags {
			out[i] = map[string]any{"tagId": t.ID, "tagName": t.Name, "conversationCount": len(t.Conversations), "createdTime": t.Created}
		}
		return out, nil
	}, nil
}

// getTagsFromConversation(conversation): IConversationTag[]
func (b *Bridge) tagsOfConversation(args []safejs.Value) (work, error) {
	eng, c, err := b.withConv(args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		tags, err := eng.TagsOf(context.Background(), c)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(tags))
		for i, t := range tags {
			out[i] = map[string]any{"tagId": t.ID, "tagName": t.Name, "createdTime": t.Created, "isTop": t.IsTop}
		}
		return out, nil
	}, nil
}

// getConversationsFromTagByPage(tagId, count, startTime): the tag's
// conversations, newest first, each with isTopInTag.
func (b *Bridge) conversationsByTag(args []safejs.Value) (work, error) {
	eng, id, err := b.withTag(args)
	if err != nil {
		return nil, err
	}
	count, err := asInt(arg(args, 1), "count")
	if err != nil {
		return nil, err
	}
	start := int64(0)
	if v := arg(args, 2); !absent(v) {
		if start, err = asInt(v, "startTime"); err != nil {
			return nil, err
		}
	}
	q := client.ConversationQuery{Tags: []string{id}, Count: int(count), StartTime: start}
	return func() (any, error) {
		list, err := eng.ConversationsPage(context.Background(), q)
		if err != nil {
			return nil, err
		}
		out := b.conversationsJS(eng, list)
		for i, ci := range list {
			out[i].(*conversationValue).Set("isTopInTag", ci.IsTopInTag)
		}
		return out, nil
	}, nil
}

// getUnreadCountByTag(tagId, containMuted)
func (b *Bridge) unreadCountByTag(args []safejs.Value) (work, error) {
	eng, id, err := b.withTag(args)
	if err != nil {
		return nil, err
	}
	muted, err := argBool(arg(args, 1), "containMuted", false)
	if err != nil {
		return nil, err
	}
	return func() (any, error) { return eng.UnreadCountByTag(context.Background(), id, muted) }, nil
}

func wireConvs(cs []client.Conversation) []*pb.Conversation {
	out := make([]*pb.Conversation, len(cs))
	for i, c := range cs {
		out[i] = client.WireConversation(c)
	}
	return out
}
