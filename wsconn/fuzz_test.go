package wsconn

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
)

// FuzzReadMessage feeds arbitrary bytes to the frame reader as if a client
// had sent them: it must never panic, never return more than the limit,
// and every message it returns must be a data message.
func FuzzReadMessage(f *testing.F) {
	f.Add(frame(0x80|OpBinary, []byte("hello"), true))
	f.Add(append(frame(OpBinary, []byte("hel"), true), frame(0x80, []byte("lo"), true)...))
	f.Add(frame(0x80|opPing, []byte("p"), true))
	f.Add(frame(0x80|OpBinary, make([]byte, 300), true))
	f.Add([]byte{0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		server, peer := net.Pipe()
		defer peer.Close()
		go io.Copy(io.Discard, peer) // pongs and close frames
		c := &Conn{nc: server, br: bufio.NewReaderSize(bytes.NewReader(data), 512), limit: 4096}
		defer c.CloseNow()
		for {
			op, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if op != OpBinary && op != OpText || len(p) > 4096 {
				t.Fatalf("op %d, %d bytes", op, len(p))
			}
		}
	})
}
