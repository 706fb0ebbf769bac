package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Webhooks: the server calls the app's backend at URLs in the settings.
// Every call is a POST of a JSON event signed with the app secret
// (SignWebhook): the backend checks the signature and the timestamp
// before it trusts the body.
//
// The before-send webhook (Settings.BeforeSendURL) sees a user's message
// before it is stored and answers whether it goes: as it is, replaced, or
// not at all (the sender then gets an error code). It runs on the sending
// connection's goroutine, bounded by Settings.BeforeSendTimeoutMs; a
// backend that fails or does not answer in time is taken as
// Settings.BeforeSendOnFailure says.

// checkWebhookURL refuses a webhook URL that is not "" (none) or an
// absolute http(s) URL.
func checkWebhookURL(name, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > 2048 {
		return badRequest(name + " must be an absolute http or https URL (or \"\" for none)")
	}
	return nil
}

// newWebhookClient is the HTTP client of the webhooks: no redirects (a
// backend's URL is where its events go), bounded connections' setup.
func newWebhookClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			TLSHandshakeTimeout: 5 * time.Second,
			MaxIdleConnsPerHost: 1024, // one per call in flight: a busy server keeps them rather than dial again (before-send at 10,000 msg/s: 287 µs of server CPU per message with 64, 174 with 1,024)
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Webhook headers.
const (
	webhookTimestampHeader = "X-Imwasm-Timestamp" // unix seconds of the call
	webhookSignatureHeader = "X-Imwasm-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	webhookEventHeader     = "X-Imwasm-Event-Id"  // the event's id, the same on every retry
)

// SignWebhook is the X-Imwasm-Signature of a webhook call: what a backend
// computes again to check one (docs/http-api.md#webhooks).
func SignWebhook(secret []byte, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// webhookMessage is a message as the webhooks show it (RongCloud's server
// API names).
type webhookMessage struct {
	FromUserID       string          `json:"fromUserId"`
	ConversationType int32           `json:"conversationType"`
	TargetID         string          `json:"targetId"`
	ChannelID        string          `json:"channelId,omitempty"`
	ObjectName       string          `json:"objectName"`
	Content          json.RawMessage `json:"content"`
	ClientMsgID      string          `json:"clientMsgId"`
	MessageUID       string          `json:"messageUId,omitempty"`
	SentTime         int64           `json:"sentTime,omitempty"`
	IsMentioned      bool            `json:"isMentioned,omitempty"`
	MentionedUserIDs []string        `json:"mentionedUserIds,omitempty"`
	MentionAll       bool            `json:"mentionAll,omitempty"`
	DirectedUserIDs  []string        `json:"directedUserIds,omitempty"`
	PushContent      string          `json:"pushContent,omitempty"`
	PushData         string          `json:"pushData,omitempty"`
	ModifyOf         string          `json:"modifyOf,omitempty"` // an edit's: the message edited
}

func webhookMessageOf(m *pb.Message) webhookMessage {
	w := webhookMessage{
		FromUserID: m.FromUser, ConversationType: int32(m.ConvType), TargetID: m.To, ChannelID: m.Channel,
		ObjectName: m.ObjectName, Content: json.RawMessage(m.Content), ClientMsgID: m.ClientMsgId,
		MessageUID: m.Uid, SentTime: m.SentTime, IsMentioned: m.IsMentioned, DirectedUserIDs: m.DirectedUserIds,
		PushContent: m.PushContent, PushData: m.PushData, ModifyOf: m.ModifyOf,
	}
	if !json.Valid(m.Content) {
		w.Content, _ = json.Marshal(string(m.Content)) // a content that is no JSON value goes as a string
	}
	if mi := m.MentionedInfo; mi != nil {
		w.MentionAll, w.MentionedUserIDs = mi.Type == 1, mi.UserIds
	}
	return w
}

// webhookEvent is the body of every webhook call.
type webhookEvent struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Time    int64           `json:"time"` // unix ms
	Message *webhookMessage `json:"message,omitempty"`
	Data    map[string]any  `json:"data,omitempty"` // the other events' fields
}

// webhookCall is the body of every webhook call: its events, in order.
type webhookCall struct {
	Events []*webhookEvent `json:"events"`
}

