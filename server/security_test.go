package server_test

// Tests of a security review's findings against a real server: each failed before
// its fix.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// count reads a counter or gauge of the server's /metrics.
func (e *env) count(t *testing.T, name string) int {
	t.Helper()
	n := e.metric(t, name)
	if n < 0 {
		t.Fatalf("no metric %s", name)
	}
	return int(n)
}

// waitCount polls a metric until ok holds (15 s at most).
func (e *env) waitCount(t *testing.T, name string, ok func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := e.count(t, name)
		if ok(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed %d", name, n)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not waiting for time to pass
	}
}

// rawUser is a hand-driven client authenticated as user.
func (e *env) rawUser(t *testing.T, user string) *raw {
	t.Helper()
	r := e.raw(t)
	if ok := r.auth(token(t, user, time.Hour)); ok.GetAuthOk() == nil {
		t.Fatal(ok)
	}
	return r
}

// sendTexts sends n private texts of about size bytes from d to user.
func (d *device) sendTexts(t *testing.T, to string, n, size int) {
	t.Helper()
	for i := range n {
		d.send(t, text(to, client.Private, fmt.Sprint(i, strings.Repeat("x", size))))
	}
}

var private = func(target string) *pb.Conversation {
	return &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: target}
}

// H1: a client that sends requests and never reads holds one answer on
// the server, not one per request: its reader stops reading requests
// while an answer waits, and the session is closed as a slow consumer
// once the socket's buffers are full.
func TestUnreadAnswersAreNotHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("fills loopback buffers: runs without -short")
	}
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	alice.sendTexts(t, "bob", 8, 120_000) // a Pull answers with 4 of them (512 KiB)
	r := e.rawUser(t, "bob")
	before := e.count(t, "imwasm_frames_in_total")
	for i := range 300 {
		r.write(&pb.Frame{Id: uint64(10 + i), Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: private("alice")}}})
	}
	e.waitCount(t, "imwasm_slow_consumers_total", func(n int) bool { return n >= 1 })
	// What the kernel's socket buffers took is all it read (~20 answers
	// of 512 KiB on loopback); before, it read all 300 and queued 150 MB.
	if read := e.count(t, "imwasm_frames_in_total") - before; read > 100 {
		t.Fatalf("the server read %d of the 300 requests", read)
	}
}

// H1: an answer queued behind pushes the client has not read holds up the
// client's next request: its reader waits for the answer to be written.
// (The queue's bound is set far away here, so that only the waiting keeps
// the server from reading and answering all 300 requests.)
func TestNextRequestWaitsForQueuedAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 20 MB: runs without -short")
	}
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.SendQueueBytes = 256 << 20 })
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	r := e.rawUser(t, "bob")
	// 20 MB of pushes bob does not read: more than loopback's socket
	// buffers take, so his writer is blocked with some of them queued.
	alice.sendTexts(t, "bob", 170, 120_000)
	alice.Disconnect() // from here on, every frame read is bob's
	e.waitCount(t, "imwasm_sessions", func(n int) bool { return n == 1 })
	before := e.count(t, "imwasm_frames_in_total")
	for i := range 300 {
		r.write(&pb.Frame{Id: uint64(10 + i), Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: private("alice")}}})
	}
	// Once the server has read the first, it reads no more: the answer
	// waits behind pushes bob does not read. The app server kicks him.
	e.waitCount(t, "imwasm_frames_in_total", func(n int) bool { return n > before })
	if status, _ := e.admin("POST", "/v1/users/bob/kick", nil); status != 200 {
		t.Fatal("kick", status)
	}
	e.waitCount(t, "imwasm_sessions", func(n int) bool { return n == 0 })
	if read := e.count(t, "imwasm_frames_in_total") - before; read > 1 {
		t.Fatalf("the server read %d of the 300 requests", read)
	}
}

