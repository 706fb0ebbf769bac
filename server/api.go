package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/cors"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/store"
)

// apiError is the JSON body of every refusal.
type apiError struct {
	status int
	Code   int32  `json:"code"`
	Msg    string `json:"msg"`
}

func (e *apiError) Error() string { return e.Msg }

func badRequest(msg string) *apiError {
	return &apiError{http.StatusBadRequest, codes.InvalidParameter, msg}
}

func (s *Server) routeAPI() {
	s.mux.HandleFunc("POST /v1/users/{id}/token", s.admin(s.apiUserToken))
	s.mux.HandleFunc("POST /v1/users/{id}/kick", s.admin(s.apiKick))
	s.mux.HandleFunc("GET /v1/users/{id}/push", s.admin(s.apiUserPush))
	s.mux.HandleFunc("POST /v1/users/{id}/block", s.admin(s.apiBlockUser))
	s.mux.HandleFunc("DELETE /v1/users/{id}/block", s.admin(s.apiUnblockUser))
	s.mux.HandleFunc("POST /v1/groups", s.admin(s.apiCreateGroup))
	s.mux.HandleFunc("GET /v1/groups/{id}", s.admin(s.apiGetGroup))
	s.mux.HandleFunc("POST /v1/groups/{id}/members", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_INVITE, usersBody)))
	s.mux.HandleFunc("DELETE /v1/groups/{id}/members/{userId}", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_KICK, nil)))
	s.mux.HandleFunc("PUT /v1/groups/{id}", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_UPDATE_INFO, infoBody)))
	s.mux.HandleFunc("DELETE /v1/groups/{id}", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_DISMISS, nil)))
	s.mux.HandleFunc("POST /v1/groups/{id}/managers", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_ADD_MANAGERS, usersBody)))
	s.mux.HandleFunc("DELETE /v1/groups/{id}/managers/{userId}", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_REMOVE_MANAGERS, nil)))
	s.mux.HandleFunc("POST /v1/groups/{id}/owner", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_TRANSFER, usersBody)))
	s.mux.HandleFunc("POST /v1/groups/{id}/mute", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_MUTE_MEMBERS, usersBody)))
	s.mux.HandleFunc("PUT /v1/groups/{id}/mute-all", s.admin(s.apiGroupOp(pb.GroupOp_GROUP_MUTE_ALL, muteAllBody)))
	s.mux.HandleFunc("POST /v1/messages", s.admin(s.apiSendMessages))
	s.mux.HandleFunc("DELETE /v1/users/{id}", s.admin(s.apiEraseUser))
	s.routePeopleAPI()
	s.routeChatroomAPI()
	s.routeUltraGroupAPI()
	s.routeImport()
	s.mux.HandleFunc("GET /v1/settings", s.admin(s.apiGetSettings))
	s.mux.HandleFunc("PUT /v1/settings", s.admin(s.apiPutSettings))
	s.mux.HandleFunc("POST /v1/files", s.handleUpload)
	s.mux.HandleFunc("GET /v1/files/{id}", s.handleDownload)
}

// originAllowed applies --allowed-origins (exact matches; empty: any) to
// the API's CORS and to WebSocket upgrades alike.
func (s *Server) originAllowed(origin string) bool {
	return len(s.cfg.AllowedOrigins) == 0 || slices.Contains(s.cfg.AllowedOrigins, origin)
}

// cors lets browser apps on other origins call the API; the bearer token,
// never a cookie, is what authorizes.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cors.Apply(w, r, s.originAllowed) {
			next.ServeHTTP(w, r)
		}
	})
}

// admin wraps a handler that needs an app-server token and answers JSON.
// adminBearer checks that r carries the app server's bearer token.
func (s *Server) adminBearer(r *http.Request) *apiError {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "bearer token required"}
	}
	c, err := auth.Verify([]byte(s.cfg.AppSecret), tok, s.cfg.Now())
	if errors.Is(err, auth.ErrExpired) {
		return &apiError{http.StatusUnauthorized, codes.ConnTokenExpired, "token expired"}
	}
	if err != nil {
		return &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "token invalid"}
	}
	if !c.IsAdmin() {
		return &apiError{http.StatusForbidden, codes.ConnTokenIncorrect, "app-server token required"}
	}
	return nil
}

