package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// hookReceiver is the app's backend on a loopback port: it checks each
// call's signature as docs/http-api.md tells a backend to, records the
// events (a call of several: each), and answers with what answer says
// (for a call of several, what it says of the first it does not answer
// 200 for).
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(ev map[string]any) (status int, body string)
	mu     sync.Mutex
	events []map[string]any
	bad    []string // why a call was not trusted
}

func newHookReceiver(t *testing.T, answer func(ev map[string]any) (int, string)) *hookReceiver {
	h := &hookReceiver{t: t, answer: answer}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, err := strconv.ParseInt(r.Header.Get("X-Imwasm-Timestamp"), 10, 64)
		var call struct{ Events []map[string]any }
		h.mu.Lock()
		switch {
		case err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute:
			h.bad = append(h.bad, "timestamp "+r.Header.Get("X-Imwasm-Timestamp"))
		case r.Header.Get("X-Imwasm-Signature") != server.SignWebhook([]byte(appSecret), ts, body):
			h.bad = append(h.bad, "signature")
		case json.Unmarshal(body, &call) != nil || len(call.Events) == 0:
			h.bad = append(h.bad, "body "+string(body))
		default:
			for _, e := range call.Events {
				if e["id"] == nil || e["type"] == nil {
					h.bad = append(h.bad, "event "+string(body))
				}
			}
			if id := r.Header.Get("X-Imwasm-Event-Id"); id != "" && (len(call.Events) != 1 || call.Events[0]["id"] != id) {
				h.bad = append(h.bad, "event id header "+id)
			}
			h.events = append(h.events, call.Events...)
		}
		h.mu.Unlock()
		// The first event answered otherwise than 200 answers for the
		// call; before-send calls are answered {answers: [...]}.
		status, ans := 200, ""
		var answers []string
		for _, e := range call.Events {
			if status, ans = h.answer(e); status != 200 {
				break
			}
			answers = append(answers, ans)
		}
		if status == 200 && len(call.Events) > 0 && call.Events[0]["type"] == "message.beforeSend" {
			ans = `{"answers":[` + strings.Join(answers, ",") + `]}`
		}
		if status == 0 {
			<-r.Context().Done() // the caller gave up: a timeout
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, ans)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) seen() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bad) > 0 {
		h.t.Fatalf("calls not to be trusted: %v", h.bad)
	}
	return slices.Clone(h.events)
}

