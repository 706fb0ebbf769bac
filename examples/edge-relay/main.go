//go:build js && wasm

// Command edge-relay is imwasm's edge relay: a Cloudflare Worker in Go
// (github.com/syumai/workers) in front of an imwasm server. It checks
// tokens at the edge, keeps uploads in an R2 bucket and serves them with
// the server's own rules (server/files), and forwards the rest of /v1/* to
// the origin, which stays the only place messages are stored.
//
// Bindings (wrangler.toml): FILES (R2 bucket); APP_SECRET (secret: the
// server's app secret); ORIGIN_URL, ALLOWED_ORIGINS, MAX_UPLOAD_BYTES
// (variables).
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/fetch"
	"github.com/syumai/workers/cloudflare/r2"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/cors"
	"github.com/imwasm/imwasm/server/files"
)

// defaultMaxUpload: R2's put in syumai/workers reads a whole body into
// memory (a Worker has 128 MB), so uploads through the relay are capped.
const defaultMaxUpload = 50 << 20

func main() {
	workers.Serve(http.HandlerFunc(serve))
}

// relayError is the server's refusal shape: {code, msg}.
type relayError struct {
	status int
	Code   int32  `json:"code"`
	Msg    string `json:"msg"`
}

func reply(w http.ResponseWriter, v any, e *relayError) {
	w.Header().Set("Content-Type", "application/json")
	if e != nil {
		w.WriteHeader(e.status)
		json.NewEncoder(w).Encode(e)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"code": 0, "data": v})
}

func serve(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Println("relay panic:", p) // the Worker's log, not the client
			reply(w, nil, &relayError{http.StatusInternalServerError, codes.Timeout, "relay error"})
		}
	}()
	if !allowCORS(w, r) {
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/files":
		upload(w, r)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, "/v1/files/"):
		download(w, r, strings.TrimPrefix(r.URL.Path, "/v1/files/"))
	case strings.HasPrefix(r.URL.Path, "/v1/") && r.URL.Path != "/v1/ws":
		forward(w, r)
	default:
		reply(w, nil, &relayError{http.StatusNotFound, codes.InvalidParameter, "not served by the relay"})
	}
}

// allowCORS answers browsers on ALLOWED_ORIGINS (comma-separated; empty: any)
// and reports whether the request goes on (a preflight ends here).
func allowCORS(w http.ResponseWriter, r *http.Request) bool {
	allowed := strings.TrimSpace(cloudflare.Getenv("ALLOWED_ORIGINS"))
	ok := func(origin string) bool {
		if allowed == "" {
			return true
		}
		for _, o := range strings.Split(allowed, ",") {
			if strings.TrimSpace(o) == origin {
				return true
			}
		}
		return false
	}
	if cors.Apply(w, r, ok) {
		return false // a preflight, answered
	}
	if origin := r.Header.Get("Origin"); origin != "" && !ok(origin) && r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusForbidden)
		return false
	}
	return true // a disallowed origin gets no CORS headers: the browser keeps the answer from the page
}

// token checks the bearer token with the app secret (signature and
// expiry; revocations are the origin's to check). admin: the call needs
// an app-server token.
func token(r *http.Request, admin bool) (*auth.Claims, *relayError) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, &relayError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "bearer token required"}
	}
	secret := cloudflare.Getenv("APP_SECRET")
	if secret == "" {
		return nil, &relayError{http.StatusInternalServerError, codes.Timeout, "relay misconfigured: APP_SECRET is not set"}
	}
	c, err := auth.Verify([]byte(secret), tok, time.Now())
	if errors.Is(err, auth.ErrExpired) {
		return nil, &relayError{http.StatusUnauthorized, codes.ConnTokenExpired, "token expired"}
	}
	if err != nil {
		return nil, &relayError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "token invalid"}
	}
	if admin && !c.IsAdmin() {
		return nil, &relayError{http.StatusForbidden, codes.ConnTokenIncorrect, "app-server token required"}
	}
	return &c, nil
}

func maxUpload() int64 {
	if n, err := strconv.ParseInt(cloudflare.Getenv("MAX_UPLOAD_BYTES"), 10, 64); err == nil && n > 0 {
		return n
	}
	return defaultMaxUpload
}

