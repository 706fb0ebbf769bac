package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/sqlite"
)

const (
	flagSecret = "flag-secret-0123456789"
	envSecret  = "env-secret-0123456789"
)

// clearEnv hides any IMWASM_* variables of the environment the tests run in
// (an empty variable counts as unset).
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, envPrefix) {
			t.Setenv(k, "")
		}
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		args       []string
		code       int
		stdout     string
		stderr     string
		emptyOther bool
	}{
		{args: nil, code: 2, stderr: "Commands:"},
		{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{args: []string{"help"}, code: 0, stdout: "serve"},
		{args: []string{"--help"}, code: 0, stdout: "token"},
		{args: []string{"help", "token"}, code: 0, stdout: "-user"},
		{args: []string{"help", "serve"}, code: 0, stdout: "IMWASM_APP_SECRET"},
		{args: []string{"help", "nope"}, code: 2, stderr: `unknown command "nope"`},
		{args: []string{"token", "-h"}, code: 0, stderr: "-ttl"},
		{args: []string{"token", "--no-such-flag"}, code: 2, stderr: "flag provided but not defined"},
		{args: []string{"version"}, code: 0, stdout: "imwasm "},
		{args: []string{"version", "extra"}, code: 2, stderr: "unexpected arguments"},
	} {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("imwasm %q: code %d, stdout %q, stderr %q; want code %d, stdout ~ %q, stderr ~ %q",
				tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}

func TestEveryCommandHasUsage(t *testing.T) {
	// Every command must be runnable from the table with -h and print a
	// usage that names it; this is what "imwasm help X" relies on.
	for name, c := range commands {
		var out bytes.Buffer
		err := c.run(context.Background(), []string{"-h"}, &out, &out)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "imwasm "+name) {
			t.Errorf("%s -h: err %v, output %q", name, err, out.String())
		}
	}
}

func verify(t *testing.T, secret, tok string) auth.Claims {
	t.Helper()
	c, err := auth.Verify([]byte(secret), strings.TrimSpace(tok), time.Now())
	if err != nil {
		t.Fatalf("verify %q: %v", tok, err)
	}
	return c
}

func TestTokenRoundTrip(t *testing.T) {
	clearEnv(t)
	code, out, stderr := runCLI(t, "token", "--app-secret", flagSecret, "--user", "alice", "--ttl", "1h")
	if code != 0 || stderr != "" {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want exactly one line, got %q", out)
	}
	c := verify(t, flagSecret, out)
	if c.Subject != "alice" || c.IsAdmin() || c.ExpiresAt-c.IssuedAt != 3600 {
		t.Fatalf("claims %+v", c)
	}
	if d := time.Until(time.Unix(c.ExpiresAt, 0)); d < 59*time.Minute || d > time.Hour+time.Second {
		t.Fatalf("expires in %v", d)
	}

	// Default ttl is 24h.
	_, out, _ = runCLI(t, "token", "--app-secret", flagSecret, "--user", "bob")
	if c := verify(t, flagSecret, out); c.Subject != "bob" || c.ExpiresAt-c.IssuedAt != 24*3600 {
		t.Fatalf("claims %+v", c)
	}
}

func TestTokenAdmin(t *testing.T) {
	clearEnv(t)
	_, out, stderr := runCLI(t, "token", "--app-secret", flagSecret, "--admin")
	if c := verify(t, flagSecret, out); c.Subject != "admin" || !c.IsAdmin() || c.Role != auth.RoleAdmin {
		t.Fatalf("claims %+v (stderr %q)", c, stderr)
	}
	_, out, _ = runCLI(t, "token", "--app-secret", flagSecret, "--admin", "--user", "backend-1")
	if c := verify(t, flagSecret, out); c.Subject != "backend-1" || !c.IsAdmin() {
		t.Fatalf("claims %+v", c)
	}
}

func TestTokenSecretFromEnvAndFlagWins(t *testing.T) {
	clearEnv(t)
	t.Setenv("IMWASM_APP_SECRET", envSecret)

	code, out, stderr := runCLI(t, "token", "--user", "alice")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	verify(t, envSecret, out)

	code, out, stderr = runCLI(t, "token", "--user", "alice", "--app-secret", flagSecret)
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	verify(t, flagSecret, out)
	if _, err := auth.Verify([]byte(envSecret), strings.TrimSpace(out), time.Now()); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("token signed with the flag's secret verified with the env secret: %v", err)
	}
}

