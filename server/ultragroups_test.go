package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// ultraText is a text to channel ch of ultra group g.
func ultraText(g, ch, s string) *client.Message {
	m := text(g, client.UltraGroup, s)
	m.ChannelID = ch
	return m
}

// channelMessages are the contents d holds from channel ch of g.
func (d *device) channelMessages(g, ch string) []string {
	var out []*client.Message
	for _, m := range d.messages() {
		if m.Type == client.UltraGroup && m.TargetID == g && m.ChannelID == ch {
			out = append(out, m)
		}
	}
	return contents(out)
}

// waitChannel waits until d holds want from channel ch of g, in order,
// and nothing else from it.
func (d *device) waitChannel(t *testing.T, g, ch string, want ...string) {
	t.Helper()
	d.waitFor(t, g+"/"+ch, func([]*client.Message, []client.Event) bool {
		d.mu.Unlock()
		defer d.mu.Lock()
		return len(d.channelMessages(g, ch)) >= len(want)
	})
	if got := d.channelMessages(g, ch); !slices.Equal(got, want) {
		t.Fatalf("%s/%s holds %v from %s/%s, want %v", d.user, d.id, got, g, ch, want)
	}
}

// adminOK calls the admin API and fails the test on other than 200.
func (e *env) adminOK(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	status, res := e.admin(method, path, body)
	if status != 200 {
		t.Fatalf("%s %s: %d %v", method, path, status, res)
	}
	data, _ := res["data"].(map[string]any)
	return data
}

