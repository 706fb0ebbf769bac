package metrics

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestExposition(t *testing.T) {
	r := NewRegistry()
	// Registered out of order to check the output is sorted by name.
	h := r.Histogram("imwasm_send_seconds", "Time to persist and fan out a message.", []float64{0.001, 0.01, 0.1, 1})
	c := r.Counter("imwasm_messages_total", "Messages accepted.")
	g := r.Gauge("imwasm_connections", "Open client connections.")
	r.GaugeFunc("imwasm_db_size_bytes", "Database file size.", func() float64 { return 1.5e9 })
	r.Counter("imwasm_errors_total", "") // no help: HELP line omitted
	r.Gauge("imwasm_help_escaping", `back\slash`+"\nnewline")

	c.Add(41)
	c.Inc()
	g.Set(10)
	g.Add(-3)
	for _, v := range []float64{0.0005, 0.001, 0.05, 0.5, 2} {
		h.Observe(v)
	}

	want := `# HELP imwasm_connections Open client connections.
# TYPE imwasm_connections gauge
imwasm_connections 7
# HELP imwasm_db_size_bytes Database file size.
# TYPE imwasm_db_size_bytes gauge
imwasm_db_size_bytes 1.5e+09
# TYPE imwasm_errors_total counter
imwasm_errors_total 0
# HELP imwasm_help_escaping back\\slash\nnewline
# TYPE imwasm_help_escaping gauge
imwasm_help_escaping 0
# HELP imwasm_messages_total Messages accepted.
# TYPE imwasm_messages_total counter
imwasm_messages_total 42
# HELP imwasm_send_seconds Time to persist and fan out a message.
# TYPE imwasm_send_seconds histogram
imwasm_send_seconds_bucket{le="0.001"} 2
imwasm_send_seconds_bucket{le="0.01"} 2
imwasm_send_seconds_bucket{le="0.1"} 3
imwasm_send_seconds_bucket{le="1"} 4
imwasm_send_seconds_bucket{le="+Inf"} 5
imwasm_send_seconds_sum 2.5515
imwasm_send_seconds_count 5
`
	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if got := buf.String(); got != want {
		t.Errorf("exposition mismatch\n got:\n%s\nwant:\n%s", got, want)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned n=%d, wrote %d bytes", n, buf.Len())
	}
}

func TestEmptyRegistry(t *testing.T) {
	for name, r := range map[string]*Registry{"NewRegistry": NewRegistry(), "zero value": {}} {
		var buf bytes.Buffer
		if n, err := r.WriteTo(&buf); n != 0 || err != nil || buf.Len() != 0 {
			t.Errorf("%s: WriteTo = %d, %v, %q; want empty", name, n, err, buf.String())
		}
	}
	var r Registry // zero value must also accept registrations
	r.Counter("x", "").Inc()
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil || buf.String() != "# TYPE x counter\nx 1\n" {
		t.Errorf("zero Registry output = %q, %v", buf.String(), err)
	}
}

func TestHistogramBuckets(t *testing.T) {
	tests := []struct {
		name    string
		bounds  []float64
		obs     []float64
		wantCum []uint64 // cumulative, one per bound plus +Inf
		wantSum float64
	}{
		{"boundaries are inclusive", []float64{1, 2, 3}, []float64{1, 2, 3}, []uint64{1, 2, 3, 3}, 6},
		{"just above bound", []float64{1, 2}, []float64{1.0000001, 2.5}, []uint64{0, 1, 2}, 3.5000001},
		{"negative and zero", []float64{0, 1}, []float64{-5, 0, 0.5}, []uint64{2, 3, 3}, -4.5},
		{"all overflow", []float64{0.1}, []float64{10, 20}, []uint64{0, 2}, 30},
		{"no bounds", nil, []float64{1, 2}, []uint64{2}, 3},
		{"explicit +Inf dropped", []float64{1, math.Inf(1)}, []float64{0.5, 5}, []uint64{1, 2}, 5.5},
		{"no observations", []float64{1}, nil, []uint64{0, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewRegistry().Histogram("h", "", tt.bounds)
			for _, v := range tt.obs {
				h.Observe(v)
			}
			var cum uint64
			got := make([]uint64, len(h.counts))
			for i := range h.counts {
				cum += h.counts[i].Load()
				got[i] = cum
			}
			if !slices.Equal(got, tt.wantCum) {
				t.Errorf("cumulative buckets = %v, want %v", got, tt.wantCum)
			}
			if h.Count() != uint64(len(tt.obs)) {
				t.Errorf("Count = %d, want %d", h.Count(), len(tt.obs))
			}
			if math.Abs(h.Sum()-tt.wantSum) > 1e-9 {
				t.Errorf("Sum = %v, want %v", h.Sum(), tt.wantSum)
			}
		})
	}
}

func TestHistogramCopiesBounds(t *testing.T) {
	r := NewRegistry()
	b := []float64{1, 2}
	h := r.Histogram("h", "", b)
	b[0] = 100 // must not affect the registered histogram
	h.Observe(1.5)
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `h_bucket{le="1"} 0`+"\n"+`h_bucket{le="2"} 1`) {
		t.Errorf("unexpected output:\n%s", buf.String())
	}
}

