package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("test-secret-0123456789")
	testNow    = time.Unix(1_700_000_000, 0)
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// forge builds a token from raw header and payload JSON, signed with secret,
// so tests can produce tokens Sign would never emit.
func forge(secret []byte, header, payload string) string {
	return forgeRaw(secret, enc(header), enc(payload))
}

// forgeRaw signs already-encoded segments, so a malformed segment still
// carries a valid MAC and only the decode step can reject it.
func forgeRaw(secret []byte, headerSeg, payloadSeg string) string {
	in := headerSeg + "." + payloadSeg
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

const stdHeader = `{"alg":"HS256","typ":"JWT"}`

func TestEncodedHeaderConstant(t *testing.T) {
	if got := enc(stdHeader); got != encodedHeader {
		t.Fatalf("encodedHeader = %q, want %q", encodedHeader, got)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    Claims
	}{
		{"minimal", Claims{Subject: "alice", ExpiresAt: testNow.Unix() + 60}},
		{"all fields", Claims{Subject: "app.server@example-1_x", ExpiresAt: testNow.Unix() + 1, IssuedAt: testNow.Unix(), Role: RoleAdmin}},
		{"max subject", Claims{Subject: strings.Repeat("a", 64), ExpiresAt: testNow.Unix() + 60}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Sign(testSecret, tt.c)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if !strings.HasPrefix(tok, encodedHeader+".") {
				t.Errorf("token %q does not start with the fixed header", tok)
			}
			if strings.ContainsAny(tok, "=+/") {
				t.Errorf("token %q is not unpadded base64url", tok)
			}
			got, err := Verify(testSecret, tok, testNow)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.c {
				t.Errorf("Verify = %+v, want %+v", got, tt.c)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		ttl      time.Duration
		admin    bool
		wantRole string
		wantErr  bool
	}{
		{"user", "bob", time.Hour, false, "", false},
		{"admin", "app1", time.Minute, true, RoleAdmin, false},
		{"one second", "bob", time.Second, false, "", false},
		{"sub-second ttl", "bob", 999 * time.Millisecond, false, "", true},
		{"negative ttl", "bob", -time.Hour, false, "", true},
		{"bad user", "bob/../x", time.Hour, false, "", true},
		{"empty user", "", time.Hour, false, "", true},
	}
	// A fractional now checks that exp rounding cannot produce a token that
	// is already expired at issue.
	now := testNow.Add(999 * time.Millisecond)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := NewToken(testSecret, tt.user, tt.ttl, tt.admin, now)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewToken succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewToken: %v", err)
			}
			c, err := Verify(testSecret, tok, now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Claims{Subject: tt.user, IssuedAt: now.Unix(), ExpiresAt: now.Add(tt.ttl).Unix(), Role: tt.wantRole}
			if c != want {
				t.Errorf("claims = %+v, want %+v", c, want)
			}
			if c.IsAdmin() != tt.admin {
				t.Errorf("IsAdmin = %v, want %v", c.IsAdmin(), tt.admin)
			}
		})
	}
}

