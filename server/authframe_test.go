package server_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/encoding/protowire"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server"
)

// authFrame is an Auth frame for user, padded to exactly size bytes with
// an unknown field (which the server skips).
func authFrame(t *testing.T, user string, size int) []byte {
	t.Helper()
	b, err := (&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: token(t, user, time.Hour), AppKey: appKey, DeviceId: "pad"}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// Field 1000, bytes: a 2-byte tag and a 2-byte length for pads of
	// 128 bytes to 16 KiB.
	pad := size - len(b) - 4
	b = protowire.AppendTag(b, 1000, protowire.BytesType)
	b = protowire.AppendBytes(b, bytes.Repeat([]byte{'x'}, pad))
	if len(b) != size {
		t.Fatalf("auth frame of %d bytes, want %d", len(b), size)
	}
	return b
}

// TestAuthFrameLimit: before auth the server reads at most 8 KiB (issue
// 16, M3: a connection that has not authenticated could make it hold the
// full read limit); after auth the full limit applies again.
func TestAuthFrameLimit(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.AuthTimeout = 2 * time.Second })

	// A header announcing 8 KiB + 1 is refused before its payload comes.
	// (Raw bytes: a client library sends the payload too, and a server that
	// closes with it unread resets the connection, losing the close frame.)
	nc, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(nc, "GET /v1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: %s\r\n\r\n", server.Subprotocol)
	br := bufio.NewReader(nc)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	// FIN, binary; masked, 16-bit length 8193; the mask key.
	nc.Write([]byte{0x82, 0x80 | 126, 0x20, 0x01, 1, 2, 3, 4})
	var h [4]byte
	if _, err := io.ReadFull(br, h[:]); err != nil || h[0] != 0x88 || h[1] < 2 {
		t.Fatalf("answer to an auth frame of 8 KiB + 1: %x %v, want a close frame", h, err)
	}
	if code := binary.BigEndian.Uint16(h[2:]); code != uint16(websocket.StatusMessageTooBig) {
		t.Fatalf("closed with %d, want 1009", code)
	}

	r := e.raw(t)
	if err := r.writeBytes(authFrame(t, "alice", 8<<10)); err != nil {
		t.Fatal(err)
	}
	f, err := r.read()
	if err != nil || f.GetAuthOk().GetUserId() != "alice" {
		t.Fatalf("an auth frame of 8 KiB: %v %v", f, err)
	}
	content := append(append([]byte(`{"content":"`), bytes.Repeat([]byte{'y'}, 100_000)...), `"}`...)
	r.write(&pb.Frame{Id: 2, Body: &pb.Frame_Send{Send: &pb.SendRequest{
		Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, ClientMsgId: "big", ObjectName: "RC:TxtMsg", Content: content,
	}}})
	if f := r.answer(2); f.GetSendAck() == nil {
		t.Fatalf("a 100 KB send after auth: %v", f)
	}
}
