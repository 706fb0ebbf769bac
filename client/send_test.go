package client

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The send pipeline (send.go): stored SENDING before it goes out, SENT on
// its ack, FAILED without one; a late ack updates the FAILED record in
// place; a resend reuses the client id and the server's duplicate answer
// completes it; the limits the server announced apply first.

func TestSendAckInTime(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.GapWait = time.Hour })
	c := h.connect(nil)
	var before *Message
	f, req, res := h.send(c, bob, SendOptions{OnSendBefore: func(m *Message) { before = m }})
	if req.ClientMsgId == "" || req.Conv.Target != "bob" || req.Conv.Type != pb.ConversationType_PRIVATE ||
		req.ObjectName != "RC:TxtMsg" || !bytes.Contains(req.Content, []byte("hello")) || !req.IsPersisted || !req.IsCounted || req.DeliveryReceipt {
		t.Errorf("send request %+v", req)
	}
	if before == nil || before.SentStatus != StatusSending || before.MessageID == 0 || before.ClientMsgID != req.ClientMsgId {
		t.Fatalf("OnSendBefore saw %+v", before)
	}
	if m := h.store.byID(before.MessageID); m == nil || m.SentStatus != StatusSending {
		t.Errorf("stored before the answer: %+v", m)
	}
	c.reply(f, sendAck(req, 1))
	m, err := result(t, res)
	if err != nil {
		t.Fatal(err)
	}
	if m.SentStatus != StatusSent || m.MessageUID != "own-bob-1" || m.Seq != 1 || m.SentTime != baseTime+1000 ||
		m.MessageID != before.MessageID || m.Direction != DirectionSend || m.SenderUserID != me || !m.IsRead {
		t.Errorf("sent %+v", m)
	}
	if s := h.store.byID(m.MessageID); s.SentStatus != StatusSent || s.MessageUID != m.MessageUID || s.Seq != 1 {
		t.Errorf("stored %+v", s)
	}
	// The own message holds its seq: the peer's next is in order.
	c.push(from(bob, 2))
	if got := seqs(h.messages()); !slices.Equal(got, []uint64{2}) {
		t.Errorf("emitted %v", got)
	}
	if st := h.state(bob); st.Contiguous != 2 {
		t.Errorf("cursor %d, want 2", st.Contiguous)
	}
}

func TestPushOvertakingTheSendAck(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.GapWait = time.Hour })
	c := h.connect(nil)
	f, req, res := h.send(c, bob, SendOptions{})
	c.push(from(bob, 2)) // the server committed ours as 1 and bob's as 2
	c.reply(f, sendAck(req, 1))
	if _, err := result(t, res); err != nil {
		t.Fatal(err)
	}
	if got := seqs(h.messages()); !slices.Equal(got, []uint64{2}) {
		t.Errorf("emitted %v, want bob's 2 (ours is not emitted)", got)
	}
	if got := h.store.seqs(bob); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("stored %v", got)
	}
}

func TestLateSendAckUpdatesTheFailedRecord(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SendTimeout = 30 * time.Millisecond })
	c := h.connect(nil)
	f, req, res := h.send(c, bob, SendOptions{})
	m, err := result(t, res)
	wantCode(t, err, codes.MsgRespTimeout)
	if m == nil || m.SentStatus != StatusFailed || m.MessageID == 0 {
		t.Fatalf("timed out send returned %+v", m)
	}
	if s := h.store.byID(m.MessageID); s.SentStatus != StatusFailed {
		t.Errorf("stored %d, want FAILED", s.SentStatus)
	}
	// The commit's ack arrives after the send gave up.
	c.reply(f, sendAck(req, 1))
	h.barrier(c)
	s := h.store.byID(m.MessageID)
	if s == nil || s.SentStatus != StatusSent || s.MessageUID != "own-bob-1" || s.Seq != 1 || s.ClientMsgID != req.ClientMsgId {
		t.Errorf("after the late ack: %+v, want the same record SENT", s)
	}
	if got := h.store.seqs(bob); len(got) != 1 {
		t.Errorf("bob holds %v, want one record", got)
	}
	if st := h.state(bob); st.Contiguous != 1 {
		t.Errorf("cursor %d: the late ack did not take its seq", st.Contiguous)
	}
}

