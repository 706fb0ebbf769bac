package client

import (
	"testing"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Another session changes the tags twice: first a tag (v1), then which
// conversations are in it (v2). This device fetches on the first entry; the
// server's answer already holds v2 (the second change committed before the
// fetch read, and its entry was fanned out after). The fetch tells TAG
// only; the entry of v2, taken next, finds the copy not older and is told
// then: CONVERSATION_TAG once.
func TestTagEntryCoveredByEarlierFetchIsTold(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(logEntry(1, &pb.LogEntry{TagsChanged: contract.TagsChanged, TagsVersion: 1, TagsSession: "other"}))
	f, _ := next[*pb.Frame_Tags](t, c)
	c.reply(f, &pb.Frame_TagsResult{TagsResult: &pb.TagsResult{Version: 2, Tags: []*pb.Tag{{Id: "t1", Name: "work",
		Convs: []*pb.TaggedConversation{{Conv: wconv(bob)}}}}}})
	h.ev.next(t, EventTags, nil)
	c.push(logEntry(2, &pb.LogEntry{TagsChanged: contract.TagConversationsChanged, TagsVersion: 2, TagsSession: "other"}))
	h.barrier(c)
	// A fetch it might still make, answered, then a barrier behind it.
	if fs := written[*pb.Frame_Tags](c); len(fs) > 1 {
		f, _ := next[*pb.Frame_Tags](t, c)
		c.reply(f, &pb.Frame_TagsResult{TagsResult: &pb.TagsResult{Version: 2}})
	}
	h.barrier(c)
	if n := len(h.ev.all(EventConversationTags)); n != 1 {
		t.Fatalf("CONVERSATION_TAG emitted %d times for the other session's change of the tags' conversations, want 1", n)
	}
	if n := len(h.ev.all(EventTags)); n != 1 {
		t.Fatalf("TAG emitted %d times, want 1", n)
	}
}
