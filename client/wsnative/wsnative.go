// Package wsnative is the engine's Transport for Go programs (tests, the
// bench, server-side bots), on github.com/coder/websocket. The wasm build
// uses jsbridge's browser WebSocket instead and never links this package.
package wsnative

import (
	"context"
	"fmt"

	"github.com/coder/websocket"

	"github.com/imwasm/imwasm/client"
)

// Subprotocol is the wire protocol's version.
const Subprotocol = "imwasm.v1"

// Dialer dials with coder/websocket.
type Dialer struct {
	// ReadLimit bounds one incoming frame (default 1 MiB).
	ReadLimit int64
}

var _ client.Dialer = Dialer{}

// Dial implements client.Dialer.
func (d Dialer) Dial(ctx context.Context, url string) (client.Conn, error) {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	if c.Subprotocol() != Subprotocol {
		c.CloseNow()
		return nil, fmt.Errorf("dial %s: server does not speak %s", url, Subprotocol)
	}
	limit := d.ReadLimit
	if limit <= 0 {
		limit = 1 << 20
	}
	c.SetReadLimit(limit)
	return conn{c}, nil
}

type conn struct{ c *websocket.Conn }

func (c conn) Read(ctx context.Context) ([]byte, error) {
	for {
		typ, b, err := c.c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if typ == websocket.MessageBinary {
			return b, nil
		}
	}
}

func (c conn) Write(ctx context.Context, b []byte) error {
	return c.c.Write(ctx, websocket.MessageBinary, b)
}

// Close drops the connection at once: the engine closes only a connection
// it has given up on, and the server treats any close alike.
func (c conn) Close() error {
	return c.c.CloseNow()
}
