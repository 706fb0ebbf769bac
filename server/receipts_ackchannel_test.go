package server_test

import (
	"strings"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// TestAckChannelOfPrivateChatRefused (found by a helper's hunt of hostile input): a conversation's channel is for ultra
// groups (every other request refuses one on a private chat: "a channel
// is for ultra groups"). An Ack naming a private chat with a channel is
// bad input: refused, and nothing written — here it becomes the
// delivery receipt written to the sender's log, for a conversation
// {PRIVATE, bob, channel "<64 KiB of junk>"} the sender never had.
func TestAckChannelOfPrivateChatRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice, bob := e.raw(t), e.raw(t)
	if ok := alice.auth(token(t, "alice", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatal(ok)
	}
	if ok := bob.auth(token(t, "bob", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatal(ok)
	}
	alice.write(&pb.Frame{Id: 2, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"},
		ClientMsgId: "c1", ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`), IsPersisted: true, IsCounted: true, DeliveryReceipt: true}}})
	ack := alice.answer(2).GetSendAck()
	if ack == nil {
		t.Fatal("send refused")
	}
	junk := strings.Repeat("j", 64<<10)
	bob.write(&pb.Frame{Id: 3, Body: &pb.Frame_Ack{Ack: &pb.Ack{Items: []*pb.AckItem{{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "alice", Channel: junk}, Seq: ack.Seq}}}}})
	bob.write(&pb.Frame{Id: 4, Body: &pb.Frame_Ping{Ping: &pb.Ping{}}})
	var refused bool
	for {
		f, err := bob.read()
		if err != nil {
			t.Fatalf("bob's connection: %v", err)
		}
		if f.Id == 3 && f.GetError() != nil {
			refused = true
		}
		if f.Id == 4 && f.GetPong() != nil {
			break
		}
	}
	if !refused {
		t.Errorf("an ack naming a private chat with a channel was not refused")
	}
	time.Sleep(300 * time.Millisecond)
	alice.write(&pb.Frame{Id: 5, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: &pb.Conversation{Type: pb.ConversationType_USER_LOG, Target: "alice"}}}})
	for _, m := range alice.answer(5).GetPullResult().GetMessages() {
		if l := m.GetLog(); l != nil && l.DeliveredTo == "bob" && l.GetConv().GetChannel() != "" {
			t.Errorf("alice's log holds a delivery receipt for conversation {%v, %s, channel of %d bytes}", l.Conv.Type, l.Conv.Target, len(l.Conv.Channel))
		}
	}
}
