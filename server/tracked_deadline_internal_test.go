package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// tracked bounds the reading of a request's body by UploadIdle, and only
// that: a handler running longer than UploadIdle once the body is read (a
// download from S3, an import of a 1 MiB part, an erasure) keeps its
// context (net/http's read behind a handler cancels it when a read
// deadline passes).
func TestTrackedDeadlineSparesLongHandlers(t *testing.T) {
	s := &Server{cfg: Config{UploadIdle: 200 * time.Millisecond}}
	got := make(chan error, 1)
	ts := httptest.NewServer(s.tracked(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second): // past UploadIdle: what is tested
		}
		got <- r.Context().Err()
		w.Write([]byte("ok"))
	})))
	defer ts.Close()
	for _, req := range []func() (*http.Response, error){
		func() (*http.Response, error) { return http.Get(ts.URL + "/v1/files/abc") }, // no body at all
		func() (*http.Response, error) {
			return http.Post(ts.URL+"/v1/import", "text/plain", strings.NewReader("a line\n"))
		},
	} {
		res, err := req()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err := <-got; err != nil {
			t.Fatalf("a handler running past UploadIdle (200ms) after its body had its context cancelled: %v", err)
		}
	}
}