// callWebhook posts events to url in one call, signed (a call of one
// event names it in X-Imwasm-Event-Id), and reads at most maxAnswer bytes
// of the answer (a longer one is an error, not a cut one; 0: the answer is
// not wanted, whatever its length). Only a 2xx is an answer; anything
// else is an error.
func (s *Server) callWebhook(ctx context.Context, to string, events []*webhookEvent, maxAnswer int) ([]byte, error) {
	body, err := json.Marshal(webhookCall{Events: events})
	if err != nil {
		return nil, fmt.Errorf("encode a webhook call: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhookTimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(webhookSignatureHeader, SignWebhook([]byte(s.cfg.AppSecret), ts, body))
	if len(events) == 1 {
		req.Header.Set(webhookEventHeader, events[0].ID)
	}
	resp, err := s.hooks.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	limit := maxAnswer
	if limit == 0 {
		limit = 64 << 10 // read (so the connection is kept) and dropped
	}
	ans, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: read the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("webhook: %s", resp.Status)
	}
	if maxAnswer == 0 {
		return nil, nil
	}
	if len(ans) > maxAnswer {
		return nil, fmt.Errorf("webhook: an answer over %d bytes", maxAnswer)
	}
	return ans, nil
}

// beforeSendAnswer is what the before-send webhook answers.
type beforeSendAnswer struct {
	Action     string          `json:"action"` // "pass", "block" or "replace"
	Code       int32           `json:"code"`   // block: the code the sender gets (default 21501)
	Message    string          `json:"message"`
	ObjectName string          `json:"objectName"` // replace: the type, if it changes
	Content    json.RawMessage `json:"content"`    // replace: the content (a JSON object)
}

// beforeSendAnswers is a before-send call's answer: one per event.
type beforeSendAnswers struct {
	Answers []beforeSendAnswer `json:"answers"`
}

// beforeSendJob is one message waiting for the backend's word: its event,
// and where the answer (or the call's error) goes.
type beforeSendJob struct {
	ev       *webhookEvent
	url      string
	deadline time.Time             // when its sender stops waiting
	out      chan beforeSendResult // buffered: a sender that gave up is not waited for
	left     atomic.Bool           // its sender stopped waiting: not asked if still queued
}

type beforeSendResult struct {
	a   beforeSendAnswer
	err error
}

// Before-send calls: at most beforeSendCalls at once, each carrying the
// messages that waited meanwhile (up to webhookPerCall). A sender that
// finds a call free makes it itself, taking the waiting messages along
// (no hand-over to another goroutine: each wake-up cost ~0.1 ms at p99
// here); under load, messages share calls (at 5,000 msg/s, a call per
// message cost ~87 µs of server CPU each: the HTTP round trip).
const beforeSendCalls = 4

// beforeSendQueue holds the messages waiting for a call.
type beforeSendQueue struct {
	mu       sync.Mutex
	inflight int
	waiting  []*beforeSendJob
}

// takeLocked takes the jobs of one call, up to n, oldest first: first
// (the caller's own, when it makes the call; nil: the oldest waiting),
// then waiting jobs for the same URL (the setting may change while jobs
// wait; each batch goes to one). Jobs whose sender left, or whose time is
// up at now (their sender's timer answers them), are dropped: the backend
// would be asked about a message whose fate was decided without it.
func (q *beforeSendQueue) takeLocked(first *beforeSendJob, n int, now time.Time) []*beforeSendJob {
	var jobs []*beforeSendJob
	if first != nil {
		jobs = append(jobs, first)
	}
	kept := q.waiting[:0]
	for i, j := range q.waiting {
		if len(jobs) == n {
			kept = append(kept, q.waiting[i:]...) // the rest waits as it is
			break
		}
		switch {
		case j.left.Load() || !j.deadline.After(now):
		case len(jobs) == 0 || j.url == jobs[0].url:
			jobs = append(jobs, j)
		default:
			kept = append(kept, j)
		}
	}
	clear(q.waiting[len(kept):])
	q.waiting = kept
	return jobs
}

// submitBeforeSend queues job, making the call itself when one is free.
func (s *Server) submitBeforeSend(job *beforeSendJob) {
	q := &s.beforeSends
	q.mu.Lock()
	if q.inflight >= beforeSendCalls {
		q.waiting = append(q.waiting, job)
		q.mu.Unlock()
		return
	}
	q.inflight++
	jobs := q.takeLocked(job, webhookPerCall, time.Now())
	q.mu.Unlock()
	s.callBeforeSend(s.ctx, jobs)
	s.nextBeforeSend()
}

// nextBeforeSend, after a call, makes the next for the messages that
// waited (in a task of its own: the caller has its answer), or frees the
// call.
func (s *Server) nextBeforeSend() {
	q := &s.beforeSends
	q.mu.Lock()
	jobs := q.takeLocked(nil, webhookPerCall, time.Now())
	if len(jobs) == 0 {
		q.inflight--
		q.mu.Unlock()
		return
	}
	q.mu.Unlock()
	if !s.tasks.Go(func() {
		s.callBeforeSend(s.ctx, jobs)
		s.nextBeforeSend()
	}) {
		// The server is closing: these and all that wait get their answer
		// now rather than at their timeouts.
		q.mu.Lock()
		jobs = append(jobs, q.waiting...)
		clear(q.waiting)
		q.waiting = q.waiting[:0]
		q.inflight--
		q.mu.Unlock()
		for _, j := range jobs {
			j.out <- beforeSendResult{err: errors.New("the server is closing")}
		}
	}
}

// callBeforeSend makes one call for jobs and hands each its answer.
func (s *Server) callBeforeSend(ctx context.Context, jobs []*beforeSendJob) {
	// The call ends when its last sender stops waiting: each times out on
	// its own timer, and one near its end does not cut the others' short.
	deadline := jobs[0].deadline
	for _, j := range jobs[1:] {
		if j.deadline.After(deadline) {
			deadline = j.deadline
		}
	}
	cctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	events := make([]*webhookEvent, len(jobs))
	for i, j := range jobs {
		events[i] = j.ev
	}
	// Each answer may replace its message's content with one at the limit.
	ans, err := s.callWebhook(cctx, jobs[0].url, events, len(jobs)*(s.cfg.MaxContentBytes+4<<10))
	var as beforeSendAnswers
	if err == nil {
		if jerr := json.Unmarshal(ans, &as); jerr != nil {
			err = fmt.Errorf("webhook message.beforeSend: the answer: %w", jerr)
		} else if len(as.Answers) != len(jobs) {
			err = fmt.Errorf("webhook message.beforeSend: %d answers for %d messages", len(as.Answers), len(jobs))
		}
	}
	for i, j := range jobs {
		r := beforeSendResult{err: err}
		if err == nil {
			r.a = as.Answers[i]
		}
		j.out <- r
	}
}

// beforeSend asks the app's backend about m, a user's message about to be
// stored, and changes m when it is replaced. An error is the code the
// sender gets.
func (s *Server) beforeSend(ctx context.Context, m *pb.Message) error {
	st := s.settings.Load()
	if st.BeforeSendURL == "" || m.IsStatus {
		return nil
	}
	// A resend of a message already stored (its ack lost) is not asked
	// again: Append answers it with the stored one, which a backend's
	// failure or a changed mind must not turn into an error for the sender.
	if prev, err := s.store.MessageByClientID(ctx, m.FromUser, m.ClientMsgId); err != nil {
		return err
	} else if prev != nil {
		return nil
	}
	deadline := time.Now().Add(time.Duration(st.BeforeSendTimeoutMs) * time.Millisecond)
	timeout := time.NewTimer(time.Until(deadline)) // not before the job's deadline: the queue keeps it until then
	defer timeout.Stop()
	wm := webhookMessageOf(m)
	job := &beforeSendJob{url: st.BeforeSendURL, deadline: deadline, out: make(chan beforeSendResult, 1), ev: &webhookEvent{
		ID: "bs:" + m.FromUser + ":" + m.ClientMsgId, Type: "message.beforeSend", Time: s.cfg.Now().UnixMilli(), Message: &wm,
	}}
	start := time.Now()
	s.submitBeforeSend(job)
	var r beforeSendResult
	select {
	case r = <-job.out:
	case <-timeout.C:
		job.left.Store(true)
		r.err = errors.New("webhook message.beforeSend: no answer in time")
	case <-ctx.Done():
		job.left.Store(true)
		s.metrics.beforeSendSeconds.Observe(time.Since(start).Seconds())
		return ctx.Err()
	}
	s.metrics.beforeSendSeconds.Observe(time.Since(start).Seconds())
	err, a := r.err, r.a
	if err == nil {
		switch a.Action {
		case "pass", "":
			return nil
		case "block":
			code := a.Code
			if code <= 0 || code > 99999 {
				code = codes.SensitiveShield
			}
			msg := a.Message
			if msg == "" {
				msg = "blocked by the app's backend"
			}
			s.metrics.webhookBlocked.Inc()
			return codes.New(code, truncate(msg, 256))
		case "replace":
			if err = s.replaceContent(m, a); err == nil {
				return nil
			}
		default:
			err = fmt.Errorf("webhook message.beforeSend: unknown action %q", truncate(a.Action, 32))
		}
	}
	s.metrics.webhookFailures.WithLabelValues("message.beforeSend").Inc()
	s.log.Warn("before-send webhook failed", "err", err, "policy", st.BeforeSendOnFailure)
	if st.BeforeSendOnFailure == "block" {
		return codes.New(codes.SensitiveShield, "the app's backend did not answer")
	}
	return nil
}

// replaceContent puts a replace answer's content into m, held to the
// limits a sent message is held to; an answer that breaks them is a
// failed answer (m unchanged), which beforeSendOnFailure decides. The push
// text the sender wrote goes with the content it stood for: the push is
// made from the new content.
func (s *Server) replaceContent(m *pb.Message, a beforeSendAnswer) error {
	content := bytes.TrimSpace(a.Content)
	if !validContent(content) {
		return errors.New("webhook message.beforeSend: a replace answer's content is no JSON object")
	}
	objectName := m.ObjectName
	if a.ObjectName != "" {
		objectName = a.ObjectName
	}
	if len(objectName) > contract.MaxIDBytes || len(content) > s.cfg.MaxContentBytes {
		return errors.New("webhook message.beforeSend: a replace answer over the limits")
	}
	pushConfig, err := withoutPushContent(m.PushConfig)
	if err != nil {
		return err
	}
	r := *m
	r.ObjectName, r.Content, r.PushContent, r.PushConfig = objectName, content, "", pushConfig
	if r.Size() > contract.SendBytes(s.cfg.MaxContentBytes) {
		// The whole message is held to what a send may be, as the sender's was.
		return errors.New("webhook message.beforeSend: a replace answer that makes the message over the limits")
	}
	m.ObjectName, m.Content, m.PushContent, m.PushConfig = r.ObjectName, r.Content, r.PushContent, r.PushConfig
	s.metrics.webhookReplaced.Inc()
	return nil
}

// withoutPushContent is a pushConfig (IPushConfig's JSON) without its
// pushContent.
func withoutPushContent(pushConfig []byte) ([]byte, error) {
	if len(pushConfig) == 0 {
		return pushConfig, nil
	}
	var c map[string]json.RawMessage
	if json.Unmarshal(pushConfig, &c) != nil {
		return pushConfig, nil // not an object: it holds no pushContent either
	}
	if _, ok := c["pushContent"]; !ok {
		return pushConfig, nil
	}
	delete(c, "pushContent")
	return json.Marshal(c)
}

// The events webhook (Settings.WebhookURL). Every message stored while it
// is set has its event in the store's outbox, written in the message's
// transaction; users going online and offline are enqueued as they do.
// One goroutine per node (webhookLoop) claims the events due, in order,
// for a lease (Config.WebhookLease: no other node sends them meanwhile), posts each, and
// removes it once the backend answered 2xx, or puts it back for a retry
// later (1 s, doubling to 10 min) until WebhookRetrySeconds after the
// event, when it is given up (logged, imwasm_webhook_dropped_total). A
// node that stops mid-way leaves its claims to run out and be taken
// again: an event may then be posted twice, with the same id.

// webhookBatch is how many events one claim takes, and webhookWorkers how
// many of them are posted at once: a claim's posts take at most
// webhookBatch/webhookWorkers × webhookPostTimeout (80 s), within the
// claim's lease (Config.WebhookLease, 2 minutes).
const (
	webhookBatch       = 64
	webhookWorkers     = 8
	webhookPostTimeout = 10 * time.Second
	webhookPerCall     = 64                    // events in one call: a claim's events for one URL go in one
	webhookLinger      = 20 * time.Millisecond // after a claim of fewer than webhookBatch, the next waits this long
)

// wakeWebhooks tells the webhook loop to look at the outbox now.
func (s *Server) wakeWebhooks() {
	select {
	case s.hooksWake <- struct{}{}:
	default:
	}
}

// webhookLoop delivers the outbox's events until ctx ends.
func (s *Server) webhookLoop(ctx context.Context) {
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
	for ctx.Err() == nil {
		n := 0
		if st := s.settings.Load(); st.WebhookURL != "" || st.pushOn() {
			n = s.deliverWebhooks(ctx)
		}
		if n == webhookBatch {
			continue // more are waiting
		}
		if n > 0 {
			// Let events gather before the next claim: a claim (and a
			// call) woken by each message took 1-20 events at 5,000
			// msg/s, two store transactions and a call each time.
			idle.Reset(webhookLinger)
			select {
			case <-ctx.Done():
				return
			case <-idle.C:
			}
			continue
		}
		idle.Reset(time.Second) // the other nodes' events, and retries, come due without a wake
		select {
		case <-ctx.Done():
			return
		case <-s.hooksWake:
		case <-idle.C:
		}
	}
}

// deliverWebhooks claims one batch of events and posts them; it answers
// how many it claimed.
func (s *Server) deliverWebhooks(ctx context.Context) int {
	if ctx.Err() != nil {
		return 0
	}
	// The store's calls are not cut short by a stop: a claim the writer
	// committed after its caller gave up would hold its events until the
	// lease ends; what is claimed is finished (put back if not delivered).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := s.cfg.Now()
	evs, err := s.store.ClaimEvents(sctx, s.bus.ID(), now, s.cfg.WebhookLease, webhookBatch)
	if err != nil {
		s.log.Warn("webhooks: claim events", "err", err)
		return 0
	}
	delivered := make([]bool, len(evs))
	// Posts are bounded (webhookPostTimeout, within the lease); turning a
	// message into a large group's pushes may outlast the lease, and
	// another node may then do it again: Store.ReplaceEvent keeps the
	// pushes from being enqueued twice.
	jobs := s.webhookJobs(ctx, evs, delivered)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(webhookWorkers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(jobs); i = int(next.Add(1) - 1) {
				jobs[i](ctx)
			}
		}()
	}
	wg.Wait()
	// A fresh bound for finishing: the posts may have taken most of the
	// claim's (a delete that failed for want of time would send them again).
	cancel()
	sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	finished := s.cfg.Now()
	var done []int64
	for i, e := range evs {
		if delivered[i] {
			done = append(done, e.ID)
			continue
		}
		retry := finished.Add(min(time.Second<<min(e.Attempts, 20), 10*time.Minute)) // from the failure: a post that hung took its time
		if ctx.Err() != nil {
			retry = now // not tried, or cut short: due at once wherever it is claimed next
		}
		if time.UnixMilli(e.Created).Add(seconds(s.settings.Load().WebhookRetrySeconds)).Before(retry) {
			s.log.Error("webhooks: event given up", "event", e.EventID, "attempts", e.Attempts+1)
			s.metrics.webhookDropped.Inc()
			done = append(done, e.ID)
			continue
		}
		if err := s.store.FinishEvent(sctx, s.bus.ID(), e.ID, retry); err != nil {
			s.log.Warn("webhooks: put an event back", "event", e.EventID, "err", err)
		}
	}
	if err := s.store.DeliveredEvents(sctx, done); err != nil {
		// They stay claimed until the lease ends, then go again.
		s.log.Warn("webhooks: remove delivered events", "err", err)
	}
	return len(evs)
}

