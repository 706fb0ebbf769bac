package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// serve runs handler on every accepted connection of a loopback server.
func serve(t *testing.T, opts AcceptOptions, handler func(*Conn)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opts)
		if err != nil {
			return
		}
		go handler(c)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// echo sends every data message back, as one batch of two copies.
func echo(c *Conn) {
	defer c.CloseNow()
	for {
		_, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteBatch([][]byte{p, p}); err != nil {
			return
		}
	}
}

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// TestEchoWithLibraryClient checks interoperability with an independent
// implementation (coder/websocket) across the three length encodings.
func TestEchoWithLibraryClient(t *testing.T) {
	srv := serve(t, AcceptOptions{Subprotocol: "imwasm.v1", ReadLimit: 1 << 20}, echo)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{Subprotocols: []string{"imwasm.v1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	if c.Subprotocol() != "imwasm.v1" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 300000} {
		p := bytes.Repeat([]byte{byte(n)}, n)
		if err := c.Write(ctx, websocket.MessageBinary, p); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			typ, got, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("size %d: %v", n, err)
			}
			if typ != websocket.MessageBinary || !bytes.Equal(got, p) {
				t.Fatalf("size %d copy %d: got %d bytes of type %v", n, i, len(got), typ)
			}
		}
	}
	// Pings from the library are answered by ReadMessage (the library
	// needs a reader of its own to see the pong).
	ctx = c.CloseRead(ctx)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestAcceptRefuses(t *testing.T) {
	srv := serve(t, AcceptOptions{Subprotocol: "imwasm.v1", CheckOrigin: func(o string) bool { return o == "https://ok.example" }}, echo)
	good := func(h http.Header) {
		h.Set("Connection", "keep-alive, Upgrade")
		h.Set("Upgrade", "websocket")
		h.Set("Sec-WebSocket-Version", "13")
		h.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		h.Set("Sec-WebSocket-Protocol", "other, imwasm.v1")
	}
	tests := []struct {
		name   string
		method string
		edit   func(http.Header)
		want   int
	}{
		{"accepted", "GET", func(http.Header) {}, http.StatusSwitchingProtocols},
		{"allowed origin", "GET", func(h http.Header) { h.Set("Origin", "https://ok.example") }, http.StatusSwitchingProtocols},
		{"POST", "POST", func(http.Header) {}, http.StatusMethodNotAllowed},
		{"no upgrade", "GET", func(h http.Header) { h.Del("Upgrade") }, http.StatusUpgradeRequired},
		{"old version", "GET", func(h http.Header) { h.Set("Sec-WebSocket-Version", "8") }, http.StatusBadRequest},
		{"short key", "GET", func(h http.Header) { h.Set("Sec-WebSocket-Key", "c2hvcnQ=") }, http.StatusBadRequest},
		{"origin refused", "GET", func(h http.Header) { h.Set("Origin", "https://evil.example") }, http.StatusForbidden},
		{"no subprotocol", "GET", func(h http.Header) { h.Del("Sec-WebSocket-Protocol") }, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL, nil)
			good(req.Header)
			tt.edit(req.Header)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusSwitchingProtocols {
				if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" { // RFC 6455 §1.3's example
					t.Fatalf("Sec-WebSocket-Accept %q", got)
				}
				if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "imwasm.v1" {
					t.Fatalf("Sec-WebSocket-Protocol %q", got)
				}
			}
		})
	}
}

