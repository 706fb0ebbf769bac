// Package metrics is a minimal Prometheus text-exposition (format 0.0.4)
// registry: counters, gauges, gauge functions and histograms, without
// labels.
//
// It exists so the server can be scraped without pulling in
// client_golang. Updates are single atomic operations so instrumenting hot
// paths (per message, per frame) costs next to nothing; the registry lock is
// only taken at registration and scrape time.
package metrics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Registry holds a set of uniquely named metrics. The zero value is ready to
// use; it is safe for concurrent use.
type Registry struct {
	mu sync.Mutex
	// metrics is kept sorted by name so scrapes need no sorting.
	metrics []metric
	// series holds every sample name any metric exposes (including a
	// histogram's _bucket/_sum/_count), so that e.g. a counter "x_count"
	// cannot silently collide with histogram "x".
	series map[string]bool
}

// metric is one registered family.
type metric interface {
	name() string
	// write appends the family (HELP, TYPE and samples) to buf.
	write(buf *bytes.Buffer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Counter returns a new monotonically increasing counter registered as name.
// It panics if name is invalid or already taken.
func (r *Registry) Counter(name, help string) *Counter {
	c := &Counter{desc: desc{n: name, help: help}}
	r.register(c, name)
	return c
}

// Gauge returns a new gauge registered as name. It panics if name is invalid
// or already taken.
func (r *Registry) Gauge(name, help string) *Gauge {
	g := &Gauge{desc: desc{n: name, help: help}}
	r.register(g, name)
	return g
}

// GaugeFunc registers a gauge whose value is f(), evaluated at every scrape.
// f must be safe to call concurrently and should be fast. It is called
// without the registry lock held, so it may itself use the registry. It
// panics if name is invalid or already taken, or f is nil.
func (r *Registry) GaugeFunc(name, help string, f func() float64) {
	if f == nil {
		panic(fmt.Sprintf("metrics: GaugeFunc %q: nil func", name))
	}
	r.register(&gaugeFunc{desc: desc{n: name, help: help}, f: f}, name)
}

// Histogram returns a new histogram registered as name with the given upper
// bucket bounds in seconds. The bounds must be strictly increasing and not
// NaN; a trailing +Inf is optional since it is always added. The slice is
// copied. It panics on invalid bounds, an invalid name or a name clash
// (including with name_bucket, name_sum and name_count).
func (r *Registry) Histogram(name, help string, bucketsSeconds []float64) *Histogram {
	bounds := make([]float64, 0, len(bucketsSeconds))
	for i, b := range bucketsSeconds {
		switch {
		case math.IsNaN(b):
			panic(fmt.Sprintf("metrics: histogram %q: bucket %d is NaN", name, i))
		case i > 0 && b <= bucketsSeconds[i-1]:
			panic(fmt.Sprintf("metrics: histogram %q: buckets not strictly increasing at %d", name, i))
		case math.IsInf(b, 1):
			// Implicit anyway; only allowed as the last bound, which the
			// strictly-increasing check already guarantees.
			continue
		}
		bounds = append(bounds, b)
	}
	h := &Histogram{
		desc:   desc{n: name, help: help},
		bounds: bounds,
		counts: make([]atomic.Uint64, len(bounds)+1),
	}
	r.register(h, name, name+"_bucket", name+"_sum", name+"_count")
	return h
}

// register adds m, claiming the given sample names. Duplicates are
// programming errors (typically two packages picking the same name), and
// panicking at startup surfaces them immediately.
func (r *Registry) register(m metric, series ...string) {
	name := m.name()
	if !ValidName(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.series == nil {
		r.series = make(map[string]bool)
	}
	for _, s := range series {
		if r.series[s] {
			panic(fmt.Sprintf("metrics: %q clashes with an already registered metric", s))
		}
	}
	for _, s := range series {
		r.series[s] = true
	}
	i := sort.Search(len(r.metrics), func(i int) bool { return r.metrics[i].name() >= name })
	r.metrics = append(r.metrics, nil)
	copy(r.metrics[i+1:], r.metrics[i:])
	r.metrics[i] = m
}

// WriteTo writes every metric in text exposition format, sorted by name.
// The output is rendered fully before being written so a slow writer never
// holds up registration or other scrapes.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	r.render(&buf)
	n, err := w.Write(buf.Bytes())
	if err != nil {
		return int64(n), fmt.Errorf("metrics: write exposition: %w", err)
	}
	return int64(n), nil
}

func (r *Registry) render(buf *bytes.Buffer) {
	r.mu.Lock()
	// Registered metrics are immutable apart from their atomics, so a
	// shallow copy is a consistent list to render outside the lock.
	ms := append([]metric(nil), r.metrics...)
	r.mu.Unlock()
	for _, m := range ms {
		m.write(buf)
	}
}

// Handler serves the registry over HTTP for Prometheus to scrape.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var buf bytes.Buffer
		r.render(&buf)
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Header().Set("Cache-Control", "no-store")
		if req.Method == http.MethodHead {
			return
		}
		// A failed write means the scraper went away; there is no one
		// left to report it to.
		_, _ = w.Write(buf.Bytes())
	})
}

