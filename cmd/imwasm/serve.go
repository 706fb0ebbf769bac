package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	_ "net/http/pprof"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	"github.com/imwasm/imwasm/server"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	// Listen before starting so that the printed address is the real one
	// (--addr 127.0.0.1:0 picks a free port) and a busy port fails fast.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	cfg.Addr = ln.Addr().String()
	// IMWASM_CPUPROFILE=file profiles the server until it stops (for
	// finding where a benchmark's CPU goes; not a user-facing flag).
	if path := os.Getenv("IMWASM_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	// IMWASM_PPROF_ADDR=127.0.0.1:6060 serves net/http/pprof there (heap
	// and goroutine profiles of a running server; not a user-facing flag).
	if addr := os.Getenv("IMWASM_PPROF_ADDR"); addr != "" {
		go func() { log.Warn("pprof server stopped", "err", http.ListenAndServe(addr, nil)) }()
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	url := "http://" + ln.Addr().String()
	log.Info("imwasm ready", "url", url, "data", cfg.DataDir, "full_sync", cfg.FullSync,
		"send_rate", cfg.SendRate, "allowed_origins", cfg.AllowedOrigins)
	if _, err := fmt.Fprintf(stdout, "imwasm listening on %s\n", url); err != nil {
		log.Warn("cannot write the ready line to stdout", "err", err)
	}
	// Serve returns once ctx is cancelled (SIGINT/SIGTERM, see main) and
	// the graceful shutdown has finished.
	serveErr := srv.Serve(ctx, ln)
	closeErr := srv.Close()
	if err := errors.Join(serveErr, closeErr); err != nil {
		return err
	}
	log.Info("imwasm stopped")
	return nil
}

// parseServe turns serve's flags (and IMWASM_* variables) into a server
// configuration, including a logger that writes to stderr.
func parseServe(args []string, stderr io.Writer) (server.Config, error) {
	fs := newFlagSet("serve", "--app-key KEY --app-secret SECRET [flags]", stderr,
		"\nEvery flag can also be set with an environment variable named IMWASM_ and the flag's\n"+
			"name in upper case with _ for -, e.g. IMWASM_APP_SECRET or IMWASM_SEND_RATE=0.\n"+
			"A flag given on the command line wins over the environment.")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	data := fs.String("data", "./data", "data directory: SQLite database and uploaded files (created 0700)")
	storeURL := fs.String("store", "sqlite", "where the server keeps its state: sqlite (a database file in --data) or a postgres:// URL (nodes sharing the database are one cluster's state; files stay in --data)")
	filesURL := fs.String("files", "disk", "where uploaded files are kept: disk (--data/files, each node its own) or s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION, an S3-compatible store the nodes of a cluster share (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	busURL := fs.String("bus", "local", "what carries live traffic between nodes: local (one node) or NATS URLs, comma-separated (nats://host:4222,nats://host2:4222): the nodes on one NATS with one store and app key are one cluster")
	appKey := fs.String("app-key", "", "app key clients must present when they connect (required)")
	appSecret := fs.String("app-secret", "", fmt.Sprintf("app secret that signs tokens, HS256, at least %d bytes (required)", minSecretLen))
	origins := fs.String("allowed-origins", "", "comma-separated browser origins (like https://app.example.com) accepted on the WebSocket and HTTP API (default: any; auth is the bearer token)")
	maxSessions := fs.Int("max-sessions", 10, "concurrent sessions per user; connecting beyond it kicks the oldest")
	sendRate := fs.Float64("send-rate", 5, "messages per second per user, over all their sessions (token bucket rate); 0 disables rate limiting")
	sendBurst := fs.Int("send-burst", 10, "messages a user may send in a burst (token bucket size)")
	writeRate := fs.Float64("write-rate", 20, "other writes per second per user (expansion, recall, delete, clear history, read state, receipts, typing; 20607 beyond); 0 disables the limit")
	writeBurst := fs.Int("write-burst", 40, "other writes a user may make in a burst")
	maxContent := fs.Int("max-content-bytes", contract.DefaultContentBytes, fmt.Sprintf("largest message content in bytes, at most %d", contract.MaxContentBytes))
	sendQueue := fs.Int("send-queue-bytes", 8<<20, "bytes queued for one connection and not yet written before it is closed as a slow consumer")
	publicURL := fs.String("public-url", "", "how clients reach this server (https://im.example.com), for the URLs of uploaded files; empty: from each request's Host")
	maxUpload := fs.Int64("max-upload-bytes", 100<<20, "largest file POST /v1/files takes (26106 beyond); a value stored with PUT /v1/settings wins")
	uploadQuota := fs.Int64("upload-quota-bytes", 1<<30, "bytes of uploaded files each user may keep, each file counting 4 KiB more (26106 beyond); 0: no quota; a value stored with PUT /v1/settings wins")
	webhookLease := fs.Duration("webhook-lease", 2*time.Minute, "how long this server holds the webhook events it claimed: a server that dies leaves them this long before another delivers them; longer than a batch of posts takes")
	webPushHTTP := fs.Bool("webpush-allow-http", false, "let browsers subscribe to Web Push with http endpoints (tests and development only: real push services are https)")
	chatroomBatch := fs.Duration("chatroom-batch", 200*time.Millisecond, "in a chat room or ultra group with 1,000 connections or more on this server, messages go out to them at most this often, together (0: at once)")
	recallWindow := fs.Duration("recall-window", 2*time.Minute, "how long after sending a message its sender (or a group owner or admin) may recall it; 0: no limit; at most 100 years")
	fullSync := fs.Bool("full-sync", false, "fsync every commit, so acknowledged messages survive power loss (slower)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")

	pos, err := parseFlags(fs, args, flagNames(fs)...)
	if err != nil {
		return server.Config{}, err
	}
	if len(pos) > 0 {
		return server.Config{}, usagef("unexpected arguments %q", pos)
	}

	switch {
	case *addr == "":
		return server.Config{}, usagef("--addr must not be empty")
	case *data == "":
		return server.Config{}, usagef("--data must not be empty")
	case *storeURL != "sqlite" && !strings.HasPrefix(*storeURL, "postgres://") && !strings.HasPrefix(*storeURL, "postgresql://"):
		return server.Config{}, usagef("--store must be sqlite or a postgres:// URL, got %q", *storeURL)
	case *filesURL != "disk" && !strings.HasPrefix(*filesURL, "s3://"):
		return server.Config{}, usagef("--files must be disk or an s3:// URL, got %q", *filesURL)
	case !validBus(*busURL):
		return server.Config{}, usagef("--bus must be local or nats:// URLs, comma-separated, got %q", *busURL)
	case *appKey == "":
		return server.Config{}, usagef("--app-key (or %s) is required", envName("app-key"))
	}
	if err := checkSecret(*appSecret); err != nil {
		return server.Config{}, err
	}
	for name, v := range map[string]float64{"send-rate": *sendRate, "write-rate": *writeRate} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return server.Config{}, usagef("--%s must be a finite number >= 0 (0 disables the limit), got %v", name, v)
		}
	}
	for name, v := range map[string]int{"max-sessions": *maxSessions, "send-burst": *sendBurst, "write-burst": *writeBurst,
		"max-content-bytes": *maxContent, "send-queue-bytes": *sendQueue} {
		if v <= 0 {
			return server.Config{}, usagef("--%s must be positive, got %d", name, v)
		}
	}
	if *maxContent > contract.MaxContentBytes {
		// A stored message must fit a client's 1 MiB frame.
		return server.Config{}, usagef("--max-content-bytes must be at most %d, got %d", contract.MaxContentBytes, *maxContent)
	}
	for name, v := range map[string]time.Duration{"recall-window": *recallWindow, "chatroom-batch": *chatroomBatch} {
		if v < 0 {
			return server.Config{}, usagef("--%s must not be negative (0 has its meaning: see --help), got %v", name, v)
		}
	}
	if *webhookLease <= 0 {
		return server.Config{}, usagef("--webhook-lease must be positive, got %v", *webhookLease)
	}
	if *publicURL != "" {
		u, err := url.Parse(*publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return server.Config{}, usagef("--public-url must be an http(s) URL like https://im.example.com (a path is kept; no query), got %q", *publicURL)
		}
	}
	allowed, err := parseOrigins(*origins)
	if err != nil {
		return server.Config{}, err
	}
	var level slog.Level
	switch strings.ToLower(*logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return server.Config{}, usagef("--log-level must be debug, info, warn or error, got %q", *logLevel)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(*logFormat) {
	case "text":
		h = slog.NewTextHandler(stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(stderr, hopts)
	default:
		return server.Config{}, usagef("--log-format must be text or json, got %q", *logFormat)
	}

	cfg := server.Config{
		Addr:             *addr,
		DataDir:          *data,
		Store:            *storeURL,
		Bus:              *busURL,
		Files:            *filesURL,
		AppKey:           *appKey,
		AppSecret:        *appSecret,
		AllowedOrigins:   allowed,
		MaxSessions:      *maxSessions,
		SendRate:         *sendRate,
		SendBurst:        *sendBurst,
		WriteRate:        *writeRate,
		WriteBurst:       *writeBurst,
		MaxContentBytes:  *maxContent,
		SendQueueBytes:   *sendQueue,
		FullSync:         *fullSync,
		RecallWindow:     *recallWindow,
		ChatroomBatch:    *chatroomBatch,
		WebhookLease:     *webhookLease,
		WebPushAllowHTTP: *webPushHTTP,
		MaxUploadBytes:   *maxUpload,
		PublicURL:        *publicURL,
		Logger:           slog.New(h),
	}
	if *maxUpload <= 0 {
		return server.Config{}, usagef("--max-upload-bytes must be positive, got %d", *maxUpload)
	}
	switch {
	case *uploadQuota < 0:
		return server.Config{}, usagef("--upload-quota-bytes must not be negative (0: no quota), got %d", *uploadQuota)
	case *uploadQuota == 0:
		cfg.UploadQuotaBytes = -1 // in server.Config a zero means "default" and a negative one "none"
	default:
		cfg.UploadQuotaBytes = *uploadQuota
	}
	// In server.Config a zero rate means "default" and a negative one
	// means "off"; on the command line 0 means off.
	if cfg.SendRate == 0 {
		cfg.SendRate = -1
	}
	if cfg.WriteRate == 0 {
		cfg.WriteRate = -1
	}
	if cfg.ChatroomBatch == 0 {
		cfg.ChatroomBatch = -1 // at once (Config's zero is the default)
	}
	if cfg.RecallWindow == 0 {
		cfg.RecallWindow = -1 // likewise
	}
	return cfg, nil
}

// parseOrigins splits a comma-separated list of browser origins, dropping
// blanks. Each must look like the Origin header a browser sends,
// scheme://host[:port]; it is lower-cased and a trailing slash is dropped,
// so that "https://App.example.com/" still matches.
func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, usagef("--allowed-origins: %q is not an origin like https://app.example.com", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// validBus: local, or NATS URLs.
func validBus(v string) bool {
	if v == "local" {
		return true
	}
	for _, u := range strings.Split(v, ",") {
		u = strings.TrimSpace(u)
		if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") || len(u) <= len("nats://") {
			return false
		}
	}
	return true
}