// webhookJobs turns claimed events into the work that delivers them,
// each job setting delivered[i] for its events: the events to a webhook
// URL in calls of up to webhookPerCall (one call carries many: at 10,000
// msg/s, a call per event cost more server CPU than the message), each Web
// Push and each stored message owing pushes on its own. An event with
// nowhere to go (its URL unset since) or that cannot be read is done at
// once.
func (s *Server) webhookJobs(ctx context.Context, evs []store.OutboxEvent, delivered []bool) []func(context.Context) {
	st := s.settings.Load()
	var jobs []func(context.Context)
	prepared := make([]*webhookEvent, len(evs))
	batches := map[string][]int{} // URL: its events' indexes
	var urls []string
	for i := range evs {
		url, ev, direct := s.prepareEvent(st, &evs[i])
		switch {
		case direct != nil:
			jobs = append(jobs, func(ctx context.Context) { delivered[i] = direct(ctx) })
		case url == "" || ev == nil:
			delivered[i] = true
		default:
			if batches[url] == nil {
				urls = append(urls, url)
			}
			batches[url] = append(batches[url], i)
			prepared[i] = ev
		}
	}
	for _, url := range urls {
		for idx := range slices.Chunk(batches[url], webhookPerCall) {
			jobs = append(jobs, func(ctx context.Context) {
				events := make([]*webhookEvent, len(idx))
				for k, i := range idx {
					events[k] = prepared[i]
				}
				ok := s.postEvents(ctx, url, events)
				for _, i := range idx {
					delivered[i] = ok
				}
			})
		}
	}
	return jobs
}

