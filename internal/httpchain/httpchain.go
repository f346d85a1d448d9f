// Package httpchain is the one middleware chain every endpoint runs in: the
// AWS API, the browser pages, the token endpoints, the admin calls and the
// operational endpoints. It gives each request an id (x-amzn-RequestId),
// recovers panics as a 500, caps concurrent work per class of endpoint,
// and writes one access-log line and the request metrics when the request
// ends. Handlers fill in what only they learn (service, operation, account,
// error type) through Info.
package httpchain

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/metrics"
)

// Info is what the access log and the metrics say about one request.
// Handlers set the fields they know; the chain sets the rest.
type Info struct {
	ID    string
	Start time.Time
	// Service and Op name the endpoint: an AWS service and operation, or
	// for connectfed's own endpoints "web"/"ops" and a fixed route name.
	// Never a value the caller chooses freely: they are metric labels.
	Service, Op string
	Account     string
	Caller      string
	// ErrType is the error code answered ("" on success); a metric label
	// too, so only codes from a fixed set.
	ErrType string
	// Status is the HTTP status written.
	Status int
}

type ctxKey struct{}

// From returns the request's Info, or nil outside a chain.
func From(ctx context.Context) *Info {
	i, _ := ctx.Value(ctxKey{}).(*Info)
	return i
}

// Route names a request no handler named, from the mux pattern it matched
// (r.Pattern, empty when none did).
type Route func(r *http.Request) (service, op string)

// Chain wraps handlers.
type Chain struct {
	Log     *slog.Logger
	Metrics *metrics.Server
	Now     func() time.Time
	// Route names requests the handler did not name; nil names them
	// ("unknown", "unknown").
	Route Route

	active atomic.Int64
}

// Active is the number of requests in progress.
func (c *Chain) Active() int64 { return c.active.Load() }

// Writer records the status for the access log; http.ResponseController
// reaches the connection through Unwrap.
type Writer struct {
	http.ResponseWriter
	info  *Info
	wrote bool
}

// WriteHeader records the first status.
func (w *Writer) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.info.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *Writer) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap returns the underlying writer.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (c *Chain) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Wrap returns h inside the chain.
func (c *Chain) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c.active.Add(1)
		defer c.active.Add(-1)
		st := &struct { // one allocation for both
			info Info
			w    Writer
		}{info: Info{ID: connectfed.NewUUID(), Start: c.now()}}
		info, w := &st.info, &st.w
		*w = Writer{ResponseWriter: rw, info: info}
		rw.Header().Set("x-amzn-RequestId", info.ID)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					c.finish(r, info)
					panic(p)
				}
				c.log().Error("panic serving a request", "request_id", info.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				info.ErrType = connectfed.InternalFailure.String()
				if !w.wrote {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.Header().Set("Connection", "close")
					w.WriteHeader(http.StatusInternalServerError)
					w.Write([]byte("internal error; request id " + info.ID + "\n"))
				}
			}
			c.finish(r, info)
		}()
		h.ServeHTTP(w, r)
	})
}

func (c *Chain) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// finish writes the access-log line and the metrics of one request.
func (c *Chain) finish(r *http.Request, info *Info) {
	if info.Status == 0 {
		info.Status = http.StatusOK
	}
	if info.Service == "" && c.Route != nil {
		info.Service, info.Op = c.Route(r)
	}
	if info.Service == "" {
		info.Service = "unknown"
	}
	if info.Op == "" {
		info.Op = "unknown"
	}
	if info.ErrType == "" && info.Status >= 400 {
		// Endpoints that answer without an AWS error code are labelled by
		// their status: a bounded set.
		info.ErrType = strconv.Itoa(info.Status)
	}
	lat := c.now().Sub(info.Start)
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("request_id", info.ID), slog.String("service", info.Service), slog.String("op", info.Op),
		slog.Int("status", info.Status), slog.Float64("latency_ms", float64(lat.Microseconds())/1000))
	if info.Account != "" {
		attrs = append(attrs, slog.String("account", info.Account))
	}
	if info.Caller != "" {
		attrs = append(attrs, slog.String("caller", info.Caller))
	}
	if info.ErrType != "" {
		attrs = append(attrs, slog.String("error", info.ErrType))
	}
	c.log().LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	if c.Metrics != nil {
		c.Metrics.Requests.Inc(info.Service, info.Op, info.ErrType)
		c.Metrics.Latency.Observe(lat.Seconds(), info.Service, info.Op)
	}
}
