package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/wsnative"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// Receipts end to end: real server, real engines, docs/receipts.md.

func receiptEvents(d *device, kind client.EventKind) []*client.ReceiptEvent {
	var out []*client.ReceiptEvent
	for _, ev := range d.events() {
		if ev.Kind == kind {
			out = append(out, ev.Receipt)
		}
	}
	return out
}

func (d *device) waitReceipt(t *testing.T, what string, kind client.EventKind, ok func(*client.ReceiptEvent) bool) *client.ReceiptEvent {
	t.Helper()
	var found *client.ReceiptEvent
	d.waitFor(t, what, func(_ []*client.Message, evs []client.Event) bool {
		for _, ev := range evs {
			if ev.Kind == kind && ok(ev.Receipt) {
				found = ev.Receipt
				return true
			}
		}
		return false
	})
	return found
}

func (d *device) stored(t *testing.T, uid string) *client.Message {
	t.Helper()
	ms, err := d.store.MessagesByUID(context.Background(), []string{uid})
	if err != nil || len(ms) != 1 || ms[0] == nil {
		t.Fatalf("%s holds no message %s (%v)", d.id, uid, err)
	}
	return ms[0]
}

func wantCode(t *testing.T, what string, err error, code int32) {
	t.Helper()
	if got := codes.Of(err); got != code {
		t.Fatalf("%s: code %d (%v), want %d", what, got, err, code)
	}
}

func TestDeliveryReceipts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// Devices ack sooner than the default second: the test waits for acks.
	const ackEvery = 50 * time.Millisecond
	alice := e.device("alice", "a1", devOpts{mod: func(c *client.Config) { c.DeliveryReceipts, c.AckInterval = true, ackEvery }})
	bob := e.device("bob", "b1", devOpts{mod: func(c *client.Config) { c.AckInterval = ackEvery }})
	bob2 := e.device("bob", "b2", devOpts{mod: func(c *client.Config) { c.DeliveryReceipts, c.AckInterval = true, ackEvery }})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	bob2.connect(t, token(t, "bob", time.Hour))
	toBob := client.Conversation{Type: client.Private, TargetID: "bob"}

	m := alice.send(t, text("bob", client.Private, "one"))
	ev := alice.waitReceipt(t, "delivered", client.EventDelivered, func(r *client.ReceiptEvent) bool {
		return slices.Contains(r.MessageUIDs, m.MessageUID)
	})
	if ev.UserID != "bob" || ev.Conversation != toBob || ev.Time == 0 {
		t.Fatalf("MESSAGE_DELIVERED = %+v", ev)
	}
	alice.waitFor(t, "RECEIVED", func([]*client.Message, []client.Event) bool {
		return alice.stored(t, m.MessageUID).SentStatus == client.StatusReceived
	})

	// Bob's device does not ask for delivery receipts: Alice's device
	// tells nobody. His other device asks on the next message: once he is
	// told of that one, Alice's acks up to it were taken, so a receipt for
	// the first would have come before.
	bm := bob.send(t, text("alice", client.Private, "no receipt wanted"))
	asked := bob2.send(t, text("alice", client.Private, "receipt wanted"))
	bob.waitReceipt(t, "delivered (the later message)", client.EventDelivered, func(r *client.ReceiptEvent) bool {
		return slices.Contains(r.MessageUIDs, asked.MessageUID)
	})
	for _, r := range receiptEvents(bob, client.EventDelivered) {
		if slices.Contains(r.MessageUIDs, bm.MessageUID) {
			t.Fatalf("bob got a delivery receipt he did not ask for: %+v", r)
		}
	}
	if s := bob.stored(t, bm.MessageUID).SentStatus; s != client.StatusSent {
		t.Fatalf("bob's message status %d, want SENT", s)
	}

	// The sender offline when the recipient stores it: told on connect.
	bob.Disconnect()
	bob2.Disconnect()
	m2 := alice.send(t, text("bob", client.Private, "two"))
	alice.Disconnect()
	bob.connect(t, token(t, "bob", time.Hour))
	waitUID(t, bob, m2.MessageUID)
	// Bob's device acks it: the receipt waits in Alice's log.
	waitDB(t, e.dir, 1, `SELECT COUNT(*) FROM messages WHERE conv_id=? AND instr(body, ?) > 0`, "u:alice", []byte(m2.MessageUID))
	alice.connect(t, token(t, "alice", time.Hour))
	alice.waitReceipt(t, "delivered while offline", client.EventDelivered, func(r *client.ReceiptEvent) bool {
		return slices.Contains(r.MessageUIDs, m2.MessageUID)
	})
	if s := alice.stored(t, m2.MessageUID).SentStatus; s != client.StatusReceived {
		t.Fatalf("status %d after reconnect, want RECEIVED", s)
	}
}

