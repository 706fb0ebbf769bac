// Package cors is the CORS answer the server and the edge relay share, so
// a browser app sees the same rules through either: allowed origins are
// echoed (no credentials: a bearer token, never a cookie, authorizes) and
// preflights answered.
package cors

import "net/http"

// Apply sets the CORS headers when the request's Origin is allowed and
// answers a preflight (OPTIONS) itself, reporting true when it did.
func Apply(w http.ResponseWriter, r *http.Request, allowed func(origin string) bool) (answered bool) {
	origin := r.Header.Get("Origin")
	if origin == "" || !allowed(origin) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
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
