package server

import (
	"context"
	"crypto/rand"
	"errors"
	"maps"
	"slices"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// handleExpansion sets and removes keys of a message's expansion. The
// stored message changes in place (history shows the result) and a marker
// tells every device of every member.
func (ss *session) handleExpansion(ctx context.Context, id uint64, r *pb.ExpansionRequest) {
	convID, g, err := ss.conversationGroup(ctx, r.Conv)
	if err == nil {
		err = ss.maySpeak(ctx, r.Conv, g) // a change every member is told of
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if len(r.Set)+len(r.Remove) == 0 && !r.RemoveAll {
		ss.replyErr(id, codes.InvalidParameter, "nothing to set or remove")
		return
	}
	if err := contract.CheckExpansionChange(r.Set, r.Remove); err != nil {
		ss.replyFor(id, err)
		return
	}
	vis, err := ss.visibility(ctx, convID)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	// Only messages this member may see: not those from before they
	// joined, nor targeted at others.
	orig, err := vis.message(ctx, r.MessageUid)
	if errors.Is(err, store.ErrNotFound) {
		ss.replyErr(id, codes.InvalidParameterMessageUID, "no such message in this conversation")
		return
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	var marker *pb.Message
	apply := func(m *pb.Message) error {
		if !m.CanIncludeExpansion {
			return codes.New(codes.InvalidParameter, "the message was not sent with canIncludeExpansion")
		}
		if m.Expansion == nil {
			m.Expansion = map[string]string{}
		}
		if r.RemoveAll {
			// The keys as stored now, into the marker, which the store
			// appends once this has run.
			marker.ExpansionRemoved = slices.Sorted(maps.Keys(m.Expansion))
			clear(m.Expansion)
		}
		for _, k := range r.Remove {
			delete(m.Expansion, k)
		}
		for k, v := range r.Set {
			m.Expansion[k] = v
		}
		if err := contract.CheckExpansion(m.Expansion); err != nil {
			return err
		}
		// Whatever else the message carries, it still fits a client's frame.
		if m.Size() > contract.MessageBytes(ss.srv.cfg.MaxContentBytes) {
			return codes.New(codes.ExpansionLimitExceeded, "the message with this expansion would exceed its size limit")
		}
		return nil
	}
	marker = &pb.Message{
		ConvType: orig.ConvType, FromUser: ss.user, To: r.Conv.Target, Channel: orig.Channel,
		ClientMsgId: contract.ExpansionIDPrefix + rand.Text(), ObjectName: "RC:MsgExMsg", IsPersisted: true,
		DirectedUserIds: store.MarkerAudience(orig),
		ExpansionOf:     orig.Uid, Expansion: r.Set, ExpansionRemoved: r.Remove,
	}
	if marker.Size() > contract.MessageBytes(ss.srv.cfg.MaxContentBytes) {
		ss.replyErr(id, codes.ExpansionLimitExceeded, "this expansion change exceeds the message size limit")
		return
	}
	stored, err := ss.srv.store.Modify(ctx, convID, orig.Uid, apply, marker)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.srv.metrics.messages.Inc()
	ss.srv.fanOut(ctx, stored, "")
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}}) // after the fan-out: whatever the caller does next comes after it everywhere
}
