// Package s3files keeps uploaded files in an S3-compatible object store
// (AWS S3, MinIO, versitygw, R2's S3 API, ...), so that every node of a
// cluster serves every file. It is the files.FileStore the server uses for
// `--files s3://BUCKET?endpoint=…&region=…`.
//
// A file is two objects under the URL's path (a prefix): files/ID, its
// body, and meta/ID.json, its files.Meta, written after the body. A file
// is served, listed and deleted through its metadata, so one whose upload
// stopped between the two is never served; such bodies, and multipart
// uploads a crash left unfinished, are for the bucket's lifecycle rules to
// remove (docs/deploy.md).
package s3files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/imwasm/imwasm/server/files"
)

// partSize is how much of an upload is held in memory at once: it is
// streamed to the store in parts of this size (S3's smallest).
const partSize = 5 << 20

// Store is a files.FileStore on one bucket.
type Store struct {
	c      *minio.Client
	bucket string
	prefix string // "" or "some/path/"
}

var _ files.FileStore = (*Store)(nil)

// Open connects to the store rawURL names, s3://BUCKET[/PREFIX]?endpoint=
// URL&region=REGION[&lookup=path|dns], and creates the bucket if it does
// not exist. Credentials come from the usual AWS variables
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), or from
// the URL itself (s3://KEY:SECRET@BUCKET…). The endpoint's scheme says
// whether to use TLS (https, the default).
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("files %q: want s3://BUCKET?endpoint=…&region=…", redact(rawURL))
	}
	q := u.Query()
	endpoint, secure := q.Get("endpoint"), true
	switch {
	case endpoint == "":
		endpoint = "s3.amazonaws.com"
	case strings.HasPrefix(endpoint, "http://"):
		endpoint, secure = strings.TrimPrefix(endpoint, "http://"), false
	case strings.HasPrefix(endpoint, "https://"):
		endpoint = strings.TrimPrefix(endpoint, "https://")
	}
	endpoint = strings.TrimRight(endpoint, "/")
	lookup := minio.BucketLookupAuto
	switch q.Get("lookup") {
	case "path":
		lookup = minio.BucketLookupPath
	case "dns":
		lookup = minio.BucketLookupDNS
	case "":
	default:
		return nil, fmt.Errorf("files: lookup must be path or dns, got %q", q.Get("lookup"))
	}
	creds := credentials.NewEnvAWS()
	if u.User != nil {
		secret, _ := u.User.Password()
		creds = credentials.NewStaticV4(u.User.Username(), secret, "")
	}
	c, err := minio.New(endpoint, &minio.Options{
		Creds: creds, Secure: secure, Region: q.Get("region"), BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("files: S3 client for %s: %w", endpoint, err)
	}
	s := &Store{c: c, bucket: u.Host}
	if p := strings.Trim(u.Path, "/"); p != "" {
		s.prefix = p + "/"
	}
	ok, err := c.BucketExists(ctx, s.bucket)
	if err != nil {
		return nil, fmt.Errorf("files: reach bucket %s at %s: %w", s.bucket, endpoint, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: q.Get("region")}); err != nil {
			// Another node may have made it meanwhile.
			if ok, _ := c.BucketExists(ctx, s.bucket); !ok {
				return nil, fmt.Errorf("files: create bucket %s: %w", s.bucket, err)
			}
		}
	}
	return s, nil
}

// redact hides a URL's password, for errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func (s *Store) bodyKey(id string) string { return s.prefix + "files/" + id }
func (s *Store) metaKey(id string) string { return s.prefix + "meta/" + id + ".json" }

// Ping checks that the bucket can be reached (for /healthz).
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.c.BucketExists(ctx, s.bucket)
	return err
}

