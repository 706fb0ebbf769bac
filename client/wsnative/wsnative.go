// Package wsnative is the engine's Transport for Go programs (tests, the
// bench, server-side bots), on the repository's own RFC 6455 client
// (package wsconn). The wasm build uses jsbridge's browser WebSocket
// instead and never links this package.
package wsnative

import (
	"context"
	"crypto/tls"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/internal/wsconn"
	"github.com/imwasm/imwasm/proto/contract"
)

// Subprotocol is the wire protocol's version.
const Subprotocol = contract.Subprotocol

// Dialer dials ws:// and wss:// URLs (http:// and https:// too), directly:
// unlike the coder/websocket dialer it replaced, it does not go through an
// HTTP proxy from the environment.
type Dialer struct {
	// ReadLimit bounds one incoming frame (default 1 MiB).
	ReadLimit int64
	// TLSConfig is used for wss:// URLs (nil: the system's roots).
	TLSConfig *tls.Config
}

var _ client.Dialer = Dialer{}

// Dial implements client.Dialer.
func (d Dialer) Dial(ctx context.Context, url string) (client.Conn, error) {
	limit := d.ReadLimit
	if limit <= 0 || limit > 1<<30 {
		limit = 1 << 20
	}
	c, err := wsconn.Dial(ctx, url, wsconn.DialOptions{Subprotocol: Subprotocol, ReadLimit: int(limit), TLSConfig: d.TLSConfig})
	if err != nil {
		return nil, err
	}
	return conn{c}, nil
}

type conn struct{ c *wsconn.Conn }

// Read returns the next binary message; text messages are skipped. A
// context that ends closes the connection (the engine gives a connection
// up when its read or write times out).
func (c conn) Read(ctx context.Context) ([]byte, error) {
	defer c.closeWith(ctx)()
	for {
		op, b, err := c.c.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if op == wsconn.OpBinary {
			return b, nil
		}
	}
}

func (c conn) Write(ctx context.Context, b []byte) error {
	defer c.closeWith(ctx)()
	if err := c.c.WriteMessage(b); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// closeWith closes the connection when ctx ends before the returned stop
// is called; for the live connection's context.Background() it costs
// nothing.
func (c conn) closeWith(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() { c.c.CloseNow() })
}

// Close drops the connection at once: the engine closes only a connection
// it has given up on, and the server treats any close alike.
func (c conn) Close() error {
	return c.c.CloseNow()
}
