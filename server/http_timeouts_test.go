package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server"
)

// Connections that hold the server without doing anything are dropped: a
// kept-alive connection that sends no next request, and a download whose
// client stops reading.

// smallWindowClient is an HTTP client whose connections take at most
// 64 KiB into the kernel before the reader reads (a fixed receive buffer
// does not grow), so the server's writes block as soon as its own socket
// buffer is full.
func smallWindowClient(t *testing.T) *http.Client {
	tr := &http.Transport{DisableCompression: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := c.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestIdleKeepAliveClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.IdleTimeout = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Close {
		t.Fatalf("healthz: %d, close %v (want a kept-alive connection)", res.StatusCode, res.Close)
	}
	// The client sends nothing more: the server closes the connection.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("an idle kept-alive connection: read %v, want it closed by the server", err)
	}
}

func TestStalledDownloadDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a 16 MiB download: runs without -short")
	}
	t.Parallel()
	const size = 16 << 20 // well past what the two sockets' buffers hold
	lg := newLogs()
	e := newEnv(t, func(c *server.Config) { c.Logger = lg.logger(); c.DownloadIdle = 200 * time.Millisecond })
	status, f, _ := e.upload(t, token(t, "alice", time.Hour), "big.bin", "application/octet-stream", "", &zeros{size}, size)
	if status != 200 {
		t.Fatalf("upload: %d", status)
	}
	res, err := smallWindowClient(t).Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	// The client reads nothing: the server gives up once a piece has
	// waited DownloadIdle.
	lg.wait(t, "of the abandoned download", func(r logRec) bool { return r.msg == "download abandoned" && r.attrs["id"] == f.ID })
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil || n >= size {
		t.Fatalf("a dropped download: read %d of %d bytes, %v; want it cut short", n, size, err)
	}
}

func TestSteadyDownloadKept(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a 32 MiB download: runs without -short")
	}
	t.Parallel()
	const (
		size = 32 << 20
		idle = time.Second // room for a busy machine's stalls between reads
	)
	e := newEnv(t, func(c *server.Config) { c.DownloadIdle = idle })
	status, f, _ := e.upload(t, token(t, "alice", time.Hour), "big.bin", "application/octet-stream", "", &zeros{size}, size)
	if status != 200 {
		t.Fatalf("upload: %d", status)
	}
	res, err := smallWindowClient(t).Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	// 256 KiB every 25 ms, about 10 MB/s: each piece waits far less than
	// the deadline, the whole download far longer.
	start := time.Now()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		<-tick.C
		m, err := io.ReadFull(res.Body, buf)
		n += int64(m)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes in %v: %v", n, time.Since(start), err)
		}
	}
	if n != size {
		t.Fatalf("a steady reader got %d of %d bytes", n, size)
	}
	if took := time.Since(start); took < 2*idle {
		t.Fatalf("the download took %v, too little to show the deadline moves (idle %v)", took, idle)
	}
}
