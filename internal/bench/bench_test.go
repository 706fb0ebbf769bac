package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// serveEnv makes the test binary act as `imwasm serve` for the idle
// scenario, which starts the server as a process of its own.
const serveEnv = "IMWASM_BENCH_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		os.Exit(testServe(os.Args[1:]))
	}
	if len(os.Args) > 3 && os.Args[1] == "bench" && os.Args[2] == "--serve-backend" {
		// The webhooks' backend process (startBackend), with the test
		// binary as Config.Exe.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		var delay time.Duration
		for i := 4; i+1 < len(os.Args); i++ {
			if os.Args[i] == "--before-send" {
				delay, _ = time.ParseDuration(os.Args[i+1])
			}
		}
		if err := ServeBackend(ctx, os.Stdout, os.Stderr, os.Args[3] == "before-send", delay); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testServe understands the arguments startProcess passes.
func testServe(args []string) int {
	cfg := server.Config{}
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--data":
			cfg.DataDir = args[i+1]
		case "--app-key":
			cfg.AppKey = args[i+1]
		case "--app-secret":
			cfg.AppSecret = args[i+1]
		case "--send-rate":
			cfg.SendRate = -1
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := server.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("imwasm listening on http://%s\n", ln.Addr())
	srv.Serve(ctx, ln)
	srv.Close()
	return 0
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	if cfg.WarmUp == 0 {
		cfg.WarmUp = 200 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	t.Logf("%s", b)
	return r
}

func checkDelivery(t *testing.T, r *Result, sends, fanout int, dur time.Duration) {
	t.Helper()
	if r.Sent != int64(sends) || r.Acked != int64(sends) {
		t.Errorf("sent %d, acked %d; want %d", r.Sent, r.Acked, sends)
	}
	if r.Expected != int64(sends*fanout) || r.Messages != r.Expected || r.Lost != 0 {
		t.Errorf("delivered %d of %d, lost %d; want all %d", r.Messages, r.Expected, r.Lost, sends*fanout)
	}
	if len(r.Errors) != 0 {
		t.Errorf("errors %v", r.Errors)
	}
	if want := float64(sends*fanout) / dur.Seconds(); math.Abs(r.MsgsPerSec-want) > 0.01*want {
		t.Errorf("msgs_per_sec %v, want %v", r.MsgsPerSec, want)
	}
	if !(r.P50Ms > 0 && r.P50Ms <= r.P99Ms && r.P99Ms <= r.MaxMs && r.MaxMs < 5000) {
		t.Errorf("latencies p50 %v p99 %v max %v", r.P50Ms, r.P99Ms, r.MaxMs)
	}
	// Pushes queued for one connection go out concatenated in one frame
	// (more of them on a busy machine), so a push frame may carry several
	// messages: fewer push frames than messages is no loss (Lost says that).
	if r.Frames["sent.send"] != int64(sends) || r.Frames["received.push"] < 1 {
		t.Errorf("frames %v", r.Frames)
	}
}

func TestP2P(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	t.Run("limit off", func(t *testing.T) {
		r := run(t, Config{Scenario: "p2p", Clients: 20, Rate: 200, Duration: time.Second})
		if r.RateLimit || r.Clients != 20 || r.Senders != 20 || r.Fanout != 1 || r.Server != "in-process" {
			t.Errorf("result %+v", r)
		}
		checkDelivery(t, r, 200, 1, time.Second)
	})
	t.Run("lean store", func(t *testing.T) {
		r := run(t, Config{Scenario: "p2p", Clients: 20, Rate: 200, Duration: time.Second, Store: "lean"})
		if r.Store != "lean" {
			t.Errorf("store %q", r.Store)
		}
		checkDelivery(t, r, 200, 1, time.Second)
	})
	t.Run("limit on", func(t *testing.T) {
		// 4 msg/s per client, under the 5/s limit with room for a
		// scheduling hiccup on a loaded CI machine: nothing refused.
		r := run(t, Config{Scenario: "p2p", Clients: 20, Rate: 80, Duration: time.Second, RateLimit: true})
		if !r.RateLimit {
			t.Error("rate_limit false")
		}
		checkDelivery(t, r, 80, 1, time.Second)
	})
}

// With --before-send, every send is first passed by the backend the bench
// runs in a process of its own, and all of them still arrive.
func TestP2PBeforeSend(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	r := run(t, Config{Scenario: "p2p", Clients: 20, Rate: 100, Duration: time.Second, BeforeSend: time.Millisecond, Exe: exe})
	checkDelivery(t, r, 100, 1, time.Second)
	if r.P50Ms < 1 {
		t.Errorf("p50 %v ms: the backend's 1 ms is not in it", r.P50Ms)
	}
}

// With --webhook, every message's event is posted to the bench's backend
// (here in the bench's process) from the outbox, and the messages still
// all arrive.
func TestP2PWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	r := run(t, Config{Scenario: "p2p", Clients: 20, Rate: 100, Duration: time.Second, Webhook: true, BackendInProcess: true})
	checkDelivery(t, r, 100, 1, time.Second)
}

func TestP2PRefusedAboveLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	// 10 msg/s per client against the 5/s limit (burst 5 in the SDK): the
	// refusals are reported as errors and as lost.
	r := run(t, Config{Scenario: "p2p", Clients: 4, Rate: 40, Duration: 2 * time.Second, RateLimit: true})
	if r.Errors["20604"] == 0 || r.Acked+r.Errors["20604"] != r.Sent || r.Lost != r.Errors["20604"] {
		t.Errorf("sent %d acked %d lost %d errors %v", r.Sent, r.Acked, r.Lost, r.Errors)
	}
}

func TestGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	r := run(t, Config{Scenario: "group", Members: 20, Rate: 20, Duration: time.Second, RateLimit: true})
	if r.Clients != 20 || r.Members != 20 || r.Senders != 5 || r.Fanout != 19 {
		t.Errorf("result %+v", r)
	}
	checkDelivery(t, r, 20, 19, time.Second)
	if r.Store != "mem" {
		t.Errorf("store %q", r.Store)
	}
}

func TestGroupLean(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	r := run(t, Config{Scenario: "group", Members: 20, Rate: 20, Duration: time.Second, Store: "lean"})
	checkDelivery(t, r, 20, 19, time.Second)
}

func TestIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	r := run(t, Config{
		Scenario: "idle", Clients: 50, Settle: 300 * time.Millisecond, RateLimit: true,
		Exe: exe, ServerEnv: []string{serveEnv + "=1"},
	})
	if r.Server != "process" || r.Clients != 50 || r.ServerSessions != 50 || r.Lost != 0 {
		t.Errorf("result %+v", r)
	}
	if r.RSSBefore <= 0 || r.RSSAfter <= 0 || r.ServerBytesPerConn != math.Round(float64(r.RSSAfter-r.RSSBefore)/50) {
		t.Errorf("rss %d -> %d, %v per connection", r.RSSBefore, r.RSSAfter, r.ServerBytesPerConn)
	}
}

// The chatroom scenario: members in one room, the server in a process of
// its own, every delivery counted, the memory per member reported.
func TestChatroom(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	r := run(t, Config{Scenario: "chatroom", Members: 30, Rate: 10, Duration: time.Second, RateLimit: true,
		Exe: exe, ServerEnv: []string{serveEnv + "=1"}})
	if r.Server != "process" || r.Clients != 30 || r.Members != 30 || r.Senders != DefaultChatroomSenders || r.Fanout != 29 {
		t.Errorf("result %+v", r)
	}
	checkDelivery(t, r, 10, 29, time.Second)
	if r.RSSBefore <= 0 || r.RSSAfter <= 0 || r.ServerBytesPerConn != math.Round(float64(r.RSSAfter-r.RSSBefore)/30) {
		t.Errorf("rss %d -> %d, %v per member", r.RSSBefore, r.RSSAfter, r.ServerBytesPerConn)
	}
}

