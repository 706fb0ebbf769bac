package server

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/files"
)

// Uploads (SPEC §4 /v1/files). POST takes the raw body (what an
// XMLHttpRequest sends from a File, with progress) and streams it to the
// FileStore; GET serves it by an id nobody can guess, with ranges. Nothing
// uploaded ever runs on this origin: inline only for images (not SVG),
// audio and video, always nosniff and a sandboxing CSP.

// fileCSP forbids everything a served file could do if a browser rendered
// it as a page: no scripts, no subresources, a sandboxed origin.
const fileCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; media-src 'self'; sandbox"

// userToken checks a bearer user token (app-server tokens too) on an HTTP
// request and returns the user.
func (s *Server) userToken(r *http.Request) (string, *apiError) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "bearer token required"}
	}
	c, err := auth.Verify([]byte(s.cfg.AppSecret), tok, time.Now())
	if errors.Is(err, auth.ErrExpired) {
		return "", &apiError{http.StatusUnauthorized, codes.ConnTokenExpired, "token expired"}
	}
	if err != nil {
		return "", &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "token invalid"}
	}
	if !c.IsAdmin() {
		after, err := s.store.TokensValidAfter(r.Context(), c.Subject)
		if err != nil {
			return "", &apiError{http.StatusInternalServerError, codes.Timeout, "server error"}
		}
		if !after.IsZero() && c.IssuedAt*1000 < after.UnixMilli() {
			return "", &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "token revoked"}
		}
	}
	return c.Subject, nil
}

func tooLarge(limit int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, codes.FileSizeExceedLimit, fmt.Sprintf("the file is over the upload limit of %d bytes", limit)}
}

// handleUpload: POST /v1/files?name=…&disposition=inline|attachment with
// the file as the body and its type as Content-Type.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	user, ae := s.userToken(r)
	if ae != nil {
		writeAPI(w, nil, ae)
		return
	}
	q := r.URL.Query()
	want := q.Get("disposition")
	if want != "" && want != "inline" && want != "attachment" {
		writeAPI(w, nil, &apiError{http.StatusBadRequest, codes.InvalidParameterContentDisposition, `disposition must be "inline" or "attachment"`})
		return
	}
	limit := s.settings.Load().UploadMaxBytes
	if r.ContentLength > limit {
		writeAPI(w, nil, tooLarge(limit))
		return
	}
	claimed := r.Header.Get("Content-Type")
	meta := files.Meta{Name: cleanName(q.Get("name")), Uploader: user, Created: time.Now().UTC()}
	stored, err := s.files.Create(r.Context(), meta, r.Body, limit, func(head []byte, m *files.Meta) {
		m.Type = servedType(claimed, http.DetectContentType(head))
		m.Disposition = disposition(m.Type, want)
	})
	switch {
	case errors.Is(err, files.ErrTooLarge):
		writeAPI(w, nil, tooLarge(limit))
		return
	case err != nil:
		s.log.Warn("upload", "user", user, "err", err)
		writeAPI(w, nil, &apiError{http.StatusBadRequest, codes.UploadFail, "upload failed: " + err.Error()})
		return
	}
	writeAPI(w, map[string]any{
		"id": stored.ID, "url": fileURL(r, stored.ID), "name": stored.Name, "size": stored.Size,
		"type": stored.Type, "disposition": stored.Disposition,
	}, nil)
}

// fileURL is where the file downloads from, as the uploader reached us.
func fileURL(r *http.Request, id string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/v1/files/" + id
}

// handleDownload: GET /v1/files/{id}, ranges included.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, meta, err := s.files.Open(r.Context(), id)
	if errors.Is(err, files.ErrNotFound) {
		writeAPI(w, nil, &apiError{http.StatusNotFound, codes.MediaException, "no such file"})
		return
	}
	if err != nil {
		s.log.Warn("download", "id", id, "err", err)
		writeAPI(w, nil, &apiError{http.StatusInternalServerError, codes.Timeout, "server error"})
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", meta.Type)
	h.Set("Content-Disposition", contentDisposition(meta.Disposition, meta.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(w, r, "", meta.Created, f)
}

// activeTypes could run script or restyle a page if a browser rendered
// them: a client's word never makes a file one of these.
var activeTypes = []string{"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
	"text/javascript", "application/javascript", "application/ecmascript", "text/css", "application/pdf"}

func isActive(t string) bool {
	for _, a := range activeTypes {
		if t == a {
			return true
		}
	}
	return strings.HasSuffix(t, "+xml") || strings.Contains(t, "javascript")
}

// servedType decides the Content-Type from the bytes (sniffed) and the
// uploader's claim: the bytes win when they say something specific; the
// claim fills in what sniffing cannot tell (an AAC file sniffs as
// octet-stream) unless it asks for a type that could run.
func servedType(claimed, sniffed string) string {
	sn, _, _ := mime.ParseMediaType(sniffed)
	if sn != "application/octet-stream" && sn != "text/plain" {
		return sniffed
	}
	cl, params, err := mime.ParseMediaType(claimed)
	if err != nil || cl == "" || isActive(cl) || !strings.Contains(cl, "/") {
		return sniffed
	}
	if sn == "text/plain" && !strings.HasPrefix(cl, "text/") {
		return sniffed // text is text, whatever it claims
	}
	if cs := params["charset"]; cs != "" && strings.HasPrefix(cl, "text/") {
		return mime.FormatMediaType(cl, map[string]string{"charset": cs})
	}
	return cl
}

// disposition is inline only where asked for (or by default) and only for
// images (not SVG), audio and video.
func disposition(typ, want string) string {
	t, _, _ := mime.ParseMediaType(typ)
	media := (strings.HasPrefix(t, "image/") && t != "image/svg+xml") || strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/")
	if media && want != "attachment" {
		return "inline"
	}
	return "attachment"
}

// cleanName keeps the last path element of an uploader's file name,
// without control characters, at most 255 bytes; "file" if nothing is left.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
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

// contentDisposition writes the header with an ASCII fallback name and the
// exact one in RFC 5987 form.
func contentDisposition(disp, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == ';' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return disp + `; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}

// deleteFiles removes the files keep rejects (retention, erased users).
func (s *Server) deleteFiles(ctx context.Context, drop func(files.Meta) bool) (int, error) {
	var ids []string
	err := s.files.Walk(ctx, func(m files.Meta) error {
		if drop(m) {
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := s.files.Delete(ctx, id); err == nil {
			n++
		} else if !errors.Is(err, files.ErrNotFound) {
			return n, err
		}
	}
	return n, nil
}
