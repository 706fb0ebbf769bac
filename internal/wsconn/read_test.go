package wsconn

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
)

// readProbe records the largest buffer a read was given. A bufio.Reader
// hands a read larger than its own buffer straight to the connection, so
// this is the largest buffer ReadMessage had allocated for payload bytes
// still to come.
type readProbe struct {
	net.Conn
	largest atomic.Int64
}

func (r *readProbe) Read(p []byte) (int, error) {
	for {
		old := r.largest.Load()
		if int64(len(p)) <= old || r.largest.CompareAndSwap(old, int64(len(p))) {
			break
		}
	}
	return r.Conn.Read(p)
}

// TestAnnouncedLengthIsNotAllocated: a header announcing 1 MiB followed by
// 14 bytes costs a small chunk, not the megabyte (once, 400 such
// connections held 81 MB).
func TestAnnouncedLengthIsNotAllocated(t *testing.T) {
	server, peer := net.Pipe()
	defer peer.Close()
	probe := &readProbe{Conn: server}
	c := &Conn{nc: probe, br: bufio.NewReaderSize(probe, 256), limit: 2 << 20}
	defer c.CloseNow()
	// A masked binary frame of 1 MiB (64-bit length), then its mask key.
	hdr := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x10, 0, 0, 0x12, 0x34, 0x56, 0x78}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	read := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage()
		read <- err
	}()
	// net.Pipe's Write returns once a Read took the bytes: after the
	// second one the reader has made its payload buffer and waits for more.
	if _, err := peer.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Write(make([]byte, 14)); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := probe.largest.Load(); got > 64<<10 {
		t.Errorf("a read into %d bytes after 14 had arrived", got)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 256<<10 {
		t.Errorf("%d bytes allocated for 14 received", got)
	}
	peer.Close()
	if err := <-read; err == nil {
		t.Fatal("a truncated message was returned")
	}
}

// TestFragmentsAcrossChunks: a message whose fragments cross the growing
// buffer's chunk boundaries at offsets that are not multiples of 4 (where
// the mask key must be taken at the frame's own offset) arrives whole and
// unmasked, in any write sizes.
func TestFragmentsAcrossChunks(t *testing.T) {
	server, peer := net.Pipe()
	defer peer.Close()
	c := &Conn{nc: server, br: bufio.NewReaderSize(server, 256), limit: 1 << 20}
	defer c.CloseNow()
	rng := rand.New(rand.NewPCG(1, 2))
	var want, wire []byte
	sizes := []int{5001, 40003, 7, 70001, 0}
	for i, n := range sizes {
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		want = append(want, p...)
		b0 := byte(opContinuation)
		if i == 0 {
			b0 = OpBinary
		}
		if i == len(sizes)-1 {
			b0 |= 0x80
		}
		wire = append(wire, frame(b0, p, true)...)
	}
	go func() {
		for len(wire) > 0 {
			n := min(len(wire), 1+rng.IntN(9000))
			if _, err := peer.Write(wire[:n]); err != nil {
				return
			}
			wire = wire[n:]
		}
	}()
	op, got, err := c.ReadMessage()
	if err != nil || op != OpBinary {
		t.Fatalf("op %d, err %v", op, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestSmallPayloadOneAllocation: the fast path the package exists for. A
// payload up to 16 KiB costs one allocation (counted against an empty
// message, which needs none: the rest is the frame reading's own).
func TestSmallPayloadOneAllocation(t *testing.T) {
	allocs := func(n int) float64 {
		msg := frame(0x80|OpBinary, make([]byte, n), true)
		r := bytes.NewReader(nil)
		c := &Conn{br: bufio.NewReaderSize(r, 256), limit: 1 << 20}
		return testing.AllocsPerRun(100, func() {
			r.Reset(msg)
			c.br.Reset(r)
			if _, p, err := c.ReadMessage(); err != nil || len(p) != n {
				t.Fatalf("%d bytes, %v", len(p), err)
			}
		})
	}
	empty := allocs(0)
	for _, n := range []int{1, 1000, 16 << 10} {
		if got := allocs(n); got != empty+1 {
			t.Errorf("%d-byte message: %v allocations, %v for an empty one", n, got, empty)
		}
	}
}
