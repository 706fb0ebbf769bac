package server

import (
	"context"
	"errors"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// handleDelete hides messages from the user's own view (deleteMessages):
// the other side keeps them.
func (ss *session) handleDelete(ctx context.Context, id uint64, r *pb.DeleteRequest) {
	convID, err := ss.ownConversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if len(r.MessageUids) == 0 || len(r.MessageUids) > contract.MaxPerCall {
		ss.replyErr(id, codes.InvalidParameter, "1-100 messages per call")
		return
	}
	for _, u := range r.MessageUids {
		if u == "" || len(u) > contract.MaxIDBytes {
			ss.replyErr(id, codes.InvalidParameterMessageUID, "invalid messageUId")
			return
		}
	}
	// Only this conversation's: the user's devices delete by uid what the
	// log entry names (a uid of another conversation deleted a message
	// there on the devices only, the server keeping it).
	var uids []string
	for _, u := range r.MessageUids {
		switch _, err := ss.srv.store.MessageByUID(ctx, convID, u); {
		case err == nil:
			uids = append(uids, u)
		case !errors.Is(err, store.ErrNotFound):
			ss.replyFor(id, err)
			return
		}
	}
	if len(uids) == 0 {
		ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // none here: nothing to hide
		return
	}
	conv := &pb.Conversation{Type: r.Conv.Type, Target: r.Conv.Target, Channel: r.Conv.Channel}
	entry, err := ss.srv.store.Hide(ctx, ss.user, convID, uids, ss.logEntry(&pb.LogEntry{Conv: conv, DeletedUids: uids}))
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.srv.fanOut(ctx, entry, "")
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}

// handleClearHistory hides a conversation's messages up to a time from the
// user's own view (clearHistoryMessages).
func (ss *session) handleClearHistory(ctx context.Context, id uint64, r *pb.ClearHistoryRequest) {
	convID, err := ss.ownConversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if r.Timestamp < 0 {
		ss.replyErr(id, codes.InvalidParameter, "timestamp must not be negative")
		return
	}
	t := r.Timestamp
	if t == 0 {
		// Everything sent so far: a point among sent times, so on their
		// (real) clock, not the rules' Config.Now.
		t = time.Now().UnixMilli()
	}
	conv := &pb.Conversation{Type: r.Conv.Type, Target: r.Conv.Target, Channel: r.Conv.Channel}
	entry, err := ss.srv.store.ClearHistory(ctx, ss.user, convID, t, ss.logEntry(&pb.LogEntry{Conv: conv, ClearedBefore: t}))
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.srv.fanOut(ctx, entry, "")
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}