// H1: a client that reads a backlog slowly but steadily stays connected,
// though its reader waits (its pong queued behind the backlog) longer than
// three heartbeats, reading none.
func TestSlowSteadyReaderStaysConnected(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 15 MB to a slow reader: runs without -short")
	}
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.Heartbeat = 400 * time.Millisecond; c.SendQueueBytes = 64 << 20 })
	// Bob's socket takes little at a time, so his backlog stays in the
	// server's queue rather than in the kernel's buffers.
	small := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(32 << 10)
		}
		return c, err
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.wsURL(), &websocket.DialOptions{Subprotocols: []string{server.Subprotocol}, HTTPClient: small})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(4 << 20)
	defer c.CloseNow()
	r := &raw{t, c}
	if ok := r.auth(token(t, "bob", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatal(ok)
	}
	go func() { // his heartbeat
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for id := uint64(100); ; id++ {
			b, _ := (&pb.Frame{Id: id, Body: &pb.Frame_Ping{Ping: &pb.Ping{}}}).Marshal()
			if c.Write(ctx, websocket.MessageBinary, b) != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	got := make(chan error, 1)
	go func() { // he reads about 5 MB/s
		n := 0
		for n < 150 {
			_, b, err := c.Read(ctx)
			if err != nil {
				got <- fmt.Errorf("closed after %d messages: %w", n, err)
				return
			}
			f := &pb.Frame{}
			f.Unmarshal(b)
			n += len(f.GetPush().GetMessages())
			time.Sleep(40 * time.Millisecond) // a slow link, not a wait for time to pass
		}
		got <- nil
	}()
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	alice.sendTexts(t, "bob", 150, 100_000) // 15 MB
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("bob did not get the backlog")
	}
	if n := e.count(t, "imwasm_idle_closed_total"); n != 0 {
		t.Fatalf("%d sessions closed as idle", n)
	}
}

// H1: the queue is bounded in bytes: pushes to a session that does not
// read close it once more than SendQueueBytes wait.
func TestQueueBoundedInBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 16 MB: runs without -short")
	}
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.SendQueueBytes = 1 << 20 })
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	e.rawUser(t, "bob") // never reads
	// 400 pushes of 40 KB: 16 MB, more than the socket buffers and the
	// queue hold; a bound of 4,096 frames never tripped on them.
	alice.sendTexts(t, "bob", 400, 40_000)
	e.waitCount(t, "imwasm_slow_consumers_total", func(n int) bool { return n == 1 })
}

// H2: whatever a message carries, it fits a client's frame: extra fields
// are bounded, and so is the expansion in total.
func TestMessageSizeLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WriteRate = -1 })
	r := e.rawUser(t, "alice")
	id := uint64(100)
	send := func(req *pb.SendRequest) *pb.Frame {
		id++
		req.Conv, req.ObjectName = private("bob"), "RC:TxtMsg"
		req.ClientMsgId = fmt.Sprint("c", id)
		if req.Content == nil {
			req.Content = []byte(`{"content":"x"}`)
		}
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Send{Send: req}})
		return r.answer(id)
	}
	ids := func(n, l int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%0*d", l, i)
		}
		return out
	}
	refused := []struct {
		name string
		req  *pb.SendRequest
		want int32
	}{
		{"pushContent over 1 KiB", &pb.SendRequest{PushContent: strings.Repeat("p", 1025)}, codes.InvalidParameter},
		{"pushData over 4 KiB", &pb.SendRequest{PushData: strings.Repeat("p", 4097)}, codes.InvalidParameter},
		{"1001 mentions", &pb.SendRequest{IsMentioned: true, MentionedInfo: &pb.MentionedInfo{Type: 2, UserIds: ids(1001, 8)}}, codes.InvalidParameter},
		{"expansion over 64 KiB", &pb.SendRequest{CanIncludeExpansion: true, Expansion: expansion(17, 4000)}, codes.ExpansionLimitExceeded},
		// Each part within its own limit, the whole beyond content + 70 KiB.
		{"the whole message", &pb.SendRequest{
			Content:     bytes.Repeat([]byte("c"), 128<<10),
			IsMentioned: true, MentionedInfo: &pb.MentionedInfo{Type: 2, UserIds: ids(1000, 64)},
			PushData: strings.Repeat("p", 4096), CanIncludeExpansion: true, Expansion: expansion(15, 4000),
		}, codes.MsgContentExceedLimit},
	}
	for _, c := range refused {
		if f := send(c.req); f.GetError().GetCode() != c.want {
			t.Fatalf("%s: %v, want %d", c.name, f.GetError(), c.want)
		}
		// Checked by the SDK before sending, the same way.
		if err := contract.CheckSend(c.req, contract.DefaultContentBytes); codes.Of(err) != c.want {
			t.Fatalf("%s: the SDK's check says %v", c.name, err)
		}
	}
	// Expansions grow up to 64 KiB of keys and values in all, and no
	// further (before: 300 keys of 4 KB, 1.2 MB, on any message).
	var uids []string
	for range 10 {
		f := send(&pb.SendRequest{CanIncludeExpansion: true})
		uids = append(uids, f.GetSendAck().GetMessageUid())
	}
	expand := func(uid string, set map[string]string) *pb.Frame {
		id++
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Expansion{Expansion: &pb.ExpansionRequest{Conv: private("bob"), MessageUid: uid, Set: set}}})
		return r.answer(id)
	}
	for _, uid := range uids {
		if f := expand(uid, expansion(16, 4000)); f.GetOk() == nil { // 64,000 + keys
			t.Fatalf("expansion within the limit: %v", f)
		}
	}
	if f := expand(uids[0], map[string]string{"more": strings.Repeat("m", 2000)}); f.GetError().GetCode() != codes.ExpansionLimitExceeded {
		t.Fatalf("expansion past 64 KiB: %v", f)
	}
	// A page of them stays within 512 KiB encoded (before, only content
	// counted: all ten, 640 KB, in one answer).
	id++
	r.write(&pb.Frame{Id: id, Body: &pb.Frame_History{History: &pb.HistoryRequest{Conv: private("bob"), Count: 100}}})
	f := r.answer(id)
	h := f.GetHistoryResult()
	if h == nil || len(h.Messages) == 0 || len(h.Messages) == 10 || !h.HasMore || f.Size() > contract.PageBytes+64 {
		t.Fatalf("history page: %d messages, more %v, %d bytes", len(h.GetMessages()), h.GetHasMore(), f.Size())
	}
	id++
	r.write(&pb.Frame{Id: id, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: private("bob")}}})
	if f := r.answer(id); f.GetPullResult() == nil || len(f.GetPullResult().Messages) == 0 || f.Size() > contract.PageBytes+64 {
		t.Fatalf("pull page: %d messages, %d bytes", len(f.GetPullResult().GetMessages()), f.Size())
	}

	// A content limit over 512 KiB is refused at start.
	if _, err := server.New(context.Background(), server.Config{AppKey: appKey, AppSecret: appSecret, DataDir: t.TempDir(), MaxContentBytes: 600 << 10}); err == nil {
		t.Fatal("a server started with a 600 KiB content limit")
	}
}

