package client

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/imwasm/imwasm/internal/tasks"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Config configures an Engine. URL, AppKey, DeviceID, Store and Dialer are
// required.
type Config struct {
	URL string // ws://host:port/v1/ws
	// Fallbacks are more servers of the same cluster, tried in order when
	// URL (and each before) cannot be reached; every reconnect starts
	// again from URL.
	Fallbacks []string
	AppKey    string
	DeviceID  string
	Store     Store
	Dialer    Dialer
	Logger    Logger
	// OnEvents receives events in order, one call per batch, from one
	// goroutine at a time. It must not block for long.
	OnEvents func([]Event)

	SendTimeout time.Duration // default 10s
	// SendRate and SendBurst are the SDK-side token bucket. 0 (the
	// default) follows what the server announces when it connects (its
	// per-user limit; 5/s with bursts of 10 before that); a positive rate
	// is the app's own; a negative one turns the bucket off.
	SendRate  float64
	SendBurst int
	// MaxContent is the content limit until the server announces its own
	// (default 128 KiB).
	MaxContent  int
	BackoffMin  time.Duration // reconnect backoff, default 500ms
	BackoffMax  time.Duration // default 30s
	PullPage    int           // messages per pull, default 500 (the server's most)
	AckInterval time.Duration // device acks are coalesced over this long, default 1s
	GapWait     time.Duration // a sequence gap waits this long before it is pulled, default 300ms
	// TypingInterval is how long a typing status received lasts, and the
	// least time between two this device sends for one conversation
	// (default TypingInterval; tests shorten it).
	TypingInterval time.Duration
	// DeliveryReceipts asks for delivery receipts on private messages this
	// device sends (MESSAGE_DELIVERED, sentStatus RECEIVED).
	DeliveryReceipts bool
	// Now is the engine's clock (tests move it): its rules (the typing
	// interval, the receipt request cache's 24 hours, the send bucket) and
	// the times it records (client ids, received times). Timers run on the
	// real clock, for the durations above. Default time.Now.
	Now func() time.Time
}

// Connection statuses reported by EventStatus (RongIMLib's events).
const (
	StatusConnecting = iota + 1
	StatusConnected
	StatusDisconnected // stopped: Disconnect, kicked, token refused
	StatusSuspended    // lost, reconnecting
)

// EventKind says what an Event carries.
type EventKind int

const (
	EventMessages             EventKind = iota + 1 // new messages, each once, in sequence order per conversation
	EventStatus                                    // connection status changed
	EventSyncFinished                              // offline messages are all in (PULL_OFFLINE_MESSAGE_FINISHED)
	EventTyping                                    // who is typing changed (TYPING_STATUS)
	EventExpansion                                 // a message's expansion changed (EXPANSION)
	EventConversations                             // conversations got messages or their unread count changed (CONVERSATION)
	EventReadReceipt                               // the peer read up to a message (READ_RECEIPT_RECEIVED)
	EventSyncRead                                  // this user read on another device or session (SYNC_READ_STATUS)
	EventReceiptRequest                            // a sender asks for a read receipt (MESSAGE_RECEIPT_REQUEST)
	EventReceiptResponse                           // a member answered this user's messages (MESSAGE_RECEIPT_RESPONSE)
	EventReceiptResponseV5                         // read counts of this user's messages changed (MESSAGE_RECEIPT_RESPONSE_V5)
	EventDelivered                                 // a device of the peer stored this user's messages (MESSAGE_DELIVERED)
	EventTags                                      // another session changed the user's tags (TAG)
	EventConversationTags                          // another session changed which conversations are in the tags (CONVERSATION_TAG)
	EventModified                                  // messages held here were edited by their senders (MESSAGE_MODIFIED)
	EventModifiedSynced                            // the edits made while offline are in (MESSAGE_MODIFIED_SYNC_COMPLETED)
	EventGroupOperation                            // created, joined, kicked, quit, dismissed, managers, owner (GROUP_OPERATION)
	EventGroupInfo                                 // a group's profile or permissions changed (GROUP_INFO_CHANGED)
	EventGroupMember                               // a member's nickname or extra changed (GROUP_MEMBER_INFO_CHANGED)
	EventGroupMute                                 // members or the whole group muted or unmuted
	EventGroupApplication                          // a join request or invitation changed (GROUP_APPLICATION_EVENT)
	EventGroupRemark                               // this user's remark of a group, from another device (GROUP_REMARK_CHANGED_SYNC)
	EventGroupFollows                              // this user's follows in a group, from another device (GROUP_FOLLOWS_CHANGED_SYNC)
	EventFriend                                    // friends added or removed, a request changed, the list cleared, a remark synced (FRIEND_*)
	EventOwnProfile                                // this user's profile changed (OWN_USER_PROFILE_CHANGED)
	EventSubscribedStatus                          // users subscribed to went online or offline, or changed their profile (online only: SUBSCRIBED_USER_STATUS_CHANGE)
	EventSubscriptionRelation                      // this user subscribed or unsubscribed on another device (SUBSCRIBED_RELATION_CHANGE)
	EventChatroom                                  // a chat room's entries, mutes or end, or a rejoin after a reconnect (CHATROOM)
	EventUltraChannel                              // an ultra group's channel was deleted, changed type, or this user was taken off its list (ULTRA_GROUP_CHANNEL_*)
	EventTokenWillExpire                           // a fifth of the token's life is left (Easemob's onTokenWillExpire)
	EventTokenExpired                              // the token expired: a reconnect needs a newer one (RenewToken)
)

