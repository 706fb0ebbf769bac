package server_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/imwasm/imwasm/internal/s3test"
	"github.com/imwasm/imwasm/server"
)

// uploadMaxBytes is accepted at any positive value. At math.MaxInt64 with
// no quota (0, or any app-server token) uploads to the S3 store work, and
// each gives its reservation back (three at once are the most a user has).
func TestS3UploadMaxInt64Limit(t *testing.T) {
	s3 := s3test.Start(t)
	e := newEnv(t, func(c *server.Config) { c.Files = s3.URLWithCredentials("uploadmaxlimit") })
	if status, res := e.admin("PUT", "/v1/settings", map[string]any{"uploadMaxBytes": int64(math.MaxInt64), "uploadQuotaBytes": 0}); status != 200 {
		t.Fatalf("settings: %d %v", status, res)
	}
	alice := token(t, "alice", time.Hour)
	body := []byte("hello, world")
	for i := 0; i < 4; i++ {
		status, f, m, err := e.tryUpload(alice, "a.txt", "text/plain", "", bytes.NewReader(body), int64(len(body)))
		t.Logf("upload %d: status %d %+v %v err=%v", i+1, status, f, m, err)
		if err == nil && status == 200 {
			return
		}
	}
	t.Fatalf("a 12-byte upload under uploadMaxBytes=MaxInt64 never succeeds, and after 3 failed attempts the user is locked out (see the 429)")
}
