package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
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
	s.mux.HandleFunc("POST /v1/groups", s.admin(s.apiCreateGroup))
	s.mux.HandleFunc("POST /v1/groups/{id}/members", s.admin(s.apiAddMembers))
	s.mux.HandleFunc("DELETE /v1/groups/{id}/members/{userId}", s.admin(s.apiRemoveMember))
	s.mux.HandleFunc("PUT /v1/groups/{id}", s.admin(s.apiUpdateGroup))
	s.mux.HandleFunc("DELETE /v1/groups/{id}", s.admin(s.apiDismissGroup))
	s.mux.HandleFunc("POST /v1/messages", s.admin(s.apiSendMessages))
	s.mux.HandleFunc("DELETE /v1/users/{id}", s.admin(s.apiEraseUser))
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
func (s *Server) admin(h func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := func() (any, error) {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				return nil, &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "bearer token required"}
			}
			c, err := auth.Verify([]byte(s.cfg.AppSecret), tok, s.cfg.Now())
			if errors.Is(err, auth.ErrExpired) {
				return nil, &apiError{http.StatusUnauthorized, codes.ConnTokenExpired, "token expired"}
			}
			if err != nil {
				return nil, &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "token invalid"}
			}
			if !c.IsAdmin() {
				return nil, &apiError{http.StatusForbidden, codes.ConnTokenIncorrect, "app-server token required"}
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
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON body: " + err.Error())
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
	tok, err := auth.NewToken([]byte(s.cfg.AppSecret), user, ttl, false, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	return map[string]any{"userId": user, "token": tok}, nil
}

// apiKick closes every session of the user and revokes the tokens issued
// before this second (token iat has one-second resolution).
func (s *Server) apiKick(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := s.store.RevokeTokens(r.Context(), user, s.cfg.Now().Truncate(time.Second)); err != nil {
		return nil, err
	}
	n := 0
	for _, ss := range s.hub.sessionsOf(user) {
		ss.kick(codes.DisconnKick, "kicked by the app server")
		n++
	}
	return map[string]any{"sessions": n}, nil
}

// grpNtf builds an RC:GrpNtf message (RongIMLib's GroupNotificationMessage).
func grpNtf(groupID, operator, operation string, data any, text string) (*pb.Message, error) {
	d, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	content, err := json.Marshal(map[string]string{
		"operatorUserId": operator, "operation": operation, "data": string(d), "message": text,
	})
	if err != nil {
		return nil, err
	}
	return &pb.Message{
		ConvType: pb.ConversationType_GROUP, FromUser: operator, To: groupID,
		ClientMsgId: "grpntf-" + rand.Text(),
		ObjectName:  "RC:GrpNtf", Content: content, IsPersisted: true, IsCounted: false,
	}, nil
}

// afterGroupChange refreshes the cache and pushes the notification to
// everyone who was or is a member.
func (s *Server) afterGroupChange(ctx context.Context, groupID string, ntf *pb.Message, alsoUsers []string) {
	s.groups.invalidate(groupID)
	g, err := s.groups.get(ctx, groupID)
	users := alsoUsers
	if err == nil {
		users = append(slices.Clone(g.list), alsoUsers...)
	}
	s.fanOutTo(ctx, ntf, users)
}

func mapStoreErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &apiError{http.StatusNotFound, codes.InvalidParameterTargetID, "group not found"}
	case errors.Is(err, store.ErrExists):
		return &apiError{http.StatusConflict, codes.InvalidParameter, err.Error()}
	case errors.Is(err, store.ErrNotMember):
		return &apiError{http.StatusBadRequest, codes.NotInGroup, err.Error()}
	}
	return err
}

func validIDs(ids []string) bool {
	for _, id := range ids {
		if !contract.ValidID(id) {
			return false
		}
	}
	return true
}

