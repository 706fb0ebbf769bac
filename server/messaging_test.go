package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/wsnative"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

func TestPrivateMessagesReachEveryDeviceInOrder(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.device("alice", "alice-laptop", devOpts{})
	alice2 := e.device("alice", "alice-phone", devOpts{})
	bob := e.device("bob", "bob-laptop", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	alice2.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))

	const n = 50
	for i := 0; i < n; i++ {
		m := alice.send(t, text("bob", client.Private, fmt.Sprint("m", i)))
		if m.SentStatus != client.StatusSent || m.MessageUID == "" || m.Seq != uint64(i+1) {
			t.Fatalf("send %d: %+v", i, m)
		}
	}
	got := bob.waitMessages(t, n)
	for i, m := range got[:n] {
		if m.Seq != uint64(i+1) || m.TargetID != "alice" || m.SenderUserID != "alice" || m.Direction != client.DirectionReceive {
			t.Fatalf("bob's message %d: seq %d target %s", i, m.Seq, m.TargetID)
		}
		if !strings.Contains(string(m.Content), fmt.Sprintf(`"m%d"`, i)) {
			t.Fatalf("content %d = %s", i, m.Content)
		}
	}
	// The sender's other device gets the messages too, as sent by her.
	other := alice2.waitMessages(t, n)
	if other[0].Direction != client.DirectionSend || other[0].TargetID != "bob" {
		t.Fatalf("alice's other device: %+v", other[0])
	}
	// The sending device itself is not told twice.
	e.fence(t, alice, bob)
	if len(alice.messages()) != 0 {
		t.Fatalf("sender's own device got %d message events", len(alice.messages()))
	}
	if len(bob.messages()) != n {
		t.Fatalf("bob got %d messages, want exactly %d", len(bob.messages()), n)
	}
}

// dropAcks is a Dialer whose connections lose SendAck frames while armed:
// the server commits, the client never hears of it.
type dropAcks struct {
	wsnative.Dialer
	armed atomic.Bool
}

func (d *dropAcks) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, err := d.Dialer.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &dropConn{Conn: c, d: d}, nil
}

type dropConn struct {
	client.Conn
	d *dropAcks
}

func (c *dropConn) Read(ctx context.Context) ([]byte, error) {
	for {
		b, err := c.Conn.Read(ctx)
		if err != nil || !c.d.armed.Load() {
			return b, err
		}
		f := &pb.Frame{}
		if f.Unmarshal(b) == nil && f.GetSendAck() != nil {
			continue
		}
		return b, err
	}
}

func TestLostAckResendReturnsOriginal(t *testing.T) {
	e := newEnv(t, nil)
	dialer := &dropAcks{}
	alice := e.device("alice", "a1", devOpts{dialer: dialer, mod: func(c *client.Config) { c.SendTimeout = 300 * time.Millisecond }})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))

	dialer.armed.Store(true)
	var before *client.Message
	failed, err := alice.SendMessage(context.Background(), text("bob", client.Private, "once"), client.SendOptions{
		OnSendBefore: func(m *client.Message) { before = m },
	})
	if codes.Of(err) != codes.MsgRespTimeout || failed == nil || failed.SentStatus != client.StatusFailed {
		t.Fatalf("send without ack: %v %+v", err, failed)
	}
	if before == nil || before.MessageID != failed.MessageID || before.SentStatus != client.StatusSending {
		t.Fatalf("onSendBefore saw %+v", before)
	}
	first := bob.waitMessages(t, 1)[0]

	dialer.armed.Store(false)
	resent, err := alice.SendMessage(context.Background(), nil, client.SendOptions{MessageID: failed.MessageID})
	if err == nil {
		t.Fatal("nil message with messageId must still be refused")
	}
	resent, err = alice.SendMessage(context.Background(), &client.Message{}, client.SendOptions{MessageID: failed.MessageID})
	if err != nil {
		t.Fatalf("resend: %v", err)
	}
	if resent.MessageUID != first.MessageUID || resent.SentTime != first.SentTime || resent.MessageID != failed.MessageID || resent.SentStatus != client.StatusSent {
		t.Fatalf("resend got %+v, want uid %s", resent, first.MessageUID)
	}
	// One local record, one delivery.
	recs, _ := alice.store.History(context.Background(), client.Conversation{Type: client.Private, TargetID: "bob"}, 0, 10, false)
	if len(recs) != 1 {
		t.Fatalf("alice holds %d records", len(recs))
	}
	alice.send(t, text("bob", client.Private, "next"))
	got := bob.waitMessages(t, 2)
	e.fence(t, bob)
	if len(bob.messages()) != 2 || got[1].Seq != 2 {
		t.Fatalf("bob got %d messages", len(bob.messages()))
	}
	// Unknown messageId.
	if _, err := alice.SendMessage(context.Background(), &client.Message{}, client.SendOptions{MessageID: 999}); codes.Of(err) != codes.InvalidParameterMessageID {
		t.Fatalf("unknown messageId: %v", err)
	}
}