// The ultragroup scenario measures the same load at two group sizes, the
// members beyond those online offline, all delivered in both.
func TestUltraGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	r := run(t, Config{Scenario: "ultragroup", Members: 30, Rate: 10, Duration: time.Second, RateLimit: true,
		UltraSizes: []int{40, 1500, 40}, Exe: exe, ServerEnv: []string{serveEnv + "=1"}})
	u := r.UltraGroup
	if u == nil || len(u.Phases) != 3 || u.Phases[0].Members != 40 || u.Phases[1].Members != 1500 || u.Phases[2].Members != 40 ||
		u.Online != 30 || u.Channels != UltraChannels {
		t.Fatalf("result %+v %+v", r, u)
	}
	for _, p := range u.Phases {
		if p.Acked != 10 || p.Lost != 0 || p.MsgsPerSec != 10*29 || p.ServerCPUPerMsgUs <= 0 {
			t.Errorf("%d members: %+v", p.Members, p)
		}
	}
	if want := num(u.Phases[1].ServerCPUPerMsgUs / ((u.Phases[0].ServerCPUPerMsgUs + u.Phases[2].ServerCPUPerMsgUs) / 2)); u.CPURatio != want {
		t.Errorf("cpu ratio %v, want %v", u.CPURatio, want)
	}
	checkDelivery(t, r, 10, 29, time.Second)
}

func TestJSONShape(t *testing.T) {
	r := &Result{Scenario: "p2p", Clients: 2, Errors: map[string]int64{"20604": 1}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	numbers := []string{"clients", "messages", "seconds", "msgs_per_sec", "p50_ms", "p99_ms", "server_bytes_per_conn", "lost"}
	for _, k := range numbers {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s: %#v, want a number", k, m[k])
		}
	}
	if m["scenario"] != "p2p" {
		t.Errorf("scenario %#v", m["scenario"])
	}
	if _, ok := m["rate_limit"].(bool); !ok {
		t.Errorf("rate_limit %#v", m["rate_limit"])
	}
	if e, ok := m["errors"].(map[string]any); !ok || e["20604"] != 1.0 {
		t.Errorf("errors %#v", m["errors"])
	}
	// NaN latencies (nothing delivered) must not break the encoding.
	if num(math.NaN()) != 0 {
		t.Error("num(NaN) != 0")
	}
}

func TestHistogram(t *testing.T) {
	h := new(hist)
	var exact []float64
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		// Log-uniform from 10µs to 10s.
		d := time.Duration(math.Exp(math.Log(1e4)+rng.Float64()*math.Log(1e6))) * time.Nanosecond
		d = d.Round(time.Microsecond)
		h.record(d)
		exact = append(exact, float64(d)/1e6)
	}
	slices.Sort(exact)
	for _, q := range []float64{.5, .9, .99, .999, 1} {
		want := exact[int(math.Ceil(q*float64(len(exact))))-1]
		got := h.quantile(q)
		if math.Abs(got-want) > 0.01*want {
			t.Errorf("q%v: %v, want %v (±1%%)", q, got, want)
		}
	}
	if h.count() != 200000 {
		t.Errorf("count %d", h.count())
	}
	if !math.IsNaN(new(hist).quantile(.5)) {
		t.Error("empty histogram quantile is not NaN")
	}
	for v := int64(0); v < 1<<20; v += 7 {
		lo, w := bucketRange(bucketOf(v))
		if v < lo || v >= lo+w {
			t.Fatalf("%d in bucket [%d,%d)", v, lo, lo+w)
		}
	}
}

func TestContent(t *testing.T) {
	b := appendContent(nil, 7, 1234567890123)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	r, ts, ok := scanContent(b)
	if !ok || r != 7 || ts != 1234567890123 {
		t.Errorf("scan %s: %d %d %v", b, r, ts, ok)
	}
	for _, bad := range []string{``, `{"content":"hi"}`, `{"content":"x","r":1}`, `{"r":,"t":}`} {
		if _, _, ok := scanContent([]byte(bad)); ok {
			t.Errorf("scan %q: ok", bad)
		}
	}
}

