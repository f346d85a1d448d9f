// Package audit keeps the audit trail: every federation event (token
// issued, refreshed, reuse detected, revoked, sign-in, sign-out) and every
// IAM and Connect write, with time, account, caller, target, source address
// and request id, queryable by account and time range.
//
// Records are written in batches off the request path (at most FlushEvery
// after the event), so issuing a token never waits for an audit fsync. A
// crash can lose the last unflushed batch: audit is evidence about what
// happened, never the state clients were told about.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"connectfed"
)

const kind = "audit"

// Record is one audit entry.
type Record struct {
	Time      time.Time `json:"time"`
	AccountID string    `json:"accountId"`
	Event     string    `json:"event"`
	Caller    string    `json:"caller,omitempty"`
	Target    string    `json:"target,omitempty"`
	Instance  string    `json:"instance,omitempty"`
	Source    string    `json:"source,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	seq       uint64
}

// key orders records by account, then time, then a per-process sequence
// that keeps records of one instant distinct.
func (r *Record) key() string {
	return r.AccountID + "/" + r.Time.UTC().Format("20060102T150405.000000000Z") + "/" + fmt.Sprintf("%016x", r.seq) + "/" + r.RequestID
}

// Recorder batches records into the store.
type Recorder struct {
	Store      connectfed.Store
	Log        *slog.Logger
	FlushEvery time.Duration

	mu      sync.Mutex
	pending []Record
	seq     uint64
	kick    chan struct{}
	done    chan struct{}
	stop    context.CancelFunc
}

// Start begins flushing in the background.
func (r *Recorder) Start() {
	if r.FlushEvery <= 0 {
		r.FlushEvery = 200 * time.Millisecond
	}
	r.kick = make(chan struct{}, 1)
	r.done = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go r.loop(ctx)
}

// maxPending bounds memory when the store is down: older records are
// dropped (and the drop is logged) rather than growing without limit.
const maxPending = 100_000

// Add queues a record. It never blocks on the store.
func (r *Recorder) Add(rec Record) {
	r.mu.Lock()
	r.seq++
	rec.seq = r.seq
	if len(r.pending) >= maxPending {
		r.pending = r.pending[1:]
		r.Log.Warn("audit backlog full: dropping the oldest record")
	}
	r.pending = append(r.pending, rec)
	n := len(r.pending)
	r.mu.Unlock()
	if n >= 1000 {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

func (r *Recorder) loop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Flush(context.Background())
			return
		case <-t.C:
		case <-r.kick:
		}
		r.Flush(ctx)
	}
}

// Flush writes what is queued. On failure the records stay queued.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := r.Store.Update(ctx, func(tx connectfed.Tx) error {
		for i := range batch {
			b, err := json.Marshal(&batch[i])
			if err != nil {
				return err
			}
			if err := tx.Create(kind, batch[i].key(), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.mu.Lock()
		r.pending = append(batch, r.pending...)
		r.mu.Unlock()
		r.Log.Warn("audit flush failed; will retry", "records", len(batch), "err", err)
	}
	return err
}

// Close flushes and stops.
func (r *Recorder) Close() {
	if r.stop != nil {
		r.stop()
		<-r.done
	}
}

// Query returns up to limit records of an account with from <= time < to,
// oldest first, after the cursor (a record key from a previous page); it
// returns the cursor of the last record read.
func Query(ctx context.Context, store connectfed.Store, accountID string, from, to time.Time, after string, limit int) ([]Record, string, error) {
	prefix := accountID + "/"
	// The store's cursor is exclusive: start just after every key of the
	// instant before from.
	if start := prefix + from.Add(-time.Nanosecond).UTC().Format("20060102T150405.000000000Z") + "\xff"; after < start {
		after = start
	}
	end := prefix + to.UTC().Format("20060102T150405.000000000Z")
	var out []Record
	last := ""
	err := store.View(ctx, func(tx connectfed.Tx) error {
		entries, err := tx.List(kind, prefix, after, limit)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Key >= end {
				break
			}
			var rec Record
			if err := json.Unmarshal(e.Value, &rec); err != nil {
				return err
			}
			out = append(out, rec)
			last = e.Key
		}
		return nil
	})
	if len(out) < limit {
		last = ""
	}
	return out, last, err
}

// FromAttrs builds a record from an event's slog-style attributes.
func FromAttrs(now time.Time, event string, attrs ...any) Record {
	rec := Record{Time: now, Event: event}
	for i := 0; i+1 < len(attrs); i += 2 {
		k, _ := attrs[i].(string)
		v := fmt.Sprint(attrs[i+1])
		switch k {
		case "account":
			rec.AccountID = v
		case "caller":
			rec.Caller = v
		case "user", "target":
			rec.Target = v
		case "instance":
			rec.Instance = v
		case "source":
			rec.Source = v
		case "request_id":
			rec.RequestID = v
		case "family":
			rec.Detail = strings.TrimSpace(rec.Detail + " family=" + v)
		case "reason":
			rec.Detail = strings.TrimSpace(rec.Detail + " reason=" + v)
		}
	}
	return rec
}