func TestSignRejects(t *testing.T) {
	exp := testNow.Unix() + 60
	tests := []struct {
		name   string
		secret []byte
		c      Claims
	}{
		{"empty secret", nil, Claims{Subject: "a", ExpiresAt: exp}},
		{"empty subject", testSecret, Claims{ExpiresAt: exp}},
		{"long subject", testSecret, Claims{Subject: strings.Repeat("a", 65), ExpiresAt: exp}},
		{"bad subject byte", testSecret, Claims{Subject: "a:b", ExpiresAt: exp}},
		{"zero exp", testSecret, Claims{Subject: "a"}},
		{"negative exp", testSecret, Claims{Subject: "a", ExpiresAt: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := Sign(tt.secret, tt.c); err == nil {
				t.Fatalf("Sign = %q, want error", tok)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	exp := "1700000060"
	good := forge(testSecret, stdHeader, `{"sub":"alice","exp":`+exp+`}`)
	goodParts := strings.Split(good, ".")

	tamperedPayload := goodParts[0] + "." + enc(`{"sub":"mallory","exp":`+exp+`}`) + "." + goodParts[2]
	// Flip one signature bit while keeping the encoding canonical.
	sig, _ := base64.RawURLEncoding.DecodeString(goodParts[2])
	sig[0] ^= 1
	tamperedSig := goodParts[0] + "." + goodParts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	// "A" and "B" decode to the same 6 bits followed by different trailing
	// bits; strict decoding must refuse the non-canonical spelling.
	nonCanonical := goodParts[0] + "." + goodParts[1] + "." + goodParts[2][:len(goodParts[2])-1] + nudge(goodParts[2][len(goodParts[2])-1])

	tests := []struct {
		name   string
		secret []byte
		token  string
	}{
		{"empty token", testSecret, ""},
		{"one segment", testSecret, "abc"},
		{"two segments", testSecret, goodParts[0] + "." + goodParts[1]},
		{"four segments", testSecret, good + ".x"},
		{"empty signature", testSecret, goodParts[0] + "." + goodParts[1] + "."},
		{"bad base64 header", testSecret, "!!!." + goodParts[1] + "." + goodParts[2]},
		{"bad base64 payload", testSecret, forgeRaw(testSecret, encodedHeader, "***")},
		{"bad base64 header, valid MAC", testSecret, forgeRaw(testSecret, "***", goodParts[1])},
		{"padded segment", testSecret, goodParts[0] + "=." + goodParts[1] + "." + goodParts[2]},
		{"std base64 alphabet", testSecret, strings.NewReplacer("-", "+", "_", "/").Replace(good)},
		{"non-canonical base64 signature", testSecret, nonCanonical},
		{"bad JSON header", testSecret, forge(testSecret, `{"alg":"HS256"`, `{"sub":"a","exp":`+exp+`}`)},
		{"header not object", testSecret, forge(testSecret, `"HS256"`, `{"sub":"a","exp":`+exp+`}`)},
		{"bad JSON payload", testSecret, forge(testSecret, stdHeader, `{"sub":"a","exp":`)},
		{"payload trailing garbage", testSecret, forge(testSecret, stdHeader, `{"sub":"a","exp":`+exp+`}x`)},
		{"alg none", testSecret, forge(testSecret, `{"alg":"none","typ":"JWT"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg none unsigned", testSecret, enc(`{"alg":"none"}`) + "." + enc(`{"sub":"a","exp":`+exp+`}`) + "."},
		{"alg trailing space", testSecret, forge(testSecret, `{"alg":"HS256 ","typ":"JWT"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg leading space", testSecret, forge(testSecret, `{"alg":" HS256"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg lowercase", testSecret, forge(testSecret, `{"alg":"hs256"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg HS512", testSecret, forge(testSecret, `{"alg":"HS512"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg RS256", testSecret, forge(testSecret, `{"alg":"RS256"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg missing", testSecret, forge(testSecret, `{"typ":"JWT"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg wrong key case", testSecret, forge(testSecret, `{"ALG":"HS256"}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg not string", testSecret, forge(testSecret, `{"alg":256}`, `{"sub":"a","exp":`+exp+`}`)},
		{"alg null", testSecret, forge(testSecret, `{"alg":null}`, `{"sub":"a","exp":`+exp+`}`)},
		{"crit header", testSecret, forge(testSecret, `{"alg":"HS256","crit":["x"],"x":1}`, `{"sub":"a","exp":`+exp+`}`)},
		{"tampered payload", testSecret, tamperedPayload},
		{"tampered signature", testSecret, tamperedSig},
		{"different secret", []byte("another-secret"), good},
		{"empty secret", nil, good},
		{"missing sub", testSecret, forge(testSecret, stdHeader, `{"exp":`+exp+`}`)},
		{"empty sub", testSecret, forge(testSecret, stdHeader, `{"sub":"","exp":`+exp+`}`)},
		{"null sub", testSecret, forge(testSecret, stdHeader, `{"sub":null,"exp":`+exp+`}`)},
		{"sub not string", testSecret, forge(testSecret, stdHeader, `{"sub":42,"exp":`+exp+`}`)},
		{"sub too long", testSecret, forge(testSecret, stdHeader, `{"sub":"`+strings.Repeat("a", 65)+`","exp":`+exp+`}`)},
		{"sub with slash", testSecret, forge(testSecret, stdHeader, `{"sub":"a/b","exp":`+exp+`}`)},
		{"sub with space", testSecret, forge(testSecret, stdHeader, `{"sub":"a b","exp":`+exp+`}`)},
		{"sub with NUL", testSecret, forge(testSecret, stdHeader, `{"sub":"a\u0000","exp":`+exp+`}`)},
		{"sub non-ASCII", testSecret, forge(testSecret, stdHeader, `{"sub":"é","exp":`+exp+`}`)},
		{"missing exp", testSecret, forge(testSecret, stdHeader, `{"sub":"a"}`)},
		{"null exp", testSecret, forge(testSecret, stdHeader, `{"sub":"a","exp":null}`)},
		{"string exp", testSecret, forge(testSecret, stdHeader, `{"sub":"a","exp":"`+exp+`"}`)},
		{"fractional exp", testSecret, forge(testSecret, stdHeader, `{"sub":"a","exp":1700000060.5}`)},
		{"payload not object", testSecret, forge(testSecret, stdHeader, `[]`)},
		{"oversized token", testSecret, forge(testSecret, stdHeader, `{"sub":"a","exp":`+exp+`,"pad":"`+strings.Repeat("x", maxTokenLen)+`"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Verify(tt.secret, tt.token, testNow)
			if err == nil {
				t.Fatalf("Verify accepted %q: %+v", tt.token, c)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if errors.Is(err, ErrExpired) {
				t.Errorf("err = %v, must not be ErrExpired", err)
			}
			if c != (Claims{}) {
				t.Errorf("claims = %+v on error, want zero", c)
			}
		})
	}
	// Sanity: the base token the cases are derived from is itself valid.
	if _, err := Verify(testSecret, good, testNow); err != nil {
		t.Fatalf("base token rejected: %v", err)
	}
}

// nudge returns a different base64url character that decodes to the same
// leading bits, i.e. differs only in bits that strict decoding must reject.
func nudge(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i^1])
}

func TestExpiry(t *testing.T) {
	exp := testNow.Unix()
	tok, err := Sign(testSecret, Claims{Subject: "alice", ExpiresAt: exp})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		now         time.Time
		wantExpired bool
	}{
		{"one second before", time.Unix(exp-1, 0), false},
		{"just before", time.Unix(exp-1, 999_999_999), false},
		{"exactly at exp", time.Unix(exp, 0), true}, // no leeway: now >= exp
		{"just after", time.Unix(exp, 1), true},
		{"long after", time.Unix(exp+86400, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Verify(testSecret, tok, tt.now)
			if !tt.wantExpired {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrExpired) {
				t.Fatalf("err = %v, want ErrExpired", err)
			}
			if errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, expired must not be ErrInvalid", err)
			}
			if c != (Claims{}) {
				t.Errorf("claims = %+v on error, want zero", c)
			}
		})
	}
}

func TestForgedExpiredIsInvalid(t *testing.T) {
	// An attacker without the secret must not learn anything from, or be
	// told "please refresh" about, a token whose signature is wrong.
	expired := `{"sub":"alice","exp":1}`
	tests := []struct {
		name  string
		token string
	}{
		{"wrong secret", forge([]byte("attacker"), stdHeader, expired)},
		{"alg none", enc(`{"alg":"none"}`) + "." + enc(expired) + "."},
		{"garbage signature", enc(stdHeader) + "." + enc(expired) + "." + enc("nope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(testSecret, tt.token, testNow)
			if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrExpired) {
				t.Fatalf("err = %v, want ErrInvalid only", err)
			}
		})
	}
	// Control: the same claims, correctly signed, are merely expired.
	if _, err := Verify(testSecret, forge(testSecret, stdHeader, expired), testNow); !errors.Is(err, ErrExpired) {
		t.Fatalf("genuine expired token: err = %v, want ErrExpired", err)
	}
}

func TestVerifyIgnoresUnknownClaimsAndHeaders(t *testing.T) {
	tok := forge(testSecret, `{"typ":"JWT","alg":"HS256","kid":"k1"}`,
		`{"aud":"x","sub":"alice","nbf":5,"exp":1700000060,"iat":1699999999,"role":"admin","extra":{"a":[1,2]}}`)
	got, err := Verify(testSecret, tok, testNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Claims{Subject: "alice", ExpiresAt: 1700000060, IssuedAt: 1699999999, Role: RoleAdmin}
	if got != want {
		t.Errorf("claims = %+v, want %+v", got, want)
	}
}

func FuzzVerify(f *testing.F) {
	secret := []byte("fuzz-secret")
	now := time.Unix(1_700_000_000, 0)
	valid, err := NewToken(secret, "alice", time.Hour, false, now)
	if err != nil {
		f.Fatal(err)
	}
	admin, err := NewToken(secret, "app@srv", time.Hour, true, now)
	if err != nil {
		f.Fatal(err)
	}
	expired, err := Sign(secret, Claims{Subject: "bob", ExpiresAt: now.Unix()})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		valid,
		admin,
		expired,
		"",
		"a.b.c",
		"...",
		enc(`{"alg":"none"}`) + "." + enc(`{"sub":"a","exp":9999999999}`) + ".",
		forge(secret, `{"alg":"HS256 "}`, `{"sub":"a","exp":9999999999}`),
		forge(secret, stdHeader, `{"sub":"a"}`),
		forge(secret, stdHeader, `{"sub":"a","exp":9999999999,"iat":0,"role":""}`),
		forge([]byte("other"), stdHeader, `{"sub":"a","exp":9999999999}`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := Verify(secret, token, now)
		if err != nil {
			if errors.Is(err, ErrInvalid) == errors.Is(err, ErrExpired) {
				t.Fatalf("error %v must match exactly one of ErrInvalid, ErrExpired", err)
			}
			if c != (Claims{}) {
				t.Fatalf("claims %+v returned with error %v", c, err)
			}
			return
		}
		// Verification is a pure function of its inputs.
		c2, err := Verify(secret, token, now)
		if err != nil || c2 != c {
			t.Fatalf("re-verify = %+v, %v; first = %+v", c2, err, c)
		}
		// Anything accepted is something Sign could have produced, and
		// re-signing preserves every claim.
		tok2, err := Sign(secret, c)
		if err != nil {
			t.Fatalf("Sign(accepted claims %+v): %v", c, err)
		}
		c3, err := Verify(secret, tok2, now)
		if err != nil || c3 != c {
			t.Fatalf("re-signed verify = %+v, %v; want %+v", c3, err, c)
		}
	})
}

func TestStaticTokens(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	tok, err := NewStaticToken(secret, "alice", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(secret, tok, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Verify took a static token: %v", err)
	}
	c, err := VerifyStatic(secret, tok, now.Add(100*365*24*time.Hour))
	if err != nil || c.Subject != "alice" || c.IssuedAt != now.Unix() || c.ExpiresAt != 0 {
		t.Fatalf("VerifyStatic = %+v, %v", c, err)
	}
	if _, err := VerifyStatic([]byte("other"), tok, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a static token under another secret: %v", err)
	}
	// Without iat, or as an admin, a token needs exp even where static ones are allowed.
	for name, payload := range map[string]string{
		"no iat": `{"sub":"alice"}`,
		"admin":  `{"sub":"app","iat":1800000000,"role":"admin"}`,
	} {
		in := encodedHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		forged := in + "." + base64.RawURLEncoding.EncodeToString(mac(secret, in))
		if _, err := VerifyStatic(secret, forged, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	// An ordinary token still expires under VerifyStatic.
	tok2, _ := NewToken(secret, "alice", time.Hour, false, now)
	if _, err := VerifyStatic(secret, tok2, now.Add(2*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired token: %v", err)
	}
}
