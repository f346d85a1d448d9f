package events_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/audit"
	"github.com/connectfed/connectfed/events"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/metrics"
)

// TestSinkFeedsAuditMetricsAndLog: every kind lands in the audit trail
// under its name, the token and sign-in kinds move their counters, and the
// log carries the lifecycle kinds (refresh reuse as a warning) but not
// writes or issues.
func TestSinkFeedsAuditMetricsAndLog(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	rec := &audit.Recorder{Store: store, Log: slog.New(slog.DiscardHandler)}
	var logBuf bytes.Buffer
	met := metrics.NewServer()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sink := &events.Sink{Audit: rec, Metrics: met, Log: slog.New(slog.NewTextHandler(&logBuf, nil)), Now: func() time.Time { return at }}

	base := connectfed.Event{AccountID: "111122223333", Instance: "inst-1", Target: "user-1", Family: "fam-1",
		Caller: "arn:aws:sts::111122223333:assumed-role/R/alice", Source: "127.0.0.1:1", RequestID: "req-1"}
	kinds := []connectfed.EventKind{connectfed.EventTokenIssued, connectfed.EventTokenRefreshed, connectfed.EventTokenRevoked,
		connectfed.EventRefreshReuse, connectfed.EventSignIn, connectfed.EventSignOut}
	for _, k := range kinds {
		e := base
		e.Kind = k
		sink.Emit(ctx, e)
	}
	sink.Emit(ctx, connectfed.Event{Kind: connectfed.EventWrite, Op: "CreateUser", AccountID: "111122223333", Target: "arn:x"})

	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _, err := audit.Query(ctx, store, "111122223333", at.Add(-time.Hour), at.Add(time.Hour), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range recs {
		names = append(names, r.Event)
	}
	want := "token-issued token-refreshed token-revoked refresh-reuse-detected sign-in sign-out CreateUser"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("audit events %q, want %q", got, want)
	}
	if r := recs[0]; r.Target != "user-1" || r.Instance != "inst-1" || r.Detail != "family=fam-1" || r.Caller != base.Caller ||
		r.RequestID != "req-1" || r.Source != "127.0.0.1:1" || !r.Time.Equal(at) {
		t.Errorf("audit record %+v", r)
	}

	for name, got := range map[string]uint64{
		"issued":        met.TokensIssued.Value(),
		"refreshed":     met.TokensRefreshed.Value(),
		"revoked api":   met.TokensRevoked.Value("api"),
		"revoked reuse": met.TokensRevoked.Value("refresh-reuse"),
		"sign-in":       met.SignIns.Value("sign-in"),
		"sign-out":      met.SignIns.Value("sign-out"),
	} {
		if got != 1 {
			t.Errorf("counter %s = %d, want 1", name, got)
		}
	}

	log := logBuf.String()
	for _, want := range []string{"event=token-refreshed", "event=token-revoked", "level=WARN msg=\"federation event\" event=refresh-reuse-detected",
		"event=sign-in", "event=sign-out", "user=user-1", "family=fam-1"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, unwanted := range []string{"token-issued", "CreateUser"} {
		if strings.Contains(log, unwanted) {
			t.Errorf("log has %q (the access log says it):\n%s", unwanted, log)
		}
	}
}
