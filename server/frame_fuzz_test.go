package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/store/sqlite"
)

// FuzzFrame feeds arbitrary bytes through the server's frame path (decode,
// then the request handlers against a real SQLite store): nothing may panic,
// and every frame that decodes gets at most a well-formed answer.
func FuzzFrame(f *testing.F) {
	seed := []*pb.Frame{
		{Id: 1, Body: &pb.Frame_Ping{Ping: &pb.Ping{}}},
		{Id: 2, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, ClientMsgId: "c1", ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`)}}},
		{Id: 3, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}, ClientMsgId: "c2", ObjectName: "RC:TxtMsg"}}},
		{Id: 4, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, AfterSeq: 1 << 63, Limit: 1 << 31}}},
		{Id: 5, Body: &pb.Frame_Sync{Sync: &pb.SyncRequest{SinceVersion: ^uint64(0)}}},
		{Id: 6, Body: &pb.Frame_Read{Read: &pb.ReadRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, Seq: ^uint64(0)}}},
		{Id: 7, Body: &pb.Frame_Ack{Ack: &pb.Ack{Items: []*pb.AckItem{{Seq: 3}}}}},
		{Id: 8, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: "x"}}},
		{Id: 9, Body: &pb.Frame_Push{Push: &pb.Push{}}},
		{Id: 10, Body: &pb.Frame_Typing{Typing: &pb.TypingRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, TypeName: "RC:TxtMsg"}}},
		{Id: 11, Body: &pb.Frame_Recall{Recall: &pb.RecallRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, MessageUid: "0000-0000-0000-0000", IsAdmin: true}}},
		{Id: 13, Body: &pb.Frame_History{History: &pb.HistoryRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, Count: 100, Timestamp: 1}}},
		{Id: 14, Body: &pb.Frame_Expansion{Expansion: &pb.ExpansionRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, MessageUid: "x", Set: map[string]string{"k": "v"}}}},
		{Id: 15, Body: &pb.Frame_Delete{Delete: &pb.DeleteRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, MessageUids: []string{"x"}}}},
		{Id: 16, Body: &pb.Frame_ClearHistory{ClearHistory: &pb.ClearHistoryRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}}}},
		{Id: 17, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: &pb.Conversation{Type: pb.ConversationType_USER_LOG, Target: "x"}}}},
		{Id: 12, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}, ClientMsgId: "c3", ObjectName: "X", IsStatus: true, DirectedUserIds: []string{"a"}}}},
		{Id: 18, Body: &pb.Frame_Tag{Tag: &pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t", TagName: "n"}}},
		{Id: 19, Body: &pb.Frame_Tag{Tag: &pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t", Convs: []*pb.Conversation{{Type: pb.ConversationType_PRIVATE, Target: "bob"}}}}},
		{Id: 20, Body: &pb.Frame_Tags{Tags: &pb.TagsRequest{}}},
		{Id: 21, Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, MessageUid: "x", Content: []byte(`{"content":"b"}`)}}},
		{Id: 22, Body: &pb.Frame_Messages{Messages: &pb.MessagesRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, MessageUids: []string{"x", "y"}}}},
		{Id: 23, Body: &pb.Frame_Group{Group: &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "g2", Info: &pb.GroupInfo{Name: "n", Fields: 1}, UserIds: []string{"bob"}}}},
		{Id: 24, Body: &pb.Frame_Group{Group: &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS_BY_ROLE, GroupId: "g2", Count: 10, PageToken: "1"}}},
		{Id: 25, Body: &pb.Frame_Group{Group: &pb.GroupRequest{Op: pb.GroupOp_GROUP_JOIN, GroupId: "g"}}},
		{Id: 26, Body: &pb.Frame_People{People: &pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "bob", Direction: 2, Extra: "hi"}}},
		{Id: 27, Body: &pb.Frame_People{People: &pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: "n", Fields: 1}}}},
		{Id: 28, Body: &pb.Frame_People{People: &pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: []string{"bob"}, Value: 1, Expiry: 60}}},
		{},
	}
	for _, s := range seed {
		b, _ := s.Marshal()
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0xff, 0xff})
	db, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"), sqlite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	cfg := Config{AppKey: "k", AppSecret: "s"}
	cfg.Defaults()
	cfg.SendRate, cfg.WriteRate = -1, -1
	fs, err := files.NewDisk(filepath.Join(f.TempDir(), "files"))
	if err != nil {
		f.Fatal(err)
	}
	s := newServer(cfg, db, fs)
	f.Fuzz(func(t *testing.T, data []byte) {
		ss := &session{srv: s, id: "fuzz", user: "fuzzer", device: "d", created: time.Now(), writing: true} // no writer goroutine: answers stay queued
		fr := &pb.Frame{}
		if fr.Unmarshal(data) != nil {
			return
		}
		ss.handle(fr)
		if n := value(t, s.metrics.panics); n != 0 {
			t.Fatalf("a handler panicked on %x", data)
		}
		for _, b := range ss.q.waiting {
			out := &pb.Frame{}
			if err := out.Unmarshal(b.b); err != nil || (out.Id != fr.Id && out.GetPush() == nil) {
				t.Fatalf("bad answer to %x: %v", data, out)
			}
		}
	})
}
