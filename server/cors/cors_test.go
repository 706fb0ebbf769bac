package cors_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imwasm/imwasm/server/cors"
)

// origins names Origin in a response's Vary header as often as it does.
func origins(h http.Header) int {
	n := 0
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Origin") {
				n++
			}
		}
	}
	return n
}

func TestApply(t *testing.T) {
	allowed := func(origin string) bool { return origin == "https://app.example" }
	for _, c := range []struct {
		name     string
		method   string
		origin   string
		vary     []string // set before Apply (by a handler or middleware)
		twice    bool     // Apply runs twice (two wrappers)
		answered bool     // a preflight, answered with 204
		allow    bool     // Access-Control-Allow-Origin echoes the origin
		origins  int      // Origin in Vary
	}{
		{name: "allowed", method: "GET", origin: "https://app.example", allow: true, origins: 1},
		{name: "refused", method: "GET", origin: "https://evil.example", origins: 1},
		{name: "no origin", method: "GET", origins: 1},
		{name: "preflight allowed", method: "OPTIONS", origin: "https://app.example", answered: true, allow: true, origins: 1},
		{name: "preflight refused", method: "OPTIONS", origin: "https://evil.example", origins: 1},
		{name: "applied twice", method: "GET", origin: "https://app.example", twice: true, allow: true, origins: 1},
		{name: "applied twice, no origin", method: "GET", twice: true, origins: 1},
		{name: "Vary set before", method: "GET", origin: "https://app.example", vary: []string{"Accept-Encoding, origin"}, allow: true, origins: 1},
		{name: "another Vary before", method: "GET", vary: []string{"Accept-Encoding"}, origins: 1},
		{name: "Vary * before", method: "GET", origin: "https://app.example", vary: []string{"*"}, allow: true, origins: 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/v1/files/x", nil)
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			w := httptest.NewRecorder()
			for _, v := range c.vary {
				w.Header().Add("Vary", v)
			}
			answered := cors.Apply(w, r, allowed)
			if c.twice && !answered {
				answered = cors.Apply(w, r, allowed)
			}
			if answered != c.answered {
				t.Errorf("answered %v", answered)
			}
			if c.answered && w.Code != http.StatusNoContent {
				t.Errorf("preflight answered %d", w.Code)
			}
			h := w.Result().Header
			want := ""
			if c.allow {
				want = c.origin
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != want {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, want)
			}
			if n := origins(h); n != c.origins {
				t.Errorf("Origin %d times in Vary %q", n, h.Values("Vary"))
			}
			for _, v := range c.vary {
				if !strings.Contains(strings.Join(h.Values("Vary"), ", "), v) {
					t.Errorf("Vary %q lost %q", h.Values("Vary"), v)
				}
			}
		})
	}
}
