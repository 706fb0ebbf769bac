// Package server is the imwasm server: WebSocket sessions speaking the
// protobuf wire protocol, fan-out through a Bus, durable state in a Store,
// and the HTTP admin API.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	runtimemetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/internal/workpool"
	"github.com/imwasm/imwasm/proto/contract"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/metrics"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/sqlite"
)

// DBFile is the SQLite database's name inside the data folder.
const DBFile = "imwasm.db"

// Server is one imwasm node.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   store.Store
	files   files.FileStore
	hub     *hub
	bus     Bus
	groups  *groupCache
	reg     *metrics.Registry
	metrics serverMetrics
	mux     *http.ServeMux
	uids    *store.UIDGen // ids of messages that are not stored (status messages)

	settings   atomic.Pointer[Settings]
	settingsMu sync.Mutex // serializes PUT /v1/settings
	typing     *typingLimiter
	limits     *userLimits    // per-user rates of sends and other writes
	receipts   *notifier      // coalesces receipt updates to senders
	quota      *uploadQuota   // what each uploader keeps and is uploading
	handlers   *workpool.Pool // request handlers (see session.run)

	// ctx bounds requests: cancelled by Close. Sessions share it rather
	// than each holding a context of its own (whose Done channel and
	// children map would stay with every idle connection).
	ctx    context.Context
	cancel context.CancelFunc
}

type serverMetrics struct {
	connections, authFailures, framesIn, framesOut, badFrames    *metrics.Counter
	messages, duplicates, rateLimited, slowConsumers, acks, idle *metrics.Counter
	panics, requestsLimited                                      *metrics.Counter
	sessions                                                     *metrics.Gauge
	commitSeconds                                                *metrics.Histogram
}

