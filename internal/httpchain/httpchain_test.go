package httpchain

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/metrics"
)

func TestChain(t *testing.T) {
	var logs bytes.Buffer
	met := metrics.NewServer()
	c := &Chain{Log: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: met,
		Route: func(r *http.Request) (string, string) { return "web", "GET /page" }}
	h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/api":
			i := From(r.Context())
			i.Service, i.Op, i.Account, i.ErrType = "sts", "GetCallerIdentity", "123456789012", "AccessDenied"
			w.WriteHeader(403)
		case "/page":
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("the chain's writer hides the connection: %v", err)
			}
			w.Write([]byte("hi"))
		}
	}))
	for _, p := range []string{"/panic", "/api", "/page"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Header().Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: no request id", p)
		}
		if p == "/panic" && (rec.Code != 500 || !strings.Contains(rec.Body.String(), rec.Header().Get("x-amzn-RequestId"))) {
			t.Errorf("panic answered %d %q, want 500 naming the request id", rec.Code, rec.Body)
		}
	}
	out := logs.String()
	for _, want := range []string{
		"panic serving a request",
		"msg=request request_id=",
		"service=web op=\"GET /page\" status=500",
		"error=InternalFailure",
		"service=sts op=GetCallerIdentity status=403",
		"account=123456789012",
		"service=web op=\"GET /page\" status=200",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	rec := httptest.NewRecorder()
	met.Registry.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`connectfed_requests_total{service="web",operation="GET /page",code="InternalFailure"} 1`,
		`connectfed_requests_total{service="web",operation="GET /page",code=""} 1`,
		`connectfed_requests_total{service="sts",operation="GetCallerIdentity",code="AccessDenied"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