// rawClient speaks the protocol byte by byte, to send what a library would
// refuse to.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// dialRaw upgrades; extra is written right behind the request, before the
// 101 arrives.
func dialRaw(t *testing.T, srv *httptest.Server, extra []byte) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := nc.Write(append([]byte(req), extra...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &rawClient{t: t, nc: nc, br: br}
}

// frame encodes one client frame; masked unless told otherwise.
func frame(b0 byte, payload []byte, masked bool) []byte {
	f := []byte{b0}
	var mbit byte
	if masked {
		mbit = 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		f = append(f, mbit|byte(n))
	case n <= 0xFFFF:
		f = binary.BigEndian.AppendUint16(append(f, mbit|126), uint16(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, mbit|127), uint64(n))
	}
	if !masked {
		return append(f, payload...)
	}
	key := []byte{0x12, 0x34, 0x56, 0x78}
	f = append(f, key...)
	for i, b := range payload {
		f = append(f, b^key[i&3])
	}
	return f
}

func (c *rawClient) write(frames ...[]byte) {
	for _, f := range frames {
		if _, err := c.nc.Write(f); err != nil {
			c.t.Fatal(err)
		}
	}
}

// read returns the next server frame's first byte and payload.
func (c *rawClient) read() (byte, []byte) {
	c.t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	if h[1]&0x80 != 0 {
		c.t.Fatal("server frame is masked")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		io.ReadFull(c.br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		io.ReadFull(c.br, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.br, p); err != nil {
		c.t.Fatalf("read payload: %v", err)
	}
	return h[0], p
}

// expectClose reads until a close frame and checks its status.
func (c *rawClient) expectClose(code int) {
	c.t.Helper()
	for {
		b0, p := c.read()
		if b0&0x0F != opClose {
			continue
		}
		if len(p) < 2 || int(binary.BigEndian.Uint16(p)) != code {
			c.t.Fatalf("close frame %x, want status %d", p, code)
		}
		return
	}
}

func TestFramesFromRawClient(t *testing.T) {
	type result struct {
		op  int
		p   []byte
		err error
	}
	results := make(chan result, 16)
	srv := serve(t, AcceptOptions{ReadLimit: 1000}, func(c *Conn) {
		defer c.CloseNow()
		for {
			op, p, err := c.ReadMessage()
			results <- result{op, p, err}
			if err != nil {
				return
			}
		}
	})
	next := func() result {
		select {
		case r := <-results:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no result from the server")
			return result{}
		}
	}

	t.Run("fragments with a ping between them", func(t *testing.T) {
		c := dialRaw(t, srv, nil)
		c.write(frame(OpBinary, []byte("hel"), true), frame(0x80|opPing, []byte("p1"), true), frame(0x80|opContinuation, []byte("lo"), true))
		if b0, p := c.read(); b0 != 0x80|opPong || string(p) != "p1" {
			t.Fatalf("pong: %x %q", b0, p)
		}
		if r := next(); r.err != nil || r.op != OpBinary || string(r.p) != "hello" {
			t.Fatalf("got %+v", r)
		}
		c.write(frame(0x88, binary.BigEndian.AppendUint16(nil, 4010), true))
		r := next()
		var ce *CloseError
		if !errors.As(r.err, &ce) || ce.Code != 4010 {
			t.Fatalf("peer close: %v", r.err)
		}
		c.expectClose(4010)
	})
	t.Run("early data before the 101", func(t *testing.T) {
		dialRaw(t, srv, frame(0x80|OpBinary, []byte("early"), true))
		if r := next(); r.err != nil || string(r.p) != "early" {
			t.Fatalf("got %+v", r)
		}
	})
	for _, tt := range []struct {
		name   string
		frames [][]byte
		status int
	}{
		{"unmasked", [][]byte{frame(0x80|OpBinary, []byte("x"), false)}, StatusProtocolError},
		{"reserved bits", [][]byte{frame(0xC0|OpBinary, []byte("x"), true)}, StatusProtocolError},
		{"over the limit", [][]byte{frame(0x80|OpBinary, make([]byte, 1001), true)}, StatusTooBig},
		{"fragments over the limit", [][]byte{frame(OpBinary, make([]byte, 600), true), frame(0x80, make([]byte, 600), true)}, StatusTooBig},
		{"continuation first", [][]byte{frame(0x80, []byte("x"), true)}, StatusProtocolError},
		{"message inside a message", [][]byte{frame(OpBinary, []byte("x"), true), frame(0x80|OpBinary, []byte("y"), true)}, StatusProtocolError},
		{"long ping", [][]byte{frame(0x80|opPing, make([]byte, 126), true)}, StatusProtocolError},
		{"unknown opcode", [][]byte{frame(0x80|0x3, []byte("x"), true)}, StatusProtocolError},
		{"text not UTF-8", [][]byte{frame(0x80|OpText, []byte{0xff, 0xfe}, true)}, StatusInvalidPayload},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, srv, nil)
			c.write(tt.frames...)
			if r := next(); r.err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			c.expectClose(tt.status)
			// EOF, or a reset when unread bytes were left behind.
			if _, err := c.br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("connection not closed: %v", err)
			}
		})
	}
}

// waitBlockedWrite waits until a goroutine is blocked on a socket inside
// WriteBatch (the peer's buffers are full), as its stack says.
func waitBlockedWrite(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "[IO wait") && strings.Contains(g, "wsconn.(*Conn).WriteBatch") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write blocked:\n%s", buf[:n])
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// TestCloseEndsBlockedWrite: Close returns although a write is blocked on
// a peer that reads nothing.
func TestCloseEndsBlockedWrite(t *testing.T) {
	blocked := make(chan *Conn, 1)
	writeErr := make(chan error, 1)
	srv := serve(t, AcceptOptions{}, func(c *Conn) {
		blocked <- c
		big := make([]byte, 1<<20)
		for {
			if err := c.WriteMessage(big); err != nil {
				writeErr <- err
				return
			}
		}
	})
	dialRaw(t, srv, nil) // never reads
	c := <-blocked
	waitBlockedWrite(t)
	done := make(chan struct{})
	go func() { c.Close(StatusGoingAway, "bye"); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked behind a stuck write")
	}
	select {
	case err := <-writeErr:
		if err == nil {
			t.Fatal("write succeeded after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked write not ended")
	}
}
