package contract

import (
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestCheckUltraGroupRequest(t *testing.T) {
	for name, c := range map[string]struct {
		r    *pb.UltraGroupRequest
		code int32
	}{
		"list all":              {&pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_LIST}, 0},
		"list one":              {&pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_LIST, Group: "g"}, 0},
		"no op":                 {&pb.UltraGroupRequest{Group: "g"}, codes.InvalidParameter},
		"unknown op":            {&pb.UltraGroupRequest{Op: 9, Group: "g"}, codes.InvalidParameter},
		"get without a group":   {&pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_GET_DEFAULT_LEVEL}, codes.InvalidParameterTargetID},
		"a bad group id":        {&pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_LIST, Group: "a:b"}, codes.InvalidParameterTargetID},
		"a bad channel id":      {&pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_GET_DEFAULT_LEVEL, Group: "g", Channel: "c h"}, codes.UltraGroupChannelIDNotExist},
		"set a level":           {&pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, Group: "g", Channel: "c", Level: 5}, 0},
		"set a level not known": {&pb.UltraGroupRequest{Op: pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL, Group: "g", Level: 3}, codes.InvalidParameter},
	} {
		if got := codes.Of(CheckUltraGroupRequest(c.r)); got != c.code {
			t.Errorf("%s: code %d, want %d", name, got, c.code)
		}
	}
}