// Event is one thing the application is told about.
type Event struct {
	Kind          EventKind
	Messages      []*Message
	Status        int
	Code          int32 // for DISCONNECT/SUSPEND: why
	Typing        []TypingStatus
	Expansion     *ExpansionChange
	Conversations []ConversationInfo
	Receipt       *ReceiptEvent
	Group         *GroupEvent
	People        *PeopleEvent
	Chatroom      *ChatroomEvent
	UltraChannel  []*pb.UltraChannelEvent
	Token         *TokenInfo
}

// Engine is one device's connection to the server.
type Engine struct {
	cfg Config
	log Logger

	startMu      sync.Mutex // serializes Connect
	mu           sync.Mutex
	user         string
	token        string
	running      bool
	conn         *liveConn
	stop         context.CancelFunc
	loopDone     chan struct{}
	status       int
	statusCode   int32         // why, for the last DISCONNECT or SUSPEND
	statusCh     chan struct{} // closed and replaced when status changes
	retry        chan struct{} // cuts a reconnect's wait short (Connect while suspended)
	maxUpload    int64         // the server's upload limit, from AuthOK
	recallWindow time.Duration // how long a message may be recalled or edited (0: no limit), from AuthOK
	clockOffset  int64         // the server's clock less this device's, ms, measured at the last AuthOK
	serverURL    string        // the server of the last connection (Config.URL or a fallback)
	rooms        chatrooms     // the chat rooms joined (its own lock)
	background   background    // whether the app put this session in the background (its own lock)
	maxContent   int           // the server's content limit, from AuthOK
	tok          tokenState    // the token's times and what the app was told (token.go)

	seqMu sync.Mutex // guards convs and pending
	convs map[string]*ConversationState
	// pending holds messages that arrived ahead of a gap.
	pending map[string]map[uint64]*inMsg

	acks     map[string]*pb.AckItem // guarded by seqMu: cursors to acknowledge
	ackArmed bool                   // guarded by seqMu: a flush is scheduled
	gapArmed map[string]bool        // guarded by seqMu: conversations with a gap pull scheduled
	gapOnce  sync.Once
	gapCh    chan Conversation

	typing typingState
	tags   tagState
	resync chan struct{} // see resyncSoon

	inbox  chan *inItem
	batch  batchMaps // processLoop's alone: emptied and reused by each batch
	events chan []Event
	bucket *rate.Limiter // the send limit (see Config.SendRate)
	reqID  atomic.Uint64

	// Lifetime (see Close).
	closing   atomic.Bool   // Close began: calls answer errClosed
	closeOnce sync.Once     // Close's work, done once; a second call waits for it
	timers    tasks.Group   // the ack, gap and typing timers
	quit      chan struct{} // closed once nothing feeds the loops below
	processed chan struct{} // closed when processLoop returns
	latest    latestCache   // the conversation list's latest messages (latest.go)
	deleted   recentUIDs    // server ids deleted lately, not stored if they come after (deleted.go)
	responded recentUIDs    // server ids whose receipt request was answered lately, not asked again
	cleared   recentClears  // conversations cleared lately, likewise
	ownLog    ownLogEntries // log entries of this device's own changes, for the others (userlog.go)
	delivered chan struct{} // closed when eventLoop returns
}