// Create implements files.FileStore: the body is streamed in parts, never
// held whole.
func (s *Store) Create(ctx context.Context, meta files.Meta, body io.Reader, limit int64, finish func([]byte, *files.Meta)) (files.Meta, error) {
	meta.ID = files.NewID()
	head := make([]byte, 512)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return files.Meta{}, fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if int64(n) > limit {
		return files.Meta{}, files.ErrTooLarge
	}
	// One byte past the limit tells an oversized body from one that fits;
	// the reader then fails, which abandons the upload.
	lr := &limited{r: io.MultiReader(bytes.NewReader(head), body), left: limit}
	info, err := s.c.PutObject(ctx, s.bucket, s.bodyKey(meta.ID), lr, -1, minio.PutObjectOptions{
		PartSize: partSize, ContentType: "application/octet-stream",
	})
	if lr.over {
		s.removeBody(ctx, meta.ID)
		return files.Meta{}, files.ErrTooLarge
	}
	if err != nil {
		return files.Meta{}, fmt.Errorf("store upload: %w", err)
	}
	meta.Size = info.Size
	if finish != nil {
		finish(head, &meta)
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return files.Meta{}, err
	}
	if err := ctx.Err(); err != nil {
		s.removeBody(ctx, meta.ID)
		return files.Meta{}, err
	}
	// The metadata last: from here the file is served.
	if _, err := s.c.PutObject(ctx, s.bucket, s.metaKey(meta.ID), bytes.NewReader(mb), int64(len(mb)),
		minio.PutObjectOptions{ContentType: "application/json"}); err != nil {
		s.removeBody(ctx, meta.ID)
		return files.Meta{}, fmt.Errorf("store file metadata: %w", err)
	}
	return meta, nil
}

// removeBody deletes what an upload that failed stored, even if its
// request is gone, within 5 s (a bucket out of reach must not hold the
// request, and the server's Close, for minio-go's retries).
func (s *Store) removeBody(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s.c.RemoveObject(ctx, s.bucket, s.bodyKey(id), minio.RemoveObjectOptions{})
}

// limited reads at most left bytes and fails past them (over).
type limited struct {
	r    io.Reader
	left int64
	over bool
}

var errOver = errors.New("upload over its limit")

func (l *limited) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errOver
	}
	if l.left < int64(len(p))-1 { // (not l.left+1 < len: a limit of MaxInt64 overflows)
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if l.left -= int64(n); l.left < 0 {
		l.over = true
		return 0, errOver
	}
	return n, err
}

func (s *Store) meta(ctx context.Context, id string) (files.Meta, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, s.metaKey(id), minio.GetObjectOptions{})
	if err != nil {
		return files.Meta{}, fmt.Errorf("read file metadata: %w", err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, 1<<20))
	if notFound(err) {
		return files.Meta{}, files.ErrNotFound
	}
	if err != nil {
		return files.Meta{}, fmt.Errorf("read file metadata: %w", err)
	}
	var m files.Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return files.Meta{}, fmt.Errorf("read file metadata: %w", err)
	}
	return m, nil
}

func notFound(err error) bool {
	if err == nil {
		return false
	}
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound"
}

// Open implements files.FileStore. The body is read lazily, a range at a
// time as the reader seeks (http.ServeContent's ranges become the store's).
func (s *Store) Open(ctx context.Context, id string) (files.File, files.Meta, error) {
	if !files.ValidID(id) {
		return nil, files.Meta{}, files.ErrNotFound
	}
	m, err := s.meta(ctx, id)
	if err != nil {
		return nil, files.Meta{}, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.bodyKey(id), minio.GetObjectOptions{})
	if err != nil {
		return nil, files.Meta{}, fmt.Errorf("open file: %w", err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if notFound(err) {
			return nil, files.Meta{}, files.ErrNotFound
		}
		return nil, files.Meta{}, fmt.Errorf("open file: %w", err)
	}
	return obj, m, nil
}

// Delete implements files.FileStore: the metadata first, so a file half
// deleted is never served.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !files.ValidID(id) {
		return files.ErrNotFound
	}
	if _, err := s.c.StatObject(ctx, s.bucket, s.metaKey(id), minio.StatObjectOptions{}); err != nil {
		if notFound(err) {
			return files.ErrNotFound
		}
		return fmt.Errorf("delete file: %w", err)
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.metaKey(id), minio.RemoveObjectOptions{}); err != nil {
		if notFound(err) {
			return files.ErrNotFound // deleted meanwhile by another
		}
		return fmt.Errorf("delete file: %w", err)
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.bodyKey(id), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("delete file: %w", err) // (gone already: another deleter's)
	}
	return nil
}

// Walk implements files.FileStore.
func (s *Store) Walk(ctx context.Context, fn func(files.Meta) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing if fn stops the walk
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + "meta/", Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("list files: %w", obj.Err)
		}
		id := strings.TrimSuffix(path.Base(obj.Key), ".json")
		if !files.ValidID(id) {
			continue
		}
		m, err := s.meta(ctx, id)
		if err != nil {
			continue // deleted meanwhile, or unreadable: one bad entry must not stop the rest
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return ctx.Err()
}
