// Package server is the imwasm server: WebSocket sessions speaking the
// protobuf wire protocol, fan-out through a Bus, durable state in a Store,
// and the HTTP admin API.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/internal/tasks"
	"github.com/imwasm/imwasm/internal/workpool"
	"github.com/imwasm/imwasm/proto/contract"
	"github.com/imwasm/imwasm/server/bus"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/files/s3files"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/postgres"
	"github.com/imwasm/imwasm/server/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DBFile is the SQLite database's name inside the data folder.
const DBFile = "imwasm.db"

// Server is one imwasm node.
type Server struct {
	cfg         Config
	log         *slog.Logger
	store       store.Store
	files       files.FileStore
	hub         *hub
	bus         bus.Bus
	cluster     *cluster // what this node knows of the others
	groups      *groupCache
	rooms       *roomIndex           // this node's sessions by chat room
	ultra       *roomIndex           // this node's sessions by ultra group (ultraKey)
	ultraGroups *ultraCache          // ultra groups whole, for every send
	ultraUsers  [64]sync.Mutex       // serializes each user's entries in ultra (ultraUserLock)
	blocks      *blockCache          // users' blacklists, for every private send
	presence    *presence            // online status and who is told of it
	reg         *prometheus.Registry // this server's own: tests run several in one process
	metrics     serverMetrics
	mux         *http.ServeMux
	uids        *store.UIDGen // ids of messages that are not stored (status messages)

	settings   atomic.Pointer[Settings]
	settingsMu sync.Mutex // serializes PUT /v1/settings
	typing     *typingLimiter
	limits     *userLimits  // per-user rates of sends and other writes
	receipts   *notifier    // coalesces receipt updates to senders
	pending    pendingHints // users here with no delivery receipt pending
	quota      *uploadQuota // what each uploader keeps and is uploading
	// syncPageBytes bounds a page of a paged Sync answer (tests make it
	// small to see many pages).
	syncPageBytes int
	hooks         *http.Client    // calls the app's backend (webhooks.go)
	hooksWake     chan struct{}   // an event may be in the outbox: the webhook loop looks now
	beforeSends   beforeSendQueue // messages waiting for the before-send webhook (webhooks.go)
	userEvents    atomic.Uint64   // user events enqueued by this node (their ids: enqueueUserEvent)
	vapid         vapidKeys       // signs Web Push (push.go)
	left          leftTimes       // when users went offline, lately (push.go)
	handlers      *workpool.Pool  // request handlers (see session.run)
	handler       http.Handler    // what Handler returns

	// ctx bounds requests: cancelled by Close. Sessions share it rather
	// than each holding a context of its own (whose Done channel and
	// children map would stay with every idle connection).
	ctx    context.Context
	cancel context.CancelFunc
	// tasks are the goroutines and timers the server starts (HTTP
	// requests, sessions, background loops): Close waits for them before
	// it closes the store.
	tasks     tasks.Group
	closeOnce sync.Once
	closeErr  error
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
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fs, err := openFiles(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := newServer(cfg, db, fs)
	ready := make(chan struct{})
	b, err := openBus(ctx, cfg, busNode{s: s, ready: ready})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("start the bus: %w", err)
	}
	s.bus = b
	close(ready)
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

// openStore opens the store cfg names.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if strings.HasPrefix(cfg.Store, "postgres://") || strings.HasPrefix(cfg.Store, "postgresql://") {
		return postgres.Open(ctx, cfg.Store, postgres.Options{Logger: cfg.Logger})
	}
	if cfg.Store != "" && cfg.Store != "sqlite" {
		return nil, fmt.Errorf("store %q: want sqlite or a postgres:// URL", cfg.Store)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, DBFile), sqlite.Options{FullSync: cfg.FullSync, Logger: cfg.Logger})
}

// openFiles opens the file store cfg names.
func openFiles(ctx context.Context, cfg Config) (files.FileStore, error) {
	switch {
	case cfg.Files == "" || cfg.Files == "disk":
		return files.NewDisk(filepath.Join(cfg.DataDir, "files"))
	case strings.HasPrefix(cfg.Files, "s3://"):
		return s3files.Open(ctx, cfg.Files)
	}
	return nil, fmt.Errorf("files %q: want disk or an s3:// URL", cfg.Files)
}