// Reading and telling are apart, as in RongIMLib: a read receipt tells the
// peer and moves nobody's counts; clearing unread moves the reader's counts
// on all their devices and tells the peer nothing; the app can turn
// private receipts off.
func TestPrivateReadReceipts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	bob2.connect(t, token(t, "bob", time.Hour))
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}

	m1 := alice.send(t, text("bob", client.Private, "one"))
	m2 := alice.send(t, text("bob", client.Private, "two"))
	m3 := alice.send(t, text("bob", client.Private, "three"))
	bob.waitMessages(t, 3)
	bob2.waitMessages(t, 3)

	// A receipt: alice learns, bob's counts stay.
	if err := bob.SendReadReceipt(context.Background(), fromAlice, m2.MessageUID); err != nil {
		t.Fatal(err)
	}
	ev := alice.waitReceipt(t, "READ_RECEIPT_RECEIVED", client.EventReadReceipt, func(*client.ReceiptEvent) bool { return true })
	if ev.MessageUID != m2.MessageUID || ev.SentTime != m2.SentTime || ev.UserID != "bob" || ev.Conversation.TargetID != "bob" {
		t.Fatalf("READ_RECEIPT_RECEIVED = %+v, want message two from bob", ev)
	}
	alice.waitFor(t, "READ up to two", func([]*client.Message, []client.Event) bool {
		return alice.stored(t, m2.MessageUID).SentStatus == client.StatusRead
	})
	if s := alice.stored(t, m1.MessageUID).SentStatus; s != client.StatusRead {
		t.Fatalf("older message status %d, want READ", s)
	}
	if s := alice.stored(t, m3.MessageUID).SentStatus; s != client.StatusSent {
		t.Fatalf("newer message status %d, want SENT", s)
	}
	e.fence(t, bob, bob2)
	for _, d := range []*device{bob, bob2} {
		if n := d.UnreadCount(fromAlice); n != 3 {
			t.Fatalf("%s unread %d after a receipt, want 3: a receipt moves no counts", d.id, n)
		}
		if evs := receiptEvents(d, client.EventSyncRead); len(evs) != 0 {
			t.Fatalf("%s: a receipt reported as bob's read: %+v", d.id, evs)
		}
	}
	// An older receipt tells nobody again.
	if err := bob.SendReadReceipt(context.Background(), fromAlice, m1.MessageUID); err != nil {
		t.Fatal(err)
	}

	// Clearing unread: all of bob's devices, and alice hears nothing.
	if err := bob2.MarkRead(context.Background(), fromAlice, 0); err != nil {
		t.Fatal(err)
	}
	sync := bob.waitReceipt(t, "SYNC_READ_STATUS", client.EventSyncRead, func(*client.ReceiptEvent) bool { return true })
	if sync.SentTime != m3.SentTime || sync.Conversation != fromAlice {
		t.Fatalf("SYNC_READ_STATUS = %+v", sync)
	}
	bob.waitFor(t, "bob unread 0", func([]*client.Message, []client.Event) bool { return bob.UnreadCount(fromAlice) == 0 })
	e.fence(t, alice)
	if evs := receiptEvents(alice, client.EventReadReceipt); len(evs) != 1 {
		t.Fatalf("alice got %d read receipts, want the one bob sent: reading tells nobody", len(evs))
	}
	if s := alice.stored(t, m3.MessageUID).SentStatus; s != client.StatusSent {
		t.Fatalf("message three %d after bob cleared his unread, want SENT", s)
	}

	// Receipts off: refused, nothing sent; on again: sent.
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"privateReadReceiptsEnabled": false}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	wantCode(t, "receipts off", bob.SendReadReceipt(context.Background(), fromAlice, m3.MessageUID), codes.RRSV5Unavailable)
	e.fence(t, alice)
	if evs := receiptEvents(alice, client.EventReadReceipt); len(evs) != 1 {
		t.Fatalf("alice got %d read receipts with receipts off", len(evs))
	}
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"privateReadReceiptsEnabled": true}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	if err := bob.SendReadReceipt(context.Background(), fromAlice, m3.MessageUID); err != nil {
		t.Fatal(err)
	}
	alice.waitReceipt(t, "read to the end", client.EventReadReceipt, func(r *client.ReceiptEvent) bool { return r.MessageUID == m3.MessageUID })
	wantCode(t, "unknown message", bob.SendReadReceipt(context.Background(), fromAlice, "nope"), codes.InvalidParameterMessageUID)
}