func TestLateAckUpdatesFailedRecordInPlace(t *testing.T) {
	e := newEnv(t, nil)
	dialer := &dropAcks{}
	alice := e.device("alice", "a1", devOpts{dialer: dialer, mod: func(c *client.Config) { c.SendTimeout = 300 * time.Millisecond }})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	dialer.armed.Store(true)
	failed, _ := alice.SendMessage(context.Background(), text("bob", client.Private, "late"), client.SendOptions{})
	dialer.armed.Store(false)
	// Bob answers; alice's device sees seq 2 and pulls seq 1, her own
	// message, which updates the FAILED record instead of adding one.
	bob.send(t, text("alice", client.Private, "hi"))
	alice.waitMessages(t, 1)
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs, _ := alice.store.MessagesByID(context.Background(), []int64{failed.MessageID})
		if recs[0].SentStatus == client.StatusSent && recs[0].MessageUID != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("record still %+v", recs[0])
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
	all, _ := alice.store.History(context.Background(), client.Conversation{Type: client.Private, TargetID: "bob"}, 0, 10, false)
	if len(all) != 2 {
		t.Fatalf("alice holds %d records, want 2", len(all))
	}
}

func TestOfflineAndNewDeviceSync(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	for i := 0; i < 30; i++ {
		alice.send(t, text("bob", client.Private, fmt.Sprint(i)))
	}
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	got := bob.waitMessages(t, 30)
	for i, m := range got {
		if !m.IsOffline || m.IsRead || m.Seq != uint64(i+1) {
			t.Fatalf("offline message %d: offline=%v read=%v seq=%d", i, m.IsOffline, m.IsRead, m.Seq)
		}
	}
	bob.waitFor(t, "sync finished", func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs {
			if ev.Kind == client.EventSyncFinished {
				return true
			}
		}
		return false
	})
	// Bob reads the first 20 on this device.
	if err := bob.MarkRead(context.Background(), client.Conversation{Type: client.Private, TargetID: "alice"}, 20); err != nil {
		t.Fatal(err)
	}
	// A brand-new device of bob gets the same 30, flagged offline, the
	// first 20 also read.
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	got2 := bob2.waitMessages(t, 30)
	for i, m := range got2 {
		if !m.IsOffline || m.IsRead != (i < 20) || m.MessageUID != got[i].MessageUID {
			t.Fatalf("new device message %d: offline=%v read=%v", i, m.IsOffline, m.IsRead)
		}
	}
	// Reconnecting the first device brings nothing twice.
	bob.Disconnect()
	alice.send(t, text("bob", client.Private, "after"))
	bob.connect(t, token(t, "bob", time.Hour))
	bob.waitMessages(t, 31)
	e.fence(t, bob)
	if n := len(bob.messages()); n != 31 {
		t.Fatalf("bob got %d messages after reconnect, want 31", n)
	}
}

