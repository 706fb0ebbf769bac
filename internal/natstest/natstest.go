// Package natstest runs a throwaway NATS server for tests: Debian's
// nats-server on a free loopback port, killed when the test ends (or when
// the test process dies). Without the binary, Start skips the test when
// IMWASM_REQUIRE_NATS is unset and fails it otherwise (CI sets it).
package natstest

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/imwasm/imwasm/internal/proctest"
)

// Server is one running nats-server.
type Server struct {
	Port int
	bin  string
	proc *proctest.Process
}

// URL is the server's client URL.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.Port) }

// Start runs a server for t.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("IMWASM_REQUIRE_NATS") != "" {
			t.Fatalf("NATS: %v", err)
		}
		t.Skipf("no nats-server here (%v); set IMWASM_REQUIRE_NATS=1 to make that a failure", err)
	}
	s := &Server{bin: bin}
	// A port another process takes before the listen fails the start; one
	// retry on another port covers that.
	for attempt := 0; ; attempt++ {
		if s.Port, err = proctest.FreePort(); err != nil {
			t.Fatal(err)
		}
		if err = s.launch(); err == nil {
			break
		}
		if attempt == 1 {
			t.Fatal(err)
		}
	}
	t.Cleanup(s.Kill)
	return s
}

func (s *Server) launch() (err error) {
	s.proc, err = proctest.Start(s.bin, []string{"-a", "127.0.0.1", "-p", strconv.Itoa(s.Port)},
		func() bool { return proctest.Listening(s.Port) }, 20*time.Second)
	return err
}

// Kill stops the server at once, as a crash would; a no-op on a stopped
// one.
func (s *Server) Kill() { s.proc.Kill() }

// Restart starts a killed server again on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
}
