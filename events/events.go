// Package events is the one sink of connectfed.Event: it records each event
// in the audit trail, counts it in the metrics and writes the log line, by
// the event's kind.
package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/audit"
	"github.com/connectfed/connectfed/metrics"
)

// Sink feeds the audit trail, the metrics and the log. Any of them may be
// nil.
type Sink struct {
	Audit   *audit.Recorder
	Metrics *metrics.Server
	Log     *slog.Logger
	Now     func() time.Time
}

var _ connectfed.EventSink = (*Sink)(nil)

// Emit implements connectfed.EventSink.
func (s *Sink) Emit(ctx context.Context, e connectfed.Event) {
	if s.Audit != nil {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		s.Audit.Add(audit.FromEvent(now(), e))
	}
	if m := s.Metrics; m != nil {
		switch e.Kind {
		case connectfed.EventTokenIssued:
			m.TokensIssued.Inc()
		case connectfed.EventTokenRefreshed:
			m.TokensRefreshed.Inc()
		case connectfed.EventTokenRevoked:
			m.TokensRevoked.Inc("api")
		case connectfed.EventRefreshReuse:
			m.TokensRevoked.Inc("refresh-reuse")
		case connectfed.EventSignIn, connectfed.EventSignOut:
			m.SignIns.Inc(e.Kind.String())
		}
	}
	if s.Log != nil {
		s.log(ctx, e)
	}
}

// log writes the token lifecycle and sign-in events. Writes and issues are
// not logged here: the request's access log line (and the audit trail)
// already say them.
func (s *Sink) log(ctx context.Context, e connectfed.Event) {
	level := slog.LevelInfo
	switch e.Kind {
	case connectfed.EventTokenRefreshed, connectfed.EventTokenRevoked, connectfed.EventSignIn, connectfed.EventSignOut:
	case connectfed.EventRefreshReuse:
		level = slog.LevelWarn
	default:
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("event", e.Name()))
	for _, f := range [...]struct{ k, v string }{
		{"request_id", e.RequestID}, {"account", e.AccountID}, {"instance", e.Instance}, {"user", e.Target},
		{"family", e.Family}, {"caller", e.Caller}, {"source", e.Source},
	} {
		if f.v != "" {
			attrs = append(attrs, slog.String(f.k, f.v))
		}
	}
	s.Log.LogAttrs(ctx, level, "federation event", attrs...)
}