// New returns an engine; it does nothing until Connect.
func New(cfg Config) (*Engine, error) {
	if cfg.URL == "" || cfg.AppKey == "" || cfg.DeviceID == "" || cfg.Store == nil || cfg.Dialer == nil {
		return nil, codes.New(codes.InvalidParameter, "URL, AppKey, DeviceID, Store and Dialer are required")
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.SendBurst <= 0 {
		cfg.SendBurst = 10
	}
	if cfg.MaxContent <= 0 {
		cfg.MaxContent = contract.DefaultContentBytes
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = 500 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 30 * time.Second
	}
	if cfg.PullPage <= 0 {
		cfg.PullPage = 500
	}
	if cfg.AckInterval <= 0 {
		cfg.AckInterval = time.Second
	}
	if cfg.GapWait <= 0 {
		cfg.GapWait = 300 * time.Millisecond
	}
	if cfg.TypingInterval <= 0 {
		cfg.TypingInterval = TypingInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = nopLogger{}
	}
	e := &Engine{
		cfg:      cfg,
		log:      cfg.Logger,
		convs:    map[string]*ConversationState{},
		pending:  map[string]map[uint64]*inMsg{},
		inbox:    make(chan *inItem, 1024),
		events:   make(chan []Event, 256),
		quit:     make(chan struct{}),
		statusCh: make(chan struct{}),
		retry:    make(chan struct{}, 1),
	}
	e.tags.refresh = make(chan struct{}, 1)
	e.resync = make(chan struct{}, 1)
	switch {
	case cfg.SendRate < 0:
		e.bucket = contract.NewLimiter(0, 0)
	case cfg.SendRate == 0: // until the server says
		e.bucket = contract.NewLimiter(5, cfg.SendBurst)
	default:
		e.bucket = contract.NewLimiter(cfg.SendRate, cfg.SendBurst)
	}
	e.maxContent = cfg.MaxContent
	e.processed = make(chan struct{})
	e.delivered = make(chan struct{})
	go e.processLoop()
	go e.eventLoop()
	return e, nil
}

// Close disconnects and stops everything the engine started (its loops,
// connection and timers), waiting for them; the events emitted until then
// are delivered first. Every call after it answers ClientNotInit (33001):
// the engine cannot be used again, a new one must be made, as before init
// in the browser SDK (NetChannelInvalid would have the app wait for a
// reconnect that never comes). Calling it again does nothing. It must not
// be called from OnEvents, which it waits for. The Store stays open: it
// is the caller's.
func (e *Engine) Close() {
	e.closeOnce.Do(func() {
		e.closing.Store(true) // before Disconnect: a Connect under way sees it (see Connect)
		e.timers.Stop()
		e.Disconnect()
		e.timers.Wait() // a timer that fired may still emit or write
		close(e.quit)
		// The loops receive without a select (see processLoop), so each is
		// told to stop by an item queued behind what it has still to do:
		// the processor first, so that everything it emits is delivered.
		e.inbox <- &inItem{stop: true}
		<-e.processed
		e.events <- nil
		<-e.delivered
	})
}

// errClosed is the answer of every call after Close.
func errClosed() error { return codes.New(codes.ClientNotInit, "engine closed") }

// closed is errClosed once Close began, else nil; every exported method
// that answers an error checks it first.
func (e *Engine) closed() error {
	if e.closing.Load() {
		return errClosed()
	}
	return nil
}

// UserID is the connected user, "" before the first Connect succeeds.
func (e *Engine) UserID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.user
}

// ServerTime is the server's clock now, in ms (getServerTime): this
// device's clock corrected by the difference the last authentication
// measured (its own clock before any).
func (e *Engine) ServerTime() int64 {
	e.mu.Lock()
	off := e.clockOffset
	e.mu.Unlock()
	return e.cfg.Now().UnixMilli() + off
}

// ServerURL is the WebSocket URL of the server the last connection was
// made to ("" before one): Config.URL, or the fallback it moved to.
func (e *Engine) ServerURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.serverURL
}

// MaxUploadBytes is the server's upload limit as of the last connection
// (0 before one).
func (e *Engine) MaxUploadBytes() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxUpload
}

// RecallWindow is how long after sending a message may be recalled or
// edited (0: no limit, or no connection yet), as of the last connection.
func (e *Engine) RecallWindow() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.recallWindow
}

// Status is the current connection status.
func (e *Engine) Status() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

