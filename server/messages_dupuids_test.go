package server_test

import (
	"net/url"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A MessagesRequest naming a message several times answers it once (it
// answered each naming, up to 100 copies: a helper's hunt).
func TestMessagesRequestDuplicateUIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	pub := e.rcOK(t, "message/private/publish.json", url.Values{"fromUserId": {"alice"}, "toUserId": {"bob"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"hi"}`}})
	uid := pub["messageUIDs"].([]any)[0].(map[string]any)["messageUID"].(string)
	r := e.raw(t)
	if ok := r.auth(token(t, "bob", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatal(ok)
	}
	r.write(&pb.Frame{Id: 7, Body: &pb.Frame_Messages{Messages: &pb.MessagesRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "alice"},
		MessageUids: []string{uid, uid, uid}}}})
	a := r.answer(7)
	if ms := a.GetHistoryResult().GetMessages(); len(ms) != 1 || ms[0].Uid != uid {
		t.Fatalf("answered %v", a)
	}
}
