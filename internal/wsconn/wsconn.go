// Package wsconn is RFC 6455 WebSocket connections, the server's side
// (Accept) and a native client's (Dial), reduced to what imwasm's wire
// protocol needs: binary messages, pings, close. It exists for numbers in
// BENCHMARKS.md that a general-purpose library could not reach here:
//
//   - memory per idle connection: after the upgrade a Conn keeps a 256-byte
//     read buffer and nothing else (net/http's hijacked 4 KB reader and
//     writer are dropped), and the reading goroutine blocks with a shallow
//     stack;
//   - write cost: WriteBatch sends everything queued for a connection with
//     one writev system call; a client writes a frame with one write;
//   - read cost: no per-message context, timer or lock, and a payload up to
//     16 KiB in one allocation (the bench's simulated clients spent a tenth
//     of their CPU in a general-purpose client library). A larger payload's
//     buffer grows as its bytes arrive, never ahead of them: a header may
//     announce what the peer never sends.
//
// Extensions (compression) are never negotiated. Clients' frames must be
// masked, servers' are not (RFC 6455 §5.1).
package wsconn

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Close status codes (RFC 6455 §7.4.1) used by the package; applications
// add their own in 4000-4999.
const (
	StatusNormal         = 1000
	StatusGoingAway      = 1001
	StatusProtocolError  = 1002
	StatusUnsupported    = 1003
	StatusNoStatus       = 1005
	StatusInvalidPayload = 1007
	StatusPolicy         = 1008
	StatusTooBig         = 1009
)

// CloseError is returned by ReadMessage when the peer closed the connection
// with a close frame.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket closed by peer: %d %s", e.Code, e.Reason)
}

// ErrTooBig is returned by ReadMessage for a message over the read limit;
// the connection has then been closed with 1009.
var ErrTooBig = errors.New("websocket message over the read limit")

// AcceptOptions configure the upgrade.
type AcceptOptions struct {
	// Subprotocol, when set, must be among those the client offers.
	Subprotocol string
	// CheckOrigin decides on the Origin header (absent for non-browser
	// clients); nil accepts every origin.
	CheckOrigin func(origin string) bool
	// ReadLimit bounds one message, fragments included (default 1 MiB).
	ReadLimit int
}

// Accept upgrades an HTTP request to a WebSocket connection. On failure it
// has answered the request with an HTTP error.
func Accept(w http.ResponseWriter, r *http.Request, opts AcceptOptions) (*Conn, error) {
	fail := func(status int, msg string) (*Conn, error) {
		http.Error(w, msg, status)
		return nil, fmt.Errorf("websocket upgrade: %s", msg)
	}
	if r.Method != http.MethodGet {
		return fail(http.StatusMethodNotAllowed, "method must be GET")
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		return fail(http.StatusUpgradeRequired, "not a websocket upgrade")
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		return fail(http.StatusBadRequest, "Sec-WebSocket-Version must be 13")
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return fail(http.StatusBadRequest, "bad Sec-WebSocket-Key")
	}
	if origin := r.Header.Get("Origin"); origin != "" && opts.CheckOrigin != nil && !opts.CheckOrigin(origin) {
		return fail(http.StatusForbidden, "origin not allowed")
	}
	proto := ""
	if opts.Subprotocol != "" {
		if !headerHasToken(r.Header, "Sec-WebSocket-Protocol", opts.Subprotocol) {
			return fail(http.StatusBadRequest, "subprotocol "+opts.Subprotocol+" required")
		}
		proto = opts.Subprotocol
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return fail(http.StatusInternalServerError, "connection cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, fmt.Errorf("websocket upgrade: hijack: %w", err)
	}
	// Bytes the client sent after its request (it may not wait for the 101)
	// sit in the hijacked reader; keep them and let the rest of the 4 KB
	// buffers go.
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		early = make([]byte, n)
		io.ReadFull(brw.Reader, early)
	}
	var resp strings.Builder
	resp.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	resp.WriteString(acceptKey(key))
	if proto != "" {
		resp.WriteString("\r\nSec-WebSocket-Protocol: ")
		resp.WriteString(proto)
	}
	resp.WriteString("\r\n\r\n")
	nc.SetDeadline(time.Time{}) // net/http's deadlines do not apply past the upgrade
	if _, err := io.WriteString(nc, resp.String()); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket upgrade: write response: %w", err)
	}
	limit := opts.ReadLimit
	if limit <= 0 {
		limit = 1 << 20
	}
	var src io.Reader = nc
	if len(early) > 0 {
		src = io.MultiReader(bytes.NewReader(early), nc)
	}
	return &Conn{nc: nc, br: bufio.NewReaderSize(src, 256), limit: limit, subprotocol: proto}, nil
}

