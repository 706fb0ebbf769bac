package server_test

import (
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// An older client (before has_extra) sets a member's extra as it always
// did: Extra given, has_extra absent (false on the wire). The server takes
// a non-empty one as given.
func TestOlderClientSetsMemberExtra(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.device("alice", "a1", devOpts{})
	a.connect(t, token(t, "alice", time.Hour))
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: "gz1", Info: info("G"), UserIds: []string{"bob"}})
	a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_SET_MEMBER_INFO, GroupId: "gz1", UserId: "bob", Nickname: "B", Extra: "vip"})
	res := a.mustGroup(t, &pb.GroupRequest{Op: pb.GroupOp_GROUP_MEMBERS, GroupId: "gz1", UserIds: []string{"bob"}})
	if len(res.Members) != 1 || res.Members[0].Extra != "vip" {
		t.Fatalf("an older client's setGroupMemberInfo with extra \"vip\": members %+v (extra dropped)", res.Members)
	}
}
