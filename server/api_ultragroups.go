package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	"github.com/imwasm/imwasm/server/store"
)

// The admin API's ultra groups: made, filled and ended by the app's
// server, as RongCloud's are (RongIMLib has no call that creates one).
func (s *Server) routeUltraGroupAPI() {
	s.mux.HandleFunc("POST /v1/ultragroups", s.admin(s.apiCreateUltraGroup))
	s.mux.HandleFunc("GET /v1/ultragroups", s.admin(s.apiListUltraGroups))
	s.mux.HandleFunc("GET /v1/ultragroups/{id}", s.admin(s.apiGetUltraGroup))
	s.mux.HandleFunc("DELETE /v1/ultragroups/{id}", s.admin(s.apiDismissUltraGroup))
	s.mux.HandleFunc("POST /v1/ultragroups/{id}/members", s.admin(s.apiUltraUsers(store.UltraAddMembers, false)))
	s.mux.HandleFunc("POST /v1/ultragroups/{id}/members/remove", s.admin(s.apiUltraUsers(store.UltraRemoveMembers, false)))
	s.mux.HandleFunc("POST /v1/ultragroups/{id}/channels", s.admin(s.apiCreateUltraChannel))
	s.mux.HandleFunc("PUT /v1/ultragroups/{id}/channels/{channel}", s.admin(s.apiSetUltraChannel))
	s.mux.HandleFunc("DELETE /v1/ultragroups/{id}/channels/{channel}", s.admin(s.apiDeleteUltraChannel))
	s.mux.HandleFunc("POST /v1/ultragroups/{id}/channels/{channel}/users", s.admin(s.apiUltraUsers(store.UltraAllowChannel, true)))
	s.mux.HandleFunc("POST /v1/ultragroups/{id}/channels/{channel}/users/remove", s.admin(s.apiUltraUsers(store.UltraDisallowChannel, true)))
	s.mux.HandleFunc("POST /v1/ultragroups/{id}/mute", s.admin(s.apiMuteUltraGroup))
	s.mux.HandleFunc("PUT /v1/ultragroups/{id}/mute-all", s.admin(s.apiMuteAllUltraGroup))
}

// maxUltraUsersPerCall bounds the user ids of one call (members added, …).
const maxUltraUsersPerCall = 1000

// apiUltraErr maps a refusal to an HTTP answer with RongIMLib's code.
func apiUltraErr(err error) error {
	var ce *codes.Error
	if errors.As(err, &ce) {
		status := http.StatusBadRequest
		switch ce.Code {
		case codes.UltraGroupNotExist, codes.UltraGroupChannelIDNotExist:
			status = http.StatusNotFound
		case codes.InvalidParameter:
			if errors.Is(err, store.ErrExists) {
				status = http.StatusConflict
			}
		}
		return &apiError{status, ce.Code, ce.Msg}
	}
	return err
}

// ultraChange applies c through the admin API.
func (s *Server) apiUltraChange(r *http.Request, c store.UltraChange) (store.UltraResult, error) {
	res, err := s.changeUltraGroup(r.Context(), c)
	return res, apiUltraErr(err)
}

// ultraPath reads a route's group id and, with inChannel, its channel id.
func ultraPath(r *http.Request, inChannel bool) (group, channel string, err error) {
	if group, err = pathID(r, "id"); err != nil || !inChannel {
		return group, "", err
	}
	channel, err = pathID(r, "channel")
	return group, channel, err
}

// ultraUsers reads a body's userIds: 1-1000 user ids.
func ultraUsers(ids []string) error {
	if len(ids) == 0 || len(ids) > maxUltraUsersPerCall || !validIDs(ids) {
		return &apiError{http.StatusBadRequest, codes.InvalidParameterUserID, "userIds must hold 1-1000 user ids"}
	}
	return nil
}