// Connect authenticates with token and keeps the connection up (reconnecting
// with backoff) until Disconnect or a fatal refusal. It returns the user id
// once the first authentication succeeds. Calling it again while connected
// with a new token renews the token for later reconnects.
func (e *Engine) Connect(ctx context.Context, token string) (string, error) {
	// e.mu is never held across store I/O: in the browser the store waits
	// for IndexedDB callbacks, and a synchronous JS call that wanted e.mu
	// (getConnectionStatus) would hold up the event loop they need.
	if err := e.closed(); err != nil {
		return "", err
	}
	e.startMu.Lock()
	defer e.startMu.Unlock()
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return e.connectRunning(ctx, token)
	}
	e.mu.Unlock()
	// The socket opens while the state loads: both are on a cold start's
	// path (in a browser, an IndexedDB read and a TCP + WebSocket handshake).
	early := e.startDial(ctx)
	if err := e.loadState(ctx); err != nil {
		early.discard()
		return "", err
	}
	e.mu.Lock()
	if e.closing.Load() {
		// Close set it before its Disconnect takes e.mu: either this sees
		// it, or that Disconnect sees running and stops the loop.
		e.mu.Unlock()
		early.discard()
		return "", errClosed()
	}
	e.token = token
	e.tok = tokenState{} // told again of a token connected with anew
	e.running = true
	lctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	e.loopDone = make(chan struct{})
	first := make(chan error, 1)
	e.mu.Unlock()

	go e.connLoop(lctx, first, early)
	select {
	case err := <-first:
		if err != nil {
			return "", err
		}
		return e.UserID(), nil
	case <-ctx.Done():
		e.Disconnect()
		return "", codes.New(codes.ConnectionTimeout, "connect timed out")
	}
}

// Disconnect closes the connection and stops reconnecting.
func (e *Engine) Disconnect() {
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		return
	}
	e.running = false
	e.stop()
	done := e.loopDone
	e.mu.Unlock()
	<-done
	// Rooms are joined again after a reconnect, not after a new connect.
	e.rooms.mu.Lock()
	e.rooms.rooms = nil
	e.rooms.mu.Unlock()
}

// loadState reads the conversation cursors once, before the first connect.
func (e *Engine) loadState(ctx context.Context) error {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	if len(e.convs) > 0 {
		return nil
	}
	// Both reads at once: in a browser each is an IndexedDB transaction,
	// and they are on the cold start's path.
	type pendingResult struct {
		msgs []*Message
		err  error
	}
	pendingCh := make(chan pendingResult, 1)
	go func() {
		msgs, err := e.cfg.Store.Pending(ctx)
		pendingCh <- pendingResult{msgs, err}
	}()
	states, err := e.cfg.Store.Conversations(ctx)
	pr := <-pendingCh
	if err != nil {
		return codes.Wrap(codes.Timeout, "load conversations", err)
	}
	for _, s := range states {
		e.convs[s.Key()] = s
	}
	// Sends a reload interrupted never got their answer here: FAILED, to
	// be resent by messageId (the server de-duplicates if one did land).
	pending, err := pr.msgs, pr.err
	if err != nil {
		return codes.Wrap(codes.Timeout, "load pending sends", err)
	}
	if len(pending) > 0 {
		for _, m := range pending {
			m.SentStatus = StatusFailed
		}
		if err := e.apply(ctx, &Batch{Messages: pending}); err != nil {
			return codes.Wrap(codes.Timeout, "fail pending sends", err)
		}
	}
	return nil
}

func (e *Engine) setStatus(status int, code int32) {
	e.mu.Lock()
	changed := e.status != status
	e.status = status
	if changed {
		e.statusCode = code
		close(e.statusCh)
		e.statusCh = make(chan struct{})
	}
	e.mu.Unlock()
	if changed {
		e.emit(Event{Kind: EventStatus, Status: status, Code: code})
	}
}

func (e *Engine) emit(evs ...Event) {
	if e.cfg.OnEvents == nil || len(evs) == 0 { // nil tells eventLoop to stop
		return
	}
	// A send that cannot block first: a select over two channels locks
	// both, and this runs for every batch (measured: the load generator's
	// 2,000 engines spent 4 % of their CPU in such locks).
	select {
	case e.events <- evs:
		return
	default:
	}
	select {
	case e.events <- evs:
	case <-e.quit: // closed: nobody listens
	}
}

// eventLoop calls OnEvents from one goroutine, preserving order, until
// Close queues nil behind the last events the processor emitted.
func (e *Engine) eventLoop() {
	defer close(e.delivered)
	for evs := range e.events {
		if evs == nil {
			return
		}
		e.deliver(evs)
	}
}

func (e *Engine) deliver(evs []Event) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Log(LevelError, "event listener panicked", "panic", r)
		}
	}()
	e.cfg.OnEvents(evs)
}