func TestGroupReadIsPrivate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	for _, d := range []*device{alice, bob, bob2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	alice.send(t, text("g", client.Group, "hi"))
	bob.waitMessages(t, 2) // the group notification and hi
	if err := bob.MarkRead(context.Background(), g, 0); err != nil {
		t.Fatal(err)
	}
	bob2.waitReceipt(t, "SYNC_READ_STATUS", client.EventSyncRead, func(r *client.ReceiptEvent) bool { return r.Conversation == g })
	e.fence(t, alice)
	if evs := receiptEvents(alice, client.EventReadReceipt); len(evs) != 0 {
		t.Fatalf("a group read told the sender: %+v", evs)
	}
}

func groupOf(t *testing.T, e *env, members ...string) (client.Conversation, map[string]*device) {
	t.Helper()
	e.group(t, "g", members[0], members, nil)
	devs := map[string]*device{}
	for _, u := range members {
		devs[u] = e.device(u, u+"1", devOpts{})
		devs[u].connect(t, token(t, u, time.Hour))
	}
	return client.Conversation{Type: client.Group, TargetID: "g"}, devs
}

func TestGroupRequestResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	g, d := groupOf(t, e, "alice", "bob", "carol")
	alice, bob, carol := d["alice"], d["bob"], d["carol"]
	bob2 := e.device("bob", "bob2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	ctx := context.Background()

	m := alice.send(t, text("g", client.Group, "lunch?"))
	bob.waitMessages(t, 2)
	wantCode(t, "request by a member", bob.RequestReceipts(ctx, g, m.MessageUID), codes.RRSV5MessageSenderMismatch)
	wantCode(t, "answer before a request", bob.RespondReceipts(ctx, g, []string{m.MessageUID}), codes.RRSV5MessageReceiptNeedless)
	carol.Disconnect()

	if err := alice.RequestReceipts(ctx, g, m.MessageUID); err != nil {
		t.Fatal(err)
	}
	req := bob.waitReceipt(t, "MESSAGE_RECEIPT_REQUEST", client.EventReceiptRequest, func(*client.ReceiptEvent) bool { return true })
	if req.MessageUID != m.MessageUID || req.UserID != "alice" || req.Conversation != g {
		t.Fatalf("MESSAGE_RECEIPT_REQUEST = %+v", req)
	}
	if rc := bob.stored(t, m.MessageUID).Receipt; rc == nil || !rc.IsRequest || rc.HasRespond {
		t.Fatalf("bob's copy: receipt %+v, want a request not answered", rc)
	}
	// Asking again is harmless and tells nobody twice.
	if err := alice.RequestReceipts(ctx, g, m.MessageUID); err != nil {
		t.Fatal(err)
	}

	// Bob answers what his cache holds (no message list).
	answered, err := bob.RespondCachedRequests(ctx, g)
	if err != nil || !slices.Equal(answered, []string{m.MessageUID}) {
		t.Fatalf("answered %v, %v", answered, err)
	}
	resp := alice.waitReceipt(t, "MESSAGE_RECEIPT_RESPONSE", client.EventReceiptResponse, func(*client.ReceiptEvent) bool { return true })
	if resp.UserID != "bob" || !slices.Equal(resp.MessageUIDs, []string{m.MessageUID}) {
		t.Fatalf("MESSAGE_RECEIPT_RESPONSE = %+v", resp)
	}
	v5 := alice.waitReceipt(t, "V5 counts", client.EventReceiptResponseV5, func(*client.ReceiptEvent) bool { return true })
	if c := v5.Counts; len(c) != 1 || c[0].ReadCount != 1 || c[0].TotalCount != 2 || len(c[0].Users) != 1 || c[0].Users[0].UserID != "bob" {
		t.Fatalf("V5 counts %+v", c)
	}
	// Bob's other device learns he answered; his cache is empty now.
	bob2.waitFor(t, "hasRespond", func([]*client.Message, []client.Event) bool {
		rc := bob2.stored(t, m.MessageUID).Receipt
		return rc != nil && rc.IsRequest && rc.HasRespond
	})
	if again, err := bob.RespondCachedRequests(ctx, g); err != nil || len(again) != 0 {
		t.Fatalf("second answer sent %v, %v", again, err)
	}
	if again, err := bob2.RespondCachedRequests(ctx, g); err != nil || len(again) != 0 {
		t.Fatalf("bob's second device answered again: %v, %v", again, err)
	}
	// A duplicate answer changes nothing.
	if err := bob.RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}

	// Carol was offline: the request reaches her on sync, and her answer
	// with an explicit list counts.
	carol.connect(t, token(t, "carol", time.Hour))
	carol.waitReceipt(t, "request on sync", client.EventReceiptRequest, func(r *client.ReceiptEvent) bool { return r.MessageUID == m.MessageUID })
	if err := carol.RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
		t.Fatal(err)
	}
	alice.waitReceipt(t, "carol's response", client.EventReceiptResponse, func(r *client.ReceiptEvent) bool { return r.UserID == "carol" })
	alice.waitFor(t, "readers in alice's copy", func([]*client.Message, []client.Event) bool {
		rc := alice.stored(t, m.MessageUID).Receipt
		return rc != nil && rc.ReadCount == 2 && len(rc.Readers) == 2
	})
	if n := len(receiptEvents(alice, client.EventReceiptResponse)); n != 2 {
		t.Fatalf("alice got %d responses, want 2 (duplicates are idempotent)", n)
	}
	page, err := alice.Readers(ctx, g, m.MessageUID, 0, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if page.TotalCount != 2 || page.ReadCount != 2 || len(page.Users) != 2 || page.Users[0].UserID != "bob" || page.Users[0].Time == 0 {
		t.Fatalf("getMessageReader = %+v", page)
	}
	_, err = bob.Readers(ctx, g, m.MessageUID, 0, "", 0)
	wantCode(t, "a member reads the reader list", err, codes.RRSV5MessageSenderMismatch)
}

func TestNeedReceiptCountsAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	members := []string{"alice"}
	for i := range 5 {
		members = append(members, fmt.Sprintf("u%d", i))
	}
	g, d := groupOf(t, e, members...)
	alice := d["alice"]
	ctx := context.Background()
	msg := text("g", client.Group, "vote")
	msg.NeedReceipt = true
	m := alice.send(t, msg)
	alice.Disconnect() // the sender is offline while members read
	for _, u := range members[1:4] {
		d[u].waitMessages(t, 2)
		if err := d[u].RespondReceipts(ctx, g, []string{m.MessageUID}); err != nil {
			t.Fatal(err)
		}
	}
	alice.connect(t, token(t, "alice", time.Hour))
	alice.waitFor(t, "3 readers", func([]*client.Message, []client.Event) bool {
		rc := alice.stored(t, m.MessageUID).Receipt
		return rc != nil && rc.ReadCount == 3 && rc.TotalCount == 5
	})
	infos, err := alice.ReceiptCounts(ctx, g, []string{m.MessageUID})
	if err != nil || len(infos) != 1 || infos[0].ReadCount != 3 || infos[0].TotalCount != 5 {
		t.Fatalf("getMessageReadReceiptInfoV5 = %+v, %v", infos, err)
	}
	// Readers in pages of 2, then the two who have not read.
	p1, err := alice.Readers(ctx, g, m.MessageUID, 1, "", 2)
	if err != nil || len(p1.Users) != 2 || p1.NextPageToken == "" {
		t.Fatalf("page 1 = %+v, %v", p1, err)
	}
	p2, err := alice.Readers(ctx, g, m.MessageUID, 1, p1.NextPageToken, 2)
	if err != nil || len(p2.Users) != 1 || p2.NextPageToken != "" {
		t.Fatalf("page 2 = %+v, %v", p2, err)
	}
	unread, err := alice.Readers(ctx, g, m.MessageUID, 2, "", 0)
	if err != nil || len(unread.Users) != 2 || unread.Users[0].UserID != "u3" || unread.Users[1].UserID != "u4" {
		t.Fatalf("non-readers = %+v, %v", unread, err)
	}
	// Private chats take needReceipt too.
	pm := text("u0", client.Private, "private vote")
	pm.NeedReceipt = true
	sent := alice.send(t, pm)
	d["u0"].waitMessages(t, 3)
	if err := d["u0"].RespondReceipts(ctx, client.Conversation{Type: client.Private, TargetID: "alice"}, []string{sent.MessageUID}); err != nil {
		t.Fatal(err)
	}
	alice.waitReceipt(t, "private V5", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool {
		return len(r.Counts) == 1 && r.Counts[0].MessageUID == sent.MessageUID && r.Counts[0].ReadCount == 1 && r.Counts[0].TotalCount == 1
	})
}

