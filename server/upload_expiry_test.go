package server_test

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// A token that was valid when the upload started and expires while the
// body streams keeps its upload: the end-of-upload check is for an erasure
// or a revocation meanwhile (uploads.go handleUpload), not the expiry.
func TestUploadOutlivesItsTokenExpiry(t *testing.T) {
	e := newEnv(t, nil)
	alice := token(t, "alice", time.Minute)
	pr, pw := io.Pipe()
	type result struct {
		status int
		f      uploaded
		m      map[string]any
		err    error
	}
	done := make(chan result, 1)
	go func() {
		status, f, m, err := e.tryUpload(alice, "long.bin", "application/octet-stream", "", pr, -1)
		done <- result{status, f, m, err}
	}()
	pw.Write(bytes.Repeat([]byte{1}, 1000))
	for deadline := time.Now().Add(5 * time.Second); e.metric(t, "imwasm_uploads_in_progress") != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the upload never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The upload is slow: the token's minute passes while it runs.
	e.clock.add(2 * time.Minute)
	pw.Write(bytes.Repeat([]byte{2}, 1000))
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.status != 200 {
		t.Fatalf("an upload admitted with a valid token answered %d %v when the token expired mid-body; stored files now %v",
			r.status, r.m, e.metric(t, "imwasm_upload_files"))
	}
}
