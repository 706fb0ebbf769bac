package server

import (
	"context"
	"errors"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
)

// sessionToken checks a token a device presents for a session, at Auth or
// in a renewal: a user's (not the app server's), signed, not expired, not
// revoked, its user not blocked. Its errors are *codes.Error.
func (s *Server) sessionToken(ctx context.Context, tok string) (auth.Claims, error) {
	claims, err := s.verifyUserToken(tok)
	switch {
	case errors.Is(err, auth.ErrExpired):
		return claims, codes.New(codes.ConnTokenExpired, "token expired")
	case err != nil:
		return claims, codes.New(codes.ConnTokenIncorrect, "token invalid")
	case claims.IsAdmin():
		return claims, codes.New(codes.ConnTokenIncorrect, "app-server tokens cannot connect")
	}
	if err := s.admit(ctx, claims); err != nil {
		var ce *codes.Error
		if !errors.As(err, &ce) {
			ce = codes.New(codes.Timeout, "server error")
		}
		return claims, ce
	}
	return claims, nil
}

// handleRenewToken takes a newer token of the session's user: the session
// is judged by its issue time from then on (a revocation the node learns of
// late), and the device reconnects with it. A refused token changes
// nothing.
func (ss *session) handleRenewToken(ctx context.Context, id uint64, r *pb.RenewTokenRequest) {
	claims, err := ss.srv.sessionToken(ctx, r.Token)
	if err == nil && claims.Subject != ss.user {
		err = codes.New(codes.ConnTokenIncorrect, "the token is another user's")
	}
	if err != nil {
		ss.replyFor(id, err)
		return
	}
	ss.issued.Store(claims.IssuedAt)
	ss.reply(&pb.Frame{Id: id, Body: &pb.Frame_RenewTokenResult{RenewTokenResult: &pb.RenewTokenResult{
		TokenExpiresAt: claims.ExpiresAt * 1000,
		TokenIssuedAt:  claims.IssuedAt * 1000,
	}}})
}
