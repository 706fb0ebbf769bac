package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server"
)

// The read acks of Easemob and NIM (AckMessageRead, AckConversationRead):
// real server, real engines.

// v5For finds the MESSAGE_RECEIPT_RESPONSE_V5 count of message uid.
func v5For(r *client.ReceiptEvent, uid string) (client.ReceiptCount, bool) {
	for _, c := range r.Counts {
		if c.MessageUID == uid {
			return c, true
		}
	}
	return client.ReceiptCount{}, false
}

func TestMessageReadAckPrivate(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	e := newEnv(t, func(c *server.Config) { c.Now, c.RecallWindow = clk.now, -1 })
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	ctx := context.Background()
	m1 := alice.send(t, text("bob", client.Private, "one"))
	m2 := alice.send(t, text("bob", client.Private, "two"))
	bob.waitMessages(t, 2)

	// Past the receipt validity: a private read ack holds while the message is kept.
	clk.add(4 * 24 * time.Hour)
	if err := bob.AckMessageRead(ctx, fromAlice, m1.MessageUID, "seen"); err != nil {
		t.Fatal(err)
	}
	ev := alice.waitReceipt(t, "read ack of one", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool {
		_, ok := v5For(r, m1.MessageUID)
		return ok
	})
	c, _ := v5For(ev, m1.MessageUID)
	if c.ReadCount != 1 || c.TotalCount != 1 || len(c.Users) != 1 || c.Users[0].UserID != "bob" || c.Users[0].Content != "seen" || ev.Offline {
		t.Fatalf("read ack = %+v (offline %v), want bob's with its content, live", c, ev.Offline)
	}
	e.fence(t, alice, bob)
	if evs := receiptEvents(alice, client.EventReadReceipt); len(evs) != 0 {
		t.Fatalf("a message read ack told as a conversation read: %+v", evs)
	}
	if n := bob.UnreadCount(fromAlice); n != 2 {
		t.Fatalf("bob unread %d after a message ack, want 2: acks move no counts", n)
	}
	if got := len(receiptEvents(alice, client.EventReceiptResponseV5)); got != 1 {
		t.Fatalf("%d updates, want 1", got)
	}
	// Again: idempotent, nothing more.
	if err := bob.AckMessageRead(ctx, fromAlice, m1.MessageUID, ""); err != nil {
		t.Fatal(err)
	}

	// Refusals change nothing.
	wantCode(t, "content too long", bob.AckMessageRead(ctx, fromAlice, m2.MessageUID, strings.Repeat("x", 513)), codes.InvalidParameter)
	wantCode(t, "unknown message", bob.AckMessageRead(ctx, fromAlice, "nope", ""), codes.RRSV5MessageNotExist)
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"privateReadReceiptsEnabled": false}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	wantCode(t, "private receipts off", bob.AckMessageRead(ctx, fromAlice, m2.MessageUID, ""), codes.RRSV5Unavailable)
	e.fence(t, alice)
	if got := len(receiptEvents(alice, client.EventReceiptResponseV5)); got != 1 {
		t.Fatalf("%d updates after refusals, want 1", got)
	}
}

func TestMessageReadAckGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	g, d := groupOf(t, e, "alice", "bob", "carol", "dave")
	ctx := context.Background()
	asking := text("g", client.Group, "ack me")
	asking.NeedReceipt = true
	m := d["alice"].send(t, asking)
	plain := d["alice"].send(t, text("g", client.Group, "plain"))
	for _, u := range []string{"bob", "carol", "dave"} {
		d[u].waitMessages(t, 3) // the group notification and both
	}

	if err := d["bob"].AckMessageRead(ctx, g, m.MessageUID, `{"by":"bob"}`); err != nil {
		t.Fatal(err)
	}
	ev := d["alice"].waitReceipt(t, "bob's ack", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool {
		c, ok := v5For(r, m.MessageUID)
		return ok && c.ReadCount == 1
	})
	if c, _ := v5For(ev, m.MessageUID); c.TotalCount != 3 || len(c.Users) != 1 || c.Users[0].Content != `{"by":"bob"}` || ev.Offline {
		t.Fatalf("group ack = %+v", c)
	}
	wantCode(t, "a message that did not ask", d["carol"].AckMessageRead(ctx, g, plain.MessageUID, ""), codes.RRSV5MessageReceiptNeedless)

	// The sender away: the acks wait and come with the first sync, marked
	// offline (alice's second device, online, sees them flushed).
	alice, alice2 := d["alice"], e.device("alice", "a2", devOpts{})
	alice2.connect(t, token(t, "alice", time.Hour))
	alice.Disconnect()
	if err := d["carol"].AckMessageRead(ctx, g, m.MessageUID, "c"); err != nil {
		t.Fatal(err)
	}
	if err := d["dave"].AckMessageRead(ctx, g, m.MessageUID, ""); err != nil {
		t.Fatal(err)
	}
	_, err := d["bob"].Readers(ctx, g, m.MessageUID, 1, "", 100)
	wantCode(t, "a member reads the readers (the sender only, by default)", err, codes.RRSV5MessageSenderMismatch)
	alice2.waitReceipt(t, "all three acks flushed", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool {
		c, ok := v5For(r, m.MessageUID)
		return ok && c.ReadCount == 3
	})
	live := len(alice.events())
	alice.connect(t, token(t, "alice", time.Hour))
	readers := map[string]string{}
	alice.waitFor(t, "carol's and dave's acks", func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs[live:] {
			if ev.Kind != client.EventReceiptResponseV5 {
				continue
			}
			r := ev.Receipt
			c, ok := v5For(r, m.MessageUID)
			if !ok || !r.Offline {
				t.Fatalf("an update that waited came as live: %+v (offline %v)", r.Counts, r.Offline)
			}
			for _, u := range c.Users {
				readers[u.UserID] = u.Content
			}
		}
		return len(readers) == 2
	})
	if readers["carol"] != "c" || readers["dave"] != "" {
		t.Fatalf("acks that waited = %v, want carol's (with its content) and dave's", readers)
	}
	p, err := alice.Readers(ctx, g, m.MessageUID, 1, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range p.Users {
		got[r.UserID] = r.Content
	}
	if p.ReadCount != 3 || got["bob"] != `{"by":"bob"}` || got["carol"] != "c" || got["dave"] != "" || len(got) != 3 {
		t.Fatalf("readers = %+v (%d), want bob, carol and dave with their contents", got, p.ReadCount)
	}
}

func TestConversationReadAck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	for _, d := range []*device{alice, bob, bob2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	ctx := context.Background()
	m1 := alice.send(t, text("bob", client.Private, "one"))
	m2 := alice.send(t, text("bob", client.Private, "two"))
	bob.waitMessages(t, 2)
	bob2.waitMessages(t, 2)

	// Receipts off: refused, and nothing moved.
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"privateReadReceiptsEnabled": false}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	wantCode(t, "private receipts off", bob.AckConversationRead(ctx, fromAlice, ""), codes.RRSV5Unavailable)
	if n := bob.UnreadCount(fromAlice); n != 2 {
		t.Fatalf("a refused ack moved the unread count to %d", n)
	}
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"privateReadReceiptsEnabled": true}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}

	if err := bob.AckConversationRead(ctx, fromAlice, ""); err != nil {
		t.Fatal(err)
	}
	ev := alice.waitReceipt(t, "conversation read", client.EventReadReceipt, func(*client.ReceiptEvent) bool { return true })
	if ev.MessageUID != m2.MessageUID || ev.UserID != "bob" || ev.Offline {
		t.Fatalf("READ_RECEIPT_RECEIVED = %+v, want up to two, from bob", ev)
	}
	alice.waitFor(t, "both READ", func([]*client.Message, []client.Event) bool {
		return alice.stored(t, m1.MessageUID).SentStatus == client.StatusRead && alice.stored(t, m2.MessageUID).SentStatus == client.StatusRead
	})
	sync := bob2.waitReceipt(t, "the other device", client.EventSyncRead, func(*client.ReceiptEvent) bool { return true })
	if !sync.Told || sync.SentTime != m2.SentTime {
		t.Fatalf("SYNC_READ_STATUS = %+v, want told, at two", sync)
	}
	bob2.waitFor(t, "unread 0 on the other device", func([]*client.Message, []client.Event) bool { return bob2.UnreadCount(fromAlice) == 0 })
	if n := bob.UnreadCount(fromAlice); n != 0 {
		t.Fatalf("unread %d on the acking device", n)
	}
	if got := len(receiptEvents(alice, client.EventReceiptResponseV5)); got != 0 {
		t.Fatalf("a conversation ack told as message acks: %d", got)
	}

	// A plain read on the other device is not told, and says so.
	m3 := alice.send(t, text("bob", client.Private, "three"))
	bob.waitMessages(t, 3)
	bob2.waitMessages(t, 3) // a read of "the latest" is of the latest this device holds
	if err := bob2.MarkRead(ctx, fromAlice, 0); err != nil {
		t.Fatal(err)
	}
	plain := bob.waitReceipt(t, "a plain read", client.EventSyncRead, func(r *client.ReceiptEvent) bool { return r.SentTime == m3.SentTime })
	if plain.Told {
		t.Fatalf("a plain read reported as told: %+v", plain)
	}
	e.fence(t, alice)
	if got := len(receiptEvents(alice, client.EventReadReceipt)); got != 1 {
		t.Fatalf("alice got %d conversation reads, want 1", got)
	}

	// In a group: the watermark only; the other device hears it was an ack.
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	alice.send(t, text("g", client.Group, "hi"))
	bob.waitMessages(t, 5)
	if err := bob.AckConversationRead(ctx, g, ""); err != nil {
		t.Fatal(err)
	}
	gs := bob2.waitReceipt(t, "group ack on the other device", client.EventSyncRead, func(r *client.ReceiptEvent) bool { return r.Conversation == g })
	if !gs.Told {
		t.Fatalf("group SYNC_READ_STATUS = %+v", gs)
	}
	e.fence(t, alice)
	if got := len(receiptEvents(alice, client.EventReadReceipt)); got != 1 {
		t.Fatalf("a group conversation ack told the sender")
	}
}

