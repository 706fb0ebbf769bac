// Package pgtest runs a throwaway PostgreSQL server for tests: a cluster
// initdb'd in a temporary folder, served on a free loopback port by
// Debian's postgresql binaries, stopped and removed when the test ends.
//
// Tests run as root and PostgreSQL refuses to, so the cluster's processes
// run as the postgres user that Debian's package creates (the folder is
// theirs). Without the binaries or that user, Start skips the test when
// IMWASM_REQUIRE_POSTGRES is unset and fails it otherwise (CI sets it:
// a machine that cannot run these tests must not pass them silently).
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imwasm/imwasm/internal/proctest"
)

// Server is one running throwaway PostgreSQL.
type Server struct {
	Port int
	bin  string
	dir  string
	data string
	cred *syscall.Credential
	cmd  *exec.Cmd
	exit chan error
	mu   sync.Mutex
	dbs  int
}

// DSN is a connection string for a database of the server (created with
// CreateDB, or "postgres").
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// Start runs a new server for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if errors.Is(err, ErrUnavailable) {
		if os.Getenv("IMWASM_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL: %v", err)
		}
		t.Skipf("%v; set IMWASM_REQUIRE_POSTGRES=1 to make that a failure", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartMain runs a server for a whole test binary (TestMain); Stop it
// before the binary exits.
func StartMain() (*Server, error) { return start() }

// ErrUnavailable: this machine has no PostgreSQL to run (its binaries
// or its postgres user are missing).
var ErrUnavailable = errors.New("PostgreSQL is not available here")

func start() (*Server, error) {
	bin, cred, err := locate()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	dir, err := os.MkdirTemp("", "imwasm-pg-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fail(fmt.Errorf("hand %s to the postgres user: %w", dir, err))
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	s := &Server{bin: bin, dir: dir, data: data, cred: cred}
	// A port another process takes between here and the listen fails the
	// start; one retry on another port covers that.
	for attempt := 0; ; attempt++ {
		if s.Port, err = proctest.FreePort(); err != nil {
			return fail(err)
		}
		err := s.launch()
		if err == nil {
			return s, nil
		}
		if attempt == 1 {
			return fail(err)
		}
	}
}

// CreateDB creates an empty database for t (named after a counter) and
// returns its connection string.
func (s *Server) CreateDB(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("t%d", s.dbs)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatalf("connect to postgres: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return s.DSN(name)
}

// launch runs postgres on the cluster and waits until it takes logins.
func (s *Server) launch() error {
	var log bytes.Buffer
	s.exit = make(chan error, 1)
	s.cmd = exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.data, "-p", strconv.Itoa(s.Port),
		"-h", "127.0.0.1", "-k", s.dir,
		// A test's database: crash-safe for the server process (what
		// the tests kill) but not for the machine's power.
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=64MB")
	// Pdeathsig: a test process that dies (killed, timed out) takes its
	// server with it rather than leaving it running.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = &log, &log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	go func() { s.exit <- s.cmd.Wait() }()
	if err := s.waitReady(30 * time.Second); err != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exit
		return fmt.Errorf("postgres did not start: %w\n%s", err, log.String())
	}
	return nil
}

// Restart starts a stopped (or killed) server again, on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
}

// Kill stops the server at once, as a crash would (SIGKILL to the
// postmaster and every backend).
func (s *Server) Kill() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	err := <-s.exit
	s.exit <- err // for stop
}

// Stop stops the server (a fast shutdown) and removes its folder.
func (s *Server) Stop() {
	defer os.RemoveAll(s.dir)
	select {
	case err := <-s.exit: // killed, not restarted
		s.exit <- err
		return
	default:
	}
	// Fast shutdown: roll back what is open, then exit.
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exit:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exit
	}
}

// waitReady waits until the server accepts connections on its port.
func (s *Server) waitReady(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		select {
		case err := <-s.exit:
			s.exit <- err
			return fmt.Errorf("exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), time.Second)
		if err == nil {
			c.Close()
			// The port opens a moment before the server takes logins;
			// pg_isready's answer is the one that counts.
			if exec.CommandContext(ctx, filepath.Join(s.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port)).Run() == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// locate finds the server's binaries (initdb is not on Debian's PATH: the
// package keeps them under /usr/lib/postgresql/VERSION/bin) and the
// postgres user's credentials.
func locate() (string, *syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return "", nil, fmt.Errorf("no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), cred, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, cred, nil
		}
	}
	return "", nil, fmt.Errorf("no initdb on PATH or under /usr/lib/postgresql")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}
