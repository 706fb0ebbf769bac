package server_test

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// DELETE /v1/users/{id} erases the user's uploaded files (docs/http-api.md)
// and revokes their tokens. An upload the user had in progress when the
// erasure ran lands after deleteFiles walked the store: it is refused at
// its end, and its file goes.
func TestUploadInProgressDuringErasure(t *testing.T) {
	e := newEnv(t, nil)
	alice := token(t, "alice", time.Hour)
	pr, pw := io.Pipe()
	type result struct {
		status int
		f      uploaded
		err    error
	}
	done := make(chan result, 1)
	go func() {
		status, f, _, err := e.tryUpload(alice, "secret.bin", "application/octet-stream", "", pr, -1)
		done <- result{status, f, err}
	}()
	pw.Write(bytes.Repeat([]byte{1}, 1000))
	for deadline := time.Now().Add(5 * time.Second); e.metric(t, "imwasm_uploads_in_progress") != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the upload never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	status, res := e.admin("DELETE", "/v1/users/alice", nil)
	if status != 200 {
		t.Fatalf("erase: %d %v", status, res)
	}
	pw.Write(bytes.Repeat([]byte{2}, 1000))
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.status != 401 {
		t.Fatalf("the erased user's upload in progress answered %d %+v, want 401", r.status, r.f)
	}
	if n := e.metric(t, "imwasm_upload_files"); n != 0 {
		t.Fatalf("files kept after the erasure: %v", n)
	}
}