// receiptMaxGroupMembers (seed 001's 200-member cap): past it a message
// goes without asking and a request does nothing, with no error.
func TestReceiptGroupSizeCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	g, d := groupOf(t, e, "alice", "bob", "carol")
	ctx := context.Background()
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"receiptMaxGroupMembers": 2}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	asking := text("g", client.Group, "ack me")
	asking.NeedReceipt = true
	m := d["alice"].send(t, asking)
	got := d["bob"].waitMessages(t, 2)
	if last := got[len(got)-1]; last.MessageUID != m.MessageUID || last.NeedReceipt {
		t.Fatalf("bob got %+v, want the message without needReceipt", last)
	}
	wantCode(t, "an ack of a message that did not ask", d["bob"].AckMessageRead(ctx, g, m.MessageUID, ""), codes.RRSV5MessageReceiptNeedless)
	if err := d["alice"].RequestReceipts(ctx, g, m.MessageUID); err != nil {
		t.Fatalf("a request past the cap: %v, want no error", err)
	}
	wantCode(t, "and it asked nothing", d["carol"].RespondReceipts(ctx, g, []string{m.MessageUID}), codes.RRSV5MessageReceiptNeedless)

	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"receiptMaxGroupMembers": 3}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	m2 := d["alice"].send(t, asking.Clone())
	d["bob"].waitMessages(t, 3)
	if err := d["bob"].AckMessageRead(ctx, g, m2.MessageUID, ""); err != nil {
		t.Fatalf("within the cap: %v", err)
	}
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"receiptMaxGroupMembers": -1}); status != 400 {
		t.Fatalf("a negative cap: %d %v, want 400", status, res)
	}
}

// Acks with their content wait for a sender who is away across a server
// restart: one already in the sender's log, one not yet told (the next
// update was due an hour later) when the server stopped.
func TestReadAcksSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir; c.ReceiptInterval = time.Hour })
	g, d := groupOf(t, e, "alice", "bob", "carol")
	ctx := context.Background()
	asking := text("g", client.Group, "ack me")
	asking.NeedReceipt = true
	m := d["alice"].send(t, asking)
	d["bob"].waitMessages(t, 2)
	d["carol"].waitMessages(t, 2)
	d["alice"].Disconnect()
	if err := d["bob"].AckMessageRead(ctx, g, m.MessageUID, "from bob"); err != nil {
		t.Fatal(err)
	}
	if err := d["carol"].AckMessageRead(ctx, g, m.MessageUID, "from carol"); err != nil {
		t.Fatal(err)
	}
	for _, dv := range d {
		dv.Disconnect()
	}
	e.stop()

	e2 := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	alice := e2.device("alice", "a1b", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	readers := map[string]string{}
	alice.waitFor(t, "both acks", func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs {
			if ev.Kind != client.EventReceiptResponseV5 {
				continue
			}
			c, ok := v5For(ev.Receipt, m.MessageUID)
			if !ok {
				continue
			}
			for _, u := range c.Users {
				readers[u.UserID] = u.Content
			}
		}
		return len(readers) == 2
	})
	if readers["bob"] != "from bob" || readers["carol"] != "from carol" {
		t.Fatalf("acks after the restart = %v", readers)
	}
}

