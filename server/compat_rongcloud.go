package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// RongCloud's server API under /compat/rongcloud/ (docs/http-api.md): a
// backend written against api-cn.ronghub.com, or RongCloud's server SDKs,
// changes only its base URL. Each route calls what the admin API calls;
// only the shapes are RongCloud's: form parameters, App-Key / Nonce /
// Timestamp / Signature headers, {"code": 200, …} answers.

// RongCloud's answer codes this API gives.
const (
	rcOK        = 200
	rcBadParam  = 1002 // a parameter missing or malformed
	rcSignature = 1004 // App-Key, Signature or Timestamp wrong
	rcServer    = 1000 // the server failed
)

// rcError is a refusal as RongCloud answers it.
type rcError struct {
	status int
	code   int
	msg    string
}

func (e *rcError) Error() string { return e.msg }

func rcBad(msg string) *rcError { return &rcError{http.StatusBadRequest, rcBadParam, msg} }

func (s *Server) routeCompatRongCloud() {
	for path, h := range map[string]func(*http.Request) (map[string]any, error){
		"user/getToken.json":               s.rcGetToken,
		"user/refresh.json":                s.rcRefreshUser,
		"user/info.json":                   s.rcUserInfo,
		"user/token/expire.json":           s.rcExpireTokens,
		"user/block.json":                  s.rcBlock(true),
		"user/unblock.json":                s.rcBlock(false),
		"user/blockPushPeriod/set.json":    s.rcQuietHours("set"),
		"user/blockPushPeriod/get.json":    s.rcQuietHours("get"),
		"user/blockPushPeriod/delete.json": s.rcQuietHours("delete"),
		// System messages come in the private conversation with their
		// sender (RongIMLib's conversation type 6 is not there yet).
		"message/system/publish.json":  s.rcPublish(pb.ConversationType_PRIVATE, "toUserId"),
		"message/private/publish.json": s.rcPublish(pb.ConversationType_PRIVATE, "toUserId"),
		"message/group/publish.json":   s.rcPublish(pb.ConversationType_GROUP, "toGroupId"),
		"group/create.json":            s.rcGroupOp(pb.GroupOp_GROUP_CREATE),
		"group/join.json":              s.rcGroupOp(pb.GroupOp_GROUP_INVITE),
		"group/quit.json":              s.rcGroupOp(pb.GroupOp_GROUP_QUIT),
		"group/dismiss.json":           s.rcGroupOp(pb.GroupOp_GROUP_DISMISS),
		"group/user/query.json":        s.rcGroupMembers,
		"message/recall.json":          s.rcRecall,
	} {
		s.mux.HandleFunc("POST /compat/rongcloud/"+path, s.rongcloud(h))
	}
}

// rongcloud checks RongCloud's signature (SHA1(appSecret + Nonce +
// Timestamp), hex) and answers h's result in RongCloud's shape.
func (s *Server) rongcloud(h func(*http.Request) (map[string]any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := func() (map[string]any, error) {
			if err := s.rcVerify(r); err != nil {
				return nil, err
			}
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil {
				return nil, rcBad("the body must be form parameters")
			}
			if name := formNotText(r.Form); name != "" {
				return nil, rcBad(name + " must be UTF-8 text without U+0000")
			}
			return h(r)
		}()
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			var re *rcError
			if !errors.As(err, &re) {
				re = rcFromCode(err)
			}
			w.WriteHeader(re.status)
			json.NewEncoder(w).Encode(map[string]any{"code": re.code, "errorMessage": re.msg})
			return
		}
		if out == nil {
			out = map[string]any{}
		}
		out["code"] = rcOK
		json.NewEncoder(w).Encode(out)
	}
}

func (s *Server) rcVerify(r *http.Request) error {
	if why := s.checkSigned(r, signedHeaders{"App-Key", "Nonce", "Timestamp", "Signature"}); why != "" {
		return &rcError{http.StatusUnauthorized, rcSignature, why}
	}
	return nil
}

