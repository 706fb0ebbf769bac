package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// The admin API's chat rooms: create, list, read, destroy, members, mutes
// and entries. Messages to a room go through POST /v1/messages with
// conversationType 4.
func (s *Server) routeChatroomAPI() {
	s.mux.HandleFunc("POST /v1/chatrooms", s.admin(s.apiCreateChatroom))
	s.mux.HandleFunc("GET /v1/chatrooms", s.admin(s.apiListChatrooms))
	s.mux.HandleFunc("GET /v1/chatrooms/{id}", s.admin(s.apiGetChatroom))
	s.mux.HandleFunc("DELETE /v1/chatrooms/{id}", s.admin(s.apiDestroyChatroom))
	s.mux.HandleFunc("GET /v1/chatrooms/{id}/members", s.admin(s.apiChatroomMembers))
	s.mux.HandleFunc("POST /v1/chatrooms/{id}/mute", s.admin(s.apiMuteChatroom))
	s.mux.HandleFunc("PUT /v1/chatrooms/{id}/mute-all", s.admin(s.apiMuteAllChatroom))
	s.mux.HandleFunc("GET /v1/chatrooms/{id}/entries", s.admin(s.apiChatroomEntries))
	s.mux.HandleFunc("POST /v1/chatrooms/{id}/entries", s.admin(s.apiChangeChatroomEntries))
}

// apiChatroomErr maps a refusal to an HTTP answer with RongIMLib's code.
func apiChatroomErr(err error) error {
	err = chatroomErr(err)
	var ce *codes.Error
	if errors.As(err, &ce) {
		status := http.StatusBadRequest
		if ce.Code == codes.RCChatroomNotExist {
			status = http.StatusNotFound
		}
		return &apiError{status, ce.Code, ce.Msg}
	}
	return err
}

// apiChatroom is a room in the admin API's answers.
type apiChatroom struct {
	ID       string `json:"id"`
	Created  int64  `json:"createTime"`
	Members  int    `json:"memberCount"`
	MutedAll bool   `json:"mutedAll"`
}

func roomJSON(c store.Chatroom) apiChatroom {
	return apiChatroom{ID: c.ID, Created: c.Created, Members: c.Members, MutedAll: c.MutedAll}
}

