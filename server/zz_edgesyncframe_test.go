package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client/wsnative"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// TestZZEdgeSyncAnswerOverClientFrame: a Sync answer is one frame holding
// every changed conversation, unpaged (server/messages.go handleSync). The
// contract (proto/contract/limits.go) sizes every frame to fit the native
// client's 1 MiB read limit; a user with ~13,000 conversations (a bot, a
// support account) gets a SyncResult over it: the native client's read
// fails with 1009 on every connect, and it can never sync (it reconnects
// and asks again, forever).
func TestZZEdgeSyncAnswerOverClientFrame(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 12,000 messages")
	}
	e := newEnv(t, func(c *server.Config) { c.WriteRate = -1 })
	const batches, per = 14, 1000
	for b := range batches {
		ids := make([]string, per)
		for i := range ids {
			ids[i] = fmt.Sprintf("u%03d-%04d-%s", b, i, strings.Repeat("x", 54)) // 64 bytes: the most an id may have
		}
		status, res := e.admin("POST", "/v1/messages", map[string]any{
			"fromUserId": "bot", "conversationType": 1, "targetIds": ids,
			"objectName": "RC:TxtMsg", "content": map[string]any{"content": "hi"}, "clientMsgId": fmt.Sprint("c", b),
		})
		if status != 200 {
			t.Fatalf("batch %d: %d %v", b, status, res)
		}
	}
	// The SDK's native transport, with its default read limit (1 MiB).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := wsnative.Dialer{}.Dial(ctx, e.wsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	write := func(f *pb.Frame) {
		b, _ := f.Marshal()
		if err := c.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: token(t, "bot", time.Hour), AppKey: appKey, DeviceId: "d"}}})
	b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := (&pb.Frame{}); f.Unmarshal(b) != nil || f.GetAuthOk() == nil {
		t.Fatalf("auth: %v", f)
	}
	write(&pb.Frame{Id: 2, Body: &pb.Frame_Sync{Sync: &pb.SyncRequest{SinceVersion: 0}}})
	for {
		b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("the native client cannot read the answer to a Sync (a user with %d conversations): %v", batches*per, err)
		}
		f := &pb.Frame{}
		if err := f.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if f.Id == 2 {
			t.Logf("sync answered in %d bytes, %d conversations", len(b), len(f.GetSyncResult().GetConversations()))
			return
		}
	}
}