func TestReceiptPolicyAndRefusals(t *testing.T) {
	t.Parallel()
	clk := &clock{}
	// The clock moves days past the sent times: no recall window.
	e := newEnv(t, func(c *server.Config) { c.Now, c.RecallWindow = clk.now, -1 })
	e.group(t, "g", "alice", []string{"alice", "bob", "carol"}, []string{"bob"})
	d := map[string]*device{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		d[u] = e.device(u, u+"1", devOpts{})
		d[u].connect(t, token(t, u, time.Hour))
	}
	alice, bob, carol := d["alice"], d["bob"], d["carol"]
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	ctx := context.Background()
	needing := func(s string) *client.Message {
		m := text("g", client.Group, s)
		m.NeedReceipt = true
		return m
	}
	put := func(body map[string]any) {
		t.Helper()
		if status, res := e.admin("PUT", "/v1/settings", body); status != 200 {
			t.Fatalf("settings: %d %v", status, res)
		}
	}
	sendErr := func(dv *device, m *client.Message) error {
		_, err := dv.SendMessage(ctx, m, client.SendOptions{})
		return err
	}

	// Status and targeted messages cannot ask.
	st := needing("typing")
	st.IsStatus = true
	wantCode(t, "status message", sendErr(alice, st), codes.SendReadReceiptConfError)
	tg := needing("for bob")
	tg.DirectedUserIDs = []string{"bob"}
	wantCode(t, "targeted message", sendErr(alice, tg), codes.SendReadReceiptConfError)

	// Switched off.
	put(map[string]any{"receiptsEnabled": false})
	err := sendErr(alice, needing("off"))
	wantCode(t, "receipts off", err, codes.RRSV5Unavailable)
	if err.Error() == "" || codes.Of(err) != codes.RRSV5Unavailable || !containsMsg(err, "group ack msg not open") {
		t.Fatalf("reason text: %v", err)
	}
	put(map[string]any{"receiptsEnabled": true, "receiptRequesters": "admins"})
	err = sendErr(carol, needing("member asks"))
	wantCode(t, "member asks in admins mode", err, codes.ForbiddenInGroup)
	if !containsMsg(err, "group ack msg permission denied") {
		t.Fatalf("reason text: %v", err)
	}
	if err := sendErr(bob, needing("admin asks")); err != nil {
		t.Fatalf("an admin may ask: %v", err)
	}
	put(map[string]any{"receiptRequesters": "all", "receiptDailyQuota": 3})
	// bob's message took one of the day's 3.
	m1 := alice.send(t, needing("q2"))
	alice.send(t, needing("q3"))
	err = sendErr(alice, needing("q4"))
	wantCode(t, "daily quota", err, codes.SendFrequencyTooFast)
	if !containsMsg(err, "limit send group ack msg") {
		t.Fatalf("reason text: %v", err)
	}
	plain := alice.send(t, text("g", client.Group, "plain"))
	wantCode(t, "request over quota", alice.RequestReceipts(ctx, g, plain.MessageUID), codes.SendFrequencyTooFast)
	clk.add(24 * time.Hour) // a new day
	if err := alice.RequestReceipts(ctx, g, plain.MessageUID); err != nil {
		t.Fatalf("request the next day: %v", err)
	}
	// Requests racing for one message, from alice's devices at once, take
	// one use of the quota between them (this day: 1 of 3 taken above).
	race := alice.send(t, text("g", client.Group, "raced"))
	racers := []*device{alice}
	for i := 2; i <= 4; i++ {
		dv := e.device("alice", fmt.Sprint("alice", i), devOpts{})
		dv.connect(t, e.token(t, "alice", time.Hour)) // valid on the server's clock, a day ahead
		racers = append(racers, dv)
	}
	var wg sync.WaitGroup
	raceErrs := make([]error, len(racers))
	for i, dv := range racers {
		wg.Add(1)
		go func() { defer wg.Done(); raceErrs[i] = dv.RequestReceipts(ctx, g, race.MessageUID) }()
	}
	wg.Wait()
	for i, err := range raceErrs {
		if err != nil {
			t.Fatalf("racing request %d: %v", i, err)
		}
	}
	third := alice.send(t, text("g", client.Group, "third"))
	if err := alice.RequestReceipts(ctx, g, third.MessageUID); err != nil {
		t.Fatalf("the day's third request (the race took one): %v", err)
	}
	fourth := alice.send(t, text("g", client.Group, "fourth"))
	wantCode(t, "the day's fourth request", alice.RequestReceipts(ctx, g, fourth.MessageUID), codes.SendFrequencyTooFast)
	clk.add(24 * time.Hour) // a fresh quota for what follows

	// Permissions and bad targets.
	wantCode(t, "non-member answers", d["dave"].RespondReceipts(ctx, g, []string{m1.MessageUID}), codes.NotInGroup)
	wantCode(t, "unknown message", bob.RespondReceipts(ctx, g, []string{"nope"}), codes.RRSV5MessageNotExist)
	if err := bob.RespondReceipts(ctx, g, []string{m1.MessageUID}); err != nil {
		t.Fatal(err)
	}
	_, err = carol.ReceiptCounts(ctx, g, []string{m1.MessageUID})
	wantCode(t, "member reads counts", err, codes.RRSV5MessageSenderMismatch)
	put(map[string]any{"readerListVisibleTo": "members"})
	if infos, err := carol.ReceiptCounts(ctx, g, []string{m1.MessageUID}); err != nil || infos[0].ReadCount != 1 {
		t.Fatalf("members may read counts: %+v %v", infos, err)
	}

	// Removed from the group: no more answers.
	if status, _ := e.admin("DELETE", "/v1/groups/g/members/carol", nil); status != 200 {
		t.Fatal("remove carol")
	}
	wantCode(t, "removed member answers", carol.RespondReceipts(ctx, g, []string{m1.MessageUID}), codes.NotInGroup)

	// Recalled: the message no longer takes receipts.
	m5 := alice.send(t, needing("to recall"))
	if _, err := alice.RecallMessage(ctx, g, m5.MessageUID, m5.SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "answer a recalled message", bob.RespondReceipts(ctx, g, []string{m5.MessageUID}), codes.RRSV5MessageReceiptNeedless)

	// Past the validity (3 days): not found, and the readers are gone.
	clk.add(3*24*time.Hour + time.Minute)
	wantCode(t, "answer after 3 days", bob.RespondReceipts(ctx, g, []string{m1.MessageUID}), codes.RRSV5MessageNotExist)
	_, err = alice.Readers(ctx, g, m1.MessageUID, 0, "", 0)
	wantCode(t, "readers after 3 days", err, codes.RRSV5MessageNotExist)
}