func (s *Server) admin(h func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := func() (any, error) {
			if ae := s.adminBearer(r); ae != nil {
				return nil, ae
			}
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			return h(r)
		}()
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				s.log.Error("api", "path", r.URL.Path, "err", err)
				ae = &apiError{http.StatusInternalServerError, codes.Timeout, "server error"}
			}
			s.writeAPI(w, nil, ae)
			return
		}
		s.writeAPI(w, v, nil)
	}
}

// writeAPI answers JSON: {code: 0, data} or the refusal (counted).
func (s *Server) writeAPI(w http.ResponseWriter, v any, ae *apiError) {
	w.Header().Set("Content-Type", "application/json")
	if ae != nil {
		s.metrics.errors.inc(ae.Code)
		w.WriteHeader(ae.status)
		json.NewEncoder(w).Encode(ae)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"code": 0, "data": v})
}

func decode(r *http.Request, v any) error {
	if err := decodeOne(r.Body, v, true); err != nil {
		return badRequest("invalid JSON body: " + err.Error())
	}
	return nil
}

// decodeOne reads one JSON value from body into v (strict: no unknown
// fields); data after it is an error, not a second request nobody applies.
func decodeOne(body io.Reader, v any, strict bool) error {
	dec := json.NewDecoder(body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !contract.ValidID(id) {
		return "", &apiError{http.StatusBadRequest, codes.InvalidParameterTargetID, "invalid " + name}
	}
	return id, nil
}

func (s *Server) apiUserToken(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var body struct {
		TTLSeconds *int64 `json:"ttlSeconds"`
		Static     bool   `json:"static"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &body); err != nil {
			return nil, err
		}
	}
	ttl := 24 * time.Hour
	if v := body.TTLSeconds; v != nil && *v != 0 { // 0: the default, as when absent
		if err := checkSeconds("ttlSeconds", *v, 1); err != nil {
			return nil, err
		}
		ttl = time.Duration(*v) * time.Second
	}
	tok, err := s.issueUserToken(r.Context(), user, ttl, body.Static)
	if err != nil {
		return nil, err
	}
	return map[string]any{"userId": user, "token": tok}, nil
}

// verifyUserToken checks a token a user presents (connect, uploads): static
// tokens too where the app allows them.
func (s *Server) verifyUserToken(tok string) (auth.Claims, error) {
	if s.settings.Load().StaticTokens {
		return auth.VerifyStatic([]byte(s.cfg.AppSecret), tok, s.cfg.Now())
	}
	return auth.Verify([]byte(s.cfg.AppSecret), tok, s.cfg.Now())
}

// issueUserToken mints user's token: static where asked and allowed, else
// living ttl.
func (s *Server) issueUserToken(ctx context.Context, user string, ttl time.Duration, static bool) (string, error) {
	// Issued no earlier than the user's tokens are good from: a token
	// minted in the second of a kick (which revokes that whole second)
	// must work.
	a, err := s.store.Access(ctx, user)
	if err != nil {
		return "", err
	}
	at := s.cfg.Now()
	if va := a.TokensValidAfter; va.After(at.Truncate(time.Second)) && va.Sub(at) <= time.Second {
		// A revocation this second (a kick's reaches its end; an expiry's
		// may fall earlier in it): the token is of the next whole second, as
		// its iat counts seconds. (One set further ahead revokes this token too.)
		at = va.Truncate(time.Second)
		if at.Before(va) {
			at = at.Add(time.Second)
		}
	}
	return s.issueUserTokenAt(user, ttl, static, at)
}

// issueUserTokenAt is issueUserToken with the issue time given (a token
// that must outlive a revocation made this second is issued the next).
func (s *Server) issueUserTokenAt(user string, ttl time.Duration, static bool, at time.Time) (string, error) {
	if static {
		if !s.settings.Load().StaticTokens {
			return "", badRequest("static tokens are off (staticTokens in PUT /v1/settings)")
		}
		return auth.NewStaticToken([]byte(s.cfg.AppSecret), user, at)
	}
	return auth.NewToken([]byte(s.cfg.AppSecret), user, ttl, false, at)
}

// apiKick closes every session of the user and revokes the tokens issued
// up to now: through the end of this second (token iat has one-second
// resolution; a token minted after it is issued the next, issueUserToken).
func (s *Server) apiKick(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.revokeThisSecond(r.Context(), user); err != nil {
		return nil, err
	}
	n := s.kickUser(user, codes.DisconnKick, "kicked by the app server")
	return map[string]any{"sessions": n}, nil
}

// The group routes run the same operations as the SDK's group calls
// (server/groupops.go) as the app server, which may do what an owner may;
// an operatorId given is the operator the notification names.

// groupAPI runs r as the app server and maps a refusal to an HTTP answer
// with RongIMLib's code.
func (s *Server) groupAPI(ctx context.Context, operator string, r *pb.GroupRequest) (*pb.GroupResult, error) {
	if operator != "" && !contract.ValidID(operator) {
		return nil, badRequest("invalid operatorId")
	}
	return s.groupAs(ctx, actor{operator: operator}, r)
}

// groupAs runs a group operation for the app server as a, its refusals as
// HTTP answers.
func (s *Server) groupAs(ctx context.Context, a actor, r *pb.GroupRequest) (*pb.GroupResult, error) {
	res, err := s.group(ctx, a, r)
	var ce *codes.Error
	if errors.As(err, &ce) {
		status := http.StatusBadRequest
		switch ce.Code {
		case codes.RCGroupIDNotExist:
			status = http.StatusNotFound
		case codes.RCGroupIDAlreadyExist, codes.RCGroupMembersAlreadyInGroup:
			status = http.StatusConflict
		case codes.RCGroupAuthorityError, codes.RCGroupIllegalError, codes.RCGroupNoInvitePermission, codes.RCGroupOwnerNotAllowQuitOrKick:
			status = http.StatusForbidden
		}
		return nil, &apiError{status, ce.Code, ce.Msg}
	}
	return res, err
}

// groupFields are the profile and permission fields of POST /v1/groups
// and PUT /v1/groups/{id} (RongIMLib's IGroupInfoOption names).
type groupFields struct {
	Name                     *string           `json:"name"`
	PortraitURI              *string           `json:"portraitUri"`
	Introduction             *string           `json:"introduction"`
	Notice                   *string           `json:"notice"`
	ExtProfile               map[string]string `json:"extProfile"`
	JoinPermission           *int32            `json:"joinPermission"`
	RemoveMemberPermission   *int32            `json:"removeMemberPermission"`
	InvitePermission         *int32            `json:"invitePermission"`
	InviteHandlePermission   *int32            `json:"inviteHandlePermission"`
	GroupInfoEditPermission  *int32            `json:"groupInfoEditPermission"`
	MemberInfoEditPermission *int32            `json:"memberInfoEditPermission"`
}

func (f *groupFields) info() *pb.GroupInfo {
	info := &pb.GroupInfo{}
	str := func(v *string, dst *string, bit uint32) {
		if v != nil {
			*dst, info.Fields = *v, info.Fields|bit
		}
	}
	num := func(v *int32, dst *int32, bit uint32) {
		if v != nil {
			*dst, info.Fields = *v, info.Fields|bit
		}
	}
	str(f.Name, &info.Name, contract.FieldName)
	str(f.PortraitURI, &info.PortraitUri, contract.FieldPortrait)
	str(f.Introduction, &info.Introduction, contract.FieldIntroduction)
	str(f.Notice, &info.Notice, contract.FieldNotice)
	if f.ExtProfile != nil {
		info.Ext, info.Fields = f.ExtProfile, info.Fields|contract.FieldExt
	}
	num(f.JoinPermission, &info.JoinPermission, contract.FieldJoinPermission)
	num(f.RemoveMemberPermission, &info.RemoveMemberPermission, contract.FieldRemoveMemberPermission)
	num(f.InvitePermission, &info.InvitePermission, contract.FieldInvitePermission)
	num(f.InviteHandlePermission, &info.InviteHandlePermission, contract.FieldInviteHandlePermission)
	num(f.GroupInfoEditPermission, &info.InfoEditPermission, contract.FieldInfoEditPermission)
	num(f.MemberInfoEditPermission, &info.MemberInfoEditPermission, contract.FieldMemberEditPermission)
	return info
}

func (s *Server) apiCreateGroup(r *http.Request) (any, error) {
	var body struct {
		GroupID   string   `json:"groupId"`
		OwnerID   string   `json:"ownerId"`
		MemberIDs []string `json:"memberIds"`
		AdminIDs  []string `json:"adminIds"`
		groupFields
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	ctx := r.Context()
	if len(body.AdminIDs) > s.settings.Load().GroupMaxManagers {
		return nil, &apiError{http.StatusBadRequest, codes.RCGroupManagerOrFollowCountExceed, "more adminIds than groupMaxManagers"}
	}
	// The managers are made by a second operation: what would refuse it is
	// refused before the group is made, so a refusal leaves no group.
	if len(body.AdminIDs) > 0 {
		if err := contract.CheckGroupUsers(body.AdminIDs, len(body.AdminIDs)); err != nil {
			return nil, &apiError{http.StatusBadRequest, codes.Of(err), "adminIds: " + err.Error()}
		}
		if slices.Contains(body.AdminIDs, body.OwnerID) {
			return nil, &apiError{http.StatusBadRequest, codes.RCGroupOwnerNotAllowBeManager, "the owner cannot be a manager"}
		}
	}
	users := append(slices.Clone(body.MemberIDs), body.AdminIDs...) // admins are members too
	slices.Sort(users)
	req := &pb.GroupRequest{Op: pb.GroupOp_GROUP_CREATE, GroupId: body.GroupID, UserId: body.OwnerID,
		UserIds: slices.Compact(users), Info: body.info()}
	if _, err := s.groupAPI(ctx, body.OwnerID, req); err != nil {
		return nil, err
	}
	// In calls of the SDK's size (the setting may allow more managers).
	for admins := range slices.Chunk(body.AdminIDs, contract.MaxGroupManagers) {
		if _, err := s.groupAPI(ctx, body.OwnerID, &pb.GroupRequest{Op: pb.GroupOp_GROUP_ADD_MANAGERS, GroupId: body.GroupID, UserIds: admins}); err != nil {
			return nil, err
		}
	}
	g, err := s.groups.get(ctx, body.GroupID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"groupId": body.GroupID, "members": len(g.list)}, nil
}

// apiGetGroup answers the group's info and members.
func (s *Server) apiGetGroup(r *http.Request) (any, error) {
	gid, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	g, err := s.groups.get(r.Context(), gid)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	sg, p := g.g, g.g.Policy
	members := make([]map[string]any, 0, len(g.list))
	for _, u := range g.list {
		m := sg.Members[u]
		members = append(members, map[string]any{"userId": u, "nickname": m.Nickname, "extra": m.Extra,
			"role": m.Role, "joinedTime": m.Joined, "mutedUntil": m.MutedUntil})
	}
	return map[string]any{"group": map[string]any{
		"groupId": sg.ID, "name": sg.Name, "portraitUri": sg.Portrait, "introduction": sg.Introduction, "notice": sg.Notice,
		"extProfile": nonNil(sg.Ext), "joinPermission": p.Join, "removeMemberPermission": p.RemoveMember, "invitePermission": p.Invite,
		"inviteHandlePermission": p.InviteHandle, "groupInfoEditPermission": p.InfoEdit, "memberInfoEditPermission": p.MemberEdit,
		"ownerId": sg.OwnerID, "creatorId": sg.CreatorID, "createTime": sg.Created, "membersCount": len(sg.Members), "muteAll": sg.MuteAll,
	}, "members": members}, nil
}

// apiGroupOp is a route that is one group operation on the group in the
// path: build makes the request from the body (nil: none).
func (s *Server) apiGroupOp(op pb.GroupOp, body func(r *http.Request, req *pb.GroupRequest) (operator string, err error)) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		gid, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		req := &pb.GroupRequest{Op: op, GroupId: gid}
		operator := r.URL.Query().Get("operatorId")
		if body != nil {
			if operator, err = body(r, req); err != nil {
				return nil, err
			}
		}
		if user := r.PathValue("userId"); user != "" {
			req.UserIds, req.UserId = []string{user}, user
		}
		res, err := s.groupAPI(r.Context(), operator, req)
		if err != nil {
			return nil, err
		}
		return map[string]any{"groupId": gid, "processCode": res.ProcessCode}, nil
	}
}

// usersBody reads {userIds, operatorId}, and durationMs for mutes.
func usersBody(r *http.Request, req *pb.GroupRequest) (string, error) {
	var body struct {
		UserIDs    []string `json:"userIds"`
		OperatorID string   `json:"operatorId"`
		DurationMs int64    `json:"durationMs"`
		UserID     string   `json:"userId"`
	}
	if err := decode(r, &body); err != nil {
		return "", err
	}
	req.UserIds, req.DurationMs, req.UserId = body.UserIDs, body.DurationMs, body.UserID
	return body.OperatorID, nil
}

func infoBody(r *http.Request, req *pb.GroupRequest) (string, error) {
	var body struct {
		OperatorID string `json:"operatorId"`
		groupFields
	}
	if err := decode(r, &body); err != nil {
		return "", err
	}
	req.Info = body.info()
	return body.OperatorID, nil
}

func muteAllBody(r *http.Request, req *pb.GroupRequest) (string, error) {
	var body struct {
		Muted      bool   `json:"muted"`
		OperatorID string `json:"operatorId"`
	}
	if err := decode(r, &body); err != nil {
		return "", err
	}
	req.Flag = body.Muted
	return body.OperatorID, nil
}

func validIDs(ids []string) bool {
	for _, id := range ids {
		if !contract.ValidID(id) {
			return false
		}
	}
	return true
}

func mapStoreErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{http.StatusNotFound, codes.RCGroupIDNotExist, "group not found"}
	}
	return err
}

// apiEraseUser removes a user's messages and state (their sent messages
// become tombstones in others' conversations) and closes their sessions.
func (s *Server) apiEraseUser(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	n, nf, err := s.eraseUser(r.Context(), user)
	if err != nil {
		return nil, err
	}
	return map[string]any{"userId": user, "erasedMessages": n, "erasedFiles": nf}, nil
}

// eraseUser erases user's messages, files and relations and ends their
// sessions: DELETE /v1/users/{id} and the vendors' user deletions.
func (s *Server) eraseUser(ctx context.Context, user string) (messages int64, erasedFiles int, err error) {
	// The groups they own go to others first (with the notification a
	// transfer makes), as when such an owner quits through RongCloud's API.
	joined, err := s.store.JoinedGroups(ctx, user)
	if err != nil {
		return 0, 0, fmt.Errorf("erase %s: their groups: %w", user, err)
	}
	for gid, role := range joined {
		if role != contract.RoleOwner {
			continue
		}
		if _, err := s.handOver(ctx, gid, []string{user}); err != nil {
			return 0, 0, fmt.Errorf("erase %s: hand group %s on: %w", user, gid, err)
		}
	}
	n, err := s.store.EraseUser(ctx, user, s.cfg.Now())
	if err != nil {
		return 0, 0, err
	}
	nf, err := s.deleteFiles(ctx, func(m files.Meta) bool { return m.Uploader == user })
	if err != nil {
		return n, 0, fmt.Errorf("erase %s's files: %w", user, err)
	}
	if !s.filesShared() {
		// The other nodes' disks hold the files uploaded through them.
		s.cluster.broadcast(&busEvent{Kind: evErased, User: user})
	}
	s.dropAllGroups()
	s.dropBlacklist(user)
	s.dropSubscribers([]string{user})
	s.kickUser(user, codes.DisconnKick, "user erased by the app server")
	return n, nf, nil
}

// eraseLocalFiles deletes user's files from this node's own disk, for an
// erasure made through another node.
func (s *Server) eraseLocalFiles(ctx context.Context, user string) {
	n, err := s.deleteFiles(ctx, func(m files.Meta) bool { return m.Uploader == user })
	if err != nil {
		s.log.Warn("erase: the files of a user erased through another node", "user", user, "deleted", n, "err", err)
		return
	}
	s.log.Info("erase: the files of a user erased through another node", "user", user, "deleted", n)
}

// nonNil writes an empty object rather than null.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
