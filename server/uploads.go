package server

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/files"
)

// Uploads (docs/http-api.md, Files). POST takes the raw body (what an
// XMLHttpRequest sends from a File, with progress) and streams it to the
// FileStore, within its uploader's quota (quota.go); GET serves it by an
// id nobody can guess, with ranges. Nothing uploaded ever runs on this
// origin: inline only for images (not SVG), audio and video, always
// nosniff and a sandboxing CSP.

// userToken checks a bearer user token (app-server tokens too) on an HTTP
// request and returns its claims.
func (s *Server) userToken(r *http.Request) (auth.Claims, *apiError) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return auth.Claims{}, &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "bearer token required"}
	}
	c, err := s.verifyUserToken(tok)
	if errors.Is(err, auth.ErrExpired) {
		return auth.Claims{}, &apiError{http.StatusUnauthorized, codes.ConnTokenExpired, "token expired"}
	}
	if err != nil {
		return auth.Claims{}, &apiError{http.StatusUnauthorized, codes.ConnTokenIncorrect, "token invalid"}
	}
	if ae := s.admitted(r.Context(), c); ae != nil {
		return auth.Claims{}, ae
	}
	return c, nil
}

// admitted says whether c's user may still act: its tokens not revoked
// since c was issued, the user not blocked (an app server always may).
func (s *Server) admitted(ctx context.Context, c auth.Claims) *apiError {
	if c.IsAdmin() {
		return nil
	}
	if err := s.admit(ctx, c); err != nil {
		status := http.StatusUnauthorized
		if codes.Of(err) == codes.Timeout {
			status = http.StatusInternalServerError
		}
		return &apiError{status, codes.Of(err), err.Error()}
	}
	return nil
}

func tooLarge(limit int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, codes.FileSizeExceedLimit, fmt.Sprintf("the file is over the upload limit of %d bytes", limit)}
}

// handleUpload: POST /v1/files?name=…&disposition=inline|attachment with
// the file as the body and its type as Content-Type.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	claims, ae := s.userToken(r)
	if ae != nil {
		s.writeAPI(w, nil, ae)
		return
	}
	user, admin := claims.Subject, claims.IsAdmin()
	q := r.URL.Query()
	want := q.Get("disposition")
	if want != "" && want != "inline" && want != "attachment" {
		s.writeAPI(w, nil, &apiError{http.StatusBadRequest, codes.InvalidParameterContentDisposition, `disposition must be "inline" or "attachment"`})
		return
	}
	st := s.settings.Load()
	maxBytes := st.UploadMaxBytes
	if r.ContentLength > maxBytes {
		s.writeAPI(w, nil, tooLarge(maxBytes))
		return
	}
	// The app server (uploading for the users it serves) is trusted, as
	// the admin API is: no quota, no limit of uploads at once.
	quota := st.UploadQuotaBytes
	if admin {
		quota = 0
	}
	res, ae := s.quota.reserve(user, r.ContentLength, maxBytes, quota, admin)
	if ae != nil {
		s.writeAPI(w, nil, ae)
		return
	}
	// The file counts from before it becomes visible (finish): a
	// retention pass or an erasure may delete it as soon as it is, and
	// gives its room back then.
	released, counted := false, int64(-1)
	defer func() {
		if !released { // the store panicked: the reservation goes all the same
			s.quota.done(res, false, 0)
		}
	}()
	uncount := func() {
		s.quota.remove(user, counted)
		s.sharedFileCounted(user, -counted-1)
	}
	claimed := r.Header.Get("Content-Type")
	// A client that stops sending for a while gives up its upload (its
	// goroutine, file and disk space); the deadline moves with progress.
	body := &stalling{r: r.Body, rc: http.NewResponseController(w), idle: s.cfg.UploadIdle}
	meta := files.Meta{Name: files.CleanName(q.Get("name")), Uploader: user, Created: time.Now().UTC()}
	sum := md5.New() // a checksum apps show, not a security measure
	stored, err := s.files.Create(r.Context(), meta, io.TeeReader(body, sum), res.limit, func(head []byte, m *files.Meta) {
		m.Type = files.ServedType(claimed, http.DetectContentType(head))
		m.Disposition = files.Disposition(m.Type, want)
		m.MD5 = hex.EncodeToString(sum.Sum(nil))
		s.quota.done(res, true, m.Size)
		released, counted = true, m.Size
		s.sharedFileCounted(user, m.Size)
	})
	if err != nil && counted >= 0 { // failed once counted: it is not kept
		uncount()
	}
	// The user erased (or their tokens revoked, or blocked) while it ran:
	// their files went, this one with them. A token that merely expired
	// meanwhile still has its upload: it was good when the upload began.
	if err == nil {
		if ae := s.admitted(r.Context(), claims); ae != nil {
			switch derr := s.files.Delete(context.WithoutCancel(r.Context()), stored.ID); {
			case derr == nil:
				uncount()
			case !errors.Is(derr, files.ErrNotFound): // ErrNotFound: deleted meanwhile, and uncounted there
				s.log.Warn("upload: delete the file of a user refused meanwhile", "user", user, "err", derr)
			}
			s.writeAPI(w, nil, ae)
			return
		}
	}
	if !released {
		s.quota.done(res, false, 0)
		released = true
	}
	switch {
	case errors.Is(err, files.ErrTooLarge) && res.byQuota:
		s.writeAPI(w, nil, &apiError{http.StatusRequestEntityTooLarge, codes.FileSizeExceedLimit,
			fmt.Sprintf("the file would take its uploader past the upload quota of %d bytes", st.UploadQuotaBytes)})
		return
	case errors.Is(err, files.ErrTooLarge):
		s.writeAPI(w, nil, tooLarge(maxBytes))
		return
	case err != nil && body.err != nil: // the request's body: the client's side
		s.log.Info("upload: the body ended short", "user", user, "err", err)
		s.writeAPI(w, nil, &apiError{http.StatusBadRequest, codes.UploadFail, "upload failed: the body ended short"})
		return
	case err != nil: // the file store's side
		s.log.Warn("upload", "user", user, "err", err) // the details stay here: they name server paths
		s.writeAPI(w, nil, &apiError{http.StatusInternalServerError, codes.UploadFail, "upload failed: the file store is unavailable"})
		return
	}
	s.writeAPI(w, map[string]any{
		"id": stored.ID, "url": s.fileURL(r, stored.ID), "name": stored.Name, "size": stored.Size,
		"type": stored.Type, "disposition": stored.Disposition, "md5": stored.MD5,
	}, nil)
}

