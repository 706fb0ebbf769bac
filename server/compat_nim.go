package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// NetEase Yunxin's server API under /compat/nim/nimserver/ (docs/http-api.md),
// for a backend written against api.netease.im/nimserver/: AppKey / Nonce
// / CurTime / CheckSum headers, form parameters, {"code": 200, …}
// answers. Each route calls what the admin API calls.

// NIM's answer codes this API gives.
const (
	nimOK       = 200
	nimBadParam = 414 // a parameter missing or malformed
	nimDenied   = 403 // the checksum, or an operation not allowed
	nimServer   = 500
)

// nimError is a refusal as NIM answers it (HTTP 200 with its code).
type nimError struct {
	code int
	desc string
}

func (e *nimError) Error() string { return e.desc }

func nimBad(desc string) *nimError { return &nimError{nimBadParam, desc} }

func (s *Server) routeCompatNIM() {
	for path, h := range map[string]func(*http.Request) (map[string]any, error){
		"user/create.action":       s.nimCreateUser,
		"user/updateUinfo.action":  s.nimUpdateUser,
		"user/refreshToken.action": s.nimRefreshToken,
		"user/block.action":        s.nimBlockUser,
		"user/unblock.action":      s.nimUnblockUser,
		"user/getUinfos.action":    s.nimUserInfos,
		"msg/sendMsg.action":       s.nimSendMsg,
		"msg/recall.action":        s.nimRecall,
		"team/leave.action":        s.nimLeaveTeam,
		"team/query.action":        s.nimQueryTeams,
		"team/create.action":       s.nimCreateTeam,
		"team/add.action":          s.nimTeamOp(pb.GroupOp_GROUP_INVITE, "members"),
		"team/kick.action":         s.nimTeamOp(pb.GroupOp_GROUP_KICK, "member"),
		"team/remove.action":       s.nimTeamOp(pb.GroupOp_GROUP_DISMISS, ""),
	} {
		s.mux.HandleFunc("POST /compat/nim/nimserver/"+path, s.nim(h))
	}
}

// nim checks NIM's CheckSum (SHA1(appSecret + Nonce + CurTime), hex) and
// answers h's result in NIM's shape.
func (s *Server) nim(h func(*http.Request) (map[string]any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := func() (map[string]any, error) {
			if why := s.checkSigned(r, signedHeaders{"AppKey", "Nonce", "CurTime", "CheckSum"}); why != "" {
				return nil, &nimError{nimDenied, why}
			}
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil {
				return nil, nimBad("the body must be form parameters")
			}
			if name := formNotText(r.Form); name != "" {
				return nil, nimBad(name + " must be UTF-8 text without U+0000")
			}
			return h(r)
		}()
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		if err != nil {
			var ne *nimError
			if !errors.As(err, &ne) {
				ne = nimFromCode(err)
			}
			json.NewEncoder(w).Encode(map[string]any{"code": ne.code, "desc": ne.desc})
			return
		}
		if out == nil {
			out = map[string]any{}
		}
		out["code"] = nimOK
		json.NewEncoder(w).Encode(out)
	}
}

// nimFromCode turns an engine or admin API refusal into NIM's answer.
func nimFromCode(err error) *nimError {
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.status == http.StatusNotFound || ae.status == http.StatusForbidden {
			return &nimError{nimDenied, ae.Msg}
		}
		return &nimError{nimBadParam, ae.Msg}
	}
	var ce *codes.Error
	if errors.As(err, &ce) {
		return &nimError{nimBadParam, ce.Msg}
	}
	return &nimError{nimServer, "server error"}
}

// nimID reads the id parameter name.
func nimID(r *http.Request, name string) (string, error) {
	id := r.PostForm.Get(name)
	if !contract.ValidID(id) {
		return "", nimBad(name + " must be an id of 1-64 characters [A-Za-z0-9_.@-]")
	}
	return id, nil
}