func bucket() (*r2.Bucket, *relayError) {
	b, err := r2.NewBucket("FILES")
	if err != nil {
		return nil, &relayError{http.StatusInternalServerError, codes.Timeout, "relay misconfigured: no FILES bucket"}
	}
	return b, nil
}

// upload: POST /v1/files, as the server takes it (raw body, ?name=,
// ?disposition=), into R2.
func upload(w http.ResponseWriter, r *http.Request) {
	c, e := token(r, false)
	if e != nil {
		reply(w, nil, e)
		return
	}
	q := r.URL.Query()
	want := q.Get("disposition")
	if want != "" && want != "inline" && want != "attachment" {
		reply(w, nil, &relayError{http.StatusBadRequest, codes.InvalidParameterContentDisposition, `disposition must be "inline" or "attachment"`})
		return
	}
	limit := maxUpload()
	tooLarge := &relayError{http.StatusRequestEntityTooLarge, codes.FileSizeExceedLimit, fmt.Sprintf("the file is over the relay's upload limit of %d bytes", limit)}
	if r.ContentLength > limit {
		reply(w, nil, tooLarge)
		return
	}
	// The first bytes decide the type; the rest streams into Put, which
	// holds the body once in Go and once in JS (syumai/workers reads it
	// whole): no third copy here.
	head := make([]byte, 512)
	n, err := io.ReadFull(r.Body, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		reply(w, nil, &relayError{http.StatusBadRequest, codes.UploadFail, "upload failed"})
		return
	}
	head = head[:n]
	sum := md5.New() // the checksum the server answers too (apps show it)
	body := &limited{r: io.TeeReader(io.MultiReader(bytes.NewReader(head), r.Body), sum), left: limit}
	m := files.Meta{ID: files.NewID(), Name: files.CleanName(q.Get("name")), Uploader: c.Subject, Created: time.Now().UTC()}
	m.Type = files.ServedType(r.Header.Get("Content-Type"), http.DetectContentType(head))
	m.Disposition = files.Disposition(m.Type, want)
	b, e := bucket()
	if e != nil {
		reply(w, nil, e)
		return
	}
	obj, err := b.Put(m.ID, io.NopCloser(body), &r2.PutOptions{
		HTTPMetadata: r2.HTTPMetadata{ContentType: m.Type},
		CustomMetadata: map[string]string{
			"name": m.Name, "disposition": m.Disposition, "uploader": m.Uploader, "created": m.Created.Format(time.RFC3339Nano),
		},
	})
	if errors.Is(err, errTooLarge) {
		reply(w, nil, tooLarge)
		return
	}
	if err != nil {
		fmt.Println("relay: store upload:", err)
		reply(w, nil, &relayError{http.StatusBadGateway, codes.UploadFail, "upload failed"})
		return
	}
	m.Size = int64(obj.Size)
	reply(w, map[string]any{
		"id": m.ID, "url": selfURL(r) + "/v1/files/" + m.ID, "name": m.Name, "size": m.Size,
		"type": m.Type, "disposition": m.Disposition, "md5": hex.EncodeToString(sum.Sum(nil)),
	}, nil)
}

var errTooLarge = errors.New("over the upload limit")

// limited reads at most left bytes and fails past them.
type limited struct {
	r    io.Reader
	left int64
}

func (l *limited) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