// connLoop dials, authenticates, runs the connection, and reconnects with
// exponential backoff and jitter until stopped or refused. The first
// attempt's result goes to connected (Connect waits for it).
func (e *Engine) connLoop(ctx context.Context, connected chan<- error, early *pendingDial) {
	defer close(e.loopDone)
	backoff := e.cfg.BackoffMin
	first := true
	defer func() {
		if first {
			// Stopped (Disconnect, Close) before the first result: Connect
			// must not wait for one that never comes.
			if e.closing.Load() {
				connected <- errClosed()
			} else {
				connected <- codes.New(codes.NetChannelInvalid, "disconnected while connecting")
			}
		}
	}()
	for {
		e.setStatus(StatusConnecting, 0)
		lc, err := e.dial(ctx, early)
		if err != nil && early != nil && ctx.Err() == nil && early.idle(e.cfg.Now()) > earlyStale {
			// The early socket waited long while the state loaded, maybe
			// past the server's deadline for an Auth: one fresh socket
			// before this attempt counts as failed.
			if c := codes.Of(err); c == codes.NetUnavailable || c == codes.ConnAckTimeout {
				lc, err = e.dial(ctx, nil)
			}
		}
		early = nil
		if err == nil {
			backoff = e.cfg.BackoffMin
			if first {
				connected <- nil
				first = false
			}
			err = lc.run(ctx)
		}
		code := codes.Of(err)
		fatal := code == codes.ConnTokenIncorrect || code == codes.ConnTokenExpired || code == codes.DisconnKick || code == codes.ConnUserBlocked
		if first && (fatal || ctx.Err() == nil && code != codes.Success) {
			// The first attempt's failure is Connect's answer.
			if code == codes.Timeout {
				code = codes.NetUnavailable
			}
			connected <- codes.Wrap(code, "connect", err)
			first = false
			e.mu.Lock()
			e.running = false
			e.mu.Unlock()
			e.setStatus(StatusDisconnected, code)
			return
		}
		if ctx.Err() != nil {
			e.setStatus(StatusDisconnected, codes.ActiveDisconnect)
			return
		}
		if fatal {
			e.mu.Lock()
			e.running = false
			e.mu.Unlock()
			e.setStatus(StatusDisconnected, code)
			return
		}
		select { // a Connect's retry that came while connected is spent
		case <-e.retry:
		default:
		}
		e.setStatus(StatusSuspended, codes.NetUnavailable)
		wait := backoff/2 + rand.N(backoff/2+1)
		e.log.Log(LevelInfo, "reconnecting", "in", wait.String(), "err", errString(err))
		select {
		case <-ctx.Done():
			e.setStatus(StatusDisconnected, codes.ActiveDisconnect)
			return
		case <-time.After(wait):
		case <-e.retry:
		}
		backoff = min(2*backoff, e.cfg.BackoffMax)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// pendingDial is a socket opening in the background (startDial), and the
// store's sync version read meanwhile.
type pendingDial struct {
	done   chan struct{} // closed when c, err and at are set
	c      Conn
	err    error
	at     time.Time // when the socket opened (the engine's clock)
	used   time.Time // when dial took it
	cancel context.CancelFunc
	// version is the sync version's read; dial takes it (nil then).
	version chan versionResult
}

type versionResult struct {
	v   uint64
	err error
}

// earlyStale is how long an early socket may wait before its failure is
// taken for the server's Auth deadline (5 s) passing rather than a refusal.
const earlyStale = 2 * time.Second

// idle is how long the socket waited between opening and being taken.
func (p *pendingDial) idle(now time.Time) time.Duration {
	if p.used.IsZero() || p.at.IsZero() {
		return 0
	}
	return p.used.Sub(p.at)
}

// startDial begins opening a socket, for the first dial to take, and
// reading the sync version beside the state's reads: in a browser each is
// an IndexedDB transaction on a cold start's path, and one after the other
// they took ~10-20 ms more (BENCHMARKS.md). What this connection's sync
// writes comes after; a version a closing connection (or another tab)
// writes meanwhile is at worst older than the store's, which the sync
// handles as it does after any reconnect (syncAll compares it with
// AuthOK's).
func (e *Engine) startDial(ctx context.Context) *pendingDial {
	dctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	p := &pendingDial{done: make(chan struct{}), cancel: cancel, version: e.readVersion(ctx)}
	go func() {
		defer close(p.done)
		p.c, p.err = e.cfg.Dialer.Dial(dctx, e.cfg.URL)
		p.at = e.cfg.Now()
	}()
	return p
}

// readVersion reads the sync version on a goroutine; its result comes on
// the channel returned, which the caller must receive from.
func (e *Engine) readVersion(ctx context.Context) chan versionResult {
	ch := make(chan versionResult, 1)
	go func() {
		v, err := e.syncVersion(ctx)
		ch <- versionResult{v, err}
	}()
	return ch
}

// take waits for the socket, or for ctx (the dial is then stopped).
func (p *pendingDial) take(ctx context.Context) (Conn, error) {
	select {
	case <-p.done:
		p.cancel()
		return p.c, p.err
	case <-ctx.Done():
		p.discard()
		return nil, ctx.Err()
	}
}

// discard stops the dial, waits for its goroutines and closes its socket.
func (p *pendingDial) discard() {
	p.cancel()
	<-p.done
	if p.c != nil {
		p.c.Close()
	}
	if p.version != nil {
		<-p.version
		p.version = nil
	}
}

const dialTimeout = 10 * time.Second

// dial connects and authenticates, on early's socket when there is one:
// to the first of the servers (Config.URL, then Config.Fallbacks) that
// answers. A server that cannot be reached, or that answers it cannot
// serve now, gives way to the next; any other refusal (a bad token, a
// blocked user) is the answer.
func (e *Engine) dial(ctx context.Context, early *pendingDial) (*liveConn, error) {
	// The sync version is read while the socket opens (nothing writes it
	// while there is no connection); the first connect's began with it.
	var versionCh chan versionResult
	if early != nil && early.version != nil {
		versionCh, early.version = early.version, nil
	} else {
		versionCh = e.readVersion(ctx)
	}
	var lastErr error
	var version uint64
	for i, url := range e.urls() {
		if i > 0 {
			early = nil
			if ctx.Err() != nil {
				break
			}
		}
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		lc, err := e.dialOne(dctx, url, early, func() (uint64, error) {
			if versionCh != nil {
				vr := <-versionCh // not left running: Disconnect and Close wait for this loop
				versionCh = nil
				if vr.err != nil {
					return 0, vr.err
				}
				version = vr.v
			}
			return version, nil
		})
		cancel()
		if err == nil || !serverUnavailable(err) {
			if versionCh != nil {
				<-versionCh
			}
			return lc, err
		}
		lastErr = err
		e.log.Log(LevelWarn, "server unavailable: trying the next", "url", url, "err", err.Error())
	}
	if versionCh != nil {
		<-versionCh
	}
	return nil, lastErr
}

// serverUnavailable: the server could not be reached, or answered that it
// cannot serve now (its store is down: 25102, or the connect's checks
// failed on it: Timeout); another one may.
func serverUnavailable(err error) bool {
	switch codes.Of(err) {
	case codes.NetUnavailable, codes.ConnAckTimeout, codes.MessageStorageUnavailable, codes.Timeout:
		return true
	}
	return false
}

// urls are the servers to try, in order.
func (e *Engine) urls() []string {
	return append([]string{e.cfg.URL}, e.cfg.Fallbacks...)
}

// dialOne connects and authenticates to one server.
func (e *Engine) dialOne(dctx context.Context, url string, early *pendingDial, syncVersion func() (uint64, error)) (*liveConn, error) {
	var c Conn
	var err error
	if early != nil {
		c, err = early.take(dctx)
		early.used = e.cfg.Now()
	} else {
		c, err = e.cfg.Dialer.Dial(dctx, url)
	}
	if err != nil {
		return nil, codes.Wrap(codes.NetUnavailable, "dial", err)
	}
	version, err := syncVersion()
	if err != nil {
		c.Close()
		return nil, err
	}
	e.mu.Lock()
	token := e.token
	e.mu.Unlock()
	e.background.mu.Lock()
	background := e.background.on
	e.background.mu.Unlock()
	auth := &pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{
		Token: token, AppKey: e.cfg.AppKey, DeviceId: e.cfg.DeviceID, SyncVersion: version, SdkVersion: "imwasm-go", Platform: "go",
		Background: background,
	}}}
	b, _ := auth.Marshal()
	if err := c.Write(dctx, b); err != nil {
		c.Close()
		return nil, codes.Wrap(codes.NetUnavailable, "write auth", err)
	}
	data, err := c.Read(dctx)
	if err != nil {
		c.Close()
		return nil, codes.Wrap(codes.ConnAckTimeout, "read auth answer", err)
	}
	f := &pb.Frame{}
	if err := f.Unmarshal(data); err != nil {
		c.Close()
		return nil, codes.New(codes.NetUnavailable, "malformed auth answer")
	}
	if er := f.GetError(); er != nil {
		c.Close()
		return nil, codes.New(er.Code, er.Msg)
	}
	ok := f.GetAuthOk()
	if ok == nil {
		c.Close()
		return nil, codes.New(codes.NetUnavailable, "unexpected auth answer")
	}
	e.mu.Lock()
	if e.user != "" && e.user != ok.UserId {
		e.mu.Unlock()
		c.Close()
		return nil, codes.New(codes.ConnTokenIncorrect, "token of another user than this store's")
	}
	e.user = ok.UserId
	e.serverURL = url
	e.maxUpload = int64(ok.MaxUploadBytes)
	e.recallWindow = time.Duration(ok.RecallWindowSec) * time.Second
	if ok.ServerTime > 0 {
		e.clockOffset = ok.ServerTime - e.cfg.Now().UnixMilli()
	}
	if ok.MaxContentBytes > 0 {
		e.maxContent = int(ok.MaxContentBytes)
	}
	e.noteTokenLocked(ok.TokenExpiresAt, ok.TokenIssuedAt)
	e.mu.Unlock()
	if e.cfg.SendRate == 0 {
		e.followSendLimit(ok.SendRatePerSec, ok.SendBurst)
	}
	lc := &liveConn{e: e, c: c, waiters: map[uint64]chan *pb.Frame{}, auth: ok, closed: make(chan struct{}), background: background}
	e.mu.Lock()
	e.conn = lc
	e.mu.Unlock()
	e.setStatus(StatusConnected, 0)
	e.checkToken() // and at each heartbeat
	return lc, nil
}

