package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server"
)

// A member's send that is in flight (here: held by the before-send
// webhook) when the app server destroys the room fails with 23410 and is
// not stored: a room made again with the same id does not hand it to a
// newcomer as its own history.
func TestChatroomSendAcrossDestroyIsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	h := newHookReceiver(t, func(ev map[string]any) (int, string) {
		if ev["type"] == "message.beforeSend" {
			arrived <- struct{}{}
			<-release
		}
		return 200, ""
	})
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	joinAll(t, "r", -1, alice)
	bob.connect(t, token(t, "bob", time.Hour))
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendUrl": h.srv.URL + "/hook", "beforeSendTimeoutMs": 10000})

	sent := make(chan error, 1)
	go func() {
		_, err := alice.SendMessage(ctx, roomText("r", "ghost"), client.SendOptions{})
		sent <- err
	}()
	<-arrived
	if status, body := e.admin("DELETE", "/v1/chatrooms/r", nil); status != 200 {
		t.Fatalf("destroy: %d %v", status, body)
	}
	close(release)
	err := <-sent
	if codes.Of(err) != codes.RCChatroomNotExist {
		t.Fatalf("a send into the room destroyed meanwhile: %v, want 23410", err)
	}
	n := dbCount(t, dir, `SELECT COUNT(*) FROM messages WHERE conv_id = 'r:r'`)

	// A new room of the same id.
	res, jerr := bob.JoinChatroom(ctx, "r", 10, false)
	if jerr != nil {
		t.Fatal(jerr)
	}
	got := bob.roomMessages("r")
	if len(res.Messages) > 0 || slices.Contains(got, "ghost") || res.LastSeq != 0 {
		t.Fatalf("the new room r hands bob %v (answer: %d messages, lastSeq %d): a message sent to the destroyed room (send err %v, %d rows left)",
			got, len(res.Messages), res.LastSeq, err, n)
	}
}

// A join hands on its latest count messages in one answer, cut to a page
// as a history read is (capPage): ten messages near the content limit
// (128 KiB) would make an answer over the 1 MiB a native client reads in
// one frame (its connection broke, and its rejoin asked for the same).
func TestChatroomJoinAnswerWithinTheFrameLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	if status, body := e.admin("POST", "/v1/chatrooms", map[string]any{"id": "big"}); status != 200 {
		t.Fatalf("create: %d %v", status, body)
	}
	big := strings.Repeat("x", 120<<10)
	for i := 0; i < 10; i++ {
		if status, body := e.admin("POST", "/v1/messages", map[string]any{
			"fromUserId": "host", "conversationType": client.Chatroom, "targetIds": []string{"big"},
			"objectName": "RC:TxtMsg", "content": fmt.Sprintf(`{"content":"%d%s"}`, i, big), "clientMsgId": fmt.Sprint("b", i),
		}); status != 200 {
			t.Fatalf("admin send %d: %d %v", i, status, body)
		}
	}
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	jctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := bob.JoinChatroom(jctx, "big", 0, true) // 0: the default ten
	if err != nil {
		t.Fatalf("joining a room whose latest ten messages are 120 KiB each: %v", err)
	}
	if len(res.Messages) == 0 {
		t.Fatalf("no messages")
	}
}
