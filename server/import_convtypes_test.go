package server_test

import (
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// TestImportRefusesOtherConversationTypes (found by a helper's hunt of hostile input): the import format takes messages
// of conversationType 1 (private) and 3 (group) only (docs/migration.md:
// chat rooms are not imported). A line of type 4 (chat room) or 10 (ultra
// group, with a channel) naming a group's id is refused, and the group's
// conversation holds no message of another conversation type.
func TestImportRefusesOtherConversationTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	base := time.Now().Add(-time.Hour).UnixMilli()
	sum := e.importLines(t,
		map[string]any{"kind": "group", "groupId": "team", "ownerId": "ann", "memberIds": []string{"ben"}, "name": "t", "createTime": base - 1000},
		importMsg("ZZ-CR-1", base, "ann", 4, "team", "a chat room's message"),
		func() map[string]any {
			m := importMsg("ZZ-UG-1", base+10, "ann", 10, "team", "an ultra group channel's message")
			m["channelId"] = "ch1"
			return m
		}(),
	)
	t.Logf("summary: %+v", sum)
	if sum.Added["message"] != 0 || sum.Refused != 2 {
		t.Errorf("lines of conversation types 4 and 10: added %d, refused %d; want none added, both refused", sum.Added["message"], sum.Refused)
	}
	r := e.raw(t)
	if ok := r.auth(token(t, "ben", time.Hour)); ok.GetAuthOk() == nil {
		t.Fatalf("auth: %v", ok)
	}
	r.write(&pb.Frame{Id: 2, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "team"}}}})
	f := r.answer(2)
	for _, m := range f.GetPullResult().GetMessages() {
		if m.ConvType != pb.ConversationType_GROUP || m.Channel != "" {
			t.Errorf("group team's conversation holds %s (conv type %v, channel %q, content %s)", m.Uid, m.ConvType, m.Channel, m.Content)
		}
	}
}