func TestBodyField(t *testing.T) {
	for _, c := range []struct {
		f    *pb.Frame
		want int // the body's field number in imwasm.proto
	}{
		{&pb.Frame{Id: 7, Body: &pb.Frame_Send{Send: &pb.SendRequest{ClientMsgId: "x"}}}, 10},
		{&pb.Frame{Body: &pb.Frame_Ack{Ack: &pb.Ack{}}}, 9},
		{&pb.Frame{Id: 1 << 40, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{}}}, 14},
	} {
		f, want := c.f, c.want
		b, err := f.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got := bodyField(b); got != want {
			t.Errorf("%v: field %d, want %d", f, got, want)
		}
	}
}

func TestLeanStore(t *testing.T) {
	ctx := context.Background()
	s := newLeanStore()
	conv := client.Conversation{Type: client.Private, TargetID: "b"}
	send := &client.Message{Conversation: conv, ClientMsgID: "c1", Direction: client.DirectionSend, Content: []byte("x")}
	got := &client.Message{Conversation: conv, MessageUID: "u-got", Direction: client.DirectionReceive}
	if err := s.Apply(ctx, &client.Batch{Messages: []*client.Message{send, got, send}, Meta: map[string][]byte{"k": []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	if send.MessageID == 0 || got.MessageID == 0 || send.MessageID == got.MessageID {
		t.Fatalf("ids %d %d", send.MessageID, got.MessageID)
	}
	send.Content[0] = 'y' // the store holds a copy
	m, _ := s.MessageByClientID(ctx, "c1")
	if m == nil || m.MessageID != send.MessageID || string(m.Content) != "x" {
		t.Fatalf("by client id: %+v", m)
	}
	acked := m.Clone()
	acked.MessageUID, acked.Seq, acked.SentStatus = "u-sent", 3, client.StatusSent
	if err := s.Apply(ctx, &client.Batch{Messages: []*client.Message{acked}, Conversations: []*client.ConversationState{{Conversation: conv, Contiguous: 3}}}); err != nil {
		t.Fatal(err)
	}
	byUID, _ := s.MessagesByUID(ctx, []string{"u-sent", "u-got", "nope", ""})
	if byUID[0] == nil || byUID[0].Seq != 3 || byUID[1] == nil || byUID[1].MessageID != got.MessageID || byUID[2] != nil || byUID[3] != nil {
		t.Fatalf("by uid: %+v", byUID)
	}
	byID, _ := s.MessagesByID(ctx, []int64{send.MessageID, got.MessageID})
	if byID[0] == nil || byID[0].MessageUID != "u-sent" || byID[1] != nil {
		t.Fatalf("by id: %+v", byID)
	}
	if cs, _ := s.Conversations(ctx); len(cs) != 1 || cs[0].Contiguous != 3 {
		t.Fatalf("conversations %+v", cs)
	}
	if v, _ := s.Meta(ctx, "k"); string(v) != "v" {
		t.Fatalf("meta %q", v)
	}
	// Received ids are remembered only lately; own sends longer.
	for i := range recentUIDs {
		s.Apply(ctx, &client.Batch{Messages: []*client.Message{{Conversation: conv, MessageUID: fmt.Sprint("r", i)}}})
	}
	byUID, _ = s.MessagesByUID(ctx, []string{"u-got", "u-sent", fmt.Sprint("r", recentUIDs-1)})
	if byUID[0] != nil || byUID[1] == nil || byUID[2] == nil {
		t.Fatalf("after more messages, by uid: %+v", byUID)
	}
	if len(s.byUID) != recentUIDs+1 {
		t.Errorf("%d uids held", len(s.byUID))
	}
	// Committed sends are held lately too; one still SENDING, always.
	pending := &client.Message{Conversation: conv, ClientMsgID: "pending", Direction: client.DirectionSend, SentStatus: client.StatusSending}
	s.Apply(ctx, &client.Batch{Messages: []*client.Message{pending}})
	for i := range recentSends {
		m := &client.Message{Conversation: conv, ClientMsgID: fmt.Sprint("c-", i), Direction: client.DirectionSend, SentStatus: client.StatusSending}
		s.Apply(ctx, &client.Batch{Messages: []*client.Message{m}})
		m.MessageUID, m.SentStatus = fmt.Sprint("s-", i), client.StatusSent
		s.Apply(ctx, &client.Batch{Messages: []*client.Message{m}})
	}
	old, _ := s.MessageByClientID(ctx, "c1")
	last, _ := s.MessageByClientID(ctx, fmt.Sprint("c-", recentSends-1))
	still, _ := s.MessageByClientID(ctx, "pending")
	if old != nil || last == nil || still == nil {
		t.Fatalf("after %d more sends: oldest %v, latest %v, pending %v", recentSends, old, last, still)
	}
	if byUID, _ := s.MessagesByUID(ctx, []string{"u-sent", fmt.Sprint("s-", recentSends-1)}); byUID[0] != nil || byUID[1] == nil || byUID[1].Direction != client.DirectionSend {
		t.Fatalf("by uid after more sends: %+v", byUID)
	}
	if len(s.sends) != recentSends+1 {
		t.Errorf("%d sends held, want %d", len(s.sends), recentSends+1)
	}
}

func TestReceipts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	r := run(t, Config{Scenario: "receipts", Members: 30, Rounds: 2, RateLimit: true})
	rr := r.Receipts
	if rr == nil || rr.Rounds != 2 || len(rr.FramesPerRound) != 2 || len(rr.FinalMs) != 2 {
		t.Fatalf("result %+v", rr)
	}
	if !rr.Exact {
		t.Errorf("counts not exact: %+v", rr)
	}
	// 29 answers spread over a second reach the sender coalesced (one
	// frame per 100 ms at most, so about 11), never one frame each.
	if rr.Frames < 1 || rr.Frames >= 29 {
		t.Errorf("%d receipt frames for 29 answers", rr.Frames)
	}
	b, err := json.Marshal(rr)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if _, ok := m["frames"].(float64); !ok {
		t.Errorf("frames %#v, want a number", m["frames"])
	}
	if m["exact"] != true {
		t.Errorf("exact %#v", m["exact"])
	}
}

func TestPrefaultBytes(t *testing.T) {
	const limit = 6 << 30
	cases := []struct {
		name     string
		cfg      Config
		min, max int64
	}{
		{"p2p default", Config{Scenario: "p2p"}, 1100 << 20, 1400 << 20},
		{"p2p short", Config{Scenario: "p2p", Rate: 100, Duration: time.Second, WarmUp: -1}, 256 << 20, 258 << 20},
		{"group capped", Config{Scenario: "group"}, limit / 2, limit / 2},
		{"capacity search", Config{Scenario: "p2p", FindCapacity: true}, limit / 2, limit / 2},
		{"idle", Config{Scenario: "idle"}, 0, 0},
		{"receipts", Config{Scenario: "receipts"}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if err := cfg.defaults(); err != nil {
				t.Fatal(err)
			}
			if got := prefaultBytes(&cfg, limit); got < c.min || got > c.max {
				t.Fatalf("prefaultBytes = %d MiB, want %d..%d MiB", got>>20, c.min>>20, c.max>>20)
			}
		})
	}
}

func TestPresence(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load generator: runs without -short")
	}
	r := run(t, Config{Scenario: "presence", Clients: 40, Rate: 20, Duration: 2 * time.Second, RateLimit: true})
	p := r.Presence
	if p == nil || p.Users != 40 || p.Subscriptions != 39 || p.Flappers != 4 {
		t.Fatalf("result %+v", p)
	}
	if p.Changes == 0 || p.Failed != 0 {
		t.Fatalf("changes %d, failed %d", p.Changes, p.Failed)
	}
	// Every change reaches the subscribers online at the time (36 to
	// 39 of them); a push that arrives after its user changed again is
	// not matched to its change, so the check leaves room for those.
	if p.Deliveries < p.Changes*18 {
		t.Errorf("%d pushes for %d changes, want at least 18 each", p.Deliveries, p.Changes)
	}
}
