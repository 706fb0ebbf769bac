package wsconn

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DialOptions configure Dial.
type DialOptions struct {
	// Subprotocol, when set, is offered and must be what the server picks.
	Subprotocol string
	// ReadLimit bounds one message, fragments included (default 1 MiB).
	ReadLimit int
	// TLSConfig is used for wss:// URLs (nil: the system's roots, the
	// URL's host as server name).
	TLSConfig *tls.Config
	// Header holds extra request headers (Origin, for example).
	Header http.Header
}

// Dial opens a client connection to a ws:// or wss:// URL (http:// and
// https:// mean the same). It connects directly: HTTP proxies
// (HTTPS_PROXY) are not used. ctx bounds the TCP, TLS and WebSocket
// handshakes, not the connection after them.
func Dial(ctx context.Context, rawURL string, opts DialOptions) (*Conn, error) {
	c, err := dial(ctx, rawURL, opts)
	if err != nil {
		return nil, fmt.Errorf("websocket dial %s: %w", rawURL, err)
	}
	return c, nil
}

func dial(ctx context.Context, rawURL string, opts DialOptions) (*Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	port := "80"
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "ws"
	case "wss", "https":
		u.Scheme, port = "wss", "443"
	default:
		return nil, errors.New("the URL's scheme must be ws, wss, http or https")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, err
	}
	// The handshake ends with ctx: its deadline applies, and cancelling
	// it fails the reads and writes under way.
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := handshake(ctx, nc, u, opts)
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return nil, context.DeadlineExceeded // the socket's deadline came first
		}
		return nil, err
	}
	if !stop() {
		c.CloseNow() // ctx ended just as the handshake did
		return nil, ctx.Err()
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

func handshake(ctx context.Context, nc net.Conn, u *url.URL, opts DialOptions) (*Conn, error) {
	if u.Scheme == "wss" {
		cfg := opts.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		nc = tc
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var req strings.Builder
	req.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n")
	if opts.Subprotocol != "" {
		req.WriteString("Sec-WebSocket-Protocol: " + opts.Subprotocol + "\r\n")
	}
	for k, vs := range opts.Header {
		for _, v := range vs {
			req.WriteString(k + ": " + v + "\r\n")
		}
	}
	req.WriteString("\r\n")
	if _, err := nc.Write([]byte(req.String())); err != nil {
		return nil, err
	}
	// The reader is the connection's from here on: it keeps whatever the
	// server sent after its response. A client has few connections: it
	// reads up to 4 KB at a time (the server keeps 256 bytes per idle
	// connection), so a burst of pushes takes few system calls.
	br := bufio.NewReaderSize(nc, 4<<10)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, fmt.Errorf("read the upgrade response: %w", err)
	}
	resp.Body.Close() // a 101 has none
	switch {
	case resp.StatusCode != http.StatusSwitchingProtocols:
		return nil, fmt.Errorf("the server answered %s, not 101", resp.Status)
	case !headerHasToken(resp.Header, "Upgrade", "websocket") || !headerHasToken(resp.Header, "Connection", "upgrade"):
		return nil, errors.New("the server's 101 is not a websocket upgrade")
	case resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key):
		return nil, errors.New("wrong Sec-WebSocket-Accept")
	case resp.Header.Get("Sec-WebSocket-Extensions") != "":
		return nil, errors.New("the server chose an extension that was not offered")
	}
	proto := resp.Header.Get("Sec-WebSocket-Protocol")
	if proto != opts.Subprotocol {
		return nil, fmt.Errorf("the server speaks subprotocol %q, not %q", proto, opts.Subprotocol)
	}
	limit := opts.ReadLimit
	if limit <= 0 {
		limit = 1 << 20
	}
	return &Conn{nc: nc, br: br, limit: limit, subprotocol: proto, client: true}, nil
}
