package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
)

// Easemob's REST API under /compat/easemob/{org}/{app}/ (docs/http-api.md),
// for a backend written against a1.easemob.com/{org}/{app}/: an app token
// from POST token (client_credentials: client_id the app key, client_secret
// the app secret), then Bearer requests with JSON bodies and Easemob's
// answers. Each route calls what the admin API calls.

// emMaxUsersPerCall is how many users one POST users registers, as
// Easemob's own limit.
const emMaxUsersPerCall = 60

// emAppTokenTTL is how long Easemob's app tokens live (its expires_in).
const emAppTokenTTL = 60 * 24 * time.Hour

// emError is a refusal as Easemob answers it.
type emError struct {
	status int
	err    string // Easemob's error name
	desc   string
}

func (e *emError) Error() string { return e.desc }

func emBad(desc string) *emError {
	return &emError{http.StatusBadRequest, "illegal_argument", desc}
}

// emUser is the registered user path or body value names (404
// service_resource_not_found for one never registered, as Easemob answers).
func (s *Server) emUser(r *http.Request, user string) (string, error) {
	if !contract.ValidID(user) {
		return "", emBad("username must be an id of 1-64 characters [A-Za-z0-9_.@-]")
	}
	switch known, err := s.registered(r.Context(), user); {
	case err != nil:
		return "", err
	case !known:
		return "", &emError{http.StatusNotFound, "service_resource_not_found", "Service resource not found: user " + user}
	}
	return user, nil
}

func (s *Server) routeCompatEasemob() {
	const p = "/compat/easemob/{org}/{app}/"
	s.mux.HandleFunc("POST "+p+"token", s.easemob(s.emToken, false))
	for route, h := range map[string]func(*http.Request) (any, error){
		"POST users":                             s.emUsers,
		"DELETE users/{user}":                    s.emDeleteUser,
		"POST users/{user}/deactivate":           s.emBlock(true),
		"POST users/{user}/activate":             s.emBlock(false),
		"POST messages/msg_recall":               s.emRecall,
		"POST messages/users":                    s.emSend(pb.ConversationType_PRIVATE),
		"POST messages/chatgroups":               s.emSend(pb.ConversationType_GROUP),
		"POST chatgroups":                        s.emCreateGroup,
		"DELETE chatgroups/{group}":              s.emGroupOp(pb.GroupOp_GROUP_DISMISS),
		"POST chatgroups/{group}/users/{user}":   s.emGroupOp(pb.GroupOp_GROUP_INVITE),
		"DELETE chatgroups/{group}/users/{user}": s.emGroupOp(pb.GroupOp_GROUP_KICK),
		"GET chatgroups/{group}/users":           s.emGroupMembers,
	} {
		method, path, _ := strings.Cut(route, " ")
		s.mux.HandleFunc(method+" "+p+path, s.easemob(h, true))
	}
}

// easemob answers h's result in Easemob's envelope; app: the route needs
// the app token.
func (s *Server) easemob(h func(*http.Request) (any, error), app bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := func() (any, error) {
			if app {
				if ae := s.adminBearer(r); ae != nil {
					return nil, &emError{http.StatusUnauthorized, "unauthorized", "Unable to authenticate (OAuth): " + ae.Msg}
				}
			}
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			return h(r)
		}()
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			var ee *emError
			if !errors.As(err, &ee) {
				ee = emFromCode(err)
			}
			w.WriteHeader(ee.status)
			json.NewEncoder(w).Encode(map[string]any{"error": ee.err, "error_description": ee.desc, "exception": "imwasm", "timestamp": s.cfg.Now().UnixMilli(), "duration": 0})
			return
		}
		json.NewEncoder(w).Encode(out)
	}
}

func emFromCode(err error) *emError {
	var ae *apiError
	if errors.As(err, &ae) {
		name := "illegal_argument"
		if ae.status == http.StatusNotFound {
			name = "resource_not_found"
		}
		return &emError{ae.status, name, ae.Msg}
	}
	var ce *codes.Error
	if errors.As(err, &ce) {
		return &emError{http.StatusBadRequest, "illegal_argument", ce.Msg}
	}
	return &emError{http.StatusInternalServerError, "internal_server_error", "server error"}
}

func emDecode(r *http.Request, v any) error {
	if err := decodeOne(r.Body, v, false); err != nil {
		return emBad("the body must be JSON: " + err.Error())
	}
	return nil
}

