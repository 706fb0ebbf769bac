package server_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/wsnative"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// roomMessages are the chat room messages d was handed for room, as
// their contents.
func (d *device) roomMessages(room string) []string {
	var out []*client.Message
	for _, m := range d.messages() {
		if m.Type == client.Chatroom && m.TargetID == room {
			out = append(out, m)
		}
	}
	return contents(out)
}

// waitRoom waits until d was handed want (in order) from room, and
// nothing else from it.
func (d *device) waitRoom(t *testing.T, room string, want ...string) {
	t.Helper()
	d.waitFor(t, fmt.Sprintf("%s: %v", room, want), func([]*client.Message, []client.Event) bool {
		d.mu.Unlock()
		defer d.mu.Lock()
		return len(d.roomMessages(room)) >= len(want)
	})
	if got := d.roomMessages(room); !slices.Equal(got, want) {
		t.Fatalf("%s got %v from %s, want %v", d.user, got, room, want)
	}
}

// roomEvent waits for d's chat room event satisfying ok.
func (d *device) roomEvent(t *testing.T, what string, ok func(*client.ChatroomEvent) bool) *client.ChatroomEvent {
	t.Helper()
	return waitEventOf(t, d, what, client.EventChatroom, func(ev client.Event) *client.ChatroomEvent { return ev.Chatroom }, ok)
}

func roomText(room, s string) *client.Message { return text(room, client.Chatroom, s) }