// The before-send webhook: the backend sees each message before it is
// stored and passes it, blocks it (the sender gets the code, nothing is
// stored or delivered) or replaces its content (everyone, the sender's
// device included, has the replacement); a backend that does not answer in
// time is taken as the failure policy says. Every call is signed.
func TestBeforeSendWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) {})
	ctx := context.Background()
	h := newHookReceiver(t, func(ev map[string]any) (int, string) {
		msg, _ := ev["message"].(map[string]any)
		content, _ := msg["content"].(map[string]any)
		switch content["content"] {
		case "spam":
			return 200, `{"action":"block"}`
		case "coded":
			return 200, `{"action":"block","code":20605,"message":"not here"}`
		case "damn":
			return 200, `{"action":"replace","content":{"content":"d***"}}`
		case "expand": // a replacement larger than 64 KiB, inside the content limit
			return 200, `{"action":"replace","content":{"content":"` + strings.Repeat("x", 80<<10) + `"}}`
		case "broken":
			return 500, `oops`
		case "slow":
			return 0, "" // never answers (newHookReceiver waits for the caller to give up)
		}
		return 200, `{"action":"pass"}`
	})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	if status, body := e.admin("PUT", "/v1/settings", map[string]any{"beforeSendUrl": "ftp://x"}); status != 400 {
		t.Fatalf("a URL that is not http: %d %v", status, body)
	}
	// Long enough for every answer on a busy machine; the silent backend
	// takes all of it.
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendUrl": h.srv.URL + "/hook", "beforeSendTimeoutMs": 3000})

	alice.send(t, text("bob", client.Private, "hello"))
	_, err := alice.SendMessage(ctx, text("bob", client.Private, "spam"), client.SendOptions{})
	wantCode(t, "a blocked message", err, codes.SensitiveShield)
	_, err = alice.SendMessage(ctx, text("bob", client.Private, "coded"), client.SendOptions{})
	wantCode(t, "a message blocked with the backend's code", err, 20605)
	sent := alice.send(t, text("bob", client.Private, "damn"))
	if got := contents([]*client.Message{sent}); got[0] != "d***" {
		t.Fatalf("the sender's record of a replaced message: %v", got)
	}
	if got := contents([]*client.Message{alice.send(t, text("bob", client.Private, "expand"))}); len(got[0]) != 80<<10 {
		t.Fatalf("the sender's record of a message replaced with 80 KiB: %d bytes", len(got[0]))
	}
	// A backend failing, or not answering in time: stored as sent (policy pass).
	alice.send(t, text("bob", client.Private, "broken"))
	alice.send(t, text("bob", client.Private, "slow"))
	bob.waitFor(t, "the messages that went", func(got []*client.Message, _ []client.Event) bool { return len(got) == 5 })
	if got := contents(bob.messages()); !slices.Equal(got, []string{"hello", "d***", strings.Repeat("x", 80<<10), "broken", "slow"}) {
		t.Fatalf("bob got %d messages: %.40q", len(got), got)
	}
	evs := h.seen()
	if len(evs) != 7 {
		t.Fatalf("%d calls for 7 sends", len(evs))
	}
	first := evs[0]
	msg := first["message"].(map[string]any)
	if first["type"] != "message.beforeSend" || msg["fromUserId"] != "alice" || msg["targetId"] != "bob" || msg["conversationType"] != float64(1) ||
		msg["objectName"] != "RC:TxtMsg" || msg["clientMsgId"] == "" {
		t.Fatalf("the first event: %v", first)
	}

	// Policy block: a backend that fails blocks the message.
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendOnFailure": "block"})
	_, err = alice.SendMessage(ctx, text("bob", client.Private, "broken"), client.SendOptions{})
	wantCode(t, "a message the failing backend did not pass", err, codes.SensitiveShield)
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendUrl": ""})
	alice.send(t, text("bob", client.Private, "spam")) // no webhook: stored as sent
	bob.waitFor(t, "the last", func(got []*client.Message, _ []client.Event) bool { return len(got) == 6 })
	if n := len(h.seen()); n != 8 {
		t.Fatalf("%d calls, want 8 (none once the URL is unset)", n)
	}
}