// expansion makes n keys with values of size bytes.
func expansion(n, size int) map[string]string {
	x := map[string]string{}
	for i := range n {
		x[fmt.Sprint("k", i)] = strings.Repeat("v", size)
	}
	return x
}

// M1: the send limit is per user, over every session and across
// reconnects; the other writes have a bucket of their own; acks are never
// refused.
func TestRateLimitsPerUser(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Now()}
	e := newEnv(t, func(c *server.Config) { c.SendRate, c.SendBurst, c.Now = 5, 10, clock.now })
	conn := func() *raw {
		r := e.raw(t)
		if ok := r.auth(token(t, "mallory", time.Hour)); ok.GetAuthOk().GetSendBurst() != 10 || ok.GetAuthOk().GetSendRatePerSec() != 5 {
			t.Fatalf("auth: %v", ok)
		}
		return r
	}
	id := uint64(10)
	send := func(r *raw) int32 {
		id++
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: private("bob"), ClientMsgId: fmt.Sprint("m", id), ObjectName: "RC:TxtMsg", Content: []byte(`{}`)}}})
		return r.answer(id).GetError().GetCode()
	}
	a, b := conn(), conn()
	for i := range 10 { // two sessions share the burst of 10
		if code := send([]*raw{a, b}[i%2]); code != 0 {
			t.Fatalf("send %d: %d", i, code)
		}
	}
	if code := send(b); code != codes.SendFrequencyTooFast {
		t.Fatalf("11th send: %d", code)
	}
	// A new connection does not bring a new bucket.
	a.c.CloseNow()
	if code := send(conn()); code != codes.SendFrequencyTooFast {
		t.Fatalf("after reconnecting: %d", code)
	}
	clock.add(time.Second) // 5 tokens
	for i := range 5 {
		if code := send(b); code != 0 {
			t.Fatalf("send %d a second later: %d", i, code)
		}
	}

	// Other writes: 40 at once, then 20607; typing is one of them.
	typing := func(r *raw) int32 {
		id++
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Typing{Typing: &pb.TypingRequest{Conv: private("bob"), TypeName: "RC:TxtMsg"}}})
		return r.answer(id).GetError().GetCode()
	}
	for i := range 40 {
		if code := typing(b); code != 0 {
			t.Fatalf("typing %d: %d", i, code)
		}
	}
	if code := typing(b); code != codes.RequestOverFrequency {
		t.Fatalf("41st write: %d", code)
	}
	// Both buckets empty: a device's acks are still taken.
	acks := e.count(t, "imwasm_device_acks_total")
	b.write(&pb.Frame{Body: &pb.Frame_Ack{Ack: &pb.Ack{Items: []*pb.AckItem{{Conv: private("bob"), Seq: 1}}}}})
	e.waitCount(t, "imwasm_device_acks_total", func(n int) bool { return n == acks+1 })
	// An ack of more than 1,000 items is refused (33003) and counts nothing.
	items := make([]*pb.AckItem, 1001)
	for i := range items {
		items[i] = &pb.AckItem{Conv: private(fmt.Sprint("u", i)), Seq: 1}
	}
	b.write(&pb.Frame{Id: 77, Body: &pb.Frame_Ack{Ack: &pb.Ack{Items: items}}})
	if f := b.answer(77); f.GetError().GetCode() != codes.InvalidParameter {
		t.Fatalf("ack of 1001 items: %v", f)
	}
	if n := e.count(t, "imwasm_device_acks_total"); n != acks+1 {
		t.Fatalf("acks counted: %d, want %d", n, acks+1)
	}
}

