package server_test

import (
	"sync"
	"testing"
	"time"
)

// A stored message's event becomes, with a push on, the pushes it owes and
// its message.stored event when the webhook loop claims it: maybe long
// after the message (a slow or failing backend, a restart). What changed
// meanwhile is judged as it now stands: an erased message says nothing, a
// dismissed group loses no event, a member added since is not pushed a
// message from before they joined.

// appSend sends one private text as the app server (POST /v1/messages).
func appSend(t *testing.T, e *env, from, to, text, cid string) {
	t.Helper()
	e.adminOK(t, "POST", "/v1/messages", map[string]any{"fromUserId": from, "conversationType": 1, "targetIds": []string{to},
		"objectName": "RC:TxtMsg", "content": map[string]any{"content": text}, "clientMsgId": cid})
}

// hookTexts counts the message texts a receiver was posted.
func hookTexts(h *hookReceiver) map[string]int {
	n := map[string]int{}
	for _, ev := range h.seen() {
		if msg, ok := ev["message"].(map[string]any); ok {
			c, _ := msg["content"].(map[string]any)
			s, _ := c["content"].(string)
			n[s]++
		}
	}
	return n
}

// slowBackend is an events receiver whose call carrying the text "blocker"
// waits for release: the webhook loop waits with it, so the events stored
// meanwhile are claimed after what the test does next.
func slowBackend(t *testing.T) (h *hookReceiver, blocked <-chan struct{}, release func()) {
	rel := make(chan struct{})
	bl := make(chan struct{}, 1)
	h = newHookReceiver(t, func(ev map[string]any) (int, string) {
		if msg, ok := ev["message"].(map[string]any); ok {
			if c, _ := msg["content"].(map[string]any); c["content"] == "blocker" {
				select {
				case bl <- struct{}{}:
				default:
				}
				<-rel
			}
		}
		return 200, ""
	})
	var once sync.Once
	release = func() { once.Do(func() { close(rel) }) }
	t.Cleanup(release)
	return h, bl, release
}

func waitBlocked(t *testing.T, blocked <-chan struct{}) {
	t.Helper()
	select {
	case <-blocked:
	case <-time.After(30 * time.Second):
		t.Fatal("the blocker's event never came")
	}
}

// docs/http-api.md#webhooks: "a message erased meanwhile has no event". With
// a push on, the message's event became a second event holding a copy of
// the message, which erasure did not reach: its retry posted the erased
// message's content.
func TestErasedMessageNotPostedWithPushOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var mu sync.Mutex
	down := true
	h := newHookReceiver(t, func(ev map[string]any) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 500, "down"
		}
		return 200, ""
	})
	push := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": h.srv.URL + "/events", "pushWebhookUrl": push.srv.URL + "/push"})
	appSend(t, e, "alice", "bob", "my secret", "c1")
	waitFor(t, "the first (failed) try of the message's event", func() bool { return hookTexts(h)["my secret"] >= 1 })
	e.adminOK(t, "DELETE", "/v1/users/alice", nil)
	mu.Lock()
	down = false
	mu.Unlock()
	e.clock.add(5 * time.Second) // the retry is due
	appSend(t, e, "carol", "bob", "fence", "c2")
	// The fence is due after the retry: by the time it is posted, the
	// retry was handled.
	waitFor(t, "the fence's event", func() bool { return hookTexts(h)["fence"] >= 1 })
	if n := hookTexts(h)["my secret"]; n > 1 {
		t.Fatalf("the erased message's event was posted again with its content (%d posts)", n)
	}
}

// Every stored message has its message.stored event. With a push on, a
// group message's pushes read the group: one dismissed before the event
// was claimed failed the conversion on every try, and the event never
// went.
func TestGroupMessageEventAfterDismissWithPushOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	events, blocked, release := slowBackend(t)
	push := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "Team", "ownerId": "alice", "memberIds": []string{"bob"}})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": events.srv.URL + "/events", "pushWebhookUrl": push.srv.URL + "/push"})
	appSend(t, e, "alice", "bob", "blocker", "b1")
	waitBlocked(t, blocked)
	e.adminOK(t, "POST", "/v1/messages", map[string]any{"fromUserId": "alice", "conversationType": 3, "targetIds": []string{"g1"},
		"objectName": "RC:TxtMsg", "content": map[string]any{"content": "last words"}, "clientMsgId": "g1m"})
	e.adminOK(t, "DELETE", "/v1/groups/g1", nil)
	release()
	waitFor(t, "the group message's message.stored event", func() bool {
		e.clock.add(20 * time.Second) // (retries, were there any, come due)
		return hookTexts(events)["last words"] == 1
	})
}

// docs/http-api.md#push: a push is owed for a message that counts for the
// user. A member added after a group message never sees it, but the
// members were read when the event was claimed, and the newcomer was
// pushed it.
func TestNoPushToMemberAddedAfterTheMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	events, blocked, release := slowBackend(t)
	push := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "Team", "ownerId": "alice", "memberIds": []string{"bob"}})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": events.srv.URL + "/events", "pushWebhookUrl": push.srv.URL + "/push"})
	appSend(t, e, "alice", "bob", "blocker", "b1")
	waitBlocked(t, blocked)
	e.adminOK(t, "POST", "/v1/messages", map[string]any{"fromUserId": "alice", "conversationType": 3, "targetIds": []string{"g1"},
		"objectName": "RC:TxtMsg", "content": map[string]any{"content": "before carol"}, "clientMsgId": "g1m"})
	e.adminOK(t, "POST", "/v1/groups/g1/members", map[string]any{"userIds": []string{"carol"}})
	release()
	pushed := func() map[string]bool {
		got := map[string]bool{}
		for _, ev := range push.seen() {
			d := ev["data"].(map[string]any)
			got[d["userId"].(string)+":"+d["body"].(string)] = true
		}
		return got
	}
	// A message's pushes are enqueued together, and posted in one call.
	waitFor(t, "bob's push of the group message", func() bool { return pushed()["bob:before carol"] })
	if pushed()["carol:before carol"] {
		t.Fatalf("carol, added to g1 after the message was sent, was pushed it: %v", pushed())
	}
	// Who joined before a message is pushed it.
	e.adminOK(t, "POST", "/v1/messages", map[string]any{"fromUserId": "alice", "conversationType": 3, "targetIds": []string{"g1"},
		"objectName": "RC:TxtMsg", "content": map[string]any{"content": "after carol"}, "clientMsgId": "g1m2"})
	waitFor(t, "carol's push of a message after her joining", func() bool { return pushed()["carol:after carol"] })
}