func TestLostSendAckThenResendIsAnsweredAsDuplicate(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SendTimeout = 30 * time.Millisecond })
	c := h.connect(nil)
	_, req, res := h.send(c, bob, SendOptions{})
	m, err := result(t, res)
	wantCode(t, err, codes.MsgRespTimeout)
	// Resent by messageId: same client id, so the server answers with the
	// first commit.
	f, req2, res := h.send(c, Conversation{}, SendOptions{MessageID: m.MessageID})
	if req2.ClientMsgId != req.ClientMsgId || !bytes.Equal(req2.Content, req.Content) {
		t.Errorf("resend %+v, want the first request again", req2)
	}
	ack := sendAck(req2, 1)
	ack.SendAck.Duplicate = true
	c.reply(f, ack)
	got, err := result(t, res)
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageID != m.MessageID || got.SentStatus != StatusSent || got.MessageUID != "own-bob-1" {
		t.Errorf("resent %+v", got)
	}
	if n := h.store.count(); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

func TestSendAckLostButTheMessageCameBack(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan sendResult, 1)
	go func() {
		m, err := h.e.SendMessage(ctx, text(bob, "hello"), SendOptions{})
		res <- sendResult{m, err}
	}()
	_, body := next[*pb.Frame_Send](t, c)
	// The ack is lost, but the committed message reaches this device (a
	// pull, or another session's push).
	own := wire(bob, me, 1)
	own.ClientMsgId, own.ObjectName, own.Content = body.Send.ClientMsgId, body.Send.ObjectName, body.Send.Content // as sent
	c.push(own)
	h.barrier(c)
	cancel() // the send gives up waiting
	m, err := result(t, res)
	if err != nil {
		t.Fatalf("a committed send reported %v", err)
	}
	if m.SentStatus != StatusSent || m.MessageUID != own.Uid || m.Seq != 1 {
		t.Errorf("returned %+v", m)
	}
	if got := h.emitted(bob); len(got) != 0 {
		t.Errorf("our own send emitted as a new message: %v", got)
	}
	if n := h.store.count(); n != 2 { // ours and the barrier's
		t.Errorf("%d records", n)
	}
}

func TestSendRefusedByTheServer(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	f, _, res := h.send(c, grp, SendOptions{})
	c.fail(f, codes.NotInGroup)
	m, err := result(t, res)
	wantCode(t, err, codes.NotInGroup)
	if m.SentStatus != StatusFailed || h.store.byID(m.MessageID).SentStatus != StatusFailed {
		t.Errorf("refused send %+v", m)
	}
}

func TestSendLostWithTheConnection(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	_, _, res := h.send(c, bob, SendOptions{})
	c.drop()
	m, err := result(t, res)
	wantCode(t, err, codes.NetChannelInvalid)
	if m.SentStatus != StatusFailed {
		t.Errorf("send on a lost connection %+v", m)
	}
}

func TestSendBeforeConnect(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.e.SendMessage(context.Background(), text(bob, "x"), SendOptions{})
	wantCode(t, err, codes.NetChannelInvalid)
	if h.store.count() != 0 {
		t.Error("stored a send made before connecting")
	}
}

func TestResend(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	f, req, res := h.send(c, bob, SendOptions{})
	c.reply(f, sendAck(req, 1))
	sent, _ := result(t, res)

	// A committed message is not sent again.
	m, err := h.e.SendMessage(context.Background(), &Message{}, SendOptions{MessageID: sent.MessageID})
	if err != nil || m.SentStatus != StatusSent || m.MessageID != sent.MessageID {
		t.Errorf("resend of a sent message: %+v %v", m, err)
	}
	// Unknown ids and others' messages are refused.
	c.push(from(carol, 1))
	received := h.messages()[0]
	for _, id := range []int64{999, received.MessageID} {
		_, err := h.e.SendMessage(context.Background(), &Message{}, SendOptions{MessageID: id})
		wantCode(t, err, codes.InvalidParameterMessageID)
	}
	if n := len(written[*pb.Frame_Send](c)); n != 1 {
		t.Errorf("%d sends written, want 1", n)
	}
}