// prepareEvent reads one outbox event: the URL and event to post it as, or
// the function that delivers it itself (direct); neither when it is done
// with as it is.
func (s *Server) prepareEvent(st *Settings, e *store.OutboxEvent) (url string, ev *webhookEvent, direct func(context.Context) bool) {
	ev = &webhookEvent{ID: e.EventID, Type: e.Kind, Time: e.Created}
	switch e.Kind {
	case store.OutboxMessage, store.OutboxStored:
		if len(e.Body) == 0 {
			s.log.Info("webhooks: a message erased before its event went", "event", e.EventID)
			return "", nil, nil
		}
		m := &pb.Message{}
		if err := m.Unmarshal(e.Body); err != nil {
			s.log.Error("webhooks: an event's message", "event", e.EventID, "err", err)
			return "", nil, nil // it will never decode: not worth retrying
		}
		if e.Kind == store.OutboxMessage && st.pushOn() {
			// Turned into the pushes it owes and, for the events webhook,
			// an event of its own, in one enqueue: each is then delivered
			// and retried apart, and none twice.
			return "", nil, func(ctx context.Context) bool {
				if err := s.enqueuePushes(ctx, m, e, st.WebhookURL != ""); err != nil {
					s.log.Warn("push: the pushes of a message", "event", e.EventID, "err", err)
					return false
				}
				return true
			}
		}
		if e.Kind == store.OutboxStored {
			ev.ID = "msg." + m.Uid // (one enqueued before it kept that id was "stored."+uid)
		}
		storedEvent(ev, m)
		return st.WebhookURL, ev, nil
	case outboxWebPush:
		return "", nil, func(ctx context.Context) bool { return s.sendWebPush(ctx, e) }
	}
	if err := json.Unmarshal(e.Body, &ev.Data); err != nil {
		s.log.Error("webhooks: an event's body", "event", e.EventID, "err", err)
		return "", nil, nil
	}
	if e.Kind == outboxPushPayload {
		return st.PushWebhookURL, ev, nil
	}
	return st.WebhookURL, ev, nil
}

