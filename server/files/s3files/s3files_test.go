package s3files_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/imwasm/imwasm/internal/s3test"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/files/filestoretest"
	"github.com/imwasm/imwasm/server/files/s3files"
)

func TestConformance(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	var n atomic.Int32
	filestoretest.Run(t, func(t *testing.T) files.FileStore {
		// A bucket each, made by Open, under a prefix (as a deployment
		// sharing a bucket would).
		s, err := s3files.Open(context.Background(), strings.Replace(srv.URL(fmt.Sprint("bucket", n.Add(1))), "?", "/im/files?", 1))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenRefuses(t *testing.T) {
	srv := s3test.Start(t)
	for _, u := range []string{"https://bucket", "s3://", srv.URL("bucket") + "&lookup=sideways"} {
		if _, err := s3files.Open(context.Background(), u); err == nil {
			t.Errorf("%s: opened", u)
		}
	}
	// Wrong credentials: a clear error at start, not at the first upload.
	t.Setenv("AWS_ACCESS_KEY_ID", "nobody")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := s3files.Open(context.Background(), srv.URL("bucket")); err == nil || !strings.Contains(err.Error(), "bucket bucket") {
		t.Fatalf("bad credentials: %v", err)
	}
}
