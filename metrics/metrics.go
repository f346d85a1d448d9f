// Package metrics is a small Prometheus registry: labelled counters and
// histograms, written in the text exposition format. It has no
// dependencies, so every package can count without pulling in a client
// library.
package metrics

import (
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

// Registry holds metrics in registration order.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
}

type metric interface {
	write(w io.Writer)
}

// labelKey joins label values; \xff cannot appear in valid UTF-8.
func labelKey(values []string) string { return strings.Join(values, "\xff") }

func labelPairs(names, values []string, extra ...string) string {
	if len(names) == 0 && len(extra) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escape(values[i]))
		b.WriteByte('"')
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(extra[i])
		b.WriteString(`="`)
		b.WriteString(extra[i+1])
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

// CounterVec is a counter with labels.
type CounterVec struct {
	name, help string
	labels     []string
	mu         sync.RWMutex
	series     map[string]*counterSeries
}

type counterSeries struct {
	values []string
	n      atomic.Uint64
}

// Counter registers a counter.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{name: name, help: help, labels: labels, series: map[string]*counterSeries{}}
	r.mu.Lock()
	r.metrics = append(r.metrics, c)
	r.mu.Unlock()
	return c
}

// Inc adds one to the series with these label values.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// Add adds n to the series with these label values.
func (c *CounterVec) Add(n uint64, values ...string) {
	k := labelKey(values)
	c.mu.RLock()
	s := c.series[k]
	c.mu.RUnlock()
	if s == nil {
		c.mu.Lock()
		if s = c.series[k]; s == nil {
			s = &counterSeries{values: append([]string(nil), values...)}
			c.series[k] = s
		}
		c.mu.Unlock()
	}
	s.n.Add(n)
}

// Value returns the current count of a series (for tests).
func (c *CounterVec) Value(values ...string) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if s := c.series[labelKey(values)]; s != nil {
		return s.n.Load()
	}
	return 0
}

func (c *CounterVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	c.mu.RLock()
	keys := make([]string, 0, len(c.series))
	for k := range c.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := c.series[k]
		fmt.Fprintf(w, "%s%s %d\n", c.name, labelPairs(c.labels, s.values), s.n.Load())
	}
	c.mu.RUnlock()
}

// HistogramVec is a histogram with labels.
type HistogramVec struct {
	name, help string
	labels     []string
	buckets    []float64
	mu         sync.RWMutex
	series     map[string]*histSeries
}

type histSeries struct {
	values []string
	counts []atomic.Uint64 // one per bucket, plus +Inf
	sum    atomic.Uint64   // float64 bits
}

// Histogram registers a histogram with upper bucket bounds.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	h := &HistogramVec{name: name, help: help, labels: labels, buckets: buckets, series: map[string]*histSeries{}}
	r.mu.Lock()
	r.metrics = append(r.metrics, h)
	r.mu.Unlock()
	return h
}

// Observe records one value.
func (h *HistogramVec) Observe(v float64, values ...string) {
	k := labelKey(values)
	h.mu.RLock()
	s := h.series[k]
	h.mu.RUnlock()
	if s == nil {
		h.mu.Lock()
		if s = h.series[k]; s == nil {
			s = &histSeries{values: append([]string(nil), values...), counts: make([]atomic.Uint64, len(h.buckets)+1)}
			h.series[k] = s
		}
		h.mu.Unlock()
	}
	i := sort.SearchFloat64s(h.buckets, v)
	s.counts[i].Add(1)
	for {
		old := s.sum.Load()
		if s.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
}

func (h *HistogramVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	h.mu.RLock()
	keys := make([]string, 0, len(h.series))
	for k := range h.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := h.series[k]
		var cum uint64
		for i, b := range h.buckets {
			cum += s.counts[i].Load()
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelPairs(h.labels, s.values, "le", strconv.FormatFloat(b, 'g', -1, 64)), cum)
		}
		cum += s.counts[len(h.buckets)].Load()
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelPairs(h.labels, s.values, "le", "+Inf"), cum)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, labelPairs(h.labels, s.values), strconv.FormatFloat(math.Float64frombits(s.sum.Load()), 'g', -1, 64))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, labelPairs(h.labels, s.values), cum)
	}
	h.mu.RUnlock()
}

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		r.mu.Lock()
		ms := append([]metric(nil), r.metrics...)
		r.mu.Unlock()
		for _, m := range ms {
			m.write(w)
		}
	})
}

// LatencyBuckets are seconds, from 100µs to 10s.
var LatencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Server is the set of metrics connectfed exposes.
type Server struct {
	Registry        *Registry
	Requests        *CounterVec   // service, operation, code ("" = success)
	Latency         *HistogramVec // service, operation
	TokensIssued    *CounterVec
	TokensRefreshed *CounterVec
	TokensRevoked   *CounterVec // reason
	SignIns         *CounterVec // result
	Throttled       *CounterVec // reason: concurrency, account, web, quota
	FaultsInjected  *CounterVec // operation, error
	ExpiredDeleted  *CounterVec // entries deleted by the expiry sweep
}

// NewServer registers connectfed's metrics.
func NewServer() *Server {
	r := &Registry{}
	return &Server{
		Registry:        r,
		Requests:        r.Counter("connectfed_requests_total", "Requests by service (an AWS service, or web/ops for connectfed's own endpoints), operation (or route) and error code (empty on success).", "service", "operation", "code"),
		Latency:         r.Histogram("connectfed_request_duration_seconds", "Request latency by service and operation.", LatencyBuckets, "service", "operation"),
		TokensIssued:    r.Counter("connectfed_tokens_issued_total", "Federation token families issued by GetFederationToken."),
		TokensRefreshed: r.Counter("connectfed_tokens_refreshed_total", "Refresh token exchanges."),
		TokensRevoked:   r.Counter("connectfed_tokens_revoked_total", "Token families revoked, by reason.", "reason"),
		SignIns:         r.Counter("connectfed_signins_total", "Browser sign-ins and sign-outs, by result.", "result"),
		Throttled:       r.Counter("connectfed_throttled_total", "Requests refused with ThrottlingException, by reason.", "reason"),
		FaultsInjected:  r.Counter("connectfed_faults_injected_total", "Injected faults, by operation and error.", "operation", "error"),
		ExpiredDeleted:  r.Counter("connectfed_expired_deleted_total", "Entries deleted by the expiry sweep once their expiry passed (used and revoked tokens, sessions, audit records past retention)."),
	}
}
