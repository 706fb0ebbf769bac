package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// contents lists the texts of messages (their "content" field), or their
// object name when they have none.
func contents(ms []*client.Message) []string {
	var out []string
	for _, m := range ms {
		var c struct{ Content string }
		json.Unmarshal(m.Content, &c)
		if c.Content == "" {
			out = append(out, m.ObjectName)
		} else {
			out = append(out, c.Content)
		}
	}
	return out
}

func storedTexts(t *testing.T, d *device, c client.Conversation) []string {
	t.Helper()
	ms, err := d.LocalHistory(context.Background(), c, 0, 100, false)
	if err != nil {
		t.Fatal(err)
	}
	return contents(ms)
}

func (e *env) group(t *testing.T, id, owner string, members, admins []string) {
	t.Helper()
	if status, body := e.admin("POST", "/v1/groups", map[string]any{"groupId": id, "name": id, "ownerId": owner, "memberIds": members, "adminIds": admins}); status != 200 {
		t.Fatalf("create group: %d %v", status, body)
	}
}

func TestStatusMessagesOnlineOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))

	status := &client.Message{Conversation: client.Conversation{Type: client.Private, TargetID: "bob"},
		ObjectName: "App:Ping", Content: []byte(`{"content":"ping"}`), IsStatus: true}
	sent := alice.send(t, status)
	if sent.MessageUID == "" || sent.Seq != 0 || sent.SentStatus != client.StatusSent || sent.MessageID != 0 {
		t.Fatalf("status send result: %+v", sent)
	}
	got := bob.waitMessages(t, 1)
	if got[0].MessageUID != sent.MessageUID || !got[0].IsStatus || got[0].Seq != 0 || got[0].ObjectName != "App:Ping" {
		t.Fatalf("bob got %+v", got[0])
	}
	// Stored nowhere: not in either device's history, and a device of bob
	// that connects later gets only what was stored.
	conv := client.Conversation{Type: client.Private, TargetID: "alice"}
	if h := storedTexts(t, bob, conv); len(h) != 0 {
		t.Fatalf("bob stored %v", h)
	}
	if h := storedTexts(t, alice, client.Conversation{Type: client.Private, TargetID: "bob"}); len(h) != 0 {
		t.Fatalf("alice stored %v", h)
	}
	alice.send(t, text("bob", client.Private, "stored"))
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	if got := contents(bob2.waitMessages(t, 1)); len(got) != 1 || got[0] != "stored" {
		t.Fatalf("new device got %v", got)
	}
	// Its sequence numbers did not move: the stored message is seq 1.
	if m := bob2.messages()[0]; m.Seq != 1 {
		t.Fatalf("stored message seq %d", m.Seq)
	}
}

func TestTargetedGroupMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
		d.waitMessages(t, 1) // the group's creation notice
	}
	secret := text("g1", client.Group, "for bob only")
	secret.DirectedUserIDs = []string{"bob"}
	alice.send(t, secret)
	alice.send(t, text("g1", client.Group, "for all"))

	if got := contents(bob.waitMessages(t, 3)); strings.Join(got, "|") != "RC:GrpNtf|for bob only|for all" {
		t.Fatalf("bob got %v", got)
	}
	// Carol sees the next message in order (her sequence passed the
	// targeted one through its tombstone), and never the targeted one.
	got := carol.waitMessages(t, 2)
	if strings.Join(contents(got), "|") != "RC:GrpNtf|for all" || got[1].Seq != 3 {
		t.Fatalf("carol got %v (seq %d)", contents(got), got[len(got)-1].Seq)
	}
	gc := client.Conversation{Type: client.Group, TargetID: "g1"}
	if h := storedTexts(t, carol, gc); strings.Contains(strings.Join(h, "|"), "for bob only") {
		t.Fatalf("carol stored %v", h)
	}
	// A new device of carol syncs without gaps and without the secret.
	carol2 := e.device("carol", "c2", devOpts{})
	carol2.connect(t, token(t, "carol", time.Hour))
	if got := contents(carol2.waitMessages(t, 2)); strings.Join(got, "|") != "RC:GrpNtf|for all" {
		t.Fatalf("carol's new device got %v", got)
	}
	if len(carol2.messages()) != 2 {
		t.Fatalf("carol's new device got %v", contents(carol2.messages()))
	}

	// Refused: a non-member in the list, a targeted private message.
	bad := text("g1", client.Group, "x")
	bad.DirectedUserIDs = []string{"bob", "mallory"}
	if _, err := alice.SendMessage(context.Background(), bad, client.SendOptions{}); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("non-member recipient: %v", err)
	}
	bad = text("bob", client.Private, "x")
	bad.DirectedUserIDs = []string{"bob"}
	if _, err := alice.SendMessage(context.Background(), bad, client.SendOptions{}); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("targeted private message: %v", err)
	}
}

