package server_test

// Users acting where they may not, and bad input that would change
// something: edits by the muted and the blocked, recalls of markers,
// channels outside ultra groups, refusals that must not half-apply.

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// sendText sends a text from raw client r and returns its ack (fatal on error).
func sendText(t *testing.T, r *raw, id uint64, conv *pb.Conversation, cid, text string) *pb.SendAck {
	t.Helper()
	r.write(&pb.Frame{Id: id, Body: &pb.Frame_Send{Send: &pb.SendRequest{
		Conv: conv, ClientMsgId: cid, ObjectName: "RC:TxtMsg",
		Content: []byte(fmt.Sprintf(`{"content":%q}`, text)), IsPersisted: true, IsCounted: true,
	}}})
	f := r.answer(id)
	if f.GetSendAck() == nil {
		t.Fatalf("send %s: %v", cid, f)
	}
	return f.GetSendAck()
}

func groupConv(g string) *pb.Conversation {
	return &pb.Conversation{Type: pb.ConversationType_GROUP, Target: g}
}

// errCode is the error code of an answer (0: not an error).
func errCode(f *pb.Frame) int32 { return f.GetError().GetCode() }

// A member muted in a group (22408 for every send) may not edit an earlier
// message either: an edit is new text in front of every member.
func TestMutedMemberEditsGroupMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob", "carol"}, nil)
	bob := e.rawUser(t, "bob")
	m := sendText(t, bob, 2, groupConv("g"), "b1", "hello")

	if st, body := e.admin("POST", "/v1/groups/g/mute", map[string]any{"userIds": []string{"bob"}, "durationMs": 3600_000}); st != 200 {
		t.Fatalf("mute: %d %v", st, body)
	}
	// Sanity: a send is refused.
	bob.write(&pb.Frame{Id: 3, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: groupConv("g"), ClientMsgId: "b2",
		ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"spam"}`), IsPersisted: true}}})
	if c := errCode(bob.answer(3)); c != codes.ForbiddenInGroup {
		t.Fatalf("muted send: code %d", c)
	}
	bob.write(&pb.Frame{Id: 4, Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: groupConv("g"), MessageUid: m.MessageUid,
		Content: []byte(`{"content":"spam through an edit"}`)}}})
	if f := bob.answer(4); errCode(f) != codes.ForbiddenInGroup {
		t.Fatalf("a muted member's edit was not refused with 22408: edited to %s", f.GetMessageResult().GetMessage().GetContent())
	}
	// Nor a typing status (a status message) or an expansion change, which
	// every member would be told of.
	bob.write(&pb.Frame{Id: 5, Body: &pb.Frame_Typing{Typing: &pb.TypingRequest{Conv: groupConv("g"), TypeName: "RC:TxtMsg"}}})
	if c := errCode(bob.answer(5)); c != codes.ForbiddenInGroup {
		t.Fatalf("muted typing: code %d", c)
	}
	bob.write(&pb.Frame{Id: 6, Body: &pb.Frame_Expansion{Expansion: &pb.ExpansionRequest{Conv: groupConv("g"), MessageUid: m.MessageUid,
		Set: map[string]string{"k": "v"}}}})
	if c := errCode(bob.answer(6)); c != codes.ForbiddenInGroup {
		t.Fatalf("muted expansion: code %d", c)
	}
}

// A user blocked by the peer (405 for every private send and typing
// status: "nothing … reaches the blocker", docs/api.md) may not reach the
// blocker by editing a message sent before the block.
func TestBlockedUserEditReachesBlocker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.rawUser(t, "alice")
	m := sendText(t, alice, 2, private("bob"), "a1", "hi bob")
	bob := e.rawUser(t, "bob")
	bob.write(&pb.Frame{Id: 2, Body: &pb.Frame_People{People: &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: "alice"}}})
	if f := bob.answer(2); f.GetPeopleResult() == nil {
		t.Fatalf("block: %v", f)
	}
	alice.write(&pb.Frame{Id: 3, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: private("bob"), ClientMsgId: "a2",
		ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"again"}`), IsPersisted: true}}})
	if c := errCode(alice.answer(3)); c != codes.RejectedByBlacklist {
		t.Fatalf("blocked send: code %d", c)
	}
	alice.write(&pb.Frame{Id: 4, Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: private("bob"), MessageUid: m.MessageUid,
		Content: []byte(`{"content":"you cannot block me"}`)}}})
	if f := alice.answer(4); errCode(f) != codes.RejectedByBlacklist {
		t.Fatalf("a blocked user's edit was not refused with 405: edited to %s", f.GetMessageResult().GetMessage().GetContent())
	}
}