// An ultra group's life: channels public and private, messages live to
// the members online and by sync with counts to one who was offline,
// mentions, an edit everyone sees, mutes, a member removed, refusals with
// RongIMLib's codes.
func TestUltraGroupChannels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) {})
	ctx := context.Background()
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "name": "Town", "ownerId": "olga", "memberIds": []string{"alice", "bob", "carol"}})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "news"})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "staff", "private": true})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels/staff/users", map[string]any{"userIds": []string{"alice", "olga"}})
	if status, body := e.admin("POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga"}); status != 409 {
		t.Fatalf("creating it again: %d %v", status, body)
	}

	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	dave := e.device("dave", "d1", devOpts{})
	for _, d := range []*device{alice, bob, dave} {
		d.connect(t, token(t, d.user, time.Hour))
	}

	// The default channel ("") and a public one reach every member online.
	alice.send(t, ultraText("ug", "", "hello"))
	bob.waitChannel(t, "ug", "", "hello")
	bob.send(t, ultraText("ug", "news", "n1"))
	alice.waitChannel(t, "ug", "news", "n1")

	// Refusals change nothing.
	_, err := dave.SendMessage(ctx, ultraText("ug", "", "let me in"), client.SendOptions{})
	wantCode(t, "a non-member's send", err, codes.NotInUltraGroup)
	_, err = bob.SendMessage(ctx, ultraText("ug", "staff", "psst"), client.SendOptions{})
	wantCode(t, "a send to a private channel bob is not in", err, codes.UltraGroupUserNotInPrivateChannel)
	_, err = bob.SendMessage(ctx, ultraText("ug", "nope", "?"), client.SendOptions{})
	wantCode(t, "a send to a channel the group lacks", err, codes.UltraGroupChannelIDNotExist)
	_, err = bob.SendMessage(ctx, ultraText("none", "", "?"), client.SendOptions{})
	wantCode(t, "a send to no group", err, codes.UltraGroupNotExist)
	m := ultraText("ug", "", "with a receipt")
	m.NeedReceipt = true
	_, err = bob.SendMessage(ctx, m, client.SendOptions{})
	wantCode(t, "a receipt asked in an ultra group", err, codes.InvalidParameter)

	// A private channel's messages reach those on its list only.
	alice.send(t, ultraText("ug", "staff", "s1"))
	bob.send(t, ultraText("ug", "news", "n2"))
	alice.waitChannel(t, "ug", "news", "n1", "n2")
	e.fence(t, bob, dave)
	if got := bob.channelMessages("ug", "staff"); len(got) != 0 {
		t.Fatalf("bob got %v from the private channel", got)
	}
	if got := dave.channelMessages("ug", "news"); len(got) != 0 {
		t.Fatalf("dave, no member, got %v", got)
	}

	// Carol was offline: her new device lists each channel with its unread
	// count and mentions, from her watermark.
	at := ultraText("ug", "news", "@carol")
	at.IsMentioned, at.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle, UserIDs: []string{"carol"}}
	bob.send(t, at)
	carol := e.device("carol", "c1", devOpts{})
	carol.connect(t, token(t, "carol", time.Hour))
	news := client.Conversation{Type: client.UltraGroup, TargetID: "ug", ChannelID: "news"}
	def := client.Conversation{Type: client.UltraGroup, TargetID: "ug"}
	carol.waitChannel(t, "ug", "news", "n1", "n2", "@carol")
	if n, d := carol.UnreadCount(news), carol.UnreadCount(def); n != 3 || d != 1 {
		t.Fatalf("carol's unread: news %d, default %d; want 3 and 1", n, d)
	}
	if ci, err := carol.Conversation(ctx, news); err != nil || ci.MentionCount != 1 || !ci.HasMentioned {
		t.Fatalf("carol's news: %+v %v", ci, err)
	}
	if got := carol.channelMessages("ug", "staff"); len(got) != 0 {
		t.Fatalf("carol got %v from the private channel", got)
	}

	// An edit reaches everyone in the channel.
	n1 := alice.messages()[slices.IndexFunc(alice.messages(), func(m *client.Message) bool {
		return m.ChannelID == "news" && contents([]*client.Message{m})[0] == "n1"
	})]
	if _, err := bob.ModifyMessage(ctx, news, n1.MessageUID, []byte(`{"content":"n1 (edited)"}`)); err != nil {
		t.Fatalf("bob edits n1: %v", err)
	}
	for _, d := range []*device{alice, carol} {
		d.waitFor(t, "the edit", func(_ []*client.Message, evs []client.Event) bool {
			for _, ev := range evs {
				if ev.Kind == client.EventModified && len(ev.Messages) == 1 && ev.Messages[0].MessageUID == n1.MessageUID &&
					contents(ev.Messages)[0] == "n1 (edited)" && ev.Messages[0].ChannelID == "news" {
					return true
				}
			}
			return false
		})
	}

	// Muted: 24408, the whole group muted: everyone but its owner.
	e.adminOK(t, "POST", "/v1/ultragroups/ug/mute", map[string]any{"userIds": []string{"bob"}, "durationMs": -1})
	_, err = bob.SendMessage(ctx, ultraText("ug", "", "muted?"), client.SendOptions{})
	wantCode(t, "a muted member's send", err, codes.ForbiddenInUltraGroup)
	e.adminOK(t, "POST", "/v1/ultragroups/ug/mute", map[string]any{"userIds": []string{"bob"}, "durationMs": 0})
	bob.send(t, ultraText("ug", "", "unmuted"))
	e.adminOK(t, "PUT", "/v1/ultragroups/ug/mute-all", map[string]any{"muted": true})
	_, err = alice.SendMessage(ctx, ultraText("ug", "", "all muted?"), client.SendOptions{})
	wantCode(t, "a send while the group is muted", err, codes.ForbiddenInUltraGroup)
	e.adminOK(t, "PUT", "/v1/ultragroups/ug/mute-all", map[string]any{"muted": false})

	// Bob removed: refused, and nothing more reaches him.
	if data := e.adminOK(t, "POST", "/v1/ultragroups/ug/members/remove", map[string]any{"userIds": []string{"bob"}}); len(data["changed"].([]any)) != 1 {
		t.Fatalf("removing bob: %v", data)
	}
	_, err = bob.SendMessage(ctx, ultraText("ug", "", "still here?"), client.SendOptions{})
	wantCode(t, "a removed member's send", err, codes.NotInUltraGroup)
	alice.send(t, ultraText("ug", "", "after bob"))
	carol.waitChannel(t, "ug", "", "hello", "unmuted", "after bob")
	e.fence(t, bob)
	if got := bob.channelMessages("ug", ""); slices.Contains(got, "after bob") {
		t.Fatalf("bob, removed, got %v", got)
	}

	// Added while online: the next message comes live.
	e.adminOK(t, "POST", "/v1/ultragroups/ug/members", map[string]any{"userIds": []string{"dave"}})
	alice.send(t, ultraText("ug", "news", "welcome dave"))
	dave.waitFor(t, "dave's first message", func([]*client.Message, []client.Event) bool {
		dave.mu.Unlock()
		defer dave.mu.Lock()
		return slices.Contains(dave.channelMessages("ug", "news"), "welcome dave")
	})

	// The app server sends to a channel (it need not be a member).
	e.adminOK(t, "POST", "/v1/messages", map[string]any{"fromUserId": "system", "conversationType": 10, "targetIds": []string{"ug"},
		"channelId": "news", "objectName": "RC:TxtMsg", "content": map[string]any{"content": "from the app"}, "clientMsgId": "app1"})
	dave.waitFor(t, "the app's message", func([]*client.Message, []client.Event) bool {
		dave.mu.Unlock()
		defer dave.mu.Lock()
		return slices.Contains(dave.channelMessages("ug", "news"), "from the app")
	})
	if status, _ := e.admin("POST", "/v1/messages", map[string]any{"fromUserId": "system", "conversationType": 10, "targetIds": []string{"ug"},
		"channelId": "nope", "objectName": "RC:TxtMsg", "content": map[string]any{"content": "?"}, "clientMsgId": "app2"}); status != 404 {
		t.Fatalf("the app's message to a channel the group lacks: %d", status)
	}

	info := e.adminOK(t, "GET", "/v1/ultragroups/ug", nil)
	if info["memberCount"] != float64(4) || len(info["channels"].([]any)) != 3 {
		t.Fatalf("info: %v", info)
	}
	e.adminOK(t, "DELETE", "/v1/ultragroups/ug", nil)
	_, err = alice.SendMessage(ctx, ultraText("ug", "", "gone?"), client.SendOptions{})
	wantCode(t, "a send to a dismissed group", err, codes.UltraGroupNotExist)
}

