// Package auth issues and verifies the HS256 JSON Web Tokens that clients and
// app servers present to the IM server. It is public API: the edge relay
// (examples/edge-relay) verifies the same tokens at the edge with it.
//
// Only the small subset of RFC 7519 / RFC 7515 that imwasm needs is
// implemented: compact serialization, HMAC-SHA256 with a shared app secret,
// and the sub/exp/iat/role claims. Anything outside that subset is rejected
// rather than guessed at, because a permissive verifier is how JWT libraries
// historically ended up accepting "alg":"none" or algorithm-confused tokens.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Verify wraps exactly one of them so callers can tell an
// expired-but-genuine token (ask the client to refresh) from everything else
// (reject outright) with errors.Is.
var (
	ErrInvalid = errors.New("auth: invalid token")
	ErrExpired = errors.New("auth: token expired")
)

// RoleAdmin marks tokens minted for trusted app servers.
const RoleAdmin = "admin"

const (
	// maxTokenLen bounds the work an unauthenticated peer can make us do
	// (base64 + JSON decoding happens before the signature is known to be
	// good). Our own tokens are a few hundred bytes.
	maxTokenLen = 4096
	// maxSubjectLen matches the limit on user ids, which end up in storage
	// keys.
	maxSubjectLen = 64
)

// encodedHeader is base64url(`{"alg":"HS256","typ":"JWT"}`), the only header
// Sign emits. A constant keeps Sign's output canonical and byte-for-byte
// predictable; a test checks it against the plain-text header.
const encodedHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// Claims is the token payload. Unknown claims are ignored on Verify.
type Claims struct {
	// Subject is the user (or app server) id; 1..64 bytes of [A-Za-z0-9_.@-].
	Subject string `json:"sub"`
	// ExpiresAt is the expiry in unix seconds; required.
	ExpiresAt int64 `json:"exp"`
	// IssuedAt is the issue time in unix seconds; optional (0 = absent).
	IssuedAt int64 `json:"iat,omitempty"`
	// Role is optional; RoleAdmin for app-server tokens.
	Role string `json:"role,omitempty"`
}

// IsAdmin reports whether the claims carry the admin role.
func (c Claims) IsAdmin() bool { return c.Role == RoleAdmin }

