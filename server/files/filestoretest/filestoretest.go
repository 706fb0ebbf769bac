// Package filestoretest is the files.FileStore conformance suite: what
// every file store does, written once; the disk store's and the S3 store's
// tests run it.
package filestoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/imwasm/imwasm/server/files"
)

// Run runs the suite on a store open gives, empty, for each test.
func Run(t *testing.T, open func(t *testing.T) files.FileStore) {
	ctx := context.Background()
	t.Run("CreateOpenDelete", func(t *testing.T) {
		fs := open(t)
		body := bytes.Repeat([]byte("ab"), 1000)
		var head []byte
		m, err := fs.Create(ctx, files.Meta{Name: "a.bin", Uploader: "u"}, bytes.NewReader(body), 2000, func(h []byte, m *files.Meta) {
			head = h
			m.Type = "application/x-test"
		})
		if err != nil || m.Size != 2000 || m.Type != "application/x-test" || !files.ValidID(m.ID) || len(head) != 512 || m.Uploader != "u" {
			t.Fatalf("create: %+v %v (head %d)", m, err, len(head))
		}
		f, got, err := fs.Open(ctx, m.ID)
		if err != nil || got.ID != m.ID || got.Size != m.Size || got.Type != m.Type || got.Name != "a.bin" {
			t.Fatalf("open: %+v %v", got, err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(b, body) {
			t.Fatal("bytes differ")
		}
		if err := fs.Delete(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := fs.Open(ctx, m.ID); !errors.Is(err, files.ErrNotFound) {
			t.Fatalf("open after delete: %v", err)
		}
		if err := fs.Delete(ctx, m.ID); !errors.Is(err, files.ErrNotFound) {
			t.Fatalf("delete again: %v", err)
		}
		if err := fs.Delete(ctx, "../x"); !errors.Is(err, files.ErrNotFound) {
			t.Fatalf("delete of a path: %v", err)
		}
		if _, _, err := fs.Open(ctx, files.NewID()); !errors.Is(err, files.ErrNotFound) {
			t.Fatalf("open of no file: %v", err)
		}
	})
	t.Run("Ranges", func(t *testing.T) {
		// Larger than a part of a streamed upload (5 MiB), read from the
		// middle as http.ServeContent reads a range.
		fs := open(t)
		body := make([]byte, 6<<20+123)
		rand.Read(body)
		m, err := fs.Create(ctx, files.Meta{}, io.MultiReader(bytes.NewReader(body)), int64(len(body)), nil)
		if err != nil || m.Size != int64(len(body)) {
			t.Fatalf("create: %+v %v", m, err)
		}
		f, _, err := fs.Open(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if end, err := f.Seek(0, io.SeekEnd); err != nil || end != int64(len(body)) {
			t.Fatalf("seek to the end: %d %v", end, err)
		}
		if _, err := f.Seek(5<<20, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 1000)
		if _, err := io.ReadFull(f, part); err != nil || !bytes.Equal(part, body[5<<20:5<<20+1000]) {
			t.Fatalf("a range: %v", err)
		}
	})
	t.Run("OverTheLimitKeepsNothing", func(t *testing.T) {
		fs := open(t)
		for _, size := range []int{2000, 6 << 20} { // within the first part, and past it
			if _, err := fs.Create(ctx, files.Meta{}, bytes.NewReader(make([]byte, size)), int64(size-1), nil); !errors.Is(err, files.ErrTooLarge) {
				t.Fatalf("%d bytes over a limit of %d: %v", size, size-1, err)
			}
		}
		if ids := walk(t, fs); len(ids) != 0 {
			t.Fatalf("kept: %v", ids)
		}
	})
	t.Run("Walk", func(t *testing.T) {
		fs := open(t)
		want := map[string]bool{}
		for i := range 3 {
			m, err := fs.Create(ctx, files.Meta{Uploader: "u"}, strings.NewReader(strings.Repeat("x", i)), 100, nil)
			if err != nil {
				t.Fatal(err)
			}
			want[m.ID] = true
		}
		ids := walk(t, fs)
		if len(ids) != 3 {
			t.Fatalf("walk: %v", ids)
		}
		for _, id := range ids {
			if !want[id] {
				t.Fatalf("walk found %s", id)
			}
		}
		stop := errors.New("stop")
		n := 0
		if err := fs.Walk(ctx, func(files.Meta) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
			t.Fatalf("a walk fn stops: %v after %d", err, n)
		}
	})
}

func walk(t *testing.T, fs files.FileStore) []string {
	t.Helper()
	var ids []string
	if err := fs.Walk(context.Background(), func(m files.Meta) error { ids = append(ids, m.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}
