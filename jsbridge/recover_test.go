//go:build js && wasm

package jsbridge

import (
	"context"
	"strings"
	"testing"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsfunc"
	"github.com/imwasm/imwasm/proto/codes"
)

// bytesJS copies b into a new Uint8Array.
func bytesJS(b []byte) (safejs.Value, error) {
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return safejs.Undefined(), err
	}
	arr, err := u8.New(len(b))
	if err != nil {
		return safejs.Undefined(), err
	}
	_, err = safejs.CopyBytesToJS(arr, b)
	return arr, err
}

// jsEval evaluates a JavaScript expression.
func jsEval(t *testing.T, expr string) safejs.Value {
	t.Helper()
	ctor, err := safejs.Global().Get("Function")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ctor.New("return (" + expr + ");")
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Invoke()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fakeWebSocket is a WebSocket class: each socket opens at once, hands
// what is sent to FakeWebSocket.answer (when set) and delivers its answer,
// and records that it was closed.
const fakeWebSocket = `class FakeWebSocket {
	static made = [];
	static answer = null;
	constructor(url) {
		this.url = url;
		this.closed = false;
		FakeWebSocket.made.push(this);
		setTimeout(() => this.onopen && this.onopen({}), 0);
	}
	send(data) {
		const r = FakeWebSocket.answer && FakeWebSocket.answer(data);
		if (r) this.receive(r);
	}
	receive(bytes) {
		setTimeout(() => this.onmessage && this.onmessage({ data: bytes.buffer }), 0);
	}
	close() {
		if (this.closed) return;
		this.closed = true;
		setTimeout(() => this.onclose && this.onclose({}), 0);
	}
}`

// A panic in any Go code JavaScript calls answers that call with an error
// (-1, "internal error") and leaves the runtime running: without the
// recover, the wasm program ends there and the test binary with it.
// (An IndexedDB callback's: jsbridge/idbstore's TestPanicInCallbackFailsTheTransaction.)
func TestPanicsInCallbacksBecomeErrors(t *testing.T) {
	b := &Bridge{log: &jsfunc.Console{}}
	b.log.SetLevel("none")
	ctx := context.Background()
	internal := func(t *testing.T, err error) {
		t.Helper()
		if codes.Of(err) != codes.Timeout || err == nil || !strings.Contains(err.Error(), "internal error") {
			t.Fatalf("got %v, want the internal error", err)
		}
	}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"a synchronous API function", func(t *testing.T) {
			obj := jsEval(t, "{}")
			if err := b.export(obj, "boom", func([]safejs.Value) any { panic("boom") }); err != nil {
				t.Fatal(err)
			}
			r, err := obj.Call("boom")
			if err != nil {
				t.Fatal(err)
			}
			c, _ := r.Get("code")
			if n, _ := c.Int(); n != codes.Timeout {
				t.Fatalf("code %d", n)
			}
		}},
		{"an asynchronous API function", func(t *testing.T) {
			obj := jsEval(t, "{}")
			work := func([]safejs.Value) (func() (any, error), error) {
				return func() (any, error) { panic("boom") }, nil
			}
			if err := b.export(obj, "boom", func(args []safejs.Value) any { return b.promise("boom", args, work) }); err != nil {
				t.Fatal(err)
			}
			p, err := obj.Call("boom")
			if err != nil {
				t.Fatal(err)
			}
			if code := awaitResult(t, safejs.Unsafe(p)); code != codes.Timeout {
				t.Fatalf("code %d", code)
			}
		}},
		{"event dispatch", func(t *testing.T) {
			batches := make(chan int, 2)
			emit, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
				n, _ := args[0].Length()
				batches <- n
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer emit.Release()
			b.mu.Lock()
			b.emit = emit.Value()
			b.mu.Unlock()
			b.dispatch([]client.Event{{Kind: client.EventExpansion}}) // no Expansion: eventJS panics
			b.dispatch([]client.Event{{Kind: client.EventSyncFinished}})
			if n := <-batches; n != 1 {
				t.Fatalf("the batch after the panic had %d events", n)
			}
		}},
		{"a WebSocket callback", func(t *testing.T) {
			ws := jsEval(t, fakeWebSocket)
			conn, err := Dialer{WebSocket: ws, Logger: b.log}.Dial(ctx, "ws://fake/v1/ws")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			c := conn.(*wsConn)
			if err := c.on("onmessage", func([]safejs.Value) { panic("boom") }); err != nil {
				t.Fatal(err)
			}
			arr, _ := bytesJS([]byte{1})
			if _, err := c.ws.Call("receive", arr); err != nil {
				t.Fatal(err)
			}
			_, err = conn.Read(ctx) // the connection ends with the panic's error
			internal(t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t)
			// The runtime lives on: a later call answers.
			ok := b.promise("fine", nil, func([]safejs.Value) (func() (any, error), error) {
				return func() (any, error) { return "x", nil }, nil
			})
			if code := awaitResult(t, ok); code != 0 {
				t.Fatalf("a call after the panic: code %d", code)
			}
		})
	}
}