// NIM's p2p receipt: read up to one message, and the peer told of it.
func TestConversationReadAckUpTo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	ctx := context.Background()
	m1 := alice.send(t, text("bob", client.Private, "one"))
	m2 := alice.send(t, text("bob", client.Private, "two"))
	bob.waitMessages(t, 2)
	if err := bob.AckConversationRead(ctx, fromAlice, m1.MessageUID); err != nil {
		t.Fatal(err)
	}
	ev := alice.waitReceipt(t, "read up to one", client.EventReadReceipt, func(*client.ReceiptEvent) bool { return true })
	if ev.MessageUID != m1.MessageUID {
		t.Fatalf("READ_RECEIPT_RECEIVED = %+v, want up to one", ev)
	}
	if n := bob.UnreadCount(fromAlice); n != 1 {
		t.Fatalf("bob unread %d, want 1 (two is after the ack)", n)
	}
	e.fence(t, alice)
	if s := alice.stored(t, m2.MessageUID).SentStatus; s == client.StatusRead {
		t.Fatalf("two is READ after an ack up to one")
	}
	wantCode(t, "a message this device lacks", bob.AckConversationRead(ctx, fromAlice, "nope"), codes.InvalidParameterMessageUID)
}

// History says read for what lies at or below the user's read watermark,
// wherever the user read it (NIM's read and unread status).
func TestHistoryReadByWatermark(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	for _, d := range []*device{alice, bob, bob2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	ctx := context.Background()
	m1 := alice.send(t, text("bob", client.Private, "one"))
	alice.send(t, text("bob", client.Private, "two"))
	bob.waitMessages(t, 2)
	bob2.waitMessages(t, 2)
	if err := bob2.AckConversationRead(ctx, fromAlice, m1.MessageUID); err != nil {
		t.Fatal(err)
	}
	bob.waitReceipt(t, "the other device's read", client.EventSyncRead, func(*client.ReceiptEvent) bool { return true })
	ms, _, err := bob.GetHistory(ctx, fromAlice, 0, 10, client.OrderOlder)
	if err != nil || len(ms) != 2 {
		t.Fatalf("history %d, %v", len(ms), err)
	}
	if ms[0].IsRead || !ms[1].IsRead {
		t.Fatalf("read: two %v, one %v; want one read (below the watermark), two not", ms[0].IsRead, ms[1].IsRead)
	}
}

// A conversation ack tells the peer even where the watermark had already
// moved (a plain read first, as NIM's resetSessionUnread then
// sendMsgReceipt), and only once.
func TestConversationAckAfterAPlainRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	ctx := context.Background()
	m1 := alice.send(t, text("bob", client.Private, "one"))
	bob.waitMessages(t, 1)
	if err := bob.MarkRead(ctx, fromAlice, 0); err != nil {
		t.Fatal(err)
	}
	if err := bob.AckConversationRead(ctx, fromAlice, m1.MessageUID); err != nil {
		t.Fatal(err)
	}
	ev := alice.waitReceipt(t, "told after a plain read", client.EventReadReceipt, func(*client.ReceiptEvent) bool { return true })
	if ev.MessageUID != m1.MessageUID {
		t.Fatalf("READ_RECEIPT_RECEIVED = %+v", ev)
	}
	if err := bob.AckConversationRead(ctx, fromAlice, ""); err != nil {
		t.Fatal(err)
	}
	e.fence(t, alice)
	if n := len(receiptEvents(alice, client.EventReadReceipt)); n != 1 {
		t.Fatalf("told %d times, want once", n)
	}

	// A message of another conversation is refused, and moves nothing.
	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	mc := carol.send(t, text("bob", client.Private, "from carol"))
	alice.send(t, text("bob", client.Private, "two"))
	bob.waitMessages(t, 3)
	wantCode(t, "another conversation's message", bob.AckConversationRead(ctx, fromAlice, mc.MessageUID), codes.InvalidParameterMessageUID)
	if n := bob.UnreadCount(fromAlice); n != 1 {
		t.Fatalf("unread %d after a refused ack, want 1", n)
	}
}
