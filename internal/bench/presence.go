package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
)

// The presence scenario (BENCHMARKS.md): Clients users, all connected,
// each subscribed to the online status of PresenceSubscriptions others
// chosen at random. A tenth of them (the flappers) disconnect and connect
// again at random, Rate status changes a second in all; every online
// subscriber of a user who changed gets one push. The report is the time
// from the change (the disconnect or the connect being made) to each
// subscriber's event.

// Presence defaults.
const (
	DefaultPresenceClients = 5000
	DefaultPresenceRate    = 50 // status changes per second
	PresenceSubscriptions  = 200
	PresenceTargetP99      = time.Second
)

// PresenceResult is the presence scenario's report.
type PresenceResult struct {
	Scenario      string  `json:"scenario"`
	Users         int     `json:"users"`
	Subscriptions int     `json:"subscriptions_each"`
	Flappers      int     `json:"flappers"`
	Seconds       float64 `json:"seconds"`
	Changes       int64   `json:"changes"` // status changes made in the window
	ChangesPerSec float64 `json:"changes_per_sec"`
	Deliveries    int64   `json:"deliveries"` // status pushes seen by subscribers for those changes
	FramesPerSec  float64 `json:"frames_per_sec"`
	P50Ms         float64 `json:"p50_ms"`
	P90Ms         float64 `json:"p90_ms"`
	P99Ms         float64 `json:"p99_ms"`
	MaxMs         float64 `json:"max_ms"`
	Late          int64   `json:"late"` // deliveries over 1 s
	Failed        int64   `json:"failed"`
	SetupSeconds  float64 `json:"setup_seconds"` // connecting and subscribing
	StealCores    float64 `json:"steal_cores"`
}

// presenceRun is what the subscribers' listeners record.
type presenceRun struct {
	base time.Time
	mu   sync.Mutex
	// last change of each flapper: when (since base) and to what.
	changes  map[string]presenceChange
	counting atomic.Bool
	lat      hist
	n        atomic.Int64
	late     atomic.Int64
}

type presenceChange struct {
	at     time.Duration
	online bool
}

func (r *presenceRun) onEvent(ev client.Event) {
	if !r.counting.Load() || ev.People == nil {
		return
	}
	now := time.Since(r.base)
	for _, s := range ev.People.Status {
		if len(s.Platforms) == 0 {
			continue
		}
		r.mu.Lock()
		c, ok := r.changes[s.UserId]
		r.mu.Unlock()
		if !ok || c.online != s.Platforms[0].Online {
			continue
		}
		d := now - c.at
		r.lat.record(d)
		r.n.Add(1)
		if d > PresenceTargetP99 {
			r.late.Add(1)
		}
	}
}

func runPresence(ctx context.Context, cfg *Config, f *fleet) (*PresenceResult, error) {
	setup := time.Now()
	users, err := f.addUsers(cfg.Clients)
	if err != nil {
		return nil, err
	}
	run := &presenceRun{base: f.base, changes: map[string]presenceChange{}}
	f.presence.Store(run)
	if err := f.connect(ctx, users); err != nil {
		return nil, err
	}
	// Each user subscribes to PresenceSubscriptions others.
	subs := min(PresenceSubscriptions, len(users)-1)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Pointer[error]
	sem := make(chan struct{}, 16)
	var done atomic.Int64
	stopTick := f.ticker(func() { f.progress("presence: %d/%d users subscribed", done.Load(), len(users)) })
	for i, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			ids := make([]string, 0, subs)
			seen := map[int]bool{i: true}
			for len(ids) < subs {
				j := rng.IntN(len(users))
				if !seen[j] {
					seen[j] = true
					ids = append(ids, users[j].id)
				}
			}
			_, err := u.eng.People(ctx, &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: ids, Value: contract.SubscribeOnline, Expiry: 3600})
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, &err)
				return
			}
			done.Add(1)
		}()
	}
	wg.Wait()
	stopTick()
	if e := firstErr.Load(); e != nil {
		return nil, fmt.Errorf("%d users could not subscribe, the first: %w", failed.Load(), *e)
	}
	flappers := users[:max(1, len(users)/10)]
	res := &PresenceResult{Scenario: "presence", Users: len(users), Subscriptions: subs, Flappers: len(flappers),
		SetupSeconds: num(time.Since(setup).Seconds())}
	f.progress("presence: %d users connected and subscribed in %.1fs; %d flappers, %g changes/s", len(users), res.SetupSeconds, len(flappers), cfg.Rate)

	// Open loop: a change is due every 1/Rate s; each picks a flapper not
	// changing already.
	var busy sync.Map
	var changes, changeFailed atomic.Int64
	rng := rand.New(rand.NewPCG(1, 2))
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	_, stealBefore := machineBusy()
	start := time.Now()
	run.counting.Store(true)
	var ops sync.WaitGroup
	for next := start; time.Since(start) < cfg.Duration; next = next.Add(interval) {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		u := flappers[rng.IntN(len(flappers))]
		if _, taken := busy.LoadOrStore(u.id, true); taken {
			continue
		}
		online := u.status.Load() == client.StatusConnected
		run.mu.Lock()
		run.changes[u.id] = presenceChange{at: time.Since(run.base), online: !online}
		run.mu.Unlock()
		changes.Add(1)
		ops.Add(1)
		go func() {
			defer ops.Done()
			defer busy.Delete(u.id)
			if online {
				u.eng.Disconnect()
				return
			}
			tok, err := auth.NewToken([]byte(f.t.appSecret), u.id, 24*time.Hour, false, time.Now())
			if err == nil {
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err = u.eng.Connect(cctx, tok)
				cancel()
			}
			if err != nil {
				changeFailed.Add(1)
			}
		}()
	}
	window := time.Since(start)
	ops.Wait()
	select { // the last pushes in flight
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(3 * time.Second):
	}
	run.counting.Store(false)
	_, stealAfter := machineBusy()
	res.Seconds = num(window.Seconds())
	res.Changes = changes.Load()
	res.ChangesPerSec = num(float64(res.Changes) / window.Seconds())
	res.Deliveries = run.n.Load()
	res.FramesPerSec = num(float64(res.Deliveries) / window.Seconds())
	res.P50Ms = num(run.lat.quantile(0.5))
	res.P90Ms = num(run.lat.quantile(0.9))
	res.P99Ms = num(run.lat.quantile(0.99))
	res.MaxMs = num(run.lat.maxMs())
	res.Late = run.late.Load()
	res.Failed = changeFailed.Load()
	res.StealCores = num((stealAfter - stealBefore).Seconds() / window.Seconds())
	return res, nil
}
