package server

import (
	"context"
	"errors"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// handleTag is one change to the user's conversation tags (addTag,
// addConversationsToTag, …). The answer is the whole set after it; the
// user's other sessions learn of it by a log entry and ask for the set.
// Tags are the user's own labels, so any conversation of a supported type
// may be tagged, joined or not.
func (ss *session) handleTag(ctx context.Context, id uint64, r *pb.TagRequest) {
	if err := contract.CheckTagRequest(r); err != nil {
		ss.replyFor(id, err)
		return
	}
	tags, entry, err := ss.srv.store.ChangeTags(ctx, ss.user, r, ss.srv.cfg.Now().UnixMilli(), func(kinds uint32, version uint64) *pb.Message {
		return ss.logEntry(&pb.LogEntry{TagsChanged: kinds, TagsVersion: version, TagsSession: ss.id})
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		ss.replyErr(id, codes.TagNotExist, "no such tag")
		return
	case errors.Is(err, store.ErrExists):
		ss.replyErr(id, codes.TagExists, "the tag exists")
		return
	case errors.Is(err, store.ErrQuota):
		ss.replyErr(id, codes.ConversationTagOversize, "at most 20 tags")
		return
	case errors.Is(err, store.ErrNotInTag):
		ss.replyErr(id, codes.NoTagInConver, "the conversation is not in the tag")
		return
	case err != nil:
		ss.replyFor(id, err)
		return
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_TagsResult{TagsResult: tags}})
	if entry != nil {
		ss.srv.fanOut(ctx, entry, "")
	}
}

// handleTags answers the user's tags.
func (ss *session) handleTags(ctx context.Context, id uint64) {
	tags, err := ss.srv.store.Tags(ctx, ss.user)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_TagsResult{TagsResult: tags}})
}
