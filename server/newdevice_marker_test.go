package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server"
)

// A conversation whose last entry is a marker (the sender's edit or recall,
// made right after sending, or an expansion change) and whose messages are
// older than the new device window: a brand-new device is promised "the
// last message of a conversation with nothing newer, so its list shows
// every conversation", and gets it with the markers after it, as it does
// without a marker ("plain").
func TestNewDeviceListsAConversationEndingInAMarker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.RecallWindow = time.Minute })
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	ctx := context.Background()
	uids := map[string]string{}
	for _, peer := range []string{"plain", "edit", "recall"} {
		p := client.Conversation{Type: client.Private, TargetID: peer}
		m := alice.send(t, text(peer, client.Private, "helo"))
		uids[peer] = m.MessageUID
		switch peer {
		case "edit":
			if _, err := alice.ModifyMessage(ctx, p, m.MessageUID, []byte(`{"content":"hello"}`)); err != nil {
				t.Fatal(err)
			}
		case "recall":
			if _, err := alice.RecallMessage(ctx, p, m.MessageUID, m.SentTime, client.RecallOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.clock.add(8 * 24 * time.Hour) // nothing since: older than the new device window

	for _, peer := range []string{"plain", "edit", "recall"} {
		d := e.device(peer, peer+"1", devOpts{})
		d.connect(t, e.token(t, peer, time.Hour))
		list, err := d.Conversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var found *client.ConversationInfo
		for i := range list {
			if list[i].Conversation == (client.Conversation{Type: client.Private, TargetID: "alice"}) {
				found = &list[i]
			}
		}
		switch {
		case found == nil:
			t.Errorf("%s: the new device does not list the conversation with alice", peer)
		case found.Latest == nil || found.Latest.MessageUID != uids[peer]:
			t.Errorf("%s: the new device lists the conversation with latest %+v, want message %s", peer, found.Latest, uids[peer])
		}
	}
}