// nimIDs reads a JSON array of ids (NIM's members).
func nimIDs(r *http.Request, name string) ([]string, error) {
	var ids []string
	if err := json.Unmarshal([]byte(r.PostForm.Get(name)), &ids); err != nil || len(ids) == 0 || len(ids) > maxAPITargets || !validIDs(ids) {
		return nil, nimBad(name + " must be a JSON array of 1-1000 ids")
	}
	return ids, nil
}

// nimCreateUser: accid, name?, icon? → {info: {token, accid, name}}. A
// token parameter is refused: tokens are the server's to mint.
func (s *Server) nimCreateUser(r *http.Request) (map[string]any, error) {
	accid, err := nimID(r, "accid")
	if err != nil {
		return nil, err
	}
	if r.PostForm.Get("token") != "" {
		return nil, nimBad("token: imwasm mints the tokens (leave it out)")
	}
	switch known, err := s.registered(r.Context(), accid); {
	case err != nil:
		return nil, err
	case known:
		return nil, nimBad("already register")
	}
	if err := s.register(r.Context(), accid, formProfile(r, "name", "icon")); err != nil {
		return nil, err
	}
	tok, err := s.vendorToken(r.Context(), accid)
	if err != nil {
		return nil, err
	}
	return map[string]any{"info": map[string]any{"token": tok, "accid": accid, "name": r.PostForm.Get("name")}}, nil
}

// nimUpdateUser: accid, name?, icon? → the profile updated.
func (s *Server) nimUpdateUser(r *http.Request) (map[string]any, error) {
	accid, err := s.nimUser(r, "accid")
	if err != nil {
		return nil, err
	}
	return nil, s.setProfile(r.Context(), accid, formProfile(r, "name", "icon"))
}

// nimUser reads a registered user's id parameter: one never registered
// is refused as NIM refuses it (414 "… is not registered").
func (s *Server) nimUser(r *http.Request, name string) (string, error) {
	id, err := nimID(r, name)
	if err != nil {
		return "", err
	}
	switch known, err := s.registered(r.Context(), id); {
	case err != nil:
		return "", err
	case !known:
		return "", nimBad(id + " is not registered")
	}
	return id, nil
}

// nimUserInfos: accids (JSON, 1-200) → {uinfos: [{accid, name, icon}]}.
func (s *Server) nimUserInfos(r *http.Request) (map[string]any, error) {
	accids, err := nimIDs(r, "accids")
	if err != nil {
		return nil, err
	}
	if len(accids) > 200 {
		return nil, nimBad("accids: at most 200")
	}
	ps, err := s.store.People(r.Context(), accids)
	if err != nil {
		return nil, err
	}
	infos := make([]map[string]any, len(accids))
	for i, a := range accids {
		p := profileOf(ps[a], a)
		infos[i] = map[string]any{"accid": a, "name": p.Name, "icon": p.PortraitUri}
	}
	return map[string]any{"uinfos": infos}, nil
}

// nimRefreshToken: accid → the user's earlier tokens revoked, a new one.
func (s *Server) nimRefreshToken(r *http.Request) (map[string]any, error) {
	accid, err := s.nimUser(r, "accid")
	if err != nil {
		return nil, err
	}
	if _, err := s.revokeThisSecond(r.Context(), accid); err != nil {
		return nil, err
	}
	tok, err := s.vendorToken(r.Context(), accid) // good from the second after the revocation
	if err != nil {
		return nil, err
	}
	return map[string]any{"info": map[string]any{"token": tok, "accid": accid}}, nil
}

// nimBlockUser: accid, needkick → the user blocked until unblocked: their
// connects refused (31009), their sessions closed when needkick is true.
func (s *Server) nimBlockUser(r *http.Request) (map[string]any, error) {
	accid, err := s.nimUser(r, "accid")
	if err != nil {
		return nil, err
	}
	keep := r.PostForm.Get("needkick") != "true"
	return nil, s.blockUser(r.Context(), accid, s.cfg.Now().Add(maxBlock), keep)
}

