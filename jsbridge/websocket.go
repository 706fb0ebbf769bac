//go:build js && wasm

// Package jsbridge is everything of the SDK that touches JavaScript, through
// github.com/hack-pad/safejs so that a JS exception becomes a Go error, never
// a panic that kills the runtime: the JS API and the browser WebSocket here,
// the IndexedDB store in jsbridge/idbstore, the recover every function
// handed to JavaScript goes through in jsbridge/jsfunc. This file: the
// browser WebSocket as the engine's Dialer.
package jsbridge

import (
	"context"
	"errors"
	"sync"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsfunc"
	"github.com/imwasm/imwasm/proto/contract"
)

// Dialer opens connections with a JS WebSocket constructor: the browser's,
// or the one given to init (Node 20 has none of its own).
type Dialer struct {
	WebSocket safejs.Value
	Logger    client.Logger // for a callback's panic (nil: the console)
}

var _ client.Dialer = Dialer{}

type wsConn struct {
	ws     safejs.Value
	log    client.Logger
	funcs  []safejs.Func
	events []string // the handlers set, by name (onopen...)
	in     chan []byte
	mu     sync.Mutex
	err    error
	done   chan struct{}
	once   sync.Once
}

// Dial implements client.Dialer.
func (d Dialer) Dial(ctx context.Context, url string) (client.Conn, error) {
	ws, err := d.WebSocket.New(url, contract.Subprotocol)
	if err != nil {
		return nil, err
	}
	if err := ws.Set("binaryType", "arraybuffer"); err != nil {
		return nil, err
	}
	c := &wsConn{ws: ws, log: d.Logger, in: make(chan []byte, 256), done: make(chan struct{})}
	opened := make(chan struct{})
	var openOnce sync.Once
	on := c.on
	err = errors.Join(
		on("onopen", func([]safejs.Value) { openOnce.Do(func() { close(opened) }) }),
		on("onclose", func([]safejs.Value) { c.fail(errors.New("websocket closed")) }),
		on("onerror", func([]safejs.Value) { c.fail(errors.New("websocket error")) }),
		on("onmessage", func(args []safejs.Value) {
			if len(args) == 0 {
				return
			}
			data, err := args[0].Get("data")
			if err != nil {
				return
			}
			u8, err := safejs.Global().Get("Uint8Array")
			if err != nil {
				return
			}
			arr, err := u8.New(data)
			if err != nil {
				return
			}
			n, err := arr.Length()
			if err != nil {
				return
			}
			b := make([]byte, n)
			if _, err := safejs.CopyBytesToGo(b, arr); err != nil {
				return
			}
			select {
			case c.in <- b:
			case <-c.done:
			}
		}),
	)
	if err != nil {
		c.Close()
		return nil, err
	}
	select {
	case <-opened:
		return c, nil
	case <-c.done:
		return nil, c.err
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

// on sets the socket's handler for event (onopen, onmessage...). A panic in
// fn ends the connection with an error (the engine reconnects).
func (c *wsConn) on(event string, fn func(args []safejs.Value)) error {
	f, err := jsfunc.FuncOf(c.log, "websocket "+event, func(args []safejs.Value) any {
		fn(args)
		return nil
	}, func(err error) any {
		c.fail(err)
		return nil
	})
	if err != nil {
		return err
	}
	c.funcs, c.events = append(c.funcs, f), append(c.events, event)
	return c.ws.Set(event, f.Value())
}

func (c *wsConn) fail(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *wsConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.in:
		return b, nil
	case <-c.done:
		return nil, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *wsConn) Write(_ context.Context, b []byte) error {
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return err
	}
	arr, err := u8.New(len(b))
	if err != nil {
		return err
	}
	if _, err := safejs.CopyBytesToJS(arr, b); err != nil {
		return err
	}
	_, err = c.ws.Call("send", arr)
	return err
}

func (c *wsConn) Close() error {
	c.fail(errors.New("closed"))
	_, err := c.ws.Call("close")
	// The close event comes later: no handler of ours is left to call, but
	// a handler stays (Node's ws emits an 'error' for a socket closed before
	// it opened, and with no listener its process ends).
	noop, nerr := safejs.Global().Get("Function")
	if nerr == nil {
		noop, nerr = noop.New()
	}
	for _, ev := range c.events {
		if nerr == nil {
			c.ws.Set(ev, noop)
		} else {
			c.ws.Set(ev, safejs.Null())
		}
	}
	for _, f := range c.funcs {
		f.Release()
	}
	c.funcs, c.events = nil, nil
	return err
}