// The events webhook: users going online and offline and every message
// stored reach the backend from the outbox, signed; a failed delivery is
// retried later with the same event id; events owed when the server stops
// are delivered after it starts again.
func TestEventsWebhook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	var mu sync.Mutex
	failing := map[string]bool{"m1": true} // fail once: its first try
	down := false
	h := newHookReceiver(t, func(ev map[string]any) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 503, "down"
		}
		if msg, ok := ev["message"].(map[string]any); ok {
			c, _ := msg["content"].(map[string]any)
			if s, _ := c["content"].(string); failing[s] {
				delete(failing, s)
				return 500, "try again"
			}
		}
		return 200, ""
	})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": h.srv.URL + "/events"})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	alice.send(t, text("bob", client.Private, "m1"))
	alice.send(t, text("bob", client.Private, "m2"))
	// m1's retry is due in a second (the server's clock).
	e.clock.add(2 * time.Second)
	alice.send(t, text("bob", client.Private, "m3"))
	bob.Disconnect()

	type seen struct{ types, texts map[string]int }
	count := func() seen {
		s := seen{map[string]int{}, map[string]int{}}
		for _, ev := range h.seen() {
			typ := ev["type"].(string)
			if data, ok := ev["data"].(map[string]any); ok {
				typ += ":" + data["userId"].(string)
			}
			s.types[typ]++
			if msg, ok := ev["message"].(map[string]any); ok {
				c, _ := msg["content"].(map[string]any)
				s.texts[c["content"].(string)]++
			}
		}
		return s
	}
	deadline := time.Now().Add(20 * time.Second)
	// m1 twice: its failed try, then its retry (with whatever shared its failed call).
	for c := count(); !(c.texts["m1"] == 2 && c.texts["m2"] >= 1 && c.texts["m3"] >= 1 && c.types["user.offline:bob"] >= 1); c = count() {
		if time.Now().After(deadline) {
			t.Fatalf("events delivered: %v %v", c.types, c.texts)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The failed call's events went twice, under their ids; each other once.
	posts := map[string]int{}
	for _, ev := range h.seen() {
		posts[ev["id"].(string)]++
	}
	c := count()
	if len(posts) != 6 || c.types["user.online:alice"] < 1 || c.types["user.online:bob"] < 1 || c.types["message.stored"] < 4 {
		t.Fatalf("events: %v (ids %v)", c.types, posts)
	}
	// m1 was posted twice (a failure, then its retry), under one id.
	var m1IDs []string
	for _, ev := range h.seen() {
		if msg, ok := ev["message"].(map[string]any); ok && msg["content"].(map[string]any)["content"] == "m1" {
			m1IDs = append(m1IDs, ev["id"].(string))
			if msg["fromUserId"] != "alice" || msg["targetId"] != "bob" || msg["messageUId"] == "" || msg["sentTime"] == float64(0) {
				t.Fatalf("m1's event: %v", ev)
			}
		}
	}
	if len(m1IDs) != 2 || m1IDs[0] != m1IDs[1] {
		t.Fatalf("m1 posted under %v", m1IDs)
	}

	// Owed when the server stops: delivered once it runs again.
	mu.Lock()
	down = true
	mu.Unlock()
	alice.send(t, text("bob", client.Private, "m4"))
	alice.Disconnect()
	e.stop()
	mu.Lock()
	down = false
	mu.Unlock()
	e2 := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	waitFor(t, "m4 after the restart", func() bool { return count().texts["m4"] >= 1 })

	// Group changes: one group.changed each, as the members are told.
	e2.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "Team", "ownerId": "alice", "memberIds": []string{"bob"}})
	e2.adminOK(t, "POST", "/v1/groups/g1/members", map[string]any{"userIds": []string{"carol"}})
	var changes []string
	waitFor(t, "the group's events", func() bool {
		changes = nil
		for _, ev := range h.seen() {
			if ev["type"] == "group.changed" {
				d := ev["data"].(map[string]any)
				if d["groupId"] != "g1" || ev["message"].(map[string]any)["objectName"] != "RC:GrpNtf" {
					t.Fatalf("a group event: %v", ev)
				}
				changes = append(changes, d["operation"].(string))
			}
		}
		return len(changes) >= 2
	})
	slices.Sort(changes) // posted 8 at a time: in any order
	if !slices.Equal(changes, []string{"Add", "Create"}) {
		t.Fatalf("group events: %v", changes)
	}
}

// On a cluster (PostgreSQL, NATS), both nodes deliver from the one outbox
// and each event reaches the backend once: a claim takes the events no
// other node holds.
func TestClusterEventsWebhook(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	n1.adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": h.srv.URL + "/events"})
	alice := n0.device("alice", "a1", devOpts{})
	bob := n1.device("bob", "b1", devOpts{})
	waitFor(t, "both nodes have the setting", func() bool {
		_, st := n0.admin("GET", "/v1/settings", nil)
		data, _ := st["data"].(map[string]any)
		return data["webhookUrl"] == h.srv.URL+"/events"
	})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	const n = 40
	for i := range n {
		alice.send(t, text("bob", client.Private, "a"+strconv.Itoa(i)))
		bob.send(t, text("alice", client.Private, "b"+strconv.Itoa(i)))
	}
	byID := map[string]int{}
	waitFor(t, "every message's event", func() bool {
		clear(byID)
		stored := 0
		for _, ev := range h.seen() {
			byID[ev["id"].(string)]++
			if ev["type"] == "message.stored" {
				stored++
			}
		}
		return stored >= 2*n
	})
	for id, k := range byID {
		if k != 1 {
			t.Errorf("event %s delivered %d times", id, k)
		}
	}
}

