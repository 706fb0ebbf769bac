package bench

import (
	"context"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/imwasm/imwasm/client"
)

// frameCounter counts the frames every engine writes and reads, by the
// field number of their body (pb.Frame's oneof), to show what the load is
// made of (sends, acks, gap pulls...). It wraps the real dialer.
type frameCounter struct {
	out, in [maxFrameField + 1]atomic.Int64
}

const maxFrameField = 63

// frameNames are pb.Frame's body fields.
var frameNames = map[int]string{
	2: "auth", 3: "auth_ok", 4: "error", 5: "ping", 6: "pong", 7: "kick", 8: "push", 9: "ack",
	10: "send", 11: "send_ack", 12: "sync", 13: "sync_result", 14: "pull", 15: "pull_result",
	16: "read", 17: "ok",
}

// bodyField returns the field number of an encoded Frame's body.
func bodyField(b []byte) int {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0
		}
		if num != 1 {
			return min(int(num), maxFrameField)
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return 0
		}
		b = b[m:]
	}
	return 0
}

type frameSnapshot struct{ out, in [maxFrameField + 1]int64 }

func (c *frameCounter) snapshot() (s frameSnapshot) {
	for i := range c.out {
		s.out[i] = c.out[i].Load()
		s.in[i] = c.in[i].Load()
	}
	return s
}

// since names the frames counted after s, "sent.ack" style ("sent" from
// the clients, "received" by them).
func (c *frameCounter) since(s frameSnapshot) map[string]int64 {
	now := c.snapshot()
	out := map[string]int64{}
	add := func(dir string, i int, n int64) {
		if n == 0 {
			return
		}
		name, ok := frameNames[i]
		if !ok {
			name = "field" + itoa(i)
		}
		out[dir+"."+name] = n
	}
	for i := range now.out {
		add("sent", i, now.out[i]-s.out[i])
		add("received", i, now.in[i]-s.in[i])
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

type countingDialer struct {
	d client.Dialer
	c *frameCounter
}

func (d countingDialer) Dial(ctx context.Context, url string) (client.Conn, error) {
	conn, err := d.d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return countingConn{conn, d.c}, nil
}

type countingConn struct {
	client.Conn
	c *frameCounter
}

func (c countingConn) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	if err == nil {
		c.c.in[bodyField(b)].Add(1)
	}
	return b, err
}

func (c countingConn) Write(ctx context.Context, b []byte) error {
	c.c.out[bodyField(b)].Add(1)
	return c.Conn.Write(ctx, b)
}
