// Package files keeps uploaded files: the FileStore interface the server
// uses, its implementation on disk (S3-compatible stores and R2 come later
// behind the same interface), and how a file is served (policy.go). It is
// public API: the edge relay (examples/edge-relay) serves R2 files by the
// same rules with it.
package files

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Errors a FileStore returns.
var (
	ErrNotFound = errors.New("file not found")
	ErrTooLarge = errors.New("file over the size limit")
)

// Meta describes a stored file.
type Meta struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`        // as the uploader named it (sanitized when served)
	Type        string    `json:"type"`        // the content type it is served with
	Size        int64     `json:"size"`        // bytes
	Disposition string    `json:"disposition"` // "inline" or "attachment", as served
	Uploader    string    `json:"uploader"`
	Created     time.Time `json:"created"`
	MD5         string    `json:"md5,omitempty"` // hex, of the body as stored (NIM's file attachments carry it)
}

// File is an open stored file.
type File interface {
	io.ReadSeekCloser
}

// FileStore keeps files. Create streams body to storage (never the whole
// file in memory) and keeps nothing when it fails or body passes limit
// bytes (ErrTooLarge). finish, given the file's first bytes (up to 512)
// and its size, fills in what depends on the content (type, disposition)
// before the file becomes visible.
type FileStore interface {
	Create(ctx context.Context, meta Meta, body io.Reader, limit int64, finish func(head []byte, m *Meta)) (Meta, error)
	Open(ctx context.Context, id string) (File, Meta, error)
	Delete(ctx context.Context, id string) error
	// Walk calls fn for every stored file, in no particular order.
	Walk(ctx context.Context, fn func(Meta) error) error
}

// NewID returns an id nobody can guess: 128 random bits, base32.
func NewID() string { return strings.ToLower(rand.Text()) }

// ValidID reports whether id could have come from NewID: anything else
// (paths, dots, separators) never reaches the file system.
func ValidID(id string) bool {
	if len(id) != 26 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Disk keeps each file as <dir>/<id> with its Meta in <dir>/<id>.json.
type Disk struct {
	dir string
}

// NewDisk returns a FileStore in dir, created if missing. Uploads a stop
// interrupted are removed.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create file folder: %w", err)
	}
	if left, err := filepath.Glob(filepath.Join(dir, ".upload-*")); err == nil {
		for _, p := range left {
			os.Remove(p)
		}
	}
	// A stop between storing a file and its metadata leaves a file that is
	// never served: it goes too.
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if ValidID(e.Name()) {
				if _, err := os.Stat(filepath.Join(dir, e.Name()+".json")); errors.Is(err, fs.ErrNotExist) {
					os.Remove(filepath.Join(dir, e.Name()))
				}
			}
		}
	}
	return &Disk{dir: dir}, nil
}

var _ FileStore = (*Disk)(nil)

// Create implements FileStore.
func (d *Disk) Create(ctx context.Context, meta Meta, body io.Reader, limit int64, finish func([]byte, *Meta)) (Meta, error) {
	meta.ID = NewID()
	tmp, err := os.CreateTemp(d.dir, ".upload-*")
	if err != nil {
		return Meta{}, fmt.Errorf("create upload: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	head := make([]byte, 512)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Meta{}, fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if int64(n) > limit {
		return Meta{}, ErrTooLarge
	}
	if _, err := tmp.Write(head); err != nil {
		return Meta{}, fmt.Errorf("write upload: %w", err)
	}
	// One byte past the limit tells an oversized body from one that fits.
	rest, err := io.Copy(tmp, io.LimitReader(body, limit-int64(n)+1))
	if err != nil {
		return Meta{}, fmt.Errorf("write upload: %w", err)
	}
	meta.Size = int64(n) + rest
	if meta.Size > limit {
		return Meta{}, ErrTooLarge
	}
	if err := ctx.Err(); err != nil {
		return Meta{}, err
	}
	if finish != nil {
		finish(head, &meta)
	}
	if err := tmp.Sync(); err != nil {
		return Meta{}, fmt.Errorf("sync upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Meta{}, fmt.Errorf("close upload: %w", err)
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return Meta{}, err
	}
	// The file lands first, then its metadata (written aside and renamed,
	// so it is whole or absent): a file is served, listed and deleted
	// through its metadata, and one without it is swept at start.
	data := filepath.Join(d.dir, meta.ID)
	if err := os.Rename(tmp.Name(), data); err != nil {
		return Meta{}, fmt.Errorf("store upload: %w", err)
	}
	keep = true
	if err := d.writeMeta(meta.ID, mb); err != nil {
		os.Remove(data)
		return Meta{}, err
	}
	return meta, nil
}

func (d *Disk) writeMeta(id string, b []byte) error {
	f, err := os.CreateTemp(d.dir, ".upload-meta-*")
	if err != nil {
		return fmt.Errorf("write file metadata: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write file metadata: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync file metadata: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write file metadata: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(d.dir, id+".json")); err != nil {
		return fmt.Errorf("store file metadata: %w", err)
	}
	return nil
}

func (d *Disk) meta(id string) (Meta, error) {
	b, err := os.ReadFile(filepath.Join(d.dir, id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, ErrNotFound
	}
	if err != nil {
		return Meta{}, fmt.Errorf("read file metadata: %w", err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("read file metadata: %w", err)
	}
	return m, nil
}

// Open implements FileStore.
func (d *Disk) Open(_ context.Context, id string) (File, Meta, error) {
	if !ValidID(id) {
		return nil, Meta{}, ErrNotFound
	}
	m, err := d.meta(id)
	if err != nil {
		return nil, Meta{}, err
	}
	f, err := os.Open(filepath.Join(d.dir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Meta{}, ErrNotFound
	}
	if err != nil {
		return nil, Meta{}, fmt.Errorf("open file: %w", err)
	}
	return f, m, nil
}

// Delete implements FileStore.
func (d *Disk) Delete(_ context.Context, id string) error {
	if !ValidID(id) {
		return ErrNotFound
	}
	// The metadata goes first: a file without it is never served.
	err := os.Remove(filepath.Join(d.dir, id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete file: %w", err)
	}
	if err := os.Remove(filepath.Join(d.dir, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete file: %w", err)
	}
	return nil
}

// Walk implements FileStore.
func (d *Disk) Walk(ctx context.Context, fn func(Meta) error) error {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("list files: %w", err)
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !ValidID(id) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := d.meta(id)
		if err != nil {
			continue // deleted meanwhile, or unreadable: one bad entry must not stop the rest
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}