func TestGroupsAdminAPIAndMembership(t *testing.T) {
	e := newEnv(t, nil)
	status, body := e.admin("POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "team", "ownerId": "alice", "memberIds": []string{"bob"}})
	if status != 200 {
		t.Fatalf("create group: %d %v", status, body)
	}
	if status, _ := e.admin("POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "x", "ownerId": "alice"}); status != 409 {
		t.Fatalf("create twice: %d", status)
	}
	if status, body := e.admin("POST", "/v1/groups", map[string]any{"groupId": "bad:id", "ownerId": "alice"}); status != 400 || body["code"].(float64) != codes.RCGroupIDInvalid {
		t.Fatalf("bad id: %d %v", status, body)
	}
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	carol.connect(t, token(t, "carol", time.Hour))

	// The creation notification arrives by sync.
	ntf := bob.waitMessages(t, 1)[0]
	if ntf.ObjectName != "RC:GrpNtf" || ntf.TargetID != "g1" || ntf.Type != client.Group {
		t.Fatalf("notification: %+v", ntf)
	}
	alice.send(t, text("g1", client.Group, "hello team"))
	if m := bob.waitMessages(t, 2)[1]; !strings.Contains(string(m.Content), "hello team") {
		t.Fatalf("bob got %s", m.Content)
	}
	// Carol is not a member.
	_, err := carol.SendMessage(context.Background(), text("g1", client.Group, "let me in"), client.SendOptions{})
	if codes.Of(err) != codes.NotInGroup {
		t.Fatalf("non-member send: %v", err)
	}
	// Adding her: she sees the notification of her joining and what follows, not before.
	if status, body := e.admin("POST", "/v1/groups/g1/members", map[string]any{"userIds": []string{"carol"}}); status != 200 {
		t.Fatalf("add: %d %v", status, body)
	}
	got := carol.waitMessages(t, 1)
	if got[0].ObjectName != "RC:GrpNtf" || got[0].Seq != 3 {
		t.Fatalf("carol first sees %+v", got[0])
	}
	carol.send(t, text("g1", client.Group, "hi all"))
	alice.waitMessages(t, 2) // add notification + carol's message
	// Removing bob: he gets the notice, then nothing more.
	if status, _ := e.admin("DELETE", "/v1/groups/g1/members/bob", nil); status != 200 {
		t.Fatalf("remove: %d", status)
	}
	bob.waitFor(t, "kick notice", func(got []*client.Message, _ []client.Event) bool {
		return len(got) > 0 && strings.Contains(string(got[len(got)-1].Content), "Kicked")
	})
	n := len(bob.messages())
	alice.send(t, text("g1", client.Group, "without bob"))
	carol.waitFor(t, "last message", func(got []*client.Message, _ []client.Event) bool {
		return strings.Contains(string(got[len(got)-1].Content), "without bob")
	})
	if len(bob.messages()) != n {
		t.Fatalf("removed member still receives")
	}
	if _, err := bob.SendMessage(context.Background(), text("g1", client.Group, "hey"), client.SendOptions{}); codes.Of(err) != codes.NotInGroup {
		t.Fatalf("removed member send: %v", err)
	}
	// Admin API refuses user tokens.
	if status, _ := e.admin("DELETE", "/v1/groups/nope", nil); status != 404 {
		t.Fatalf("dismiss unknown: %d", status)
	}
}

func TestSessionLimitAndKick(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxSessions = 2 })
	devs := []*device{e.device("u", "d1", devOpts{}), e.device("u", "d2", devOpts{}), e.device("u", "d3", devOpts{})}
	tok := token(t, "u", time.Hour)
	for _, d := range devs {
		d.connect(t, tok)
	}
	devs[0].waitFor(t, "kicked", func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs {
			if ev.Kind == client.EventStatus && ev.Status == client.StatusDisconnected && ev.Code == codes.DisconnKick {
				return true
			}
		}
		return false
	})
	if devs[1].Status() != client.StatusConnected || devs[2].Status() != client.StatusConnected {
		t.Fatal("newer sessions must stay")
	}
	// The admin kick closes the rest and revokes the token in use: the
	// tokens issued in a second before the kick's (iat has one-second
	// resolution), so the kick comes a second later on the server's clock.
	e.clock.add(time.Second)
	if status, body := e.admin("POST", "/v1/users/u/kick", nil); status != 200 || body["data"].(map[string]any)["sessions"].(float64) != 2 {
		t.Fatalf("kick: %d %v", status, body)
	}
	for _, d := range devs[1:] {
		d.waitFor(t, "kicked", func(_ []*client.Message, evs []client.Event) bool {
			last := evs[len(evs)-1]
			return last.Kind == client.EventStatus && last.Status == client.StatusDisconnected
		})
	}
	again := e.device("u", "d4", devOpts{})
	_, err := again.Connect(context.Background(), tok)
	if codes.Of(err) != codes.ConnTokenIncorrect {
		t.Fatalf("revoked token: %v", err)
	}
	// A token issued in a later second is good.
	e.clock.add(time.Second)
	again2 := e.device("u", "d5", devOpts{})
	again2.connect(t, e.token(t, "u", time.Hour))
}