// typingEvents returns the typing statuses a device was told about.
func typingEvents(evs []client.Event) []client.TypingStatus {
	var out []client.TypingStatus
	for _, ev := range evs {
		if ev.Kind == client.EventTyping {
			out = append(out, ev.Typing...)
		}
	}
	return out
}

func TestTypingStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice2 := e.device("alice", "a2", devOpts{})
	// Bob's device forgets a status sooner than RongIMLib's 6 s, so the
	// test waits less for it (the expiry's timer is real).
	bob := e.device("bob", "b1", devOpts{mod: func(c *client.Config) { c.TypingInterval = 500 * time.Millisecond }})
	for _, d := range []*device{alice, alice2, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	toBob := client.Conversation{Type: client.Private, TargetID: "bob"}
	if err := alice.SendTypingStatus(ctx, toBob, "RC:TxtMsg"); err != nil {
		t.Fatal(err)
	}
	// Within the interval: succeeds, sends nothing.
	if err := alice.SendTypingStatus(ctx, toBob, "RC:TxtMsg"); err != nil {
		t.Fatal(err)
	}
	if err := alice.SendTypingStatus(ctx, client.Conversation{Type: client.Group, TargetID: "g1"}, "RC:ImgMsg"); err != nil {
		t.Fatal(err)
	}
	// Bob is told of both, and as they expire that the lists are empty
	// again: the second status within the interval sent nothing, and
	// nothing came after the expiry (a list goes empty once, after its
	// status, however the two conversations' events interleave).
	bob.waitFor(t, "typing in both conversations to expire", func(_ []*client.Message, evs []client.Event) bool {
		empty := 0
		for _, ts := range typingEvents(evs) {
			if len(ts.Users) == 0 {
				empty++
			}
		}
		return empty >= 2
	})
	var typed, cleared []client.TypingStatus
	for _, ts := range typingEvents(bob.events()) {
		if len(ts.Users) == 0 {
			if !slices.ContainsFunc(typed, func(s client.TypingStatus) bool { return s.Conversation == ts.Conversation }) {
				t.Fatalf("%s's list emptied before it was told of a status", ts.TargetID)
			}
			cleared = append(cleared, ts)
		} else {
			typed = append(typed, ts)
		}
	}
	if len(typed) != 2 || typed[0].TargetID != "alice" || typed[0].Type != client.Private || len(typed[0].Users) != 1 ||
		typed[0].Users[0].UserID != "alice" || typed[0].Users[0].TypeName != "RC:TxtMsg" ||
		typed[1].TargetID != "g1" || typed[1].Users[0].TypeName != "RC:ImgMsg" || len(cleared) != 2 ||
		cleared[0].Conversation == cleared[1].Conversation {
		t.Fatalf("bob's typing events: typed %+v, then cleared %+v", typed, cleared)
	}
	// Never stored, never to the typist's own devices, and bad input refused.
	if got := bob.messages(); len(got) != 1 || got[0].ObjectName != "RC:GrpNtf" {
		t.Fatalf("bob got messages %v", contents(got))
	}
	if ts := typingEvents(alice2.events()); len(ts) != 0 {
		t.Fatalf("the typist's other device was told: %+v", ts)
	}
	if err := alice.SendTypingStatus(ctx, client.Conversation{Type: client.Group, TargetID: "nope"}, "RC:TxtMsg"); codes.Of(err) != codes.NotInGroup {
		t.Fatalf("typing in a group of others: %v", err)
	}
	if err := alice.SendTypingStatus(ctx, toBob, ""); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("empty type: %v", err)
	}

	// The server throttles clients that do not: of two statuses in a row
	// from a raw client, bob hears one.
	r := e.raw(t)
	r.auth(token(t, "carol", time.Hour))
	for id := uint64(2); id <= 3; id++ {
		r.write(&pb.Frame{Id: id, Body: &pb.Frame_Typing{Typing: &pb.TypingRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, TypeName: "RC:TxtMsg"}}})
		if f := r.answer(id); f.GetOk() == nil {
			t.Fatalf("typing %d: %v", id, f)
		}
	}
	carolTyped := func(evs []client.Event) int {
		n := 0
		for _, ts := range typingEvents(evs) {
			if ts.TargetID == "carol" && len(ts.Users) > 0 {
				n++
			}
		}
		return n
	}
	bob.waitFor(t, "carol typing", func(_ []*client.Message, evs []client.Event) bool { return carolTyped(evs) > 0 })
	e.fence(t, bob)
	if n := carolTyped(bob.events()); n != 1 {
		t.Fatalf("bob was told %d times that carol types", n)
	}
	// Once the interval has passed on the server's clock, she is heard
	// again.
	e.clock.add(6 * time.Second)
	r.write(&pb.Frame{Id: 4, Body: &pb.Frame_Typing{Typing: &pb.TypingRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, TypeName: "RC:TxtMsg"}}})
	if f := r.answer(4); f.GetOk() == nil {
		t.Fatalf("typing 4: %v", f)
	}
	bob.waitFor(t, "carol typing again", func(_ []*client.Message, evs []client.Event) bool { return carolTyped(evs) == 2 })
}

