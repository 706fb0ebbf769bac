// Package bench is `imwasm bench`: simulated users on the real client engine
// (client.Engine over wsnative WebSockets with memstore) drive a server with
// an open-loop load and measure what it delivers.
//
// Scenarios (BENCHMARKS.md):
//
//   - p2p: clients in pairs, each sending private messages to its partner;
//     the offered rate is spread evenly over all of them.
//   - group: one group of Members users, all connected; a subset sends to
//     the group and every delivery to every other member counts.
//   - idle: Clients connections held open against a server in its own
//     process; the server's resident memory growth per connection.
//   - receipts: one group of Members users, all online; every member
//     answers each read-receipt request within a second (receipts.go).
//   - chatroom: one chat room of Members users (10,000 by default), all
//     in it; Senders of them (20) send to it, and every delivery to every
//     other member counts. The server runs in its own process, whose
//     memory growth per member is reported.
//
// The load is open-loop: a scheduler issues sends at fixed times whatever
// the server does (each send runs on its own goroutine), and latency runs
// from a send's scheduled time to the moment the receiving engine hands the
// message to its OnEvents listener. Sends the scheduler issued more than
// lateThreshold after their time are counted, so a starved client shows.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/client/wsnative"
	"github.com/imwasm/imwasm/internal/workpool"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server/auth"
)

// Defaults (BENCHMARKS.md).
const (
	DefaultP2PClients  = 2000
	DefaultIdleClients = 5000
	DefaultP2PRate     = 10000
	DefaultGroupRate   = 200
	DefaultMembers     = 500
	DefaultDuration    = 10 * time.Second

	// The chatroom scenario: 10,000 members, 20 of them sending 0.5 msg/s
	// each, 100,000 deliveries/s.
	DefaultChatroomMembers = 10000
	DefaultChatroomRate    = 10
	DefaultChatroomSenders = 20

	// The ultragroup scenario: one ultra group with 10 channels, 5,000
	// members online, measured at 10,000 members and again at 100,000
	// (the others offline); 20 msg/s from 5 senders at the group
	// senders' 4 msg/s each — 100,000 deliveries/s, the chat room's load
	// (the group scenario's 200 msg/s would be a million deliveries/s to
	// 5,000 sessions).
	DefaultUltraOnline  = 5000
	DefaultUltraRate    = 20
	DefaultUltraMembers = 10000
	MaxUltraMembers     = 100000
	UltraChannels       = 10

	// ServerSendRate is the server's default per-user send limit.
	ServerSendRate = 5
	// groupSenderRate is what each group sender offers by default, under
	// the limit with room for jitter.
	groupSenderRate = 4

	lateThreshold = 10 * time.Millisecond
)

// Latency targets of --find-capacity (BENCHMARKS.md).
const (
	P2PTargetP99   = 50 * time.Millisecond
	GroupTargetP99 = 100 * time.Millisecond
	RoomTargetP99  = 200 * time.Millisecond
)

// Config is one bench invocation.
type Config struct {
	Scenario string // "p2p", "group", "idle", "receipts", "presence" or "chatroom"

	// URL names a running server (http://host:port), or the nodes of a
	// cluster, comma-separated (the users are spread over them in turn);
	// empty starts one: in this process for p2p and group (or in its own
	// with ServerProcess), always in its own process for idle.
	URL               string
	AppKey, AppSecret string // of the server at URL, to mint tokens
	// ServerPID, with URL, is the server's process id (idle reads its
	// memory); ServerPIDs are every process whose CPU counts as the
	// server's (a cluster's nodes), ServerPID among them.
	ServerPID     int
	ServerPIDs    []int
	ServerProcess bool   // p2p/group: run the server in its own process
	Exe           string // the imwasm binary for the server process; default this program
	ServerEnv     []string

	Clients   int           // p2p (default 2000) and idle (default 5000)
	Rate      float64       // offered messages/s in total; default p2p 10000, group 200
	Duration  time.Duration // timed window, default 10s
	Members   int           // group size, default 500
	Rounds    int           // receipts: requests made, default 5
	Senders   int           // group: members that send; default Rate/4
	RateLimit bool          // the server's (and SDK's) 5/s per user limit
	Settle    time.Duration // idle: wait after everyone connected, default 5s
	WarmUp    time.Duration // load offered (and not counted) before the window; default 2s, negative none
	Drain     time.Duration // wait for in-flight deliveries after the window, default 5s

	FindCapacity bool
	StepDuration time.Duration // find-capacity: length of each run, default 5s
	MaxRate      float64       // find-capacity: give up above this offered rate

	// Store is the engines' client.Store: "mem" (memstore, the default)
	// or "lean" (keeps only the users' own sends and cursors: much less
	// garbage in this process; see leanStore).
	Store string

	// ClientGOGC is this process's GC percent while the server runs
	// elsewhere (its own process or URL). 0, the default, turns the
	// collector off under a memory limit (a quarter of the machine's
	// memory, at most 8 GiB): 2,000 simulated clients hold ~150 MB live,
	// and collecting it every few seconds took ~100 ms of a shared core
	// each time, which showed up as p99 spikes of the server's latency.
	// Positive sets that percent; negative leaves the runtime's setting.
	// With the server in this process, and when the GOGC environment
	// variable is set, nothing is changed.
	ClientGOGC int

	// UltraSizes are the ultragroup scenario's group sizes, measured in
	// turn (default 10,000 then 100,000; tests make them small).
	UltraSizes []int

	// BeforeSend, when set, turns the server's before-send webhook on,
	// answered by a backend that passes every message after this long
	// (what it adds to a send is then measured).
	BeforeSend time.Duration
	// Webhook turns the server's events webhook on, answered at once by a
	// backend (what delivering every message's event costs).
	Webhook bool
	// BackendInProcess runs the webhooks' backend in this process rather
	// than in one of its own (webhooks.go).
	BackendInProcess bool

	// Progress, when set, gets a line per second while running.
	Progress io.Writer
}