func TestHeldSend(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.authOK(func(ok *pb.AuthOK) { ok.SendRatePerSec, ok.SendBurst = 1, 1 })
	c := h.connect(nil)
	held, err := h.e.SendMessage(context.Background(), text(bob, "uploading"), SendOptions{Hold: true})
	if err != nil || held.SentStatus != StatusSending || held.MessageID == 0 {
		t.Fatalf("held %+v %v", held, err)
	}
	// The upload fails.
	failed, err := h.e.FailHeld(context.Background(), held.MessageID)
	if err != nil || failed.SentStatus != StatusFailed || h.store.byID(held.MessageID).SentStatus != StatusFailed {
		t.Fatalf("FailHeld %+v %v", failed, err)
	}
	if _, err := h.e.FailHeld(context.Background(), 999); codes.Of(err) != codes.InvalidParameterMessageID {
		t.Errorf("FailHeld of an unknown id: %v", err)
	}
	// Sent again with what the upload produced (holding took no token).
	done := make(chan sendResult, 1)
	go func() {
		m, err := h.e.SendMessage(context.Background(), &Message{Conversation: bob, ObjectName: "RC:ImgMsg", Content: []byte(`{"imageUri":"u"}`)},
			SendOptions{MessageID: held.MessageID, Replace: true})
		done <- sendResult{m, err}
	}()
	f, body := next[*pb.Frame_Send](t, c)
	if body.Send.ObjectName != "RC:ImgMsg" || string(body.Send.Content) != `{"imageUri":"u"}` || body.Send.ClientMsgId != held.ClientMsgID {
		t.Errorf("sent %+v", body.Send)
	}
	c.reply(f, sendAck(body.Send, 1))
	m, err := result(t, done)
	if err != nil || m.ObjectName != "RC:ImgMsg" || m.MessageID != held.MessageID || m.SentStatus != StatusSent {
		t.Errorf("replaced send %+v %v", m, err)
	}
	if _, err := h.e.SendMessage(context.Background(), &Message{Conversation: bob, ObjectName: "RC:TxtMsg", IsStatus: true}, SendOptions{Hold: true}); codes.Of(err) != codes.InvalidParameter {
		t.Errorf("held status message: %v", err)
	}
}

// A held upload's send refused before it goes (the content over the
// limit, the send bucket empty) turns the message FAILED and answers it:
// left SENDING, it stayed so until a reload (found by a helper's hunt).
func TestHeldSendRefusedFails(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.authOK(func(ok *pb.AuthOK) { ok.SendRatePerSec, ok.SendBurst = 1, 1 })
	h.connect(nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		msg  *Message
		code int32
	}{
		{"content over the limit", &Message{Conversation: bob, ObjectName: "RC:ImgMsg", Content: []byte(`{"imageUri":"` + strings.Repeat("u", 200<<10) + `"}`)}, codes.MsgContentExceedLimit},
		{"the send bucket empty", &Message{Conversation: bob, ObjectName: "RC:ImgMsg", Content: []byte(`{"imageUri":"u"}`)}, codes.SendFrequencyTooFast},
	} {
		held, err := h.e.SendMessage(ctx, text(bob, "uploading"), SendOptions{Hold: true})
		if err != nil {
			t.Fatal(err)
		}
		if tc.code == codes.SendFrequencyTooFast {
			h.e.bucket.AllowN(h.e.cfg.Now(), 1) // the app's text meanwhile took the token
		}
		m, err := h.e.SendMessage(ctx, tc.msg, SendOptions{MessageID: held.MessageID, Replace: true})
		if codes.Of(err) != tc.code || m == nil || m.SentStatus != StatusFailed || h.store.byID(held.MessageID).SentStatus != StatusFailed {
			t.Errorf("%s: %+v %v; stored %d", tc.name, m, err, h.store.byID(held.MessageID).SentStatus)
		}
	}
}

func TestStatusMessageSend(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	status := func() *Message {
		return &Message{Conversation: bob, ObjectName: "App:Status", Content: []byte(`{}`), IsStatus: true}
	}
	res := make(chan sendResult, 2)
	go func() {
		m, err := h.e.SendMessage(context.Background(), status(), SendOptions{})
		res <- sendResult{m, err}
	}()
	f, body := next[*pb.Frame_Send](t, c)
	if !body.Send.IsStatus {
		t.Errorf("sent %+v", body.Send)
	}
	c.reply(f, &pb.Frame_SendAck{SendAck: &pb.SendAck{MessageUid: "st-1", SentTime: baseTime}})
	m, err := result(t, res)
	if err != nil || m.SentStatus != StatusSent || m.MessageUID != "st-1" || m.MessageID != 0 {
		t.Errorf("status send %+v %v", m, err)
	}
	go func() {
		m, err := h.e.SendMessage(context.Background(), status(), SendOptions{})
		res <- sendResult{m, err}
	}()
	f, _ = next[*pb.Frame_Send](t, c)
	c.fail(f, codes.NotInGroup)
	m, err = result(t, res)
	wantCode(t, err, codes.NotInGroup)
	if m.SentStatus != StatusFailed {
		t.Errorf("failed status send %+v", m)
	}
	if n := h.store.count(); n != 0 {
		t.Errorf("status messages stored: %d", n)
	}
}