// rcFromCode turns an engine refusal (or an admin API one) into RongCloud's
// answer: a bad parameter (the engine's 33003 and INVALID_PARAMETER_*
// 342xx) is RongCloud's 1002.
func rcFromCode(err error) *rcError {
	var ae *apiError
	var ce *codes.Error
	switch {
	case errors.As(err, &ae):
		if rcBadCode(ae.Code) {
			return &rcError{ae.status, rcBadParam, ae.Msg}
		}
		return &rcError{ae.status, int(ae.Code), ae.Msg}
	case errors.As(err, &ce):
		if rcBadCode(ce.Code) {
			return rcBad(ce.Msg)
		}
		return &rcError{http.StatusBadRequest, int(ce.Code), ce.Msg}
	}
	return &rcError{http.StatusInternalServerError, rcServer, "server error"}
}

func rcBadCode(code int32) bool {
	return code == codes.InvalidParameter || code >= 34200 && code < 34300
}

// rcUser reads the one user id parameter name.
func rcUser(r *http.Request, name string) (string, error) {
	id := r.PostForm.Get(name)
	if !contract.ValidID(id) {
		return "", rcBad(name + " must be an id of 1-64 characters [A-Za-z0-9_.@-]")
	}
	return id, nil
}

// rcUsers reads a repeated user id parameter (1-1000).
func rcUsers(r *http.Request, name string) ([]string, error) {
	ids := r.PostForm[name]
	if len(ids) == 0 || len(ids) > maxAPITargets || !validIDs(ids) {
		return nil, rcBad(name + ": 1-1000 ids")
	}
	return ids, nil
}

// rcGetToken: userId, name, portraitUri → a token for the user (and the
// profile set). RongCloud's tokens do not expire: these are static where
// the app allows it (staticTokens), else live for the longest a token may;
// user/token/expire.json revokes them.
func (s *Server) rcGetToken(r *http.Request) (map[string]any, error) {
	user, err := rcUser(r, "userId")
	if err != nil {
		return nil, err
	}
	if err := s.register(r.Context(), user, formProfile(r, "name", "portraitUri")); err != nil {
		return nil, err
	}
	tok, err := s.vendorToken(r.Context(), user)
	if err != nil {
		return nil, err
	}
	return map[string]any{"userId": user, "token": tok}, nil
}

// rcRefreshUser: userId, name?, portraitUri? → the profile updated.
func (s *Server) rcRefreshUser(r *http.Request) (map[string]any, error) {
	user, err := rcUser(r, "userId")
	if err != nil {
		return nil, err
	}
	return nil, s.setProfile(r.Context(), user, formProfile(r, "name", "portraitUri"))
}

// rcUserInfo: userId → {userName, userPortrait, createTime} (empty for a
// user with no profile: users need no registering).
func (s *Server) rcUserInfo(r *http.Request) (map[string]any, error) {
	user, err := rcUser(r, "userId")
	if err != nil {
		return nil, err
	}
	ps, err := s.store.People(r.Context(), []string{user})
	if err != nil {
		return nil, err
	}
	p := profileOf(ps[user], user)
	return map[string]any{"userName": p.Name, "userPortrait": p.PortraitUri, "createTime": ""}, nil
}