// emEntity is Easemob's answer around data.
func (s *Server) emEntity(r *http.Request, action string, data any) map[string]any {
	return map[string]any{"action": action, "application": r.PathValue("app"), "path": strings.TrimPrefix(r.URL.Path, "/compat/easemob"),
		"uri": r.URL.Path, "timestamp": s.cfg.Now().UnixMilli(), "duration": 0, "organization": r.PathValue("org"), "applicationName": r.PathValue("app"), "data": data}
}

// emToken: client_credentials (client_id the app key, client_secret the
// app secret) → an app token; inherit (with the app token) → a user's.
func (s *Server) emToken(r *http.Request) (any, error) {
	var b struct {
		GrantType      string  `json:"grant_type"`
		ClientID       string  `json:"client_id"`
		ClientSecret   string  `json:"client_secret"`
		Username       string  `json:"username"`
		TTL            emCount `json:"ttl"`
		AutoCreateUser bool    `json:"autoCreateUser"`
	}
	if err := emDecode(r, &b); err != nil {
		return nil, err
	}
	switch b.GrantType {
	case "client_credentials":
		if b.ClientID != s.cfg.AppKey || subtle.ConstantTimeCompare([]byte(b.ClientSecret), []byte(s.cfg.AppSecret)) != 1 {
			return nil, &emError{http.StatusUnauthorized, "invalid_grant", "client_id or client_secret is wrong"}
		}
		ttl, err := b.TTL.tokenTTL(emAppTokenTTL)
		if err != nil {
			return nil, err
		}
		tok, err := auth.NewToken([]byte(s.cfg.AppSecret), "app", ttl, true, s.cfg.Now())
		if err != nil {
			return nil, err
		}
		return map[string]any{"access_token": tok, "expires_in": int64(ttl / time.Second), "application": r.PathValue("app")}, nil
	case "inherit":
		if ae := s.adminBearer(r); ae != nil {
			return nil, &emError{http.StatusUnauthorized, "unauthorized", "an app token is required for grant_type inherit"}
		}
		if !contract.ValidID(b.Username) {
			return nil, emBad("username must be an id of 1-64 characters [A-Za-z0-9_.@-]")
		}
		ttl, err := b.TTL.tokenTTL(emUserTokenTTL)
		if err != nil {
			return nil, err
		}
		if b.AutoCreateUser {
			if err := s.register(r.Context(), b.Username, &pb.UserProfile{}); err != nil {
				return nil, err
			}
		} else if _, err := s.emUser(r, b.Username); err != nil {
			return nil, err
		}
		switch a, err := s.store.Access(r.Context(), b.Username); {
		case err != nil:
			return nil, err
		case a.BlockedUntil.After(s.cfg.Now()):
			return nil, &emError{http.StatusBadRequest, "invalid_grant", "user not activated"}
		}
		tok, err := s.issueUserToken(r.Context(), b.Username, ttl, false)
		if err != nil {
			return nil, err
		}
		return map[string]any{"access_token": tok, "expires_in": int64(ttl / time.Second), "user": map[string]any{"username": b.Username, "activated": true}}, nil
	}
	return nil, emBad(`grant_type must be "client_credentials" or "inherit" (imwasm keeps no passwords)`)
}

// emUserTokenTTL is how long a user token lives when its ttl is not given
// (Easemob's default).
const emUserTokenTTL = 60 * 24 * time.Hour

// emCount is a count Easemob's REST API takes as a JSON number or a
// string of one (its own examples send "ttl": "1024000"); set says given.
type emCount struct {
	n   int64
	set bool
}

func (c *emCount) UnmarshalJSON(b []byte) error {
	if s := string(b); s == "null" || s == `""` {
		return nil // not given
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("not a whole number: %s", b)
	}
	c.n, c.set = n, true
	return nil
}

// tokenTTL is a token's life from Easemob's ttl in seconds: def when not
// given, and 0 "permanent" (the longest a token may live here).
func (c emCount) tokenTTL(def time.Duration) (time.Duration, error) {
	switch {
	case !c.set:
		return def, nil
	case c.n < 0 || c.n > MaxDurationSeconds: // (compared as seconds: converted first, it overflowed)
		return 0, emBad("ttl is 0 (permanent) or seconds up to 100 years")
	case c.n == 0:
		return MaxDurationSeconds * time.Second, nil
	}
	return time.Duration(c.n) * time.Second, nil
}

