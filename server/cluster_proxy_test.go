package server_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/imwasm/imwasm/server"
)

// busProxy stands between one node and NATS: cut closes that node's
// connections and refuses new ones (a network partition of that node
// alone), heal lets it reconnect.
type busProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func startBusProxy(t *testing.T, target string) *busProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &busProxy{ln: ln, target: strings.TrimPrefix(target, "nats://")}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close(); c.Close() }()
			go func() { io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
	return p
}

func (p *busProxy) url() string { return "nats://" + p.ln.Addr().String() }

func (p *busProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *busProxy) heal() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// cutOffCluster starts a cluster of n nodes whose last node reaches
// NATS through a proxy (the others directly).
func cutOffCluster(t *testing.T, n int, mod func(*server.Config)) (*testCluster, *busProxy) {
	t.Helper()
	var p *busProxy
	i := 0
	c := startCluster(t, n, func(cfg *server.Config) {
		i++
		if i == n {
			p = startBusProxy(t, cfg.Bus)
			cfg.Bus = p.url()
		}
		if mod != nil {
			mod(cfg)
		}
	})
	return c, p
}