// M1: the SDK's own bucket follows what the server announces, so it
// refuses locally what the server would refuse.
func TestSDKFollowsAnnouncedSendLimit(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Now()} // no token comes back during the test
	e := newEnv(t, func(c *server.Config) { c.SendRate, c.SendBurst, c.Now = 2, 3, clock.now })
	alice := e.device("alice", "a1", devOpts{mod: func(c *client.Config) { c.SendRate, c.Now = 0, clock.now }})
	alice.connect(t, token(t, "alice", time.Hour))
	var codesGot []int32
	for range 5 {
		_, err := alice.SendMessage(context.Background(), text("bob", client.Private, "x"), client.SendOptions{})
		codesGot = append(codesGot, codes.Of(err))
	}
	if fmt.Sprint(codesGot) != fmt.Sprint([]int32{0, 0, 0, codes.SendFrequencyTooFast, codes.SendFrequencyTooFast}) {
		t.Fatalf("codes %v", codesGot)
	}
	if n := e.count(t, "imwasm_rate_limited_total"); n != 0 {
		t.Fatalf("the server refused %d sends: the SDK sent them", n)
	}
}

// L3: expansion changes are held to the member's visible range, as
// receipts are: a member who joined later neither edits nor learns of
// earlier messages.
func TestExpansionOnlyOnVisibleMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"bob"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	m := text("g", client.Group, "before carol")
	m.CanIncludeExpansion = true
	early := alice.send(t, m)
	if status, body := e.admin("POST", "/v1/groups/g/members", map[string]any{"userIds": []string{"carol"}}); status != 200 {
		t.Fatalf("add carol: %d %v", status, body)
	}
	m = text("g", client.Group, "after carol")
	m.CanIncludeExpansion = true
	late := alice.send(t, m)
	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	ctx := context.Background()
	err := carol.UpdateMessageExpansion(ctx, g, early.MessageUID, map[string]string{"k": "v"})
	unknown := carol.UpdateMessageExpansion(ctx, g, "0000-0000-0000-0000", map[string]string{"k": "v"})
	if codes.Of(err) != codes.InvalidParameterMessageUID || err.Error() != unknown.Error() {
		t.Fatalf("before joining: %v; unknown: %v", err, unknown)
	}
	if err := carol.UpdateMessageExpansion(ctx, g, late.MessageUID, map[string]string{"k": "v"}); err != nil {
		t.Fatalf("after joining: %v", err)
	}
}

