package server

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
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
