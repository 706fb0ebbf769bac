package client

import (
	"context"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Groups managed from the client. One call carries every operation
// (RongIMLib's group functions; the Easemob and NIM modules map theirs
// onto the same): the engine checks the request's shape with the
// contract's rules and the server decides the rest, answering a refusal
// with RongIMLib's code. What changes reaches every member's devices as a
// group notification (an RC:GrpNtf message carrying a GroupEvent, stored
// and synced like any message), and join requests, invitations and one's
// own remark and follows as entries of the user's log: the engine turns
// both into group events.

// Group runs one group operation.
func (e *Engine) Group(ctx context.Context, r *pb.GroupRequest) (*pb.GroupResult, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := contract.CheckGroupRequest(r); err != nil {
		return nil, err
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Group{Group: r}})
	if err != nil {
		return nil, err
	}
	e.ownLog.add(f.GetGroupResult().GetOwnLogSeqs())
	return f.GetGroupResult(), nil
}

// GroupEvent is what an EventGroup* event carries: one of the three.
type GroupEvent struct {
	GroupID     string
	Change      *pb.GroupEvent       // EventGroupOperation, EventGroupInfo, EventGroupMember, EventGroupMute
	Application *pb.GroupApplication // EventGroupApplication
	Own         *pb.GroupOwnChange   // EventGroupRemark, EventGroupFollows
}

// groupEventKinds are the events of the GroupEvent kinds.
var groupEventKinds = map[pb.GroupEventKind]EventKind{
	pb.GroupEventKind_GROUP_EVENT_OPERATION:           EventGroupOperation,
	pb.GroupEventKind_GROUP_EVENT_INFO_CHANGED:        EventGroupInfo,
	pb.GroupEventKind_GROUP_EVENT_MEMBER_INFO_CHANGED: EventGroupMember,
	pb.GroupEventKind_GROUP_EVENT_MUTE:                EventGroupMute,
}

// groupEventLocked turns a group notification into its event, in
// sequence order with the batch's others.
func groupEventLocked(bs *batchState, w *pb.Message) {
	if ev := w.GroupEvent; ev != nil && w.ConvType == pb.ConversationType_GROUP {
		if kind := groupEventKinds[ev.Kind]; kind != 0 {
			bs.events = append(bs.events, Event{Kind: kind, Group: &GroupEvent{GroupID: w.To, Change: ev}})
		}
	}
}

// groupLogEventLocked turns a log entry about groups into its event.
func groupLogEventLocked(bs *batchState, l *pb.LogEntry) {
	if a := l.GroupApplication; a != nil {
		bs.events = append(bs.events, Event{Kind: EventGroupApplication, Group: &GroupEvent{GroupID: a.GroupId, Application: a}})
	}
	if o := l.GroupOwn; o != nil {
		kind := EventGroupFollows
		if o.IsRemark {
			kind = EventGroupRemark
		}
		bs.events = append(bs.events, Event{Kind: kind, Group: &GroupEvent{GroupID: o.GroupId, Own: o}})
	}
}
