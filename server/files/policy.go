package files

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imwasm/imwasm/server/cors"
)

// How a stored file is served, shared by the server and the edge relay so
// both keep the same rules: nothing uploaded ever runs on the serving
// origin.

// CSP forbids everything a served file could do if a browser rendered
// it as a page: no scripts, no subresources, a sandboxed origin.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; media-src 'self'; sandbox"

// inertClaim reports whether an uploader's claimed type may be served: an
// allow-list of types a browser shows without running anything (images
// but SVG, audio, video, opaque bytes, plain text). A deny-list of the
// active types missed aliases browsers also run as script (text/jscript,
// text/ecmascript, text/livescript, …), so anything not listed here is
// served as its bytes sniff.
func inertClaim(t string) bool {
	switch {
	case t == "application/octet-stream" || t == "text/plain":
		return true
	case strings.Contains(t, "svg") || strings.Contains(t, "xml"):
		return false // image/svg+xml and any +xml document can carry script
	case strings.HasPrefix(t, "image/"), strings.HasPrefix(t, "audio/"), strings.HasPrefix(t, "video/"):
		return true
	}
	return false
}

// ServedType decides the Content-Type from the bytes (sniffed) and the
// uploader's claim: the bytes win when they say something specific; the
// claim fills in what sniffing cannot tell (an AAC file sniffs as
// octet-stream), choosing only among inert types (see inertClaim).
func ServedType(claimed, sniffed string) string {
	sn, _, _ := mime.ParseMediaType(sniffed)
	if sn != "application/octet-stream" && sn != "text/plain" {
		return sniffed
	}
	cl, params, err := mime.ParseMediaType(claimed)
	if err != nil || !inertClaim(cl) {
		return sniffed
	}
	if sn == "text/plain" && cl != "text/plain" {
		return sniffed // text is text, whatever it claims
	}
	if cs := strings.ToLower(params["charset"]); cl == "text/plain" && (cs == "utf-8" || cs == "us-ascii" || cs == "iso-8859-1") {
		return mime.FormatMediaType(cl, map[string]string{"charset": cs}) // only charsets that cannot smuggle markup
	}
	return cl
}

// Disposition is inline only where asked for (or by default) and only for
// images (not SVG), audio and video.
func Disposition(typ, want string) string {
	t, _, _ := mime.ParseMediaType(typ)
	media := (strings.HasPrefix(t, "image/") && t != "image/svg+xml") || strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/")
	if media && want != "attachment" {
		return "inline"
	}
	return "attachment"
}

// CleanName keeps the last path element of an uploader's file name,
// without control characters, at most 255 bytes; "file" if nothing is left.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		// Control and format characters (bidi overrides could dress
		// "gnp.exe" up as "exe.png") go.
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 255 {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// ContentDisposition writes the header with an ASCII fallback name and the
// exact one in RFC 5987 form.
func ContentDisposition(disp, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == ';' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return disp + `; filename="` + ascii + `"; filename*=UTF-8''` + attrChars(name)
}

// attrChars percent-encodes all but RFC 8187's attr-char.
func attrChars(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// SetHeaders sets what every download carries: the stored type, the
// disposition with a safe name, nosniff and the sandboxing CSP.
func SetHeaders(h http.Header, m Meta) {
	h.Set("Content-Type", m.Type)
	// Decided again: stored metadata never makes a type inline that the
	// rules of this build would not.
	h.Set("Content-Disposition", ContentDisposition(Disposition(m.Type, m.Disposition), m.Name))
	cors.Vary(h) // CORS headers depend on it; downloads are cached
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", CSP)
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
}