// selfURL is this relay's origin as the client reached it; plain http
// only for a local `wrangler dev`.
func selfURL(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	scheme := "https"
	if host == "127.0.0.1" || host == "localhost" || host == "::1" {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// download: GET /v1/files/{id} from R2, with the server's headers; a
// single range is served by slicing the object's stream.
func download(w http.ResponseWriter, r *http.Request, id string) {
	notFound := &relayError{http.StatusNotFound, codes.MediaException, "no such file"}
	if !files.ValidID(id) {
		reply(w, nil, notFound)
		return
	}
	b, e := bucket()
	if e != nil {
		reply(w, nil, e)
		return
	}
	var obj *r2.Object
	var err error
	if r.Method == http.MethodHead {
		obj, err = b.Head(id)
	} else {
		obj, err = b.Get(id)
	}
	if err != nil {
		fmt.Println("relay: read file:", err)
		reply(w, nil, &relayError{http.StatusBadGateway, codes.Timeout, "read the file failed"})
		return
	}
	if obj == nil {
		reply(w, nil, notFound)
		return
	}
	if c, ok := obj.Body.(io.Closer); ok {
		defer c.Close()
	}
	created, _ := time.Parse(time.RFC3339Nano, obj.CustomMetadata["created"])
	m := files.Meta{ID: id, Name: obj.CustomMetadata["name"], Type: obj.HTTPMetadata.ContentType, Size: int64(obj.Size),
		Disposition: obj.CustomMetadata["disposition"], Created: created}
	h := w.Header()
	files.SetHeaders(h, m) // decides the disposition again from the type
	h.Set("Accept-Ranges", "bytes")
	h.Set("Last-Modified", created.Format(http.TimeFormat))
	start, end, partial, ok := byteRange(r.Header.Get("Range"), m.Size)
	if !ok {
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", m.Size))
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return
	}
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, m.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(end-start, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead || obj.Body == nil {
		return
	}
	// syumai/workers' Get takes no range: the bytes before it are read
	// and dropped (CPU in proportion to the offset).
	if _, err := io.CopyN(io.Discard, obj.Body, start); err != nil {
		return
	}
	io.CopyN(w, obj.Body, end-start)
}

// byteRange parses one "bytes=a-b", "bytes=a-" or "bytes=-n" range into
// [start, end); partial is false for the whole file (no header, several
// ranges or other units, which may be answered whole). ok is false for
// a range the file cannot satisfy.
func byteRange(header string, size int64) (start, end int64, partial, ok bool) {
	spec, found := strings.CutPrefix(header, "bytes=")
	if header == "" || !found || strings.Contains(spec, ",") {
		return 0, size, false, true
	}
	a, b, _ := strings.Cut(strings.TrimSpace(spec), "-")
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false, false
		}
		return max(0, size-n), size, true, true
	}
	s, err := strconv.ParseInt(a, 10, 64)
	if err != nil || s < 0 || s >= size {
		return 0, 0, false, false
	}
	e := size
	if b != "" {
		x, err := strconv.ParseInt(b, 10, 64)
		if err != nil || x < s {
			return 0, 0, false, false
		}
		if x < size-1 {
			e = x + 1
		}
	}
	return s, e, true, true
}

// forward passes an admin call to the origin (ORIGIN_URL) once its token
// checks out, adding nothing the origin would not accept.
func forward(w http.ResponseWriter, r *http.Request) {
	if _, e := token(r, true); e != nil {
		reply(w, nil, e)
		return
	}
	origin := strings.TrimRight(cloudflare.Getenv("ORIGIN_URL"), "/")
	if origin == "" {
		reply(w, nil, &relayError{http.StatusInternalServerError, codes.Timeout, "relay misconfigured: ORIGIN_URL is not set"})
		return
	}
	u := origin + r.URL.EscapedPath() // as sent: %2F stays a part of its segment
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	var body io.Reader
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
		if err != nil {
			reply(w, nil, &relayError{http.StatusBadRequest, codes.InvalidParameter, "read the body failed"})
			return
		}
		if len(b) > 1<<20 {
			reply(w, nil, &relayError{http.StatusRequestEntityTooLarge, codes.InvalidParameter, "admin call bodies are at most 1 MB"})
			return
		}
		body = bytes.NewReader(b)
	}
	req, err := fetch.NewRequest(r.Context(), r.Method, u, body)
	if err != nil {
		reply(w, nil, &relayError{http.StatusBadRequest, codes.InvalidParameter, "cannot forward this request"})
		return
	}
	for _, k := range []string{"Authorization", "Content-Type"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	res, err := fetch.NewClient().Do(req, nil)
	if err != nil {
		fmt.Println("relay: origin:", err)
		reply(w, nil, &relayError{http.StatusBadGateway, codes.Timeout, "origin unreachable"})
		return
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(res.StatusCode)
	io.Copy(w, res.Body)
}
