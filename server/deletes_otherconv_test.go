package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// deleteMessages names a conversation and messageUIds. A uid of another
// conversation is not hidden on the server (Hide matches uid and conv_id),
// and so no device of the user deletes it either (they delete by uid: the
// log entry names only what was hidden, the device its conversation's).
func TestDeleteUIDOfOtherConversationChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	alice1 := e.device("alice", "a1", devOpts{})
	alice2 := e.device("alice", "a2", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	carol := e.device("carol", "c1", devOpts{})
	for _, d := range []*device{alice1, alice2, bob, carol} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	bob.send(t, text("alice", client.Private, "from bob"))
	cm := carol.send(t, text("alice", client.Private, "from carol"))
	alice1.waitMessages(t, 2)
	alice2.waitMessages(t, 2)
	withBob := client.Conversation{Type: client.Private, TargetID: "bob"}
	withCarol := client.Conversation{Type: client.Private, TargetID: "carol"}

	// The wrong conversation: either refused, or nothing of carol's changes.
	err := alice1.DeleteMessages(ctx, withBob, []string{cm.MessageUID})
	e.fence(t, alice1, alice2)
	remote, _, rerr := alice1.RemoteHistory(ctx, withCarol, 0, 10, 0)
	if rerr != nil {
		t.Fatal(rerr)
	}
	for _, d := range []*device{alice1, alice2} {
		local := storedTexts(t, d, withCarol)
		if len(local) != len(remote) {
			t.Errorf("delete answered %v; %s holds %v of the conversation with carol, the server's history has %v", err, d.id, local, contents(remote))
		}
	}
}
