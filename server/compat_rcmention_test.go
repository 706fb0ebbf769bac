package server_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
)

// RongCloud's message/group/publish.json takes isMentioned (1: an @
// message, whose content carries mentionedInfo), as POST /v1/messages takes
// isMentioned + mentionedInfo. Through the RongCloud route the mention is
// dropped: the member mentioned gets a plain message (no IsMentioned, no
// MentionedInfo), so no @ badge and no push through "mentions only" quiet hours.
func TestRongCloudGroupPublishMention(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob"} {
		e.rcOK(t, "user/getToken.json", url.Values{"userId": {u}})
	}
	e.rcOK(t, "group/create.json", url.Values{"userId": {"alice", "bob"}, "groupId": {"g1"}, "groupName": {"G"}})
	bob := e.device("bob", "b1", devOpts{})
	bob.connect(t, e.token(t, "bob", time.Hour))

	// The same mention through the native API: bob's copy is mentioned.
	if status, out := e.admin("POST", "/v1/messages", map[string]any{"fromUserId": "alice", "conversationType": 3, "targetIds": []string{"g1"},
		"objectName": "RC:TxtMsg", "content": map[string]any{"content": "@bob native"}, "clientMsgId": "n1",
		"isMentioned": true, "mentionedInfo": map[string]any{"type": 2, "userIdList": []string{"bob"}}}); status != 200 {
		t.Fatalf("/v1/messages: %d %v", status, out)
	}
	e.rcOK(t, "message/group/publish.json", url.Values{"fromUserId": {"alice"}, "toGroupId": {"g1"}, "objectName": {"RC:TxtMsg"},
		"content": {`{"content":"@bob rc","mentionedInfo":{"type":2,"userIdList":["bob"]}}`}, "isMentioned": {"1"}})
	var got []*client.Message
	bob.waitFor(t, "the two texts", func(ms []*client.Message, _ []client.Event) bool {
		got = nil
		for _, m := range ms {
			if m.ObjectName == "RC:TxtMsg" {
				got = append(got, m)
			}
		}
		return len(got) == 2
	})
	if !got[0].IsMentioned || got[0].MentionedInfo == nil {
		t.Fatalf("the native mention arrived unmentioned: %+v", got[0])
	}
	if !got[1].IsMentioned || got[1].MentionedInfo == nil {
		t.Fatalf("group/publish.json with isMentioned=1: bob's copy IsMentioned=%v MentionedInfo=%v, want the mention as /v1/messages gives it", got[1].IsMentioned, got[1].MentionedInfo)
	}
}