// lockedBuffer collects a server's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// L4: sequence numbers past the signed 64-bit range are bad input (33003),
// not server errors, and a frame of bad items is logged once, at debug.
func TestSequenceNumbersOutOfRange(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	e := newEnv(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	// A delivery receipt pending for mallory, so acks reach the store.
	alice := e.device("alice", "a1", devOpts{mod: func(c *client.Config) { c.DeliveryReceipts = true }})
	alice.connect(t, token(t, "alice", time.Hour))
	alice.send(t, text("mallory", client.Private, "hi"))
	r := e.rawUser(t, "mallory")
	const huge = 1 << 63
	for i, f := range []*pb.Frame{
		{Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: private("alice"), AfterSeq: huge}}},
		{Body: &pb.Frame_Read{Read: &pb.ReadRequest{Conv: private("alice"), Seq: huge}}},
		{Body: &pb.Frame_Sync{Sync: &pb.SyncRequest{SinceVersion: huge}}},
	} {
		f.Id = uint64(10 + i)
		r.write(f)
		if a := r.answer(f.Id); a.GetError().GetCode() != codes.InvalidParameter {
			t.Fatalf("%T: %v", f.Body, a)
		}
	}
	items := make([]*pb.AckItem, 1000)
	for i := range items {
		items[i] = &pb.AckItem{Conv: private("alice"), Seq: huge + uint64(i)}
	}
	logs.mu.Lock()
	logs.b.Reset()
	logs.mu.Unlock()
	r.write(&pb.Frame{Id: 20, Body: &pb.Frame_Ack{Ack: &pb.Ack{Items: items}}})
	if f := r.answer(20); f.GetError().GetCode() != codes.InvalidParameter {
		t.Fatalf("ack: %v", f)
	}
	if lines := strings.Count(logs.String(), "user=mallory"); lines > 1 || strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("the bad ack logged %d lines:\n%.2000s", lines, logs.String())
	}
	// The same as the SDK sends acks, without a request id, gets no answer
	// (an Error of id 0 would end the connection for the client): the next
	// frame to come is the pong of the ping after it.
	r.write(&pb.Frame{Body: &pb.Frame_Ack{Ack: &pb.Ack{Items: items}}})
	r.write(&pb.Frame{Id: 21, Body: &pb.Frame_Ping{Ping: &pb.Ping{}}})
	for {
		f, err := r.read()
		if err != nil {
			t.Fatal(err)
		}
		if f.GetPush() != nil {
			continue
		}
		if f.Id != 21 || f.GetPong() == nil {
			t.Fatalf("after an ack of id 0: %v", f)
		}
		break
	}
}

// Review fixes at the edges: a kick revokes a token minted earlier in its
// second, and one minted after it still connects; a RongCloud expiry ahead
// of now is refused (it would lock the user out for good); the admin
// friends and blacklist calls refuse a list before changing any of it.
func TestRevocationAndListEdges(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Now().Truncate(time.Second).Add(100 * time.Millisecond)}
	e := newEnv(t, func(c *server.Config) { c.Now = clk.now })
	mint := func() string {
		t.Helper()
		return e.adminOK(t, "POST", "/v1/users/alice/token", nil)["token"].(string)
	}
	before := mint()
	clk.add(500 * time.Millisecond)
	e.adminOK(t, "POST", "/v1/users/alice/kick", nil)
	after := mint() // same second as the kick
	clk.add(time.Second)
	if ok := e.raw(t).auth(before); ok.GetAuthOk() != nil {
		t.Fatalf("a token minted 0.5 s before the kick still connects")
	}
	if ok := e.raw(t).auth(after); ok.GetAuthOk() == nil {
		t.Fatalf("a token minted after the kick, in its second, is refused: %v", ok)
	}

	ahead := strconv.FormatInt(clk.now().UnixMicro(), 10) // microseconds taken for milliseconds
	if status, out := e.rcCall(t, "user/token/expire.json", url.Values{"userId": {"alice"}, "time": {ahead}}, appSecret, clk.now()); status != 400 {
		t.Fatalf("an expiry far ahead: %d %v", status, out)
	}
	if ok := e.raw(t).auth(after); ok.GetAuthOk() == nil {
		t.Fatalf("a refused expiry changed the user's tokens: %v", ok)
	}

	for _, path := range []string{"/v1/users/alice/friends", "/v1/users/alice/blacklist"} {
		if status, _ := e.admin("POST", path, map[string]any{"userIds": []string{"bob", "alice"}}); status != 400 {
			t.Fatalf("%s with alice herself: %d", path, status)
		}
		if _, out := e.admin("GET", path, nil); strings.Contains(fmt.Sprint(out), "bob") {
			t.Fatalf("a refused %s changed the list: %v", path, out)
		}
	}
}