const metaSyncVersion = "sync_version"

func (e *Engine) syncVersion(ctx context.Context) (uint64, error) {
	b, err := e.cfg.Store.Meta(ctx, metaSyncVersion)
	if err != nil {
		return 0, codes.Wrap(codes.Timeout, "read sync version", err)
	}
	if len(b) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, nil
	}
	return v, nil
}

// request sends a request on the current connection and waits for its
// answer; an Error frame becomes a *codes.Error.
func (e *Engine) request(ctx context.Context, f *pb.Frame) (*pb.Frame, error) {
	e.mu.Lock()
	lc := e.conn
	e.mu.Unlock()
	if lc == nil {
		return nil, codes.New(codes.NetChannelInvalid, "not connected")
	}
	return lc.request(ctx, f)
}

// liveConn is one authenticated connection.
type liveConn struct {
	e       *Engine
	c       Conn
	auth    *pb.AuthOK
	wmu     sync.Mutex
	mu      sync.Mutex
	waiters map[uint64]chan *pb.Frame
	closed  chan struct{}
	err     error
	lastIn  atomic.Int64
	helpers sync.WaitGroup // run waits for the goroutines it starts
	// background: what the Auth frame said (the session started there).
	background bool
}

func (lc *liveConn) write(ctx context.Context, f *pb.Frame) error {
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	lc.wmu.Lock()
	defer lc.wmu.Unlock()
	// No deadline per write (a timer per frame showed in profiles): a
	// connection that stops taking writes fails its heartbeat, and fail()
	// closes it, which unblocks the write.
	if err := lc.c.Write(context.Background(), b); err != nil {
		lc.fail(codes.Wrap(codes.NetChannelInvalid, "write", err))
		return codes.New(codes.NetChannelInvalid, "connection lost")
	}
	return nil
}