// An ultra group spread over two nodes: each message crosses NATS once
// (each node fans out to its own sessions), and a change made through
// one node holds on the other (its cache, its index of sessions).
func TestClusterUltraGroup(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2, nil)
	n0, n1 := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	n0.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "big", "ownerId": "alice", "memberIds": []string{"bob", "carol"}})
	n0.adminOK(t, "POST", "/v1/ultragroups/big/channels", map[string]any{"channelId": "news"})
	alice := n0.device("alice", "a1", devOpts{})
	dave := n0.device("dave", "d1", devOpts{})
	bob := n1.device("bob", "b1", devOpts{})
	carol := n1.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice, dave, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	crossed := countRoomMessages(t, c)

	want := []string{"1", "2", "3", "4", "5"}
	for _, s := range want {
		alice.send(t, ultraText("big", "news", s))
	}
	for _, d := range []*device{bob, carol} {
		d.waitChannel(t, "big", "news", want...)
	}
	n0.fence(t, dave)
	if got := dave.channelMessages("big", "news"); len(got) != 0 {
		t.Fatalf("dave, no member, got %v", got)
	}
	crossed.expect(t, len(want), "ultra group messages")

	// Dave added through n1 gets the next message on n0; bob removed
	// through n0 is refused on n1 and gets nothing more.
	n1.adminOK(t, "POST", "/v1/ultragroups/big/members", map[string]any{"userIds": []string{"dave"}})
	n0.adminOK(t, "POST", "/v1/ultragroups/big/members/remove", map[string]any{"userIds": []string{"bob"}})
	waitFor(t, "bob refused on n1", func() bool {
		_, err := bob.SendMessage(ctx, ultraText("big", "news", "still in?"), client.SendOptions{})
		return codes.Of(err) == codes.NotInUltraGroup
	})
	waitFor(t, "dave admitted on n0", func() bool {
		_, err := dave.SendMessage(ctx, ultraText("big", "", "in?"), client.SendOptions{})
		return err == nil
	})
	carol.send(t, ultraText("big", "news", "6"))
	dave.waitFor(t, "dave's first live message", func([]*client.Message, []client.Event) bool {
		dave.mu.Unlock()
		defer dave.mu.Lock()
		return slices.Contains(dave.channelMessages("big", "news"), "6")
	})
	alice.waitChannel(t, "big", "news", "6") // her own sends are not handed back
	n1.fence(t, bob)
	if got := bob.channelMessages("big", "news"); slices.Contains(got, "6") {
		t.Fatalf("bob, removed, got %v", got)
	}

	// Default levels in the shared store (PostgreSQL): the owner sets one
	// on n0, a member reads it and lists the group on n1; others may not.
	set := &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, Group: "big", Channel: "news", Level: 5}
	if _, err := alice.UltraGroupRequest(ctx, set); err != nil {
		t.Fatalf("the owner sets a level: %v", err)
	}
	_, err := carol.UltraGroupRequest(ctx, set)
	wantCode(t, "a member sets the group's level", err, codes.RCGroupAuthorityError)
	got, err := carol.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_GET_DEFAULT_LEVEL, Group: "big", Channel: "news"})
	if err != nil || got.Level != 5 {
		t.Fatalf("carol reads the level on n1: %v %v", got, err)
	}
	list, err := carol.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_LIST})
	if err != nil || len(list.Groups) != 1 || len(list.Groups[0].Channels) != 2 || list.Groups[0].Channels[1].DefaultLevel != 5 {
		t.Fatalf("carol's list: %v %v", list, err)
	}
	_, err = bob.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_GET_DEFAULT_LEVEL, Group: "big"})
	wantCode(t, "a removed member reads a level", err, codes.NotInUltraGroup)
}

