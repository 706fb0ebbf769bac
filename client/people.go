package client

import (
	"context"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// People: profiles, friends, blacklists and online status (RongIMLib's
// calls; the Easemob and NIM modules map theirs onto the same). One call
// carries every operation: the engine checks its shape with the
// contract's rules and the server decides the rest. Friend changes and
// this user's profile reach every device through the user's log; others'
// online status and profile changes come as pushes while connected.

// People runs one people operation.
func (e *Engine) People(ctx context.Context, r *pb.PeopleRequest) (*pb.PeopleResult, error) {
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := contract.CheckPeopleRequest(r); err != nil {
		return nil, err
	}
	f, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_People{People: r}})
	if err != nil {
		return nil, err
	}
	e.ownLog.add(f.GetPeopleResult().GetOwnLogSeqs())
	return f.GetPeopleResult(), nil
}

// PeopleEvent is what an EventFriend, EventOwnProfile,
// EventSubscribedStatus or EventSubscriptionRelation event carries.
type PeopleEvent struct {
	Friend  *pb.FriendEvent
	Profile *pb.UserProfile
	Status  []*pb.SubscriptionStatus // EventSubscribedStatus, EventSubscriptionRelation
}

// peopleEventLocked turns a log entry about people into its event.
func peopleEventLocked(bs *batchState, l *pb.LogEntry) {
	if l.Friend != nil {
		bs.events = append(bs.events, Event{Kind: EventFriend, People: &PeopleEvent{Friend: l.Friend}})
	}
	if l.OwnProfile != nil {
		bs.events = append(bs.events, Event{Kind: EventOwnProfile, People: &PeopleEvent{Profile: l.OwnProfile}})
	}
	if len(l.Subscriptions) > 0 {
		bs.events = append(bs.events, Event{Kind: EventSubscriptionRelation, People: &PeopleEvent{Status: l.Subscriptions}})
	}
}