func containsMsg(err error, s string) bool {
	var ce *codes.Error
	if e, ok := err.(*codes.Error); ok {
		ce = e
	}
	return ce != nil && ce.Msg == s
}

// A burst of answers reaches the sender coalesced, with exact counts.
func TestReceiptsCoalesced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	members := []string{"alice"}
	for i := range 40 {
		members = append(members, fmt.Sprintf("m%02d", i))
	}
	g, d := groupOf(t, e, members...)
	alice := d["alice"]
	ctx := context.Background()
	m := alice.send(t, text("g", client.Group, "all read this"))
	if err := alice.RequestReceipts(ctx, g, m.MessageUID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, u := range members[1:] {
		wg.Add(1)
		go func(dv *device) {
			defer wg.Done()
			dv.waitReceipt(t, "request", client.EventReceiptRequest, func(*client.ReceiptEvent) bool { return true })
			if _, err := dv.RespondCachedRequests(ctx, g); err != nil {
				t.Error(err)
			}
		}(d[u])
	}
	wg.Wait()
	alice.waitReceipt(t, "all 40", client.EventReceiptResponseV5, func(r *client.ReceiptEvent) bool { return r.Counts[0].ReadCount == 40 })
	v5 := receiptEvents(alice, client.EventReceiptResponseV5)
	responders := map[string]int{}
	for _, r := range receiptEvents(alice, client.EventReceiptResponse) {
		responders[r.UserID]++
	}
	if len(responders) != 40 {
		t.Fatalf("%d responders told, want 40", len(responders))
	}
	for u, n := range responders {
		if n != 1 {
			t.Fatalf("%s told %d times", u, n)
		}
	}
	if len(v5) >= 40 {
		t.Fatalf("%d receipt updates for 40 answers: not coalesced", len(v5))
	}
	t.Logf("40 answers reached the sender in %d updates", len(v5))
}

