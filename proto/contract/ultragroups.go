package contract

import (
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Ultra groups' numbers both sides apply.
const (
	// MaxUltraUnreadInfo is getUltraGroupUnreadInfoList's most groups.
	MaxUltraUnreadInfo = 20
	// MaxUltraMentionPage is getUltraGroupUnreadMentionedMessages' most.
	MaxUltraMentionPage = 50
)

// CheckUltraGroupRequest checks an ultra group request's shape: a group
// id (optional for a list), a channel id ("" the default channel or the
// group itself), a NotificationLevel to set.
func CheckUltraGroupRequest(r *pb.UltraGroupRequest) error {
	switch {
	case r.GetOp() < pb.UltraGroupOp_ULTRA_GROUP_LIST || r.GetOp() > pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL:
		return codes.New(codes.InvalidParameter, "unknown ultra group operation")
	case r.GetGroup() == "" && r.GetOp() != pb.UltraGroupOp_ULTRA_GROUP_LIST, r.GetGroup() != "" && !ValidID(r.GetGroup()):
		return codes.New(codes.InvalidParameterTargetID, "targetId must be 1-64 characters of [A-Za-z0-9_.@-]")
	case r.GetChannel() != "" && !ValidID(r.GetChannel()):
		return codes.New(codes.UltraGroupChannelIDNotExist, "invalid channelId")
	case r.GetOp() == pb.UltraGroupOp_ULTRA_GROUP_SET_DEFAULT_LEVEL && !ValidNotificationLevel(r.GetLevel()):
		return codes.New(codes.InvalidParameter, "notificationLevel must be -1, 0, 1, 2, 4 or 5")
	}
	return nil
}
