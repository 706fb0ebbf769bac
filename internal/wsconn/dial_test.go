package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

var sizes = []int{0, 1, 125, 126, 65535, 65536, 300000}

// dialOK dials url offering imwasm.v1; the connection closes with the test.
func dialOK(t *testing.T, url string) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, DialOptions{Subprotocol: "imwasm.v1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// Our client against our server: every length encoding, masked both ways
// (the server refuses unmasked client frames), a batch in one write.
func TestDialEchoesWithOwnServer(t *testing.T) {
	srv := serve(t, AcceptOptions{Subprotocol: "imwasm.v1", ReadLimit: 1 << 20}, echo)
	c := dialOK(t, wsURL(srv))
	if c.Subprotocol() != "imwasm.v1" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	for _, n := range sizes {
		p := bytes.Repeat([]byte{byte(n)}, n)
		if err := c.WriteBatch([][]byte{p}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			op, got, err := c.ReadMessage()
			if err != nil || op != OpBinary || !bytes.Equal(got, p) {
				t.Fatalf("size %d copy %d: op %d, %d bytes, %v", n, i, op, len(got), err)
			}
		}
		if n > 0 && p[0] != byte(n) {
			t.Fatalf("size %d: masking changed the caller's buffer", n)
		}
	}
	// An http:// URL means ws://.
	if c := dialOK(t, srv.URL); c.Subprotocol() != "imwasm.v1" {
		t.Fatalf("subprotocol over http:// %q", c.Subprotocol())
	}
}

// Our client against an independent server (coder/websocket): echo, and a
// ping from the server answered while reading.
func TestDialEchoesWithLibraryServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"imwasm.v1"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := r.Context()
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return
			}
			if string(p) == "ping me" {
				pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				go func() { // the pong arrives through the reader above
					defer cancel()
					if err := c.Ping(pctx); err == nil {
						c.Write(ctx, websocket.MessageBinary, []byte("pong seen"))
					}
				}()
				continue
			}
			c.Write(ctx, typ, p)
		}
	}))
	defer srv.Close()
	c := dialOK(t, wsURL(srv))
	for _, n := range sizes {
		p := bytes.Repeat([]byte{byte(n + 1)}, n)
		if err := c.WriteMessage(p); err != nil {
			t.Fatal(err)
		}
		if op, got, err := c.ReadMessage(); err != nil || op != OpBinary || !bytes.Equal(got, p) {
			t.Fatalf("size %d: op %d, %d bytes, %v", n, op, len(got), err)
		}
	}
	if err := c.WriteMessage([]byte("ping me")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "pong seen" {
		t.Fatalf("after the server's ping: %q %v", got, err)
	}
}

// rawServer answers the upgrade request with resp and then writes frames.
func rawServer(t *testing.T, resp func(key string) string, frames ...[]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		brw.WriteString(resp(r.Header.Get("Sec-WebSocket-Key")))
		for _, f := range frames {
			brw.Write(f)
		}
		brw.Flush()
		bufio.NewReader(nc).ReadByte() // until the client goes
	}))
	t.Cleanup(srv.Close)
	return srv
}

func upgrade(accept, proto string) string {
	s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n"
	if proto != "" {
		s += "Sec-WebSocket-Protocol: " + proto + "\r\n"
	}
	return s + "\r\n"
}

func TestDialRefuses(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer plain.Close()
	silent := rawServer(t, func(string) string { return "" })
	for _, c := range []struct {
		name, url, want string
		timeout         time.Duration
	}{
		{"not a websocket server", wsURL(plain), "not 101", 0},
		{"wrong accept key", wsURL(rawServer(t, func(string) string { return upgrade("bm9wZQ==", "imwasm.v1") })), "Sec-WebSocket-Accept", 0},
		{"other subprotocol", wsURL(rawServer(t, func(k string) string { return upgrade(acceptKey(k), "other") })), "subprotocol", 0},
		{"no subprotocol", wsURL(rawServer(t, func(k string) string { return upgrade(acceptKey(k), "") })), "subprotocol", 0},
		{"no answer in time", wsURL(silent), "deadline", 300 * time.Millisecond},
		{"scheme", "ftp://127.0.0.1:1/", "scheme", 0},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if c.timeout > 0 {
			ctx, cancel = context.WithTimeout(context.Background(), c.timeout)
		}
		conn, err := Dial(ctx, c.url, DialOptions{Subprotocol: "imwasm.v1"})
		cancel()
		if err == nil {
			conn.CloseNow()
			t.Errorf("%s: dial succeeded", c.name)
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// A client refuses masked frames from a server, and answers a server's
// ping and close.
func TestClientReadsServerFrames(t *testing.T) {
	ok := func(k string) string { return upgrade(acceptKey(k), "imwasm.v1") }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	c, err := Dial(ctx, wsURL(rawServer(t, ok, frame(0x82, []byte("hi"), true))), DialOptions{Subprotocol: "imwasm.v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(); err == nil || !strings.Contains(err.Error(), "must not be masked") {
		t.Errorf("masked server frame: %v", err)
	}
	c.CloseNow()

	c, err = Dial(ctx, wsURL(rawServer(t, ok, frame(0x89, []byte("p"), false), frame(0x82, []byte("data"), false), frame(0x88, []byte{0x03, 0xE8}, false))), DialOptions{Subprotocol: "imwasm.v1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if op, p, err := c.ReadMessage(); err != nil || op != OpBinary || string(p) != "data" {
		t.Fatalf("after a ping: %d %q %v", op, p, err)
	}
	var ce *CloseError
	if _, _, err := c.ReadMessage(); !errors.As(err, &ce) || ce.Code != StatusNormal {
		t.Fatalf("close: %v", err)
	}
}