// nimUnblockUser: accid → the block lifted; the user's token works again.
func (s *Server) nimUnblockUser(r *http.Request) (map[string]any, error) {
	accid, err := s.nimUser(r, "accid")
	if err != nil {
		return nil, err
	}
	return nil, s.blockUser(r.Context(), accid, time.Time{}, false)
}

// nimSendMsg: from, ope (0 p2p, 1 team), to, type (0 text, 100 custom),
// body (JSON), option?, pushcontent?, payload? → sent as POST /v1/messages
// sends.
func (s *Server) nimSendMsg(r *http.Request) (map[string]any, error) {
	f := r.PostForm
	typ := map[string]pb.ConversationType{"0": pb.ConversationType_PRIVATE, "1": pb.ConversationType_GROUP}[f.Get("ope")]
	if typ == 0 {
		return nil, nimBad("ope must be 0 (p2p) or 1 (team)")
	}
	b := &apiMessage{FromUserID: f.Get("from"), ConversationType: int32(typ), TargetIDs: []string{f.Get("to")},
		ClientMsgID: "nim." + rand.Text(), PushContent: f.Get("pushcontent"), PushData: f.Get("payload")}
	object, content, err := nimContent(f.Get("type"), f.Get("body"))
	if err != nil {
		return nil, err
	}
	// option: NIM's switches, of which history (kept for history) and
	// badge (counted as unread) have imwasm's counterparts.
	if o := f.Get("option"); o != "" {
		var opt map[string]bool
		if err := json.Unmarshal([]byte(o), &opt); err != nil {
			return nil, nimBad("option must be a JSON object of booleans")
		}
		if v, ok := opt["history"]; ok {
			b.IsPersisted = &v
		}
		if v, ok := opt["badge"]; ok {
			b.IsCounted = &v
		}
	}
	b.ObjectName, b.Content = object, contentText(string(content))
	sent, err := s.appSend(r.Context(), b)
	if err != nil {
		return nil, err
	}
	return map[string]any{"data": map[string]any{"msgid": sent[0].MessageUID, "timetag": sent[0].SentTime, "antispam": false}}, nil
}

// nimRecall: deleteMsgid, timetag, type (7 p2p, 8 team), from, to, msg? →
// the message recalled as the app server recalls it (msg: the notice's
// extra).
func (s *Server) nimRecall(r *http.Request) (map[string]any, error) {
	from, err := nimID(r, "from")
	if err != nil {
		return nil, err
	}
	to, err := nimID(r, "to")
	if err != nil {
		return nil, err
	}
	f := r.PostForm
	typ := map[string]pb.ConversationType{"7": pb.ConversationType_PRIVATE, "8": pb.ConversationType_GROUP}[f.Get("type")]
	if typ == 0 {
		return nil, nimBad("type must be 7 (p2p) or 8 (team)")
	}
	sent, _ := strconv.ParseInt(f.Get("timetag"), 10, 64)
	return nil, s.appRecall(r.Context(), from, typ, to, &pb.RecallRequest{MessageUid: f.Get("deleteMsgid"), SentTime: sent, Extra: f.Get("msg")})
}

// nimLeaveTeam: tid, accid → accid leaves the team.
func (s *Server) nimLeaveTeam(r *http.Request) (map[string]any, error) {
	tid, err := nimID(r, "tid")
	if err != nil {
		return nil, err
	}
	accid, err := nimID(r, "accid")
	if err != nil {
		return nil, err
	}
	return nil, s.quitAs(r.Context(), tid, []string{accid})
}

// nimQueryTeams: tids (JSON list), ope (1: with members) → {tinfos: [{tid,
// tname, owner, size, members?}]}.
func (s *Server) nimQueryTeams(r *http.Request) (map[string]any, error) {
	tids, err := nimIDs(r, "tids")
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(tids))
	for _, tid := range tids {
		g, err := s.groups.get(r.Context(), tid)
		if err != nil {
			return nil, mapStoreErr(err)
		}
		t := map[string]any{"tid": tid, "tname": g.g.Name, "owner": g.owner, "size": len(g.list), "createtime": g.g.Created}
		if r.PostForm.Get("ope") == "1" {
			t["members"] = slices.DeleteFunc(slices.Clone(g.list), func(u string) bool { return u == g.owner })
		}
		out = append(out, t)
	}
	return map[string]any{"tinfos": out}, nil
}

