package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/proto/codes"
)

// Easemob's REST API under /compat/easemob/{org}/{app}/, as a backend
// calling a1.easemob.com/{org}/{app}/ calls it.

func (e *env) emCall(t *testing.T, method, path, tok string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.url+"/compat/easemob/org1/app1/"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestEasemobServerAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)

	if status, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": "wrong"}); status != 401 || out["error"] != "invalid_grant" {
		t.Fatalf("a wrong secret: %d %v", status, out)
	}
	status, out := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "client_credentials", "client_id": appKey, "client_secret": appSecret})
	if status != 200 || out["access_token"] == "" || out["expires_in"] != float64(60*24*3600) {
		t.Fatalf("app token: %d %v", status, out)
	}
	app := out["access_token"].(string)
	if status, _ := e.emCall(t, "POST", "users", "", map[string]any{"username": "ann"}); status != 401 {
		t.Fatalf("without the app token: %d", status)
	}

	// A list with a bad name registers none of it: the corrected retry works.
	if status, _ := e.emCall(t, "POST", "users", app, []map[string]any{{"username": "ann"}, {"username": "bad name!"}}); status != 400 {
		t.Fatalf("a list with a bad name: %d", status)
	}
	if status, _ := e.emCall(t, "POST", "users", app, []map[string]any{{"username": "ann"}, {"username": "ann"}}); status != 400 {
		t.Fatalf("a list naming ann twice: %d", status)
	}
	if status, out := e.emCall(t, "POST", "users", app, []map[string]any{{"username": "ann", "password": "x", "nickname": "Ann"}, {"username": "ben"}}); status != 200 || len(out["entities"].([]any)) != 2 {
		t.Fatalf("users: %d %v", status, out)
	}
	for _, ttl := range []float64{1e10, 18446744080} { // past 100 years (the second wrapped to 6 s when converted first)
		if status, out := e.emCall(t, "POST", "token", app, map[string]any{"grant_type": "inherit", "username": "ann", "ttl": ttl}); status != 400 {
			t.Fatalf("a user token for %.0f s: %d %v", ttl, status, out)
		}
	}
	if _, p := e.admin("GET", "/v1/users/ann/profile", nil); p["data"].(map[string]any)["name"] != "Ann" {
		t.Fatalf("nickname: %v", p)
	}
	// A user token through inherit, for the SDK.
	// Registered once; users never registered are refused as Easemob refuses them.
	if status, out := e.emCall(t, "POST", "users", app, map[string]any{"username": "ann"}); status != 400 || out["error"] != "duplicate_unique_property_exists" {
		t.Fatalf("ann again: %d %v", status, out)
	}
	for _, c := range []struct{ method, path string }{{"POST", "users/nobody/deactivate"}, {"POST", "users/nobody/activate"}, {"DELETE", "users/nobody"}} {
		if status, out := e.emCall(t, c.method, c.path, app, nil); status != 404 || out["error"] != "service_resource_not_found" {
			t.Errorf("%s %s: %d %v", c.method, c.path, status, out)
		}
	}
	if status, out := e.emCall(t, "POST", "token", app, map[string]any{"grant_type": "inherit", "username": "nobody"}); status != 404 || out["error"] != "service_resource_not_found" {
		t.Fatalf("a token for nobody: %d %v", status, out)
	}
	tokens := map[string]string{}
	for _, u := range []string{"ann", "ben"} {
		status, out := e.emCall(t, "POST", "token", app, map[string]any{"grant_type": "inherit", "username": u})
		if status != 200 {
			t.Fatalf("inherit %s: %d %v", u, status, out)
		}
		tokens[u] = out["access_token"].(string)
	}
	if status, _ := e.emCall(t, "POST", "token", "", map[string]any{"grant_type": "password", "username": "ann", "password": "x"}); status != 400 {
		t.Fatalf("grant_type password: %d, want 400 (no passwords)", status)
	}
	ann := e.device("ann", "a1", devOpts{})
	ann.connect(t, tokens["ann"])
	ben := e.device("ben", "b1", devOpts{})
	ben.connect(t, tokens["ben"])

	status, out = e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "ops", "to": []string{"ann"}, "type": "txt", "body": map[string]any{"msg": "welcome"}, "ext": map[string]any{"k": "v"}})
	if status != 200 || out["data"].(map[string]any)["ann"] == "" {
		t.Fatalf("send: %d %v", status, out)
	}
	got := ann.waitMessages(t, 1)
	if got[0].ObjectName != "RC:TxtMsg" || string(got[0].Content) != `{"content":"welcome","extra":"{\"k\":\"v\"}"}` {
		t.Fatalf("ann got %s %s", got[0].ObjectName, got[0].Content)
	}
	if status, _ := e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "ops", "to": []string{"ann"}, "type": "img", "body": map[string]any{}}); status != 400 {
		t.Fatalf("an image without its url: %d, want 400", status)
	}
	if status, _ := e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "ops", "to": []string{"ann"}, "type": "cmd", "body": map[string]any{"action": "x"}}); status != 400 {
		t.Fatalf("a cmd message from the backend: %d, want 400 (not provided)", status)
	}
	status, out = e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "ops", "to": []string{"ann"}, "type": "file",
		"body": map[string]any{"url": "https://files.example/a.pdf", "filename": "a.pdf", "file_length": 1234}})
	fileID := out["data"].(map[string]any)["ann"].(string)
	got = ann.waitMessages(t, 2)
	if status != 200 || got[1].ObjectName != "RC:FileMsg" || string(got[1].Content) != `{"fileUrl":"https://files.example/a.pdf","name":"a.pdf","size":1234,"type":"pdf"}` {
		t.Fatalf("a file: %d, ann got %s %s", status, got[1].ObjectName, got[1].Content)
	}
	// ROUTE_ONLINE: to those online only, stored nowhere (a status message).
	e.emCall(t, "POST", "messages/users", app, map[string]any{"from": "ops", "to": []string{"ann"}, "type": "txt", "body": map[string]any{"msg": "live only"},
		"routetype": "ROUTE_ONLINE", "ext": map[string]any{"em_apns_ext": map[string]any{"em_push_content": "psst"}}})
	if live := ann.waitMessages(t, 3)[2]; !live.IsStatus || live.MessageUID == "" {
		t.Fatalf("ROUTE_ONLINE: status %v", live.IsStatus)
	}
	// Recall it as the app server.
	if status, out := e.emCall(t, "POST", "messages/msg_recall", app, map[string]any{"msg_id": fileID, "from": "ops", "to": "ann", "chat_type": "chat"}); status != 200 || out["data"].(map[string]any)["recalled"] != "yes" {
		t.Fatalf("msg_recall: %d %v", status, out)
	}
	ann.waitFor(t, "the recall", func(ms []*client.Message, _ []client.Event) bool {
		return slices.ContainsFunc(ms, func(m *client.Message) bool { return m.MessageUID == fileID && m.ObjectName == "RC:RcNtf" })
	})

	// deactivate: ann's session closes (31009) and her token cannot
	// connect; activate: it can again.
	if status, out := e.emCall(t, "POST", "users/ann/deactivate", app, nil); status != 200 || out["entities"].([]any)[0].(map[string]any)["activated"] != false {
		t.Fatalf("deactivate: %d %v", status, out)
	}
	ann.waitFor(t, "the block", func(_ []*client.Message, evs []client.Event) bool {
		return slices.ContainsFunc(evs, func(ev client.Event) bool { return ev.Kind == client.EventStatus && ev.Code == codes.ConnUserBlocked })
	})
	if _, err := e.device("ann", "a2", devOpts{}).Connect(context.Background(), tokens["ann"]); codes.Of(err) != codes.ConnUserBlocked {
		t.Fatalf("a deactivated user's connect: %v, want 31009", err)
	}
	if status, out := e.emCall(t, "POST", "users/ann/activate", app, nil); status != 200 {
		t.Fatalf("activate: %d %v", status, out)
	}
	e.device("ann", "a3", devOpts{}).connect(t, tokens["ann"])

	status, out = e.emCall(t, "POST", "chatgroups", app, map[string]any{"groupname": "Club", "description": "books", "owner": "ann", "members": []string{"ben"}, "public": true, "maxusers": 200})
	if status != 200 {
		t.Fatalf("chatgroups: %d %v", status, out)
	}
	gid := out["data"].(map[string]any)["groupid"].(string)
	if status, out := e.emCall(t, "POST", "chatgroups/"+gid+"/users/cal", app, nil); status != 200 {
		t.Fatalf("add member: %d %v", status, out)
	}
	status, out = e.emCall(t, "GET", "chatgroups/"+gid+"/users", app, nil)
	if status != 200 || len(out["data"].([]any)) != 3 {
		t.Fatalf("members: %d %v", status, out)
	}
	e.emCall(t, "POST", "messages/chatgroups", app, map[string]any{"from": "ann", "to": []string{gid}, "type": "txt", "body": map[string]any{"msg": "hi club"}})
	ben.waitFor(t, "the group text", func(ms []*client.Message, _ []client.Event) bool {
		for _, m := range ms {
			if m.TargetID == gid && string(m.Content) == `{"content":"hi club"}` {
				return true
			}
		}
		return false
	})
	if status, _ := e.emCall(t, "DELETE", "chatgroups/"+gid+"/users/cal", app, nil); status != 200 {
		t.Fatalf("remove member: %d", status)
	}
	if status, _ := e.emCall(t, "DELETE", "chatgroups/"+gid, app, nil); status != 200 {
		t.Fatalf("dismiss: %d", status)
	}
	if status, out := e.emCall(t, "GET", "chatgroups/"+gid+"/users", app, nil); status != 404 || out["error"] != "resource_not_found" {
		t.Fatalf("a dismissed group: %d %v", status, out)
	}

	// Deleting a user erases them: their session ends and their messages go.
	if status, out := e.emCall(t, "DELETE", "users/ben", app, nil); status != 200 || out["entities"].([]any)[0].(map[string]any)["username"] != "ben" {
		t.Fatalf("delete user: %d %v", status, out)
	}
	ben.waitFor(t, "ben's session ended", func([]*client.Message, []client.Event) bool { return ben.Status() != client.StatusConnected })
}
