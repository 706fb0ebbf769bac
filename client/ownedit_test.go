package client

import (
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A send whose ack was lost is edited on another device while this one is
// away. The reconnect's pull brings the own message (stored edited) and the
// edit's marker. The record takes the edited content, and the edit is told
// once, by its marker (MESSAGE_MODIFIED), not also as a new message.
func TestOwnSendEditedWhileAwayToldOnce(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	_, req, res := h.send(c, bob, SendOptions{})
	h.srv.authOK(func(ok *pb.AuthOK) { ok.SyncVersion = 5 })
	c.drop()
	m, err := result(t, res)
	wantCode(t, err, codes.NetChannelInvalid)
	if m == nil || m.SentStatus != StatusFailed {
		t.Fatalf("send %+v", m)
	}

	c2 := h.srv.conn(t, 1)
	f, _ := next[*pb.Frame_Sync](t, c2)
	c2.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 6, Conversations: []*pb.ConversationState{
		{Conv: wconv(bob), LastSeq: 2, LastTime: baseTime + 2000}}}})
	p, _ := next[*pb.Frame_Pull](t, c2)
	own := wire(bob, me, 1)
	own.ClientMsgId = req.ClientMsgId
	own.Content, own.ModifiedTime = []byte(`{"content":"edited"}`), baseTime+1500
	marker := wire(bob, me, 2)
	marker.ModifyOf, marker.Content, marker.ModifiedTime, marker.IsCounted = own.Uid, own.Content, own.ModifiedTime, false
	c2.reply(p, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{own, marker}, LastSeq: 2, StartSeq: 1}})
	eventually(t, "the second sync", func() bool { return len(h.ev.all(EventSyncFinished)) == 2 })
	h.barrier(c2)

	var asMessages, asModified int
	for _, ev := range h.ev.all(EventMessages) {
		for _, x := range ev.Messages {
			if x.MessageID == m.MessageID {
				asMessages++
			}
		}
	}
	for _, ev := range h.ev.all(EventModified) {
		for _, x := range ev.Messages {
			if x.MessageID == m.MessageID {
				asModified++
			}
		}
	}
	if asMessages+asModified != 1 {
		t.Fatalf("the edit of this device's own send was told %d times: %d in MESSAGES, %d in MESSAGE_MODIFIED (want once)",
			asMessages+asModified, asMessages, asModified)
	}
}
