package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A before-send call takes the caller's job, then the oldest waiting for
// the same URL, up to its size; jobs whose sender left or whose time is up
// are dropped, and jobs for another URL wait for a call of their own.
func TestBeforeSendTake(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	job := func(name, url string, left bool) *beforeSendJob {
		j := &beforeSendJob{url: url, ev: &webhookEvent{ID: name}, deadline: now.Add(time.Second)}
		j.left.Store(left)
		return j
	}
	late := func(name, url string) *beforeSendJob {
		j := job(name, url, false)
		j.deadline = now
		return j
	}
	names := func(jobs []*beforeSendJob) []string {
		var out []string
		for _, j := range jobs {
			out = append(out, j.ev.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		first       *beforeSendJob
		waiting     []*beforeSendJob
		n           int
		took, stays []string
	}{
		{"the oldest first, up to n", nil,
			[]*beforeSendJob{job("a", "u1", false), job("b", "u1", false), job("c", "u1", false)}, 2,
			[]string{"a", "b"}, []string{"c"}},
		{"the caller's job, then the waiting", job("x", "u1", false),
			[]*beforeSendJob{job("a", "u1", false), job("b", "u1", false)}, 2,
			[]string{"x", "a"}, []string{"b"}},
		{"senders that left are dropped", nil,
			[]*beforeSendJob{job("a", "u1", true), job("b", "u1", false), job("c", "u1", true)}, 5,
			[]string{"b"}, nil},
		{"one URL per call, the others wait in order", nil,
			[]*beforeSendJob{job("a", "u1", false), job("b", "u2", false), job("c", "u1", false), job("d", "u2", false)}, 5,
			[]string{"a", "c"}, []string{"b", "d"}},
		{"the caller's URL decides", job("x", "u2", false),
			[]*beforeSendJob{job("a", "u1", false), job("b", "u2", false)}, 5,
			[]string{"x", "b"}, []string{"a"}},
		{"all left: nothing to call", nil,
			[]*beforeSendJob{job("a", "u1", true)}, 5,
			nil, nil},
		{"jobs whose time is up are dropped", nil,
			[]*beforeSendJob{late("a", "u1"), job("b", "u1", false), late("c", "u2")}, 5,
			[]string{"b"}, nil},
		{"a full call leaves the rest as it is", nil,
			[]*beforeSendJob{job("a", "u1", false), job("b", "u1", false), job("c", "u1", true), late("d", "u1")}, 2,
			[]string{"a", "b"}, []string{"c", "d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &beforeSendQueue{waiting: tc.waiting}
			took := names(q.takeLocked(tc.first, tc.n, now))
			if !slices.Equal(took, tc.took) || !slices.Equal(names(q.waiting), tc.stays) {
				t.Fatalf("took %v, left waiting %v; want %v and %v", took, names(q.waiting), tc.took, tc.stays)
			}
		})
	}
}

// A replacement is held to what a whole send may be, not only to the
// content limit: a send with a large pushConfig and a small content must
// not become a message over the limit of a stored one (a device could not
// sync it); a failed answer, it leaves the message as it was.
func TestReplaceHeldToTheSendLimit(t *testing.T) {
	s, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	limit := s.cfg.MaxContentBytes
	m := &pb.Message{ConvType: pb.ConversationType_PRIVATE, FromUser: "alice", To: "bob", ClientMsgId: "c1", ObjectName: "RC:TxtMsg",
		Content: []byte(`{"content":"hi"}`), PushConfig: bytes.Repeat([]byte("x"), contract.SendBytes(limit)-200)}
	big := beforeSendAnswer{Action: "replace", Content: []byte(`{"content":"` + strings.Repeat("y", limit-20) + `"}`)}
	if err := s.replaceContent(m, big); err == nil { // a failed answer: beforeSendOnFailure decides
		t.Fatalf("a replacement making the message over the %d bytes a send may be: taken", contract.SendBytes(limit))
	}
	if string(m.Content) != `{"content":"hi"}` || m.ObjectName != "RC:TxtMsg" {
		t.Fatalf("a refused replacement changed the message: %.40q", m.Content)
	}
	small := beforeSendAnswer{Action: "replace", ObjectName: "App:Masked", Content: []byte(`{"content":"**"}`)}
	if err := s.replaceContent(m, small); err != nil || string(m.Content) != `{"content":"**"}` || m.ObjectName != "App:Masked" {
		t.Fatalf("a replacement within the limits: %v, %q %s", err, m.ObjectName, m.Content)
	}
}

// An events call's answer is not wanted: a 2xx with a large body (an echo,
// a page) is delivered, not retried; a before-send call's answer over its
// bound is an error, never a cut answer.
func TestWebhookAnswerBounds(t *testing.T) {
	s, err := New(context.Background(), Config{AppKey: "k", AppSecret: "0123456789abcdef0123", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 100<<10))
	}))
	defer backend.Close()
	events := []*webhookEvent{{ID: "e1", Type: "message.stored"}}
	if _, err := s.callWebhook(context.Background(), backend.URL, events, 0); err != nil {
		t.Fatalf("an events call answered 200 with 100 KiB: %v", err)
	}
	if ans, err := s.callWebhook(context.Background(), backend.URL, events, 200<<10); err != nil || len(ans) != 100<<10 {
		t.Fatalf("an answer within its bound: %d bytes, %v", len(ans), err)
	}
	if ans, err := s.callWebhook(context.Background(), backend.URL, events, 64<<10); err == nil {
		t.Fatalf("an answer over its bound: %d bytes and no error", len(ans))
	}
}
