package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// group.changed is documented as "each group change its members are told
// of ... the group notification RC:GrpNtf, written in the change's
// transaction": a member's own message of type RC:GrpNtf (here a forged
// "Dismiss" by the owner) is a message.stored, never a signed
// group.changed naming whatever operator and operation the member wrote.
func TestUserSentGrpNtfIsNotAGroupChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := newHookReceiver(t, func(map[string]any) (int, string) { return 200, "" })
	e.adminOK(t, "POST", "/v1/groups", map[string]any{"groupId": "g1", "name": "Team", "ownerId": "olga", "memberIds": []string{"mallory"}})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"webhookUrl": h.srv.URL + "/events"})
	mallory := e.device("mallory", "m1", devOpts{})
	mallory.connect(t, token(t, "mallory", time.Hour))
	forged := &client.Message{
		Conversation: client.Conversation{Type: client.Group, TargetID: "g1"},
		ObjectName:   "RC:GrpNtf",
		Content:      []byte(`{"operatorUserId":"olga","operation":"Dismiss","data":"{}","message":""}`),
		IsPersisted:  true, IsCounted: true,
	}
	sent := mallory.send(t, forged)
	var ev map[string]any
	waitFor(t, "the forged message's event", func() bool {
		for _, x := range h.seen() {
			if m, ok := x["message"].(map[string]any); ok && m["messageUId"] == sent.MessageUID {
				ev = x
				return true
			}
		}
		return false
	})
	if ev["type"] != "message.stored" {
		t.Fatalf("a member's own RC:GrpNtf reached the backend as %v with data %v", ev["type"], ev["data"])
	}
}

// docs/http-api.md, before send: "an answer that is not one of these ...
// is taken as beforeSendOnFailure says": a "replace" whose content is no
// JSON object too (here "pass", the default), counted in
// imwasm_webhook_failures_total.
func TestBeforeSendMalformedReplaceFollowsThePolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := newHookReceiver(t, func(map[string]any) (int, string) {
		return 200, `{"action":"replace","content":"not an object"}`
	})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendUrl": h.srv.URL + "/hook", "beforeSendTimeoutMs": 5000})
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	if _, err := alice.SendMessage(context.Background(), text("bob", client.Private, "hello"), client.SendOptions{}); err != nil {
		t.Fatalf("a malformed replace under beforeSendOnFailure \"pass\": %v (want: stored as sent)", err)
	}
}

// The before-send webhook's replace answer takes the sender's pushContent
// (and a pushConfig's) with the content it stood for: a message the
// backend censored ("damn" → "d***") is not pushed to an offline recipient
// as "damn" through the offline-push webhook (or Web Push).
func TestBeforeSendReplaceTakesPushContent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	h := newHookReceiver(t, func(ev map[string]any) (int, string) {
		if ev["type"] == "message.beforeSend" {
			return 200, `{"action":"replace","content":{"content":"d***"}}`
		}
		return 200, ""
	})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendUrl": h.srv.URL + "/hook", "beforeSendTimeoutMs": 5000,
		"pushWebhookUrl": h.srv.URL + "/push"})
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	m := text("bob", client.Private, "damn")
	m.PushContent = "damn" // what RongIMLib apps commonly set: the text
	sent := alice.send(t, m)
	if got := contents([]*client.Message{sent}); got[0] != "d***" {
		t.Fatalf("not replaced: %q", got)
	}
	var push map[string]any
	waitFor(t, "bob's push", func() bool {
		for _, x := range h.seen() {
			if x["type"] == "message.push" {
				push, _ = x["data"].(map[string]any)
				return true
			}
		}
		return false
	})
	if push["body"] != "d***" {
		t.Fatalf("the push of a message the backend replaced with \"d***\" says %q", push["body"])
	}
}

// The before-send webhook moderates edits too (modifyMessageWithParams):
// a sender who passed with "hello" cannot then edit it to what the backend
// blocks.
func TestBeforeSendAsksAboutAnEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var mu sync.Mutex
	var asked []string
	h := newHookReceiver(t, func(ev map[string]any) (int, string) {
		msg, _ := ev["message"].(map[string]any)
		c, _ := msg["content"].(map[string]any)
		s, _ := c["content"].(string)
		mu.Lock()
		asked = append(asked, s)
		mu.Unlock()
		if s == "spam" {
			return 200, `{"action":"block"}`
		}
		return 200, `{"action":"pass"}`
	})
	e.adminOK(t, "PUT", "/v1/settings", map[string]any{"beforeSendUrl": h.srv.URL + "/hook", "beforeSendTimeoutMs": 5000})
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, token(t, "alice", time.Hour))
	ctx := context.Background()
	if _, err := alice.SendMessage(ctx, text("bob", client.Private, "spam"), client.SendOptions{}); err == nil {
		t.Fatal("spam was not blocked")
	}
	sent := alice.send(t, text("bob", client.Private, "hello"))
	_, err := alice.ModifyMessage(ctx, sent.Conversation, sent.MessageUID, []byte(`{"content":"spam"}`))
	if err == nil {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("an edit to what the backend blocks went through unasked (the backend saw %q)", asked)
	}
}
