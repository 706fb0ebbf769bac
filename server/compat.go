package server

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// The vendors' server APIs (compat_*.go) sign requests alike: hex
// SHA1(app secret + nonce + time) in a header, beside the app key, the
// nonce and the time, under each vendor's own header names.

// signedHeaders names a vendor's four headers.
type signedHeaders struct{ key, nonce, time, sig string }

// checkSigned answers "" when r carries a good signature from a time within
// compatSignatureWindowSeconds of the server's clock, else why not.
func (s *Server) checkSigned(r *http.Request, h signedHeaders) string {
	key, nonce, ts, sig := r.Header.Get(h.key), r.Header.Get(h.nonce), r.Header.Get(h.time), r.Header.Get(h.sig)
	if key == "" || nonce == "" || ts == "" || sig == "" {
		return h.key + ", " + h.nonce + ", " + h.time + " and " + h.sig + " are required"
	}
	if s.cfg.AppKey != "" && key != s.cfg.AppKey {
		return "unknown " + h.key
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "signature error"
	}
	at := time.Unix(n, 0)
	if n > 1e12 { // milliseconds, as some SDKs send it
		at = time.UnixMilli(n)
	}
	// A captured request cannot be replayed after the window (the setting).
	if w := seconds(s.settings.Load().CompatSignatureWindowSeconds); w > 0 && (s.cfg.Now().Sub(at) > w || at.Sub(s.cfg.Now()) > w) {
		return h.time + " too far from the server's clock"
	}
	sum := sha1.Sum([]byte(s.cfg.AppSecret + nonce + ts))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(sig))) != 1 {
		return "signature error"
	}
	return ""
}

// vendorToken is the token the vendors' user routes issue: static where
// the app allows it (RongCloud's and NIM's tokens do not expire), else the
// longest a token lives; good after a revocation made this second.
func (s *Server) vendorToken(ctx context.Context, user string) (string, error) {
	return s.issueUserToken(ctx, user, MaxDurationSeconds*time.Second, s.settings.Load().StaticTokens)
}

// revokeThisSecond revokes every token of user issued up to the end of
// the current second (iat has one-second resolution) and answers the next
// second, from which a new token is good.
func (s *Server) revokeThisSecond(ctx context.Context, user string) (time.Time, error) {
	next := s.cfg.Now().Truncate(time.Second).Add(time.Second)
	return next, s.store.RevokeTokens(ctx, user, next)
}

// appRecall recalls a message of from's conversation typ/target as the app
// server (the vendors' recall routes) and tells its members.
func (s *Server) appRecall(ctx context.Context, from string, typ pb.ConversationType, target string, req *pb.RecallRequest) error {
	convID := store.GroupConvID(target)
	if typ == pb.ConversationType_PRIVATE {
		convID = store.PrivateConvID(from, target)
	}
	_, marker, err := s.recall(ctx, from, convID, req, true)
	if err != nil {
		return err
	}
	s.fanOut(ctx, marker, "")
	return nil
}

// formProfile is the name and portrait r's form fields named name and
// portrait give, where given (the vendors name them differently).
func formProfile(r *http.Request, name, portrait string) *pb.UserProfile {
	p := &pb.UserProfile{}
	if v, ok := r.PostForm[name]; ok {
		p.Name, p.Fields = v[0], p.Fields|contract.ProfName
	}
	if v, ok := r.PostForm[portrait]; ok {
		p.PortraitUri, p.Fields = v[0], p.Fields|contract.ProfPortrait
	}
	return p
}

// Users need no registering to use imwasm, but the vendors' backends
// register them and are refused for users never registered: a user is
// registered once they have a person (a profile, possibly empty: the
// vendors' register routes, PUT /v1/users/{id}/profile, imwasm import).

// register makes user registered, with the profile fields p names.
func (s *Server) register(ctx context.Context, user string, p *pb.UserProfile) error {
	if p.Fields != 0 {
		return s.setProfile(ctx, user, p)
	}
	_, err := s.store.ChangePerson(ctx, user, func(person *store.Person) (*store.Person, []*pb.Message, error) {
		if person.Updated != 0 {
			return nil, nil, nil
		}
		person.Updated = s.cfg.Now().UnixMilli()
		return person, nil, nil
	})
	return err
}

// registered reports whether user is registered.
func (s *Server) registered(ctx context.Context, user string) (bool, error) {
	ps, err := s.store.People(ctx, []string{user})
	if err != nil {
		return false, err
	}
	return ps[user] != nil && ps[user].Updated != 0, nil
}

// setProfile applies the profile fields p names, as the admin API does.
func (s *Server) setProfile(ctx context.Context, user string, p *pb.UserProfile) error {
	if p.Fields == 0 {
		return nil
	}
	if _, err := s.updateProfile(ctx, user, "", p, true, s.cfg.Now().UnixMilli()); err != nil {
		return peopleAPIError(err)
	}
	return nil
}

// contentText carries a message's content (JSON text a route was given or
// made) in apiMessage's content field as a JSON string, which the send
// takes apart again byte for byte.
func contentText(content string) json.RawMessage {
	b, _ := json.Marshal(content) // a string always encodes
	return b
}

// formNotText names a form field (or a field's name) that is not UTF-8
// text without U+0000, or answers "": a form body is raw bytes, and a
// string stored from it that a device cannot decode (litepb refuses
// invalid UTF-8) would break every pull of its conversation.
func formNotText(form url.Values) string {
	for name, vs := range form {
		if !contract.ValidText(name) {
			return "a field's name"
		}
		for _, v := range vs {
			if !contract.ValidText(v) {
				return truncate(name, 64)
			}
		}
	}
	return ""
}