func TestTokenErrors(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--user", "alice"}, 2, "--app-secret (or IMWASM_APP_SECRET) is required"},
		{[]string{"--user", "alice", "--app-secret", "short"}, 2, "at least 16 bytes"},
		{[]string{"--app-secret", flagSecret}, 2, "--user is required"},
		{[]string{"--app-secret", flagSecret, "--user", "alice", "--ttl", "10ms"}, 2, "--ttl"},
		{[]string{"--app-secret", flagSecret, "--user", "bad/user"}, 1, "invalid byte"},
		{[]string{"--app-secret", flagSecret, "--user", "alice", "extra"}, 2, "unexpected arguments"},
	} {
		code, out, stderr := runCLI(t, append([]string{"token"}, tc.args...)...)
		if code != tc.code || out != "" || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("token %q: code %d, stdout %q, stderr %q; want code %d, stderr ~ %q", tc.args, code, out, stderr, tc.code, tc.stderr)
		}
	}
	// An empty variable counts as unset.
	t.Setenv("IMWASM_APP_SECRET", "")
	if code, _, stderr := runCLI(t, "token", "--user", "alice"); code != 2 || !strings.Contains(stderr, "required") {
		t.Errorf("empty IMWASM_APP_SECRET: code %d, stderr %q", code, stderr)
	}
}

