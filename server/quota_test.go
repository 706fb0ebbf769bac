package server_test

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/auth"
)

// Upload quotas: what each uploader keeps is bounded (uploadQuotaBytes,
// each file counting fileOverhead more than its size), and so are the
// uploads each has in progress (3).

const fileOverhead = 4 << 10

// metric reads one sample of /metrics (-1: absent).
func (e *env) metric(t *testing.T, name string) float64 {
	t.Helper()
	_, text := e.metrics(t)
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

// waitMetric waits until /metrics reads want for name.
func (e *env) waitMetric(t *testing.T, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for got := e.metric(t, name); got != want; got = e.metric(t, name) {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition
	}
}

// slowUploads starts uploads whose bodies come from pipes the test writes
// and closes; their answers arrive on results. Cleanup ends what the test
// left running.
type slowUploads struct {
	pipes   []*io.PipeWriter
	results chan slowResult
	wg      sync.WaitGroup
}

type slowResult struct {
	status int
	body   map[string]any
	err    error
}

func (e *env) startUploads(t *testing.T, tok string, sizes ...int64) *slowUploads {
	u := &slowUploads{results: make(chan slowResult, len(sizes))}
	for _, size := range sizes {
		pr, pw := io.Pipe()
		u.pipes = append(u.pipes, pw)
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			status, _, body, err := e.tryUpload(tok, "slow.bin", "application/octet-stream", "", pr, size)
			u.results <- slowResult{status, body, err}
		}()
	}
	t.Cleanup(func() {
		for _, pw := range u.pipes {
			pw.CloseWithError(errors.New("the test is over"))
		}
		u.wg.Wait()
	})
	return u
}

// finish sends each upload its bytes and waits for the answers.
func (u *slowUploads) finish(t *testing.T, sizes ...int) []slowResult {
	t.Helper()
	for i, pw := range u.pipes {
		if _, err := pw.Write(make([]byte, sizes[i])); err != nil {
			t.Fatal(err)
		}
		pw.Close()
	}
	var out []slowResult
	for range u.pipes {
		r := <-u.results
		if r.err != nil {
			t.Fatal(r.err)
		}
		out = append(out, r)
	}
	return out
}

func wantRefusal(t *testing.T, what string, status int, body map[string]any, wantStatus int, wantCode int32) {
	t.Helper()
	if status != wantStatus || body["code"] != float64(wantCode) {
		t.Fatalf("%s: %d %v, want %d with code %d", what, status, body, wantStatus, wantCode)
	}
}

func TestUploadQuota(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir; c.MaxUploadBytes = 1 << 20 })
	alice := token(t, "alice", time.Hour)

	// 1 GiB by default; a negative quota is refused and changes nothing.
	_, before := e.admin("GET", "/v1/settings", nil)
	if q := before["data"].(map[string]any)["uploadQuotaBytes"]; q != float64(1<<30) {
		t.Fatalf("default uploadQuotaBytes %v", q)
	}
	status, res := e.admin("PUT", "/v1/settings", map[string]any{"uploadQuotaBytes": -1, "uploadMaxBytes": 5})
	wantRefusal(t, "a negative quota", status, res, 400, codes.InvalidParameter)
	if _, after := e.admin("GET", "/v1/settings", nil); after["data"].(map[string]any)["uploadMaxBytes"] != float64(1<<20) {
		t.Fatalf("settings after a refused PUT: %v", after)
	}

	const quota = 20 << 10
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"uploadQuotaBytes": quota}); status != 200 {
		t.Fatalf("set the quota: %d %v", status, res)
	}
	if status, _, _ := e.upload(t, alice, "a", "", "", bytes.NewReader(make([]byte, 8<<10)), 8<<10); status != 200 {
		t.Fatalf("8 KiB of 20: %d", status)
	}
	// 8 KiB + 4 KiB taken, 8 KiB left: a file of 4 KiB fits, not one byte more.
	kept := storedFiles(t, dir)
	status, _, body := e.upload(t, alice, "b", "", "", bytes.NewReader(make([]byte, 4<<10+1)), 4<<10+1)
	wantRefusal(t, "past the quota, announced", status, body, 413, codes.FileSizeExceedLimit)
	if !strings.Contains(body["msg"].(string), "quota") {
		t.Fatalf("the refusal does not say it is the quota: %v", body)
	}
	status, _, body = e.upload(t, alice, "b", "", "", io.MultiReader(bytes.NewReader(make([]byte, 4<<10+1))), -1)
	wantRefusal(t, "past the quota, streamed", status, body, 413, codes.FileSizeExceedLimit)
	if n := storedFiles(t, dir); n != kept {
		t.Fatalf("%d entries in files/ after refused uploads, had %d", n, kept)
	}
	if status, _, _ := e.upload(t, alice, "b", "", "", bytes.NewReader(make([]byte, 4<<10)), 4<<10); status != 200 {
		t.Fatalf("up to the quota: %d", status)
	}
	status, _, body = e.upload(t, alice, "c", "", "", strings.NewReader(""), 0)
	wantRefusal(t, "an empty file past a full quota", status, body, 413, codes.FileSizeExceedLimit)
	// The quota is each uploader's: bob has his own; an app-server token
	// has none.
	admin, _ := authAdmin()
	for _, up := range []struct {
		tok  string
		size int
	}{{token(t, "bob", time.Hour), 8 << 10}, {admin, 2 * quota}} {
		if status, _, _ := e.upload(t, up.tok, "d", "", "", bytes.NewReader(make([]byte, up.size)), int64(up.size)); status != 200 {
			t.Fatalf("another uploader: %d", status)
		}
	}
	if files, size := e.metric(t, "imwasm_upload_files"), e.metric(t, "imwasm_upload_bytes"); files != 4 || size != float64(20<<10+2*quota) {
		t.Fatalf("metrics: %v files, %v bytes", files, size)
	}

	// What is stored is counted again at start.
	e.stop()
	e = newEnv(t, func(c *server.Config) { c.DataDir = dir; c.MaxUploadBytes = 1 << 20 })
	status, _, body = e.upload(t, alice, "e", "", "", strings.NewReader("x"), 1)
	wantRefusal(t, "past the quota after a restart", status, body, 413, codes.FileSizeExceedLimit)
	if files := e.metric(t, "imwasm_upload_files"); files != 4 {
		t.Fatalf("%v files counted at start", files)
	}
	// Deleted files give their room back.
	if status, res := e.admin("DELETE", "/v1/users/alice", nil); status != 200 || res["data"].(map[string]any)["erasedFiles"] != 2.0 {
		t.Fatalf("erase: %d %v", status, res)
	}
	alice, _ = auth.NewToken([]byte(appSecret), "alice", time.Hour, false, time.Now().Add(time.Second)) // the erasure revoked what was issued until now
	if status, _, _ := e.upload(t, alice, "f", "", "", bytes.NewReader(make([]byte, 16<<10)), 16<<10); status != 200 {
		t.Fatalf("after the erasure: %d", status)
	}
	// 0: no quota.
	if status, _ := e.admin("PUT", "/v1/settings", map[string]any{"uploadQuotaBytes": 0}); status != 200 {
		t.Fatal("settings")
	}
	if status, _, _ := e.upload(t, alice, "g", "", "", bytes.NewReader(make([]byte, 64<<10)), 64<<10); status != 200 {
		t.Fatalf("without a quota: %d", status)
	}
}

func TestUploadsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	alice := token(t, "alice", time.Hour)
	slow := e.startUploads(t, alice, 1000, 1000, 1000)
	e.waitMetric(t, "imwasm_uploads_in_progress", 3)
	kept := storedFiles(t, dir)
	status, _, body := e.upload(t, alice, "fourth", "", "", strings.NewReader("x"), 1)
	wantRefusal(t, "a fourth upload at once", status, body, 429, codes.RequestOverFrequency)
	if n := storedFiles(t, dir); n != kept {
		t.Fatalf("%d entries in files/ after a refused upload, had %d", n, kept)
	}
	// Another user is not held up by alice's uploads.
	if status, _, _ := e.upload(t, token(t, "bob", time.Hour), "bob's", "", "", strings.NewReader("x"), 1); status != 200 {
		t.Fatalf("bob while alice uploads three: %d", status)
	}
	for _, r := range slow.finish(t, 1000, 1000, 1000) {
		if r.status != 200 {
			t.Fatalf("one of three at once: %d %v", r.status, r.body)
		}
	}
	if n := e.metric(t, "imwasm_uploads_in_progress"); n != 0 {
		t.Fatalf("%v uploads in progress after all finished", n)
	}
	if status, _, _ := e.upload(t, alice, "then", "", "", strings.NewReader("x"), 1); status != 200 {
		t.Fatalf("after the three: %d", status)
	}
}

// Uploads in progress hold the room they may take, so uploads in parallel
// cannot pass the quota together.
func TestUploadQuotaHeldByUploadsInProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, func(c *server.Config) { c.DataDir = dir })
	const quota = 2 * (1000 + fileOverhead)
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"uploadQuotaBytes": quota}); status != 200 {
		t.Fatalf("set the quota: %d %v", status, res)
	}
	alice := token(t, "alice", time.Hour)
	two := e.startUploads(t, alice, 1000, 1000)
	e.waitMetric(t, "imwasm_uploads_in_progress", 2)
	// Nothing is stored yet, but the two hold the whole quota.
	status, _, body := e.upload(t, alice, "third", "", "", bytes.NewReader(make([]byte, 1000)), 1000)
	wantRefusal(t, "a third beside two holding the quota", status, body, 413, codes.FileSizeExceedLimit)
	status, _, body = e.upload(t, alice, "third", "", "", io.MultiReader(strings.NewReader("x")), -1)
	wantRefusal(t, "a streamed third beside two holding the quota", status, body, 413, codes.FileSizeExceedLimit)
	for _, r := range two.finish(t, 1000, 1000) {
		if r.status != 200 {
			t.Fatalf("one of two: %d %v", r.status, r.body)
		}
	}
	status, _, body = e.upload(t, alice, "more", "", "", strings.NewReader(""), 0)
	wantRefusal(t, "past the quota the two filled", status, body, 413, codes.FileSizeExceedLimit)

	// An upload of unknown length holds all the room left while it runs,
	// and gives back what it did not take.
	bob := token(t, "bob", time.Hour)
	streamed := e.startUploads(t, bob, -1)
	e.waitMetric(t, "imwasm_uploads_in_progress", 1)
	status, _, body = e.upload(t, bob, "beside", "", "", strings.NewReader("x"), 1)
	wantRefusal(t, "beside an upload of unknown length", status, body, 413, codes.FileSizeExceedLimit)
	if r := streamed.finish(t, 500); r[0].status != 200 {
		t.Fatalf("the streamed upload: %d %v", r[0].status, r[0].body)
	}
	if status, _, _ := e.upload(t, bob, "after", "", "", bytes.NewReader(make([]byte, 500)), 500); status != 200 {
		t.Fatalf("after the streamed upload took 500 bytes: %d", status)
	}
	if size := e.metric(t, "imwasm_upload_bytes"); size != 3000 {
		t.Fatalf("%v bytes kept, want 3000", size)
	}
}
