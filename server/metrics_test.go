package server_test

import (
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// sumOf adds up the samples of a labelled metric.
func sumOf(text, name string) float64 {
	var sum float64
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, name+"{"); ok {
			_, v, _ := strings.Cut(rest, "} ")
			f, _ := strconv.ParseFloat(v, 64)
			sum += f
		}
	}
	return sum
}

// Frames are counted by type both ways, error answers by code on the
// WebSocket (after auth and at auth) and in the HTTP API, and the Go and
// process collectors are there beside the server's own metrics.
func TestMetricsByFrameTypeAndErrorCode(t *testing.T) {
	e := newEnv(t, nil)
	r := e.rawUser(t, "alice")
	r.write(&pb.Frame{Id: 2, Body: &pb.Frame_Ping{Ping: &pb.Ping{}}})
	if f := r.answer(2); f.GetPong() == nil {
		t.Fatal(f)
	}
	if err := r.writeBytes([]byte{0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	if f := r.answer(0); f.GetError().GetCode() != 33003 {
		t.Fatal(f)
	}
	r.write(&pb.Frame{Id: 3}) // no body
	if f := r.answer(3); f.GetError().GetCode() != 33003 {
		t.Fatal(f)
	}
	bad := e.raw(t)
	bad.write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: token(t, "bob", time.Hour), AppKey: "other", DeviceId: "d"}}})
	if f, _ := bad.read(); f.GetError().GetCode() != 31004 {
		t.Fatal(f)
	}
	resp, err := http.Post(e.url+"/v1/groups", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatal(resp.Status)
	}

	// In order: once the counts above are there, the zeros and absences
	// below are not merely early.
	for _, c := range []struct {
		name string
		want float64
	}{
		{`imwasm_frames_in_by_type_total{type="ping"}`, 1},
		{`imwasm_frames_in_by_type_total{type="malformed"}`, 1},
		{`imwasm_frames_in_by_type_total{type="none"}`, 1},
		{`imwasm_frames_in_total`, 3}, // the auth frame is not a session's
		{`imwasm_frames_out_by_type_total{type="auth_ok"}`, 1},
		{`imwasm_frames_out_by_type_total{type="pong"}`, 1},
		{`imwasm_frames_out_by_type_total{type="error"}`, 2},
		{`imwasm_frames_out_total`, 4},
		{`imwasm_errors_total{code="33003"}`, 2},
		{`imwasm_errors_total{code="31004"}`, 2}, // the refused auth and the API's refusal
		{`imwasm_auth_failures_total`, 1},
		{`imwasm_bad_frames_total`, 1},
		{`imwasm_sessions`, 1},
		{`imwasm_store_commit_seconds_count`, 0},
		{`imwasm_frames_in_by_type_total{type="send"}`, 0}, // there before the first
		{`imwasm_errors_total{code="20604"}`, -1},          // absent until answered
		{`imwasm_frames_out_by_type_total{type="malformed"}`, 0},
	} {
		e.waitMetric(t, c.name, c.want)
	}

	status, text := e.metrics(t)
	if status != 200 {
		t.Fatal(status)
	}
	if in, out := sumOf(text, "imwasm_frames_in_by_type_total"), sumOf(text, "imwasm_frames_out_by_type_total"); in != 3 || out != 4 {
		t.Errorf("by type: %v in, %v out; want the totals, 3 and 4", in, out)
	}
	for _, name := range []string{"imwasm_go_heap_bytes", "imwasm_go_stack_bytes", "imwasm_go_goroutines", "imwasm_go_mapped_bytes", "go_goroutines", "go_memstats_heap_alloc_bytes"} {
		if v := e.metric(t, name); v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if runtime.GOOS == "linux" {
		for _, name := range []string{"process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"} {
			if v := e.metric(t, name); v <= 0 {
				t.Errorf("%s = %v", name, v)
			}
		}
	}
}

// /metrics is Prometheus's text format (with HELP and TYPE), never cached.
func TestMetricsEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	_, text := e.metrics(t)
	for _, line := range []string{
		"# HELP imwasm_sessions Authenticated sessions on this node.",
		"# TYPE imwasm_sessions gauge",
		"# TYPE imwasm_frames_in_total counter",
		"# TYPE imwasm_frames_in_by_type_total counter",
		"# TYPE imwasm_store_commit_seconds histogram",
		`imwasm_store_commit_seconds_bucket{le="0.0005"} 0`,
		"# TYPE imwasm_upload_bytes gauge",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("no line %q", line)
		}
	}
}