// emUsers: one user or a list ({username, password?, nickname?}): users
// need no registering on imwasm; the nickname becomes the profile name.
func (s *Server) emUsers(r *http.Request) (any, error) {
	type user struct {
		Username string `json:"username"`
		Nickname string `json:"nickname"`
		Password string `json:"password"`
	}
	var raw json.RawMessage
	if err := emDecode(r, &raw); err != nil {
		return nil, err
	}
	var users []user
	if json.Unmarshal(raw, &users) != nil {
		var one user
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, emBad("a user {username} or a list of them")
		}
		users = []user{one}
	}
	// Every name is checked before anyone is registered: a refusal leaves
	// none of the list registered (a corrected retry then works).
	if len(users) == 0 || len(users) > emMaxUsersPerCall {
		return nil, emBad("1-60 users at once")
	}
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if !contract.ValidID(u.Username) {
			return nil, emBad("username must be an id of 1-64 characters [A-Za-z0-9_.@-]")
		}
		known, err := s.registered(r.Context(), u.Username)
		if err != nil {
			return nil, err
		}
		if known || seen[u.Username] {
			return nil, &emError{http.StatusBadRequest, "duplicate_unique_property_exists", "Entity user requires the property named username to be unique: " + u.Username}
		}
		seen[u.Username] = true
	}
	profiles := make([]*pb.UserProfile, len(users))
	for i, u := range users {
		profiles[i] = &pb.UserProfile{}
		if u.Nickname != "" {
			profiles[i].Name, profiles[i].Fields = u.Nickname, contract.ProfName
			if _, err := contract.CheckProfile(profiles[i], true); err != nil { // as register checks it
				return nil, emBad("nickname of " + u.Username + ": " + err.Error())
			}
		}
	}
	entities := make([]map[string]any, 0, len(users))
	for i, u := range users {
		if err := s.register(r.Context(), u.Username, profiles[i]); err != nil {
			return nil, err
		}
		entities = append(entities, map[string]any{"uuid": u.Username, "type": "user", "username": u.Username, "nickname": u.Nickname, "activated": true,
			"created": s.cfg.Now().UnixMilli(), "modified": s.cfg.Now().UnixMilli()})
	}
	out := s.emEntity(r, "post", nil)
	delete(out, "data")
	out["entities"] = entities
	return out, nil
}

// emDeleteUser: the user erased as DELETE /v1/users/{id} erases them.
func (s *Server) emDeleteUser(r *http.Request) (any, error) {
	user, err := s.emUser(r, r.PathValue("user"))
	if err != nil {
		return nil, err
	}
	if _, _, err := s.eraseUser(r.Context(), user); err != nil {
		return nil, err
	}
	out := s.emEntity(r, "delete", nil)
	delete(out, "data")
	out["entities"] = []map[string]any{{"uuid": user, "type": "user", "username": user, "activated": false}}
	return out, nil
}

// emBlock: deactivate blocks the user until activated (connects refused
// with 31009, sessions closed); activate lifts it.
func (s *Server) emBlock(block bool) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		user, err := s.emUser(r, r.PathValue("user"))
		if err != nil {
			return nil, err
		}
		until, action := time.Time{}, "activate user"
		if block {
			until, action = s.cfg.Now().Add(maxBlock), "Deactivate user"
		}
		if err := s.blockUser(r.Context(), user, until, false); err != nil {
			return nil, err
		}
		out := s.emEntity(r, action, nil)
		delete(out, "data")
		if block {
			out["entities"] = []map[string]any{{"uuid": user, "type": "user", "username": user, "activated": false}}
		}
		return out, nil
	}
}

// emRecall: {msg_id, from, to, chat_type: chat | groupchat} → the message
// recalled as the app server recalls it.
func (s *Server) emRecall(r *http.Request) (any, error) {
	var b struct {
		MsgID    string `json:"msg_id"`
		From     string `json:"from"`
		To       string `json:"to"`
		ChatType string `json:"chat_type"`
		Force    bool   `json:"force"`
	}
	if err := emDecode(r, &b); err != nil {
		return nil, err
	}
	typ := map[string]pb.ConversationType{"chat": pb.ConversationType_PRIVATE, "groupchat": pb.ConversationType_GROUP}[b.ChatType]
	if typ == 0 || !contract.ValidID(b.From) || !contract.ValidID(b.To) {
		return nil, emBad("msg_id, from, to and chat_type (chat or groupchat) are required")
	}
	if err := s.appRecall(r.Context(), b.From, typ, b.To, &pb.RecallRequest{MessageUid: b.MsgID}); err != nil {
		return nil, err
	}
	return s.emEntity(r, "post", map[string]any{"recalled": "yes", "chattype": b.ChatType, "from": b.From, "to": b.To, "msg_id": b.MsgID}), nil
}