// New opens the store in cfg.DataDir and returns a server ready to Serve.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg.Defaults()
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, errors.New("app key and app secret are required")
	}
	if cfg.MaxContentBytes > contract.MaxContentBytes {
		// A stored message must fit a client's 1 MiB frame.
		return nil, fmt.Errorf("max content bytes %d is over the most, %d", cfg.MaxContentBytes, contract.MaxContentBytes)
	}
	if cfg.RecallWindow > MaxDuration {
		return nil, fmt.Errorf("recall window %v is over 100 years", cfg.RecallWindow)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, DBFile), sqlite.Options{FullSync: cfg.FullSync, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	fs, err := files.NewDisk(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		db.Close()
		return nil, err
	}
	s := newServer(cfg, db, fs)
	if cfg.NewBus != nil {
		if s.bus, err = cfg.NewBus(s.hub.deliver); err != nil {
			s.Close()
			return nil, fmt.Errorf("start the bus: %w", err)
		}
	}
	if err := s.loadSettings(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.quota.load(ctx, fs); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// newServer wires a server around st with the in-process bus.
func newServer(cfg Config, st store.Store, fs files.FileStore) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, store: st, files: fs, hub: newHub(), reg: metrics.NewRegistry()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Node 0xFFFF is kept for ids the store does not assign, so they never
	// collide with a stored message's.
	s.uids = store.NewUIDGen(0xFFFF)
	s.typing = newTypingLimiter(typingInterval)
	s.limits = newUserLimits(bucketSpec{cfg.SendRate, cfg.SendBurst}, bucketSpec{cfg.WriteRate, cfg.WriteBurst})
	s.handlers = workpool.New(10*time.Second, s.ctx.Done())
	s.settings.Store(settingsFrom(cfg))
	s.bus = localBus{s.hub.deliver}
	s.groups = &groupCache{store: st, groups: map[string]*groupInfo{}}
	s.quota = newUploadQuota(s.reg)
	s.receipts = newNotifier(cfg.ReceiptInterval, func(convID, uid string) { s.flushReceipts(s.ctx, convID, uid) })
	r := s.reg
	latency := []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1}
	s.metrics = serverMetrics{
		connections:     r.Counter("imwasm_ws_connections_total", "WebSocket connections accepted."),
		authFailures:    r.Counter("imwasm_auth_failures_total", "Connections refused at authentication."),
		framesIn:        r.Counter("imwasm_frames_in_total", "Frames read from clients."),
		framesOut:       r.Counter("imwasm_frames_out_total", "Frames written to clients."),
		badFrames:       r.Counter("imwasm_bad_frames_total", "Frames that could not be decoded."),
		messages:        r.Counter("imwasm_messages_total", "Messages stored."),
		duplicates:      r.Counter("imwasm_duplicate_sends_total", "Resends answered with the stored message."),
		rateLimited:     r.Counter("imwasm_rate_limited_total", "Sends refused by the per-user rate limit."),
		requestsLimited: r.Counter("imwasm_requests_limited_total", "Writes other than sends refused by the per-user rate limit."),
		slowConsumers:   r.Counter("imwasm_slow_consumers_total", "Sessions closed because their queue overflowed."),
		acks:            r.Counter("imwasm_device_acks_total", "Conversation cursors acknowledged by devices."),
		idle:            r.Counter("imwasm_idle_closed_total", "Sessions closed for missing heartbeats."),
		panics:          r.Counter("imwasm_handler_panics_total", "Requests whose handler panicked (answered with an error)."),
		sessions:        r.Gauge("imwasm_sessions", "Authenticated sessions on this node."),
		commitSeconds:   r.Histogram("imwasm_store_commit_seconds", "Time from a send's arrival to its commit.", latency),
	}
	// The Go runtime's view of memory, to tell heap from goroutine stacks
	// when memory per connection grows.
	for _, g := range []struct{ name, help, key string }{
		{"imwasm_go_heap_bytes", "Bytes in heap objects, live or not yet swept.", "/memory/classes/heap/objects:bytes"},
		{"imwasm_go_stack_bytes", "Bytes of goroutine stacks.", "/memory/classes/heap/stacks:bytes"},
		{"imwasm_go_goroutines", "Goroutines.", "/sched/goroutines:goroutines"},
		{"imwasm_go_mapped_bytes", "Bytes the runtime has mapped, released or not.", "/memory/classes/total:bytes"},
	} {
		r.GaugeFunc(g.name, g.help, func() float64 {
			sample := []runtimemetrics.Sample{{Name: g.key}}
			runtimemetrics.Read(sample)
			if sample[0].Value.Kind() != runtimemetrics.KindUint64 {
				return 0
			}
			return float64(sample[0].Value.Uint64())
		})
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /v1/ws", s.handleWS)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	})
	s.mux.Handle("GET /metrics", s.reg.Handler())
	s.routeAPI()
	return s
}

// Handler serves the WebSocket endpoint, the HTTP API, /healthz and /metrics.
func (s *Server) Handler() http.Handler { return s.cors(s.mux) }

// Serve accepts connections on ln until ctx is cancelled, then shuts down
// gracefully: no new connections, sessions told to reconnect, the store
// committing what it has.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Without it an idle kept-alive connection is held forever, by
		// anyone, without a token. Downloads set their own write
		// deadlines (see handleDownload); a WriteTimeout would cut long
		// ones and WebSockets.
		IdleTimeout: s.cfg.IdleTimeout,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go s.sweepIdle(ctx)
	go s.retentionLoop(ctx)
	go s.resumeReceipts(ctx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx) // hijacked WebSockets are not tracked by Shutdown
	for _, ss := range s.hub.all() {
		ss.closeWith(1012, "server restarting") // 1012: service restart
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the store; call it after Serve returns.
func (s *Server) Close() error {
	s.cancel()
	return s.store.Close()
}

// sweepIdle closes sessions whose client stopped sending heartbeats.
func (s *Server) sweepIdle(ctx context.Context) {
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, ss := range s.hub.idle(now.Add(-3 * s.cfg.Heartbeat)) {
				if !ss.idleClosed.CompareAndSwap(false, true) {
					continue // closing since an earlier sweep
				}
				s.metrics.idle.Inc()
				// Each close may wait up to a second for its close frame:
				// one peer that does not read must not hold up the rest.
				go ss.closeWith(closeIdle, "no heartbeat")
			}
			s.limits.forgetFull(s.cfg.Now())
		}
	}
}
