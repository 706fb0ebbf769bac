package contract

import (
	"strings"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestCheckChatroomRequest(t *testing.T) {
	entries := func(n int) []*pb.ChatroomEntry {
		var out []*pb.ChatroomEntry
		for i := 0; i < n; i++ {
			out = append(out, &pb.ChatroomEntry{Key: "k" + strings.Repeat("x", i), Value: "v"})
		}
		return out
	}
	for _, c := range []struct {
		name string
		r    *pb.ChatroomRequest
		want int32
	}{
		{"join", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_JOIN, Room: "r", Count: 50}, 0},
		{"join, no history", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_JOIN_EXISTING, Room: "r", Count: -1}, 0},
		{"join, too many", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_JOIN, Room: "r", Count: 51}, codes.RCChatroomParameterInvalid},
		{"a bad room id", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_QUIT, Room: "a b"}, codes.RCChatroomParameterInvalid},
		{"info", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_INFO, Room: "r", Count: 20, Order: 2}, 0},
		{"info, 21", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_INFO, Room: "r", Count: 21}, codes.RCChatroomParameterInvalid},
		{"info, order 3", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_INFO, Room: "r", Order: 3}, codes.RCChatroomParameterInvalid},
		{"set 10", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "r", Entries: entries(10)}, 0},
		{"set 11", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "r", Entries: entries(11)}, codes.ChatroomKVStoreOutLimit},
		{"set none", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "r"}, codes.RCChatroomParameterInvalid},
		{"a bad key", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "r", Entries: []*pb.ChatroomEntry{{Key: "a.b", Value: "v"}}}, codes.RCChatroomParameterInvalid},
		{"a key of 129", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "r", Entries: []*pb.ChatroomEntry{{Key: strings.Repeat("k", 129), Value: "v"}}}, codes.RCChatroomParameterInvalid},
		{"an empty value", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "r", Entries: []*pb.ChatroomEntry{{Key: "k"}}}, codes.RCChatroomParameterInvalid},
		{"a value of 4097", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Room: "r", Entries: []*pb.ChatroomEntry{{Key: "k", Value: strings.Repeat("v", 4097)}}}, codes.RCChatroomParameterInvalid},
		{"remove none", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES, Room: "r"}, codes.RCChatroomParameterInvalid},
		{"get all", &pb.ChatroomRequest{Op: pb.ChatroomOp_CHATROOM_GET_ENTRIES, Room: "r"}, 0},
		{"no op", &pb.ChatroomRequest{Room: "r"}, codes.RCChatroomParameterInvalid},
	} {
		if got := codes.Of(CheckChatroomRequest(c.r)); got != c.want && !(c.want == 0 && CheckChatroomRequest(c.r) == nil) {
			t.Errorf("%s: code %d, want %d", c.name, got, c.want)
		}
	}
}

func TestDecideEntries(t *testing.T) {
	cur := map[string]*pb.ChatroomEntry{"a": {Key: "a", Value: "1", Owner: "ann"}}
	put := func(k string) []*pb.ChatroomEntry { return []*pb.ChatroomEntry{{Key: k, Value: "2", AutoDelete: true}} }
	for _, c := range []struct {
		name  string
		user  string
		put   []*pb.ChatroomEntry
		keys  []string
		force bool
		want  int32
	}{
		{"the owner changes hers", "ann", put("a"), nil, false, 0},
		{"another member may not", "bob", put("a"), nil, false, codes.ChatroomKVOverwriteInvalid},
		{"with force he may", "bob", put("a"), nil, true, 0},
		{"the app's server may", "", put("a"), nil, false, 0},
		{"a new key", "bob", put("b"), nil, false, 0},
		{"removing another's", "bob", nil, []string{"a"}, false, codes.ChatroomKVOverwriteInvalid},
		{"removing what is not there", "ann", nil, []string{"z"}, false, codes.ChatroomKeyNotExist},
	} {
		out, err := DecideEntries(cur, c.user, c.put, c.keys, c.force, 9)
		if codes.Of(err) != c.want && !(c.want == 0 && err == nil) {
			t.Errorf("%s: %v, want %d", c.name, err, c.want)
			continue
		}
		if err == nil && (len(out) != 1 || out[0].Owner != c.user || out[0].Time != 9) {
			t.Errorf("%s: %v", c.name, out)
		}
	}
	full := map[string]*pb.ChatroomEntry{}
	for i := 0; i < ChatroomMaxEntries; i++ {
		k := strings.Repeat("k", i+1)
		full[k] = &pb.ChatroomEntry{Key: k, Owner: "ann"}
	}
	if _, err := DecideEntries(full, "ann", put("new"), nil, false, 1); codes.Of(err) != codes.ChatroomKVExceed {
		t.Errorf("the 101st entry: %v", err)
	}
	if out, _ := DecideEntries(cur, "", put("c"), nil, false, 1); out[0].AutoDelete {
		t.Error("an entry of the app's server goes with no one")
	}
}