func (s *Server) apiCreateUltraGroup(r *http.Request) (any, error) {
	var b struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Owner   string   `json:"ownerId"`
		Members []string `json:"memberIds"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if !contract.ValidID(b.ID) || !contract.ValidID(b.Owner) {
		return nil, &apiError{http.StatusBadRequest, codes.InvalidParameterTargetID, "id and ownerId must be 1-64 characters of [A-Za-z0-9_.@-]"}
	}
	if len(b.Members) > 0 {
		if err := ultraUsers(b.Members); err != nil {
			return nil, err
		}
	}
	if utf8.RuneCountInString(b.Name) > contract.MaxGroupNameChars {
		return nil, badRequest("name: at most 64 characters")
	}
	res, err := s.apiUltraChange(r, store.UltraChange{Op: store.UltraCreate, Group: b.ID, Name: b.Name, Owner: b.Owner, Users: b.Members})
	if err != nil {
		return nil, err
	}
	return map[string]any{"members": len(res.Changed)}, nil
}

func (s *Server) apiListUltraGroups(r *http.Request) (any, error) {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return nil, err
	}
	ids, err := s.store.ListUltraGroups(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ultraGroups": append([]string{}, ids...)}, nil
}

// apiUltraChannel is a channel in the admin API's answers.
type apiUltraChannel struct {
	ID      string   `json:"channelId"`
	Private bool     `json:"private"`
	Created int64    `json:"createTime"`
	Users   []string `json:"userIds,omitempty"` // a private channel's
}

func (s *Server) apiGetUltraGroup(r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	g, err := s.store.UltraGroup(r.Context(), id)
	if err != nil {
		return nil, apiUltraErr(ultraErr(err, 0))
	}
	chans := make([]apiUltraChannel, 0, len(g.Channels))
	for _, ch := range g.Channels {
		c := apiUltraChannel{ID: ch.ID, Private: ch.Private, Created: ch.Created}
		for u := range ch.Allowed {
			c.Users = append(c.Users, u)
		}
		slices.Sort(c.Users)
		chans = append(chans, c)
	}
	slices.SortFunc(chans, func(a, b apiUltraChannel) int { return strings.Compare(a.ID, b.ID) })
	muted := []string{}
	now := s.cfg.Now().UnixMilli()
	for u, until := range g.Members {
		if until == -1 || until > now {
			muted = append(muted, u)
		}
	}
	slices.Sort(muted)
	return map[string]any{
		"id": g.ID, "name": g.Name, "ownerId": g.Owner, "createTime": g.Created, "memberCount": len(g.Members),
		"mutedAll": g.MutedAll, "mutedUserIds": muted, "channels": chans,
	}, nil
}

func (s *Server) apiDismissUltraGroup(r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.apiUltraChange(r, store.UltraChange{Op: store.UltraDismiss, Group: id}); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (s *Server) apiCreateUltraChannel(r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var b struct {
		Channel string `json:"channelId"`
		Private bool   `json:"private"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if !contract.ValidID(b.Channel) {
		return nil, &apiError{http.StatusBadRequest, codes.InvalidParameter, "channelId must be 1-64 characters of [A-Za-z0-9_.@-]"}
	}
	if _, err := s.apiUltraChange(r, store.UltraChange{Op: store.UltraCreateChannel, Group: id, Channel: b.Channel, Private: b.Private}); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (s *Server) apiSetUltraChannel(r *http.Request) (any, error) {
	id, ch, err := ultraPath(r, true)
	if err != nil {
		return nil, err
	}
	var b struct {
		Private *bool `json:"private"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.Private == nil {
		return nil, badRequest("private required")
	}
	if _, err := s.apiUltraChange(r, store.UltraChange{Op: store.UltraSetChannelPrivate, Group: id, Channel: ch, Private: *b.Private}); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (s *Server) apiDeleteUltraChannel(r *http.Request) (any, error) {
	id, ch, err := ultraPath(r, true)
	if err != nil {
		return nil, err
	}
	if _, err := s.apiUltraChange(r, store.UltraChange{Op: store.UltraDeleteChannel, Group: id, Channel: ch}); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// apiUltraUsers applies op to the users of the body ({userIds}): members
// added or removed, or (inChannel) put on a private channel's list or
// taken off it. It answers those changed (the others were in already, or
// not in).
func (s *Server) apiUltraUsers(op store.UltraOp, inChannel bool) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		c := store.UltraChange{Op: op}
		var err error
		if c.Group, c.Channel, err = ultraPath(r, inChannel); err != nil {
			return nil, err
		}
		var b struct {
			UserIDs []string `json:"userIds"`
		}
		if err := decode(r, &b); err != nil {
			return nil, err
		}
		if err := ultraUsers(b.UserIDs); err != nil {
			return nil, err
		}
		c.Users = b.UserIDs
		res, err := s.apiUltraChange(r, c)
		if err != nil {
			return nil, err
		}
		return map[string]any{"changed": append([]string{}, res.Changed...)}, nil
	}
}

// apiMuteUltraGroup mutes userIds for durationMs (0 unmutes them, -1
// until unmuted).
func (s *Server) apiMuteUltraGroup(r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var b struct {
		UserIDs    []string `json:"userIds"`
		DurationMs int64    `json:"durationMs"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if err := ultraUsers(b.UserIDs); err != nil {
		return nil, err
	}
	if b.DurationMs < -1 || b.DurationMs > contract.MaxMuteMillis {
		return nil, badRequest("durationMs must be -1 (until unmuted), 0 (unmute) or up to 100 years")
	}
	until := b.DurationMs
	if until > 0 {
		until = s.cfg.Now().Add(time.Duration(b.DurationMs) * time.Millisecond).UnixMilli()
	}
	if _, err := s.apiUltraChange(r, store.UltraChange{Op: store.UltraMute, Group: id, Users: b.UserIDs, Until: until}); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// apiMuteAllUltraGroup mutes or unmutes the whole group ({muted}); its
// owner may still send.
func (s *Server) apiMuteAllUltraGroup(r *http.Request) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var b struct {
		Muted bool `json:"muted"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if _, err := s.apiUltraChange(r, store.UltraChange{Op: store.UltraMuteAll, Group: id, All: b.Muted}); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}
