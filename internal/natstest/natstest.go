// Package natstest runs a throwaway NATS server for tests: Debian's
// nats-server on a free loopback port, killed when the test ends (or when
// the test process dies). Without the binary, Start skips the test when
// IMWASM_REQUIRE_NATS is unset and fails it otherwise (CI sets it).
package natstest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Server is one running nats-server.
type Server struct {
	Port int
	bin  string
	cmd  *exec.Cmd
	exit chan error
	log  bytes.Buffer
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
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.Port = l.Addr().(*net.TCPAddr).Port
		l.Close()
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

func (s *Server) launch() error {
	s.log.Reset()
	s.exit = make(chan error, 1)
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(s.Port))
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start nats-server: %w", err)
	}
	go func() { s.exit <- s.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.Port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-s.exit:
			s.exit <- err
			return fmt.Errorf("nats-server exited: %v\n%s", err, s.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("nats-server did not listen on %d", s.Port)
		}
	}
}

// Kill stops the server at once, as a crash would; it is a no-op on a
// stopped one.
func (s *Server) Kill() {
	select {
	case err := <-s.exit:
		s.exit <- err
		return
	default:
	}
	s.cmd.Process.Kill()
	err := <-s.exit
	s.exit <- err
}

// Restart starts a killed server again on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
}