func TestRecall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.RecallWindow = time.Minute })
	e.group(t, "g1", "alice", []string{"bob", "carol", "dave"}, []string{"bob"})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	bobOffline := e.device("bob", "b2", devOpts{})
	for _, d := range []*device{alice, bob, bobOffline} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	bobOffline.Disconnect()
	ctx := context.Background()
	toBob := client.Conversation{Type: client.Private, TargetID: "bob"}
	toAlice := client.Conversation{Type: client.Private, TargetID: "alice"}

	m := alice.send(t, text("bob", client.Private, "oops"))
	bob.waitFor(t, "the message", func(got []*client.Message, _ []client.Event) bool {
		return len(contents(got)) > 0 && contents(got)[len(got)-1] == "oops"
	})
	// Bob may not recall alice's message.
	if _, err := bob.RecallMessage(ctx, toAlice, m.MessageUID, m.SentTime, client.RecallOptions{}); codes.Of(err) != codes.RecallMessageUserInvalid {
		t.Fatalf("recall by the recipient: %v", err)
	}
	if _, err := alice.RecallMessage(ctx, toBob, m.MessageUID, m.SentTime+1, client.RecallOptions{}); codes.Of(err) != codes.RecallMessage {
		t.Fatalf("wrong sentTime: %v", err)
	}
	rc, err := alice.RecallMessage(ctx, toBob, m.MessageUID, m.SentTime, client.RecallOptions{Extra: "typo"})
	if err != nil {
		t.Fatal(err)
	}
	var content struct {
		MessageUID, OperatorID, OriginalObjectName, Extra string
	}
	json.Unmarshal(rc.Content, &content)
	if rc.ObjectName != "RC:RcNtf" || rc.MessageUID != m.MessageUID || rc.MessageID != m.MessageID ||
		content.MessageUID != m.MessageUID || content.OperatorID != "alice" || content.OriginalObjectName != "RC:TxtMsg" || content.Extra != "typo" {
		t.Fatalf("recall result %+v content %s", rc, rc.Content)
	}
	if h := storedTexts(t, alice, toBob); strings.Join(h, "|") != "RC:RcNtf" {
		t.Fatalf("alice's history: %v", h)
	}
	// Bob's online device: the message turns RC:RcNtf in place and is
	// emitted again in that form.
	bob.waitFor(t, "the recall", func(got []*client.Message, _ []client.Event) bool {
		return got[len(got)-1].ObjectName == "RC:RcNtf"
	})
	if last := bob.messages()[len(bob.messages())-1]; last.MessageUID != m.MessageUID {
		t.Fatalf("bob's recall message: %+v", last)
	}
	if h := storedTexts(t, bob, toAlice); strings.Join(h, "|") != "RC:RcNtf" {
		t.Fatalf("bob's history: %v", h)
	}
	// Bob's device that was offline through both never shows the original.
	bobOffline.connect(t, token(t, "bob", time.Hour))
	e.fence(t, bobOffline)
	for _, got := range bobOffline.messages() {
		if strings.Contains(string(got.Content), `"oops"`) {
			t.Fatalf("offline device showed the recalled message: %+v", got)
		}
	}
	if h := storedTexts(t, bobOffline, toAlice); strings.Join(h, "|") != "RC:RcNtf" {
		t.Fatalf("offline device's history: %v", h)
	}
	// Twice, or without a messageUId (a message that never got sent): 25101.
	if _, err := alice.RecallMessage(ctx, toBob, m.MessageUID, m.SentTime, client.RecallOptions{}); codes.Of(err) != codes.RecallMessage {
		t.Fatalf("second recall: %v", err)
	}
	if _, err := alice.RecallMessage(ctx, toBob, "", 0, client.RecallOptions{}); codes.Of(err) != codes.RecallMessage {
		t.Fatalf("recall without messageUId: %v", err)
	}

	// In the group: an admin may recall others' messages with isAdmin; a
	// plain member may not, nor an admin without isAdmin.
	carol := e.device("carol", "c1", devOpts{})
	dave := e.device("dave", "d1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	dave.connect(t, token(t, "dave", time.Hour))
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	cm := carol.send(t, text("g1", client.Group, "spam"))
	if _, err := dave.RecallMessage(ctx, g, cm.MessageUID, cm.SentTime, client.RecallOptions{IsAdmin: true}); codes.Of(err) != codes.RecallMessageUserInvalid {
		t.Fatalf("member recalls with isAdmin: %v", err)
	}
	if _, err := bob.RecallMessage(ctx, g, cm.MessageUID, cm.SentTime, client.RecallOptions{}); codes.Of(err) != codes.RecallMessageUserInvalid {
		t.Fatalf("admin recalls without isAdmin: %v", err)
	}
	if _, err := bob.RecallMessage(ctx, g, cm.MessageUID, cm.SentTime, client.RecallOptions{IsAdmin: true}); err != nil {
		t.Fatalf("admin recall: %v", err)
	}
	dave.waitFor(t, "the group recall", func(got []*client.Message, _ []client.Event) bool {
		l := got[len(got)-1]
		return l.ObjectName == "RC:RcNtf" && l.MessageUID == cm.MessageUID && strings.Contains(string(l.Content), `"isAdmin":true`)
	})
	// Outside the window: 25101.
	old := alice.send(t, text("bob", client.Private, "too late"))
	e.clock.add(time.Minute + time.Second)
	if _, err := alice.RecallMessage(ctx, toBob, old.MessageUID, old.SentTime, client.RecallOptions{}); codes.Of(err) != codes.RecallMessage {
		t.Fatalf("recall outside the window: %v", err)
	}
}