// wireClaims mirrors Claims with a pointer exp so that a missing exp can be
// told apart from "exp":0.
type wireClaims struct {
	Subject   string `json:"sub"`
	ExpiresAt *int64 `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	Role      string `json:"role"`
}

// Sign serializes c as a compact HS256 JWT. It refuses to mint tokens that
// Verify would reject as invalid, so a bad user id fails at issue time
// rather than on the client's first request.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("auth: sign: empty secret")
	}
	if err := validSubject(c.Subject); err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	if c.ExpiresAt <= 0 {
		// The zero value almost certainly means the caller forgot to set it.
		return "", fmt.Errorf("auth: sign: exp must be positive, got %d", c.ExpiresAt)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("auth: sign: marshal claims: %w", err)
	}
	signingInput := encodedHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac(secret, signingInput)), nil
}

// NewToken mints a token for user valid for ttl from now, with iat=now and
// the admin role if admin is set.
func NewToken(secret []byte, user string, ttl time.Duration, admin bool, now time.Time) (string, error) {
	// exp is whole seconds; anything under a second could round down to a
	// token that is already expired when issued.
	if ttl < time.Second {
		return "", fmt.Errorf("auth: new token: ttl %v is shorter than 1s", ttl)
	}
	c := Claims{
		Subject:   user,
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(ttl).Unix(),
	}
	if admin {
		c.Role = RoleAdmin
	}
	return Sign(secret, c)
}

// Verify checks token's structure, algorithm and signature against secret,
// then its claims against now. Expired tokens with a good signature yield an
// error matching ErrExpired; every other failure matches ErrInvalid. No
// clock leeway is applied: the token is expired once now >= exp.
func Verify(secret []byte, token string, now time.Time) (Claims, error) {
	return verify(secret, token, now, false)
}

// VerifyStatic is Verify that also takes a static user token (no exp, an
// iat: NewStaticToken), as RongCloud's and NIM's tokens are, for apps that
// allow them; its claims have ExpiresAt 0.
func VerifyStatic(secret []byte, token string, now time.Time) (Claims, error) {
	return verify(secret, token, now, true)
}

// NewStaticToken mints a user token without expiry, issued now: it lives
// until its user's tokens are revoked (by iat).
func NewStaticToken(secret []byte, user string, now time.Time) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("auth: sign: empty secret")
	}
	if err := validSubject(user); err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	payload, err := json.Marshal(struct {
		Subject  string `json:"sub"`
		IssuedAt int64  `json:"iat"`
	}{user, now.Unix()})
	if err != nil {
		return "", fmt.Errorf("auth: sign: marshal claims: %w", err)
	}
	signingInput := encodedHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac(secret, signingInput)), nil
}

func verify(secret []byte, token string, now time.Time, static bool) (Claims, error) {
	if len(secret) == 0 {
		// Fail closed: an empty HMAC key lets anyone forge tokens.
		return Claims{}, invalid("empty secret")
	}
	if len(token) > maxTokenLen {
		return Claims{}, invalid("token longer than %d bytes", maxTokenLen)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, invalid("want 3 segments, got %d", len(parts))
	}

	if err := checkHeader(parts[0]); err != nil {
		return Claims{}, err
	}

	// Authenticate before looking at the payload: nothing in it is
	// trustworthy, including exp, until the MAC checks out.
	sig, err := decodeSegment(parts[2])
	if err != nil {
		return Claims{}, invalid("decode signature: %v", err)
	}
	if !hmac.Equal(sig, mac(secret, token[:len(parts[0])+1+len(parts[1])])) {
		return Claims{}, invalid("bad signature")
	}

	raw, err := decodeSegment(parts[1])
	if err != nil {
		return Claims{}, invalid("decode payload: %v", err)
	}
	var w wireClaims
	if err := json.Unmarshal(raw, &w); err != nil {
		return Claims{}, invalid("parse payload: %v", err)
	}
	if err := validSubject(w.Subject); err != nil {
		return Claims{}, invalid("%v", err)
	}
	if w.ExpiresAt == nil {
		// A static token: only where allowed, only for users, and only
		// with the iat that revocation goes by.
		if !static || w.Role != "" || w.IssuedAt <= 0 {
			return Claims{}, invalid("missing exp")
		}
		return Claims{Subject: w.Subject, IssuedAt: w.IssuedAt}, nil
	}
	c := Claims{Subject: w.Subject, ExpiresAt: *w.ExpiresAt, IssuedAt: w.IssuedAt, Role: w.Role}
	// exp is integral, so comparing whole seconds is exact: now >= exp
	// iff floor(now) >= exp.
	if now.Unix() >= c.ExpiresAt {
		return Claims{}, fmt.Errorf("%w: expired at %d, now %d", ErrExpired, c.ExpiresAt, now.Unix())
	}
	return c, nil
}

// checkHeader accepts only a header whose "alg" is exactly "HS256". The
// header is decoded into a map rather than a struct because encoding/json
// matches struct fields case-insensitively, which would let "ALG" or "Alg"
// stand in for "alg".
func checkHeader(seg string) error {
	raw, err := decodeSegment(seg)
	if err != nil {
		return invalid("decode header: %v", err)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return invalid("parse header: %v", err)
	}
	algRaw, ok := h["alg"]
	if !ok {
		return invalid("header has no alg")
	}
	var alg string
	if err := json.Unmarshal(algRaw, &alg); err != nil {
		return invalid("header alg is not a string")
	}
	if alg != "HS256" {
		return invalid("unsupported alg %q", alg)
	}
	// RFC 7515 §4.1.11: extensions listed in crit must be understood; we
	// understand none.
	if _, ok := h["crit"]; ok {
		return invalid("unsupported crit header")
	}
	return nil
}

// validSubject enforces the user-id alphabet; ids become storage keys, so
// anything that could act as a separator or path element is excluded.
func validSubject(sub string) error {
	if len(sub) == 0 || len(sub) > maxSubjectLen {
		return fmt.Errorf("subject length %d not in 1..%d", len(sub), maxSubjectLen)
	}
	for i := 0; i < len(sub); i++ {
		switch b := sub[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9',
			b == '_', b == '.', b == '@', b == '-':
		default:
			return fmt.Errorf("subject has invalid byte %q at %d", b, i)
		}
	}
	return nil
}

// decodeSegment decodes base64url without padding (RFC 7515 §2). Strict mode
// rejects non-zero trailing bits so each token has exactly one valid
// encoding and cannot be re-spelled without changing its bytes.
func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

func mac(secret []byte, signingInput string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signingInput))
	return m.Sum(nil)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
