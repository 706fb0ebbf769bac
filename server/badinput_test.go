package server_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// raw is a hand-driven protocol client, for what the engine never sends.
type raw struct {
	t *testing.T
	c *websocket.Conn
}

func (e *env) raw(t *testing.T) *raw {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.wsURL(), &websocket.DialOptions{Subprotocols: []string{server.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(4 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return &raw{t, c}
}

func (r *raw) writeBytes(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.c.Write(ctx, websocket.MessageBinary, b)
}

func (r *raw) write(f *pb.Frame) {
	r.t.Helper()
	b, _ := f.Marshal()
	if err := r.writeBytes(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *raw) read() (*pb.Frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := r.c.Read(ctx)
	if err != nil {
		return nil, err
	}
	f := &pb.Frame{}
	return f, f.Unmarshal(b)
}

// answer reads frames until the one answering id.
func (r *raw) answer(id uint64) *pb.Frame {
	r.t.Helper()
	for {
		f, err := r.read()
		if err != nil {
			r.t.Fatalf("waiting for answer %d: %v", id, err)
		}
		if f.Id == id && f.GetPush() == nil {
			return f
		}
	}
}

func (r *raw) auth(tok string) *pb.Frame {
	r.write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: tok, AppKey: appKey, DeviceId: "raw"}}})
	f, err := r.read()
	if err != nil {
		r.t.Fatal(err)
	}
	return f
}

func closeStatus(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

func TestBadInputBeforeAuth(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.AuthTimeout = 300 * time.Millisecond })
	t.Run("no first frame", func(t *testing.T) {
		r := e.raw(t)
		start := time.Now()
		_, err := r.read()
		// coder/websocket drops the connection when the read deadline
		// passes, so the client sees it end rather than a close frame.
		if err == nil || time.Since(start) > 3*time.Second {
			t.Fatalf("got %v after %v", err, time.Since(start))
		}
	})
	cases := []struct {
		name string
		send func(r *raw)
		want int32
	}{
		{"garbage", func(r *raw) { r.writeBytes([]byte{0xff, 0xff, 0xff}) }, codes.InvalidParameter},
		{"not auth", func(r *raw) { r.write(&pb.Frame{Id: 1, Body: &pb.Frame_Ping{Ping: &pb.Ping{}}}) }, codes.ConnTokenIncorrect},
		{"wrong app key", func(r *raw) {
			r.write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: token(t, "a", time.Hour), AppKey: "other", DeviceId: "d"}}})
		}, codes.ConnTokenIncorrect},
		{"no device", func(r *raw) {
			r.write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: token(t, "a", time.Hour), AppKey: appKey}}})
		}, codes.InvalidParameter},
		{"device id with U+0000", func(r *raw) { // PostgreSQL keeps device ids (Web Push): 500 there
			r.write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: token(t, "a", time.Hour), AppKey: appKey, DeviceId: "d\x00"}}})
		}, codes.InvalidParameter},
		{"admin token", func(r *raw) {
			tok, _ := authAdmin()
			r.write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: tok, AppKey: appKey, DeviceId: "d"}}})
		}, codes.ConnTokenIncorrect},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.raw(t)
			c.send(r)
			f, err := r.read()
			if err != nil || f.GetError().GetCode() != c.want {
				t.Fatalf("got %v %v, want error %d", f, err, c.want)
			}
			if _, err := r.read(); closeStatus(err) != 4001 {
				t.Fatalf("connection not closed: %v", err)
			}
		})
	}
}

func TestBadInputAfterAuthKeepsConnection(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.SendRate = 5; c.SendBurst = 3; c.MaxContentBytes = 1000 })
	e.admin("POST", "/v1/groups", map[string]any{"groupId": "g", "name": "g", "ownerId": "owner"})
	r := e.raw(t)
	if ok := r.auth(token(t, "mallory", time.Hour)); ok.GetAuthOk().GetUserId() != "mallory" {
		t.Fatalf("auth: %v", ok)
	}
	alive := func(id uint64) {
		t.Helper()
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Ping{Ping: &pb.Ping{}}})
		if f := r.answer(id); f.GetPong() == nil {
			t.Fatalf("ping %d: %v", id, f)
		}
	}
	send := func(id uint64, conv *pb.Conversation, content []byte) *pb.Frame {
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: conv, ClientMsgId: "c" + string(rune('a'+id)), ObjectName: "RC:TxtMsg", Content: content}}})
		return r.answer(id)
	}
	// Malformed frame: an error, and the loop goes on.
	r.writeBytes([]byte{0x0a, 0xff})
	if f, _ := r.read(); f.GetError().GetCode() != codes.InvalidParameter {
		t.Fatalf("malformed: %v", f)
	}
	alive(2)
	ctx := context.Background()
	r.c.Write(ctx, websocket.MessageText, []byte("hello"))
	if f, _ := r.read(); f.GetError().GetCode() != codes.InvalidParameter {
		t.Fatalf("text frame: %v", f)
	}
	cases := []struct {
		name string
		conv *pb.Conversation
		body []byte
		want int32
	}{
		{"not a member", &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}, []byte(`{}`), codes.NotInGroup},
		{"unknown group", &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "nope"}, []byte(`{}`), codes.NotInGroup},
		{"bad target", &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "a:b"}, []byte(`{}`), codes.InvalidParameterTargetID},
		{"bad type", &pb.Conversation{Type: 42, Target: "bob"}, []byte(`{}`), codes.InvalidParameterConversationType},
		{"too large", &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, bytes.Repeat([]byte("x"), 1001), codes.MsgContentExceedLimit},
	}
	for i, c := range cases {
		e.clock.add(250 * time.Millisecond) // stay under the rate limit
		if f := send(uint64(10+i), c.conv, c.body); f.GetError().GetCode() != c.want {
			t.Fatalf("%s: %v", c.name, f)
		}
	}
	r.write(&pb.Frame{Id: 30, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}}}})
	if f := r.answer(30); f.GetError().GetCode() != codes.NotInGroup {
		t.Fatalf("pull non-member: %v", f)
	}
	r.write(&pb.Frame{Id: 31, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "x"}}}})
	if f := r.answer(31); f.GetPullResult() == nil || len(f.GetPullResult().Messages) != 0 {
		t.Fatalf("pull empty private conversation: %v", f)
	}
	// The rate limit: a burst beyond the bucket is refused with 20604.
	e.clock.add(700 * time.Millisecond) // the bucket is full again
	var limited int
	for i := 0; i < 8; i++ {
		if f := send(uint64(40+i), &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, []byte(`{}`)); f.GetError().GetCode() == codes.SendFrequencyTooFast {
			limited++
		}
	}
	if limited < 4 {
		t.Fatalf("only %d of 8 rapid sends limited", limited)
	}
	alive(50)
	// An oversized frame ends this connection; the server lives on.
	r.writeBytes(make([]byte, 300<<10))
	if _, err := r.read(); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("oversized frame: %v", err)
	}
	r2 := e.raw(t)
	if ok := r2.auth(token(t, "mallory", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatalf("server did not survive: %v", ok)
	}
}
