package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// Tags are the user's, kept by the server: a change on one device reaches
// the others (TAG, CONVERSATION_TAG, then the new set), not the device
// that made it, and a new device starts with them.
func TestTags(t *testing.T) {
	t.Parallel()
	// Some 40 changes and fetches in a row: more than the per-user write
	// bucket's burst, which is not what this test is about.
	e := newEnv(t, func(c *server.Config) { c.WriteRate = -1 })
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	bob.send(t, text("alice", client.Private, "one"))
	bob.send(t, text("alice", client.Private, "two"))
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	for _, d := range []*device{a1, a2} {
		d.connect(t, token(t, "alice", time.Hour))
	}
	ctx := context.Background()
	pBob := &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}
	pCarol := &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "carol"}
	change := func(d *device, r *pb.TagRequest) {
		t.Helper()
		if err := d.ChangeTags(ctx, r); err != nil {
			t.Fatalf("%v: %v", r.Op, err)
		}
	}
	told := func(evs []client.Event, kind client.EventKind) int {
		n := 0
		for _, ev := range evs {
			if ev.Kind == kind {
				n++
			}
		}
		return n
	}
	change(a1, &pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "work", TagName: "工作"})
	a2.waitFor(t, "TAG", func(_ []*client.Message, evs []client.Event) bool { return told(evs, client.EventTags) == 1 })
	if tags, _ := a2.Tags(ctx); len(tags) != 1 || tags[0].Name != "工作" {
		t.Fatalf("a2's tags after TAG: %+v", tags)
	}
	change(a1, &pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "work", Convs: []*pb.Conversation{pBob, pCarol}})
	change(a1, &pb.TagRequest{Op: pb.TagOp_TAG_SET_TOP, TagId: "work", Convs: []*pb.Conversation{pCarol}, IsTop: true})
	a2.waitFor(t, "CONVERSATION_TAG", func(_ []*client.Message, evs []client.Event) bool {
		return told(evs, client.EventConversationTags) >= 1
	})
	bobConv := client.Conversation{Type: client.Private, TargetID: "bob"}
	a2.waitFor(t, "carol pinned in the tag", func([]*client.Message, []client.Event) bool {
		tags, _ := a2.TagsOf(ctx, client.Conversation{Type: client.Private, TargetID: "carol"})
		return len(tags) == 1 && tags[0].IsTop
	})
	if tags, err := a2.TagsOf(ctx, bobConv); err != nil || len(tags) != 1 || tags[0].ID != "work" || tags[0].IsTop {
		t.Fatalf("bob's tags on a2: %+v %v", tags, err)
	}
	if n, err := a2.UnreadCountByTag(ctx, "work", false); err != nil || n != 2 {
		t.Fatalf("unread by tag: %d %v", n, err)
	}
	page, err := a2.ConversationsPage(ctx, client.ConversationQuery{Count: 10, Tags: []string{"work"}})
	if err != nil || len(page) != 1 || page[0].Conversation != bobConv || page[0].IsTopInTag {
		t.Fatalf("the tag's page (carol has no message): %+v %v", page, err)
	}
	if page, err := a2.ConversationsPage(ctx, client.ConversationQuery{Count: 10, Untagged: true}); err != nil || len(page) != 0 {
		t.Fatalf("untagged: %+v %v", page, err)
	}
	e.fence(t, a1)
	if n := told(a1.events(), client.EventTags) + told(a1.events(), client.EventConversationTags); n != 0 {
		t.Fatalf("a1 told of its own changes %d times", n)
	}

	// A new device has them after its sync.
	a3 := e.device("alice", "a3", devOpts{})
	a3.connect(t, token(t, "alice", time.Hour))
	if tags, _ := a3.Tags(ctx); len(tags) != 1 || len(tags[0].Conversations) != 2 {
		t.Fatalf("a new device's tags once synced: %+v", tags)
	}

	// Bad input: RongIMLib's codes, nothing changed.
	for name, c := range map[string]struct {
		r    *pb.TagRequest
		want int32
	}{
		"an existing tag": {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "work", TagName: "again"}, codes.TagExists},
		"no such tag":     {&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "home", Convs: []*pb.Conversation{pBob}}, codes.TagNotExist},
		"a long name":     {&pb.TagRequest{Op: pb.TagOp_TAG_UPDATE, TagId: "work", TagName: "0123456789abcdef"}, codes.InvalidParameterTagName},
		"not in the tag":  {&pb.TagRequest{Op: pb.TagOp_TAG_SET_TOP, TagId: "work", Convs: []*pb.Conversation{{Type: pb.ConversationType_GROUP, Target: "g"}}, IsTop: true}, codes.NoTagInConver},
		"a chat room":     {&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "work", Convs: []*pb.Conversation{{Type: 4, Target: "room"}}}, codes.InvalidParameterConversationType},
		"a long id":       {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE, TagId: "0123456789a"}, codes.InvalidParameterTagID},
	} {
		if err := a1.ChangeTags(ctx, c.r); codes.Of(err) != c.want {
			t.Errorf("%s: %v, want %d", name, err, c.want)
		}
	}
	if _, err := a1.UnreadCountByTag(ctx, "home", true); codes.Of(err) != codes.TagNotExist {
		t.Errorf("unread count of no tag: %v", err)
	}
	for i := 1; i < 20; i++ {
		change(a1, &pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: string(rune('a' + i)), TagName: "n"})
	}
	if err := a1.ChangeTags(ctx, &pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "z21", TagName: "n"}); codes.Of(err) != codes.ConversationTagOversize {
		t.Errorf("a 21st tag: %v", err)
	}
	if tags, _ := a1.Tags(ctx); len(tags) != 20 || tags[0].Name != "工作" {
		t.Fatalf("a1's tags after refused changes: %d", len(tags))
	}
}