func (lc *liveConn) request(ctx context.Context, f *pb.Frame) (*pb.Frame, error) {
	f.Id = lc.e.reqID.Add(1) + 1 // 1 is the auth frame
	ch := make(chan *pb.Frame, 1)
	lc.mu.Lock()
	if lc.err != nil {
		lc.mu.Unlock()
		return nil, codes.New(codes.NetChannelInvalid, "not connected")
	}
	lc.waiters[f.Id] = ch
	lc.mu.Unlock()
	defer func() {
		lc.mu.Lock()
		delete(lc.waiters, f.Id)
		lc.mu.Unlock()
	}()
	if err := lc.write(ctx, f); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if er := r.GetError(); er != nil {
			return nil, codes.New(er.Code, er.Msg)
		}
		return r, nil
	case <-lc.closed:
		return nil, codes.New(codes.NetChannelInvalid, "connection lost")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fail ends the connection with err (first error wins).
func (lc *liveConn) fail(err error) {
	lc.mu.Lock()
	if lc.err != nil {
		lc.mu.Unlock()
		return
	}
	lc.err = err
	close(lc.closed)
	lc.mu.Unlock()
	lc.c.Close()
}

// run reads frames until the connection ends, and runs the heartbeat,
// the sync and the ack flusher beside it.
func (lc *liveConn) run(ctx context.Context) error {
	e := lc.e
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		lc.helpers.Wait()
	}()
	lc.helpers.Add(5)
	go func() {
		defer lc.helpers.Done()
		select {
		case <-ctx.Done():
			lc.fail(ctx.Err())
		case <-lc.closed:
		}
	}()
	lc.lastIn.Store(time.Now().UnixNano())
	go func() { defer lc.helpers.Done(); lc.heartbeat(ctx) }()
	go func() { defer lc.helpers.Done(); e.syncAll(ctx, lc) }()
	go func() { defer lc.helpers.Done(); lc.rejoinChatrooms(ctx) }()
	go func() { defer lc.helpers.Done(); lc.sayBackground(ctx) }()
	for {
		data, err := lc.c.Read(context.Background()) // fail() unblocks it
		if err != nil {
			lc.fail(codes.Wrap(codes.NetUnavailable, "read", err))
			break
		}
		lc.lastIn.Store(time.Now().UnixNano())
		f := &pb.Frame{}
		if err := f.Unmarshal(data); err != nil {
			e.log.Log(LevelWarn, "malformed frame from server", "err", err.Error())
			continue
		}
		switch b := f.Body.(type) {
		case *pb.Frame_Push:
			// The server concatenates what it had queued into one push;
			// the processor takes it as one batch.
			if ms := b.Push.Messages; len(ms) > 0 {
				var rooms []*pb.Message
				it := &inItem{msgs: make([]*inMsg, 0, len(ms))}
				for _, m := range ms {
					if m.ConvType == pb.ConversationType_CHATROOM {
						rooms = append(rooms, m)
						continue
					}
					it.msgs = append(it.msgs, &inMsg{w: m})
				}
				if len(it.msgs) > 0 {
					e.inbox <- it
				}
				if len(rooms) > 0 {
					lc.onRoomPush(ctx, rooms)
				}
			}
			if len(b.Push.Chatroom) > 0 {
				e.onChatroomEvents(b.Push.Chatroom)
			}
			if len(b.Push.UltraChannel) > 0 {
				e.lostUltraChannels(b.Push.UltraChannel)
				e.emit(Event{Kind: EventUltraChannel, UltraChannel: b.Push.UltraChannel})
			}
			if len(b.Push.Typing) > 0 {
				e.onTyping(b.Push.Typing)
			}
			if len(b.Push.Status) > 0 {
				e.emit(Event{Kind: EventSubscribedStatus, People: &PeopleEvent{Status: b.Push.Status}})
			}
			if b.Push.Resync {
				e.resyncSoon()
			}
		case *pb.Frame_Kick:
			lc.fail(codes.New(b.Kick.Code, b.Kick.Reason))
		case *pb.Frame_Error:
			if f.Id == 0 {
				lc.fail(codes.New(b.Error.Code, b.Error.Msg))
				continue
			}
			lc.answer(f)
		default:
			lc.answer(f)
		}
	}
	e.mu.Lock()
	if e.conn == lc {
		e.conn = nil
	}
	e.mu.Unlock()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.err
}

