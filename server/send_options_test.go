package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// sendMessage's options that the server refuses with 33003 (a malformed
// mentionedInfo, an expansion without canIncludeExpansion, a directed
// private message) are bad input: refused, they must leave nothing behind
// on the device either (docs/api.md: "Limits are checked before the
// message is stored, so a refused message leaves no local record"; the
// engine applies contract rules before storing).
func TestRefusedOptionsLeaveNoRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob"}, nil)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	alice.waitMessages(t, 1)
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	p := client.Conversation{Type: client.Private, TargetID: "bob"}

	cases := map[string]*client.Message{}
	m := text("g1", client.Group, "mentioned without info")
	m.IsMentioned = true
	cases["isMentioned without mentionedInfo"] = m
	m = text("g1", client.Group, "bad mention type")
	m.IsMentioned, m.MentionedInfo = true, &client.MentionedInfo{Type: 7, UserIDs: []string{"bob"}}
	cases["mentionedInfo.type 7"] = m
	m = text("g1", client.Group, "single without ids")
	m.IsMentioned, m.MentionedInfo = true, &client.MentionedInfo{Type: client.MentionSingle}
	cases["SINGAL without ids"] = m
	m = text("g1", client.Group, "expansion no flag")
	m.Expansion = map[string]string{"k": "v"}
	cases["expansion without canIncludeExpansion"] = m
	m = text("bob", client.Private, "directed private")
	m.DirectedUserIDs = []string{"bob"}
	cases["directed private"] = m

	for name, m := range cases {
		if _, err := alice.SendMessage(ctx, m, client.SendOptions{}); codes.Of(err) != codes.InvalidParameter {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var left []string
	for _, c := range []client.Conversation{g, p} {
		h, err := alice.LocalHistory(ctx, c, 0, 100, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range h {
			if x.Direction == client.DirectionSend && x.SentStatus == client.StatusFailed {
				left = append(left, contents([]*client.Message{x})[0])
			}
		}
	}
	if len(left) > 0 {
		t.Fatalf("refused sends left local records: %q", left)
	}
}

// A member could send a message of type RC:RcNtf (the recall notice the
// server writes): stored and counted, yet read as recalled already, so
// neither its sender nor the group's owner could recall it. The type is
// the server's: a send of it is refused, and leaves nothing.
func TestRecallNoticeNotSendable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.group(t, "g1", "alice", []string{"bob", "carol"}, nil)
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, token(t, "bob", time.Hour))
	bob.waitMessages(t, 1)
	ctx := context.Background()
	g := client.Conversation{Type: client.Group, TargetID: "g1"}
	forged := &client.Message{Conversation: g, ObjectName: "RC:RcNtf", IsPersisted: true, IsCounted: true,
		Content: []byte(`{"messageUId":"x","operatorId":"alice","originalObjectName":"RC:TxtMsg","isAdmin":true,"recallTime":1}`)}
	if _, err := bob.SendMessage(ctx, forged, client.SendOptions{}); codes.Of(err) != codes.InvalidParameter {
		t.Fatalf("a send of RC:RcNtf: %v, want %d", err, codes.InvalidParameter)
	}
	held, err := bob.LocalHistory(ctx, g, 0, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range held {
		if m.ObjectName == "RC:RcNtf" {
			t.Fatalf("the refused notice was kept: %+v", m)
		}
	}
}
