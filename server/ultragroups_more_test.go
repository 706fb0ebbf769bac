package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// The owner of an ultra group cannot be removed from it (as a group's
// owner cannot: RCGroupOwnerNotAllowQuitOrKick): a group left without an
// owner has no one who may set its default levels, and the owner named by
// GET /v1/ultragroups/{id} is no member.
func TestUltraOwnerCannotBeRemoved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga", "memberIds": []string{"alice"}})
	status, body := e.admin("POST", "/v1/ultragroups/ug/members/remove", map[string]any{"userIds": []string{"olga"}})
	if status != 200 {
		if body["code"] != float64(codes.RCGroupOwnerNotAllowQuitOrKick) {
			t.Fatalf("refused with %v, want %d", body, codes.RCGroupOwnerNotAllowQuitOrKick)
		}
		return // the group keeps its owner
	}
	info := e.adminOK(t, "GET", "/v1/ultragroups/ug", nil)
	olga := e.device("olga", "o1", devOpts{})
	olga.connect(t, token(t, "olga", time.Hour))
	_, err := olga.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, Group: "ug", Level: 5})
	t.Fatalf("the owner was removed (%v): the group now names owner %v with %v members, and the owner's own rights are gone (set default level: code %d)",
		body["data"], info["ownerId"], info["memberCount"], codes.Of(err))
}

// Deleting a private channel tells its members a private channel went
// (ULTRA_GROUP_CHANNEL_DELETE's channelType PRIVATE), not a public one.
func TestUltraPrivateChannelDeleteEventType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga", "memberIds": []string{"alice"}})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "staff", "private": true})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels/staff/users", map[string]any{"userIds": []string{"alice"}})
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	e.adminOK(t, "DELETE", "/v1/ultragroups/ug/channels/staff", nil)
	ev := waitEventOf(t, alice, "channel deleted", client.EventUltraChannel,
		func(ev client.Event) *pb.UltraChannelEvent {
			if len(ev.UltraChannel) == 0 {
				return nil
			}
			return ev.UltraChannel[0]
		},
		func(ev *pb.UltraChannelEvent) bool { return ev.Change == 1 && ev.Channel == "staff" })
	if !ev.Private {
		t.Fatalf("the private channel's deletion was told as a public channel's: %+v", ev)
	}
}

// A member taken off a private channel's list with unread messages in it:
// the channel leaves getUltraGroupList, and its unread count leaves
// getUltraGroupUnreadCountByTargetId (UltraUnread) too (it could not be
// cleared: clearMessagesUnreadStatus of it is refused with 24416).
func TestUltraKickedChannelUnreadGoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga", "memberIds": []string{"alice", "bob"}})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "staff", "private": true})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels/staff/users", map[string]any{"userIds": []string{"alice", "bob"}})
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	alice.send(t, ultraText("ug", "staff", "s1"))
	alice.send(t, ultraText("ug", "staff", "s2"))
	bob.waitChannel(t, "ug", "staff", "s1", "s2")
	staff := client.Conversation{Type: client.UltraGroup, TargetID: "ug", ChannelID: "staff"}
	if n, _ := bob.UltraUnread("ug"); n != 2 {
		t.Fatalf("bob's unread before: %d", n)
	}
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels/staff/users/remove", map[string]any{"userIds": []string{"bob"}})
	waitEventOf(t, bob, "kicked", client.EventUltraChannel,
		func(ev client.Event) *pb.UltraChannelEvent {
			if len(ev.UltraChannel) == 0 {
				return nil
			}
			return ev.UltraChannel[0]
		},
		func(ev *pb.UltraChannelEvent) bool { return ev.Change == 7 })
	chs, err := bob.UltraChannels(ctx, "ug")
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, ch := range chs {
		if ch.ChannelID == "staff" {
			t.Fatalf("staff still listed for bob")
		}
		listed += ch.UnreadCount
	}
	errRead := bob.MarkRead(ctx, staff, 0) // clearMessagesUnreadStatus
	if n, _ := bob.UltraUnread("ug"); n != listed {
		t.Fatalf("bob's unread over ug: %d, but his channels (getUltraGroupList) count %d; clearing the lost channel: code %d",
			n, listed, codes.Of(errRead))
	}
}

// The owner may set a private channel's default level without being on
// its list, and read it back (getUltraGroupDefaultNotificationLevel).
func TestUltraOwnerReadsPrivateChannelLevel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "olga"})
	e.adminOK(t, "POST", "/v1/ultragroups/ug/channels", map[string]any{"channelId": "staff", "private": true})
	olga := e.device("olga", "o1", devOpts{})
	olga.connect(t, token(t, "olga", time.Hour))
	if _, err := olga.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, Group: "ug", Channel: "staff", Level: 1}); err != nil {
		t.Fatalf("set: %v", err)
	}
	res, err := olga.UltraGroupRequest(ctx, &pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_GET_DEFAULT_LEVEL, Group: "ug", Channel: "staff"})
	if err != nil || res.Level != 1 {
		t.Fatalf("the owner reads back the level she set: %v (code %d)", res, codes.Of(err))
	}
}

// A session's AuthOK is queued before it enters its ultra groups' index
// (Server.ultra), whose fan-out writes to an idle socket directly
// (pushLive): a channel message fanned out in between would reach the
// device before its AuthOK, and the engine fail the connection
// ("unexpected auth answer"). Tried while pushes flow; not parallel.
func TestUltraPushNotBeforeAuthOK(t *testing.T) {
	e := newEnv(t, nil)
	var groups []string
	for i := range 2 {
		groups = append(groups, fmt.Sprintf("g%02d", i))
	}
	for _, g := range groups {
		e.adminOK(t, "POST", "/v1/ultragroups", map[string]any{"id": g, "ownerId": "olga", "memberIds": []string{"m"}})
	}
	admTok, _ := authAdmin()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sent atomic.Int64
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				b, _ := json.Marshal(map[string]any{"fromUserId": "olga", "conversationType": 10, "targetIds": []string{"g00"},
					"objectName": "RC:TypSts", "content": map[string]any{"typingContentType": "RC:TxtMsg"},
					"clientMsgId": fmt.Sprintf("s%d-%d", w, i), "isStatus": true})
				req, _ := http.NewRequest("POST", e.url+"/v1/messages", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+admTok)
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					sent.Add(1)
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	tok := token(t, "m", time.Hour)
	deadline := time.Now().Add(2 * time.Second) // connects while pushes flow: a race, tried this long
	for i := 0; time.Now().Before(deadline); i++ {
		r := e.raw(t)
		r.write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: tok, AppKey: appKey, DeviceId: "raw"}}})
		f, err := r.read()
		r.c.CloseNow()
		if err != nil {
			t.Fatalf("connect %d: %v", i, err)
		}
		if f.GetAuthOk() == nil {
			t.Fatalf("connect %d (%d pushes sent meanwhile): the first frame is not the AuthOK but %T: the engine fails such a connection", i, sent.Load(), f.Body)
		}
	}
	t.Logf("no push before the AuthOK (%d pushes)", sent.Load())
}