func (lc *liveConn) answer(f *pb.Frame) {
	lc.mu.Lock()
	ch := lc.waiters[f.Id]
	lc.mu.Unlock()
	if ch != nil {
		ch <- f
		return
	}
	if ack := f.GetSendAck(); ack != nil {
		// The send already timed out: the late commit still lands in place.
		lc.e.inbox <- &inItem{lateAck: ack}
	}
}

func (lc *liveConn) heartbeat(ctx context.Context) {
	every := time.Duration(lc.auth.HeartbeatMs) * time.Millisecond
	if every <= 0 {
		every = 15 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-lc.closed:
			return
		case <-t.C:
			lc.e.checkToken()
			if time.Since(time.Unix(0, lc.lastIn.Load())) > 2*every+every/2 {
				lc.fail(codes.New(codes.NetUnavailable, "heartbeat timed out"))
				return
			}
			lc.helpers.Add(1) // while heartbeat counts: run's Wait cannot have returned
			go func() {
				defer lc.helpers.Done()
				pctx, cancel := context.WithTimeout(ctx, every)
				defer cancel()
				lc.request(pctx, &pb.Frame{Body: &pb.Frame_Ping{Ping: &pb.Ping{}}})
			}()
		}
	}
}

// followSendLimit sets the send bucket to the server's per-user limit (0:
// none), so the SDK refuses at once what the server would refuse.
func (e *Engine) followSendLimit(perSec, burst uint32) {
	now := e.cfg.Now()
	if perSec == 0 {
		e.bucket.SetLimitAt(now, rate.Inf)
		return
	}
	if burst == 0 {
		burst = perSec
	}
	e.bucket.SetLimitAt(now, rate.Limit(perSec))
	e.bucket.SetBurstAt(now, int(burst))
}

// maxContentBytes is the content limit in force (the server's, once known).
func (e *Engine) maxContentBytes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxContent
}