func (c *Config) defaults() error {
	switch c.Scenario {
	case "":
		c.Scenario = "p2p"
	case "p2p", "group", "idle", "receipts", "presence", "chatroom", "ultragroup":
	default:
		return fmt.Errorf("unknown scenario %q (want p2p, group, idle, receipts, presence, chatroom or ultragroup)", c.Scenario)
	}
	if c.Scenario == "ultragroup" {
		if c.Members <= 0 {
			c.Members = DefaultUltraOnline
		}
		if c.Rate <= 0 {
			c.Rate = DefaultUltraRate
		}
		if c.URL == "" {
			c.ServerProcess = true // its CPU per send is measured
		}
		if c.FindCapacity {
			return errors.New("--find-capacity applies to p2p, group and chatroom")
		}
	}
	if c.Scenario == "chatroom" {
		if c.Members <= 0 {
			c.Members = DefaultChatroomMembers
		}
		if c.Rate <= 0 {
			c.Rate = DefaultChatroomRate
		}
		if c.Senders <= 0 {
			c.Senders = DefaultChatroomSenders
		}
		if c.URL == "" {
			c.ServerProcess = true // its memory per member is measured
		}
	}
	if c.Clients <= 0 {
		switch c.Scenario {
		case "idle":
			c.Clients = DefaultIdleClients
		case "presence":
			c.Clients = DefaultPresenceClients
		default:
			c.Clients = DefaultP2PClients
		}
	}
	if c.Scenario == "presence" && c.Clients < 2 {
		return errors.New("presence needs at least 2 users")
	}
	if c.Scenario == "p2p" && c.Clients%2 == 1 {
		c.Clients++ // pairs
	}
	if c.Rate <= 0 {
		switch c.Scenario {
		case "group":
			c.Rate = DefaultGroupRate
		case "presence":
			c.Rate = DefaultPresenceRate
		default:
			c.Rate = DefaultP2PRate
		}
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	if c.Members <= 0 {
		c.Members = DefaultMembers
	}
	if (c.Scenario == "group" || c.Scenario == "receipts" || c.Scenario == "chatroom" || c.Scenario == "ultragroup") && c.Members < 2 {
		return errors.New("a group needs at least 2 members")
	}
	switch c.Store {
	case "":
		c.Store = "mem"
	case "mem", "lean":
	default:
		return fmt.Errorf("unknown store %q (want mem or lean)", c.Store)
	}
	if c.Settle <= 0 {
		c.Settle = 5 * time.Second
	}
	if c.WarmUp == 0 {
		c.WarmUp = 2 * time.Second
	}
	if c.Drain <= 0 {
		c.Drain = 5 * time.Second
	}
	if c.StepDuration <= 0 {
		c.StepDuration = 5 * time.Second
	}
	if c.MaxRate <= 0 {
		c.MaxRate = 1e6
	}
	return nil
}

// Result is what a run reports. The first fields are the stable JSON shape;
// the rest are extra detail.
type Result struct {
	Scenario           string           `json:"scenario"`
	Clients            int              `json:"clients"`
	Messages           int64            `json:"messages"` // deliveries counted
	Seconds            float64          `json:"seconds"`  // the timed window
	MsgsPerSec         float64          `json:"msgs_per_sec"`
	P50Ms              float64          `json:"p50_ms"`
	P99Ms              float64          `json:"p99_ms"`
	ServerBytesPerConn float64          `json:"server_bytes_per_conn"`
	RateLimit          bool             `json:"rate_limit"`
	Lost               int64            `json:"lost"`
	Errors             map[string]int64 `json:"errors"` // failed sends by wire code

	Server       string  `json:"server"` // in-process, process or external
	Store        string  `json:"client_store,omitempty"`
	OfferedRate  float64 `json:"offered_rate,omitempty"`
	Senders      int     `json:"senders,omitempty"`
	Members      int     `json:"members,omitempty"`
	Fanout       int     `json:"fanout,omitempty"` // deliveries expected per send
	Sent         int64   `json:"sent"`             // sends issued
	Acked        int64   `json:"acked"`            // sends the server acknowledged
	Expected     int64   `json:"expected"`         // sent * fanout
	LateSends    int64   `json:"late_sends"`       // issued more than 10ms after their time
	MaxSendLagMs float64 `json:"max_send_lag_ms"`
	MeanMs       float64 `json:"mean_ms"`
	P90Ms        float64 `json:"p90_ms"`
	P999Ms       float64 `json:"p999_ms"`
	MaxMs        float64 `json:"max_ms"`

	// CPU used from the window's start to the end of the drain, in cores
	// (1 = one core busy throughout): this process, and the server when it
	// runs in a process of its own. In-process, BenchCPUCores covers both.
	BenchCPUCores  float64 `json:"bench_cpu_cores,omitempty"`
	ServerCPUCores float64 `json:"server_cpu_cores,omitempty"`
	// OtherCPUCores is what the rest of the machine used meanwhile
	// (other processes than the bench and its server): anything well
	// above 0 means the numbers are disturbed.
	OtherCPUCores float64 `json:"other_cpu_cores"`
	// StealCores is CPU the hypervisor gave to other machines while this
	// one wanted it (/proc/stat steal): a VM's noisy neighbours.
	StealCores float64 `json:"steal_cores"`
	// BenchGOGC is this process's GC percent when the bench changed it
	// (-1: off, under BenchMemLimit).
	BenchGOGC     int   `json:"bench_gogc,omitempty"`
	BenchMemLimit int64 `json:"bench_mem_limit,omitempty"`
	// BenchAllocMB is what this process allocated from connecting to the
	// end, in MiB.
	BenchAllocMB float64 `json:"bench_alloc_mb,omitempty"`
	// ServerCPUPerMsgUs is the server's CPU per acknowledged send (own process only).
	ServerCPUPerMsgUs float64 `json:"server_cpu_us_per_msg,omitempty"`

	RSSBefore      int64 `json:"rss_before,omitempty"` // idle: server VmRSS, bytes
	RSSAfter       int64 `json:"rss_after,omitempty"`
	ServerSessions int64 `json:"server_sessions,omitempty"` // idle: imwasm_sessions after settling

	// Frames counts the engines' frames in the window by kind
	// ("sent.send", "sent.ack", "sent.pull", "received.push"...).
	Frames map[string]int64 `json:"frames,omitempty"`

	Capacity *Capacity `json:"capacity,omitempty"`

	// Receipts is the receipts scenario's report (the other fields stay
	// empty).
	Receipts *ReceiptsResult `json:"receipts,omitempty"`
	// Presence is the presence scenario's (likewise).
	Presence *PresenceResult `json:"presence,omitempty"`
	// UltraGroup is the ultragroup scenario's measurements (the Result
	// around it is the one at the largest size, 100,000 members).
	UltraGroup *UltraResult `json:"ultragroup,omitempty"`
}

// Capacity is --find-capacity's answer; the Result around it is the run at
// the rate found (or the lowest tried when none met the target).
type Capacity struct {
	TargetP99Ms float64 `json:"target_p99_ms"`
	Rate        float64 `json:"rate"` // highest offered msg/s that met the target with zero loss; 0: none did
	Steps       []Step  `json:"steps"`
}

// Step is one run of the capacity search.
type Step struct {
	Rate       float64 `json:"rate"`
	Clients    int     `json:"clients"`
	Senders    int     `json:"senders"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Lost       int64   `json:"lost"`
	Errors     int64   `json:"errors"`
	LateSends  int64   `json:"late_sends"`
	OtherCPU   float64 `json:"other_cpu_cores"`
	Steal      float64 `json:"steal_cores"`
	OK         bool    `json:"ok"`
}

// Run runs the configured scenario (or capacity search).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Scenario == "idle" {
		if cfg.FindCapacity {
			return nil, errors.New("--find-capacity applies to p2p, group and chatroom")
		}
		return runIdle(ctx, &cfg)
	}
	conns := cfg.Clients
	if cfg.Scenario == "group" || cfg.Scenario == "receipts" || cfg.Scenario == "chatroom" || cfg.Scenario == "ultragroup" {
		conns = cfg.Members
	}
	per := 1
	if cfg.URL == "" && !cfg.ServerProcess {
		per = 2 // both ends of every connection live here
	}
	if err := raiseNoFile(conns*per + 256); err != nil {
		return nil, err
	}
	if cfg.FindCapacity && cfg.Scenario == "p2p" && cfg.RateLimit {
		// Every 5 msg/s more needs another connection: stop where the
		// open files run out.
		if lim := noFileLimit(); lim > 0 {
			cfg.MaxRate = min(cfg.MaxRate, float64((lim-256)/per/2*2)*ServerSendRate)
		}
	}
	t, err := startTarget(ctx, &cfg, cfg.ServerProcess)
	if err != nil {
		return nil, err
	}
	f := newFleet(&cfg, t)
	defer f.close()
	if cfg.BeforeSend > 0 {
		stop, err := f.startBackend(ctx, "beforeSendUrl", cfg.BeforeSend)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	if cfg.Webhook {
		stop, err := f.startBackend(ctx, "webhookUrl", 0)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	if t.kind == "external" {
		f.progress("note: --rate-limit only sets the SDK's own limit here; the server keeps the send rate it was started with")
	}
	gogc, limit, changed := 0, int64(0), false
	if _, set := os.LookupEnv("GOGC"); !set && t.kind != "in-process" && cfg.ClientGOGC >= 0 {
		changed = true
		gogc = cfg.ClientGOGC
		if gogc == 0 {
			gogc, limit = -1, clientMemLimit()
			if _, set := os.LookupEnv("GOMEMLIMIT"); set {
				limit = debug.SetMemoryLimit(-1) // the user's limit stands
			}
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
			f.progress("bench process: GC off under a %d MiB memory limit (the server runs elsewhere with its own settings)", limit>>20)
		} else {
			f.progress("bench process GOGC=%d (the server runs elsewhere with its own settings)", gogc)
		}
		defer debug.SetGCPercent(debug.SetGCPercent(gogc))
		// After the collector is off: the scavenger's goal then comes from
		// the memory limit and leaves the freed pages alone.
		if n := prefaultBytes(&cfg, limit); gogc < 0 && n > 0 {
			t0 := time.Now()
			prefault(n)
			f.progress("bench process: touched %d MiB of heap in %.1fs before connecting", n>>20, time.Since(t0).Seconds())
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	alloc0 := ms.TotalAlloc
	res, err := f.run(ctx)
	if res != nil && changed {
		res.BenchGOGC, res.BenchMemLimit = gogc, limit
	}
	if res != nil {
		runtime.ReadMemStats(&ms)
		res.BenchAllocMB = float64(ms.TotalAlloc-alloc0) / (1 << 20)
	}
	return res, err
}

func (f *fleet) run(ctx context.Context) (*Result, error) {
	cfg := f.cfg
	if cfg.FindCapacity {
		return f.findCapacity(ctx)
	}
	if cfg.Scenario == "presence" {
		pr, err := runPresence(ctx, cfg, f)
		if err != nil {
			return nil, err
		}
		return &Result{Scenario: "presence", Clients: pr.Users, Server: f.t.kind, Presence: pr}, nil
	}
	if cfg.Scenario == "ultragroup" {
		return f.runUltra(ctx)
	}
	if cfg.Scenario == "receipts" {
		_, before := machineBusy()
		start := time.Now()
		rr, err := runReceipts(ctx, cfg, f)
		if err != nil {
			return nil, err
		}
		_, after := machineBusy()
		rr.StealCores = num((after - before).Seconds() / time.Since(start).Seconds())
		return &Result{Scenario: "receipts", Clients: cfg.Members, Members: cfg.Members, Server: f.t.kind, Receipts: rr}, nil
	}
	var p plan
	var err error
	switch cfg.Scenario {
	case "p2p":
		p, err = f.setupP2P(ctx, cfg.Clients, cfg.Rate)
	case "group":
		p, err = f.setupGroup(ctx, cfg.Rate)
	case "chatroom":
		p, err = f.setupChatroom(ctx, cfg.Rate)
	}
	if err != nil {
		return nil, err
	}
	p.dur = cfg.Duration
	r, err := f.measure(ctx, p)
	if err == nil && cfg.Scenario == "chatroom" {
		f.roomMemory(r)
	}
	return r, err
}

// fleet is the simulated users and the counters their listeners feed.
type fleet struct {
	cfg  *Config
	t    *target
	base time.Time // monotonic origin of the timestamps in messages
	tag  string    // makes user and group ids unique to this run

	users []*user // p2p users in pairs, or the group's (or room's) members
	group string  // the group, or the chat room
	// rssBefore is the server's VmRSS before the room's members connected
	// (chatroom, with the server in its own process).
	rssBefore int64

	round     atomic.Int64 // deliveries of this round count
	delivered atomic.Int64
	lat       atomic.Pointer[hist] // whole round
	win       atomic.Pointer[hist] // since the last progress line
	frames    frameCounter
	pool      *workpool.Pool // sends: never queued, so the schedule stays open-loop
	inflight  atomic.Int64   // sends of any round not yet answered
	receipts  atomic.Pointer[receiptRound]
	presence  atomic.Pointer[presenceRun]
}

type user struct {
	f      *fleet
	id     string
	eng    *client.Engine
	to     client.Conversation
	status atomic.Int32
	synced atomic.Bool
}

func newFleet(cfg *Config, t *target) *fleet {
	f := &fleet{cfg: cfg, t: t, base: time.Now(), tag: strings.ToLower(rand.Text()[:8]), pool: workpool.New(2*time.Second, nil)}
	f.lat.Store(new(hist))
	f.win.Store(new(hist))
	return f
}

func (f *fleet) progress(format string, args ...any) {
	if f.cfg.Progress != nil {
		fmt.Fprintf(f.cfg.Progress, format+"\n", args...)
	}
}

// close closes every engine and stops a server this bench started.
func (f *fleet) close() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, u := range f.users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			u.eng.Close()
		}()
	}
	wg.Wait()
	f.t.stop()
}

// addUsers makes n engines (not yet connected).
func (f *fleet) addUsers(n int) ([]*user, error) {
	out := make([]*user, 0, n)
	for range n {
		u := &user{f: f, id: fmt.Sprintf("bench-%s-%d", f.tag, len(f.users))}
		eng, err := client.New(client.Config{
			URL: f.t.wsURLs[len(f.users)%len(f.t.wsURLs)], AppKey: f.t.appKey, DeviceID: "d-" + u.id,
			Store: f.newStore(), Dialer: countingDialer{wsnative.Dialer{}, &f.frames},
			OnEvents:    u.onEvents,
			SendRate:    f.clientSendRate(),
			SendTimeout: 10 * time.Second,
			BackoffMin:  100 * time.Millisecond, BackoffMax: 2 * time.Second,
		})
		if err != nil {
			return nil, err
		}
		u.eng = eng
		f.users = append(f.users, u)
		out = append(out, u)
	}
	return out, nil
}

func (f *fleet) newStore() client.Store {
	if f.cfg.Store == "lean" {
		return newLeanStore()
	}
	return memstore.New()
}

// clientSendRate is the SDK's own bucket: the server's limit as it
// announces it (the SDK's default) with the limit on, off with it off.
func (f *fleet) clientSendRate() float64 {
	if f.cfg.RateLimit {
		return 0 // follows the server: 5/s in bursts of 10
	}
	return -1
}

// onEvents is every engine's listener: it must stay cheap.
func (u *user) onEvents(evs []client.Event) {
	f := u.f
	for _, ev := range evs {
		switch ev.Kind {
		case client.EventMessages:
			now := time.Since(f.base)
			cur := f.round.Load()
			for _, m := range ev.Messages {
				r, t, ok := scanContent(m.Content)
				if !ok || r != cur {
					continue
				}
				d := now - time.Duration(t)
				f.delivered.Add(1)
				f.lat.Load().record(d)
				f.win.Load().record(d)
			}
		case client.EventStatus:
			u.status.Store(int32(ev.Status))
			if ev.Status != client.StatusConnected {
				u.synced.Store(false)
			}
		case client.EventSyncFinished:
			u.synced.Store(true)
		case client.EventReceiptRequest:
			if f.cfg.Scenario == "receipts" {
				u.answerRequest(ev)
			}
		case client.EventReceiptResponse, client.EventReceiptResponseV5:
			if r := f.receipts.Load(); r != nil {
				r.onEvent(ev)
			}
		case client.EventSubscribedStatus:
			if r := f.presence.Load(); r != nil {
				r.onEvent(ev)
			}
		}
	}
}

// connect connects users a few at a time and waits until each has finished
// its first sync.
func (f *fleet) connect(ctx context.Context, users []*user) error {
	if len(users) == 0 {
		return nil
	}
	start := time.Now()
	var done, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	stopTick := f.ticker(func() {
		f.progress("connecting %d/%d (%d failed)", done.Load(), len(users), failed.Load())
	})
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, u := range users {
		if ctx.Err() != nil {
			break
		}
		tok, err := auth.NewToken([]byte(f.t.appSecret), u.id, 24*time.Hour, false, time.Now())
		if err != nil {
			stopTick()
			return err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if _, err := u.eng.Connect(cctx, tok); err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
				return
			}
			done.Add(1)
		}()
	}
	wg.Wait()
	stopTick()
	if err := ctx.Err(); err != nil {
		return err
	}
	if firstErr != nil {
		return fmt.Errorf("%d of %d connections failed, the first: %w", failed.Load(), len(users), firstErr)
	}
	if err := f.waitSynced(ctx, users, 60*time.Second); err != nil {
		return err
	}
	f.progress("connected %d clients in %.1fs", len(users), time.Since(start).Seconds())
	return nil
}

// waitSynced waits until every user is connected with its sync finished.
func (f *fleet) waitSynced(ctx context.Context, users []*user, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		n := 0
		for _, u := range users {
			if u.status.Load() == client.StatusConnected && u.synced.Load() {
				n++
			}
		}
		if n == len(users) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d clients connected and synced after %v", n, len(users), limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ticker calls fn once a second until the returned stop is called.
func (f *fleet) ticker(fn func()) (stop func()) {
	if f.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	t := time.NewTicker(time.Second)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return sync.OnceFunc(func() { t.Stop(); close(done) })
}

// plan is one timed window of load.
type plan struct {
	rate    float64
	dur     time.Duration
	senders []*user // sends go round-robin in this order
	fanout  int     // deliveries per send
	clients int
	members int
}

// setupP2P makes sure n paired users are connected and plans rate over all
// of them. Partners are half a period apart in the send order, so the two
// directions of a conversation do not collide.
func (f *fleet) setupP2P(ctx context.Context, n int, rate float64) (plan, error) {
	if n > len(f.users) {
		fresh, err := f.addUsers(n - len(f.users))
		if err != nil {
			return plan{}, err
		}
		for _, u := range f.users {
			// Users i and i^1 are partners.
			i, _ := strconv.Atoi(u.id[strings.LastIndexByte(u.id, '-')+1:])
			u.to = client.Conversation{Type: client.Private, TargetID: fmt.Sprintf("bench-%s-%d", f.tag, i^1)}
		}
		if err := f.connect(ctx, fresh); err != nil {
			return plan{}, err
		}
	}
	order := make([]*user, 0, n)
	for i := 0; i < n; i += 2 {
		order = append(order, f.users[i])
	}
	for i := 1; i < n; i += 2 {
		order = append(order, f.users[i])
	}
	return plan{rate: rate, senders: order, fanout: 1, clients: n}, nil
}

// setupGroup creates the group with every member connected (once) and
// plans rate over a spread-out subset of senders.
func (f *fleet) setupGroup(ctx context.Context, rate float64) (plan, error) {
	m := f.cfg.Members
	if f.group == "" {
		users, err := f.addUsers(m)
		if err != nil {
			return plan{}, err
		}
		f.group = "bench-" + f.tag + "-g"
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.id
			u.to = client.Conversation{Type: client.Group, TargetID: f.group}
		}
		if err := f.t.createGroup(ctx, f.group, ids[0], ids[1:]); err != nil {
			return plan{}, err
		}
		if err := f.connect(ctx, users); err != nil {
			return plan{}, err
		}
	}
	s := f.cfg.Senders
	if s <= 0 {
		s = int(math.Ceil(rate / groupSenderRate))
	}
	s = max(1, min(s, m))
	order := make([]*user, s)
	for i := range order {
		order[i] = f.users[i*m/s]
	}
	return plan{rate: rate, senders: order, fanout: m - 1, clients: m, members: m}, nil
}

// sendStats are one window's send counters.
type sendStats struct {
	sent, acked, inflight, late atomic.Int64
	maxLag                      atomic.Int64
	mu                          sync.Mutex
	errs                        map[int32]int64
}

func (s *sendStats) fail(code int32) {
	s.mu.Lock()
	if s.errs == nil {
		s.errs = map[int32]int64{}
	}
	s.errs[code]++
	s.mu.Unlock()
}

func (s *sendStats) errors() (map[string]int64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	var n int64
	for c, k := range s.errs {
		out[strconv.Itoa(int(c))] = k
		n += k
	}
	return out, n
}

// measure offers p's load for p.dur, waits for the deliveries, and reports.
func (f *fleet) measure(ctx context.Context, p plan) (*Result, error) {
	if len(p.senders) == 0 || p.rate <= 0 {
		return nil, errors.New("nothing to send")
	}
	// Two rounds: the warm-up's deliveries are not counted.
	round := f.round.Add(2)
	warmRound := round - 1
	f.delivered.Store(0)
	lat := new(hist)
	f.lat.Store(lat)
	f.win.Store(new(hist))
	st, warmSt := &sendStats{}, &sendStats{}
	warm := max(f.cfg.WarmUp, 0)
	nWarm := int64(math.Round(p.rate * warm.Seconds()))
	total := nWarm + int64(math.Round(p.rate*p.dur.Seconds()))
	interval := float64(time.Second) / p.rate
	start := time.Since(f.base) + 5*time.Millisecond
	measured := start + time.Duration(float64(nWarm)*interval) // the timed window's start
	perSender := p.rate / float64(len(p.senders))
	f.progress("%s: %.0f msg/s from %d senders (%.2f/s each) for %v after %v warm-up, %d deliveries per message",
		f.cfg.Scenario, p.rate, len(p.senders), perSender, p.dur, warm, p.fanout)
	if f.cfg.RateLimit && perSender > ServerSendRate {
		f.progress("warning: %.2f msg/s per sender is above the %d/s limit: expect refusals (20604)", perSender, ServerSendRate)
	}

	// Resource use is read when the timed window starts.
	var (
		cpu0, srvCPU0, busy0, steal0 time.Duration
		wall0                        time.Time
		frames0                      frameSnapshot
	)
	mark := func() {
		busy0, steal0 = machineBusy()
		cpu0, _ = cpuTime(0)
		srvCPU0 = f.t.serverCPU()
		wall0 = time.Now()
		frames0 = f.frames.snapshot()
	}
	if nWarm == 0 {
		mark()
	}
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		var j int64
		var shift time.Duration // the pause between warm-up and window
		for j < total && ctx.Err() == nil {
			now := time.Since(f.base)
			for ; j < total; j++ {
				due := start + shift + time.Duration(float64(j)*interval)
				if due > now {
					break
				}
				r, s := round, st
				if j < nWarm {
					r, s = warmRound, warmSt
				} else if j == nWarm && nWarm > 0 {
					// The window's frame counts start once the warm-up's
					// sends are all written (acked): on a busy machine the
					// pool may still hold some, which counted in the window.
					// The window's schedule moves by the wait.
					paused := time.Now()
					for warmSt.inflight.Load() > 0 && time.Since(paused) < 5*time.Second && ctx.Err() == nil {
						time.Sleep(time.Millisecond)
					}
					waited := time.Since(paused)
					shift += waited
					due += waited
					now = time.Since(f.base)
					mark()
				}
				if lag := now - due; lag > lateThreshold {
					s.late.Add(1)
				}
				if lag := int64(now - due); lag > s.maxLag.Load() {
					s.maxLag.Store(lag)
				}
				u := p.senders[j%int64(len(p.senders))]
				s.sent.Add(1)
				s.inflight.Add(1)
				f.inflight.Add(1)
				f.pool.Run(func() { f.send(u, r, due, s) })
			}
			if j < total {
				time.Sleep(start + shift + time.Duration(float64(j)*interval) - time.Since(f.base))
			}
		}
	}()

	var lastDelivered, lastSent int64
	stopTick := f.ticker(func() {
		w := f.win.Swap(new(hist))
		now := time.Since(f.base)
		if now < measured {
			f.progress("%5.1fs warm-up: sent %d, late %d", (now - start).Seconds(), warmSt.sent.Load(), warmSt.late.Load())
			return
		}
		d, s := f.delivered.Load(), st.sent.Load()
		_, nerr := st.errors()
		f.progress("%5.1fs sent %d (+%d) delivered %d (+%d) p99 %s late %d errors %d",
			(now - measured).Seconds(), s, s-lastSent, d, d-lastDelivered, fmtMs(w.quantile(.99)), st.late.Load(), nerr)
		lastDelivered, lastSent = d, s
	})
	<-schedDone
	windowEnd := time.Now()
	// Wait for what is still on its way.
	for time.Since(windowEnd) < f.cfg.Drain && ctx.Err() == nil {
		// Refused sends will never arrive: wait for what was accepted.
		if st.inflight.Load() == 0 && f.delivered.Load() >= st.acked.Load()*int64(p.fanout) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.round.Add(1) // later arrivals no longer count
	wall := time.Since(wall0)
	frames := f.frames.since(frames0)
	cpu1, _ := cpuTime(0)
	srvCPU := f.t.serverCPU() - srvCPU0
	var busy, steal time.Duration
	if busy0 > 0 {
		b, s := machineBusy()
		busy, steal = b-busy0, s-steal0
	}
	time.Sleep(20 * time.Millisecond)
	stopTick()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	errs, _ := st.errors()
	sent := st.sent.Load()
	delivered := f.delivered.Load()
	r := &Result{
		Scenario:     f.cfg.Scenario,
		Clients:      p.clients,
		Messages:     delivered,
		Seconds:      p.dur.Seconds(),
		MsgsPerSec:   float64(delivered) / p.dur.Seconds(),
		P50Ms:        num(lat.quantile(.50)),
		P99Ms:        num(lat.quantile(.99)),
		RateLimit:    f.cfg.RateLimit,
		Errors:       errs,
		Server:       f.t.kind,
		Store:        f.cfg.Store,
		OfferedRate:  p.rate,
		Senders:      len(p.senders),
		Members:      p.members,
		Fanout:       p.fanout,
		Sent:         sent,
		Acked:        st.acked.Load(),
		Expected:     sent * int64(p.fanout),
		LateSends:    st.late.Load(),
		MaxSendLagMs: float64(st.maxLag.Load()) / 1e6,
		MeanMs:       num(lat.meanMs()),
		P90Ms:        num(lat.quantile(.90)),
		P999Ms:       num(lat.quantile(.999)),
		MaxMs:        num(lat.maxMs()),
		Frames:       frames,
	}
	r.Lost = r.Expected - delivered
	r.BenchCPUCores = num((cpu1 - cpu0).Seconds() / wall.Seconds())
	if busy > 0 {
		r.OtherCPUCores = num(max(0, (busy-(cpu1-cpu0)-srvCPU).Seconds()/wall.Seconds()))
		r.StealCores = num(steal.Seconds() / wall.Seconds())
	}
	if srvCPU > 0 {
		r.ServerCPUCores = num(srvCPU.Seconds() / wall.Seconds())
		if r.Acked > 0 {
			r.ServerCPUPerMsgUs = num(float64(srvCPU.Microseconds()) / float64(r.Acked))
		}
	}
	return r, nil
}

func (f *fleet) send(u *user, round int64, due time.Duration, st *sendStats) {
	defer f.inflight.Add(-1)
	defer st.inflight.Add(-1)
	var buf [128]byte
	m := &client.Message{
		Conversation: u.to, ObjectName: "RC:TxtMsg",
		Content:     appendContent(buf[:0], round, int64(due)),
		IsPersisted: true, IsCounted: true,
	}
	if _, err := u.eng.SendMessage(context.Background(), m, client.SendOptions{}); err != nil {
		st.fail(codes.Of(err))
		return
	}
	st.acked.Add(1)
}

func num(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*1000) / 1000
}

func fmtMs(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
}

// findCapacity steps the offered rate up (doubling) until a run misses the
// latency target or loses messages, then bisects between the last good and
// the first bad rate.
func (f *fleet) findCapacity(ctx context.Context) (*Result, error) {
	cfg := f.cfg
	target := P2PTargetP99
	switch cfg.Scenario {
	case "group":
		target = GroupTargetP99
	case "chatroom":
		target = RoomTargetP99
	}
	capa := &Capacity{TargetP99Ms: float64(target.Milliseconds())}
	step := func(rate float64) (*Result, bool, error) {
		// Let the previous step's stragglers settle.
		for deadline := time.Now().Add(15 * time.Second); f.inflight.Load() > 0 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		if err := f.waitSynced(ctx, f.users, 60*time.Second); err != nil {
			return nil, false, err
		}
		time.Sleep(time.Second)
		var p plan
		var err error
		switch cfg.Scenario {
		case "p2p":
			n := cfg.Clients
			if cfg.RateLimit {
				n = max(n, 2*int(math.Ceil(rate/ServerSendRate/2)))
			}
			p, err = f.setupP2P(ctx, n, rate)
		case "group":
			p, err = f.setupGroup(ctx, rate)
		case "chatroom":
			p, err = f.setupChatroom(ctx, rate)
		}
		if err != nil {
			return nil, false, err
		}
		p.dur = cfg.StepDuration
		r, err := f.measure(ctx, p)
		if err != nil {
			return nil, false, err
		}
		var nerr int64
		for _, k := range r.Errors {
			nerr += k
		}
		ok := r.Lost == 0 && nerr == 0 && r.P99Ms <= float64(target.Milliseconds()) && r.Messages > 0
		capa.Steps = append(capa.Steps, Step{
			Rate: rate, Clients: r.Clients, Senders: r.Senders, MsgsPerSec: r.MsgsPerSec,
			P50Ms: r.P50Ms, P99Ms: r.P99Ms, Lost: r.Lost, Errors: nerr, LateSends: r.LateSends,
			OtherCPU: r.OtherCPUCores, Steal: r.StealCores, OK: ok,
		})
		verdict := "missed"
		if ok {
			verdict = "met"
		}
		f.progress("step %.0f msg/s: %.0f delivered/s, p99 %.1fms, lost %d, errors %d, other processes %.2f cores: target %s",
			rate, r.MsgsPerSec, r.P99Ms, r.Lost, nerr, r.OtherCPUCores, verdict)
		return r, ok, nil
	}
	// A run that lost nothing and missed the latency target by less than
	// 2x is repeated once: the tail of a short run is noisy (a GC cycle
	// more or less). So is a failed run during which other processes
	// took CPU. Every run is listed in the steps.
	run := func(rate float64) (*Result, bool, error) {
		r, ok, err := step(rate)
		if err != nil || ok {
			return r, ok, err
		}
		marginal := r.Lost == 0 && len(r.Errors) == 0 && r.P99Ms <= 2*float64(target.Milliseconds())
		if !marginal && r.OtherCPUCores+r.StealCores < 0.1 {
			return r, ok, err
		}
		return step(rate)
	}

	// Start an eighth of the default load and double.
	rate := math.Max(1, cfg.Rate/8)
	var best, first *Result
	var good, bad float64
	for {
		r, ok, err := run(rate)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = r
		}
		if !ok {
			bad = rate
			break
		}
		good, best = rate, r
		if rate*2 > cfg.MaxRate {
			break
		}
		rate *= 2
	}
	// Bisect to within 5%.
	for bad > 0 && bad-good > 0.05*bad && len(capa.Steps) < 16 {
		mid := math.Round((good + bad) / 2)
		if good == 0 {
			mid = math.Round(bad / 2)
			if mid < 1 {
				break
			}
		}
		if mid <= good || mid >= bad {
			break // whole messages a second: nothing between (a chat room's 5 and 6 were tried 10 times)
		}
		r, ok, err := run(mid)
		if err != nil {
			return nil, err
		}
		if ok {
			good, best = mid, r
		} else {
			bad = mid
		}
	}
	capa.Rate = good
	out := best
	if out == nil {
		out = first
	}
	out.Capacity = capa
	return out, nil
}

// createGroup calls the admin API.
func (t *target) createGroup(ctx context.Context, id, owner string, members []string) error {
	return t.adminPost(ctx, "/v1/groups", map[string]any{"groupId": id, "name": "imwasm bench", "ownerId": owner, "memberIds": members})
}

// adminPost posts body to the admin API's path and wants a 200.
func (t *target) adminPost(ctx context.Context, path string, body any) error {
	return t.adminCall(ctx, http.MethodPost, path, body)
}

// adminCall calls the admin API and wants a 200.
func (t *target) adminCall(ctx context.Context, method, path string, body any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, t.httpURL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	tok, err := auth.NewToken([]byte(t.appSecret), "admin", time.Hour, true, time.Now())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	ans, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(ans)))
	}
	return nil
}

// sessions reads the imwasm_sessions gauge from the server's /metrics.
func (t *target) sessions(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.httpURL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "imwasm_sessions "); ok {
			// Prometheus writes floats: a million sessions is 1e+06.
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	return 0, errors.New("no imwasm_sessions in /metrics")
}

// runIdle measures the server's memory per idle connection.
func runIdle(ctx context.Context, cfg *Config) (*Result, error) {
	if cfg.URL != "" && cfg.ServerPID == 0 {
		return nil, errors.New("idle against --url needs --server-pid to read the server's memory")
	}
	if err := raiseNoFile(cfg.Clients + 256); err != nil {
		return nil, err
	}
	t, err := startTarget(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	f := newFleet(cfg, t)
	defer f.close()
	sleep := func(d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	if err := sleep(time.Second); err != nil {
		return nil, err
	}
	before, err := rssBytes(t.pid)
	if err != nil {
		return nil, err
	}
	f.progress("idle: server pid %d, VmRSS %.1f MB before connecting", t.pid, float64(before)/(1<<20))
	users, err := f.addUsers(cfg.Clients)
	if err != nil {
		return nil, err
	}
	if err := f.connect(ctx, users); err != nil {
		return nil, err
	}
	f.progress("idle: %d connected, waiting %v", len(users), cfg.Settle)
	if err := sleep(cfg.Settle); err != nil {
		return nil, err
	}
	after, err := rssBytes(t.pid)
	if err != nil {
		return nil, err
	}
	n, err := t.sessions(ctx)
	if err != nil {
		f.progress("idle: cannot read sessions from /metrics: %v", err)
		n = 0
	}
	connected := 0
	for _, u := range users {
		if u.status.Load() == client.StatusConnected {
			connected++
		}
	}
	r := &Result{
		Scenario:           "idle",
		Clients:            connected,
		ServerBytesPerConn: math.Round(float64(after-before) / float64(cfg.Clients)),
		RateLimit:          cfg.RateLimit,
		Lost:               int64(cfg.Clients - connected),
		Errors:             map[string]int64{},
		Server:             t.kind,
		Seconds:            cfg.Settle.Seconds(),
		RSSBefore:          before,
		RSSAfter:           after,
		ServerSessions:     n,
	}
	return r, nil
}

// ErrorName names the wire codes a bench run meets.
func ErrorName(code string) string {
	c, err := strconv.Atoi(code)
	if err != nil {
		return code
	}
	switch c {
	case codes.SendFrequencyTooFast:
		return "SEND_FREQUENCY_TOO_FAST"
	case codes.NetChannelInvalid:
		return "NET_CHANNEL_INVALID (not connected)"
	case codes.NetUnavailable:
		return "NET_UNAVAILABLE"
	case codes.MsgRespTimeout:
		return "MSG_RESP_TIMEOUT"
	case codes.NotInGroup:
		return "NOT_IN_GROUP"
	case codes.Timeout:
		return "UNKNOWN / server error"
	}
	return code
}

// SortedErrors lists errs by code.
func SortedErrors(errs map[string]int64) []string {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// clientMemLimit is the memory limit the simulated clients run under with
// their collector off: a quarter of the machine's memory (or of the
// container's, when its cgroup sets one), at most 8 GiB (2 GiB when
// /proc/meminfo cannot be read).
func clientMemLimit() int64 {
	limit := machineMemLimit()
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(f); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
				limit = min(limit, n/4)
			}
		}
	}
	return limit
}

func machineMemLimit() int64 {
	const maxLimit = 8 << 30
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 2 << 30
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil || kb <= 0 {
				break
			}
			return min(kb<<10/4, maxLimit)
		}
	}
	return 2 << 30
}

// prefaultBytes is how much heap a p2p or group run is expected to
// allocate with the collector off (measured with bench_alloc_mb, connecting
// included: ~8.5 KiB per p2p message, ~2.4 KiB per group delivery), at most
// half the memory limit; 0 for the other scenarios, which allocate little.
func prefaultBytes(cfg *Config, limit int64) int64 {
	if cfg.Scenario != "p2p" && cfg.Scenario != "group" && cfg.Scenario != "chatroom" {
		return 0
	}
	if cfg.FindCapacity {
		return limit / 2
	}
	fanout := 1.0
	if cfg.Scenario == "group" || cfg.Scenario == "chatroom" {
		fanout = float64(cfg.Members - 1)
	}
	msgs := cfg.Rate * (max(cfg.WarmUp, 0) + cfg.Duration).Seconds()
	return min(limit/2, int64(msgs*(6<<10+2.5*(1<<10)*fanout))+256<<20)
}

// prefault touches n bytes of fresh heap and frees them again. With the
// collector off every allocation takes memory this process never used,
// and on a VM whose memory the host backs lazily (Firecracker, as this
// project's CI machine) first touching a page cost up to 12 µs: ~100 MB/s
// of new heap made the load generator itself 0.2–0.3 cores busier as a run
// went on, and its late sends showed up as the server's p99. Freed, the
// pages stay with the process (no scavenging below the memory limit), and
// the page allocator hands out the lowest free addresses first: these.
func prefault(n int64) {
	b := make([]byte, n)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	b = nil
	runtime.GC()
}