// pageAll pages through a conversation's history with fetch and returns
// the texts in the order received, checking hasMore on every page.
func pageAll(t *testing.T, name string, order int, fetch func(ts int64) ([]*client.Message, bool, error)) []string {
	t.Helper()
	var all []string
	var ts int64
	for page := 0; ; page++ {
		ms, more, err := fetch(ts)
		if err != nil {
			t.Fatalf("%s page %d: %v", name, page, err)
		}
		for i, m := range ms {
			if i > 0 && ((order == client.OrderOlder && m.SentTime >= ms[i-1].SentTime) || (order == client.OrderNewer && m.SentTime <= ms[i-1].SentTime)) {
				t.Fatalf("%s page %d out of order at %d", name, page, i)
			}
		}
		all = append(all, contents(ms)...)
		if !more {
			return all
		}
		if len(ms) == 0 || page > 100 {
			t.Fatalf("%s: hasMore with an empty page %d", name, page)
		}
		ts = ms[len(ms)-1].SentTime
	}
}

func TestHistoryPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.NewDeviceMax = 100 })
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	const n = 250
	var want []string
	for i := 0; i < n; i++ {
		s := fmt.Sprint("m", i)
		want = append(want, s)
		alice.send(t, text("bob", client.Private, s)) // sent back to back: adjacent milliseconds
	}
	bob.waitMessages(t, n)
	reversed := slices.Clone(want)
	slices.Reverse(reversed)
	ctx := context.Background()
	conv := client.Conversation{Type: client.Private, TargetID: "alice"}

	// A new device of bob holds only the newest 100 (the window): older
	// pages come from the server, seamlessly.
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	bob2.waitMessages(t, 100)
	if h, _ := bob2.LocalHistory(ctx, conv, 0, 1000, false); len(h) != 100 {
		t.Fatalf("new device holds %d", len(h))
	}
	for _, d := range []*device{bob, bob2} {
		for _, order := range []int{client.OrderOlder, client.OrderNewer} {
			exp := reversed
			if order == client.OrderNewer {
				exp = want
			}
			for _, count := range []int{100, 7} {
				name := fmt.Sprintf("%s order %d count %d", d.id, order, count)
				got := pageAll(t, name+" local-first", order, func(ts int64) ([]*client.Message, bool, error) {
					return d.GetHistory(ctx, conv, ts, count, order)
				})
				if !slices.Equal(got, exp) {
					t.Fatalf("%s: got %d messages %v…", name, len(got), got[:min(5, len(got))])
				}
				got = pageAll(t, name+" remote", order, func(ts int64) ([]*client.Message, bool, error) {
					return d.RemoteHistory(ctx, conv, ts, count, order)
				})
				if !slices.Equal(got, exp) {
					t.Fatalf("%s remote: got %d messages", name, len(got))
				}
			}
		}
	}
	// A page starting exactly at a message's time excludes it.
	all, _, _ := bob.RemoteHistory(ctx, conv, 0, 100, client.OrderNewer)
	page, _, _ := bob.RemoteHistory(ctx, conv, all[10].SentTime, 2, client.OrderNewer)
	if got := contents(page); !slices.Equal(got, []string{"m11", "m12"}) {
		t.Fatalf("newer than m10: %v", got)
	}
	page, _, _ = bob.GetHistory(ctx, conv, all[10].SentTime, 2, client.OrderOlder)
	if got := contents(page); !slices.Equal(got, []string{"m9", "m8"}) {
		t.Fatalf("older than m10: %v", got)
	}
	for _, count := range []int{0, 101} {
		if _, _, err := bob.GetHistory(ctx, conv, 0, count, client.OrderOlder); codes.Of(err) != codes.InvalidParameterCount {
			t.Fatalf("count %d: %v", count, err)
		}
		if _, _, err := bob.RemoteHistory(ctx, conv, 0, count, client.OrderOlder); codes.Of(err) != codes.InvalidParameterCount {
			t.Fatalf("remote count %d: %v", count, err)
		}
	}
}

func TestHistoryVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	alice.send(t, text("g1", client.Group, "before carol"))
	secret := text("g1", client.Group, "for bob")
	secret.DirectedUserIDs = []string{"bob"}
	alice.send(t, secret)
	oops := alice.send(t, text("g1", client.Group, "oops"))
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	if _, err := alice.RecallMessage(context.Background(), g, oops.MessageUID, oops.SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.admin("POST", "/v1/groups/g1/members", map[string]any{"userIds": []string{"carol"}}); status != 200 {
		t.Fatal("add carol")
	}
	alice.send(t, text("g1", client.Group, "after carol"))
	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	ctx := context.Background()
	hist := func(d *device) string {
		ms, more, err := d.RemoteHistory(ctx, g, 0, 100, client.OrderNewer)
		if err != nil || more {
			t.Fatalf("%s: %v more=%v", d.user, err, more)
		}
		return strings.Join(contents(ms), "|")
	}
	// The recall marker is not a message of its own; the recalled message
	// is there as RC:RcNtf; the targeted one only for its recipient.
	if got := hist(bob); got != "RC:GrpNtf|before carol|for bob|RC:RcNtf|RC:GrpNtf|after carol" {
		t.Fatalf("bob: %s", got)
	}
	if got := hist(alice); got != "RC:GrpNtf|before carol|for bob|RC:RcNtf|RC:GrpNtf|after carol" {
		t.Fatalf("alice: %s", got)
	}
	if got := hist(carol); got != "RC:GrpNtf|after carol" {
		t.Fatalf("carol: %s", got)
	}
	// Outsiders are refused.
	dave := e.device("dave", "d1", devOpts{})
	dave.connect(t, token(t, "dave", time.Hour))
	if _, _, err := dave.RemoteHistory(ctx, g, 0, 10, client.OrderOlder); codes.Of(err) != codes.NotInGroup {
		t.Fatalf("outsider: %v", err)
	}
}

