package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

func tags(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	conv := func(target string) *pb.Conversation {
		return &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: target}
	}
	var entries []*pb.LogEntry
	change := func(r *pb.TagRequest) (*pb.TagsResult, error) {
		t.Helper()
		tags, m, err := d.ChangeTags(ctx, "u", r, 1000, func(kinds uint32, v uint64) *pb.Message {
			return &pb.Message{ConvType: pb.ConversationType_USER_LOG, FromUser: "u", To: "u", ClientMsgId: fmt.Sprint("log", len(entries), v),
				Log: &pb.LogEntry{TagsChanged: kinds, TagsVersion: v}}
		})
		if m != nil {
			entries = append(entries, m.Log)
		}
		return tags, err
	}
	must := func(r *pb.TagRequest) *pb.TagsResult {
		t.Helper()
		tags, err := change(r)
		if err != nil {
			t.Fatalf("%v: %v", r.Op, err)
		}
		return tags
	}
	if v, err := d.TagsVersion(ctx, "u"); err != nil || v != 0 {
		t.Fatalf("a user without tags: version %d %v", v, err)
	}
	for i := range 20 {
		must(&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: fmt.Sprint("t", i), TagName: fmt.Sprint("tag ", i)})
	}
	for name, c := range map[string]struct {
		r    *pb.TagRequest
		want error
	}{
		"a 21st tag":           {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t20", TagName: "x"}, store.ErrQuota},
		"an existing id":       {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t1", TagName: "x"}, store.ErrExists},
		"renaming no tag":      {&pb.TagRequest{Op: pb.TagOp_TAG_UPDATE, TagId: "nope", TagName: "x"}, store.ErrNotFound},
		"tagging with no tag":  {&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "nope", Convs: []*pb.Conversation{conv("a")}}, store.ErrNotFound},
		"pinning outside":      {&pb.TagRequest{Op: pb.TagOp_TAG_SET_TOP, TagId: "t1", Convs: []*pb.Conversation{conv("a")}, IsTop: true}, store.ErrNotInTag},
		"untagging a lost tag": {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_FROM_CONV, TagIds: []string{"t1", "nope"}, Convs: []*pb.Conversation{conv("a")}}, store.ErrNotFound},
	} {
		if _, err := change(c.r); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if len(entries) != 20 {
		t.Fatalf("%d log entries after 20 adds and refused changes", len(entries))
	}
	v20, _ := d.TagsVersion(ctx, "u")

	// 1,001 conversations into a tag of 1,000: the first one added goes.
	var convs []*pb.Conversation
	for i := range 1001 {
		convs = append(convs, conv(fmt.Sprint("c", i)))
	}
	must(&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t0", Convs: convs[:1]})
	tags := must(&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t0", Convs: convs[1:]})
	if got := tags.Tags[0].Convs; len(got) != 1000 || got[0].Conv.Target != "c1" || got[999].Conv.Target != "c1000" {
		t.Fatalf("a full tag holds %d, from %s", len(got), got[0].Conv.Target)
	}
	if tags.Version <= v20 || entries[len(entries)-1].TagsChanged != 2 {
		t.Fatalf("version %d after %d; last entry %+v", tags.Version, v20, entries[len(entries)-1])
	}
	must(&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t1", Convs: convs[1:3]})
	tags = must(&pb.TagRequest{Op: pb.TagOp_TAG_SET_TOP, TagId: "t1", Convs: convs[2:3], IsTop: true})
	if c := tags.Tags[1].Convs; len(c) != 2 || c[0].IsTop || !c[1].IsTop || c[1].Time != 1000 {
		t.Fatalf("t1: %+v", c)
	}
	// Nothing changes: no version, no entry.
	n := len(entries)
	if _, err := change(&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_CONVS, TagId: "t1", Convs: convs[5:6]}); err != nil || len(entries) != n {
		t.Fatalf("removing what is not there: %v, %d entries", err, len(entries)-n)
	}
	must(&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_FROM_CONV, TagIds: []string{"t0", "t1"}, Convs: convs[2:3]})
	must(&pb.TagRequest{Op: pb.TagOp_TAG_UPDATE, TagId: "t1", TagName: "renamed"})
	tags = must(&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE, TagId: "t0"})
	if len(tags.Tags) != 19 || tags.Tags[0].Id != "t1" || tags.Tags[0].Name != "renamed" || len(tags.Tags[0].Convs) != 1 || tags.Tags[0].Convs[0].Conv.Target != "c1" {
		t.Fatalf("after removing t0: %d tags, first %+v", len(tags.Tags), tags.Tags[0])
	}
	if last := entries[len(entries)-1]; last.TagsChanged != 3 {
		t.Fatalf("removing a tag with conversations: kinds %d, want 3", last.TagsChanged)
	}
	if got, err := d.Tags(ctx, "u"); err != nil || got.Version != tags.Version || len(got.Tags) != 19 {
		t.Fatalf("Tags: %v %v", got, err)
	}
	if got, _ := d.Tags(ctx, "other"); got.Version != 0 || len(got.Tags) != 0 {
		t.Fatalf("another user's tags: %+v", got)
	}
}

// Erasing a user takes their tags with them.
func erasedUsersTagsGo(t *testing.T, b Backend) {
	ctx := context.Background()
	d := b.Open(t, nil)
	if _, _, err := d.ChangeTags(ctx, "u", &pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t", TagName: "t"}, 1000, func(kinds uint32, v uint64) *pb.Message {
		return &pb.Message{ConvType: pb.ConversationType_USER_LOG, FromUser: "u", To: "u", ClientMsgId: "log", Log: &pb.LogEntry{TagsChanged: kinds, TagsVersion: v}}
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Tags(ctx, "u"); got.Version == 0 || len(got.Tags) != 1 {
		t.Fatalf("u's tags: %+v", got)
	}
	if _, err := d.EraseUser(ctx, "u", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Tags(ctx, "u"); got.Version != 0 || len(got.Tags) != 0 {
		t.Fatalf("an erased user's tags: %+v", got)
	}
}
