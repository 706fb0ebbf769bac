package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/client"
)

// setupChatroom connects the room's members and has each join it (once),
// and plans rate over Senders of them, spread out.
func (f *fleet) setupChatroom(ctx context.Context, rate float64) (plan, error) {
	m := f.cfg.Members
	if f.group == "" {
		if f.t.pid > 0 {
			before, err := rssBytes(f.t.pid)
			if err != nil {
				return plan{}, err
			}
			f.rssBefore = before
		}
		users, err := f.addUsers(m)
		if err != nil {
			return plan{}, err
		}
		f.group = "bench-" + f.tag + "-r"
		for _, u := range users {
			u.to = client.Conversation{Type: client.Chatroom, TargetID: f.group}
		}
		if err := f.connect(ctx, users); err != nil {
			return plan{}, err
		}
		if err := f.joinRoom(ctx, users); err != nil {
			return plan{}, err
		}
	}
	s := max(1, min(f.cfg.Senders, m))
	order := make([]*user, s)
	for i := range order {
		order[i] = f.users[i*m/s]
	}
	return plan{rate: rate, senders: order, fanout: m - 1, clients: m, members: m}, nil
}

// joinRoom has users join the room, a few at a time.
func (f *fleet) joinRoom(ctx context.Context, users []*user) error {
	start := time.Now()
	var done atomic.Int64
	stopTick := f.ticker(func() { f.progress("joining the room %d/%d", done.Load(), len(users)) })
	defer stopTick()
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	sem := make(chan struct{}, 32)
	for _, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			// The first creates the room; none asks for its history.
			if _, err := u.eng.JoinChatroom(jctx, f.group, -1, false); err != nil {
				once.Do(func() { firstErr = fmt.Errorf("%s joins the room: %w", u.id, err) })
				return
			}
			done.Add(1)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	f.progress("%d members joined the room in %.1fs", len(users), time.Since(start).Seconds())
	return nil
}

// roomMemory reports the server's memory growth per member, from before
// the members connected to the end of the run (their sessions, their
// places in the room and whatever the load keeps: writers, queues).
func (f *fleet) roomMemory(r *Result) {
	if f.t.pid <= 0 || f.rssBefore == 0 {
		return
	}
	after, err := rssBytes(f.t.pid)
	if err != nil {
		f.progress("chatroom: cannot read the server's memory: %v", err)
		return
	}
	r.RSSBefore, r.RSSAfter = f.rssBefore, after
	r.ServerBytesPerConn = math.Round(float64(after-f.rssBefore) / float64(f.cfg.Members))
}