// rcExpireTokens: userId (1-20), time (ms) → tokens issued before time
// refused from now on.
func (s *Server) rcExpireTokens(r *http.Request) (map[string]any, error) {
	users, err := rcUsers(r, "userId")
	if err != nil {
		return nil, err
	}
	if len(users) > 20 {
		return nil, rcBad("userId: at most 20 a call") // RongCloud's limit
	}
	ms, err := strconv.ParseInt(r.PostForm.Get("time"), 10, 64)
	// A revocation never moves back: a time ahead of now (microseconds
	// taken for milliseconds) would refuse every token the user is ever given.
	if err != nil || ms <= 0 || time.UnixMilli(ms).After(s.cfg.Now().Add(time.Minute)) {
		return nil, rcBad("time must be a time in milliseconds, not after now")
	}
	for _, u := range users {
		if err := s.store.RevokeTokens(r.Context(), u, time.UnixMilli(ms)); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// rcBlock: userId (repeated), minute (1-43200) → the users blocked for
// that long (connects refused with 31009, sessions closed); unblocking:
// userId (repeated) → their blocks lifted.
func (s *Server) rcBlock(block bool) func(*http.Request) (map[string]any, error) {
	return func(r *http.Request) (map[string]any, error) {
		users, err := rcUsers(r, "userId")
		if err != nil {
			return nil, err
		}
		var until time.Time
		if block {
			minutes, err := strconv.Atoi(r.PostForm.Get("minute"))
			if err != nil || minutes < 1 || minutes > 43200 {
				return nil, rcBad("minute must be 1-43200")
			}
			until = s.cfg.Now().Add(time.Duration(minutes) * time.Minute)
		}
		for _, u := range users {
			if err := s.blockUser(r.Context(), u, until, false); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}

// rcQuietHours: a user's quiet hours (RongIMLib's
// setNotificationQuietHoursWithSetting) — set: userId, startTime, period
// (minutes; 0 removes them), level (1 or 5), timezone?; get answers
// {startTime, period, unPushLevel}; delete removes them.
func (s *Server) rcQuietHours(op string) func(*http.Request) (map[string]any, error) {
	return func(r *http.Request) (map[string]any, error) {
		user, err := rcUser(r, "userId")
		if err != nil {
			return nil, err
		}
		f := r.PostForm
		switch op {
		case "get":
			q, err := s.quietHoursOf(r.Context(), user)
			if err != nil || q == nil {
				return map[string]any{"data": map[string]any{"startTime": "", "period": 0, "unPushLevel": 0}}, err
			}
			return map[string]any{"data": map[string]any{"startTime": q.StartTime, "period": q.SpanMinutes, "unPushLevel": q.Level}}, nil
		case "set":
			period, err1 := strconv.Atoi(f.Get("period"))
			level, err2 := strconv.Atoi(f.Get("level"))
			if err1 != nil || err2 != nil || period < 0 || period > contract.MaxQuietSpanMinutes || level != contract.QuietLevelMention && level != contract.QuietLevelBlocked {
				return nil, rcBad("period must be 0-1439 and level 1 or 5")
			}
			if period > 0 {
				q := &pb.QuietHours{StartTime: f.Get("startTime"), SpanMinutes: int32(period), Level: int32(level), Timezone: f.Get("timezone")}
				return nil, s.setQuietHours(r.Context(), user, q)
			}
		}
		return nil, s.setQuietHours(r.Context(), user, nil)
	}
}

// rcPublish: fromUserId, to (repeated), objectName, content (JSON),
// pushContent, pushData, isPersisted, isCounted → sent as POST
// /v1/messages sends.
func (s *Server) rcPublish(typ pb.ConversationType, to string) func(*http.Request) (map[string]any, error) {
	return func(r *http.Request) (map[string]any, error) {
		f := r.PostForm
		var badFlag string
		flag := func(name string) *bool {
			switch v := f.Get(name); v {
			case "":
				return nil
			case "1", "true", "0", "false":
				b := v == "1" || v == "true"
				return &b
			default:
				badFlag = name
				return nil
			}
		}
		b := &apiMessage{
			FromUserID: f.Get("fromUserId"), ConversationType: int32(typ), TargetIDs: f[to], ObjectName: f.Get("objectName"),
			Content: contentText(f.Get("content")), ClientMsgID: "rcs." + rand.Text(),
			IsPersisted: flag("isPersisted"), IsCounted: flag("isCounted"), PushContent: f.Get("pushContent"), PushData: f.Get("pushData"),
			DisableNotification: f.Get("disablePush") == "true" || f.Get("disablePush") == "1",
		}
		mentioned := flag("isMentioned")
		if badFlag != "" {
			return nil, rcBad(badFlag + " must be 0 or 1")
		}
		if m := mentioned; m != nil && *m {
			// RongCloud's @ message: its mentionedInfo is in the content
			// (appSend refuses the send when it is not).
			var c struct {
				MentionedInfo *apiMention `json:"mentionedInfo"`
			}
			b.IsMentioned = true
			if json.Unmarshal([]byte(f.Get("content")), &c) == nil {
				b.MentionedInfo = c.MentionedInfo
			}
		}
		sent, err := s.appSend(r.Context(), b)
		if err != nil {
			return nil, err
		}
		uids := make([]map[string]any, len(sent))
		for i, m := range sent {
			uids[i] = map[string]any{"userId": m.TargetID, "messageUID": m.MessageUID}
			if typ == pb.ConversationType_GROUP {
				uids[i] = map[string]any{"groupId": m.TargetID, "messageUID": m.MessageUID}
			}
		}
		return map[string]any{"messageUIDs": uids}, nil
	}
}

// rcGroupOp: userId (repeated), groupId, groupName → the group operation
// as the app server does it (create: the first userId owns the group).
func (s *Server) rcGroupOp(op pb.GroupOp) func(*http.Request) (map[string]any, error) {
	return func(r *http.Request) (map[string]any, error) {
		gid := r.PostForm.Get("groupId")
		if !contract.ValidID(gid) {
			return nil, rcBad("groupId must be an id of 1-64 characters [A-Za-z0-9_.@-]")
		}
		users, err := rcUsers(r, "userId")
		if err != nil && op != pb.GroupOp_GROUP_DISMISS {
			return nil, err
		}
		req := &pb.GroupRequest{Op: op, GroupId: gid, UserIds: users}
		operator := ""
		switch op {
		case pb.GroupOp_GROUP_CREATE:
			name := r.PostForm.Get("groupName")
			if name == "" {
				name = gid
			}
			req.UserId, req.Info, operator = users[0], &pb.GroupInfo{Name: name, Fields: contract.FieldName}, users[0]
		case pb.GroupOp_GROUP_QUIT:
			// The quit's own shape first: a quit refused hands nothing on.
			if err := contract.CheckAppGroupRequest(&pb.GroupRequest{Op: pb.GroupOp_GROUP_KICK, GroupId: gid, UserId: users[0], UserIds: users}); err != nil {
				return nil, err
			}
			if gone, err := s.handOver(r.Context(), gid, users); gone || err != nil {
				return nil, err
			}
			return nil, s.quitAs(r.Context(), gid, users)
		}
		if _, err := s.groupAPI(r.Context(), operator, req); err != nil {
			return nil, err
		}
		return nil, nil
	}
}

// rcRecall: fromUserId, conversationType (1, 3), targetId, messageUID,
// sentTime?, isAdmin?, isDelete?, extra?, disablePush? → the message
// recalled as its sender (or a group's admin) recalls it, whatever the
// recall window (the app server's recall).
func (s *Server) rcRecall(r *http.Request) (map[string]any, error) {
	f := r.PostForm
	from, err := rcUser(r, "fromUserId")
	if err != nil {
		return nil, err
	}
	target, err := rcUser(r, "targetId")
	if err != nil {
		return nil, err
	}
	typ := map[string]pb.ConversationType{"1": pb.ConversationType_PRIVATE, "3": pb.ConversationType_GROUP}[f.Get("conversationType")]
	if typ == 0 {
		return nil, rcBad("conversationType must be 1 (private) or 3 (group)")
	}
	sent, _ := strconv.ParseInt(f.Get("sentTime"), 10, 64)
	yes := func(name string) bool { v := f.Get(name); return v == "1" || v == "true" } // as the publish routes take them
	req := &pb.RecallRequest{MessageUid: f.Get("messageUID"), SentTime: sent, IsAdmin: yes("isAdmin"),
		IsDelete: yes("isDelete"), Extra: f.Get("extra"), DisableNotification: yes("disablePush")}
	return nil, s.appRecall(r.Context(), from, typ, target, req)
}

// rcGroupMembers: groupId → {users: [{id}]}.
func (s *Server) rcGroupMembers(r *http.Request) (map[string]any, error) {
	gid := r.PostForm.Get("groupId")
	if !contract.ValidID(gid) {
		return nil, rcBad("groupId must be an id of 1-64 characters [A-Za-z0-9_.@-]")
	}
	g, err := s.groups.get(r.Context(), gid)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	users := make([]map[string]any, len(g.list))
	for i, u := range g.list {
		users[i] = map[string]any{"id": u}
	}
	return map[string]any{"users": users}, nil
}