// The SDK's request cache keeps requests for 24 hours of the device's
// clock, and at most the latest 30 per group.
func TestRequestCacheExpiresAndIsCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	devClock := &clock{}
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{mod: func(c *client.Config) { c.Now = devClock.now }})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	ctx := context.Background()
	ask := func(s string) string {
		m := alice.send(t, text("g", client.Group, s))
		if err := alice.RequestReceipts(ctx, g, m.MessageUID); err != nil {
			t.Fatal(err)
		}
		return m.MessageUID
	}
	old := ask("old")
	bob.waitReceipt(t, "old request", client.EventReceiptRequest, func(r *client.ReceiptEvent) bool { return r.MessageUID == old })
	devClock.add(25 * time.Hour)
	answered, err := bob.RespondCachedRequests(ctx, g)
	if err != nil || len(answered) != 0 {
		t.Fatalf("answered %v (%v) after 24 hours", answered, err)
	}
	devClock.add(-25 * time.Hour) // requests are timed by the server's clock: keep the two together
	var uids []string
	for i := range 32 {
		uids = append(uids, ask(fmt.Sprintf("r%d", i)))
	}
	bob.waitReceipt(t, "the last request", client.EventReceiptRequest, func(r *client.ReceiptEvent) bool { return r.MessageUID == uids[31] })
	answered, err = bob.RespondCachedRequests(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(answered, uids[2:]) {
		t.Fatalf("answered %d requests %v, want the latest 30", len(answered), answered)
	}
}

// Answers in any order, and a second answer, leave the counts exact.
func TestReceiptsOutOfOrderAndDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	g, d := groupOf(t, e, "alice", "bob", "carol")
	alice, bob, carol := d["alice"], d["bob"], d["carol"]
	ctx := context.Background()
	var uids []string
	for i := range 3 {
		m := text("g", client.Group, fmt.Sprint("m", i))
		m.NeedReceipt = true
		uids = append(uids, alice.send(t, m).MessageUID)
	}
	bob.waitMessages(t, 4)
	carol.waitMessages(t, 4)
	// Newest first, then the middle one again with the oldest.
	for _, u := range []string{uids[2], uids[1]} {
		if err := bob.RespondReceipts(ctx, g, []string{u}); err != nil {
			t.Fatal(err)
		}
	}
	if err := bob.RespondReceipts(ctx, g, []string{uids[1], uids[0], uids[1]}); err != nil {
		t.Fatal(err)
	}
	if err := carol.RespondReceipts(ctx, g, []string{uids[0]}); err != nil {
		t.Fatal(err)
	}
	infos, err := alice.ReceiptCounts(ctx, g, uids)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, in := range infos {
		got[in.MessageUID] = in.ReadCount
	}
	if got[uids[0]] != 2 || got[uids[1]] != 1 || got[uids[2]] != 1 {
		t.Fatalf("read counts %v", got)
	}
	alice.waitFor(t, "alice's copies", func([]*client.Message, []client.Event) bool {
		r0, r1 := alice.stored(t, uids[0]).Receipt, alice.stored(t, uids[1]).Receipt
		return r0 != nil && r0.ReadCount == 2 && len(r0.Readers) == 2 && r1 != nil && r1.ReadCount == 1 && len(r1.Readers) == 1
	})
}

// Readers recorded but not yet told to the sender when the server stops
// are told after the restart.
func TestReceiptUpdateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	slow := func(c *server.Config) { c.DataDir = dir; c.ReceiptInterval = time.Hour }
	e := newEnv(t, slow)
	g, d := groupOf(t, e, "alice", "bob", "carol")
	ctx := context.Background()
	m := text("g", client.Group, "survive")
	m.NeedReceipt = true
	sent := d["alice"].send(t, m)
	d["bob"].waitMessages(t, 2)
	d["carol"].waitMessages(t, 2)
	if err := d["bob"].RespondReceipts(ctx, g, []string{sent.MessageUID}); err != nil {
		t.Fatal(err)
	}
	d["alice"].waitReceipt(t, "bob's answer", client.EventReceiptResponse, func(r *client.ReceiptEvent) bool { return r.UserID == "bob" })
	// The next update is due an hour after the first: carol's answer waits.
	if err := d["carol"].RespondReceipts(ctx, g, []string{sent.MessageUID}); err != nil {
		t.Fatal(err)
	}
	for _, dv := range d {
		dv.Disconnect()
	}
	e.stop()

	e2 := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	alice := e2.device("alice", "a2", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	alice.waitReceipt(t, "carol's answer after the restart", client.EventReceiptResponse, func(r *client.ReceiptEvent) bool {
		return r.UserID == "carol" && slices.Equal(r.MessageUIDs, []string{sent.MessageUID})
	})
}