func TestServeFlagsAndEnv(t *testing.T) {
	clearEnv(t)
	var discard bytes.Buffer

	// Required flags.
	if _, err := parseServe([]string{"--app-secret", flagSecret}, &discard); err == nil || !strings.Contains(err.Error(), "--app-key") {
		t.Fatalf("missing app key: %v", err)
	}
	if _, err := parseServe([]string{"--app-key", "k"}, &discard); err == nil || !strings.Contains(err.Error(), "--app-secret") {
		t.Fatalf("missing app secret: %v", err)
	}
	if _, err := parseServe([]string{"--app-key", "k", "--app-secret", "0123456789abcde"}, &discard); err == nil || !strings.Contains(err.Error(), "16 bytes") {
		t.Fatalf("15-byte secret: %v", err)
	}

	// Defaults.
	cfg, err := parseServe([]string{"--app-key", "k", "--app-secret", flagSecret}, &discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.DataDir != "./data" || cfg.SendRate != 5 || cfg.SendBurst != 10 ||
		cfg.MaxSessions != 10 || cfg.MaxContentBytes != 128<<10 || cfg.FullSync || cfg.AllowedOrigins != nil || cfg.Logger == nil ||
		cfg.WriteRate != 20 || cfg.WriteBurst != 40 || cfg.SendQueueBytes != 8<<20 {
		t.Fatalf("defaults: %+v", cfg)
	}

	// Everything from the environment; explicit flags win.
	t.Setenv("IMWASM_APP_KEY", "env-key")
	t.Setenv("IMWASM_APP_SECRET", envSecret)
	t.Setenv("IMWASM_ADDR", "0.0.0.0:9000")
	t.Setenv("IMWASM_DATA", "/env/data")
	t.Setenv("IMWASM_SEND_RATE", "0")
	t.Setenv("IMWASM_FULL_SYNC", "true")
	t.Setenv("IMWASM_ALLOWED_ORIGINS", " https://a.example , ,HTTPS://B.example:8443/")
	t.Setenv("IMWASM_MAX_SESSIONS", "3")
	t.Setenv("IMWASM_LOG_FORMAT", "json")
	cfg, err = parseServe([]string{"--addr", "127.0.0.1:0", "--max-sessions", "7"}, &discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AppKey != "env-key" || cfg.AppSecret != envSecret || cfg.DataDir != "/env/data" || !cfg.FullSync {
		t.Fatalf("from env: %+v", cfg)
	}
	if cfg.Addr != "127.0.0.1:0" || cfg.MaxSessions != 7 {
		t.Fatalf("flags must win over env: addr %q, max sessions %d", cfg.Addr, cfg.MaxSessions)
	}
	if cfg.SendRate >= 0 {
		t.Fatalf("IMWASM_SEND_RATE=0 must disable rate limiting (negative SendRate), got %v", cfg.SendRate)
	}
	if want := []string{"https://a.example", "https://b.example:8443"}; strings.Join(cfg.AllowedOrigins, "|") != strings.Join(want, "|") {
		t.Fatalf("origins %q, want %q", cfg.AllowedOrigins, want)
	}
	// An explicit --send-rate beats IMWASM_SEND_RATE=0, and --full-sync=false beats IMWASM_FULL_SYNC.
	cfg, err = parseServe([]string{"--send-rate", "2.5", "--full-sync=false"}, &discard)
	if err != nil || cfg.SendRate != 2.5 || cfg.FullSync {
		t.Fatalf("send rate %v, full sync %v, err %v", cfg.SendRate, cfg.FullSync, err)
	}
	if cfg, err := parseServe([]string{"--store", "postgres://db/im"}, &discard); err != nil || cfg.Store != "postgres://db/im" {
		t.Fatalf("--store: %q %v", cfg.Store, err)
	}
	if cfg, err := parseServe([]string{"--bus", "nats://n1:4222,nats://n2:4222", "--files", "s3://b?endpoint=http://s3:9000"}, &discard); err != nil ||
		cfg.Bus != "nats://n1:4222,nats://n2:4222" || cfg.Files != "s3://b?endpoint=http://s3:9000" {
		t.Fatalf("--bus, --files: %q %q %v", cfg.Bus, cfg.Files, err)
	}

	// Bad values, from flags and from the environment.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--send-rate", "-1"}, "--send-rate"},
		{[]string{"--send-rate", "NaN"}, "--send-rate"},
		{[]string{"--send-burst", "0"}, "--send-burst"},
		{[]string{"--max-content-bytes", "-5"}, "--max-content-bytes"},
		{[]string{"--max-content-bytes", "524289"}, "--max-content-bytes"}, // a message must fit a 1 MiB frame
		{[]string{"--send-queue-bytes", "0"}, "--send-queue-bytes"},
		{[]string{"--write-rate", "-1"}, "--write-rate"},
		{[]string{"--write-burst", "0"}, "--write-burst"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--store", "mysql://db/im"}, "--store"},
		{[]string{"--bus", "redis://r:6379"}, "--bus"},
		{[]string{"--files", "gs://bucket"}, "--files"},
		{[]string{"--bus", "nats://a:4222,"}, "--bus"},
		{[]string{"stray"}, "unexpected arguments"},
		{[]string{"--allowed-origins", "app.example.com"}, "--allowed-origins"},
		{[]string{"--allowed-origins", "https://a.example,https://b.example/path"}, "--allowed-origins"},
	} {
		if _, err := parseServe(tc.args, &discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
	t.Setenv("IMWASM_SEND_BURST", "lots")
	if _, err := parseServe(nil, &discard); err == nil || !strings.Contains(err.Error(), "IMWASM_SEND_BURST") {
		t.Fatalf("bad env value: %v", err)
	}
}

func TestEnvNames(t *testing.T) {
	for flagName, want := range map[string]string{
		"app-secret": "IMWASM_APP_SECRET", "data": "IMWASM_DATA", "max-content-bytes": "IMWASM_MAX_CONTENT_BYTES",
	} {
		if got := envName(flagName); got != want {
			t.Errorf("envName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestBackupRefusesExistingDest(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, DBFile), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "exists.db")
	if err := os.WriteFile(dest, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "backup", "--data", data, dest)
	if code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(dest); string(b) != "keep me" {
		t.Fatalf("dest was touched: %q", b)
	}
}

func TestBackupMissingSource(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	dest := filepath.Join(t.TempDir(), "b.db")
	code, _, stderr := runCLI(t, "backup", "--data", data, dest)
	if code != 1 || !strings.Contains(stderr, "no database at") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	for _, p := range []string{filepath.Join(data, DBFile), dest} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s was created: %v", p, err)
		}
	}
	if code, _, stderr := runCLI(t, "backup", "--data", data); code != 2 || !strings.Contains(stderr, "DEST") {
		t.Fatalf("no DEST: code %d, stderr %q", code, stderr)
	}
}

// With PostgreSQL the backup is PostgreSQL's: the command says how, with
// the URL's password hidden, and writes nothing.
func TestBackupExplainsPgDump(t *testing.T) {
	clearEnv(t)
	dest := filepath.Join(t.TempDir(), "b.db")
	t.Setenv("IMWASM_STORE", "postgres://im:s3cret@db.example.com/im")
	code, _, stderr := runCLI(t, "backup", dest)
	if code != 1 || !strings.Contains(stderr, "pg_dump") || !strings.Contains(stderr, "db.example.com/im") || strings.Contains(stderr, "s3cret") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("%s was created: %v", dest, err)
	}
}

func TestBackupOfLiveDatabase(t *testing.T) {
	clearEnv(t)
	ctx := context.Background()
	data := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(data, DBFile), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conv := store.PrivateConvID("alice", "bob")
	for _, id := range []string{"m1", "m2", "m3"} {
		m := &pb.Message{ConvType: pb.ConversationType_PRIVATE, FromUser: "alice", To: "bob", ClientMsgId: id,
			ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"` + id + `"}`)}
		if _, _, err := db.Append(ctx, conv, m); err != nil {
			t.Fatal(err)
		}
	}

	// The database stays open, as under a running server; --data comes
	// from the environment and DEST may precede the flags.
	t.Setenv("IMWASM_DATA", data)
	dest := filepath.Join(t.TempDir(), "backup.db")
	code, out, stderr := runCLI(t, "backup", dest)
	if code != 0 || !strings.Contains(out, dest) {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, stderr)
	}
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode: %v %v", st.Mode(), err)
	}

	b, err := sqlite.Open(ctx, dest, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ms, _, last, err := b.Pull(ctx, "bob", conv, 0, 100, time.Time{}, 1000)
	if err != nil || len(ms) != 3 || last != 3 || string(ms[2].Content) != `{"content":"m3"}` {
		t.Fatalf("backup holds %d messages (last %d): %v", len(ms), last, err)
	}

	// A second run refuses to overwrite the first backup.
	if code, _, stderr := runCLI(t, "backup", dest, "--data", data); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("second backup: code %d, stderr %q", code, stderr)
	}
}

// Every duration flag of every command is at most 100 years (beyond it a
// duration overflows where the server turns it into seconds or adds it to
// a time), refused at start with exit code 2.
func TestDurationFlagsAtMost100Years(t *testing.T) {
	clearEnv(t)
	var discard bytes.Buffer
	serve := []string{"--app-key", "k", "--app-secret", flagSecret}
	cfg, err := parseServe(append(serve, "--recall-window", "876600h"), &discard)
	if err != nil || cfg.RecallWindow != server.MaxDuration {
		t.Fatalf("--recall-window of 100 years: %v, %v", cfg.RecallWindow, err)
	}
	if _, err := parseServe(append(serve, "--recall-window", "876600h1s"), &discard); err == nil || !strings.Contains(err.Error(), "--recall-window must be at most 100 years") {
		t.Fatalf("--recall-window over 100 years: %v", err)
	}
	t.Setenv("IMWASM_RECALL_WINDOW", "1000000h")
	if _, err := parseServe(serve, &discard); err == nil || !strings.Contains(err.Error(), "--recall-window must be at most 100 years") {
		t.Fatalf("IMWASM_RECALL_WINDOW over 100 years: %v", err)
	}
	t.Setenv("IMWASM_RECALL_WINDOW", "")
	for _, args := range [][]string{
		{"serve", "--app-key", "k", "--app-secret", flagSecret, "--recall-window", "1000000h"},
		{"token", "--app-secret", flagSecret, "--user", "alice", "--ttl", "876601h"},
		{"bench", "--duration", "876601h"}, // refused before anything starts
		{"bench", "--warm-up", "1000000h"},
	} {
		code, out, stderr := runCLI(t, args...)
		if code != 2 || out != "" || !strings.Contains(stderr, "must be at most 100 years") {
			t.Errorf("%q: code %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
	code, out, stderr := runCLI(t, "token", "--app-secret", flagSecret, "--user", "alice", "--ttl", "876600h")
	c, err := auth.Verify([]byte(flagSecret), strings.TrimSpace(out), time.Now())
	if code != 0 || err != nil || c.ExpiresAt-c.IssuedAt != server.MaxDurationSeconds {
		t.Fatalf("a token of 100 years: code %d, %q, %+v, %v", code, stderr, c, err)
	}
}

func TestUploadQuotaFlag(t *testing.T) {
	clearEnv(t)
	var discard bytes.Buffer
	serve := []string{"--app-key", "k", "--app-secret", flagSecret}
	for _, c := range []struct {
		args []string
		env  string
		want int64 // server.Config: negative is none
	}{
		{nil, "", 1 << 30},
		{[]string{"--upload-quota-bytes", "5000"}, "", 5000},
		{[]string{"--upload-quota-bytes", "0"}, "", -1},
		{nil, "7000", 7000},
		{nil, "0", -1},
		{[]string{"--upload-quota-bytes", "5000"}, "7000", 5000},
	} {
		t.Setenv("IMWASM_UPLOAD_QUOTA_BYTES", c.env)
		cfg, err := parseServe(append(serve, c.args...), &discard)
		if err != nil || cfg.UploadQuotaBytes != c.want {
			t.Errorf("%q with IMWASM_UPLOAD_QUOTA_BYTES=%q: %d, %v; want %d", c.args, c.env, cfg.UploadQuotaBytes, err, c.want)
		}
	}
	t.Setenv("IMWASM_UPLOAD_QUOTA_BYTES", "")
	if _, err := parseServe(append(serve, "--upload-quota-bytes", "-1"), &discard); err == nil || !strings.Contains(err.Error(), "--upload-quota-bytes") {
		t.Fatalf("a negative quota: %v", err)
	}
}