func TestHistogramNaN(t *testing.T) {
	r := NewRegistry()
	h := r.Histogram("h", "", []float64{1})
	h.Observe(math.NaN())
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want := "# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum NaN\nh_count 1\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("c_total", "")
	g := r.Gauge("g", "")
	h := r.Histogram("h_seconds", "", []float64{0.5})
	const workers, iters = 16, 2000
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				c.Inc()
				c.Add(2)
				g.Add(1)
				g.Add(-1)
				g.Add(1)
				h.Observe(0.25) // exactly representable, so the sum is exact
			}
		}()
	}
	// Scrape concurrently with updates and registrations to let -race see
	// every shared access.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			if _, err := r.WriteTo(io.Discard); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, n := range []string{"a", "b", "c", "d"} {
			r.Counter("late_"+n, "")
		}
	}()
	wg.Wait()

	const total = workers * iters
	if got := c.Value(); got != 3*total {
		t.Errorf("counter = %d, want %d", got, 3*total)
	}
	if got := g.Value(); got != total {
		t.Errorf("gauge = %d, want %d", got, total)
	}
	if got := h.Count(); got != total {
		t.Errorf("histogram count = %d, want %d", got, total)
	}
	if got := h.Sum(); got != 0.25*total {
		t.Errorf("histogram sum = %v, want %v", got, 0.25*total)
	}
}

func TestGaugeFuncMayUseRegistry(t *testing.T) {
	// GaugeFunc callbacks run outside the registry lock, so one that
	// touches the registry (here: registers a metric lazily) must not
	// deadlock the scrape.
	r := NewRegistry()
	r.GaugeFunc("outer", "", func() float64 {
		r.Counter("inner_total", "").Inc()
		return 1
	})
	done := make(chan error, 1)
	var buf bytes.Buffer
	go func() {
		_, err := r.WriteTo(&buf)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WriteTo deadlocked calling a GaugeFunc that uses the registry")
	}
	// The scrape renders the snapshot taken before the callback ran.
	if got, want := buf.String(), "# TYPE outer gauge\nouter 1\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRegistrationPanics(t *testing.T) {
	tests := []struct {
		name string
		reg  func(r *Registry)
	}{
		{"duplicate counter", func(r *Registry) { r.Counter("x", ""); r.Counter("x", "") }},
		{"duplicate across types", func(r *Registry) { r.Counter("x", ""); r.Gauge("x", "") }},
		{"duplicate gauge func", func(r *Registry) { r.Gauge("x", ""); r.GaugeFunc("x", "", func() float64 { return 0 }) }},
		{"counter clashes with histogram _count", func(r *Registry) { r.Histogram("h", "", nil); r.Counter("h_count", "") }},
		{"histogram clashes with existing _sum", func(r *Registry) { r.Gauge("h_sum", ""); r.Histogram("h", "", nil) }},
		{"empty name", func(r *Registry) { r.Counter("", "") }},
		{"leading digit", func(r *Registry) { r.Counter("1x", "") }},
		{"dash", func(r *Registry) { r.Counter("a-b", "") }},
		{"space", func(r *Registry) { r.Gauge("a b", "") }},
		{"non-ASCII", func(r *Registry) { r.Gauge("é", "") }},
		{"brace", func(r *Registry) { r.Histogram("h{x}", "", nil) }},
		{"nil gauge func", func(r *Registry) { r.GaugeFunc("x", "", nil) }},
		{"unsorted buckets", func(r *Registry) { r.Histogram("h", "", []float64{2, 1}) }},
		{"duplicate bucket", func(r *Registry) { r.Histogram("h", "", []float64{1, 1}) }},
		{"NaN bucket", func(r *Registry) { r.Histogram("h", "", []float64{math.NaN()}) }},
		{"+Inf not last", func(r *Registry) { r.Histogram("h", "", []float64{math.Inf(1), 5}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tt.reg(NewRegistry())
		})
	}
}

func TestFailedRegistrationLeavesNoTrace(t *testing.T) {
	// A clash must not half-register: the histogram's other series stay
	// free and nothing extra is exposed.
	r := NewRegistry()
	r.Counter("h_count", "")
	func() {
		defer func() { _ = recover() }()
		r.Histogram("h", "", nil)
	}()
	r.Gauge("h_sum", "") // would panic if the failed Histogram had claimed it
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want := "# TYPE h_count counter\nh_count 0\n# TYPE h_sum gauge\nh_sum 0\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"a", true},
		{"_", true},
		{":", true},
		{"http_requests_total", true},
		{"ns:sub:metric_2", true},
		{"A9_:z", true},
		{"", false},
		{"9a", false},
		{"a.b", false},
		{"a-b", false},
		{"a\n", false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.name); got != tt.want {
			t.Errorf("ValidName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{0.005, "0.005"},
		{2.5, "2.5"},
		{1e-9, "1e-09"},
		{-3, "-3"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := formatFloat(tt.v); got != tt.want {
			t.Errorf("formatFloat(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestHandler(t *testing.T) {
	r := NewRegistry()
	r.Counter("hits_total", "Hits.").Add(3)
	want := "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total 3\n"
	tests := []struct {
		method     string
		wantStatus int
		wantBody   string
	}{
		{http.MethodGet, http.StatusOK, want},
		{http.MethodHead, http.StatusOK, ""},
		{http.MethodPost, http.StatusMethodNotAllowed, "method not allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.Handler().ServeHTTP(rec, httptest.NewRequest(tt.method, "/metrics", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(want)) {
				t.Errorf("Content-Length = %q, want %d", cl, len(want))
			}
		})
	}
}

var errBoom = errors.New("boom")

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errBoom }

func TestWriteToError(t *testing.T) {
	r := NewRegistry()
	r.Counter("x", "")
	if _, err := r.WriteTo(failWriter{}); !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want wrapped write error", err)
	}
}
