package server

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Message expansion limits (RongCloud's): a malformed key or value, or too
// many keys in one call, is 34220; a message's expansion past its size
// limits is 34010.
const (
	maxExpansionKeys      = 300  // per message
	maxExpansionPerUpdate = 20   // keys set or removed in one call
	maxExpansionKey       = 32   // bytes: letters, digits, _ = + -
	maxExpansionValue     = 4096 // bytes
)

// checkExpansion validates one change's keys and values.
func checkExpansion(set map[string]string, remove []string) error {
	if len(set) > maxExpansionPerUpdate || len(remove) > maxExpansionPerUpdate {
		return codes.New(codes.InvalidParameterMessageExpansion, "at most "+strconv.Itoa(maxExpansionPerUpdate)+" expansion keys per call")
	}
	for k, v := range set {
		if err := checkExpansionKey(k); err != nil {
			return err
		}
		if len(v) > maxExpansionValue {
			return codes.New(codes.InvalidParameterMessageExpansion, "expansion values are at most 4096 bytes")
		}
	}
	for _, k := range remove {
		if err := checkExpansionKey(k); err != nil {
			return err
		}
	}
	return nil
}

func checkExpansionKey(k string) error {
	if len(k) == 0 || len(k) > maxExpansionKey {
		return codes.New(codes.InvalidParameterMessageExpansion, "expansion keys are 1-32 bytes")
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '=' || c == '+' || c == '-') {
			return codes.New(codes.InvalidParameterMessageExpansion, "expansion keys use letters, digits and _ = + -")
		}
	}
	return nil
}

// handleExpansion sets and removes keys of a message's expansion. The
// stored message changes in place (history shows the result) and a marker
// tells every device of every member.
func (ss *session) handleExpansion(ctx context.Context, id uint64, r *pb.ExpansionRequest) {
	convID, err := ss.conversation(ctx, r.Conv)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if len(r.Set)+len(r.Remove) == 0 {
		ss.replyErr(id, codes.InvalidParameter, "nothing to set or remove")
		return
	}
	if err := checkExpansion(r.Set, r.Remove); err != nil {
		ss.replyFor(id, err)
		return
	}
	orig, err := ss.srv.store.MessageByUID(ctx, convID, r.MessageUid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!visibleTo(orig, ss.user) || orig.RecallOf != "" || orig.ExpansionOf != "")) {
		ss.replyErr(id, codes.InvalidParameterMessageUID, "no such message in this conversation")
		return
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	apply := func(m *pb.Message) error {
		if !m.CanIncludeExpansion {
			return codes.New(codes.InvalidParameter, "the message was not sent with canIncludeExpansion")
		}
		if m.Expansion == nil {
			m.Expansion = map[string]string{}
		}
		for _, k := range r.Remove {
			delete(m.Expansion, k)
		}
		for k, v := range r.Set {
			m.Expansion[k] = v
		}
		if len(m.Expansion) > maxExpansionKeys {
			return codes.New(codes.ExpansionLimitExceeded, "a message holds at most 300 expansion keys")
		}
		return nil
	}
	marker := &pb.Message{
		ConvType: orig.ConvType, FromUser: ss.user, To: r.Conv.Target, Channel: orig.Channel,
		ClientMsgId: "ex." + rand.Text(), ObjectName: "RC:MsgExMsg", IsPersisted: true,
		DirectedUserIds: orig.DirectedUserIds,
		ExpansionOf:     orig.Uid, Expansion: r.Set, ExpansionRemoved: r.Remove,
	}
	stored, err := ss.srv.store.Modify(ctx, convID, orig.Uid, apply, marker)
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.srv.metrics.messages.Inc()
	ss.send(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}})
	ss.srv.fanOut(ctx, stored, "")
}