func TestMentionsAndForward(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
		d.waitMessages(t, 1)
	}
	one := text("g1", client.Group, "@bob look")
	one.IsMentioned, one.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"bob"}}
	alice.send(t, one)
	all := text("g1", client.Group, "@all lunch")
	all.IsMentioned, all.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionAll}
	alice.send(t, all)
	b, c := bob.waitMessages(t, 3), carol.waitMessages(t, 3)
	if !b[1].IsMentioned || c[1].IsMentioned || !b[2].IsMentioned || !c[2].IsMentioned {
		t.Fatalf("isMentioned: bob %v %v, carol %v %v", b[1].IsMentioned, b[2].IsMentioned, c[1].IsMentioned, c[2].IsMentioned)
	}
	if b[1].MentionedInfo == nil || b[1].MentionedInfo.Type != client.MentionSingle || b[1].MentionedInfo.UserIDs[0] != "bob" {
		t.Fatalf("mentionedInfo: %+v", b[1].MentionedInfo)
	}
	for _, bad := range []*client.MentionedInfo{{Type: 3}, {Type: client.MentionSingle}} {
		m := text("g1", client.Group, "x")
		m.IsMentioned, m.MentionedInfo = true, bad
		if _, err := alice.SendMessage(context.Background(), m, client.SendOptions{}); codes.Of(err) != codes.InvalidParameter {
			t.Fatalf("mentionedInfo %+v: %v", bad, err)
		}
	}

	// Bob forwards the image alice sent him to carol: same content, a new
	// message, without the mention.
	img := &client.Message{Conversation: client.Conversation{Type: client.Private, TargetID: "bob"}, ObjectName: "RC:ImgMsg",
		Content: []byte(`{"content":"","imageUri":"https://files.example/abc.png"}`), IsPersisted: true, IsCounted: true}
	alice.send(t, img)
	got := bob.waitMessages(t, 4)[3]
	fwd, err := bob.ForwardMessage(context.Background(), client.Conversation{Type: client.Private, TargetID: "carol"}, got, client.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := carol.waitMessages(t, 4)[3]
	if at.ObjectName != "RC:ImgMsg" || string(at.Content) != string(img.Content) || at.MessageUID == got.MessageUID || at.MessageUID != fwd.MessageUID || at.SenderUserID != "bob" {
		t.Fatalf("carol got %+v", at)
	}
}

func expansionEvents(evs []client.Event) []*client.ExpansionChange {
	var out []*client.ExpansionChange
	for _, ev := range evs {
		if ev.Kind == client.EventExpansion {
			out = append(out, ev.Expansion)
		}
	}
	return out
}

func TestMessageExpansion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, alice2, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	m := text("bob", client.Private, "vote")
	m.CanIncludeExpansion, m.Expansion = true, map[string]string{"yes": "0"}
	sent := alice.send(t, m)
	bob.waitMessages(t, 1)
	toBob := client.Conversation{Type: client.Private, TargetID: "bob"}
	toAlice := client.Conversation{Type: client.Private, TargetID: "alice"}

	// Two of alice's devices and bob change it at once: same key from two
	// devices, and a removal. Every device converges on the server's result.
	errs := make(chan error, 3)
	go func() {
		errs <- alice.UpdateMessageExpansion(ctx, toBob, sent.MessageUID, map[string]string{"yes": "1", "a": "x"})
	}()
	go func() {
		errs <- alice2.UpdateMessageExpansion(ctx, toBob, sent.MessageUID, map[string]string{"yes": "2", "b": "y"})
	}()
	go func() { errs <- bob.RemoveMessageExpansionKeys(ctx, toAlice, sent.MessageUID, []string{"a"}) }()
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The server's copy, read without any device's local state.
	r := e.raw(t)
	r.auth(token(t, "bob", time.Hour))
	r.write(&pb.Frame{Id: 2, Body: &pb.Frame_History{History: &pb.HistoryRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "alice"}, Count: 1}}})
	hist := r.answer(2).GetHistoryResult().GetMessages()
	if len(hist) != 1 {
		t.Fatalf("server history: %v", hist)
	}
	exp := hist[0].Expansion
	want := fmt.Sprint(exp)
	if exp["b"] != "y" || (exp["yes"] != "1" && exp["yes"] != "2") || exp["a"] != "" && len(exp) != 3 {
		t.Fatalf("server's expansion %s", want)
	}
	for _, d := range []*device{alice, alice2, bob} {
		c := toBob
		if d.user == "bob" {
			c = toAlice
		}
		d.waitFor(t, "three expansion changes", func(_ []*client.Message, evs []client.Event) bool { return len(expansionEvents(evs)) == 3 })
		h, _ := d.LocalHistory(ctx, c, 0, 1, false)
		if len(h) != 1 || fmt.Sprint(h[0].Expansion) != want {
			t.Fatalf("%s holds %v, server %s", d.id, h, want)
		}
	}
	if ev := expansionEvents(bob.events())[0]; ev.MessageUID != sent.MessageUID || ev.TargetID != "alice" || (ev.Updated == nil && ev.Deleted == nil) {
		t.Fatalf("bob's EXPANSION: %+v", ev)
	}

	// Limits (34220 for a malformed call, 34010 past the message's size) and refusals.
	long := strings.Repeat("k", 33)
	many := map[string]string{}
	for i := range 21 {
		many[fmt.Sprint("k", i)] = "v"
	}
	for name, set := range map[string]map[string]string{
		"long key": {long: "v"}, "bad key": {"a b": "v"}, "long value": {"k": strings.Repeat("v", 4097)}, "21 keys": many,
	} {
		if err := alice.UpdateMessageExpansion(ctx, toBob, sent.MessageUID, set); codes.Of(err) != codes.InvalidParameterMessageExpansion {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for i := 0; i < 15; i++ { // 2 keys now, 20 per call: the 15th call passes 300
		set := map[string]string{}
		for j := range 20 {
			set[fmt.Sprintf("k%d_%d", i, j)] = "v"
		}
		err := alice.UpdateMessageExpansion(ctx, toBob, sent.MessageUID, set)
		if i < 14 && err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if i == 14 && codes.Of(err) != codes.ExpansionLimitExceeded {
			t.Fatalf("over 300 keys: %v", err)
		}
	}
	plain := alice.send(t, text("bob", client.Private, "plain"))
	if err := alice.UpdateMessageExpansion(ctx, toBob, plain.MessageUID, map[string]string{"k": "v"}); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("message without canIncludeExpansion: %v", err)
	}
	if err := alice.UpdateMessageExpansion(ctx, toBob, "0000-0000-0000-0000", map[string]string{"k": "v"}); codes.Of(err) != codes.InvalidParameterMessageUID {
		t.Fatalf("unknown message: %v", err)
	}
	noFlag := text("bob", client.Private, "x")
	noFlag.Expansion = map[string]string{"k": "v"}
	if _, err := alice.SendMessage(ctx, noFlag, client.SendOptions{}); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("expansion without canIncludeExpansion: %v", err)
	}
}