// emSend: {from, to: [...], type: txt | custom, body, ext?} → sent as POST
// /v1/messages sends; data maps each target to its message id.
func (s *Server) emSend(typ pb.ConversationType) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		var b struct {
			From string          `json:"from"`
			To   []string        `json:"to"`
			Type string          `json:"type"`
			Body json.RawMessage `json:"body"`
			Ext  map[string]any  `json:"ext"`
			// RouteType ROUTE_ONLINE: for the online only.
			RouteType string `json:"routetype"`
		}
		if err := emDecode(r, &b); err != nil {
			return nil, err
		}
		// Easemob's limits per call: 600 users, 3 groups (not adjustable).
		if limit := emSendLimit(typ); len(b.To) > limit {
			return nil, emBad(fmt.Sprintf("param to exceed limit (at most %d a call)", limit))
		}
		if b.From == "" {
			b.From = "admin" // Easemob's default sender
		}
		object, content, err := emContent(b.Type, b.Body, b.Ext)
		if err != nil {
			return nil, err
		}
		m := &apiMessage{FromUserID: b.From, ConversationType: int32(typ), TargetIDs: b.To,
			ObjectName: object, Content: contentText(string(content)), ClientMsgID: "em." + rand.Text()}
		// Easemob's push fields live in ext; ROUTE_ONLINE sends to those
		// online only, stored nowhere: a status message.
		if apns, ok := b.Ext["em_apns_ext"].(map[string]any); ok {
			m.PushContent, _ = apns["em_push_content"].(string)
		}
		m.DisableNotification, _ = b.Ext["em_ignore_notification"].(bool)
		m.IsStatus = b.RouteType == "ROUTE_ONLINE"
		sent, err := s.appSend(r.Context(), m)
		if err != nil {
			return nil, err
		}
		data := make(map[string]string, len(sent))
		for _, m := range sent {
			data[m.TargetID] = m.MessageUID
		}
		return s.emEntity(r, "post", data), nil
	}
}

// emSendLimit is how many targets one send of Easemob's may name.
func emSendLimit(typ pb.ConversationType) int {
	if typ == pb.ConversationType_GROUP {
		return 3
	}
	return 600
}

// emContent is the object name and content of an Easemob message body of
// type typ (txt or custom) with ext, as imwasm/easemob reads them (the
// server routes' sends and imwasm import alike).
func emContent(typ string, body json.RawMessage, ext map[string]any) (string, []byte, error) {
	switch typ {
	case "txt": // RongIMLib's text, which imwasm/easemob reads as txt
		var b struct {
			Msg *string `json:"msg"`
		}
		if err := json.Unmarshal(body, &b); err != nil || b.Msg == nil {
			return "", nil, emBad("a txt body is {msg}: the text, a string")
		}
		c := map[string]any{"content": *b.Msg}
		if len(ext) > 0 {
			c["extra"] = string(mustJSON(ext))
		}
		return "RC:TxtMsg", mustJSON(c), nil
	case "custom": // imwasm/easemob's custom message
		var b struct {
			CustomEvent string            `json:"customEvent"`
			CustomExts  map[string]string `json:"customExts"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return "", nil, emBad("a custom body is {customEvent, customExts}")
		}
		return "EM:CustomMsg", mustJSON(map[string]any{"customEvent": b.CustomEvent, "customExts": b.CustomExts, "ext": ext}), nil
	case "img", "file", "audio", "video", "loc":
		// RongIMLib's media messages, which imwasm/easemob reads as these
		// types; the files stay where url points.
		var b struct {
			URL        string  `json:"url"`
			Filename   string  `json:"filename"`
			FileLength int64   `json:"file_length"`
			Length     int64   `json:"length"` // seconds of audio or video
			Addr       string  `json:"addr"`
			Lat        float64 `json:"lat"`
			Lng        float64 `json:"lng"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return "", nil, emBad("a " + typ + " body is {url, filename, file_length, length} or, for loc, {addr, lat, lng}")
		}
		if typ != "loc" && b.URL == "" {
			return "", nil, emBad("a " + typ + " body needs its url")
		}
		object, c := map[string]string{"img": "RC:ImgMsg", "file": "RC:FileMsg", "audio": "RC:HQVCMsg", "video": "RC:SightMsg", "loc": "RC:LBSMsg"}[typ], map[string]any{}
		switch typ {
		case "img":
			c["imageUri"], c["content"] = b.URL, ""
		case "file":
			c["fileUrl"], c["name"], c["size"], c["type"] = b.URL, b.Filename, b.FileLength, strings.TrimPrefix(path.Ext(b.Filename), ".")
		case "audio":
			c["remoteUrl"], c["name"], c["size"], c["duration"] = b.URL, b.Filename, b.FileLength, b.Length
		case "video":
			c["sightUrl"], c["name"], c["size"], c["duration"], c["content"] = b.URL, b.Filename, b.FileLength, b.Length, ""
		case "loc":
			c["latitude"], c["longitude"], c["poi"], c["content"] = b.Lat, b.Lng, b.Addr, ""
		}
		if len(ext) > 0 {
			c["extra"] = string(mustJSON(ext))
		}
		return object, mustJSON(c), nil
	}
	return "", nil, emBad("type: txt, img, file, audio, video, loc and custom are provided")
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v) // maps of strings and JSON values: cannot fail
	return b
}

