package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// End to end: alice's device a1 sends, the SendAck is lost (the record is
// FAILED, the server committed it as seq 1). Alice recalls the message on
// her other device a2. a1 gets the recall marker (seq 2) live, holds it
// behind the gap at seq 1, and pulls [1, 2]: its own message (matched to
// the FAILED record by client id, and already RC:RcNtf on the server) and
// the marker in one batch. The record becomes the recall, as on every
// other device.
func TestOwnSendRecalledElsewhere(t *testing.T) {
	e := newEnv(t, nil)
	dialer := &dropAcks{}
	a1 := e.device("alice", "a1", devOpts{dialer: dialer, mod: func(c *client.Config) { c.SendTimeout = 300 * time.Millisecond }})
	a2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	for _, d := range []*device{a1, a2, bob} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	dialer.armed.Store(true)
	failed, err := a1.SendMessage(context.Background(), text("bob", client.Private, "oops"), client.SendOptions{})
	if codes.Of(err) != codes.MsgRespTimeout || failed == nil {
		t.Fatalf("send without ack: %v %+v", err, failed)
	}
	dialer.armed.Store(false)
	// a2 sees alice's message (another device's send) and recalls it.
	sent := a2.waitMessages(t, 1)[0]
	if _, err := a2.RecallMessage(context.Background(), sent.Conversation, sent.MessageUID, sent.SentTime, client.RecallOptions{}); err != nil {
		t.Fatalf("recall on a2: %v", err)
	}
	bobGot := bob.waitMessages(t, 2) // the message, then it again as RC:RcNtf
	if bobGot[len(bobGot)-1].ObjectName != client.RecallObjectName {
		t.Fatalf("bob's last %+v", bobGot[len(bobGot)-1])
	}
	// a1: the marker comes live, waits for the gap, the pull fills it.
	deadline := time.Now().Add(5 * time.Second)
	var rec *client.Message
	for {
		recs, _ := a1.store.MessagesByID(context.Background(), []int64{failed.MessageID})
		rec = recs[0]
		if rec != nil && rec.SentStatus == client.StatusSent && rec.MessageUID == sent.MessageUID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a1's record never matched to the commit: %+v", rec)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
	e.fence(t, a1)
	recs, _ := a1.store.MessagesByID(context.Background(), []int64{failed.MessageID})
	rec = recs[0]
	if rec.ObjectName != client.RecallObjectName {
		t.Fatalf("a1 still shows alice's recalled message as %s %s (bob and a2 show RC:RcNtf)", rec.ObjectName, rec.Content)
	}
}
