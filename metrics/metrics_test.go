package metrics_test

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/connectfed/connectfed/metrics"
)

func TestExposition(t *testing.T) {
	r := &metrics.Registry{}
	c := r.Counter("req_total", "Requests.", "op", "code")
	h := r.Histogram("lat_seconds", "Latency.", []float64{0.1, 1}, "op")
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Inc("Describe", "")
			h.Observe(0.05, "Describe")
		}()
	}
	wg.Wait()
	c.Inc("Create", `Bad"Quote`)
	h.Observe(0.5, "Describe")
	h.Observe(7, "Describe")
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		"# TYPE req_total counter",
		`req_total{op="Describe",code=""} 50`,
		`req_total{op="Create",code="Bad\"Quote"} 1`,
		`lat_seconds_bucket{op="Describe",le="0.1"} 50`,
		`lat_seconds_bucket{op="Describe",le="1"} 51`,
		`lat_seconds_bucket{op="Describe",le="+Inf"} 52`,
		`lat_seconds_count{op="Describe"} 52`,
		`lat_seconds_sum{op="Describe"} 10`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
	if c.Value("Describe", "") != 50 {
		t.Errorf("Value = %d", c.Value("Describe", ""))
	}
}