// Recall refuses every marker, an edit's too: "recalling" the marker of
// one's own edit would store an RC:RcNtf for a uid that is no message and
// push a recall marker to every member.
func TestRecallOfEditMarker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	alice := e.rawUser(t, "alice")
	m := sendText(t, alice, 2, groupConv("g"), "a1", "hello")
	alice.write(&pb.Frame{Id: 3, Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: groupConv("g"), MessageUid: m.MessageUid,
		Content: []byte(`{"content":"hello!"}`)}}})
	// The edit's marker is pushed to the editor's session too.
	var marker string
	for marker == "" {
		f, err := alice.read()
		if err != nil {
			t.Fatal(err)
		}
		for _, pm := range f.GetPush().GetMessages() {
			if pm.ModifyOf == m.MessageUid {
				marker = pm.Uid
			}
		}
		if f.Id == 3 && f.GetError() != nil {
			t.Fatalf("edit: %v", f)
		}
	}
	alice.write(&pb.Frame{Id: 4, Body: &pb.Frame_Recall{Recall: &pb.RecallRequest{Conv: groupConv("g"), MessageUid: marker}}})
	if f := alice.answer(4); f.GetError() == nil {
		got := f.GetMessageResult().GetMessage()
		t.Fatalf("the recall of an edit's marker (not a message) was taken: marker %s (modify_of %s) is now %s %s", got.GetUid(), got.GetModifyOf(), got.GetObjectName(), got.GetContent())
	}
}

