package server_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/auth"
)

// Uploads against a real server: POST /v1/files streams to disk, GET
// serves with ranges and headers that keep uploaded files from running.

type uploaded struct {
	ID, URL, Name, Type, Disposition, MD5 string
	Size                                  int64
}

func (e *env) upload(t *testing.T, tok, name, typ, disp string, body io.Reader, size int64) (int, uploaded, map[string]any) {
	t.Helper()
	status, f, m, err := e.tryUpload(tok, name, typ, disp, body, size)
	if err != nil {
		t.Fatal(err)
	}
	return status, f, m
}

// tryUpload is upload for goroutines other than the test's.
func (e *env) tryUpload(tok, name, typ, disp string, body io.Reader, size int64) (int, uploaded, map[string]any, error) {
	q := url.Values{"name": {name}}
	if disp != "" {
		q.Set("disposition", disp)
	}
	req, err := http.NewRequest("POST", e.url+"/v1/files?"+q.Encode(), body)
	if err != nil {
		return 0, uploaded{}, nil, err
	}
	req.ContentLength = size
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if typ != "" {
		req.Header.Set("Content-Type", typ)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, uploaded{}, nil, err
	}
	defer res.Body.Close()
	var out struct {
		Code int32
		Msg  string
		Data uploaded
	}
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	if err := json.Unmarshal(raw, &out); err != nil {
		return 0, uploaded{}, nil, fmt.Errorf("upload answer %q: %w", raw, err)
	}
	return res.StatusCode, out.Data, m, nil
}

func get(t *testing.T, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// pngBytes is a 1x1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func storedFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(dir, "files"))
	return len(entries)
}

func TestUploadAndDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := token(t, "alice", time.Hour)
	body := bytes.Repeat([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), 1000)
	status, f, _ := e.upload(t, tok, "notes.bin", "application/octet-stream", "", bytes.NewReader(body), int64(len(body)))
	if status != 200 || f.Size != int64(len(body)) || f.Name != "notes.bin" || f.Type != "application/octet-stream" || f.Disposition != "attachment" || len(f.ID) != 26 {
		t.Fatalf("upload: %d %+v", status, f)
	}
	if !strings.HasSuffix(f.URL, "/v1/files/"+f.ID) {
		t.Fatalf("url %q", f.URL)
	}
	if sum := md5.Sum(body); f.MD5 != hex.EncodeToString(sum[:]) {
		t.Fatalf("md5 %q, want %x", f.MD5, sum)
	}
	res, got := get(t, f.URL)
	if res.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("download: %d, %d bytes", res.StatusCode, len(got))
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/octet-stream",
		"X-Content-Type-Options": "nosniff",
		"Content-Disposition":    `attachment; filename="notes.bin"; filename*=UTF-8''notes.bin`,
		"Accept-Ranges":          "bytes",
	} {
		if res.Header.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, res.Header.Get(k), want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	// A range.
	res, part := get(t, f.URL, "Range", "bytes=10-24")
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(part, body[10:25]) || res.Header.Get("Content-Range") != "bytes 10-24/10000" {
		t.Fatalf("range: %d %q %q", res.StatusCode, part, res.Header.Get("Content-Range"))
	}
	// CORS for apps on other origins.
	res, _ = get(t, f.URL, "Origin", "https://app.example")
	if res.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "Content-Disposition") {
		t.Errorf("CORS headers %v", res.Header)
	}
}

func TestUploadTypesAndDisposition(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := token(t, "alice", time.Hour)
	html := []byte("<!doctype html><html><script>alert(document.cookie)</script></html>")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
	for _, c := range []struct {
		name, claim, disp string
		body              []byte
		wantType, wantDis string
	}{
		{"cat.png", "image/png", "", pngBytes, "image/png", "inline"},
		{"cat.png", "image/png", "attachment", pngBytes, "image/png", "attachment"},
		{"page.html", "text/html", "inline", html, "text/html; charset=utf-8", "attachment"},
		{"fake.png", "image/png", "inline", html, "text/html; charset=utf-8", "attachment"},
		{"pic.svg", "image/svg+xml", "inline", svg, "text/plain; charset=utf-8", "attachment"},
		{"voice.aac", "audio/aac", "inline", []byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc, 0x21}, "audio/aac", "inline"},
		{"x.bin", "text/html", "", []byte{0, 1, 2, 3, 0xfe}, "application/octet-stream", "attachment"},
		{"x.bin", "application/x-thing", "", []byte{0, 1, 2, 3, 0xfe}, "application/octet-stream", "attachment"},
	} {
		status, f, _ := e.upload(t, tok, c.name, c.claim, c.disp, bytes.NewReader(c.body), int64(len(c.body)))
		if status != 200 {
			t.Fatalf("%s: %d", c.name, status)
		}
		res, got := get(t, f.URL)
		if res.Header.Get("Content-Type") != c.wantType || !strings.HasPrefix(res.Header.Get("Content-Disposition"), c.wantDis+";") || !bytes.Equal(got, c.body) {
			t.Errorf("%s (%s, asked %q): served %q, %q", c.name, c.claim, c.disp, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: missing nosniff or sandbox", c.name)
		}
	}
	status, _, body := e.upload(t, tok, "a", "", "sideways", strings.NewReader("x"), 1)
	if status != 400 || body["code"] != 35032.0 {
		t.Fatalf("bad disposition: %d %v", status, body)
	}
}