// stalling moves the request's read deadline forward on every read, and
// keeps the read error that ended the body early, if one did.
type stalling struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	err  error
}

func (s *stalling) Read(p []byte) (int, error) {
	s.rc.SetReadDeadline(time.Now().Add(s.idle)) // unsupported writers: no deadline, as before
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// fileURL is where the file downloads from: the configured public URL, or
// as the uploader reached us.
func (s *Server) fileURL(r *http.Request, id string) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/") + "/v1/files/" + id
	}
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
		s.writeAPI(w, nil, &apiError{http.StatusNotFound, codes.MediaException, "no such file"})
		return
	}
	if err != nil {
		s.log.Warn("download", "id", id, "err", err)
		s.writeAPI(w, nil, &apiError{http.StatusInternalServerError, codes.Timeout, "server error"})
		return
	}
	defer f.Close()
	files.SetHeaders(w.Header(), meta)
	dw := &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), idle: s.cfg.DownloadIdle}
	http.ServeContent(dw, r, "", meta.Created, f)
	if dw.err == nil {
		// What is still buffered goes out under a deadline too (net/http
		// clears it once the response is done).
		dw.arm()
		dw.err = dw.rc.Flush()
	}
	if dw.err != nil {
		s.log.Debug("download abandoned", "id", id, "err", dw.err)
	}
}

// downloadPiece: a download's write deadline is moved before each piece
// of at most this many bytes.
const downloadPiece = 64 << 10

// deadlineWriter writes a download in pieces of at most downloadPiece
// bytes, each under a write deadline idle from its start: a client that
// stops reading is dropped (its goroutine, connection and open file with
// it), a slow but steady one is not. It bypasses sendfile; the deadlines
// are worth more.
type deadlineWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
	err  error // the first write error
}

func (d *deadlineWriter) arm() {
	d.rc.SetWriteDeadline(time.Now().Add(d.idle)) // unsupported writers: no deadline, as before
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		piece := p[:min(len(p), downloadPiece)]
		d.arm()
		m, err := d.ResponseWriter.Write(piece)
		n += m
		if err != nil {
			if d.err == nil {
				d.err = err
			}
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// deleteFiles removes the files drop selects (retention, erased users)
// and gives their room back to their uploaders' quotas.
func (s *Server) deleteFiles(ctx context.Context, drop func(files.Meta) bool) (int, error) {
	var gone []files.Meta
	err := s.files.Walk(ctx, func(m files.Meta) error {
		if drop(m) {
			gone = append(gone, m)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range gone {
		err := s.files.Delete(ctx, m.ID)
		switch {
		case err == nil:
			s.quota.remove(m.Uploader, m.Size)
			s.sharedFileCounted(m.Uploader, -m.Size-1)
			n++
		case !errors.Is(err, files.ErrNotFound): // ErrNotFound: deleted meanwhile, and counted there
			return n, fmt.Errorf("delete file %s: %w", m.ID, err)
		}
	}
	return n, nil
}