// nimContent is the object name and content of a NIM message of type typ
// (0 text, 100 custom) with body (JSON), as imwasm/nim reads them (the
// server routes' sends and imwasm import alike).
func nimContent(typ, body string) (string, []byte, error) {
	var b map[string]any
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return "", nil, nimBad("body must be a JSON object")
	}
	switch typ {
	case "0": // text: body {msg}, the text RongIMLib and imwasm/nim both read
		text, ok := b["msg"].(string)
		if !ok {
			return "", nil, nimBad("a text's body is {msg}: the text, a string")
		}
		return "RC:TxtMsg", mustJSON(map[string]string{"content": text}), nil
	case "100": // custom: imwasm/nim's custom message, attach = body
		return "NIM:CustomMsg", mustJSON(map[string]string{"attach": body, "body": ""}), nil
	}
	return "", nil, nimBad("type: 0 (text) and 100 (custom) are provided")
}

// nimCreateTeam: tname, owner, members (JSON), msg, … → {tid}: a new team
// the module names, owned by owner, with members in it.
func (s *Server) nimCreateTeam(r *http.Request) (map[string]any, error) {
	owner, err := nimID(r, "owner")
	if err != nil {
		return nil, err
	}
	members, err := nimIDs(r, "members")
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(r.PostForm.Get("tname"))
	if name == "" {
		return nil, nimBad("tname is required")
	}
	tid := "t" + strings.ToLower(rand.Text()[:16])
	req := &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: tid, UserId: owner, UserIds: members,
		Info: &pb.GroupInfo{Name: name, Fields: contract.FieldName}}
	if _, err := s.groupAPI(r.Context(), owner, req); err != nil {
		return nil, err
	}
	return map[string]any{"tid": tid}, nil
}

// nimTeamOp: tid, owner, and members (JSON) or member → the operation as
// the app server does it, named after owner, who must be the team's owner
// (or, to add and kick, a manager), as NIM's routes require.
func (s *Server) nimTeamOp(op pb.GroupOp, users string) func(*http.Request) (map[string]any, error) {
	return func(r *http.Request) (map[string]any, error) {
		tid, err := nimID(r, "tid")
		if err != nil {
			return nil, err
		}
		owner, err := nimID(r, "owner")
		if err != nil {
			return nil, err
		}
		g, err := s.groups.get(r.Context(), tid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &nimError{nimDenied, "no such team"}
		} else if err != nil {
			return nil, err
		}
		switch role := g.members[owner]; {
		case role == contract.RoleOwner:
		case op == pb.GroupOp_GROUP_DISMISS:
			return nil, &nimError{nimDenied, owner + " is not the team's owner"}
		case role != contract.RoleManager:
			return nil, &nimError{nimDenied, owner + " is neither the team's owner nor a manager"}
		}
		var kickManager bool // a manager kicks ordinary members only
		req := &pb.GroupRequest{Op: op, GroupId: tid}
		switch users {
		case "members":
			if req.UserIds, err = nimIDs(r, "members"); err != nil {
				return nil, err
			}
		case "member":
			m, err := nimID(r, "member")
			if err != nil {
				return nil, err
			}
			req.UserIds, req.UserId = []string{m}, m
			kickManager = g.members[owner] == contract.RoleManager && g.members[m] >= contract.RoleManager
		}
		if kickManager {
			return nil, &nimError{nimDenied, owner + " is a manager: only the owner removes a manager"}
		}
		if _, err := s.groupAPI(r.Context(), owner, req); err != nil {
			return nil, err
		}
		return nil, nil
	}
}