func TestSendChecksItsArguments(t *testing.T) {
	h := newHarness(t, nil)
	h.connect(nil)
	tests := []struct {
		name string
		m    *Message
		want int32
	}{
		{"nil", nil, codes.InvalidParameter},
		{"conversation type", &Message{Conversation: Conversation{Type: System, TargetID: "x"}, ObjectName: "RC:TxtMsg"}, codes.InvalidParameterConversationType},
		{"target", &Message{Conversation: Conversation{Type: Private, TargetID: "bad id!"}, ObjectName: "RC:TxtMsg"}, codes.InvalidParameterTargetID},
		{"type", &Message{Conversation: bob}, codes.InvalidParameter},
		{"push content", &Message{Conversation: bob, ObjectName: "RC:TxtMsg", PushContent: string(make([]byte, 1025))}, codes.InvalidParameter},
		{"expansion key", &Message{Conversation: bob, ObjectName: "RC:TxtMsg", CanIncludeExpansion: true, Expansion: map[string]string{"bad key": "v"}}, codes.InvalidParameterMessageExpansion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.e.SendMessage(context.Background(), tt.m, SendOptions{})
			wantCode(t, err, tt.want)
		})
	}
	if n := h.store.count(); n != 0 {
		t.Errorf("refused sends stored: %d", n)
	}
}

func TestForwardMessage(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DeliveryReceipts = true })
	c := h.connect(nil)
	orig := &Message{Conversation: grp, ObjectName: "RC:ImgMsg", Content: []byte(`{"imageUri":"u"}`), IsPersisted: true, IsCounted: true,
		MessageUID: "g1-4", IsMentioned: true, MentionedInfo: &MentionedInfo{Type: MentionAll}, NeedReceipt: true, Expansion: map[string]string{"k": "v"}}
	res := make(chan sendResult, 1)
	go func() {
		m, err := h.e.ForwardMessage(context.Background(), bob, orig, SendOptions{MessageID: 42})
		res <- sendResult{m, err}
	}()
	f, body := next[*pb.Frame_Send](t, c)
	r := body.Send
	if r.Conv.Target != "bob" || r.ObjectName != "RC:ImgMsg" || string(r.Content) != `{"imageUri":"u"}` || r.IsMentioned || r.MentionedInfo != nil ||
		r.NeedReceipt || len(r.Expansion) != 0 || !r.IsPersisted || !r.IsCounted || !r.DeliveryReceipt {
		t.Errorf("forwarded %+v", r)
	}
	c.reply(f, sendAck(r, 1))
	if m, err := result(t, res); err != nil || m.SentStatus != StatusSent {
		t.Errorf("forward %+v %v", m, err)
	}
	for _, bad := range []*Message{nil, {}, {ObjectName: RecallObjectName}} {
		_, err := h.e.ForwardMessage(context.Background(), bob, bad, SendOptions{})
		wantCode(t, err, codes.InvalidParameter)
	}
}

func TestDeliveryReceiptsAreAskedInPrivateChats(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DeliveryReceipts = true })
	c := h.connect(nil)
	for _, tt := range []struct {
		conv Conversation
		want bool
	}{{bob, true}, {grp, false}} {
		f, req, res := h.send(c, tt.conv, SendOptions{})
		if req.DeliveryReceipt != tt.want {
			t.Errorf("%s: delivery receipt %v", tt.conv.TargetID, req.DeliveryReceipt)
		}
		c.reply(f, sendAck(req, 1))
		if m, _ := result(t, res); m.DeliveryReceipt != tt.want {
			t.Errorf("%s: stored delivery receipt %v", tt.conv.TargetID, m.DeliveryReceipt)
		}
	}
}

// The limits the server announces in AuthOK.

