package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/imwasm/imwasm/server"
)

// target is the server under test.
type target struct {
	kind      string   // "in-process", "process" or "external"
	httpURL   string   // http://host:port
	wsURL     string   // ws://host:port/v1/ws
	wsURLs    []string // every node's (wsURL first): users are spread over them
	appKey    string
	appSecret string
	pid       int   // the server's process (0: unknown or this one)
	pids      []int // every process whose CPU is the server's (pid among them)
	stop      func() error
}

// serverCPU is the CPU the server's processes have used (0 when unknown).
func (t *target) serverCPU() time.Duration {
	var sum time.Duration
	for _, pid := range t.pids {
		c, _ := cpuTime(pid)
		sum += c
	}
	return sum
}

// startTarget starts (or names) the server the configuration asks for.
func startTarget(ctx context.Context, cfg *Config, ownProcess bool) (*target, error) {
	if cfg.URL != "" {
		return externalTarget(cfg)
	}
	key, secret := "imwasm-bench", "bench-"+rand.Text()
	if ownProcess {
		return startProcess(ctx, cfg, key, secret)
	}
	return startInProcess(ctx, cfg, key, secret)
}

func externalTarget(cfg *Config) (*target, error) {
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, errors.New("--url needs the server's --app-key and --app-secret to mint tokens")
	}
	t := &target{kind: "external", appKey: cfg.AppKey, appSecret: cfg.AppSecret, pid: cfg.ServerPID,
		stop: func() error { return nil }}
	for _, raw := range strings.Split(cfg.URL, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--url %q: want http://host:port (comma-separated for a cluster's nodes)", raw)
		}
		switch u.Scheme {
		case "http", "ws":
			u.Scheme = "http"
		case "https", "wss":
			u.Scheme = "https"
		default:
			return nil, fmt.Errorf("--url %q: want http://host:port (comma-separated for a cluster's nodes)", raw)
		}
		base := u.Scheme + "://" + u.Host + strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1/ws")
		if t.httpURL == "" {
			t.httpURL, t.wsURL = base, wsOf(base)
		}
		t.wsURLs = append(t.wsURLs, wsOf(base))
	}
	t.pids = cfg.ServerPIDs
	if len(t.pids) == 0 && cfg.ServerPID != 0 {
		t.pids = []int{cfg.ServerPID}
	}
	return t, nil
}

func wsOf(httpURL string) string {
	return "ws" + strings.TrimPrefix(httpURL, "http") + "/v1/ws"
}

func startInProcess(ctx context.Context, cfg *Config, key, secret string) (*target, error) {
	dir, err := os.MkdirTemp("", "imwasm-bench-")
	if err != nil {
		return nil, err
	}
	scfg := server.Config{AppKey: key, AppSecret: secret, DataDir: dir}
	if !cfg.RateLimit {
		scfg.SendRate, scfg.WriteRate = -1, -1
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	srv, err := server.New(sctx, scfg)
	if err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		srv.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()
	return &target{
		kind: "in-process", httpURL: base, wsURL: wsOf(base), wsURLs: []string{wsOf(base)}, appKey: key, appSecret: secret,
		stop: func() error {
			cancel()
			err := <-done
			err = errors.Join(err, srv.Close())
			os.RemoveAll(dir)
			return err
		},
	}, nil
}

// startProcess runs `<exe> serve` on a free loopback port and reads the
// address from its ready line.
func startProcess(ctx context.Context, cfg *Config, key, secret string) (*target, error) {
	dir, err := os.MkdirTemp("", "imwasm-bench-")
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--app-key", key, "--app-secret", secret, "--log-level", "warn"}
	if !cfg.RateLimit {
		args = append(args, "--send-rate", "0", "--write-rate", "0") // 0 is "off" on serve's command line
	}
	p, err := spawn(ctx, cfg, args, cfg.ServerEnv, "imwasm listening on ")
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("server: %w", err)
	}
	return &target{
		kind: "process", httpURL: p.ready, wsURL: wsOf(p.ready), wsURLs: []string{wsOf(p.ready)}, appKey: key, appSecret: secret,
		pid: p.pid, pids: []int{p.pid},
		stop: func() error {
			p.stop()
			os.RemoveAll(dir)
			return nil
		},
	}, nil
}

// child is a process the bench started.
type child struct {
	pid   int
	ready string // the rest of its ready line
	stop  func() // SIGTERM, then SIGKILL after 10 s; waits for it to exit
}

// spawn runs cfg.Exe (default this program) with args and waits for the
// line of its stdout that begins with ready. The child runs with the
// runtime's defaults whatever this process was given, unless env says
// otherwise, and dies with the bench even when the bench is killed.
func spawn(ctx context.Context, cfg *Config, args, env []string, ready string) (*child, error) {
	exe := cfg.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find this program to start a process: %w", err)
		}
	}
	cmd := exec.Command(exe, args...)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "GOGC" && k != "GOMEMLIMIT" && k != "GOMAXPROCS" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s %s: %w", exe, args[0], err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		select {
		case <-exited:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), ready); ok {
				line <- strings.TrimSpace(rest)
				break
			}
		}
		io.Copy(io.Discard, out)
		out.Close()
	}()
	select {
	case u := <-line:
		return &child{pid: cmd.Process.Pid, ready: u, stop: stop}, nil
	case <-exited:
		stop()
		return nil, fmt.Errorf("process exited before it was ready (%s %s)", exe, strings.Join(args[:min(3, len(args))], " "))
	case <-time.After(30 * time.Second):
		stop()
		return nil, errors.New("process not ready within 30s")
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
}

// rssBytes reads a process's resident set size from /proc.
func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				break
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// noFileLimit is the current open-file limit, 0 when unknown.
func noFileLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<30 {
		return 0
	}
	return int(lim.Cur)
}

// raiseNoFile lifts the open-file limit to its hard maximum and says
// whether want descriptors fit.
func raiseNoFile(want int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // not knowable here; let the dials say
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if uint64(want) > lim.Cur {
		return fmt.Errorf("need about %d open files but the limit is %d (hard %d): raise it (ulimit -n) or use fewer clients", want, lim.Cur, lim.Max)
	}
	return nil
}

// cpuTime is the CPU (user + system) a process has used; pid 0 is this one.
func cpuTime(pid int) (time.Duration, error) {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0, err
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	// utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100
	// on Linux).
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// machineBusy is the CPU time all processes have used (every core), and
// the time the hypervisor took from this machine (steal), from /proc/stat;
// 0 when unknown.
func machineBusy() (busy, steal time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	var ticks, stolen int64
	// user nice system idle iowait irq softirq steal: busy is all but
	// idle, iowait and steal.
	for i, v := range f[1:9] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0
		}
		switch i {
		case 3, 4:
		case 7:
			stolen = n
		default:
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond, time.Duration(stolen) * 10 * time.Millisecond
}
