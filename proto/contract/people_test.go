package contract

import (
	"strings"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestCheckPeopleRequest(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "u" + strings.Repeat("x", i%60) + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		}
		return out
	}
	for label, c := range map[string]struct {
		r    *pb.PeopleRequest
		want int32
	}{
		"nil":              {nil, codes.InvalidParameter},
		"unknown op":       {&pb.PeopleRequest{Op: 99}, codes.InvalidParameter},
		"a profile":        {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: "n", Fields: ProfName}}, 0},
		"no profile field": {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{}}, codes.InvalidParameterUserProfile},
		"a long name":      {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Name: strings.Repeat("n", 65), Fields: ProfName}}, codes.RCUserProfileValueLengthExceedLimit},
		"gender 3":         {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Gender: 3, Fields: ProfGender}}, codes.RCUserProfileValueExceedRange},
		"a negative level": {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Level: -1, Fields: ProfLevel}}, codes.RCUserProfileValueExceedRange},
		"21 extra entries": {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{Ext: func() map[string]string {
			m := map[string]string{}
			for _, k := range ids(21) {
				m[k] = "v"
			}
			return m
		}(), Fields: ProfExt}}, codes.RCUserProfileExtKVCountExceedLimit},
		"uniqueId from the SDK": {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILE_UPDATE, Profile: &pb.UserProfile{UniqueId: "u", Fields: ProfUniqueID}}, codes.RCUserProfileKeyNotAllowSDKSet},
		"101 profiles":          {&pb.PeopleRequest{Op: pb.PeopleOp_PROFILES_GET, UserIds: ids(101)}, codes.RCUserProfileQueryCountExceedLimit},
		"visibility 4":          {&pb.PeopleRequest{Op: pb.PeopleOp_VISIBILITY_SET, Value: 4}, codes.InvalidParameterUserProfileVisibility},
		"add a friend":          {&pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "b", Direction: DirectionBoth}, 0},
		"add one way":           {&pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "b", Direction: 1}, codes.InvalidParameterQueryFriendsDirectionType},
		"a long note":           {&pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_ADD, UserId: "b", Direction: DirectionBoth, Extra: strings.Repeat("e", 129)}, codes.RCFriendFieldsLengthExceedLimit},
		"a bad user":            {&pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: "a b"}, codes.InvalidParameterUserID},
		"a long remark":         {&pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_SET_INFO, UserId: "b", Remark: strings.Repeat("r", 65), Fields: FriendFieldRemark}, codes.RCFriendFieldsLengthExceedLimit},
		"no friend field":       {&pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_SET_INFO, UserId: "b"}, codes.InvalidParameter},
		"11 ext entries": {&pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_SET_INFO, UserId: "b", Ext: func() map[string]string {
			m := map[string]string{}
			for _, k := range ids(11) {
				m[k] = "v"
			}
			return m
		}(), Fields: FriendFieldExt}, codes.InvalidParameterFriendInfoExtFields},
		"check 21":                 {&pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_CHECK, UserIds: ids(21), Direction: DirectionBoth}, codes.InvalidParameterCount},
		"permission 4":             {&pb.PeopleRequest{Op: pb.PeopleOp_FRIEND_PERMISSION_SET, Value: 4}, codes.InvalidParameterFriendAddPermission},
		"subscribe":                {&pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: ids(200), Value: SubscribeOnline, Expiry: 60}, 0},
		"subscribe 201":            {&pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: ids(201), Value: SubscribeOnline, Expiry: 60}, codes.InvalidParameterSubscribePublisherUserIDs},
		"subscribe for 30 days+1s": {&pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIBE, UserIds: ids(1), Value: SubscribeOnline, Expiry: MaxSubscribeExpiry + 1}, codes.InvalidParameterSubscribeExpiry},
		"subscribe type 5":         {&pb.PeopleRequest{Op: pb.PeopleOp_UNSUBSCRIBE, UserIds: ids(1), Value: 5}, codes.InvalidParameterSubscribeType},
		"a page of 201":            {&pb.PeopleRequest{Op: pb.PeopleOp_SUBSCRIPTIONS, Value: SubscribeOnline, Count: 201}, codes.InvalidParameterSubscribePageSize},
		"a blank search":           {&pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_SEARCH, Text: " "}, codes.InvalidParameter},
	} {
		if got := codes.Of(CheckPeopleRequest(c.r)); got != c.want {
			t.Errorf("%s: code %d, want %d", label, got, c.want)
		}
	}
}
