package client

import "context"

// Dialer opens connections to the server's WebSocket endpoint with the
// subprotocol "imwasm.v1". The native implementation lives in
// client/wsnative; the browser one in jsbridge.
type Dialer interface {
	Dial(ctx context.Context, url string) (Conn, error)
}

// Conn is one WebSocket connection carrying binary frames.
type Conn interface {
	// Read returns the next binary message.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one binary message; it is not called concurrently.
	Write(ctx context.Context, b []byte) error
	Close() error
}

// Logger is the engine's logging interface, kept small so the wasm build
// needs no log package.
type Logger interface {
	Log(level int, msg string, kv ...any)
}

// Log levels for Logger.
const (
	LevelDebug = iota
	LevelInfo
	LevelWarn
	LevelError
)

type nopLogger struct{}

func (nopLogger) Log(int, string, ...any) {}