// newServer wires a server around st with the in-process bus.
func newServer(cfg Config, st store.Store, fs files.FileStore) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, store: st, files: fs, hub: newHub(), reg: prometheus.NewRegistry()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Node 0xFFFF is kept for ids the store does not assign, so they never
	// collide with a stored message's.
	s.uids = store.NewUIDGen(0xFFFF)
	s.typing = newTypingLimiter(typingInterval)
	s.hooks = newWebhookClient()
	s.hooksWake = make(chan struct{}, 1)
	var err error
	if s.vapid, err = deriveVAPID(cfg.AppSecret); err != nil {
		panic(err) // HKDF-SHA256 fails only past 8,160 bytes of output, and a valid scalar comes within 16 tries but for a 2^-512 chance
	}
	s.limits = newUserLimits(bucketSpec{cfg.SendRate, cfg.SendBurst}, bucketSpec{cfg.WriteRate, cfg.WriteBurst}, func(u string) int { return s.cluster.nodesOf(u) })
	s.handlers = workpool.New(10*time.Second, s.ctx.Done())
	s.settings.Store(settingsFrom(cfg)) // the store's are loaded in Serve (storeSettings)
	s.bus = bus.NewLocal(busNode{s: s})
	s.cluster = newCluster(s)
	s.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "imwasm_cluster_nodes", Help: "Other nodes of the cluster this node hears from."},
			func() float64 { return float64(s.ClusterNodes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "imwasm_bus_up", Help: "1 while the bus between nodes is connected (always, for one node)."},
			func() float64 {
				if s.bus.Err() != nil {
					return 0
				}
				return 1
			}))
	s.groups = &groupCache{store: st, groups: map[string]*groupInfo{}}
	s.rooms = newRoomIndex(s.tasks.Go, s.ctx.Done(), cfg.ChatroomBatch, false)
	s.ultra = newRoomIndex(s.tasks.Go, s.ctx.Done(), cfg.ChatroomBatch, true)
	s.ultraGroups = newUltraCache(st.UltraGroup)
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "imwasm_chatroom_sessions", Help: "Sessions of this node in chat rooms (one per room joined)."},
		func() float64 { _, n := s.rooms.count(); return float64(n) }))
	s.blocks = &blockCache{store: st, lists: map[string]map[string]int64{}}
	s.presence = newPresence(s)
	s.quota = newUploadQuota(s.reg)
	s.syncPageBytes = contract.PageBytes
	s.receipts = newNotifier(cfg.ReceiptInterval, &s.tasks, func(convID, uid string) { s.flushReceipts(s.ctx, convID, uid) })
	s.metrics = newServerMetrics(s.reg)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /v1/ws", s.handleWS)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	scrape := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		// A collector that fails leaves out its metrics, not the others.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	})
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store") // a cached scrape would be a stale one
		scrape.ServeHTTP(w, r)
	})
	s.routeAPI()
	s.routeCompatRongCloud()
	s.routeCompatNIM()
	s.routeCompatEasemob()
	s.handler = s.cors(s.tracked(s.mux))
	return s
}

// pinger is a store that can say whether it is reachable (one on a
// database server; SQLite, in this process, always is).
type pinger interface {
	Ping(ctx context.Context) error
}

