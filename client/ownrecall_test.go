package client

import (
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A send whose ack is lost with the connection is committed; while the
// device is away the user recalls it on another device (the server turns
// the stored message into RC:RcNtf and appends a recall marker). The
// reconnect's pull brings both: the own message (matched to the FAILED
// record by its client id, acceptLocked) and the marker. The record takes
// the content as stored now, and the marker finds it among the batch's
// records: the device shows the recall.
func TestOwnSendRecalledWhileAway(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	_, req, res := h.send(c, bob, SendOptions{})
	h.srv.authOK(func(ok *pb.AuthOK) { ok.SyncVersion = 5 })
	c.drop() // the server committed it as seq 1; the ack is lost with the connection
	m, err := result(t, res)
	wantCode(t, err, codes.NetChannelInvalid)
	if m == nil || m.SentStatus != StatusFailed {
		t.Fatalf("send %+v", m)
	}

	c2 := h.srv.conn(t, 1)
	f, _ := next[*pb.Frame_Sync](t, c2)
	c2.reply(f, &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 6, Conversations: []*pb.ConversationState{
		{Conv: wconv(bob), LastSeq: 2, LastTime: baseTime + 2000}}}})
	p, pull := next[*pb.Frame_Pull](t, c2)
	if pull.Pull.AfterSeq != 0 || pull.Pull.Conv.Target != "bob" {
		t.Fatalf("pull %+v", pull.Pull)
	}
	// The own message as stored now (recalled in place), and its marker.
	own := wire(bob, me, 1)
	own.ClientMsgId = req.ClientMsgId
	own.ObjectName, own.Content, own.IsCounted = RecallObjectName, []byte(recallContent), false
	marker := recallMarker(bob, 2, own.Uid, me)
	c2.reply(p, &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{own, marker}, LastSeq: 2, StartSeq: 1}})
	eventually(t, "the second sync", func() bool { return len(h.ev.all(EventSyncFinished)) == 2 })
	h.barrier(c2)

	recs, _ := h.store.MessagesByID(t.Context(), []int64{m.MessageID})
	rec := recs[0]
	if rec == nil {
		t.Fatal("record gone")
	}
	if rec.SentStatus != StatusSent || rec.MessageUID != own.Uid {
		t.Fatalf("record not matched to the commit: %+v", rec)
	}
	if rec.ObjectName != RecallObjectName {
		t.Fatalf("the user's recalled message is still shown as %s %s on this device (record %d, uid %s)",
			rec.ObjectName, rec.Content, rec.MessageID, rec.MessageUID)
	}
}
