// Package proctest runs the programs tests depend on (nats-server,
// versitygw) as child processes: started on a free loopback port, ready
// once a check passes, killed as a crash would, and killed with the test
// process if it dies first.
package proctest

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a running child program.
type Process struct {
	cmd  *exec.Cmd
	exit chan error // one value, put back by whoever takes it
	mu   sync.Mutex
	log  bytes.Buffer
}

// FreePort returns a loopback port free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start runs bin with args and waits, up to limit, until ready reports
// true; it fails with the program's output if the program exits first.
func Start(bin string, args []string, ready func() bool, limit time.Duration) (*Process, error) {
	p := &Process{exit: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.cmd.Stdout, p.cmd.Stderr = (*syncWriter)(p), (*syncWriter)(p)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { p.exit <- p.cmd.Wait() }()
	deadline := time.Now().Add(limit)
	for !ready() {
		select {
		case err := <-p.exit:
			p.exit <- err
			return nil, fmt.Errorf("%s exited: %v\n%s", bin, err, p.output())
		case <-time.After(20 * time.Millisecond): // polling another process's readiness
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("%s not ready within %v\n%s", bin, limit, p.output())
		}
	}
	return p, nil
}

// Listening reports whether something accepts connections on port.
func Listening(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprint("127.0.0.1:", port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Kill stops the program at once (SIGKILL) and waits for it; a no-op once
// it has exited.
func (p *Process) Kill() {
	select {
	case err := <-p.exit:
		p.exit <- err
		return
	default:
	}
	p.cmd.Process.Kill()
	p.exit <- <-p.exit
}

type syncWriter Process

func (w *syncWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.Write(b)
}

func (p *Process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}