// A room's life: joined (created, or only existing), messages to the
// members in it and no one else, the latest messages for a newcomer, info
// and members, a member quitting, nothing kept per member.
func TestChatroomMessagesReachTheMembersInTheRoom(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	alice2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, alice2, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}

	_, err := bob.JoinChatroom(ctx, "live", 0, true)
	wantCode(t, "joining a room that does not exist", err, codes.RCChatroomNotExist)
	res, err := alice.JoinChatroom(ctx, "live", 0, false)
	if err != nil || res.MemberCount != 1 || res.CreateTime == 0 || res.JoinTime == 0 || len(res.Messages) != 0 {
		t.Fatalf("alice creates the room: %v %v", res, err)
	}
	if res, err := bob.JoinChatroom(ctx, "live", -1, true); err != nil || res.MemberCount != 2 {
		t.Fatalf("bob joins: %v %v", res, err)
	}
	_, err = carol.SendMessage(ctx, roomText("live", "not in it"), client.SendOptions{})
	wantCode(t, "a send from outside the room", err, codes.NotInChatroom)

	for i := 1; i <= 3; i++ {
		m := alice.send(t, roomText("live", fmt.Sprint("m", i)))
		if m.SentStatus != client.StatusSent || m.Seq != uint64(i) || m.MessageUID == "" {
			t.Fatalf("alice's send %d: %+v", i, m)
		}
	}
	bob.waitRoom(t, "live", "m1", "m2", "m3")
	// Her other device is not in the room; carol is not either.
	e.fence(t, alice, alice2, carol)
	for _, d := range []*device{alice, alice2, carol} {
		if got := d.roomMessages("live"); len(got) != 0 {
			t.Fatalf("%s/%s got %v", d.user, d.id, got)
		}
	}

	// A newcomer gets the latest messages, as many as asked for.
	res, err = carol.JoinChatroom(ctx, "live", 2, true)
	if err != nil || res.MemberCount != 3 {
		t.Fatalf("carol joins: %v %v", res, err)
	}
	carol.waitRoom(t, "live", "m2", "m3")
	bob.send(t, roomText("live", "m4"))
	carol.waitRoom(t, "live", "m2", "m3", "m4")
	alice.waitRoom(t, "live", "m4")

	info, err := bob.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_INFO, Room: "live", Count: 2, Order: 2})
	if err != nil || info.MemberCount != 3 || len(info.Members) != 2 || info.Members[0].User != "carol" || info.Members[1].User != "bob" {
		t.Fatalf("info, the latest joiners first: %v %v", info, err)
	}
	status, body := e.admin("GET", "/v1/chatrooms/live/members?order=latest&limit=10", nil)
	if data := body["data"].(map[string]any); status != 200 || data["total"] != float64(3) || len(data["members"].([]any)) != 3 {
		t.Fatalf("members: %d %v", status, body)
	}

	// Bob quits: nothing more reaches him; his send is refused.
	if err := bob.QuitChatroom(ctx, "live"); err != nil {
		t.Fatal(err)
	}
	alice.send(t, roomText("live", "m5"))
	carol.waitRoom(t, "live", "m2", "m3", "m4", "m5")
	e.fence(t, bob)
	bob.waitRoom(t, "live", "m1", "m2", "m3")
	_, err = bob.SendMessage(ctx, roomText("live", "gone"), client.SendOptions{})
	wantCode(t, "a send after quitting", err, codes.NotInChatroom)

	// History for members, newest first.
	hist, more, err := carol.RemoteHistory(ctx, client.Conversation{Type: client.Chatroom, TargetID: "live"}, 0, 2, client.OrderOlder)
	if err != nil || !more || !slices.Equal(contents(hist), []string{"m5", "m4"}) {
		t.Fatalf("room history: %v %v %v", contents(hist), more, err)
	}

	// Nothing per member: no conversation rows, no sync, no list entry.
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM user_convs WHERE conv_id LIKE 'r:%'`); n != 0 {
		t.Fatalf("%d per-member rows of the room", n)
	}
	if convs, err := carol.Conversations(ctx); err != nil || len(convs) != 0 {
		t.Fatalf("carol's conversation list: %v %v", convs, err)
	}
}

// Entries: set with or without force, the rules' codes, the room told
// (and sent a notice when asked), auto-delete entries going with their
// owner.
func TestChatroomEntries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	joinAll(t, "kv", -1, alice, bob)
	set := func(d *device, force, notify bool, kv ...string) error {
		r := &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "kv", Force: force, Notify: notify}
		for i := 0; i < len(kv); i += 2 {
			r.Entries = append(r.Entries, &pb.ChatroomEntry{Key: kv[i], Value: kv[i+1], AutoDelete: d == bob})
		}
		_, err := d.ChatroomRequest(ctx, r)
		return err
	}
	remove := func(d *device, force bool, keys ...string) error {
		_, err := d.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES, Room: "kv", Keys: keys, Force: force})
		return err
	}
	if err := set(alice, false, true, "stage", "open"); err != nil {
		t.Fatal(err)
	}
	ev := bob.roomEvent(t, "entry set", func(ev *client.ChatroomEvent) bool { return len(ev.Entries) == 1 })
	if en := ev.Entries[0]; en.Key != "stage" || en.Value != "open" || en.Owner != "alice" || en.Removed {
		t.Fatalf("bob was told %v", en)
	}
	// The notice is a room message (RC:chrmKVNotiMsg).
	bob.waitFor(t, "the entry notice", func(got []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(got, func(m *client.Message) bool { return m.ObjectName == "RC:chrmKVNotiMsg" })
	})
	wantCode(t, "changing another member's entry", set(bob, false, false, "stage", "closed"), codes.ChatroomKVOverwriteInvalid)
	wantCode(t, "removing another member's entry", remove(bob, false, "stage"), codes.ChatroomKVOverwriteInvalid)
	wantCode(t, "removing an entry that is not there", remove(alice, false, "nope"), codes.ChatroomKeyNotExist)
	var many []string
	for i := 0; i < 11; i++ {
		many = append(many, fmt.Sprint("k", i), "v")
	}
	wantCode(t, "11 entries at once", set(alice, false, false, many...), codes.ChatroomKVStoreOutLimit)
	wantCode(t, "a bad key", set(alice, false, false, "no spaces", "v"), codes.RCChatroomParameterInvalid)
	if err := set(bob, true, false, "stage", "closed", "mine", "x"); err != nil {
		t.Fatalf("forced: %v", err)
	}
	got, err := alice.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_GET_ENTRIES, Room: "kv"})
	if err != nil || len(got.Entries) != 2 || got.Entries[1].Key != "stage" || got.Entries[1].Value != "closed" || got.Entries[1].Owner != "bob" {
		t.Fatalf("entries: %v %v", got, err)
	}
	// 100 at most.
	for i := 0; i < 98; i += 10 {
		var kv []string
		for j := i; j < min(i+10, 98); j++ {
			kv = append(kv, fmt.Sprint("n", j), "v")
		}
		if err := set(alice, false, false, kv...); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "the 101st entry", set(alice, false, false, "one-more", "v"), codes.ChatroomKVExceed)

	// Bob's entries were set to go with him: when he quits, alice is told.
	if err := bob.QuitChatroom(ctx, "kv"); err != nil {
		t.Fatal(err)
	}
	alice.roomEvent(t, "bob's entries removed", func(ev *client.ChatroomEvent) bool {
		return len(ev.Entries) == 2 && ev.Entries[0].Removed && ev.Entries[1].Removed
	})
	status, body := e.admin("GET", "/v1/chatrooms/kv/entries", nil)
	if entries := body["data"].(map[string]any)["entries"].([]any); status != 200 || len(entries) != 98 {
		t.Fatalf("entries after bob left: %d %d", status, len(entries))
	}
	// The app's server changes anyone's.
	status, body = e.admin("POST", "/v1/chatrooms/kv/entries", map[string]any{"remove": []string{"n1"}})
	if status != 200 {
		t.Fatalf("admin remove: %d %v", status, body)
	}
	alice.roomEvent(t, "the admin's removal", func(ev *client.ChatroomEvent) bool {
		return len(ev.Entries) == 1 && ev.Entries[0].Key == "n1" && ev.Entries[0].Removed
	})
}

// Mutes: a muted member is refused with 23408 and the room is told; the
// whole room muted; unmuted again.
func TestChatroomMutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	joinAll(t, "quiet", -1, alice, bob)
	if status, body := e.admin("POST", "/v1/chatrooms/quiet/mute", map[string]any{"userIds": []string{"bob"}, "durationMs": 60000}); status != 200 {
		t.Fatalf("mute: %d %v", status, body)
	}
	ev := alice.roomEvent(t, "bob muted", func(ev *client.ChatroomEvent) bool { return ev.Ban != nil })
	if ev.Ban.BanType != 1 || !slices.Equal(ev.Ban.Users, []string{"bob"}) || ev.Ban.DurationMs != 60000 {
		t.Fatalf("ban: %v", ev.Ban)
	}
	_, err := bob.SendMessage(ctx, roomText("quiet", "hi"), client.SendOptions{})
	wantCode(t, "a muted member's send", err, codes.ForbiddenInChatroom)
	alice.send(t, roomText("quiet", "a1"))
	if res, err := bob.JoinChatroom(ctx, "quiet", -1, true); err != nil || !res.Muted {
		t.Fatalf("a join says bob is muted: %v %v", res, err)
	}
	// After the mute's time, bob speaks again (the server's clock moves).
	e.clock.add(2 * time.Minute)
	bob.send(t, roomText("quiet", "b1"))
	alice.waitRoom(t, "quiet", "b1")

	if status, _ := e.admin("PUT", "/v1/chatrooms/quiet/mute-all", map[string]any{"muted": true}); status != 200 {
		t.Fatal(status)
	}
	_, err = alice.SendMessage(ctx, roomText("quiet", "x"), client.SendOptions{})
	wantCode(t, "the whole room muted", err, codes.ForbiddenInChatroom)
	bob.roomEvent(t, "all muted", func(ev *client.ChatroomEvent) bool { return ev.Ban != nil && ev.Ban.BanType == 3 })
	if status, _ := e.admin("PUT", "/v1/chatrooms/quiet/mute-all", map[string]any{"muted": false}); status != 200 {
		t.Fatal(status)
	}
	alice.send(t, roomText("quiet", "a2"))
	bob.waitRoom(t, "quiet", "a1", "a2")
}

// A member whose connection drops is joined again by the engine after
// the reconnect, gets what it missed (up to the count it joined with) and
// is told (rejoinedRoom); a gap in the live stream is read from history.
func TestChatroomRejoinAndGaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	cut := &roomCutter{}
	bob := e.device("bob", "b1", devOpts{dialer: cut})
	joinAll(t, "show", 5, alice, bob)
	alice.send(t, roomText("show", "1"))
	bob.waitRoom(t, "show", "1")

	// The live push of message 2 does not reach bob (as when the server
	// skips a member too far behind): 3 shows the gap, 2 is read.
	cut.drop(2)
	alice.send(t, roomText("show", "2"))
	alice.send(t, roomText("show", "3"))
	bob.waitRoom(t, "show", "1", "3", "2")

	// The connection drops; meanwhile two messages go.
	cut.cut()
	bob.waitFor(t, "suspended", func(_ []*client.Message, evs []client.Event) bool {
		return slices.ContainsFunc(evs, func(ev client.Event) bool {
			return ev.Kind == client.EventStatus && ev.Status != client.StatusConnected
		})
	})
	waitMembers(t, e, "show", 1)
	alice.send(t, roomText("show", "4"))
	alice.send(t, roomText("show", "5"))
	ev := bob.roomEvent(t, "rejoined", func(ev *client.ChatroomEvent) bool { return ev.Rejoined != nil })
	if rj := ev.Rejoined; rj.Room != "show" || rj.Code != 0 || rj.Result.MemberCount != 2 || rj.Count != 5 {
		t.Fatalf("rejoin: %+v", rj)
	}
	// Each once: 4 and 5 in either order (one may come live while the
	// rejoin is answered, the other in its answer, handed on after).
	bob.waitFor(t, "4 and 5", func([]*client.Message, []client.Event) bool {
		bob.mu.Unlock()
		defer bob.mu.Lock()
		return len(bob.roomMessages("show")) >= 5
	})
	alice.send(t, roomText("show", "6"))
	bob.waitFor(t, "6", func([]*client.Message, []client.Event) bool {
		bob.mu.Unlock()
		defer bob.mu.Lock()
		return len(bob.roomMessages("show")) >= 6
	})
	got := bob.roomMessages("show")
	if tail := slices.Sorted(slices.Values(got[3:5])); !slices.Equal(got[:3], []string{"1", "3", "2"}) ||
		!slices.Equal(tail, []string{"4", "5"}) || len(got) != 6 || got[5] != "6" {
		t.Fatalf("bob got %v from show", got)
	}

	// A room gone meanwhile: the rejoin fails with its code.
	cut.cut()
	waitMembers(t, e, "show", 1)
	if status, _ := e.admin("DELETE", "/v1/chatrooms/show", nil); status != 200 {
		t.Fatal(status)
	}
	ev = bob.roomEvent(t, "rejoin failed", func(ev *client.ChatroomEvent) bool { return ev.Rejoined != nil && ev.Rejoined.Code != 0 })
	if ev.Rejoined.Code != codes.RCChatroomNotExist || bob.InChatroom("show") {
		t.Fatalf("rejoin of a destroyed room: %+v", ev.Rejoined)
	}
}

// joinAll connects ds and has each join room (creating it), asking for
// count of its latest messages.
func joinAll(t *testing.T, room string, count int32, ds ...*device) {
	t.Helper()
	for _, d := range ds {
		d.connect(t, token(t, d.user, time.Hour))
		if _, err := d.JoinChatroom(context.Background(), room, count, false); err != nil {
			t.Fatal(err)
		}
	}
}

// waitMembers waits until the room counts n members.
func waitMembers(t *testing.T, e *env, room string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := e.admin("GET", "/v1/chatrooms/"+room, nil)
		data, _ := body["data"].(map[string]any)
		if data != nil && data["memberCount"] == float64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("room %s: %v, want %d members", room, body, n)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// Destroyed by the app's server: the members are told and are out; a room
// that stands empty goes after the setting's time; the admin API lists
// and sends.
func TestChatroomDestroyAndAdmin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir; c.ChatroomSweepInterval = 20 * time.Millisecond })
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))

	for _, id := range []string{"r1", "r2"} {
		if status, body := e.admin("POST", "/v1/chatrooms", map[string]any{"id": id}); status != 200 || body["data"].(map[string]any)["created"] != true {
			t.Fatalf("create %s: %d %v", id, status, body)
		}
	}
	if status, body := e.admin("POST", "/v1/chatrooms", map[string]any{"id": "bad id"}); status != 400 || body["code"] != float64(codes.RCChatroomParameterInvalid) {
		t.Fatalf("a bad id: %d %v", status, body)
	}
	status, body := e.admin("GET", "/v1/chatrooms?limit=10", nil)
	if rooms := body["data"].(map[string]any)["chatrooms"].([]any); status != 200 || len(rooms) != 2 {
		t.Fatalf("list: %d %v", status, body)
	}
	if _, err := alice.JoinChatroom(ctx, "r1", 0, true); err != nil {
		t.Fatal(err)
	}
	// The app's server sends to the room: stored, and live to alice.
	status, body = e.admin("POST", "/v1/messages", map[string]any{
		"fromUserId": "host", "conversationType": client.Chatroom, "targetIds": []string{"r1"},
		"objectName": "RC:TxtMsg", "content": `{"content":"welcome"}`, "clientMsgId": "w1",
	})
	if status != 200 {
		t.Fatalf("admin send: %d %v", status, body)
	}
	alice.waitRoom(t, "r1", "welcome")
	if status, body := e.admin("POST", "/v1/messages", map[string]any{
		"fromUserId": "host", "conversationType": client.Chatroom, "targetIds": []string{"nowhere"},
		"objectName": "RC:TxtMsg", "content": `{"content":"x"}`, "clientMsgId": "w2",
	}); status != 404 || body["code"] != float64(codes.RCChatroomNotExist) {
		t.Fatalf("a send to no room: %d %v", status, body)
	}

	if status, _ := e.admin("DELETE", "/v1/chatrooms/r1", nil); status != 200 {
		t.Fatal(status)
	}
	ev := alice.roomEvent(t, "destroyed", func(ev *client.ChatroomEvent) bool { return ev.Destroyed })
	if ev.Room != "r1" || ev.DestroyedType != 1 || alice.InChatroom("r1") {
		t.Fatalf("destroyed: %+v", ev.ChatroomEvent)
	}
	_, err := alice.SendMessage(ctx, roomText("r1", "x"), client.SendOptions{})
	wantCode(t, "a send to a destroyed room", err, codes.NotInChatroom)
	if n := dbCount(t, dir, `SELECT COUNT(*) FROM messages WHERE conv_id = 'r:r1'`); n != 0 {
		t.Fatalf("%d messages of the destroyed room kept", n)
	}

	// r2 stands empty: after the setting's time it goes.
	if status, _ := e.admin("PUT", "/v1/settings", map[string]any{"chatroomEmptyDestroySeconds": 60}); status != 200 {
		t.Fatal(status)
	}
	if _, err := alice.JoinChatroom(ctx, "r2", 0, true); err != nil {
		t.Fatal(err)
	}
	if err := alice.QuitChatroom(ctx, "r2"); err != nil {
		t.Fatal(err)
	}
	e.clock.add(30 * time.Second)
	if status, _ := e.admin("GET", "/v1/chatrooms/r2", nil); status != 200 {
		t.Fatalf("r2 went too early: %d", status)
	}
	e.clock.add(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := e.admin("GET", "/v1/chatrooms/r2", nil)
		if status == 404 && body["code"] == float64(codes.RCChatroomNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the empty room stays: %d %v", status, body)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// roomCutter is a Dialer whose connections can be cut, and lose the live
// pushes of chosen chat room sequence numbers.
type roomCutter struct {
	wsnative.Dialer
	mu    sync.Mutex
	conns []client.Conn
	skip  map[uint64]bool
}

func (c *roomCutter) Dial(ctx context.Context, url string) (client.Conn, error) {
	conn, err := c.Dialer.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.conns = append(c.conns, conn)
	c.mu.Unlock()
	return &roomCutterConn{Conn: conn, c: c}, nil
}

func (c *roomCutter) drop(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.skip == nil {
		c.skip = map[uint64]bool{}
	}
	c.skip[seq] = true
}

func (c *roomCutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

type roomCutterConn struct {
	client.Conn
	c *roomCutter
}

func (rc *roomCutterConn) Read(ctx context.Context) ([]byte, error) {
	for {
		b, err := rc.Conn.Read(ctx)
		if err != nil {
			return b, err
		}
		f := &pb.Frame{}
		if f.Unmarshal(b) != nil || f.GetPush() == nil {
			return b, nil
		}
		p := f.GetPush()
		rc.c.mu.Lock()
		kept := p.Messages[:0]
		for _, m := range p.Messages {
			if m.ConvType == pb.ConversationType_CHATROOM && rc.c.skip[m.Seq] {
				continue
			}
			kept = append(kept, m)
		}
		rc.c.mu.Unlock()
		p.Messages = kept
		out, err := f.Marshal()
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// A room spread over two nodes: each member gets each message once, each
// room message crosses NATS once (the nodes fan out locally), and the
// room's members, mutes, entries and end are the same on both nodes.
// roomCounter counts the messages on a cluster's room subjects (chat
// rooms and ultra groups) as a subscriber of its own sees them.
type roomCounter struct {
	nc      *nats.Conn
	subject string // the marker's subject: under the counted ones
	crossed atomic.Int32
	marked  atomic.Int32
}

// countRoomMessages counts the messages on the cluster's room subjects
// from now on.
func countRoomMessages(t *testing.T, c *testCluster) *roomCounter {
	t.Helper()
	nc, err := nats.Connect(c.nats.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	h := fnv.New64a()
	h.Write([]byte(appKey))
	prefix := "imwasm." + strconv.FormatUint(h.Sum64(), 16) + ".r."
	rc := &roomCounter{nc: nc, subject: prefix + "test-marker"}
	if _, err := nc.Subscribe(prefix+">", func(m *nats.Msg) {
		if m.Subject == rc.subject {
			rc.marked.Add(1)
			return
		}
		rc.crossed.Add(1)
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return rc
}

// expect asserts that exactly n messages crossed. The nodes' own
// subscribers may see a message before this one does (a busy machine), so
// it waits for n, then for a marker of its own published after them: a
// message published before the marker that made the count exceed n has
// been counted by then.
func (rc *roomCounter) expect(t *testing.T, n int, what string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d %s to cross NATS", n, what), func() bool { return rc.crossed.Load() >= int32(n) })
	want := rc.marked.Load() + 1
	if err := rc.nc.Publish(rc.subject, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the counter's marker", func() bool { return rc.marked.Load() >= want })
	if got := rc.crossed.Load(); got != int32(n) {
		t.Fatalf("%d %s crossed NATS for %d sent", got, what, n)
	}
}

func TestClusterChatroom(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	alice := n0.device("alice", "a1", devOpts{})
	dave := n0.device("dave", "d1", devOpts{})
	bob := n1.device("bob", "b1", devOpts{})
	carol := n1.device("carol", "c1", devOpts{})
	joinAll(t, "hall", -1, alice, dave, bob, carol)
	crossed := countRoomMessages(t, c) // what crosses NATS on chat room subjects

	want := []string{"1", "2", "3", "4", "5"}
	for _, s := range want {
		alice.send(t, roomText("hall", s))
	}
	for _, d := range []*device{dave, bob, carol} {
		d.waitRoom(t, "hall", want...)
	}
	n0.fence(t, dave, bob, carol)
	for _, d := range []*device{dave, bob, carol} {
		if got := d.roomMessages("hall"); !slices.Equal(got, want) {
			t.Fatalf("%s got %v", d.user, got)
		}
	}
	crossed.expect(t, len(want), "room messages")

	// Either node counts the four members.
	for _, e := range c.nodes {
		waitMembers(t, e, "hall", 4)
	}
	// A mute made through n1 holds for alice on n0.
	if status, _ := n1.admin("POST", "/v1/chatrooms/hall/mute", map[string]any{"userIds": []string{"alice"}, "durationMs": 60000}); status != 200 {
		t.Fatal(status)
	}
	dave.roomEvent(t, "the ban, across nodes", func(ev *client.ChatroomEvent) bool { return ev.Ban != nil })
	waitFor(t, "alice muted on n0", func() bool {
		_, err := alice.SendMessage(ctx, roomText("hall", "muted?"), client.SendOptions{})
		return codes.Of(err) == codes.ForbiddenInChatroom
	})
	// An entry bob sets (n1) alice reads (n0).
	if _, err := bob.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "hall",
		Entries: []*pb.ChatroomEntry{{Key: "k", Value: "v"}}}); err != nil {
		t.Fatal(err)
	}
	alice.roomEvent(t, "bob's entry", func(ev *client.ChatroomEvent) bool { return len(ev.Entries) == 1 && ev.Entries[0].Key == "k" })
	res, err := alice.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_GET_ENTRIES, Room: "hall"})
	if err != nil || len(res.Entries) != 1 || res.Entries[0].Owner != "bob" {
		t.Fatalf("entries read on n0: %v %v", res, err)
	}
	// Destroyed through n1: the members on n0 are out too.
	if status, _ := n1.admin("DELETE", "/v1/chatrooms/hall", nil); status != 200 {
		t.Fatal(status)
	}
	dave.roomEvent(t, "destroyed", func(ev *client.ChatroomEvent) bool { return ev.Destroyed })
	waitFor(t, "dave out of the room on n0", func() bool {
		_, err := dave.SendMessage(ctx, roomText("hall", "x"), client.SendOptions{})
		return codes.Of(err) == codes.NotInChatroom
	})
}

// A device in more rooms than its user's burst of writes rejoins them all
// after a reconnect: a rejoin refused for frequency (20607) waits for the
// bucket instead of losing the room for the whole connection.
func TestChatroomRejoinWaitsForTheWriteBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.WriteBurst, c.WriteRate = 3, 0.001 })
	ctx := context.Background()
	cut := &roomCutter{}
	bob := e.device("bob", "b1", devOpts{dialer: cut})
	bob.connect(t, token(t, "bob", time.Hour))
	rooms := []string{"r0", "r1", "r2"}
	for _, room := range rooms {
		if _, err := bob.JoinChatroom(ctx, room, -1, false); err != nil {
			t.Fatal(err)
		}
	}
	cut.cut() // the bucket is empty: the first rejoin is refused
	waitFor(t, "a rejoin refused", func() bool { return e.metric(t, "imwasm_requests_limited_total") >= 1 })
	e.clock.add(time.Hour) // the bucket full again (3)
	var rejoined []*client.ChatroomRejoin
	bob.waitFor(t, "3 rejoins", func(_ []*client.Message, all []client.Event) bool {
		rejoined = rejoined[:0]
		for _, ev := range all {
			if ev.Kind == client.EventChatroom && ev.Chatroom.Rejoined != nil {
				rejoined = append(rejoined, ev.Chatroom.Rejoined)
			}
		}
		return len(rejoined) >= len(rooms)
	})
	for _, rj := range rejoined {
		if rj.Code != 0 || !bob.InChatroom(rj.Room) {
			t.Fatalf("%s rejoined with %d (in it: %v)", rj.Room, rj.Code, bob.InChatroom(rj.Room))
		}
	}
}

// A device's own message that lands past one it has not seen yet stays
// its own through a rejoin: never handed back as received.
func TestChatroomRejoinKeepsOwnMessagesOwn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	cut := &roomCutter{}
	bob := e.device("bob", "b1", devOpts{dialer: cut})
	joinAll(t, "show", 5, alice, bob)
	alice.send(t, roomText("show", "1"))
	bob.waitRoom(t, "show", "1")
	cut.drop(2) // alice's 2 never reaches bob live...
	alice.send(t, roomText("show", "2"))
	e.fence(t, bob)
	bob.send(t, roomText("show", "3 from bob")) // ...before bob sends 3
	cut.cut()
	bob.roomEvent(t, "rejoined", func(ev *client.ChatroomEvent) bool { return ev.Rejoined != nil })
	alice.send(t, roomText("show", "4"))
	bob.waitFor(t, "4", func([]*client.Message, []client.Event) bool {
		bob.mu.Unlock()
		defer bob.mu.Lock()
		return slices.Contains(bob.roomMessages("show"), "4")
	})
	if got := bob.roomMessages("show"); slices.Contains(got, "3 from bob") || !slices.Contains(got, "2") {
		t.Fatalf("bob was handed %v (his own 3 not among them, alice's 2 read back)", got)
	}
}

// An entry's notice is the setter's own message: the setter is never
// handed it, live or read back when a later message shows its number.
func TestChatroomEntryNoticeIsTheSettersOwn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	// A gap is read back at once: had alice taken the notice's number for
	// a gap, she would have it by the time "later" comes.
	alice := e.device("alice", "a1", devOpts{mod: func(c *client.Config) { c.GapWait = time.Millisecond }})
	bob := e.device("bob", "b1", devOpts{})
	joinAll(t, "kv", -1, alice, bob)
	if _, err := alice.ChatroomRequest(ctx, &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "kv", Notify: true,
		Entries: []*pb.ChatroomEntry{{Key: "stage", Value: "open"}}}); err != nil {
		t.Fatal(err)
	}
	bob.waitRoom(t, "kv", "RC:chrmKVNotiMsg")
	bob.send(t, roomText("kv", "after"))
	alice.waitRoom(t, "kv", "after")
	bob.send(t, roomText("kv", "later"))
	alice.waitRoom(t, "kv", "after", "later")
}