// acceptKey is Sec-WebSocket-Accept for a client's key (RFC 6455 §4.2.2).
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Conn is an upgraded connection. One goroutine reads (ReadMessage); any
// number may write: writes are serialized.
type Conn struct {
	nc          net.Conn
	br          *bufio.Reader
	limit       int
	subprotocol string
	client      bool // this end dialed: it masks its frames, the peer's are not

	wmu    sync.Mutex
	closed bool // a close frame was sent
	hdrs   []byte
}

// Subprotocol is the negotiated subprotocol ("" if none).
func (c *Conn) Subprotocol() string { return c.subprotocol }

// ReadLimit is the most one message may hold, fragments included.
func (c *Conn) ReadLimit() int { return c.limit }

// SetReadLimit bounds the messages read from now on (n <= 0: 1 MiB); a
// message over it closes the connection with 1009. Call it from the
// reading goroutine, or before reading starts.
func (c *Conn) SetReadLimit(n int) {
	if n <= 0 {
		n = 1 << 20
	}
	c.limit = n
}

// SetReadDeadline bounds the next reads (the zero time removes the bound).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// SetWriteDeadline bounds the next writes (the zero time removes the
// bound). A write that times out may have sent part of a frame: close the
// connection then.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

// ReadMessage returns the next data message (OpBinary or OpText) with its
// fragments joined. It answers pings and close frames itself. A protocol
// violation closes the connection with the matching status and returns an
// error; so does a message over the read limit (ErrTooBig).
func (c *Conn) ReadMessage() (op int, payload []byte, err error) {
	var hdr [14]byte
	for {
		fin, fop, n, mask, err := c.readHeader(hdr[:])
		if err != nil {
			return 0, nil, err
		}
		if fop >= opClose { // control frame
			if !fin || n > 125 {
				return 0, nil, c.fail(StatusProtocolError, "fragmented or long control frame")
			}
			body := make([]byte, n)
			if err := c.readPayload(body, mask); err != nil {
				return 0, nil, err
			}
			switch fop {
			case opPing:
				if err := c.writeControl(opPong, body); err != nil {
					return 0, nil, err
				}
			case opPong:
			case opClose:
				return 0, nil, c.peerClosed(body)
			default:
				return 0, nil, c.fail(StatusProtocolError, "unknown control opcode")
			}
			continue
		}
		switch {
		case fop == opContinuation && op == 0:
			return 0, nil, c.fail(StatusProtocolError, "continuation without a message")
		case fop != opContinuation && op != 0:
			return 0, nil, c.fail(StatusProtocolError, "new message inside a fragmented one")
		case fop != opContinuation && fop != OpText && fop != OpBinary:
			return 0, nil, c.fail(StatusProtocolError, "unknown data opcode")
		}
		if fop != opContinuation {
			op = fop
		}
		if uint64(len(payload))+n > uint64(c.limit) {
			c.fail(StatusTooBig, "message too big")
			return 0, nil, ErrTooBig
		}
		if payload, err = c.readData(payload, int(n), mask); err != nil {
			return 0, nil, err
		}
		if fin {
			if op == OpText && !utf8.Valid(payload) {
				return 0, nil, c.fail(StatusInvalidPayload, "text message is not UTF-8")
			}
			return op, payload, nil
		}
	}
}