func TestTokensRefused(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		name string
		tok  string
		want int32
	}{
		{"garbage", "not-a-jwt", codes.ConnTokenIncorrect},
		{"expired", func() string { tok := e.token(t, "x", time.Second); e.clock.add(2 * time.Second); return tok }(), codes.ConnTokenExpired},
		{"other secret", func() string {
			tok, _ := authToken("another-secret-0123456789", "x")
			return tok
		}(), codes.ConnTokenIncorrect},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.device("x", "d-"+c.name, devOpts{})
			_, err := d.Connect(context.Background(), c.tok)
			var ce *codes.Error
			if !errors.As(err, &ce) || ce.Code != c.want {
				t.Fatalf("got %v, want %d", err, c.want)
			}
		})
	}
}

func TestSDKRateLimitRefusesBeforeSending(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{mod: func(c *client.Config) { c.SendRate = 5; c.SendBurst = 5 }})
	alice.connect(t, token(t, "alice", time.Hour))
	var limited int
	for i := 0; i < 7; i++ {
		if _, err := alice.SendMessage(context.Background(), text("bob", client.Private, "x"), client.SendOptions{}); codes.Of(err) == codes.SendFrequencyTooFast {
			limited++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if limited != 2 {
		t.Fatalf("%d of 7 immediate sends limited, want 2 (burst 5)", limited)
	}
	// Refused sends leave no local record.
	recs, _ := alice.store.History(context.Background(), client.Conversation{Type: client.Private, TargetID: "bob"}, 0, 100, false)
	if len(recs) != 5 {
		t.Fatalf("%d local records, want 5", len(recs))
	}
}

func TestSlowConsumerIsDisconnectedAndCatchesUp(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.SendQueueBytes = 1 << 20 })
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	// Bob's raw connection never reads: his queue overflows.
	r := e.raw(t)
	if ok := r.auth(token(t, "bob", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatal(ok)
	}
	// 15 MB: more than the loopback socket buffers hold.
	for i := 0; i < 150; i++ {
		alice.send(t, text("bob", client.Private, strings.Repeat("x", 100_000)))
	}
	status, body := e.metrics(t)
	if status != 200 || !strings.Contains(body, "imwasm_slow_consumers_total 1") {
		t.Fatalf("metrics %d:\n%s", status, body)
	}
	// His engine, connecting now, gets everything by sync.
	bob := e.device("bob", "b1", devOpts{})
	if _, err := bob.Connect(context.Background(), token(t, "bob", time.Hour)); err != nil {
		t.Fatal(err)
	}
	bob.waitMessages(t, 150)
}
