package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/store"
)

// A user's standing beyond their token's signature: tokens the app server
// revoked (kick, refresh) and blocks (the vendors' block routes, POST
// /v1/users/{id}/block). A block is apart from revocation: an unblocked
// user's stored tokens work again, as RongCloud's and NIM's do.

// admit answers nil when c's user may connect (or upload) now, else why
// not: 31004 for a revoked token, 31009 for a blocked user.
func (s *Server) admit(ctx context.Context, c auth.Claims) error {
	a, err := s.store.Access(ctx, c.Subject)
	if err != nil {
		return codes.New(codes.Timeout, "server error")
	}
	return accessAllows(a, c, s.cfg.Now())
}

// accessAllows is admit's rule, on the user's access as read.
func accessAllows(a store.Access, c auth.Claims, now time.Time) error {
	if !a.TokensValidAfter.IsZero() && c.IssuedAt*1000 < a.TokensValidAfter.UnixMilli() {
		return codes.New(codes.ConnTokenIncorrect, "token revoked")
	}
	if a.BlockedUntil.After(now) {
		return codes.New(codes.ConnUserBlocked, "the user is blocked until "+a.BlockedUntil.UTC().Format(time.RFC3339))
	}
	return nil
}

// blockUser blocks user until the time given (zero: unblocks them); a
// block closes the user's sessions (31009) unless keep, and refuses their
// connects until it ends.
func (s *Server) blockUser(ctx context.Context, user string, until time.Time, keep bool) error {
	if err := s.store.BlockUser(ctx, user, until); err != nil {
		return err
	}
	if until.IsZero() || keep {
		return nil
	}
	s.kickUser(user, codes.ConnUserBlocked, "blocked by the app server")
	return nil
}

// maxBlock is the longest a block lasts when none is given: the 100-year
// bound of every duration.
const maxBlock = MaxDurationSeconds * time.Second

// apiBlockUser: POST /v1/users/{id}/block {minutes?} blocks the user
// (for minutes, or until unblocked); DELETE unblocks.
func (s *Server) apiBlockUser(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var body struct {
		Minutes int64 `json:"minutes"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &body); err != nil {
			return nil, err
		}
	}
	d := maxBlock
	if body.Minutes != 0 {
		if body.Minutes < 0 || body.Minutes > int64(maxBlock/time.Minute) {
			return nil, badRequest("minutes must be 1 to " + strconv.FormatInt(int64(maxBlock/time.Minute), 10))
		}
		d = time.Duration(body.Minutes) * time.Minute
	}
	until := s.cfg.Now().Add(d)
	if err := s.blockUser(r.Context(), user, until, false); err != nil {
		return nil, err
	}
	return map[string]any{"userId": user, "blockedUntil": until.UnixMilli()}, nil
}

func (s *Server) apiUnblockUser(r *http.Request) (any, error) {
	user, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := s.blockUser(r.Context(), user, time.Time{}, false); err != nil {
		return nil, err
	}
	return map[string]any{"userId": user}, nil
}