// readHeader reads one frame header into hdr.
func (c *Conn) readHeader(hdr []byte) (fin bool, op int, n uint64, mask [4]byte, err error) {
	if _, err = io.ReadFull(c.br, hdr[:2]); err != nil {
		return
	}
	fin, op = hdr[0]&0x80 != 0, int(hdr[0]&0x0F)
	if hdr[0]&0x70 != 0 {
		err = c.fail(StatusProtocolError, "reserved bits set")
		return
	}
	masked := hdr[1]&0x80 != 0
	switch {
	case !c.client && !masked:
		err = c.fail(StatusProtocolError, "client frames must be masked")
		return
	case c.client && masked:
		err = c.fail(StatusProtocolError, "server frames must not be masked")
		return
	}
	switch l := hdr[1] & 0x7F; l {
	case 126:
		if _, err = io.ReadFull(c.br, hdr[2:4]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(hdr[2:4]))
	case 127:
		if _, err = io.ReadFull(c.br, hdr[2:10]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(hdr[2:10])
		if n > 1<<62 {
			err = c.fail(StatusProtocolError, "frame length overflows")
			return
		}
	default:
		n = uint64(l)
	}
	if masked {
		_, err = io.ReadFull(c.br, mask[:])
	}
	return
}

func (c *Conn) readPayload(p []byte, mask [4]byte) error {
	if _, err := io.ReadFull(c.br, p); err != nil {
		return err
	}
	if !c.client {
		maskBytes(p, mask, 0)
	}
	return nil
}

// firstChunk is the most readData allocates for bytes that have not
// arrived: a payload up to it gets its exact size at once (one allocation
// for a small message), a longer one starts there and doubles as it fills,
// so a header announcing the read limit followed by nothing costs this
// much, and the copies of a large message add at most its size again.
const firstChunk = 16 << 10

// readData appends a data frame's n-byte payload to payload.
func (c *Conn) readData(payload []byte, n int, mask [4]byte) ([]byte, error) {
	end := len(payload) + n
	for pos := 0; pos < n; {
		if len(payload) == cap(payload) {
			grown := make([]byte, len(payload), min(end, max(2*cap(payload), len(payload)+firstChunk)))
			copy(grown, payload)
			payload = grown
		}
		seg := payload[len(payload):min(cap(payload), end)]
		if _, err := io.ReadFull(c.br, seg); err != nil {
			return nil, err
		}
		if !c.client {
			maskBytes(seg, mask, pos)
		}
		payload = payload[:len(payload)+len(seg)]
		pos += len(seg)
	}
	return payload, nil
}

// maskBytes applies (or removes) a frame's mask (RFC 6455 §5.3) to p, the
// bytes at offset pos of the frame's payload.
func maskBytes(p []byte, mask [4]byte, pos int) {
	for i := range p {
		p[i] ^= mask[(pos+i)&3]
	}
}

// peerClosed answers a close frame (RFC 6455 §5.5.1, §7.1.5, §7.4) and
// reports what the peer sent: its code, or 1005 for a close without one.
// A valid code is echoed; an invalid one is answered with 1002, a reason
// that is not UTF-8 with 1007, and no status with no status.
func (c *Conn) peerClosed(body []byte) error {
	switch len(body) {
	case 0:
		c.Close(StatusNoStatus, "") // an empty body
		return &CloseError{Code: StatusNoStatus}
	case 1:
		return c.fail(StatusProtocolError, "close frame of one byte")
	}
	ce := &CloseError{Code: int(binary.BigEndian.Uint16(body)), Reason: string(body[2:])}
	switch {
	case !validCloseCode(ce.Code):
		c.Close(StatusProtocolError, "invalid close code")
	case !utf8.Valid(body[2:]):
		c.Close(StatusInvalidPayload, "close reason is not UTF-8")
	default:
		c.Close(ce.Code, "")
	}
	return ce
}

// validCloseCode reports whether a close frame may carry code: the codes
// of RFC 6455 §7.4.1 and IANA's registry (which added 1012-1014), and
// those for libraries (3000-3999) and applications (4000-4999). 1005, 1006
// and 1015 only report what happened and never go on the wire; 1004 and
// 1016-2999 are reserved.
func validCloseCode(code int) bool {
	return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999
}

// closeReason is reason as a close frame may carry it: UTF-8, in the 123
// bytes a control frame leaves after the code, cut between characters.
func closeReason(reason string) string {
	reason = strings.ToValidUTF8(reason, "")
	if len(reason) > 123 {
		i := 123
		for !utf8.RuneStart(reason[i]) {
			i--
		}
		reason = reason[:i]
	}
	return reason
}

// fail closes the connection for a protocol violation.
func (c *Conn) fail(code int, reason string) error {
	c.Close(code, reason)
	return fmt.Errorf("websocket: %s", reason)
}

// WriteBatch writes each payload as one binary message, with a single
// writev system call for all of them.
func (c *Conn) WriteBatch(payloads [][]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	var err error
	c.hdrs = c.hdrs[:0]
	if c.client {
		// Masking copies the payload (the caller keeps its own): headers
		// and masked payloads go out together, one write per batch.
		for _, p := range payloads {
			c.hdrs = appendMasked(c.hdrs, OpBinary, p)
		}
		_, err = c.nc.Write(c.hdrs)
	} else if size := batchBytes(payloads); size <= smallBatch {
		// Small messages are copied behind their headers and written
		// with one write(2): cheaper than a writev of 2 vectors each,
		// and nothing to allocate (a chat room's pushes, one per member).
		for _, p := range payloads {
			c.hdrs = appendHeader(c.hdrs, OpBinary, len(p))
			c.hdrs = append(c.hdrs, p...)
		}
		_, err = c.nc.Write(c.hdrs)
	} else {
		for _, p := range payloads {
			c.hdrs = appendHeader(c.hdrs, OpBinary, len(p))
		}
		bufs := make(net.Buffers, 0, 2*len(payloads))
		h := c.hdrs
		for _, p := range payloads {
			n := headerLen(len(p))
			bufs = append(bufs, h[:n:n], p)
			h = h[n:]
		}
		_, err = bufs.WriteTo(c.nc)
	}
	if cap(c.hdrs) > 4<<10 {
		c.hdrs = nil // a burst's scratch space is not kept by an idle connection
	}
	return err
}

// smallBatch is the most payload WriteBatch copies rather than points at.
const smallBatch = 2 << 10

func batchBytes(payloads [][]byte) int {
	n := 0
	for _, p := range payloads {
		n += len(p)
	}
	return n
}

// WriteMessage writes one binary message.
func (c *Conn) WriteMessage(p []byte) error { return c.WriteBatch([][]byte{p}) }

func (c *Conn) writeControl(op int, body []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	return c.writeControlLocked(op, body)
}

func (c *Conn) writeControlLocked(op int, body []byte) error {
	var f []byte
	if c.client {
		f = appendMasked(make([]byte, 0, 6+len(body)), op, body)
	} else {
		f = append(appendHeader(make([]byte, 0, 2+len(body)), op, len(body)), body...)
	}
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, err := c.nc.Write(f)
	c.nc.SetWriteDeadline(time.Time{})
	return err
}

// Close sends a close frame (waiting at most a second for it to go out)
// and closes the connection. Safe to call more than once and concurrently.
// A code that may not go on the wire (1005, 1006, 1015 and the reserved
// ones) sends a close frame without status and reason.
func (c *Conn) Close(code int, reason string) error {
	// A write blocked on a peer that does not read holds wmu; the deadline
	// ends it.
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.wmu.Lock()
	if !c.closed {
		c.closed = true
		var body []byte
		if validCloseCode(code) {
			reason = closeReason(reason)
			body = binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
			body = append(body, reason...)
		}
		c.writeControlLocked(opClose, body)
	}
	c.wmu.Unlock()
	return c.nc.Close()
}

// CloseNow closes the connection without a close frame, at once: for a
// peer that does not read (its close frame would wait behind everything
// unread), and to end a blocked ReadMessage or WriteBatch.
func (c *Conn) CloseNow() error {
	return c.nc.Close()
}

func headerLen(n int) int {
	switch {
	case n <= 125:
		return 2
	case n <= 0xFFFF:
		return 4
	default:
		return 10
	}
}

// appendHeader appends an unmasked final-frame header.
func appendHeader(b []byte, op, n int) []byte {
	b = append(b, 0x80|byte(op))
	switch {
	case n <= 125:
		return append(b, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(b, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}

// appendMasked appends a client's final frame: header, mask key, payload
// masked with it.
func appendMasked(b []byte, op int, p []byte) []byte {
	b = appendHeader(b, op, len(p))
	b[len(b)-headerLen(len(p))+1] |= 0x80 // the mask bit
	var mask [4]byte
	binary.LittleEndian.PutUint32(mask[:], rand.Uint32())
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, p...)
	maskBytes(b[start:], mask, 0)
	return b
}
