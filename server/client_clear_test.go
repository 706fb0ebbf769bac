package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// The server's clear hides what it holds when the clear commits (cleared_seq;
// docs/protocol.md: "a message stored later is not hidden, whatever its sent
// time"). The device that cleared, and any device online then, keeps a
// message stored after the clear, and so does a device that was offline:
// its sync pulls the user's log first, so the clear's sequence number is
// known when the conversation's messages come (a clear applied by time
// after them would delete one the server and the other devices keep).
func TestClearByTimeKeepsLaterMessageOnOfflineDevice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	bobDev := e.device("bob", "b1", devOpts{})
	a1 := e.device("alice", "a1", devOpts{})
	a2 := e.device("alice", "a2", devOpts{})
	for _, d := range []*device{bobDev, a1, a2} {
		d.connect(t, token(t, d.user, time.Hour))
	}
	ctx := context.Background()
	bob := client.Conversation{Type: client.Private, TargetID: "bob"}
	bobDev.send(t, text("alice", client.Private, "before"))
	a2.waitMessages(t, 1)
	a2.Disconnect()

	// a1 clears with a timestamp a little ahead (an app's Date.now() on a
	// clock ahead of the server's, or the time of a message it shows).
	if err := a1.ClearHistory(ctx, bob, time.Now().Add(time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	bobDev.send(t, text("alice", client.Private, "after"))
	a1.waitMessages(t, 2)
	if got := strings.Join(storedTexts(t, a1, bob), "|"); got != "after" {
		t.Fatalf("a1 holds %q, want the message stored after the clear", got)
	}
	// The server keeps it too: a new device gets it.
	a3 := e.device("alice", "a3", devOpts{})
	a3.connect(t, token(t, "alice", time.Hour))
	a3got := strings.Join(storedTexts(t, a3, bob), "|")

	a2.connect(t, token(t, "alice", time.Hour))
	if got := strings.Join(storedTexts(t, a2, bob), "|"); got != "after" {
		t.Fatalf("after its sync a2 holds %q; a1 holds \"after\", a new device %q", got, a3got)
	}
}
