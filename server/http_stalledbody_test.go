package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server"
)

// A client without a token sends a request that announces a body and then
// sends nothing. The handler refuses it at once (401), and net/http reads
// an unread body (under 256 KiB) before it writes the answer: the body's
// reads have a deadline (UploadIdle, as every other hold is bounded), so
// the connection is answered or let go.
func TestStalledBodyHoldsNoConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) {
		c.IdleTimeout = 200 * time.Millisecond
		c.UploadIdle = 200 * time.Millisecond
		c.AuthTimeout = 200 * time.Millisecond
	})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// No Authorization: the admin route refuses before reading the body.
	fmt.Fprint(conn, "POST /v1/groups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	// Well past every timeout the server configures (ReadHeaderTimeout is
	// the longest, 10s).
	conn.SetReadDeadline(time.Now().Add(13 * time.Second))
	start := time.Now()
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err == nil {
		res.Body.Close()
		t.Logf("answered %d after %v", res.StatusCode, time.Since(start))
		return
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("an unauthenticated request whose body never comes still holds its connection (and a server goroutine) after %v: no answer, no close", time.Since(start))
	}
	t.Logf("closed after %v: %v", time.Since(start), err)
}