// waitHistory waits until d's local history of c (oldest first) reads want.
func waitHistory(t *testing.T, d *device, c client.Conversation, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms, err := d.LocalHistory(context.Background(), c, 0, 1000, true)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(contents(ms), "|")
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", d.id, got, want)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
}

func TestDeleteAndClearHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{a1, a2, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	toBob := client.Conversation{Type: client.Private, TargetID: "bob"}
	toAlice := client.Conversation{Type: client.Private, TargetID: "alice"}
	var sent []*client.Message
	for i := range 5 {
		sent = append(sent, a1.send(t, text("bob", client.Private, fmt.Sprint("m", i))))
	}
	bob.send(t, text("alice", client.Private, "r0"))
	waitHistory(t, a2, toBob, "m0|m1|m2|m3|m4|r0")

	if err := a1.DeleteMessages(ctx, toBob, []string{sent[1].MessageUID, sent[3].MessageUID}); err != nil {
		t.Fatal(err)
	}
	// At once on the deleting device, by sync on the other, never for bob.
	if h := storedTexts(t, a1, toBob); strings.Join(h, "|") != "r0|m4|m2|m0" {
		t.Fatalf("a1 right after deleting: %v", h)
	}
	waitHistory(t, a2, toBob, "m0|m2|m4|r0")
	waitHistory(t, bob, toAlice, "m0|m1|m2|m3|m4|r0")
	remote := func(d *device, c client.Conversation) string {
		ms, _, err := d.RemoteHistory(ctx, c, 0, 100, client.OrderNewer)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(contents(ms), "|")
	}
	if got := remote(a1, toBob); got != "m0|m2|m4|r0" {
		t.Fatalf("alice's server history: %s", got)
	}
	a3 := e.device("alice", "a3", devOpts{})
	a3.connect(t, token(t, "alice", time.Hour))
	waitHistory(t, a3, toBob, "m0|m2|m4|r0")

	// Clearing up to m2 (inclusive) from the other device.
	if err := a2.ClearHistory(ctx, toBob, sent[2].SentTime); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*device{a1, a2, a3} {
		waitHistory(t, d, toBob, "m4|r0")
	}
	waitHistory(t, bob, toAlice, "m0|m1|m2|m3|m4|r0")
	if got := remote(a1, toBob); got != "m4|r0" {
		t.Fatalf("alice's server history after clearing: %s", got)
	}
	if got := remote(bob, toAlice); got != "m0|m1|m2|m3|m4|r0" {
		t.Fatalf("bob's server history: %s", got)
	}
	a4 := e.device("alice", "a4", devOpts{})
	a4.connect(t, token(t, "alice", time.Hour))
	waitHistory(t, a4, toBob, "m4|r0")
	for _, ev := range a4.messages() {
		if c := contents([]*client.Message{ev})[0]; c != "m4" && c != "r0" {
			t.Fatalf("new device was given %s", c)
		}
	}

	// Bad input.
	if err := a1.DeleteMessages(ctx, toBob, nil); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("no messages: %v", err)
	}
	if err := a1.DeleteMessages(ctx, toBob, make([]string, 101)); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("101 messages: %v", err)
	}
	if err := a1.ClearHistory(ctx, client.Conversation{Type: client.Group, TargetID: "nope"}, 0); codes.Of(err) != codes.NotInGroup {
		t.Fatalf("clear a group of others: %v", err)
	}
}