func (s *Server) apiCreateChatroom(r *http.Request) (any, error) {
	var b struct {
		ID string `json:"id"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if !contract.ValidID(b.ID) {
		return nil, &apiError{http.StatusBadRequest, codes.RCChatroomParameterInvalid, "id must be 1-64 characters of [A-Za-z0-9_.@-]"}
	}
	c, created, err := s.store.CreateChatroom(r.Context(), b.ID, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	return map[string]any{"chatroom": roomJSON(c), "created": created}, nil
}

func (s *Server) apiListChatrooms(r *http.Request) (any, error) {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return nil, err
	}
	rooms, err := s.store.ListChatrooms(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		return nil, err
	}
	out := make([]apiChatroom, 0, len(rooms))
	for _, c := range rooms {
		out = append(out, roomJSON(c))
	}
	return map[string]any{"chatrooms": out}, nil
}

func (s *Server) apiGetChatroom(r *http.Request) (any, error) {
	room, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	c, err := s.store.Chatroom(r.Context(), room)
	if err != nil {
		return nil, apiChatroomErr(err)
	}
	return roomJSON(c), nil
}

func (s *Server) apiDestroyChatroom(r *http.Request) (any, error) {
	room, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := s.destroyChatroom(r.Context(), room, 1, time.Time{}); err != nil {
		return nil, apiChatroomErr(err)
	}
	return map[string]any{}, nil
}

// apiChatroomMembers lists members by join time: ?offset, ?limit (at most
// 500), ?order=latest for the latest joiners first.
func (s *Server) apiChatroomMembers(r *http.Request) (any, error) {
	room, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	offset, err := queryInt(r, "offset", 0, 0, 1<<30)
	if err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit", 100, 1, contract.ChatroomMemberPage)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Chatroom(r.Context(), room); err != nil {
		return nil, apiChatroomErr(err)
	}
	total, members, err := s.store.ChatroomMembers(r.Context(), room, offset, limit, r.URL.Query().Get("order") == "latest")
	if err != nil {
		return nil, err
	}
	type member struct {
		UserID string `json:"userId"`
		Time   int64  `json:"joinTime"`
	}
	out := make([]member, 0, len(members))
	for _, m := range members {
		out = append(out, member{m.User, m.Joined})
	}
	return map[string]any{"total": total, "members": out}, nil
}

// apiMuteChatroom mutes userIds for durationMs (0 unmutes them).
func (s *Server) apiMuteChatroom(r *http.Request) (any, error) {
	room, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var b struct {
		UserIDs    []string `json:"userIds"`
		DurationMs int64    `json:"durationMs"`
		Extra      string   `json:"extra"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if len(b.UserIDs) == 0 || len(b.UserIDs) > 100 || !validIDs(b.UserIDs) {
		return nil, badRequest("userIds must hold 1-100 user ids")
	}
	if b.DurationMs < 0 || b.DurationMs > contract.MaxMuteMillis {
		return nil, badRequest("durationMs must be 0 (unmute) to 100 years")
	}
	err = s.muteChatroom(r.Context(), room, b.UserIDs, time.Duration(b.DurationMs)*time.Millisecond, nil, b.Extra)
	if err != nil {
		return nil, apiChatroomErr(err)
	}
	return map[string]any{}, nil
}

// apiMuteAllChatroom mutes or unmutes the whole room ({muted}).
func (s *Server) apiMuteAllChatroom(r *http.Request) (any, error) {
	room, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var b struct {
		Muted bool   `json:"muted"`
		Extra string `json:"extra"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if err := s.muteChatroom(r.Context(), room, nil, 0, &b.Muted, b.Extra); err != nil {
		return nil, apiChatroomErr(err)
	}
	return map[string]any{}, nil
}

func (s *Server) apiChatroomEntries(r *http.Request) (any, error) {
	room, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Chatroom(r.Context(), room); err != nil {
		return nil, apiChatroomErr(err)
	}
	entries, err := s.store.ChatroomEntries(r.Context(), room)
	if err != nil {
		return nil, err
	}
	return map[string]any{"entries": entriesJSON(entries)}, nil
}

// apiChangeChatroomEntries sets ({set: {key: value}}) or removes ({remove:
// [key]}) entries as the app's server, which may change any member's.
func (s *Server) apiChangeChatroomEntries(r *http.Request) (any, error) {
	room, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var b struct {
		Set    map[string]string `json:"set"`
		Remove []string          `json:"remove"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	req := &pb.ChatroomRequest{Room: room, Op: pb.ChatroomOp_CHATROOM_SET_ENTRIES, Force: true}
	for k, v := range b.Set {
		req.Entries = append(req.Entries, &pb.ChatroomEntry{Key: k, Value: v})
	}
	if len(b.Set) == 0 {
		req.Op, req.Keys = pb.ChatroomOp_CHATROOM_REMOVE_ENTRIES, b.Remove
	} else if len(b.Remove) > 0 {
		return nil, badRequest("set or remove, not both")
	}
	if err := contract.CheckChatroomRequest(req); err != nil {
		return nil, apiChatroomErr(err)
	}
	changed, _, err := s.changeChatroomEntries(r.Context(), room, "", "", req, s.cfg.Now())
	if err != nil {
		return nil, apiChatroomErr(err)
	}
	return map[string]any{"entries": entriesJSON(changed)}, nil
}

type apiEntry struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	UserID  string `json:"userId,omitempty"`
	Time    int64  `json:"time"`
	Removed bool   `json:"removed,omitempty"`
}

func entriesJSON(es []*pb.ChatroomEntry) []apiEntry {
	out := make([]apiEntry, 0, len(es))
	for _, e := range es {
		out = append(out, apiEntry{e.Key, e.Value, e.Owner, e.Time, e.Removed})
	}
	return out
}

// queryInt reads an integer query parameter within [least, most].
func queryInt(r *http.Request, name string, def, least, most int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least || n > most {
		return 0, badRequest(name + " must be " + strconv.Itoa(least) + "-" + strconv.Itoa(most))
	}
	return n, nil
}
