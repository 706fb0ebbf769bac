package server

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

// recorder is a ResponseWriter that takes write deadlines, as net/http's
// does, and records the pieces and deadlines in their order.
type recorder struct {
	http.ResponseWriter
	events []string // "deadline" or "write"
	pieces []int
	fail   int // the write that fails (1-based); 0: none
}

func (r *recorder) SetWriteDeadline(time.Time) error {
	r.events = append(r.events, "deadline")
	return nil
}

func (r *recorder) Write(p []byte) (int, error) {
	r.events = append(r.events, "write")
	r.pieces = append(r.pieces, len(p))
	if len(r.pieces) == r.fail {
		return len(p) / 2, errors.New("write timeout")
	}
	return len(p), nil
}

func TestDeadlineWriterArmsEachPiece(t *testing.T) {
	for _, c := range []struct {
		writes []int // sizes given to Write
		pieces []int // sizes written, each after a deadline
	}{
		{[]int{10}, []int{10}},
		{[]int{64 << 10}, []int{64 << 10}},
		{[]int{200 << 10}, []int{64 << 10, 64 << 10, 64 << 10, 8 << 10}},
		{[]int{32 << 10, 32 << 10, 32 << 10}, []int{32 << 10, 32 << 10, 32 << 10}}, // io.Copy's buffer: one deadline each
		{[]int{64<<10 + 1}, []int{64 << 10, 1}},
	} {
		rec := &recorder{}
		dw := &deadlineWriter{ResponseWriter: rec, rc: http.NewResponseController(rec), idle: time.Second}
		total := 0
		for _, n := range c.writes {
			got, err := dw.Write(make([]byte, n))
			if err != nil || got != n {
				t.Fatalf("Write(%d) = %d, %v", n, got, err)
			}
			total += n
		}
		var want []string
		for range c.pieces {
			want = append(want, "deadline", "write")
		}
		if !slices.Equal(rec.pieces, c.pieces) || !slices.Equal(rec.events, want) {
			t.Errorf("writes %v: pieces %v, events %v; want pieces %v, each after a deadline", c.writes, rec.pieces, rec.events, c.pieces)
		}
	}
	// A failed piece stops the write and is remembered.
	rec := &recorder{fail: 2}
	dw := &deadlineWriter{ResponseWriter: rec, rc: http.NewResponseController(rec), idle: time.Second}
	n, err := dw.Write(make([]byte, 200<<10))
	if err == nil || dw.err != err || n != 64<<10+32<<10 || len(rec.pieces) != 2 {
		t.Fatalf("a failed piece: wrote %d, %v (remembered %v), %d pieces", n, err, dw.err, len(rec.pieces))
	}
}

func TestHTTPTimeoutDefaults(t *testing.T) {
	var c Config
	c.Defaults()
	if c.IdleTimeout != 2*time.Minute || c.DownloadIdle != 30*time.Second || c.UploadIdle != 30*time.Second {
		t.Fatalf("idle timeout %v, download idle %v, upload idle %v; want 2m, 30s, 30s", c.IdleTimeout, c.DownloadIdle, c.UploadIdle)
	}
}
