package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/files"
)

// afterCreateFS is the real FileStore; once a Create has made its file
// visible (metadata written) it runs after, once: the point where a
// retention pass or an erasure on another request (or node) can walk and
// delete the file before handleUpload has answered.
type afterCreateFS struct {
	files.FileStore
	after func(files.Meta)
}

func (z *afterCreateFS) Create(ctx context.Context, m files.Meta, body io.Reader, limit int64, finish func([]byte, *files.Meta)) (files.Meta, error) {
	got, err := z.FileStore.Create(ctx, m, body, limit, finish)
	if err == nil && z.after != nil {
		f := z.after
		z.after = nil
		f(got)
	}
	return got, err
}

// handleUpload counts a stored file before it is visible to Walk, so that
// deleteFiles (retention, erasure) deleting it at once gives back exactly
// what was counted: no phantom file in the quota or the metrics (which
// shrank the uploader's room until a restart).
func TestUploadCountedBeforeRetentionOrErasureSeesIt(t *testing.T) {
	const secret = "test-secret-0123456789"
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(ctx, Config{AppKey: "k", AppSecret: secret, DataDir: t.TempDir(), SendRate: -1, UploadQuotaBytes: 20000})
	if err != nil {
		t.Fatal(err)
	}
	hook := &afterCreateFS{FileStore: srv.files}
	srv.files = hook
	hook.after = func(files.Meta) {
		// A retention pass (or erasure) lands now.
		n, err := srv.deleteFiles(context.Background(), func(m files.Meta) bool { return m.Uploader == "alice" })
		if n != 1 || err != nil {
			t.Errorf("deleteFiles: %d %v", n, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	base := "http://" + ln.Addr().String()
	tok, _ := auth.NewToken([]byte(secret), "alice", time.Hour, false, time.Now())
	upload := func(n int) (int, map[string]any) {
		req, _ := http.NewRequest("POST", base+"/v1/files?name=a.bin", bytes.NewReader(make([]byte, n)))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	if status, m := upload(10000); status != 200 {
		t.Fatalf("first upload: %d %v", status, m)
	}
	// Nothing of alice's is stored any more.
	n := 0
	srv.files.Walk(ctx, func(files.Meta) error { n++; return nil })
	srv.quota.mu.Lock()
	stored, count := srv.quota.stored["alice"], srv.quota.files
	srv.quota.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d files stored", n)
	}
	if stored != 0 || count != 0 {
		// With nothing stored, alice's 20,000-byte quota should take 10,000 again.
		status, m := upload(10000)
		t.Fatalf("no file stored, yet the quota counts alice %d bytes and %d files; a 10,000-byte upload now answers %d %v",
			stored, count, status, m)
	}
}
