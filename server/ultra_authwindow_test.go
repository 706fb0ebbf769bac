package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/server/auth"
)

// adminAt calls the admin API of the server behind wsURL.
func adminAt(t *testing.T, wsURL, method, path string, body any) {
	t.Helper()
	httpURL := "http" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws"), "/v1/ws")
	tok, err := auth.NewToken([]byte("test-secret-0123456789"), "admin", time.Hour, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, httpURL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

// The same window as TestAuthWindowMessageArrives, for an ultra group's
// public channel: a message committed after the server read the AuthOK's
// SyncVersion is fanned out through the ultra index, not the hub (whose
// "missed" note sends Push.Resync), and a device whose stored version
// equals the AuthOK's skips its sync. The session is in its ultra groups
// from before the version is read, held until its AuthOK is queued: the
// push is noted, and the device told to sync.
func TestUltraAuthWindowMessageArrives(t *testing.T) {
	gs, url, tok := startAuthWindowServer(t)
	adminAt(t, url, "POST", "/v1/ultragroups", map[string]any{"id": "ug", "ownerId": "alice", "memberIds": []string{"bob"}})

	alice := authWinNewDevice(t, url, "a1")
	bob := authWinNewDevice(t, url, "b1")
	ug := client.Conversation{Type: client.UltraGroup, TargetID: "ug"}
	msg := func(text string) *client.Message {
		return &client.Message{Conversation: ug, ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"` + text + `"}`), IsPersisted: true, IsCounted: true}
	}
	if _, err := alice.Connect(context.Background(), tok("alice")); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(t, "alice's sync", func() bool { return alice.syncs() >= 1 })
	if _, err := alice.SendMessage(context.Background(), msg("before"), client.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Connect(context.Background(), tok("bob")); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(t, "bob's sync and first message", func() bool { return bob.syncs() >= 1 && len(bob.got) == 1 })
	bob.Disconnect()

	gs.armed.Store(true)
	connected := make(chan error, 1)
	go func() {
		_, err := bob.Connect(context.Background(), tok("bob"))
		connected <- err
	}()
	select {
	case <-gs.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("bob's authentication never reached the gate")
	}
	sent, err := alice.SendMessage(context.Background(), msg("during bob's auth"), client.SendOptions{})
	if err != nil || sent.MessageUID == "" {
		t.Fatalf("alice's send: %v %+v", err, sent)
	}
	close(gs.release)
	if err := <-connected; err != nil {
		t.Fatalf("bob's reconnect: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		held, _ := bob.Engine.LocalHistory(context.Background(), ug, 0, 10, false)
		if len(held) == 2 {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
	held, _ := bob.Engine.LocalHistory(context.Background(), ug, 0, 10, false)
	bob.mu.Lock()
	n, syncs := len(bob.got), bob.syncs()
	bob.mu.Unlock()
	t.Fatalf("alice's acknowledged ultra group message %s (seq %d) never reached bob's device: %d shown, %d held (syncs %d), want 2",
		sent.MessageUID, sent.Seq, n, len(held), syncs)
}
