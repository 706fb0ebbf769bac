package server

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// The people routes: the app server reads and sets users' profiles
// (uniqueId included), friends and blacklists. Friends it makes or
// removes need no one's consent; the users hear of it as they would of
// their own changes (FRIEND_ADDED, FRIEND_DELETE, FRIEND_CLEARED).

func (s *Server) routePeopleAPI() {
	s.mux.HandleFunc("GET /v1/users/{id}/profile", s.admin(s.apiGetProfile))
	s.mux.HandleFunc("PUT /v1/users/{id}/profile", s.admin(s.apiPutProfile))
	s.mux.HandleFunc("GET /v1/users/{id}/friends", s.admin(s.apiGetFriends))
	s.mux.HandleFunc("POST /v1/users/{id}/friends", s.admin(s.apiAddFriends))
	s.mux.HandleFunc("DELETE /v1/users/{id}/friends/{friendId}", s.admin(s.apiRemoveFriend))
	s.mux.HandleFunc("DELETE /v1/users/{id}/friends", s.admin(s.apiClearFriends))
	s.mux.HandleFunc("GET /v1/users/{id}/blacklist", s.admin(s.apiGetBlacklist))
	s.mux.HandleFunc("POST /v1/users/{id}/blacklist", s.admin(s.apiBlock))
	s.mux.HandleFunc("DELETE /v1/users/{id}/blacklist/{userId}", s.admin(s.apiUnblock))
}

// peopleAPIError maps a refusal to 400 with RongIMLib's code.
func peopleAPIError(err error) error {
	var ce *codes.Error
	if errors.As(err, &ce) {
		return &apiError{http.StatusBadRequest, ce.Code, ce.Msg}
	}
	return err
}

func (s *Server) apiGetProfile(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	ps, err := s.store.People(r.Context(), []string{user})
	if err != nil {
		return nil, err
	}
	p := profileOf(ps[user], user)
	vis, perm := int32(0), addPermission(ps[user])
	if ps[user] != nil {
		vis = ps[user].Visibility
	}
	return map[string]any{"userId": user, "name": p.Name, "portraitUri": p.PortraitUri, "uniqueId": p.UniqueId, "email": p.Email,
		"birthday": p.Birthday, "gender": p.Gender, "location": p.Location, "role": p.Role, "level": p.Level,
		"extraProfile": nonNil(p.Ext), "visibility": vis, "friendAddPermission": perm}, nil
}

func (s *Server) apiPutProfile(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var body apiProfile
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	p := body.wire()
	if _, err := s.updateProfile(r.Context(), user, "", p, true, s.cfg.Now().UnixMilli()); err != nil {
		return nil, peopleAPIError(err)
	}
	return s.apiGetProfile(r)
}

// apiProfile is the body of PUT /v1/users/{id}/profile (and of imwasm
// import's users): the fields given are set.
type apiProfile struct {
	Name         *string           `json:"name"`
	PortraitURI  *string           `json:"portraitUri"`
	UniqueID     *string           `json:"uniqueId"`
	Email        *string           `json:"email"`
	Birthday     *string           `json:"birthday"`
	Gender       *int32            `json:"gender"`
	Location     *string           `json:"location"`
	Role         *int32            `json:"role"`
	Level        *int32            `json:"level"`
	ExtraProfile map[string]string `json:"extraProfile"`
}

func (b *apiProfile) wire() *pb.UserProfile {
	p := &pb.UserProfile{}
	str := func(v *string, dst *string, bit uint32) {
		if v != nil {
			*dst, p.Fields = *v, p.Fields|bit
		}
	}
	num := func(v *int32, dst *int32, bit uint32) {
		if v != nil {
			*dst, p.Fields = *v, p.Fields|bit
		}
	}
	str(b.Name, &p.Name, contract.ProfName)
	str(b.PortraitURI, &p.PortraitUri, contract.ProfPortrait)
	str(b.UniqueID, &p.UniqueId, contract.ProfUniqueID)
	str(b.Email, &p.Email, contract.ProfEmail)
	str(b.Birthday, &p.Birthday, contract.ProfBirthday)
	str(b.Location, &p.Location, contract.ProfLocation)
	num(b.Gender, &p.Gender, contract.ProfGender)
	num(b.Role, &p.Role, contract.ProfRole)
	num(b.Level, &p.Level, contract.ProfLevel)
	if b.ExtraProfile != nil {
		p.Ext, p.Fields = b.ExtraProfile, p.Fields|contract.ProfExt
	}
	return p
}

