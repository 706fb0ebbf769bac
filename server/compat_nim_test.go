package server_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// NIM's server API under /compat/nim/nimserver/, driven by plain HTTP with
// NIM's AppKey / Nonce / CurTime / CheckSum headers.

func (e *env) nimCall(t *testing.T, path string, form url.Values, secret string, at time.Time) map[string]any {
	t.Helper()
	status, out := e.signedPost(t, "/compat/nim/nimserver/"+path, form, [4]string{"AppKey", "Nonce", "CurTime", "CheckSum"}, secret, strconv.FormatInt(at.Unix(), 10))
	if status != 200 {
		t.Fatalf("%s: HTTP %d, want 200 (NIM answers its codes in the body)", path, status)
	}
	return out
}

func (e *env) nimOK(t *testing.T, path string, form url.Values) map[string]any {
	t.Helper()
	out := e.nimCall(t, path, form, appSecret, time.Now())
	if out["code"] != 200.0 {
		t.Fatalf("%s: %v", path, out)
	}
	return out
}

func TestNIMServerAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()

	for name, out := range map[string]map[string]any{
		"wrong secret": e.nimCall(t, "user/create.action", url.Values{"accid": {"ann"}}, "not-the-secret", time.Now()),
		"stale time":   e.nimCall(t, "user/create.action", url.Values{"accid": {"ann"}}, appSecret, time.Now().Add(-time.Hour)),
	} {
		if out["code"] != 403.0 {
			t.Errorf("%s: %v, want code 403", name, out)
		}
	}
	if out := e.nimCall(t, "user/create.action", url.Values{"accid": {"ann"}, "token": {"mine"}}, appSecret, time.Now()); out["code"] != 414.0 {
		t.Fatalf("a chosen token: %v, want 414", out)
	}

	info := e.nimOK(t, "user/create.action", url.Values{"accid": {"ann"}, "name": {"Ann"}})["info"].(map[string]any)
	// Registered once; users never registered are refused as NIM refuses them.
	if out := e.nimCall(t, "user/create.action", url.Values{"accid": {"ann"}}, appSecret, time.Now()); out["code"] != 414.0 || out["desc"] != "already register" {
		t.Fatalf("create twice: %v", out)
	}
	for _, path := range []string{"user/refreshToken.action", "user/updateUinfo.action", "user/block.action", "user/unblock.action"} {
		if out := e.nimCall(t, path, url.Values{"accid": {"nobody"}, "name": {"x"}}, appSecret, time.Now()); out["code"] != 414.0 || out["desc"] != "nobody is not registered" {
			t.Errorf("%s for an unregistered accid: %v", path, out)
		}
	}
	ann := e.device("ann", "a1", devOpts{})
	ann.connect(t, info["token"].(string))
	benTok := e.nimOK(t, "user/create.action", url.Values{"accid": {"ben"}})["info"].(map[string]any)["token"].(string)
	ben := e.device("ben", "b1", devOpts{})
	ben.connect(t, benTok)
	if _, p := e.admin("GET", "/v1/users/ann/profile", nil); p["data"].(map[string]any)["name"] != "Ann" {
		t.Fatalf("profile: %v", p)
	}
	e.nimOK(t, "user/updateUinfo.action", url.Values{"accid": {"ann"}, "name": {"Ann B."}, "icon": {"https://p/ann.png"}})
	infos := e.nimOK(t, "user/getUinfos.action", url.Values{"accids": {`["ann","nobody"]`}})["uinfos"].([]any)
	if a := infos[0].(map[string]any); len(infos) != 2 || a["name"] != "Ann B." || a["icon"] != "https://p/ann.png" {
		t.Fatalf("getUinfos: %v", infos)
	}

	// A text and a custom message from the backend.
	sent := e.nimOK(t, "msg/sendMsg.action", url.Values{"from": {"ops"}, "ope": {"0"}, "to": {"ann"}, "type": {"0"}, "body": {`{"msg":"hello"}`}})
	if sent["data"].(map[string]any)["msgid"] == "" {
		t.Fatalf("sendMsg: %v", sent)
	}
	e.nimOK(t, "msg/sendMsg.action", url.Values{"from": {"ops"}, "ope": {"0"}, "to": {"ann"}, "type": {"100"}, "body": {`{"a":1}`}})
	got := ann.waitMessages(t, 2)
	if got[0].ObjectName != "RC:TxtMsg" || string(got[0].Content) != `{"content":"hello"}` || got[1].ObjectName != "NIM:CustomMsg" {
		t.Fatalf("ann got %s %s, %s", got[0].ObjectName, got[0].Content, got[1].ObjectName)
	}
	// option: badge false is not counted, history false not kept.
	e.nimOK(t, "msg/sendMsg.action", url.Values{"from": {"ops"}, "ope": {"0"}, "to": {"ann"}, "type": {"0"}, "body": {`{"msg":"quiet"}`},
		"option": {`{"badge":false,"history":false,"roam":true}`}, "pushcontent": {"psst"}})
	if q := ann.waitMessages(t, 3)[2]; q.IsCounted || q.IsPersisted {
		t.Fatalf("option badge/history false: counted %v, persisted %v", q.IsCounted, q.IsPersisted)
	}
	if out := e.nimCall(t, "msg/sendMsg.action", url.Values{"from": {"ops"}, "ope": {"0"}, "to": {"ann"}, "type": {"0"}, "body": {`{}`}, "option": {"yes"}}, appSecret, time.Now()); out["code"] != 414.0 {
		t.Fatalf("a bad option: %v, want 414", out)
	}
	if out := e.nimCall(t, "msg/sendMsg.action", url.Values{"from": {"ops"}, "ope": {"0"}, "to": {"ann"}, "type": {"1"}, "body": {`{}`}}, appSecret, time.Now()); out["code"] != 414.0 {
		t.Fatalf("an image from the backend: %v, want 414 (not provided)", out)
	}

	// Teams.
	tid := e.nimOK(t, "team/create.action", url.Values{"tname": {"Club"}, "owner": {"ann"}, "members": {`["ben"]`}, "msg": {"join us"}, "magree": {"0"}, "joinmode": {"0"}})["tid"].(string)
	e.nimOK(t, "team/add.action", url.Values{"tid": {tid}, "owner": {"ann"}, "members": {`["cal"]`}, "msg": {"hi"}, "magree": {"0"}})
	if _, g := e.admin("GET", "/v1/groups/"+tid, nil); len(g["data"].(map[string]any)["members"].([]any)) != 3 {
		t.Fatalf("team members: %v", g)
	}
	e.nimOK(t, "msg/sendMsg.action", url.Values{"from": {"ann"}, "ope": {"1"}, "to": {tid}, "type": {"0"}, "body": {`{"msg":"team hi"}`}})
	ben.waitFor(t, "the team text", func(ms []*client.Message, _ []client.Event) bool {
		for _, m := range ms {
			if m.TargetID == tid && string(m.Content) == `{"content":"team hi"}` {
				return true
			}
		}
		return false
	})
	// Recall the team message as the app server: the members see the recall.
	teamMsg := ben.messages()[len(ben.messages())-1]
	e.nimOK(t, "msg/recall.action", url.Values{"deleteMsgid": {teamMsg.MessageUID}, "timetag": {strconv.FormatInt(teamMsg.SentTime, 10)},
		"type": {"8"}, "from": {"ann"}, "to": {tid}})
	ben.waitFor(t, "the recall", func(ms []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(ms, func(m *client.Message) bool { return m.MessageUID == teamMsg.MessageUID && m.ObjectName == "RC:RcNtf" })
	})
	q := e.nimOK(t, "team/query.action", url.Values{"tids": {`["` + tid + `"]`}, "ope": {"1"}})["tinfos"].([]any)[0].(map[string]any)
	if q["owner"] != "ann" || q["size"] != 3.0 || len(q["members"].([]any)) != 2 {
		t.Fatalf("team/query: %v", q)
	}
	e.nimOK(t, "team/leave.action", url.Values{"tid": {tid}, "accid": {"ben"}})
	if q := e.nimOK(t, "team/query.action", url.Values{"tids": {`["` + tid + `"]`}})["tinfos"].([]any)[0].(map[string]any); q["size"] != 2.0 || q["members"] != nil {
		t.Fatalf("team/query after leave: %v", q)
	}
	e.nimOK(t, "team/kick.action", url.Values{"tid": {tid}, "owner": {"ann"}, "member": {"cal"}})
	e.nimOK(t, "team/remove.action", url.Values{"tid": {tid}, "owner": {"ann"}})
	if status, _ := e.admin("GET", "/v1/groups/"+tid, nil); status != 404 {
		t.Fatalf("a removed team: %d", status)
	}

	// Tokens: refresh gives a new one and ends the old; block ends all.
	ann.Disconnect()
	fresh := e.nimOK(t, "user/refreshToken.action", url.Values{"accid": {"ben"}})["info"].(map[string]any)["token"].(string)
	if fresh == benTok {
		t.Fatal("refreshToken answered the same token")
	}
	ben.Disconnect()
	if _, err := e.device("ben", "b2", devOpts{}).Connect(ctx, benTok); err == nil {
		t.Fatal("the token before the refresh connected")
	}
	e.device("ben", "b3", devOpts{}).connect(t, fresh)
	// Block: new connects refused with 31009, a session open goes on
	// unless needkick; unblock: the same token connects again.
	annTok := info["token"].(string)
	ann2 := e.device("ann", "a2", devOpts{})
	ann2.connect(t, annTok)
	e.nimOK(t, "user/block.action", url.Values{"accid": {"ann"}})
	if _, err := e.device("ann", "a3", devOpts{}).Connect(ctx, annTok); codes.Of(err) != codes.ConnUserBlocked {
		t.Fatalf("a blocked user's connect: %v, want 31009", err)
	}
	ann2.send(t, text("ben", client.Private, "still here without needkick"))
	e.nimOK(t, "user/block.action", url.Values{"accid": {"ann"}, "needkick": {"true"}})
	ann2.waitFor(t, "the kick", func(_ []*client.Message, evs []client.Event) bool {
		return slices.ContainsFunc(evs, func(ev client.Event) bool { return ev.Kind == client.EventStatus && ev.Code == codes.ConnUserBlocked })
	})
	e.nimOK(t, "user/unblock.action", url.Values{"accid": {"ann"}})
	e.device("ann", "a4", devOpts{}).connect(t, annTok)
}
