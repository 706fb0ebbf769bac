package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// A sender's client message id (NIM's idClient) is the same on every
// device, and a sender may choose it: a send under one the server has
// committed, from any of the user's devices, is that message again.
func TestChosenClientMsgID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{alice, alice2, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	sent, err := alice.SendMessage(ctx, text("bob", client.Private, "one"), client.SendOptions{ClientMsgID: "nim-idclient-1"})
	if err != nil {
		t.Fatal(err)
	}
	if sent.ClientMsgID != "nim-idclient-1" {
		t.Fatalf("sent under %q", sent.ClientMsgID)
	}
	got := bob.waitMessages(t, 1)
	if got[0].ClientMsgID != "nim-idclient-1" || got[0].MessageUID != sent.MessageUID {
		t.Fatalf("bob got %q (%s), want the sender's id", got[0].ClientMsgID, got[0].MessageUID)
	}
	mine := alice2.waitMessages(t, 1)
	if mine[0].ClientMsgID != "nim-idclient-1" {
		t.Fatalf("the sender's other device got %q", mine[0].ClientMsgID)
	}

	// The same id again: on this device the held message, on the other
	// the server's first answer; bob gets it once.
	again, err := alice.SendMessage(ctx, text("bob", client.Private, "one"), client.SendOptions{ClientMsgID: "nim-idclient-1"})
	if err != nil || again.MessageUID != sent.MessageUID || again.MessageID != sent.MessageID {
		t.Fatalf("resend on the same device = %+v, %v", again, err)
	}
	other, err := alice2.SendMessage(ctx, text("bob", client.Private, "one"), client.SendOptions{ClientMsgID: "nim-idclient-1"})
	if err != nil || other.MessageUID != sent.MessageUID || other.SentTime != sent.SentTime {
		t.Fatalf("resend from the other device = %+v, %v", other, err)
	}
	e.fence(t, bob)
	n := 0
	for _, m := range bob.waitMessages(t, 1) {
		if m.MessageUID == sent.MessageUID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("bob holds the message %d times", n)
	}

	for _, bad := range []string{"has space", string(make([]byte, 65))} {
		_, err := alice.SendMessage(ctx, text("bob", client.Private, "x"), client.SendOptions{ClientMsgID: bad})
		wantCode(t, "clientMsgId "+bad, err, codes.InvalidParameter)
	}
}

// A client message id reused for another conversation is no resend: it is
// refused on the device that holds it and by the server for another device.
func TestClientMsgIDOfAnotherConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice2 := e.device("alice", "a2", devOpts{})
	for _, d := range []*device{alice, alice2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	if _, err := alice.SendMessage(ctx, text("bob", client.Private, "to bob"), client.SendOptions{ClientMsgID: "dup-1"}); err != nil {
		t.Fatal(err)
	}
	_, err := alice.SendMessage(ctx, text("carol", client.Private, "to carol"), client.SendOptions{ClientMsgID: "dup-1"})
	wantCode(t, "the same device", err, codes.InvalidParameter)
	_, err = alice2.SendMessage(ctx, text("dave", client.Private, "to dave"), client.SendOptions{ClientMsgID: "dup-1"})
	wantCode(t, "another device", err, codes.InvalidParameter)
}

// The server's own messages for a user's act on another (a recall's
// "rc."+uid, an edit's "ed.", a receipt request's "rr.", an expansion's
// "ex.", a room entry's "kv-") take client ids in the acting user's
// space. A send under one was answered as a resend of the act: success,
// the marker's uid, and the message stored nowhere. Such ids are refused,
// by the server, the SDK and the HTTP API alike, and nothing is stored.
func TestSendUnderServersClientIDRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.RecallWindow = time.Hour })
	ctx := context.Background()
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	p := client.Conversation{Type: client.Private, TargetID: "bob"}
	m := alice.send(t, text("bob", client.Private, "oops"))
	if _, err := alice.RecallMessage(ctx, p, m.MessageUID, m.SentTime, client.RecallOptions{}); err != nil {
		t.Fatal(err)
	}
	taken := contract.RecallIDPrefix + m.MessageUID

	// The SDK refuses before sending.
	if _, err := alice.SendMessage(ctx, text("bob", client.Private, "sdk"), client.SendOptions{ClientMsgID: taken}); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("SDK send under %q: %v, want %d", taken, err, codes.InvalidParameter)
	}
	// The server refuses another client's frame.
	r := e.raw(t)
	if ok := r.auth(token(t, "alice", time.Hour)); ok.GetAuthOk().GetUserId() != "alice" {
		t.Fatalf("auth: %v", ok)
	}
	for i, id := range []string{taken, "ed.x", "rr.x", "ex.x", "kv-x"} {
		r.write(&pb.Frame{Id: uint64(10 + i), Body: &pb.Frame_Send{Send: &pb.SendRequest{
			Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, ClientMsgId: id, ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"raw"}`)}}})
		if f := r.answer(uint64(10 + i)); f.GetError().GetCode() != codes.InvalidParameter {
			t.Fatalf("raw send under %q: %v, want error %d", id, f, codes.InvalidParameter)
		}
	}
	// So does the HTTP API.
	if status, body := e.admin("POST", "/v1/messages", map[string]any{"fromUserId": "alice", "conversationType": 1, "targetIds": []string{"bob"},
		"objectName": "RC:TxtMsg", "content": `{"content":"api"}`, "clientMsgId": taken}); status != http.StatusBadRequest {
		t.Fatalf("API send under %q: %d %v", taken, status, body)
	}
	// Nothing of them stored: bob's history holds the recall and no more.
	e.fence(t, bob)
	remote, _, err := bob.RemoteHistory(ctx, client.Conversation{Type: client.Private, TargetID: "alice"}, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(remote) != 1 || remote[0].ObjectName != "RC:RcNtf" {
		t.Fatalf("bob's history %v, want the recalled message only", contents(remote))
	}
}
