package files

import "testing"

func TestServedType(t *testing.T) {
	const (
		bin  = "application/octet-stream"
		text = "text/plain; charset=utf-8"
	)
	for _, c := range []struct {
		claimed, sniffed, want string
	}{
		// The bytes say something specific: they win.
		{"image/png", "text/html; charset=utf-8", "text/html; charset=utf-8"},
		{"text/plain", "image/png", "image/png"},
		// Inert claims fill in what sniffing cannot tell.
		{"audio/aac", bin, "audio/aac"},
		{"Video/MP4", bin, "video/mp4"},
		{"image/heic", bin, "image/heic"},
		{"application/octet-stream", bin, bin},
		{"text/plain", bin, "text/plain"},
		{"text/plain; charset=UTF-8", text, "text/plain; charset=utf-8"},
		{"text/plain; charset=utf-7", text, "text/plain"}, // a charset that could smuggle markup is dropped
		{"audio/aac", text, text},                         // text is text, whatever it claims
		// Script under any name, and every other type that could run or
		// that is not on the list, is served as its bytes sniff.
		{"text/jscript", text, text},
		{"text/ecmascript", text, text},
		{"text/livescript", text, text},
		{"text/x-javascript", text, text},
		{"application/x-javascript", bin, bin},
		{"text/javascript1.5", text, text},
		{"text/html", text, text},
		{"text/css", text, text},
		{"text/xml", text, text},
		{"text/vtt", text, text},
		{"image/svg+xml", text, text},
		{"image/svg+xml", bin, bin},
		{"image/svg-xml", bin, bin},
		{"video/x-foo+xml", bin, bin},
		{"application/pdf", bin, bin},
		{"application/xhtml+xml", bin, bin},
		{"application/x-thing", bin, bin},
		{"multipart/x-mixed-replace; boundary=x", bin, bin},
		// Malformed or missing claims.
		{"", text, text},
		{"image", bin, bin},
		{"image/png; =", bin, bin},
	} {
		if got := ServedType(c.claimed, c.sniffed); got != c.want {
			t.Errorf("ServedType(%q, %q) = %q, want %q", c.claimed, c.sniffed, got, c.want)
		}
	}
}

func TestDisposition(t *testing.T) {
	for _, c := range []struct {
		typ, want, got string
	}{
		{"image/png", "", "inline"},
		{"image/png", "inline", "inline"},
		{"image/png", "attachment", "attachment"},
		{"audio/aac", "inline", "inline"},
		{"video/mp4", "", "inline"},
		{"image/svg+xml", "inline", "attachment"},
		{"text/plain; charset=utf-8", "inline", "attachment"},
		{"text/html; charset=utf-8", "inline", "attachment"},
		{"application/octet-stream", "inline", "attachment"},
	} {
		if d := Disposition(c.typ, c.want); d != c.got {
			t.Errorf("Disposition(%q, %q) = %q, want %q", c.typ, c.want, d, c.got)
		}
	}
}
