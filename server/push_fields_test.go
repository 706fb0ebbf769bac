package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// Push fields reach the receiver intact, live, on a new device and in
// remote history.
func TestPushFieldsIntact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.device("alice", "a1", devOpts{})
	bob := e.device("bob", "b1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	bob.connect(t, token(t, "bob", time.Hour))
	m := text("bob", client.Private, "p")
	m.PushContent, m.PushData, m.DisableNotification = "pc", `{"d":1}`, true
	m.PushConfig = []byte(`{"pushTitle":"t","pushContent":"x","pushData":"y","disablePushTitle":true}`)
	alice.send(t, m)
	check := func(where string, got *client.Message) {
		if got.PushContent != m.PushContent || got.PushData != m.PushData || string(got.PushConfig) != string(m.PushConfig) || !got.DisableNotification {
			t.Fatalf("%s: push fields %q %q %q %v", where, got.PushContent, got.PushData, got.PushConfig, got.DisableNotification)
		}
	}
	check("live", bob.waitMessages(t, 1)[0])
	b2 := e.device("bob", "b2", devOpts{})
	b2.connect(t, token(t, "bob", time.Hour))
	check("new device", b2.waitMessages(t, 1)[0])
	h, _, err := bob.RemoteHistory(context.Background(), client.Conversation{Type: client.Private, TargetID: "alice"}, 0, 10, 0)
	if err != nil || len(h) != 1 {
		t.Fatalf("history %v %v", h, err)
	}
	check("history", h[0])
}
