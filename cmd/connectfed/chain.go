package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/connectfed/connectfed/ccp"
	"github.com/connectfed/connectfed/internal/httpchain"
)

// maxWebBody bounds the body of a browser form or token endpoint call.
const maxWebBody = 64 << 10

// endpoints routes every request through the one middleware chain
// (request id, panic recovery, access log, metrics) and then by class:
//   - the AWS API (the mux's "/" catch-all, and paths not in clean form,
//     which the mux would answer with a redirect) goes to api, which
//     authenticates from the headers before taking any capacity;
//   - operational endpoints (/healthz, /readyz, /metrics, pprof) are served
//     as they are;
//   - everything else (browser pages, token endpoints) has its body read
//     under bodyTimeout, without holding a slot, and then takes one of
//     webSlots slots (429 when all are taken); the CCP's long-lived event
//     streams take none and are capped by the ccp package.
func endpoints(chain *httpchain.Chain, mux *httpchain.Routes, api http.Handler, webSlots int, bodyTimeout time.Duration) http.Handler {
	slots := make(chan struct{}, webSlots)
	chain.Route = func(r *http.Request) (string, string) {
		switch {
		case r.Pattern == "" || r.Pattern == "/":
			return "unknown", "unknown"
		case isOps(r.Pattern):
			return "ops", r.Pattern
		}
		return "web", r.Pattern
	}
	return chain.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
			strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") || !strings.HasPrefix(p, "/") {
			api.ServeHTTP(w, r)
			return
		}
		if mux.CatchAllOnly(p) { // an API request, known without asking the mux
			api.ServeHTTP(w, r)
			return
		}
		_, pattern := mux.Handler(r)
		switch {
		case pattern == "/":
			api.ServeHTTP(w, r)
			return
		case pattern == "" || isOps(pattern):
			mux.ServeHTTP(w, r)
			return
		case pattern == ccp.EventsPattern:
			// A CCP's push stream lasts as long as the page is open: it
			// would hold a slot for good, so the CCP caps its streams
			// itself instead.
			mux.ServeHTTP(w, r)
			return
		}
		if r.ContentLength != 0 {
			body, err := readWebBody(w, r, bodyTimeout)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				http.Error(w, "The request body was not received in time.", http.StatusRequestTimeout)
				return
			}
			// Any other failure (too large, malformed framing) reaches the
			// handler as a body that fails the same way, so each endpoint
			// answers it in its own shape.
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			if chain.Metrics != nil {
				chain.Metrics.Throttled.Inc("web")
			}
			w.Header().Set("Retry-After", "1")
			http.Error(w, "Too many requests in progress; try again.", http.StatusTooManyRequests)
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// errReader fails with err, or ends the body when err is nil.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}

func isOps(pattern string) bool {
	switch pattern {
	case "GET /healthz", "GET /readyz", "GET /metrics":
		return true
	}
	return strings.HasPrefix(pattern, "GET /debug/pprof/")
}

func readWebBody(w http.ResponseWriter, r *http.Request, timeout time.Duration) ([]byte, error) {
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebBody))
	if err != nil {
		w.Header().Set("Connection", "close")
	} else if deadline {
		rc.SetReadDeadline(time.Time{})
	}
	return b, err
}
