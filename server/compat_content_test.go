package server_test

import (
	"net/url"
	"testing"
)

// The vendors' send routes carry a message's content to POST /v1/messages'
// rules as a JSON string, which must be JSON's escaping, not Go's (which
// writes \x7f or \U000e0067): the content is stored as it was sent.

// England's flag: U+1F3F4 and tag characters (U+E0067 …) — plain UTF-8 in JSON.
const Flag = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"

func TestRongCloudPublishContentKeptAsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}})["token"].(string)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, tok)
	content := `{"content":"go ` + Flag + `"}`
	e.rcOK(t, "message/private/publish.json", url.Values{"fromUserId": {"system"}, "toUserId": {"alice"},
		"objectName": {"RC:TxtMsg"}, "content": {content}})
	if got := alice.waitMessages(t, 1)[0]; string(got.Content) != content {
		t.Fatalf("alice got content %s\nwant %s", got.Content, content)
	}
}

func TestRongCloudPublishContentWithDEL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.rcOK(t, "user/getToken.json", url.Values{"userId": {"alice"}})["token"].(string)
	alice := e.device("alice", "a1", devOpts{})
	alice.connect(t, tok)
	content := "{\"content\":\"a\x7fb\"}" // DEL is allowed unescaped in a JSON string
	e.rcOK(t, "message/private/publish.json", url.Values{"fromUserId": {"system"}, "toUserId": {"alice"},
		"objectName": {"RC:TxtMsg"}, "content": {content}})
	if got := alice.waitMessages(t, 1)[0]; string(got.Content) != content {
		t.Fatalf("alice got content %q\nwant %q", got.Content, content)
	}
}

func TestNIMSendMsgContentKeptAsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.nimOK(t, "user/create.action", url.Values{"accid": {"ann"}})["info"].(map[string]any)["token"].(string)
	ann := e.device("ann", "a1", devOpts{})
	ann.connect(t, tok)
	e.nimOK(t, "msg/sendMsg.action", url.Values{"from": {"ops"}, "ope": {"0"}, "to": {"ann"}, "type": {"0"}, "body": {`{"msg":"go ` + Flag + `"}`}})
	want := `{"content":"go ` + Flag + `"}`
	if got := ann.waitMessages(t, 1)[0]; string(got.Content) != want {
		t.Fatalf("ann got content %s\nwant %s", got.Content, want)
	}
}

func TestEasemobSendContentKeptAsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret})
	app := out["access_token"].(string)
	e.emCall(t, "POST", "users", app, map[string]any{"username": "ann"})
	_, out = e.emCall(t, "POST", "token", app, map[string]any{"grant_type": "inherit", "username": "ann"})
	ann := e.device("ann", "a1", devOpts{})
	ann.connect(t, out["access_token"].(string))
	if status, out := e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "ops", "to": []string{"ann"}, "type": "txt",
		"body": map[string]any{"msg": "go " + Flag}}); status != 200 {
		t.Fatalf("send: %d %v", status, out)
	}
	want := `{"content":"go ` + Flag + `"}`
	if got := ann.waitMessages(t, 1)[0]; string(got.Content) != want {
		t.Fatalf("ann got content %s\nwant %s", got.Content, want)
	}
}