// A group (or private) send carrying a channel id is refused, as the admin
// API refuses it: stored, every member's device would file it under a
// conversation that does not exist (the engine keys conversations by type,
// channel and target), leaving a hole in the real one.
func TestChannelOnGroupSendRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	alice := e.rawUser(t, "alice")
	conv := &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g", Channel: "phantom"}
	alice.write(&pb.Frame{Id: 2, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: conv, ClientMsgId: "a1",
		ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"where am I"}`), IsPersisted: true}}})
	if f := alice.answer(2); f.GetError() == nil {
		// Show where it went: bob's pull of the group holds a message of
		// another conversation.
		bob := e.rawUser(t, "bob")
		bob.write(&pb.Frame{Id: 2, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: groupConv("g")}}})
		var chans []string
		for _, m := range bob.answer(2).GetPullResult().GetMessages() {
			chans = append(chans, fmt.Sprintf("%q", m.Channel))
		}
		t.Fatalf("a group send with channel %q was stored (seq %d); the group's messages have channels %v", conv.Channel, f.GetSendAck().GetSeq(), chans)
	}
}

// RongCloud's group/quit.json hands an owner's group on before the quit;
// a quit refused (here: a userId given twice) hands nothing on.
func TestRongCloudQuitRefusedAfterHandOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob", "carol"}, nil)
	status, body := e.rcCall(t, "group/quit.json", url.Values{"groupId": {"g"}, "userId": {"alice", "alice"}}, appSecret, time.Now())
	_, g := e.admin("GET", "/v1/groups/g", nil)
	owner := g["data"].(map[string]any)["group"].(map[string]any)["ownerId"]
	if status != 200 || body["code"] != float64(200) {
		if owner != "alice" {
			t.Fatalf("quit refused (%d %v), yet the group's owner is now %v", status, body, owner)
		}
		return
	}
	// Taken: then alice must be gone.
	t.Logf("quit taken: owner %v", owner)
}

// POST /v1/messages de-duplicates each target's copy by (sender,
// clientMsgId:target), across conversations: a group send whose group id
// equals an earlier private target's user id, with the same clientMsgId,
// is refused, as the SDK's send refuses it ("clientMsgId names a message
// of another conversation"), not answered as a "duplicate" carrying the
// private message's uid with nothing sent to the group.
func TestAppSendDuplicateAcrossConversations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "x", "alice", []string{"alice", "bob"}, nil)
	send := func(typ int, target string) (int, map[string]any) {
		return e.admin("POST", "/v1/messages", map[string]any{
			"fromUserId": "alice", "conversationType": typ, "targetIds": []string{target},
			"objectName": "RC:TxtMsg", "content": `{"content":"hi"}`, "clientMsgId": "same",
		})
	}
	if st, body := send(1, "x"); st != 200 {
		t.Fatalf("private: %d %v", st, body)
	}
	st, body := send(3, "x")
	if st == 200 {
		msgs := body["data"].(map[string]any)["messages"].([]any)
		if d, _ := msgs[0].(map[string]any)["duplicate"].(bool); d {
			t.Fatalf("the group send was answered as a duplicate of the private message: %v", msgs[0])
		}
	}
}

// The same in an ultra group: a member muted there (24408 for a send)
// may not edit an earlier message of theirs in the channel.
func TestMutedUltraMemberEdits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if st, body := e.admin("POST", "/v1/ultragroups", map[string]any{"id": "ug", "name": "UG", "ownerId": "alice", "memberIds": []string{"bob"}}); st != 200 {
		t.Fatalf("create: %d %v", st, body)
	}
	bob := e.rawUser(t, "bob")
	conv := &pb.Conversation{Type: pb.ConversationType_ULTRA_GROUP, Target: "ug"}
	m := sendText(t, bob, 2, conv, "b1", "hello")
	if st, body := e.admin("POST", "/v1/ultragroups/ug/mute", map[string]any{"userIds": []string{"bob"}, "durationMs": -1}); st != 200 {
		t.Fatalf("mute: %d %v", st, body)
	}
	bob.write(&pb.Frame{Id: 3, Body: &pb.Frame_Send{Send: &pb.SendRequest{Conv: conv, ClientMsgId: "b2",
		ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"spam"}`), IsPersisted: true}}})
	if c := errCode(bob.answer(3)); c != codes.ForbiddenInUltraGroup {
		t.Fatalf("muted send: code %d", c)
	}
	bob.write(&pb.Frame{Id: 4, Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: conv, MessageUid: m.MessageUid,
		Content: []byte(`{"content":"spam through an edit"}`)}}})
	if f := bob.answer(4); errCode(f) != codes.ForbiddenInUltraGroup {
		t.Fatalf("a muted ultra group member's edit was not refused with 24408: edited to %s", f.GetMessageResult().GetMessage().GetContent())
	}
}

// A recall replaces the message by an RC:RcNtf "in storage (so devices
// that never saw it never will)" (server/recall.go). An edit of it made
// before is kept as its marker, with the edited text: a device that pulls
// the conversation afterwards gets that marker as a tombstone.
func TestRecallLeavesEditedTextInPull(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g", "alice", []string{"alice", "bob"}, nil)
	alice := e.rawUser(t, "alice")
	m := sendText(t, alice, 2, groupConv("g"), "a1", "first draft")
	alice.write(&pb.Frame{Id: 3, Body: &pb.Frame_Modify{Modify: &pb.ModifyRequest{Conv: groupConv("g"), MessageUid: m.MessageUid,
		Content: []byte(`{"content":"the secret, edited in"}`)}}})
	if f := alice.answer(3); f.GetError() != nil {
		t.Fatalf("edit: %v", f.GetError())
	}
	alice.write(&pb.Frame{Id: 4, Body: &pb.Frame_Recall{Recall: &pb.RecallRequest{Conv: groupConv("g"), MessageUid: m.MessageUid}}})
	if f := alice.answer(4); f.GetError() != nil {
		t.Fatalf("recall: %v", f.GetError())
	}
	bob := e.rawUser(t, "bob") // a device that never saw it
	bob.write(&pb.Frame{Id: 2, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: groupConv("g")}}})
	for _, pm := range bob.answer(2).GetPullResult().GetMessages() {
		if strings.Contains(string(pm.Content), "secret") {
			t.Fatalf("after the recall, a pull still delivers the recalled message's text: seq %d modify_of %q: %s", pm.Seq, pm.ModifyOf, pm.Content)
		}
	}
}
