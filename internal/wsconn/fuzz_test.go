package wsconn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
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

// FuzzClose feeds a close frame with an arbitrary body, behind arbitrary
// bytes, to either side's Conn, and has the application close with an
// arbitrary code and reason: whatever the Conn writes back holds at most
// one close frame, and it is empty or a code valid on the wire (never
// 1005, 1006, 1015) with a UTF-8 reason of at most 123 bytes. A close
// frame alone is answered once, and ReadMessage reports what it carried.
func FuzzClose(f *testing.F) {
	f.Add([]byte{}, []byte{}, false, 1000, "")
	f.Add([]byte{}, []byte{0x03}, true, 1005, "bye")
	f.Add([]byte{}, []byte{0x03, 0xE8, 'o', 'k'}, false, 4001, "é")
	f.Add([]byte{}, []byte{0x03, 0xE8, 0xFF}, true, 1006, strings.Repeat("é", 100))
	f.Add([]byte{}, []byte{0x13, 0x88}, false, 5000, "")
	f.Add(frame(0x80|opPing, []byte("p"), true), []byte{0x03, 0xED}, false, 1015, "a\xffb")
	f.Fuzz(func(t *testing.T, prefix, body []byte, client bool, code int, reason string) {
		body = body[:min(len(body), 125)]
		var err error
		out := wire(append(bytes.Clone(prefix), frame(0x80|opClose, body, !client)...), client, func(c *Conn) {
			for err == nil {
				_, _, err = c.ReadMessage()
			}
		})
		fs, perr := parseFrames(out, client)
		if perr != nil {
			t.Fatalf("wrote %x: %v", out, perr)
		}
		closes := 0
		for _, fr := range fs {
			if fr.b0&0x0F != opClose {
				continue
			}
			closes++
			if cerr := checkCloseBody(fr.payload); cerr != nil {
				t.Fatalf("answered %x: %v", fr.payload, cerr)
			}
		}
		if closes > 1 {
			t.Fatalf("%d close frames", closes)
		}
		if len(prefix) == 0 {
			var ce *CloseError
			switch {
			case closes != 1:
				t.Fatalf("a close frame answered with %d", closes)
			case len(body) == 0 && (!errors.As(err, &ce) || ce.Code != StatusNoStatus):
				t.Fatalf("no status reported as %v", err)
			case len(body) >= 2 && (!errors.As(err, &ce) || ce.Code != int(binary.BigEndian.Uint16(body)) || ce.Reason != string(body[2:])):
				t.Fatalf("close %x reported as %v", body, err)
			}
		}

		out = wire(nil, client, func(c *Conn) { c.Close(code, reason) })
		body, perr = closeBody(out, client)
		if perr != nil {
			t.Fatalf("Close(%d, %q) wrote %x: %v", code, reason, out, perr)
		}
		if cerr := checkCloseBody(body); cerr != nil {
			t.Fatalf("Close(%d, %q) sent %x: %v", code, reason, body, cerr)
		}
	})
}