// A claim naming script under one of its less known names is never served
// as such: with nosniff, a browser would run it as a script loaded from
// this origin.
func TestUploadClaimedScriptServedAsText(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := token(t, "alice", time.Hour)
	script := []byte("fetch('/v1/settings').then(r => r.text()).then(alert)")
	for _, claim := range []string{"text/jscript", "text/ecmascript", "text/livescript", "text/x-ecmascript", "application/x-javascript", "text/javascript1.2"} {
		status, f, _ := e.upload(t, tok, "a.js", claim, "inline", bytes.NewReader(script), int64(len(script)))
		if status != 200 {
			t.Fatalf("%s: %d", claim, status)
		}
		res, got := get(t, f.URL)
		if ct := res.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || f.Type != ct || !bytes.Equal(got, script) {
			t.Errorf("claimed %s: served as %q (upload answered %q)", claim, ct, f.Type)
		}
		if !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("claimed %s: %q, nosniff %q", claim, res.Header.Get("Content-Disposition"), res.Header.Get("X-Content-Type-Options"))
		}
	}
}

func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir; c.MaxUploadBytes = 1000 })
	tok := token(t, "alice", time.Hour)
	for _, c := range []struct {
		tok  string
		code float64
	}{{"", 31004}, {"not-a-token", 31004}, {expiredToken(t, "alice"), 31020}} {
		status, _, body := e.upload(t, c.tok, "a.txt", "text/plain", "", strings.NewReader("hello"), 5)
		if status != 401 || body["code"] != c.code {
			t.Errorf("token %q: %d %v", c.tok, status, body)
		}
	}
	before := storedFiles(t, dir)
	// Over the limit, announced by Content-Length, and streamed (unknown
	// length): 26106 and nothing kept.
	big := bytes.Repeat([]byte("x"), 1001)
	status, _, body := e.upload(t, tok, "big", "", "", bytes.NewReader(big), int64(len(big)))
	if status != 413 || body["code"] != 26106.0 {
		t.Fatalf("over the limit: %d %v", status, body)
	}
	status, _, body = e.upload(t, tok, "big", "", "", io.MultiReader(bytes.NewReader(big)), -1)
	if status != 413 || body["code"] != 26106.0 {
		t.Fatalf("streamed over the limit: %d %v", status, body)
	}
	if n := storedFiles(t, dir); n != before {
		t.Fatalf("%d files kept after refused uploads (had %d)", n, before)
	}
	// Exactly the limit fits.
	if status, _, _ := e.upload(t, tok, "fits", "", "", bytes.NewReader(big[:1000]), 1000); status != 200 {
		t.Fatalf("at the limit: %d", status)
	}
	// Traversal: names keep their last element; ids are only ever ids.
	status, f, _ := e.upload(t, tok, "../../etc/pass\"wd\r\nX-Evil: 1", "text/plain", "", strings.NewReader("hi"), 2)
	if status != 200 || f.Name != `pass"wdX-Evil: 1` {
		t.Fatalf("name: %d %q", status, f.Name)
	}
	res, _ := get(t, f.URL)
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="pass_wdX-Evil: 1"; filename*=UTF-8''pass%22wdX-Evil%3A%201` || res.Header.Get("X-Evil") != "" {
		t.Fatalf("Content-Disposition %q", cd)
	}
	for _, p := range []string{"/v1/files/..%2f..%2fimwasm.db", "/v1/files/" + strings.Repeat("a", 26), "/v1/files/" + f.ID + ".json", "/v1/files/.upload-1"} {
		if res, _ := get(t, e.url+p); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	// The limit changes at run time.
	if status, _ := e.admin("PUT", "/v1/settings", map[string]any{"uploadMaxBytes": 2000}); status != 200 {
		t.Fatal("settings")
	}
	if status, _, _ := e.upload(t, tok, "now fits", "", "", bytes.NewReader(big), int64(len(big))); status != 200 {
		t.Fatalf("after raising the limit: %d", status)
	}
}

func expiredToken(t *testing.T, user string) string {
	t.Helper()
	tok, err := auth.NewToken([]byte(appSecret), user, time.Hour, false, time.Now().Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// zeros is an endless reader that allocates nothing.
type zeros struct{ left int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.left {
		n = z.left
	}
	clear(p[:n])
	z.left -= n
	return int(n), nil
}

func TestUpload200MBInBoundedMemory(t *testing.T) {
	const size = 200 << 20
	e := newEnv(t, func(c *server.Config) { c.MaxUploadBytes = 300 << 20 })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	status, f, _ := e.upload(t, token(t, "alice", time.Hour), "big.bin", "application/octet-stream", "", &zeros{size}, size)
	runtime.ReadMemStats(&after)
	if status != 200 || f.Size != size {
		t.Fatalf("upload: %d %+v", status, f)
	}
	// Server and client share this process: both together allocate a
	// small fraction of the file.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Fatalf("allocated %d MB for a 200 MB upload", alloc>>20)
	}
	res, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if n != size {
		t.Fatalf("downloaded %d bytes", n)
	}
}

func TestEraseUserDeletesFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, mine, _ := e.upload(t, token(t, "alice", time.Hour), "a.txt", "text/plain", "", strings.NewReader("alice's"), 7)
	_, theirs, _ := e.upload(t, token(t, "bob", time.Hour), "b.txt", "text/plain", "", strings.NewReader("bob's"), 5)
	if status, body := e.admin("DELETE", "/v1/users/alice", nil); status != 200 || body["data"].(map[string]any)["erasedFiles"] != 1.0 {
		t.Fatalf("erase: %d %v", status, body)
	}
	if res, _ := get(t, mine.URL); res.StatusCode != 404 {
		t.Fatalf("alice's file: %d after erasure", res.StatusCode)
	}
	if res, _ := get(t, theirs.URL); res.StatusCode != 200 {
		t.Fatalf("bob's file: %d", res.StatusCode)
	}
}

func TestRetentionDeletesOldFiles(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: time.Now()}
	e := newEnv(t, func(c *server.Config) { c.Now = clk.now })
	_, old, _ := e.upload(t, token(t, "alice", time.Hour), "old.txt", "text/plain", "", strings.NewReader("old"), 3)
	between := time.Now()
	_, fresh, _ := e.upload(t, token(t, "alice", time.Hour), "new.txt", "text/plain", "", strings.NewReader("new"), 3)
	// Setting a retention applies it at once: of one second, a second
	// after the time between the two uploads.
	clk.set(between.Add(time.Second))
	if status, _ := e.admin("PUT", "/v1/settings", map[string]any{"messageRetentionSeconds": 1}); status != 200 {
		t.Fatal("settings")
	}
	if res, _ := get(t, old.URL); res.StatusCode != 404 {
		t.Fatalf("a file past the retention: %d", res.StatusCode)
	}
	if res, _ := get(t, fresh.URL); res.StatusCode != 200 {
		t.Fatalf("a file within the retention: %d", res.StatusCode)
	}
	if n, size := e.metric(t, "imwasm_upload_files"), e.metric(t, "imwasm_upload_bytes"); n != 1 || size != 3 {
		t.Fatalf("after retention the quotas count %v files, %v bytes; want 1, 3", n, size)
	}
}

func TestUploadPublicURLAndStall(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) {
		c.DataDir, c.PublicURL, c.UploadIdle = dir, "https://im.example.com/", 300*time.Millisecond
	})
	tok := token(t, "alice", time.Hour)
	_, f, _ := e.upload(t, tok, "a.txt", "text/plain", "", strings.NewReader("hello"), 5)
	if f.URL != "https://im.example.com/v1/files/"+f.ID {
		t.Fatalf("url %q", f.URL)
	}
	before := storedFiles(t, dir)
	// A client that announces 1,000 bytes, sends 10 and stops is dropped.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/files?name=slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n0123456789", tok)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(conn) // returns once the server gives up on it
	if !strings.Contains(string(b), "400") {
		t.Fatalf("answer to a stalled upload: %q", b)
	}
	if n := storedFiles(t, dir); n != before {
		t.Fatalf("%d files after a stalled upload (had %d)", n, before)
	}
}
