package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/memstore"
	"github.com/imwasm/imwasm/client/wsnative"
	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/auth"
)

const (
	appKey    = "test-app"
	appSecret = "test-secret-0123456789"
)

// env is a real server on a loopback port with helpers to make devices.
type env struct {
	t   *testing.T
	url string // http://127.0.0.1:port
	dir string // the server's DataDir
	srv *server.Server
	// clock is the server's Config.Now unless the test gave its own (then
	// nil); serverNow is the server's clock either way.
	clock     *clock
	serverNow func() time.Time
	fences    int // fence's count, numbering the fences
	stop      func()
}

// newEnv starts a server. Its clock is e.clock, which tests move forward
// instead of sleeping (mod may set a clock of its own).
func newEnv(t *testing.T, mod func(*server.Config)) *env {
	t.Helper()
	cfg := server.Config{AppKey: appKey, AppSecret: appSecret, DataDir: t.TempDir(), SendRate: -1}
	if mod != nil {
		mod(&cfg)
	}
	if sharedPG != nil && cfg.Store == "" {
		cfg.Store = pgDatabase(t, cfg.DataDir)
	}
	var clk *clock
	if cfg.Now == nil {
		clk = &clock{}
		cfg.Now = clk.now
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	e := &env{t: t, url: "http://" + ln.Addr().String(), dir: cfg.DataDir, srv: srv, clock: clk, serverNow: cfg.Now}
	e.stop = sync.OnceFunc(func() { cancel(); <-done; srv.Close() })
	t.Cleanup(e.stop)
	return e
}

func (e *env) wsURL() string { return "ws" + strings.TrimPrefix(e.url, "http") + "/v1/ws" }

func token(t *testing.T, user string, ttl time.Duration) string {
	t.Helper()
	tok, err := auth.NewToken([]byte(appSecret), user, ttl, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// now is the time on the server's clock (the real time for a server of
// another process).
func (e *env) now() time.Time {
	if e.serverNow == nil {
		return time.Now()
	}
	return e.serverNow()
}

// token mints a token at the server's time, for tests in which the server's
// clock decides its validity (expiry, revocation).
func (e *env) token(t *testing.T, user string, ttl time.Duration) string {
	t.Helper()
	tok, err := auth.NewToken([]byte(appSecret), user, ttl, false, e.now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// clock is a server clock for tests: the real time plus an offset that
// tests move forward (past a recall window, into a token's next second).
// Time passes for the server's rules without sleeping, while what it
// records (sent times, file times) keeps the real clock.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// fixedClock is a server clock that stands still until the test moves it:
// for rules that must draw a line between two real times (retention).
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *fixedClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// device is one client engine with an in-memory store and a record of the
// messages it was given through events (fence's messages apart).
type device struct {
	*client.Engine
	user   string
	id     string // device id
	store  *memstore.Store
	mu     sync.Mutex
	got    []*client.Message
	evs    []client.Event
	fenced int // the number of the last fence shown
	cond   *sync.Cond
}

type devOpts struct {
	store  *memstore.Store
	dialer client.Dialer
	mod    func(*client.Config)
}

func (e *env) device(user, deviceID string, o devOpts) *device {
	e.t.Helper()
	d := &device{store: o.store, user: user, id: deviceID}
	if d.store == nil {
		d.store = memstore.New()
	}
	d.cond = sync.NewCond(&d.mu)
	dialer := o.dialer
	if dialer == nil {
		dialer = wsnative.Dialer{}
	}
	cfg := client.Config{
		URL: e.wsURL(), AppKey: appKey, DeviceID: deviceID, Store: d.store, Dialer: dialer,
		SendRate: -1, BackoffMin: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond,
		OnEvents: func(evs []client.Event) {
			d.mu.Lock()
			for _, ev := range evs {
				if ev.Kind == client.EventMessages {
					ev.Messages = d.takeFences(ev.Messages)
					if len(ev.Messages) == 0 {
						continue
					}
					d.got = append(d.got, ev.Messages...)
				}
				d.evs = append(d.evs, ev)
			}
			d.cond.Broadcast()
			d.mu.Unlock()
		},
	}
	if o.mod != nil {
		o.mod(&cfg)
	}
	eng, err := client.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	d.Engine = eng
	e.t.Cleanup(eng.Close)
	return d
}

// fenceUser sends fence's status messages.
const fenceUser = "test.fence"

// fence proves a negative without sleeping for it. It sends the users of
// ds a status message (stored nowhere, so no count or list changes)
// through the admin API and waits until each device has shown it. The
// server queues a session's pushes in order and a device applies them in
// order, so whatever was pushed to the device before the fence (a message,
// a log entry) has been shown by then. (Not the answer to a pull still in
// flight: connect waits for the sync.) The devices must be online.
func (e *env) fence(t *testing.T, ds ...*device) {
	t.Helper()
	sent := map[string]int{}
	for _, d := range ds {
		if _, ok := sent[d.user]; ok {
			continue
		}
		e.fences++
		sent[d.user] = e.fences
		status, res := e.admin("POST", "/v1/messages", map[string]any{
			"fromUserId": fenceUser, "conversationType": client.Private, "targetIds": []string{d.user},
			"objectName": "RC:TxtMsg", "content": fmt.Sprintf(`{"content":"fence %d"}`, e.fences),
			"clientMsgId": fmt.Sprint("fence-", e.fences), "isStatus": true,
		})
		if status != 200 {
			t.Fatalf("fence: %d %v", status, res)
		}
	}
	for _, d := range ds {
		n := sent[d.user]
		d.waitFor(t, fmt.Sprint("fence ", n), func([]*client.Message, []client.Event) bool { return d.fenced >= n })
	}
}

// takeFences records the fences among ms (d.mu held) and returns the rest.
func (d *device) takeFences(ms []*client.Message) []*client.Message {
	var rest []*client.Message
	for _, m := range ms {
		var n int
		if m.SenderUserID == fenceUser && m.IsStatus {
			if _, err := fmt.Sscanf(contents([]*client.Message{m})[0], "fence %d", &n); err == nil {
				d.fenced = max(d.fenced, n)
				continue
			}
		}
		rest = append(rest, m)
	}
	return rest
}

func (d *device) connect(t *testing.T, tok string) {
	t.Helper()
	syncs := func(evs []client.Event) int {
		n := 0
		for _, ev := range evs {
			if ev.Kind == client.EventSyncFinished {
				n++
			}
		}
		return n
	}
	before := syncs(d.events())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.Connect(ctx, tok); err != nil {
		t.Fatalf("connect: %v", err)
	}
	// Tests start from a synced device, so what they send next does not
	// race the catch-up of the connection (this one's: a device that
	// reconnects has the sync of its last connection behind it).
	d.waitFor(t, "sync finished", func(_ []*client.Message, evs []client.Event) bool {
		return syncs(evs) > before
	})
}

// waitFor waits until cond holds over the received messages.
func (d *device) waitFor(t *testing.T, what string, cond func(got []*client.Message, evs []client.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	timer := time.AfterFunc(15*time.Second, func() { d.mu.Lock(); d.cond.Broadcast(); d.mu.Unlock() })
	defer timer.Stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for !cond(d.got, d.evs) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (have %d messages)", what, len(d.got))
		}
		d.cond.Wait()
	}
}

func (d *device) waitMessages(t *testing.T, n int) []*client.Message {
	t.Helper()
	// Waiting while messages keep coming: a busy machine syncs a large
	// backlog slowly; a stall of waitFor's time is the failure.
	for {
		d.mu.Lock()
		have := len(d.got)
		d.mu.Unlock()
		if have >= n {
			break
		}
		d.waitFor(t, fmt.Sprintf("%d messages", n), func(got []*client.Message, _ []client.Event) bool { return len(got) > have })
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*client.Message(nil), d.got...)
}

func (d *device) events() []client.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]client.Event(nil), d.evs...)
}

func (d *device) messages() []*client.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*client.Message(nil), d.got...)
}

func text(to string, typ int32, s string) *client.Message {
	return &client.Message{
		Conversation: client.Conversation{Type: typ, TargetID: to},
		ObjectName:   "RC:TxtMsg", Content: []byte(fmt.Sprintf(`{"content":%q}`, s)),
		IsPersisted: true, IsCounted: true,
	}
}

func (d *device) send(t *testing.T, m *client.Message) *client.Message {
	t.Helper()
	got, err := d.SendMessage(context.Background(), m, client.SendOptions{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return got
}

// admin calls the HTTP admin API and decodes the JSON answer.
func (e *env) admin(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	return e.adminBytes(method, path, b)
}

// adminBytes is admin with the body as it is sent.
func (e *env) adminBytes(method, path string, body []byte) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	tok, _ := auth.NewToken([]byte(appSecret), "admin", time.Hour, true, e.now())
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func authToken(secret, user string) (string, error) {
	return auth.NewToken([]byte(secret), user, time.Hour, false, time.Now())
}

func authAdmin() (string, error) {
	return auth.NewToken([]byte(appSecret), "admin", time.Hour, true, time.Now())
}

func (e *env) metrics(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}