// healthz answers ok, or 503 and which dependency is down, a line each:
// "store unavailable" while the store cannot be reached (a load balancer
// then sends clients to another node), "files unavailable" for a file
// store on another server (S3), "bus unavailable" while NATS cannot be
// reached (the node serves its own users, who miss live traffic from
// other nodes until it is back).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	var down []string
	if p, ok := s.store.(pinger); ok {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := p.Ping(ctx); err != nil {
			s.log.Warn("health check: the store is unavailable", "err", err)
			down = append(down, "store unavailable")
		}
	}
	if p, ok := s.files.(pinger); ok {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := p.Ping(ctx); err != nil {
			s.log.Warn("health check: the file store is unavailable", "err", err)
			down = append(down, "files unavailable")
		}
	}
	if err := s.bus.Err(); err != nil {
		s.log.Warn("health check: the bus is unavailable", "err", err)
		down = append(down, "bus unavailable")
	}
	if len(down) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(strings.Join(down, "\n") + "\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// Handler serves the WebSocket endpoint, the HTTP API, /healthz and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// tracked runs each request as one of the server's tasks, so that Close
// waits for it: http.Server.Shutdown does not wait for a hijacked
// connection's handler (a WebSocket's authentication), nor for a request
// it gave up on.
func (s *Server) tracked(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.tasks.Add() {
			http.Error(w, "server closing", http.StatusServiceUnavailable)
			return
		}
		defer s.tasks.Done()
		if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody && !(r.Method == http.MethodPost && r.URL.Path == "/v1/files") {
			// A body that never comes (sent a byte at a time, or not at
			// all: net/http reads an unread one before answering) holds
			// the connection no longer than this. Only while the body is
			// read: past it, the deadline would cancel a long handler's
			// context (net/http's read behind it). Uploads move theirs
			// with their progress.
			rc := http.NewResponseController(w)
			rc.SetReadDeadline(time.Now().Add(s.cfg.UploadIdle))
			r.Body = &bodyDeadline{ReadCloser: r.Body, clear: func() { rc.SetReadDeadline(time.Time{}) }}
		}
		h.ServeHTTP(w, r)
	})
}

// bodyDeadline clears the read deadline tracked set once the body is read
// to its end, or closed.
type bodyDeadline struct {
	io.ReadCloser
	clear func()
	done  bool
}

func (b *bodyDeadline) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.clear()
	}
	return n, err
}

func (b *bodyDeadline) Close() error {
	if !b.done {
		b.done = true
		b.clear()
	}
	return b.ReadCloser.Close()
}

// Serve accepts connections on ln until ctx is cancelled (or Close is
// called), then shuts down gracefully: no new connections, sessions told to
// reconnect. Its background loops end with it; Close waits for them.
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
	ctx, stop := context.WithCancel(ctx)
	defer stop() // the loops below end when Serve returns, whatever the reason
	errc := make(chan error, 1)
	if !s.tasks.Go(func() { errc <- hs.Serve(ln) }) {
		ln.Close()
		return errors.New("serve: the server is closed")
	}
	// Memberships this node kept before a crash are of sessions gone.
	s.leaveNode(ctx, s.bus.ID())
	s.tasks.Go(func() { s.sweepIdle(ctx) })
	s.tasks.Go(func() { s.retentionLoop(ctx) })
	s.tasks.Go(func() { s.chatroomLoop(ctx) })
	s.tasks.Go(func() { s.resumeReceipts(ctx) })
	s.tasks.Go(func() { s.presence.run(ctx) })
	s.tasks.Go(func() { s.webhookLoop(ctx) })
	s.tasks.Go(func() { s.cluster.beatLoop(ctx) })
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	case <-s.ctx.Done(): // Close
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx) // hijacked WebSockets are not tracked by Shutdown
	if err != nil {
		// Requests still running past the timeout lose their connections,
		// so that they end (and Close, which waits for them, returns).
		hs.Close()
	}
	for _, ss := range s.hub.all() {
		ss.closeWith(1012, "server restarting") // 1012: service restart
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close stops everything the server started and then closes the store:
// it cancels the requests' context, stops the pending timers, closes the
// sessions left (a Serve that is still running shuts down too), and waits
// for every goroutine the server started, so that none uses the store
// after it. Call it after Serve returns; calling it again returns the
// first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.tasks.Stop() // from here no new request, session, loop or timer starts
		for _, ss := range s.hub.all() {
			ss.close(errors.New("server closed")) // Serve closes them; these came after, or Serve never ran
		}
		s.tasks.Wait()
		s.handlers.Wait() // the idle ones left when ctx ended; the busy ones served sessions that are gone
		// Its sessions are out of their chat rooms: so are its memberships
		// (the rooms' other nodes hear of entries that went with them).
		lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.leaveNode(lctx, s.bus.ID())
		if !s.cluster.alone.Load() {
			s.presence.drain(lctx) // subscribers elsewhere hear its users went offline
		}
		cancel()
		s.cluster.leave() // its sessions are closed: the others drop it now
		s.bus.Close()     // what it hands over from here finds no session and starts no task
		s.closeErr = s.store.Close()
	})
	return s.closeErr
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
				s.tasks.Go(func() { ss.closeWith(closeIdle, "no heartbeat") })
			}
			s.limits.forgetFull(s.cfg.Now())
		}
	}
}