func TestUnreadCountsAndConversations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	priv := client.Conversation{Type: client.Private, TargetID: "alice"}
	bob.waitMessages(t, 1) // the group notice: not counted

	alice.send(t, text("g1", client.Group, "one")) // counts
	uncounted := text("g1", client.Group, "quiet") // does not count
	uncounted.IsCounted = false
	alice.send(t, uncounted)
	bob.send(t, text("g1", client.Group, "own"))       // own: does not count
	forCarol := text("g1", client.Group, "carol only") // not visible to bob
	forCarol.DirectedUserIDs = []string{"carol"}
	alice.send(t, forCarol)
	forBob := text("g1", client.Group, "bob only") // counts
	forBob.DirectedUserIDs = []string{"bob"}
	alice.send(t, forBob)
	recalled := alice.send(t, text("g1", client.Group, "oops")) // counts, then not
	mention := text("g1", client.Group, "@bob")                 // counts, mentions
	mention.IsMentioned, mention.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"bob"}}
	alice.send(t, mention)
	alice.send(t, text("bob", client.Private, "hi")) // counts, private
	bob.waitFor(t, "everything", func(got []*client.Message, _ []client.Event) bool { return len(got) >= 7 })

	if n := bob.UnreadCount(g); n != 4 {
		t.Fatalf("group unread %d, want 4 (one, bob only, oops, @bob)", n)
	}
	if _, err := alice.RecallMessage(ctx, g, recalled.MessageUID, recalled.SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUnread := func(c client.Conversation, want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for bob.UnreadCount(c) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s unread %d, want %d", c.TargetID, bob.UnreadCount(c), want)
			}
			time.Sleep(10 * time.Millisecond) // polling a condition
		}
	}
	waitUnread(g, 3)
	if n := bob.TotalUnreadCount(false); n != 4 {
		t.Fatalf("total unread %d, want 4", n)
	}
	list, err := bob.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].TargetID != "alice" || list[0].UnreadCount != 1 || contents([]*client.Message{list[0].Latest})[0] != "hi" ||
		list[1].TargetID != "g1" || list[1].UnreadCount != 3 || !list[1].HasMentioned || contents([]*client.Message{list[1].Latest})[0] != "@bob" {
		t.Fatalf("conversation list: %+v", list)
	}
	// CONVERSATION events told bob as things changed.
	var sawMention bool
	for _, ev := range bob.events() {
		for _, ci := range ev.Conversations {
			sawMention = sawMention || (ci.TargetID == "g1" && ci.HasMentioned)
		}
	}
	if !sawMention {
		t.Fatal("no CONVERSATION event with the mention")
	}
	// Reading clears the count and the mention flag, here and on a new
	// device of bob's (which learns the watermark by sync).
	if err := bob.MarkRead(ctx, g, 0); err != nil {
		t.Fatal(err)
	}
	if n, list := bob.UnreadCount(g), mustList(t, bob); n != 0 || list[1].HasMentioned {
		t.Fatalf("after reading: %d %+v", n, list)
	}
	var hi string
	for _, m := range bob.messages() {
		if m.TargetID == "alice" {
			hi = m.MessageUID
		}
	}
	if err := bob.DeleteMessages(ctx, priv, []string{hi}); err != nil {
		t.Fatal(err)
	}
	waitUnread(priv, 0)
	alice.send(t, text("g1", client.Group, "later"))
	bob2 := e.device("bob", "b2", devOpts{})
	bob2.connect(t, token(t, "bob", time.Hour))
	bob2.waitFor(t, "later", func(got []*client.Message, _ []client.Event) bool {
		return len(got) > 0 && contents(got)[len(got)-1] == "later"
	})
	if n := bob2.UnreadCount(g); n != 1 {
		t.Fatalf("new device's group unread %d, want 1 (only what came after the read)", n)
	}
}

func mustList(t *testing.T, d *device) []client.ConversationInfo {
	t.Helper()
	l, err := d.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}