// emCreateGroup: {groupname, description?, owner, members?} → {data: {groupid}}.
func (s *Server) emCreateGroup(r *http.Request) (any, error) {
	var b struct {
		Name    string   `json:"groupname"`
		Desc    string   `json:"description"`
		Owner   string   `json:"owner"`
		Members []string `json:"members"`
	}
	if err := emDecode(r, &b); err != nil {
		return nil, err
	}
	if strings.TrimSpace(b.Name) == "" || !contract.ValidID(b.Owner) {
		return nil, emBad("groupname and owner are required")
	}
	info := &pb.GroupInfo{Name: b.Name, Introduction: b.Desc, Fields: contract.FieldName | contract.FieldIntroduction}
	for try := 0; ; try++ {
		// Easemob's ids are numbers: the millisecond and five random
		// digits (two creates at once, by two backends or two nodes, take
		// two ids; one taken all the same is tried again).
		gid := strconv.FormatUint(uint64(s.cfg.Now().UnixMilli())*100000+mrand.Uint64N(100000), 10)
		_, err := s.groupAPI(r.Context(), b.Owner, &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: gid, UserId: b.Owner, UserIds: b.Members, Info: info})
		if codes.Of(err) == codes.RCGroupIDAlreadyExist && try < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return s.emEntity(r, "post", map[string]any{"groupid": gid}), nil
	}
}

// emGroupOp: the group (and user) in the path → the operation as the app
// server. A removal takes several users, comma-separated (Easemob's batch
// removal), and answers a list of results then.
func (s *Server) emGroupOp(op pb.GroupOp) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		gid, user := r.PathValue("group"), r.PathValue("user")
		var users []string
		if user != "" {
			users = []string{user}
			if op == pb.GroupOp_GROUP_KICK {
				users = strings.Split(user, ",")
			}
		}
		if !contract.ValidID(gid) || !validIDs(users) || len(users) > maxAPITargets {
			return nil, emBad("group and user ids are 1-64 characters [A-Za-z0-9_.@-] (at most 1000 users)")
		}
		req := &pb.GroupRequest{Op: op, GroupId: gid}
		if len(users) > 0 {
			req.UserIds, req.UserId = users, users[0]
		}
		if _, err := s.groupAPI(r.Context(), "", req); err != nil {
			return nil, err
		}
		if len(users) > 1 {
			list := make([]map[string]any, len(users))
			for i, u := range users {
				list[i] = map[string]any{"groupid": gid, "result": true, "action": "remove_member", "user": u}
			}
			return s.emEntity(r, "delete", list), nil
		}
		data := map[string]any{"groupid": gid}
		switch op {
		case pb.GroupOp_GROUP_DISMISS:
			data["success"] = true // Easemob's answer to a dismissal
		case pb.GroupOp_GROUP_INVITE:
			data["result"], data["action"], data["user"] = true, "add_member", user
		case pb.GroupOp_GROUP_KICK:
			data["result"], data["action"], data["user"] = true, "remove_member", user
		}
		return s.emEntity(r, strings.ToLower(r.Method), data), nil
	}
}

// emGroupMembers: the group's members as Easemob lists them ({owner} or {member}).
func (s *Server) emGroupMembers(r *http.Request) (any, error) {
	gid := r.PathValue("group")
	if !contract.ValidID(gid) {
		return nil, emBad("group ids are 1-64 characters [A-Za-z0-9_.@-]")
	}
	g, err := s.groups.get(r.Context(), gid)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	data := make([]map[string]string, 0, len(g.list))
	for _, u := range g.list {
		if u == g.g.OwnerID {
			data = append(data, map[string]string{"owner": u})
		} else {
			data = append(data, map[string]string{"member": u})
		}
	}
	return s.emEntity(r, "get", data), nil
}