func (s *Server) apiGetFriends(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	res, err := s.friends(r.Context(), user, &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_LIST, Direction: contract.DirectionBoth, Count: contract.MaxFriendsPerCall, PageToken: r.URL.Query().Get("pageToken")})
	if err != nil {
		return nil, peopleAPIError(err)
	}
	friends := make([]map[string]any, len(res.Friends))
	for i, f := range res.Friends {
		friends[i] = map[string]any{"userId": f.UserId, "remark": f.Remark, "extProfile": nonNil(f.Ext), "addTime": f.AddTime}
	}
	return map[string]any{"friends": friends, "pageToken": res.PageToken, "totalCount": res.TotalCount}, nil
}

// usersOf reads {userIds} (1-100 valid ids).
func usersOf(r *http.Request) ([]string, error) {
	var body struct {
		UserIDs []string `json:"userIds"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if err := contract.CheckGroupUsers(body.UserIDs, contract.MaxFriendsPerCall); err != nil {
		return nil, peopleAPIError(err)
	}
	return body.UserIDs, nil
}

// pairChange runs decide on user and each of others, and tells them.
func (s *Server) pairChange(ctx context.Context, user string, others []string, decide func(p *store.Pair, other string) (*store.Pair, []*pb.Message, error)) error {
	for _, other := range others {
		logs, err := s.store.ChangePair(ctx, user, other, func(p *store.Pair) (*store.Pair, []*pb.Message, error) { return decide(p, other) })
		if err != nil {
			return peopleAPIError(err)
		}
		for _, e := range logs {
			s.publish(ctx, e, []string{e.FromUser}, "")
		}
	}
	return nil
}

func (s *Server) apiAddFriends(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	others, err := usersOf(r)
	if err != nil {
		return nil, err
	}
	// Each pair is a change of its own: what would refuse one later in
	// the list is refused before the first is made.
	if slices.Contains(others, user) {
		return nil, peopleAPIError(errBefriendSelf)
	}
	friends, err := s.store.Friends(r.Context(), user)
	if err != nil {
		return nil, err
	}
	limit := s.settings.Load().FriendsMax
	if sizeWith(friends, others) > limit {
		return nil, peopleAPIError(codes.New(codes.RCFriendMyFriendCountExceedLimit, "too many friends"))
	}
	for _, other := range others { // and theirs
		if _, ok := friends[other]; ok {
			continue
		}
		theirs, err := s.store.Friends(r.Context(), other)
		if err != nil {
			return nil, err
		}
		if len(theirs) >= limit {
			return nil, peopleAPIError(codes.New(codes.RCFriendOtherFriendCountExceedLimit, other+" has too many friends"))
		}
	}
	if err := s.befriend(r.Context(), user, others); err != nil {
		return nil, err
	}
	return map[string]any{"userId": user}, nil
}

// befriend makes user and each of others friends (nothing for those who
// are), as the app server may: no request, no permission asked.
func (s *Server) befriend(ctx context.Context, user string, others []string) error {
	now, st := s.cfg.Now().UnixMilli(), s.settings.Load()
	return s.pairChange(ctx, user, others, func(p *store.Pair, other string) (*store.Pair, []*pb.Message, error) {
		if other == user {
			return nil, nil, errBefriendSelf
		}
		if p.Friend[0] != nil && p.Friend[1] != nil {
			return nil, nil, nil
		}
		if p.Friends[0] >= st.FriendsMax {
			return nil, nil, codes.New(codes.RCFriendMyFriendCountExceedLimit, "too many friends")
		}
		if p.Friends[1] >= st.FriendsMax {
			return nil, nil, codes.New(codes.RCFriendOtherFriendCountExceedLimit, other+" has too many friends")
		}
		p.Friend[0], p.Friend[1] = &store.Friend{Added: now}, &store.Friend{Added: now}
		return p, []*pb.Message{
			friendLog(user, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_ADDED, UserIds: []string{other}, Time: now}),
			friendLog(other, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_ADDED, UserIds: []string{user}, Time: now}),
		}, nil
	})
}

func (s *Server) apiRemoveFriend(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	other, err := pathID(r, "friendId")
	if err != nil {
		return nil, err
	}
	req := &pb.PeopleRequest{Op: pb.PeopleOp_FRIENDS_DELETE, Direction: contract.DirectionBoth, UserIds: []string{other}}
	if _, err := s.changePair(r.Context(), user, "", other, req, s.settings.Load(), s.cfg.Now().UnixMilli()); err != nil {
		return nil, peopleAPIError(err)
	}
	return map[string]any{"userId": user}, nil
}

// apiClearFriends removes every friend of the user: they hear
// FRIEND_CLEARED, each former friend FRIEND_DELETE.
func (s *Server) apiClearFriends(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	friends, err := s.store.Friends(ctx, user)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UnixMilli()
	for other := range friends {
		err := s.pairChange(ctx, user, []string{other}, func(p *store.Pair, other string) (*store.Pair, []*pb.Message, error) {
			p.Friend[0], p.Friend[1] = nil, nil
			return p, []*pb.Message{friendLog(other, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_DELETED, UserIds: []string{user}, Time: now, Operator: user})}, nil
		})
		if err != nil {
			return nil, err
		}
	}
	logs, err := s.store.ChangePerson(ctx, user, func(*store.Person) (*store.Person, []*pb.Message, error) {
		return nil, []*pb.Message{friendLog(user, &pb.FriendEvent{Kind: pb.FriendEventKind_FRIEND_EVENT_CLEARED, Time: now})}, nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range logs {
		s.publish(ctx, e, []string{user}, "")
	}
	return map[string]any{"userId": user, "removed": len(friends)}, nil
}

func (s *Server) apiGetBlacklist(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	res, err := s.people(r.Context(), user, "", &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_GET})
	if err != nil {
		return nil, peopleAPIError(err)
	}
	return map[string]any{"userIds": nonNilStrings(res.UserIds)}, nil
}

func (s *Server) apiBlock(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	others, err := usersOf(r)
	if err != nil {
		return nil, err
	}
	// As for friends: a refusal later in the list is found first.
	if slices.Contains(others, user) {
		return nil, peopleAPIError(errBlockSelf)
	}
	blocked, err := s.store.Blacklist(r.Context(), user)
	if err != nil {
		return nil, err
	}
	if sizeWith(blocked, others) > s.settings.Load().BlacklistMax {
		return nil, peopleAPIError(errBlacklistFull)
	}
	for _, other := range others {
		if _, err := s.people(r.Context(), user, "", &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_ADD, UserId: other}); err != nil {
			return nil, peopleAPIError(err)
		}
	}
	return map[string]any{"userId": user}, nil
}

func (s *Server) apiUnblock(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	other, err := pathID(r, "userId")
	if err != nil {
		return nil, err
	}
	if _, err := s.people(r.Context(), user, "", &pb.PeopleRequest{Op: pb.PeopleOp_BLACKLIST_REMOVE, UserId: other}); err != nil {
		return nil, peopleAPIError(err)
	}
	return map[string]any{"userId": user}, nil
}

// sizeWith is how many keys have holds with others added.
func sizeWith[V any](have map[string]V, others []string) int {
	n := len(have)
	for _, o := range others {
		if _, ok := have[o]; !ok {
			n++
		}
	}
	return n
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
