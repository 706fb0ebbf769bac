package server_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/internal/s3test"
	"github.com/imwasm/imwasm/server"
)

// cutProxy forwards TCP to target until down() refuses every connection.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(p.down)
	return p
}

func (p *cutProxy) down() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
}

// docs/deploy.md, "When a part fails": S3 down → "uploads and downloads
// fail (500)". An upload whose FileStore.Create fails for the store's sake
// is the server's failure, not the client's (400 is for a body cut short).
func TestUploadWithS3DownAnswers500(t *testing.T) {
	s3 := s3test.Start(t)
	p := startCutProxy(t, strings.TrimPrefix(s3.Endpoint(), "http://"))
	url := "s3://" + s3test.AccessKey + ":" + s3test.SecretKey + "@s3down?endpoint=http://" + p.ln.Addr().String() + "&region=us-east-1&lookup=path"
	e := newEnv(t, func(c *server.Config) { c.Files = url })
	alice := token(t, "alice", time.Hour)
	body := []byte("hello, world")
	status, f, _ := e.upload(t, alice, "a.txt", "text/plain", "", bytes.NewReader(body), int64(len(body)))
	if status != 200 {
		t.Fatalf("upload with S3 up: %d", status)
	}
	p.down()
	res, _ := get(t, f.URL)
	t.Logf("download with S3 down: %d", res.StatusCode)
	status, _, m := e.upload(t, alice, "b.txt", "text/plain", "", bytes.NewReader(body), int64(len(body)))
	if status != 500 {
		t.Fatalf("upload with S3 down answered %d %v; docs/deploy.md says 500 (download answered %d)", status, m, res.StatusCode)
	}
}
