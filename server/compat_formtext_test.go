package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A form field that is not UTF-8 text is refused and stores nothing: once
// stored, a message whose pushContent a device cannot decode (litepb
// refuses invalid UTF-8) failed every pull of its conversation, for both
// users (found by a helper's hunt of hostile input).
func TestVendorFormTextRefusedConversationIntact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	send := func(push string) {
		form := url.Values{"fromUserId": {"alice"}, "toUserId": {"bob"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"hi"}`}, "pushContent": {push}}
		status, out := e.rcCall(t, "message/private/publish.json", form, appSecret, e.now())
		if ok := status == 200; ok != contract.ValidText(push) {
			t.Errorf("pushContent %q: %d %v", push, status, out)
		}
	}
	send("ok")
	send("bad \xff")
	send("nul \x00")
	send("fine again")
	for _, user := range []string{"bob", "alice"} {
		r := e.raw(t)
		if ok := r.auth(token(t, user, time.Hour)); ok.GetAuthOk() == nil {
			t.Fatal(ok)
		}
		peer := map[string]string{"bob": "alice", "alice": "bob"}[user]
		r.write(&pb.Frame{Id: 2, Body: &pb.Frame_Pull{Pull: &pb.PullRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: peer}}}})
		for {
			f, err := r.read()
			if err != nil {
				t.Errorf("%s: a frame the device cannot decode: %v", user, err)
				continue
			}
			if f.Id == 2 {
				if f.GetError() != nil || len(f.GetPullResult().GetMessages()) != 2 {
					t.Errorf("%s pulls the chat with %s: error %v, %d messages; want the 2 good messages at least", user, peer, f.GetError(), len(f.GetPullResult().GetMessages()))
				}
				break
			}
		}
	}
}

// Every vendor form route refuses text that is not UTF-8 (1002 / 414),
// whichever field holds it.
func TestVendorFormTextNotUTF8Refused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}})
	e.rcOK(t, "user/getToken.json", url.Values{"userId": {"bob"}})
	e.nimOK(t, "user/create.action", url.Values{"accid": {"ann"}})
	e.nimOK(t, "user/create.action", url.Values{"accid": {"ben"}})
	pub := e.rcOK(t, "message/private/publish.json", url.Values{"fromUserId": {"alice"}, "toUserId": {"bob"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"hi"}`}})
	uid := pub["messageUIDs"].([]any)[0].(map[string]any)["messageUID"].(string)
	sent := e.nimOK(t, "msg/sendMsg.action", url.Values{"from": {"ann"}, "ope": {"0"}, "to": {"ben"}, "type": {"0"}, "body": {`{"msg":"hello"}`}})
	nimUID := sent["data"].(map[string]any)["msgid"].(string)
	bad := "x\xff"
	rc := []struct {
		path string
		form url.Values
	}{
		{"user/getToken.json", url.Values{"userId": {"carl"}, "name": {bad}}},
		{"user/refresh.json", url.Values{"userId": {"alice"}, "name": {bad}}},
		{"user/refresh.json", url.Values{"userId": {"alice"}, "portraitUri": {"https://x/" + bad}}},
		{"group/create.json", url.Values{"userId": {"alice", "bob"}, "groupId": {"rg"}, "groupName": {bad}}},
		{"user/blockPushPeriod/set.json", url.Values{"userId": {"alice"}, "startTime": {"23:00:00"}, "period": {"120"}, "level": {"1"}, "timezone": {bad}}},
		{"message/private/publish.json", url.Values{"fromUserId": {"alice"}, "toUserId": {"bob"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"hi"}`}, "pushData": {bad}}},
		{"message/recall.json", url.Values{"fromUserId": {"alice"}, "conversationType": {"1"}, "targetId": {"bob"}, "messageUID": {uid}, "extra": {bad}}},
	}
	var accepted []string
	for _, c := range rc {
		status, out := e.rcCall(t, c.path, c.form, appSecret, e.now())
		if status == 200 {
			accepted = append(accepted, "rongcloud "+c.path+" "+c.form.Encode())
		}
		_ = out
	}
	nim := []struct {
		path string
		form url.Values
	}{
		{"user/create.action", url.Values{"accid": {"cid"}, "name": {bad}}},
		{"user/updateUinfo.action", url.Values{"accid": {"ann"}, "icon": {"https://x/" + bad}}},
		{"team/create.action", url.Values{"owner": {"ann"}, "members": {`["ben"]`}, "tname": {bad}, "msg": {"m"}}},
		{"msg/sendMsg.action", url.Values{"from": {"ann"}, "ope": {"0"}, "to": {"ben"}, "type": {"0"}, "body": {`{"msg":"hello"}`}, "pushcontent": {bad}}},
		{"msg/recall.action", url.Values{"deleteMsgid": {nimUID}, "timetag": {"0"}, "type": {"7"}, "from": {"ann"}, "to": {"ben"}, "msg": {bad}}},
	}
	for _, c := range nim {
		if out := e.nimCall(t, c.path, c.form, appSecret, time.Now()); out["code"] == 200.0 {
			accepted = append(accepted, "nim "+c.path+" "+c.form.Encode())
		}
	}
	if len(accepted) > 0 {
		t.Errorf("text that is not UTF-8 accepted by:\n  %s", strings.Join(accepted, "\n  "))
	}
}

// RongCloud's flags are 0 or 1 (true/false taken too): anything else is
// refused, not taken as 0 (a helper's hunt).
func TestRongCloudFlagsRefuseOtherValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, flag := range []string{"isPersisted", "isCounted", "isMentioned"} {
		form := url.Values{"fromUserId": {"alice"}, "toUserId": {"bob"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"hi"}`}, flag: {"abc"}}
		if status, out := e.rcCall(t, "message/private/publish.json", form, appSecret, e.now()); status != 400 {
			t.Errorf("%s=abc: %d %v", flag, status, out)
		}
	}
	form := url.Values{"fromUserId": {"alice"}, "toUserId": {"bob"}, "objectName": {"RC:TxtMsg"}, "content": {`{"content":"hi"}`}, "isPersisted": {"0"}, "isCounted": {"false"}}
	if status, out := e.rcCall(t, "message/private/publish.json", form, appSecret, e.now()); status != 200 {
		t.Errorf("isPersisted=0, isCounted=false: %d %v", status, out)
	}
}