func (s *Server) apiCreateGroup(r *http.Request) (any, error) {
	var body struct {
		GroupID   string   `json:"groupId"`
		Name      string   `json:"name"`
		OwnerID   string   `json:"ownerId"`
		MemberIDs []string `json:"memberIds"`
		AdminIDs  []string `json:"adminIds"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if !contract.ValidID(body.GroupID) || !contract.ValidID(body.OwnerID) || !validIDs(body.MemberIDs) || !validIDs(body.AdminIDs) {
		return nil, badRequest("groupId, ownerId, memberIds and adminIds must be ids of 1-64 characters [A-Za-z0-9_.@-]")
	}
	if len(body.Name) > 256 {
		return nil, badRequest("name longer than 256 bytes")
	}
	g := &store.Group{ID: body.GroupID, Name: body.Name, OwnerID: body.OwnerID, Members: map[string]store.Role{}}
	for _, u := range body.MemberIDs {
		g.Members[u] = store.RoleMember
	}
	for _, u := range body.AdminIDs {
		g.Members[u] = store.RoleAdmin
	}
	g.Members[body.OwnerID] = store.RoleOwner
	ntf, err := grpNtf(g.ID, g.OwnerID, "Create", map[string]any{"name": g.Name, "memberIds": body.MemberIDs}, "group created")
	if err != nil {
		return nil, err
	}
	stored, err := s.store.CreateGroup(r.Context(), g, ntf)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	s.afterGroupChange(r.Context(), g.ID, stored, nil)
	return map[string]any{"groupId": g.ID, "members": len(g.Members)}, nil
}

func (s *Server) operator(ctx context.Context, groupID, given string) (string, error) {
	if given != "" {
		if !contract.ValidID(given) {
			return "", badRequest("invalid operatorId")
		}
		return given, nil
	}
	g, err := s.groups.get(ctx, groupID)
	if err != nil {
		return "", mapStoreErr(err)
	}
	return g.owner, nil
}

func (s *Server) apiAddMembers(r *http.Request) (any, error) {
	gid, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var body struct {
		UserIDs    []string `json:"userIds"`
		OperatorID string   `json:"operatorId"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if len(body.UserIDs) == 0 || !validIDs(body.UserIDs) {
		return nil, badRequest("userIds must be a non-empty list of ids")
	}
	op, err := s.operator(r.Context(), gid, body.OperatorID)
	if err != nil {
		return nil, err
	}
	ntf, err := grpNtf(gid, op, "Add", map[string]any{"targetUserIds": body.UserIDs}, "members added")
	if err != nil {
		return nil, err
	}
	stored, err := s.store.AddMembers(r.Context(), gid, body.UserIDs, ntf)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	s.afterGroupChange(r.Context(), gid, stored, nil)
	return map[string]any{"groupId": gid}, nil
}

func (s *Server) apiRemoveMember(r *http.Request) (any, error) {
	gid, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	user, err := pathID(r, "userId")
	if err != nil {
		return nil, err
	}
	op, err := s.operator(r.Context(), gid, r.URL.Query().Get("operatorId"))
	if err != nil {
		return nil, err
	}
	ntf, err := grpNtf(gid, op, "Kicked", map[string]any{"targetUserIds": []string{user}}, "member removed")
	if err != nil {
		return nil, err
	}
	stored, err := s.store.RemoveMembers(r.Context(), gid, []string{user}, ntf)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	s.afterGroupChange(r.Context(), gid, stored, []string{user})
	return map[string]any{"groupId": gid}, nil
}

func (s *Server) apiUpdateGroup(r *http.Request) (any, error) {
	gid, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var body struct {
		Name       string `json:"name"`
		OperatorID string `json:"operatorId"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if body.Name == "" || len(body.Name) > 256 {
		return nil, badRequest("name must be 1-256 bytes")
	}
	op, err := s.operator(r.Context(), gid, body.OperatorID)
	if err != nil {
		return nil, err
	}
	ntf, err := grpNtf(gid, op, "Rename", map[string]any{"name": body.Name}, "group renamed")
	if err != nil {
		return nil, err
	}
	stored, err := s.store.UpdateGroup(r.Context(), gid, body.Name, ntf)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	s.afterGroupChange(r.Context(), gid, stored, nil)
	return map[string]any{"groupId": gid}, nil
}

func (s *Server) apiDismissGroup(r *http.Request) (any, error) {
	gid, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	g, err := s.groups.get(r.Context(), gid)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	op, err := s.operator(r.Context(), gid, r.URL.Query().Get("operatorId"))
	if err != nil {
		return nil, err
	}
	ntf, err := grpNtf(gid, op, "Dismiss", map[string]any{}, "group dismissed")
	if err != nil {
		return nil, err
	}
	stored, err := s.store.DismissGroup(r.Context(), gid, ntf)
	if err != nil {
		return nil, mapStoreErr(err)
	}
	s.afterGroupChange(r.Context(), gid, stored, slices.Clone(g.list))
	return map[string]any{"groupId": gid}, nil
}

// apiEraseUser removes a user's messages and state (their sent messages
// become tombstones in others' conversations) and closes their sessions.
func (s *Server) apiEraseUser(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	n, err := s.store.EraseUser(r.Context(), user, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	nf, err := s.deleteFiles(r.Context(), func(m files.Meta) bool { return m.Uploader == user })
	if err != nil {
		return nil, fmt.Errorf("erase %s's files: %w", user, err)
	}
	s.groups.invalidateAll()
	for _, ss := range s.hub.sessionsOf(user) {
		ss.kick(codes.DisconnKick, "user erased by the app server")
	}
	return map[string]any{"userId": user, "erasedMessages": n, "erasedFiles": nf}, nil
}
