// Package s3test runs a throwaway S3-compatible server for tests:
// versitygw (github.com/versity/versitygw) on its posix backend, in a
// temporary folder, on a free loopback port, killed when the test ends.
//
// The binary is built once into a cache folder by scripts/versitygw.sh
// (IMWASM_VERSITYGW names another). Without it, Start skips the test when
// IMWASM_REQUIRE_S3 is unset; when it is set (CI, which builds the binary
// in the background while other tests run), Start waits for the build and
// fails the test if the build failed.
package s3test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/imwasm/imwasm/internal/proctest"
)

// Credentials of the test server's root user.
const (
	AccessKey = "imwasm-test"
	SecretKey = "imwasm-test-secret-key"
)

// Server is one running versitygw.
type Server struct {
	Port int
	dir  string
	proc *proctest.Process
}

// Endpoint is the server's http://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is the --files value for bucket on this server (credentials from
// the environment: see Env).
func (s *Server) URL(bucket string) string {
	return "s3://" + bucket + "?endpoint=" + s.Endpoint() + "&region=us-east-1&lookup=path"
}

// URLWithCredentials is URL with the credentials in it (for tests that run
// in parallel, which may not set the environment).
func (s *Server) URLWithCredentials(bucket string) string {
	return "s3://" + AccessKey + ":" + SecretKey + "@" + bucket + "?endpoint=" + s.Endpoint() + "&region=us-east-1&lookup=path"
}

// Env sets the AWS variables with the test server's credentials for t.
func (s *Server) Env(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
}

// Binary is where scripts/versitygw.sh puts versitygw.
func Binary() string {
	if b := os.Getenv("IMWASM_VERSITYGW"); b != "" {
		return b
	}
	cache := os.Getenv("IMWASM_CACHE")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(base, "imwasm")
	}
	return filepath.Join(cache, "versitygw-v1.8.0")
}

// Start runs a server for t, on a folder of its own.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if err := waitForBinary(bin); err != nil {
		if os.Getenv("IMWASM_REQUIRE_S3") != "" {
			t.Fatalf("S3: %v", err)
		}
		t.Skipf("%v (scripts/versitygw.sh builds it); set IMWASM_REQUIRE_S3=1 to make that a failure", err)
	}
	s := &Server{dir: t.TempDir()}
	for _, d := range []string{"meta", "data"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// A port another process takes before the listen fails the start; one
	// retry on another port covers that.
	for attempt := 0; ; attempt++ {
		var err error
		if s.Port, err = proctest.FreePort(); err != nil {
			t.Fatal(err)
		}
		s.proc, err = proctest.Start(bin, []string{"--port", "127.0.0.1:" + strconv.Itoa(s.Port), "--quiet",
			"--access", AccessKey, "--secret", SecretKey,
			// Object metadata in a folder beside the data: not every test
			// machine's /tmp takes extended attributes.
			"posix", "--sidecar", filepath.Join(s.dir, "meta"), filepath.Join(s.dir, "data")},
			func() bool { return proctest.Listening(s.Port) }, 30*time.Second)
		if err == nil {
			break
		}
		if attempt == 1 {
			t.Fatal(err)
		}
	}
	t.Cleanup(s.proc.Kill)
	return s
}

// waitForBinary waits, when the tests require S3, for a build under way.
func waitForBinary(bin string) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if _, err := os.Stat(bin); err == nil {
			return nil
		}
		if b, err := os.ReadFile(bin + ".failed"); err == nil {
			return fmt.Errorf("building versitygw failed:\n%s", b)
		}
		if os.Getenv("IMWASM_REQUIRE_S3") == "" || time.Now().After(deadline) {
			return fmt.Errorf("no versitygw at %s", bin)
		}
		time.Sleep(time.Second) // a build in another process
	}
}