// postEvents posts one call of events; true once the backend took them.
func (s *Server) postEvents(ctx context.Context, url string, events []*webhookEvent) bool {
	cctx, cancel := context.WithTimeout(ctx, webhookPostTimeout)
	defer cancel()
	if _, err := s.callWebhook(cctx, url, events, 0); err != nil {
		for _, ev := range events {
			s.metrics.webhookFailures.WithLabelValues(ev.Type).Inc()
		}
		if ctx.Err() == nil {
			s.log.Debug("webhooks: post", "events", len(events), "err", err)
		}
		return false
	}
	return true
}

// storedEvent makes ev the event of m, a stored message: message.stored,
// or group.changed for a group's notification (RC:GrpNtf: the change as
// the members are told of it, written in the change's transaction). Only
// the server's own notifications carry a GroupEvent: a member's message of
// that type is a message, not a change.
func storedEvent(ev *webhookEvent, m *pb.Message) {
	wm := webhookMessageOf(m)
	ev.Type, ev.Message = "message.stored", &wm
	if m.ConvType != pb.ConversationType_GROUP || m.ObjectName != "RC:GrpNtf" || m.GroupEvent == nil {
		return
	}
	var ntf struct {
		Operator  string `json:"operatorUserId"`
		Operation string `json:"operation"`
		Data      string `json:"data"`
	}
	if json.Unmarshal(m.Content, &ntf) != nil {
		return
	}
	ev.Type = "group.changed"
	ev.Data = map[string]any{"groupId": m.To, "operatorUserId": ntf.Operator, "operation": ntf.Operation}
	var data any
	if json.Unmarshal([]byte(ntf.Data), &data) == nil {
		ev.Data["data"] = data
	}
}

// enqueueUserEvent owes the backend a user event (online, offline) when
// the events webhook is set.
func (s *Server) enqueueUserEvent(ctx context.Context, kind, user string, at int64) {
	if s.settings.Load().WebhookURL == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{"userId": user})
	// One id per event: ':' is in no user id, and the node's count tells
	// apart a user's online, offline and online again in one millisecond.
	id := kind + ":" + user + ":" + strconv.FormatInt(at, 10) + ":" + strconv.FormatUint(s.userEvents.Add(1), 10) + ":" + s.bus.ID()
	if err := s.store.EnqueueEvents(ctx, []store.OutboxEvent{{EventID: id, Kind: kind, Body: body, Created: at}}); err != nil {
		s.log.Warn("webhooks: enqueue", "event", id, "err", err)
		return
	}
	s.wakeWebhooks()
}
