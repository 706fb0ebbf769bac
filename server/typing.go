package server

import (
	"context"
	"sync"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// typingInterval: at most one typing status per sender and conversation
// is forwarded in this time (RongIMLib's 6 s).
const typingInterval = 6 * time.Second

// handleTyping forwards "user is typing" to the online sessions of the
// conversation's other members. Nothing is stored; a status within the
// interval of the last forwarded one is answered OK and dropped.
func (ss *session) handleTyping(ctx context.Context, id uint64, r *pb.TypingRequest) {
	convID, g, err := ss.conversationGroup(ctx, r.Conv)
	if err == nil && (r.TypeName == "" || len(r.TypeName) > contract.MaxIDBytes) {
		err = codes.New(codes.InvalidParameter, "typingContentType must be 1-64 bytes")
	}
	if err == nil {
		err = ss.maySpeak(ctx, r.Conv, g) // a status message, as a send is one
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	if ss.srv.typing.allow(ss.user+"\x00"+convID, ss.srv.cfg.Now()) {
		var users []string
		conv := &pb.Conversation{Type: r.Conv.Type, Target: r.Conv.Target, Channel: r.Conv.Channel}
		push := func() *pb.Push {
			return &pb.Push{Typing: []*pb.TypingUpdate{{
				// A time clients see: real, like sent times (the interval
				// above is a rule, on the server's clock).
				Conv: conv, UserId: ss.user, TypeName: r.TypeName, Time: time.Now().UnixMilli(),
			}}}
		}
		switch r.Conv.Type {
		case pb.ConversationType_ULTRA_GROUP:
			ss.srv.publishUltra(ctx, push(), r.Conv.Target, r.Conv.Channel, ss.id)
			ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}})
			return
		case pb.ConversationType_GROUP:
			g, err := ss.srv.groups.get(ctx, r.Conv.Target)
			if err != nil {
				ss.replyFor(id, err)
				return
			}
			for _, u := range g.list {
				if u != ss.user {
					users = append(users, u)
				}
			}
		default:
			if r.Conv.Target != ss.user {
				users = []string{r.Conv.Target}
			}
			conv.Target = ss.user // the recipient's conversation is with the typist
		}
		ss.srv.publishPush(ctx, push(), users, ss.id)
	}
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_Ok{Ok: &pb.OK{}}})
}

// typingLimiter remembers when each (sender, conversation) last typed.
type typingLimiter struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	sweep    time.Time
}

func newTypingLimiter(interval time.Duration) *typingLimiter {
	return &typingLimiter{interval: interval, last: map[string]time.Time{}}
}

// allow reports whether key may type now, and records it if so.
func (l *typingLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > l.interval {
		// Entries older than the interval decide nothing: drop them, so
		// the map holds only the last few seconds' typists.
		for k, t := range l.last {
			if now.Sub(t) >= l.interval {
				delete(l.last, k)
			}
		}
		l.sweep = now
	}
	if t, ok := l.last[key]; ok && now.Sub(t) < l.interval {
		return false
	}
	l.last[key] = now
	return true
}
