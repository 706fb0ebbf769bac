package client

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// TypingInterval is how long a typing status lasts, and the least time
// between two that a sender sends for one conversation (RongIMLib's 6 s):
// the default of Config.TypingInterval.
const TypingInterval = 6 * time.Second

// TypingUser is one person typing (RongIMLib's typing list entry).
type TypingUser struct {
	UserID   string
	Time     int64  // ms, when it was received
	TypeName string // the message type being typed
}

// TypingStatus is who is typing in one conversation now; an empty Users
// means everyone stopped.
type TypingStatus struct {
	Conversation
	Users []TypingUser
}

// typingState tracks incoming typing statuses and when this device last
// sent its own.
type typingState struct {
	mu    sync.Mutex
	convs map[string]*typingConv
	sent  map[string]time.Time
	timer *time.Timer
}

type typingConv struct {
	conv  Conversation
	users map[string]TypingUser
}

// SendTypingStatus implements sendTypingStatusMessage: the conversation's
// other members who are online see typeName being typed for a few
// seconds. Within Config.TypingInterval of the last one for this
// conversation it does nothing and succeeds.
func (e *Engine) SendTypingStatus(ctx context.Context, c Conversation, typeName string) error {
	if err := e.closed(); err != nil {
		return err
	}
	if err := validConversation(c); err != nil {
		return err
	}
	if typeName == "" || len(typeName) > contract.MaxIDBytes {
		return codes.New(codes.InvalidParameter, "typingContentType must be 1-64 bytes")
	}
	now := e.cfg.Now()
	k := c.Key()
	t := &e.typing
	// The slot is taken before the request goes out: an input event per
	// keystroke calls this many times before the first answer comes back,
	// and each would otherwise be sent (spending the user's write budget,
	// so a call the app cares about, next, is refused with 20604).
	t.mu.Lock()
	if last, ok := t.sent[k]; ok && now.Sub(last) < e.cfg.TypingInterval {
		t.mu.Unlock()
		return nil
	}
	if t.sent == nil {
		t.sent = map[string]time.Time{}
	}
	for key, at := range t.sent {
		if now.Sub(at) >= e.cfg.TypingInterval {
			delete(t.sent, key)
		}
	}
	t.sent[k] = now
	t.mu.Unlock()
	if _, err := e.request(ctx, &pb.Frame{Body: &pb.Frame_Typing{Typing: &pb.TypingRequest{Conv: wireConv(c), TypeName: typeName}}}); err != nil {
		// Not sent: the next keystroke may try again.
		t.mu.Lock()
		if t.sent[k].Equal(now) {
			delete(t.sent, k)
		}
		t.mu.Unlock()
		return err
	}
	return nil
}

// onTyping records typing statuses from the server and emits the lists of
// the conversations they changed.
func (e *Engine) onTyping(updates []*pb.TypingUpdate) {
	now := e.cfg.Now()
	t := &e.typing
	t.mu.Lock()
	if t.convs == nil {
		t.convs = map[string]*typingConv{}
	}
	changed := map[string]bool{}
	for _, u := range updates {
		if u.GetConv() == nil || u.UserId == "" {
			continue
		}
		c := Conversation{Type: int32(u.Conv.Type), TargetID: u.Conv.Target, ChannelID: u.Conv.Channel}
		k := c.Key()
		tc := t.convs[k]
		if tc == nil {
			tc = &typingConv{conv: c, users: map[string]TypingUser{}}
			t.convs[k] = tc
		}
		tc.users[u.UserId] = TypingUser{UserID: u.UserId, Time: now.UnixMilli(), TypeName: u.TypeName}
		changed[k] = true
	}
	ev := t.eventLocked(changed)
	e.armTypingLocked()
	t.mu.Unlock()
	if ev != nil {
		e.emit(*ev)
	}
}

// armTypingLocked schedules the expiry of the oldest typing status.
func (e *Engine) armTypingLocked() {
	t := &e.typing
	if t.timer != nil || len(t.convs) == 0 {
		return
	}
	oldest := int64(-1)
	for _, tc := range t.convs {
		for _, u := range tc.users {
			if oldest < 0 || u.Time < oldest {
				oldest = u.Time
			}
		}
	}
	// Due by the engine's clock, which stamped the statuses; the timer
	// itself is real.
	wait := time.UnixMilli(oldest).Add(e.cfg.TypingInterval).Sub(e.cfg.Now())
	t.timer = e.timers.AfterFunc(max(wait, time.Millisecond), e.expireTyping)
}

// expireTyping drops statuses older than the interval and tells the app.
func (e *Engine) expireTyping() {
	now := e.cfg.Now()
	t := &e.typing
	t.mu.Lock()
	t.timer = nil
	changed := map[string]bool{}
	for k, tc := range t.convs {
		for id, u := range tc.users {
			if now.Sub(time.UnixMilli(u.Time)) >= e.cfg.TypingInterval {
				delete(tc.users, id)
				changed[k] = true
			}
		}
	}
	ev := t.eventLocked(changed)
	for k := range changed {
		if len(t.convs[k].users) == 0 {
			delete(t.convs, k)
		}
	}
	e.armTypingLocked()
	t.mu.Unlock()
	if ev != nil {
		e.emit(*ev)
	}
}

// eventLocked is the EventTyping for the changed conversations, or nil.
func (t *typingState) eventLocked(changed map[string]bool) *Event {
	if len(changed) == 0 {
		return nil
	}
	ev := &Event{Kind: EventTyping}
	for k := range changed {
		tc := t.convs[k]
		st := TypingStatus{Conversation: tc.conv, Users: make([]TypingUser, 0, len(tc.users))}
		for _, u := range tc.users {
			st.Users = append(st.Users, u)
		}
		sort.Slice(st.Users, func(i, j int) bool { return st.Users[i].Time < st.Users[j].Time })
		ev.Typing = append(ev.Typing, st)
	}
	sort.Slice(ev.Typing, func(i, j int) bool { return ev.Typing[i].Key() < ev.Typing[j].Key() })
	return ev
}
