package contract

import (
	"strings"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestCheckTagRequest(t *testing.T) {
	p := &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}
	many := make([]*pb.Conversation, 1001)
	for i := range many {
		many[i] = p
	}
	for name, c := range map[string]struct {
		r    *pb.TagRequest
		want int32
	}{
		"add":                       {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t1", TagName: "朋友们"}, 0},
		"add, 10 and 15 characters": {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "标签标签标签标签标签", TagName: strings.Repeat("名", 15)}, 0},
		"id of 11":                  {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: strings.Repeat("a", 11), TagName: "n"}, codes.InvalidParameterTagID},
		"empty id":                  {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE}, codes.InvalidParameterTagID},
		"id with spaces around":     {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE, TagId: " a"}, codes.InvalidParameterTagID},
		"name of 16":                {&pb.TagRequest{Op: pb.TagOp_TAG_UPDATE, TagId: "t", TagName: strings.Repeat("n", 16)}, codes.InvalidParameterTagName},
		"blank name":                {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t", TagName: "  "}, codes.InvalidParameterTagName},
		"name not UTF-8":            {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t", TagName: "\xff"}, codes.InvalidParameterTagName},
		"no operation":              {&pb.TagRequest{TagId: "t"}, codes.InvalidParameter},
		"add conversations":         {&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t", Convs: many[:1000]}, 0},
		"1,001 conversations":       {&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t", Convs: many}, codes.InvalidParameterCount},
		"no conversation":           {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_CONVS, TagId: "t"}, codes.InvalidParameterCount},
		"a chat room":               {&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t", Convs: []*pb.Conversation{{Type: 4, Target: "r"}}}, codes.InvalidParameterConversationType},
		"a bad target":              {&pb.TagRequest{Op: pb.TagOp_TAG_ADD_CONVS, TagId: "t", Convs: []*pb.Conversation{{Type: 1, Target: "a b"}}}, codes.InvalidParameterTargetID},
		"pin two":                   {&pb.TagRequest{Op: pb.TagOp_TAG_SET_TOP, TagId: "t", Convs: many[:2]}, codes.InvalidParameter},
		"conversations on add":      {&pb.TagRequest{Op: pb.TagOp_TAG_ADD, TagId: "t", TagName: "n", Convs: many[:1]}, codes.InvalidParameter},
		"untag from conversation":   {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_FROM_CONV, TagIds: []string{"a", "b"}, Convs: many[:1]}, 0},
		"untag 21 tags":             {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_FROM_CONV, TagIds: make([]string, 21), Convs: many[:1]}, codes.InvalidParameterCount},
		"untag a bad id":            {&pb.TagRequest{Op: pb.TagOp_TAG_REMOVE_FROM_CONV, TagIds: []string{""}, Convs: many[:1]}, codes.InvalidParameterTagID},
	} {
		if got := codes.Of(CheckTagRequest(c.r)); got != c.want && !(c.want == 0 && CheckTagRequest(c.r) == nil) {
			t.Errorf("%s: code %d, want %d", name, got, c.want)
		}
	}
}