// ValidName reports whether name matches [a-zA-Z_:][a-zA-Z0-9_:]*.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == ':':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// desc is the name and help text shared by every metric type.
type desc struct {
	n    string
	help string
}

func (d *desc) name() string { return d.n }

// writeHeader writes the HELP (if any) and TYPE lines.
func (d *desc) writeHeader(buf *bytes.Buffer, typ string) {
	if d.help != "" {
		buf.WriteString("# HELP ")
		buf.WriteString(d.n)
		buf.WriteByte(' ')
		buf.WriteString(escapeHelp(d.help))
		buf.WriteByte('\n')
	}
	buf.WriteString("# TYPE ")
	buf.WriteString(d.n)
	buf.WriteByte(' ')
	buf.WriteString(typ)
	buf.WriteByte('\n')
}

// escapeHelp applies the exposition format's HELP escaping: only backslash
// and newline are special.
func escapeHelp(s string) string {
	if !strings.ContainsAny(s, "\\\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Counter is a monotonically increasing uint64. Use Registry.Counter.
type Counter struct {
	desc
	v atomic.Uint64
}

// Add increases the counter by n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Inc increases the counter by one.
func (c *Counter) Inc() { c.v.Add(1) }

// Value returns the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

func (c *Counter) write(buf *bytes.Buffer) {
	c.writeHeader(buf, "counter")
	buf.WriteString(c.n)
	buf.WriteByte(' ')
	buf.WriteString(strconv.FormatUint(c.v.Load(), 10))
	buf.WriteByte('\n')
}

// Gauge is an int64 that can go up and down. Use Registry.Gauge.
type Gauge struct {
	desc
	v atomic.Int64
}

// Set sets the gauge to v.
func (g *Gauge) Set(v int64) { g.v.Store(v) }

// Add adds d (which may be negative) to the gauge.
func (g *Gauge) Add(d int64) { g.v.Add(d) }

// Value returns the current value.
func (g *Gauge) Value() int64 { return g.v.Load() }

func (g *Gauge) write(buf *bytes.Buffer) {
	g.writeHeader(buf, "gauge")
	buf.WriteString(g.n)
	buf.WriteByte(' ')
	buf.WriteString(strconv.FormatInt(g.v.Load(), 10))
	buf.WriteByte('\n')
}

type gaugeFunc struct {
	desc
	f func() float64
}

func (g *gaugeFunc) write(buf *bytes.Buffer) {
	g.writeHeader(buf, "gauge")
	buf.WriteString(g.n)
	buf.WriteByte(' ')
	buf.WriteString(formatFloat(g.f()))
	buf.WriteByte('\n')
}

// Histogram counts observations into fixed buckets. Use Registry.Histogram.
type Histogram struct {
	desc
	bounds []float64
	// counts[i] is the number of observations in (bounds[i-1], bounds[i]];
	// the last element is the +Inf overflow bucket. Storing per-bucket
	// rather than cumulative counts makes Observe a single atomic add;
	// the scrape does the prefix sum.
	counts []atomic.Uint64
	// sumBits is the float64 bit pattern of the running sum.
	sumBits atomic.Uint64
}

// Observe records one observation of v seconds. As in client_golang, NaN
// lands in the +Inf bucket and makes the sum NaN.
func (h *Histogram) Observe(v float64) {
	// Bucket lists are short, and a linear scan beats binary search there.
	i := 0
	for i < len(h.bounds) && !(v <= h.bounds[i]) {
		i++
	}
	h.counts[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// Count returns the total number of observations.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Sum returns the sum of all observations.
func (h *Histogram) Sum() float64 { return math.Float64frombits(h.sumBits.Load()) }

func (h *Histogram) write(buf *bytes.Buffer) {
	h.writeHeader(buf, "histogram")
	// _count is derived from the same bucket loads as the +Inf bucket so
	// the two always agree within a scrape, even under concurrent
	// Observe calls. _sum may be one observation ahead or behind, which
	// Prometheus tolerates.
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(h.bounds) {
			le = formatFloat(h.bounds[i])
		}
		buf.WriteString(h.n)
		buf.WriteString(`_bucket{le="`)
		buf.WriteString(le)
		buf.WriteString(`"} `)
		buf.WriteString(strconv.FormatUint(cum, 10))
		buf.WriteByte('\n')
	}
	buf.WriteString(h.n)
	buf.WriteString("_sum ")
	buf.WriteString(formatFloat(h.Sum()))
	buf.WriteByte('\n')
	buf.WriteString(h.n)
	buf.WriteString("_count ")
	buf.WriteString(strconv.FormatUint(cum, 10))
	buf.WriteByte('\n')
}

// formatFloat renders v as the exposition format expects, with the special
// values spelled the way Prometheus parses them.
func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