// Default levels end with their group or channel: one made again with the
// same id starts with none (http-api.md: "starts empty").
func TestUltraDefaultLevelsEndWithTheGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga"})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "news"})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "newsroom"})
	olga := e.device("olga", "o1", devOpts{})
	olga.connect(t, token(t, "olga", time.Hour))
	level := func(ch string) int32 {
		t.Helper()
		res, err := olga.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_GET_DEFAULT_LEVEL, Group: "ug", Channel: ch})
		if err != nil {
			t.Fatal(err)
		}
		return res.Level
	}
	for _, ch := range []string{"", "news", "newsroom"} {
		if _, err := olga.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, Group: "ug", Channel: ch, Level: 5}); err != nil {
			t.Fatal(err)
		}
	}
	e.adminOK(t, "DELETE", "/v1/ultragroups/ug/channels/news", nil)
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "news"})
	if l, other := level("news"), level("newsroom"); l != 0 || other != 5 {
		t.Fatalf("default levels after news was deleted and made again: news %d (want 0), newsroom %d (want 5)", l, other)
	}
	// The owner sets a private channel's level, on its list or not.
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "staff", "private": true})
	if _, err := olga.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, Group: "ug", Channel: "staff", Level: 1}); err != nil {
		t.Fatalf("the owner setting a private channel's level: %v", err)
	}
	e.adminOK(t, "DELETE", "/v1/ultragroups/ug", nil)
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga"})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "newsroom"})
	if g, ch := level(""), level("newsroom"); g != 0 || ch != 0 {
		t.Fatalf("default levels of a group made again: group %d, newsroom %d (want 0)", g, ch)
	}
}
