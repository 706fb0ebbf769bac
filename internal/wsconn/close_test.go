package wsconn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"unicode/utf8"
)

// wire runs f on a Conn whose peer sent in, and returns every byte the
// Conn wrote until its connection closed. client: the Conn is the dialing
// side (it masks its frames; the peer's are not masked).
func wire(in []byte, client bool, f func(*Conn)) []byte {
	local, peer := net.Pipe()
	c := &Conn{nc: local, br: bufio.NewReaderSize(bytes.NewReader(in), 256), limit: 4096, client: client}
	out := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(peer) // until the Conn closes its end
		out <- b
	}()
	f(c)
	c.CloseNow()
	return <-out
}

type wireFrame struct {
	b0      byte
	payload []byte
}

// parseFrames splits what a Conn wrote into frames, unmasking a client's.
func parseFrames(b []byte, client bool) ([]wireFrame, error) {
	var fs []wireFrame
	for len(b) > 0 {
		if len(b) < 2 {
			return fs, errors.New("a partial header")
		}
		if masked := b[1]&0x80 != 0; masked != client {
			return fs, fmt.Errorf("mask bit %v from a client=%v Conn", masked, client)
		}
		n, h := uint64(b[1]&0x7F), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return fs, errors.New("a partial header")
			}
			n, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return fs, errors.New("a partial header")
			}
			n, h = binary.BigEndian.Uint64(b[2:]), 10
		}
		var mask [4]byte
		if client {
			if len(b) < h+4 {
				return fs, errors.New("a partial mask key")
			}
			copy(mask[:], b[h:])
			h += 4
		}
		if uint64(len(b)-h) < n {
			return fs, errors.New("a partial payload")
		}
		p := bytes.Clone(b[h : h+int(n)])
		for i := range p {
			p[i] ^= mask[i&3]
		}
		fs = append(fs, wireFrame{b[0], p})
		b = b[h+int(n):]
	}
	return fs, nil
}

// closeBody is the body of the one close frame in what a Conn wrote (and
// the last frame); ok is false if there is none or more than one.
func closeBody(out []byte, client bool) (body []byte, err error) {
	fs, err := parseFrames(out, client)
	if err != nil {
		return nil, err
	}
	closes := 0
	for _, f := range fs {
		if f.b0&0x0F == opClose {
			closes++
			body = f.payload
		}
	}
	if closes != 1 || fs[len(fs)-1].b0 != 0x80|opClose {
		return nil, fmt.Errorf("%d close frames in %d frames", closes, len(fs))
	}
	return body, nil
}

// wireCode reports whether code may be sent in a close frame: RFC 6455
// §7.4.1 and IANA's registry (1012-1014), 3000-4999 for libraries and
// applications.
func wireCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// checkCloseBody says what is wrong with the body of a close frame a Conn
// sent: it is empty, or a code that may go on the wire and a UTF-8 reason
// of at most 123 bytes.
func checkCloseBody(body []byte) error {
	switch {
	case len(body) == 0:
		return nil
	case len(body) == 1:
		return errors.New("a one-byte close body")
	case !wireCode(int(binary.BigEndian.Uint16(body))):
		return fmt.Errorf("code %d on the wire", binary.BigEndian.Uint16(body))
	case len(body) > 125:
		return fmt.Errorf("a reason of %d bytes", len(body)-2)
	case !utf8.Valid(body[2:]):
		return fmt.Errorf("reason %q is not UTF-8", body[2:])
	}
	return nil
}

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// TestPeerCloseAnswered: the answer to a peer's close frame (RFC 6455
// §5.5.1, §7.1.5, §7.4), read off the wire, and what ReadMessage reports
// (999, 5000, 1005 and 1006 were once echoed).
func TestPeerCloseAnswered(t *testing.T) {
	type tc struct {
		name  string
		body  []byte
		reply []byte // the close body written back
		code  int    // the CloseError's; -1: not a CloseError
	}
	tests := []tc{
		{"no status", nil, nil, StatusNoStatus},
		{"one byte", []byte{0x03}, closePayload(StatusProtocolError, "close frame of one byte"), -1},
		{"reason echoed without it", closePayload(1000, "bye ✓"), closePayload(1000, ""), 1000},
		{"reason not UTF-8", closePayload(1000, "a\xffb"), closePayload(StatusInvalidPayload, "close reason is not UTF-8"), 1000},
		{"reason cut in a character", closePayload(4001, "é"[:1]), closePayload(StatusInvalidPayload, "close reason is not UTF-8"), 4001},
	}
	for _, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		tests = append(tests, tc{fmt.Sprint(code, " echoed"), closePayload(code, ""), closePayload(code, ""), code})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		tests = append(tests, tc{fmt.Sprint(code, " invalid"), closePayload(code, ""), closePayload(StatusProtocolError, "invalid close code"), code})
	}
	for _, client := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("client=%v/%s", client, tt.name), func(t *testing.T) {
				var err error
				out := wire(frame(0x80|opClose, tt.body, !client), client, func(c *Conn) { _, _, err = c.ReadMessage() })
				reply, perr := closeBody(out, client)
				if perr != nil {
					t.Fatalf("wrote %x: %v", out, perr)
				}
				if !bytes.Equal(reply, tt.reply) {
					t.Errorf("answered %q, want %q", reply, tt.reply)
				}
				var ce *CloseError
				switch {
				case tt.code == -1 && (err == nil || errors.As(err, &ce)):
					t.Errorf("ReadMessage: %v, want a protocol error", err)
				case tt.code != -1 && (!errors.As(err, &ce) || ce.Code != tt.code || ce.Reason != string(tt.body[min(2, len(tt.body)):])):
					t.Errorf("ReadMessage: %v, want the peer's %d %q", err, tt.code, tt.body[min(2, len(tt.body)):])
				}
			})
		}
	}
}

// TestCloseWritesOnlyWireCodes: Close never puts 1005, 1006, 1015 or
// another code that is not valid on the wire into a close frame (it sends
// one without a status), and its reason goes out as UTF-8 within 123
// bytes, cut between characters.
func TestCloseWritesOnlyWireCodes(t *testing.T) {
	long := strings.Repeat("é", 200)
	tests := []struct {
		code   int
		reason string
		want   []byte
	}{
		{1005, "no status", nil},
		{1006, "abnormal", nil},
		{1015, "tls", nil},
		{0, "", nil},
		{999, "x", nil},
		{1004, "x", nil},
		{2000, "x", nil},
		{5000, "x", nil},
		{4001, "auth failed", closePayload(4001, "auth failed")},
		{1000, long, closePayload(1000, long[:122])},
		{1000, strings.Repeat("a", 200), closePayload(1000, strings.Repeat("a", 123))},
		{1008, "a\xffb", closePayload(1008, "ab")},
	}
	for _, client := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("client=%v/%d", client, tt.code), func(t *testing.T) {
				out := wire(nil, client, func(c *Conn) { c.Close(tt.code, tt.reason) })
				body, err := closeBody(out, client)
				if err != nil {
					t.Fatalf("wrote %x: %v", out, err)
				}
				if !bytes.Equal(body, tt.want) {
					t.Fatalf("close body %q, want %q", body, tt.want)
				}
			})
		}
	}
}