// kill -9 in the middle of a stream of messages while the backend is
// down: after a restart, every acknowledged message's event reaches it,
// and its push to bob (offline) too.
func TestKill9KeepsEveryWebhookEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it mid-stream: runs without -short")
	}
	bin := buildIMWasm(t)
	addr := freeAddr(t)
	data := t.TempDir()
	lease := []string{"--webhook-lease", "2s"} // what a dead node's claims hold: short, so the test waits little
	p := startServe(t, bin, addr, data, lease...)
	e := &env{t: t, url: "http://" + addr}
	var up atomic.Bool // the backend answers 503 until the restart
	h := newHookReceiver(t, func(map[string]any) (int, string) {
		if up.Load() {
			return 200, ""
		}
		return 503, "down"
	})
	// Bob never connects: each message owes him a push too (the offline-push
	// webhook), which rides on the same outbox.
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": h.srv.URL + "/events", "pushWebhookUrl": h.srv.URL + "/push"})
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))

	const n = 200
	stream := startStream(t, alice, "bob", n)
	waitFor(t, "80 acknowledged sends", func() bool { return stream.count.Load() >= 80 })
	p.cmd.Process.Kill() // no shutdown: claims are left as they are
	p.cmd.Wait()
	up.Store(true)
	startServe(t, bin, addr, data, lease...)
	acked := stream.wait()
	delivered := func() (stored, pushed int) {
		ok, push := map[string]bool{}, map[string]bool{}
		for _, ev := range h.seen() {
			if msg, _ := ev["message"].(map[string]any); msg != nil && acked[msg["messageUId"].(string)] {
				ok[msg["messageUId"].(string)] = true
			}
			if d, _ := ev["data"].(map[string]any); ev["type"] == "message.push" && d["userId"] == "bob" && acked[d["messageUId"].(string)] {
				push[d["messageUId"].(string)] = true
			}
		}
		return len(ok), len(push)
	}
	// Those claimed when the server died come again once their claim ends.
	deadline := time.Now().Add(30 * time.Second)
	for stored, pushed := delivered(); stored < len(acked) || pushed < len(acked); stored, pushed = delivered() {
		if time.Now().After(deadline) {
			t.Fatalf("of %d acknowledged messages, %d events and %d pushes delivered", len(acked), stored, pushed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A resend of a message already stored (its ack lost) is answered with the
// stored one without asking the backend again: a backend down by then
// (policy block) must not fail a message that was delivered.
func TestBeforeSendSkipsAResendOfAStoredMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) {})
	var failing atomic.Bool
	h := newHookReceiver(t, func(map[string]any) (int, string) {
		if failing.Load() {
			return 500, "down"
		}
		return 200, `{"action":"pass"}`
	})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendUrl": h.srv.URL + "/hook", "beforeSendTimeoutMs": 3000, "beforeSendOnFailure": "block"})
	r := e.raw(t)
	r.auth(token(t, "alice", time.Hour))
	send := func(id uint64, cid string) *pb.Frame {
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"},
			ClientMsgId: cid, ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hello"}`), IsPersisted: true, IsCounted: true}}})
		return r.answer(id)
	}
	first := send(2, "cm1").GetSendAck()
	if first == nil || len(h.seen()) != 1 {
		t.Fatalf("the first send: %v, %d calls", first, len(h.seen()))
	}
	failing.Store(true)
	if ack := send(3, "cm1").GetSendAck(); ack == nil || ack.MessageUid != first.MessageUid || !ack.Duplicate {
		t.Fatalf("the resend of stored %s: %v", first.MessageUid, ack)
	}
	if n := len(h.seen()); n != 1 {
		t.Fatalf("the backend was asked %d times, want once", n)
	}
	if f := send(4, "cm2"); f.GetError().GetCode() != codes.SensitiveShield { // a new message still is asked
		t.Fatalf("a new message while the backend is down: %v", f)
	}
}