// A device that was offline while another read learns it on connect
// (SYNC_READ_STATUS), although the sync state already moved its watermark.
func TestSyncReadStatusAfterOffline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bob2 := e.device("bob", "b2", devOpts{})
	for _, d := range []*device{alice, bob, bob2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	fromAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	m := alice.send(t, text("bob", client.Private, "hi"))
	bob.waitMessages(t, 1)
	bob2.waitMessages(t, 1)
	bob2.Disconnect()
	if err := bob.MarkRead(context.Background(), fromAlice, 0); err != nil {
		t.Fatal(err)
	}
	bob2.connect(t, token(t, "bob", time.Hour))
	ev := bob2.waitReceipt(t, "SYNC_READ_STATUS after reconnecting", client.EventSyncRead, func(*client.ReceiptEvent) bool { return true })
	if ev.SentTime != m.SentTime {
		t.Fatalf("SYNC_READ_STATUS %+v", ev)
	}
	if n := bob2.UnreadCount(fromAlice); n != 0 {
		t.Fatalf("unread %d", n)
	}
	if evs := receiptEvents(bob, client.EventSyncRead); len(evs) != 0 {
		t.Fatalf("the reading device told itself: %+v", evs)
	}
}

// A member who joined later cannot answer for, or read receipts of,
// messages sent before they joined.
func TestReceiptsBeforeJoining(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) {})
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	g := client.Conversation{Type: client.Group, TargetID: "g"}
	ctx := context.Background()
	m := text("g", client.Group, "before dave")
	m.NeedReceipt = true
	early := alice.send(t, m)
	if status, _ := e.admin("POST", "/v1/groups/g/members", map[string]any{"userIds": []string{"dave"}}); status != 200 {
		t.Fatal("add dave")
	}
	if status, _ := e.admin("PUT", "/v1/settings", map[string]any{"readerListVisibleTo": "members"}); status != 200 {
		t.Fatal("settings")
	}
	dave := e.device("dave", "d1", devOpts{})
	dave.connect(t, token(t, "dave", time.Hour))
	wantCode(t, "answer a message from before joining", dave.RespondReceipts(ctx, g, []string{early.MessageUID}), codes.RRSV5MessageNotExist)
	_, err := dave.ReceiptCounts(ctx, g, []string{early.MessageUID})
	wantCode(t, "counts of a message from before joining", err, codes.RRSV5MessageNotExist)
	late := alice.send(t, m)
	dave.waitFor(t, "the later message", func(got []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(got, func(x *client.Message) bool { return x.MessageUID == late.MessageUID })
	})
	if err := dave.RespondReceipts(ctx, g, []string{late.MessageUID}); err != nil {
		t.Fatalf("answer a message sent after joining: %v", err)
	}
}

// A resend of a message that asked for receipts (same client id) gets its
// first result and does not take the group's daily quota again.
func TestReceiptQuotaNotTakenByResend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	if status, _ := e.admin("PUT", "/v1/settings", map[string]any{"receiptDailyQuota": 1}); status != 200 {
		t.Fatal("settings")
	}
	ctx := context.Background()
	c, err := wsnative.Dialer{}.Dial(ctx, e.wsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	call := func(f *pb.Frame) *pb.Frame {
		t.Helper()
		b, _ := f.Marshal()
		if err := c.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		for {
			data, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			r := &pb.Frame{}
			r.Unmarshal(data)
			if r.Id == f.Id {
				return r
			}
		}
	}
	call(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: token(t, "alice", time.Hour), AppKey: appKey, DeviceId: "raw"}}})
	send := func(id uint64, clientID string) *pb.Frame {
		return call(&pb.Frame{Id: id, Body: &pb.Frame_Send{Send: &pb.SendRequest{
			Conv: &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}, ClientMsgId: clientID,
			ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"q"}`), IsPersisted: true, IsCounted: true, NeedReceipt: true,
		}}})
	}
	first := send(2, "c1").GetSendAck()
	again := send(3, "c1").GetSendAck()
	if first == nil || again == nil || !again.Duplicate || again.MessageUid != first.MessageUid {
		t.Fatalf("resend: %v then %v", first, again)
	}
	if r := send(4, "c2"); r.GetError().GetCode() != codes.SendFrequencyTooFast || r.GetError().GetMsg() != "limit send group ack msg" {
		t.Fatalf("a second message over the quota of 1: %v", r)
	}
}
