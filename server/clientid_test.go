package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
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
