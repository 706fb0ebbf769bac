// Package cors is the CORS answer the server and the edge relay share, so
// a browser app sees the same rules through either: allowed origins are
// echoed (no credentials: a bearer token, never a cookie, authorizes) and
// preflights answered. It is public API, for the edge relay
// (examples/edge-relay) and those who copy it.
package cors

import (
	"net/http"
	"strings"
)

// Apply sets the CORS headers when the request's Origin is allowed and
// answers a preflight (OPTIONS) itself, reporting true when it did. Every
// answer it sees says Vary: Origin, allowed or not: a cache that kept an
// answer without the CORS headers (to a refused origin, or to a request
// without one) must not give it to an allowed origin.
func Apply(w http.ResponseWriter, r *http.Request, allowed func(origin string) bool) (answered bool) {
	h := w.Header()
	Vary(h)
	origin := r.Header.Get("Origin")
	if origin == "" || !allowed(origin) {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Content-Disposition, Content-Length, Content-Range, Accept-Ranges")
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Disposition, Range")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// Vary adds Origin to h's Vary header unless it lists Origin (or *)
// already, so an answer says it once however many steps set it.
func Vary(h http.Header) {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, "Origin") {
				return
			}
		}
	}
	h.Add("Vary", "Origin")
}