func TestSendBucketFollowsTheServer(t *testing.T) {
	tests := []struct {
		name          string
		rate, burst   uint32  // AuthOK
		appRate       float64 // Config.SendRate
		appBurst      int
		allowed       int           // sends at once
		refill        time.Duration // then the clock moves this far
		allowedLater  int           // and this many more go
		reconnectRate uint32        // then after a reconnect with this rate, burst 1 (0: none)
	}{
		{name: "the server's rate and burst", rate: 2, burst: 3, allowed: 3, refill: 500 * time.Millisecond, allowedLater: 1},
		{name: "a burst of the rate when none is announced", rate: 5, allowed: 5, refill: time.Second, allowedLater: 5},
		{name: "no limit announced", rate: 0, allowed: 15},
		{name: "the app's own rate wins", rate: 100, burst: 100, appRate: 1, appBurst: 2, allowed: 2, refill: time.Second, allowedLater: 1},
		{name: "the app turned it off", rate: 1, burst: 1, appRate: -1, allowed: 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.SendRate, c.SendBurst = tt.appRate, tt.appBurst })
			h.clock.freeze(time.Now())
			h.srv.authOK(func(ok *pb.AuthOK) { ok.SendRatePerSec, ok.SendBurst = tt.rate, tt.burst })
			c := h.connect(nil)
			seq := uint64(0)
			sendOK := func(n int) {
				t.Helper()
				for range n {
					seq++
					f, req, res := h.send(c, bob, SendOptions{})
					c.reply(f, sendAck(req, seq))
					if _, err := result(t, res); err != nil {
						t.Fatalf("send %d: %v", seq, err)
					}
				}
			}
			refused := func() {
				t.Helper()
				if tt.allowed >= 15 {
					return // no limit
				}
				before := h.store.count()
				ctx, cancel := context.WithTimeout(context.Background(), time.Second) // a regression fails fast
				defer cancel()
				_, err := h.e.SendMessage(ctx, text(bob, "one too many"), SendOptions{})
				wantCode(t, err, codes.SendFrequencyTooFast)
				if h.store.count() != before {
					t.Error("a refused send was stored")
				}
			}
			sendOK(tt.allowed)
			refused()
			if tt.refill > 0 {
				h.clock.advance(tt.refill)
				sendOK(tt.allowedLater)
				refused()
			}
			if n := len(written[*pb.Frame_Send](c)); n != int(seq) {
				t.Errorf("%d sends written, want %d", n, seq)
			}
		})
	}
}

func TestSendBucketFollowsAReconnect(t *testing.T) {
	h := newHarness(t, nil)
	h.clock.freeze(time.Now())
	h.srv.authOK(func(ok *pb.AuthOK) { ok.SendRatePerSec, ok.SendBurst = 1, 1 })
	c := h.connect(nil)
	f, req, res := h.send(c, bob, SendOptions{})
	c.reply(f, sendAck(req, 1))
	result(t, res)
	_, err := h.e.SendMessage(context.Background(), text(bob, "x"), SendOptions{})
	wantCode(t, err, codes.SendFrequencyTooFast)
	// The server restarted without a limit.
	h.srv.authOK(func(ok *pb.AuthOK) { ok.SendRatePerSec = 0 })
	c.drop()
	c = h.srv.conn(t, 1)
	eventually(t, "the second sync", func() bool { return len(h.ev.all(EventSyncFinished)) == 2 })
	for seq := uint64(2); seq < 6; seq++ {
		f, req, res := h.send(c, bob, SendOptions{})
		c.reply(f, sendAck(req, seq))
		if _, err := result(t, res); err != nil {
			t.Fatalf("send %d after the limit was lifted: %v", seq, err)
		}
	}
}

func TestContentLimitFollowsTheServer(t *testing.T) {
	tests := []struct {
		name     string
		announce uint32 // AuthOK max_content_bytes (0: none)
		size     int
		ok       bool
	}{
		{"at the server's smaller limit", 1000, 1000, true},
		{"over the server's smaller limit", 1000, 1001, false},
		{"over the default, within the server's larger limit", 256 << 10, 200 << 10, true},
		{"over the server's larger limit", 256 << 10, 256<<10 + 1, false},
		{"the default without an announcement", 0, 128 << 10, true},
		{"over the default without an announcement", 0, 128<<10 + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.srv.authOK(func(ok *pb.AuthOK) { ok.MaxContentBytes = tt.announce })
			c := h.connect(nil)
			// A JSON object of exactly tt.size bytes.
			content := append(append([]byte(`{"t":"`), bytes.Repeat([]byte("a"), tt.size-8)...), `"}`...)
			m := &Message{Conversation: bob, ObjectName: "RC:TxtMsg", Content: content}
			if !tt.ok {
				_, err := h.e.SendMessage(context.Background(), m, SendOptions{})
				wantCode(t, err, codes.MsgContentExceedLimit)
				if h.store.count() != 0 {
					t.Error("a refused send was stored")
				}
				return
			}
			res := make(chan sendResult, 1)
			go func() {
				m, err := h.e.SendMessage(context.Background(), m, SendOptions{})
				res <- sendResult{m, err}
			}()
			f, body := next[*pb.Frame_Send](t, c)
			if len(body.Send.Content) != tt.size {
				t.Errorf("sent %d bytes", len(body.Send.Content))
			}
			c.reply(f, sendAck(body.Send, 1))
			if _, err := result(t, res); err != nil {
				t.Error(err)
			}
		})
	}
}
