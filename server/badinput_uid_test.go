package server_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A message uid holding U+0000 (valid UTF-8, so the protocol takes it)
// names no message: every request answers a clear code (the vendors' 4xx),
// never the server's own failure (-1 "server error", HTTP 500), which
// PostgreSQL's lookup gave (text cannot hold NUL; the suite's second run
// is on PostgreSQL). Found by a helper's hunt of hostile input.
func TestMessageUIDWithNULRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.admin("POST", "/v1/groups", map[string]any{"groupId": "g", "name": "g", "ownerId": "alice", "memberIds": []string{"bob"}})
	r := e.raw(t)
	if ok := r.auth(token(t, "alice", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatal(ok)
	}
	priv := &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}
	grp := &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}
	uid := "06H5-0000-\x00000-0000"
	reqs := map[string]*pb.Frame{
		"recall":       {Body: &pb.Frame_Recall{Recall: &pb.RecallRequest{Conv: priv, MessageUid: uid}}},
		"modify":       {Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: priv, MessageUid: uid, Content: []byte(`{"content":"x"}`)}}},
		"messages":     {Body: &pb.Frame_Messages{Messages: &pb.MessagesRequest{Conv: priv, MessageUids: []string{uid}}}},
		"expansion":    {Body: &pb.Frame_Expansion{Expansion: &pb.ExpansionRequest{Conv: priv, MessageUid: uid, Set: map[string]string{"k": "v"}}}},
		"delete":       {Body: &pb.Frame_Delete{Delete: &pb.DeleteRequest{Conv: priv, MessageUids: []string{uid}}}},
		"receipt req":  {Body: &pb.Frame_ReceiptRequest{ReceiptRequest: &pb.ReceiptRequest{Conv: grp, MessageUid: uid}}},
		"receipt resp": {Body: &pb.Frame_ReceiptResponse{ReceiptResponse: &pb.ReceiptResponse{Conv: grp, MessageUids: []string{uid}}}},
		"readers":      {Body: &pb.Frame_Readers{Readers: &pb.ReadersRequest{Conv: grp, MessageUid: uid}}},
		"receipt info": {Body: &pb.Frame_ReceiptInfo{ReceiptInfo: &pb.ReceiptInfoRequest{Conv: grp, MessageUids: []string{uid}}}},
		"read receipt": {Body: &pb.Frame_Read{Read: &pb.ReadRequest{Conv: priv, MessageUid: uid, Receipt: true}}},
		"read":         {Body: &pb.Frame_Read{Read: &pb.ReadRequest{Conv: priv, MessageUid: uid, Seq: 1}}},
	}
	id := uint64(10)
	for name, f := range reqs {
		id++
		e.clock.add(time.Second) // under the write bucket
		f.Id = id
		r.write(f)
		a := r.answer(id)
		if c := a.GetError().GetCode(); c == codes.Timeout {
			t.Errorf("%s of uid %q: %d %q (the server's failure)", name, uid, c, a.GetError().GetMsg())
		}
	}
	// The vendors' recall routes.
	if status, out := e.rcCall(t, "message/recall.json", url.Values{"fromUserId": {"alice"}, "conversationType": {"1"}, "targetId": {"bob"}, "messageUID": {uid}}, appSecret, e.now()); status >= 500 {
		t.Errorf("rongcloud recall of uid %q: %d %v", uid, status, out)
	}
	e.nimOK(t, "user/create.action", url.Values{"accid": {"ann"}})
	if out := e.nimCall(t, "msg/recall.action", url.Values{"deleteMsgid": {uid}, "timetag": {"0"}, "type": {"7"}, "from": {"ann"}, "to": {"alice"}}, appSecret, time.Now()); out["code"] == 500.0 {
		t.Errorf("nim recall of uid %q: %v", uid, out)
	}
	_, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret})
	app := out["access_token"].(string)
	if status, out := e.emCall(t, "POST", "messages/msg_recall", app, map[string]any{"msg_id": uid, "from": "alice", "to": "bob", "chat_type": "chat"}); status >= 500 {
		t.Errorf("easemob recall of uid %q: %d %v", uid, status, out)
	}
}
