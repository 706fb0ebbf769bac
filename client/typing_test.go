package client

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Typing status (typing.go): shown for TypingInterval, sent at most once an
// interval per conversation.

func typingPush(ups ...*pb.TypingUpdate) *pb.Frame {
	return &pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Typing: ups}}}
}

func typers(st TypingStatus) []string {
	var out []string
	for _, u := range st.Users {
		out = append(out, u.UserID+":"+u.TypeName)
	}
	slices.Sort(out)
	return out
}

func TestTypingIsShownThenExpires(t *testing.T) {
	const interval = 60 * time.Millisecond
	h := newHarness(t, func(c *Config) { c.TypingInterval = interval })
	c := h.connect(nil)
	pushed := time.Now()
	c.send(typingPush(
		&pb.TypingUpdate{Conv: wconv(bob), UserId: "bob", TypeName: "RC:TxtMsg"},
		&pb.TypingUpdate{Conv: wconv(grp), UserId: "carol", TypeName: "RC:TxtMsg"},
		&pb.TypingUpdate{Conv: wconv(grp), UserId: "dave", TypeName: "RC:VcMsg"},
		&pb.TypingUpdate{UserId: "nobody"},   // no conversation: skipped
		&pb.TypingUpdate{Conv: wconv(carol)}, // no user: skipped
	))
	ev := h.ev.next(t, EventTyping, nil)
	if len(ev.Typing) != 2 || ev.Typing[0].Conversation != bob || ev.Typing[1].Conversation != grp {
		t.Fatalf("TYPING_STATUS %+v", ev.Typing)
	}
	if got := typers(ev.Typing[0]); !slices.Equal(got, []string{"bob:RC:TxtMsg"}) {
		t.Errorf("bob's typers %v", got)
	}
	if got := typers(ev.Typing[1]); !slices.Equal(got, []string{"carol:RC:TxtMsg", "dave:RC:VcMsg"}) {
		t.Errorf("group's typers %v", got)
	}
	ev = h.ev.next(t, EventTyping, nil)
	// Statuses are stamped in milliseconds: the expiry may come up to one
	// before the interval has passed since the push.
	if waited := time.Since(pushed); waited < interval-time.Millisecond {
		t.Errorf("statuses expired after %v, before the interval %v", waited, interval)
	}
	if len(ev.Typing) != 2 || len(ev.Typing[0].Users) != 0 || len(ev.Typing[1].Users) != 0 {
		t.Errorf("after the interval: %+v, want everyone stopped", ev.Typing)
	}
	h.e.typing.mu.Lock()
	left := len(h.e.typing.convs)
	h.e.typing.mu.Unlock()
	if left != 0 {
		t.Errorf("%d conversations still tracked", left)
	}
}

func TestSendTypingStatus(t *testing.T) {
	h := newHarness(t, nil)
	h.clock.freeze(time.Now())
	c := h.connect(nil)
	ctx := context.Background()
	errc := make(chan error, 1)
	typing := func(conv Conversation, refuse int32) {
		t.Helper()
		go func() { errc <- h.e.SendTypingStatus(ctx, conv, "RC:TxtMsg") }()
		f, body := next[*pb.Frame_Typing](t, c)
		if body.Typing.TypeName != "RC:TxtMsg" || body.Typing.Conv.Target != conv.TargetID {
			t.Errorf("typing request %+v", body.Typing)
		}
		if refuse != 0 {
			c.fail(f, refuse)
			wantCode(t, recv(t, errc), refuse)
			return
		}
		c.ok(f)
		if err := recv(t, errc); err != nil {
			t.Fatal(err)
		}
	}
	typing(bob, codes.RequestOverFrequency) // refused: not counted as sent
	typing(bob, 0)
	// Within the interval nothing is sent (a regression would wait for an
	// answer: the short context makes it fail fast).
	quick, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := h.e.SendTypingStatus(quick, bob, "RC:TxtMsg"); err != nil {
		t.Errorf("within the interval: %v", err)
	}
	// Another conversation has its own interval; keystrokes while its
	// first request is unanswered send nothing more (the demo's input
	// events once spent the user's write budget this way).
	go func() { errc <- h.e.SendTypingStatus(ctx, grp, "RC:TxtMsg") }()
	f, _ := next[*pb.Frame_Typing](t, c)
	for range 3 {
		if err := h.e.SendTypingStatus(quick, grp, "RC:TxtMsg"); err != nil {
			t.Errorf("while the first is in flight: %v", err)
		}
	}
	c.ok(f)
	if err := recv(t, errc); err != nil {
		t.Fatal(err)
	}
	h.clock.advance(TypingInterval - time.Millisecond)
	if err := h.e.SendTypingStatus(quick, bob, "RC:TxtMsg"); err != nil {
		t.Errorf("within the interval: %v", err)
	}
	h.clock.advance(time.Millisecond)
	typing(bob, 0)
	if n := len(written[*pb.Frame_Typing](c)); n != 4 {
		t.Errorf("%d typing requests written, want 4", n)
	}
	wantCode(t, h.e.SendTypingStatus(ctx, bob, ""), codes.InvalidParameter)
	wantCode(t, h.e.SendTypingStatus(ctx, bob, strings.Repeat("x", 65)), codes.InvalidParameter)
	wantCode(t, h.e.SendTypingStatus(ctx, Conversation{Type: Private, TargetID: "a b"}, "RC:TxtMsg"), codes.InvalidParameterTargetID)
}
