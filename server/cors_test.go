package server_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server"
)

// Every answer says Vary: Origin once, whether the origin is allowed,
// refused or absent: downloads are cached, and an answer without the CORS
// headers must not be given to an allowed origin. (A download sets it
// too, and once is enough.)
func TestVaryOrigin(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.AllowedOrigins = []string{"https://app.example"} })
	_, f, _ := e.upload(t, token(t, "alice", time.Hour), "a.txt", "text/plain", "", bytes.NewReader([]byte("hi")), 2)
	for _, c := range []struct {
		name, url, origin, allow string
	}{
		{"download, allowed", f.URL, "https://app.example", "https://app.example"},
		{"download, refused", f.URL, "https://evil.example", ""},
		{"download, no origin", f.URL, "", ""},
		{"healthz, no origin", e.url + "/healthz", "", ""},
		{"API refusal, allowed", e.url + "/v1/settings", "https://app.example", "https://app.example"},
	} {
		var hdr []string
		if c.origin != "" {
			hdr = []string{"Origin", c.origin}
		}
		res, _ := get(t, c.url, hdr...)
		if v := res.Header.Values("Vary"); len(v) != 1 || v[0] != "Origin" {
			t.Errorf("%s: Vary %q", c.name, v)
		}
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != c.allow {
			t.Errorf("%s: Access-Control-Allow-Origin %q", c.name, got)
		}
	}
}
