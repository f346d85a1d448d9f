// Package audit keeps the audit trail: every federation event (token
// issued, refreshed, reuse detected, revoked, sign-in, sign-out) and every
// IAM and Connect write, with time, account, caller, target, source address
// and request id, queryable by account and time range.
//
// Records are written in batches off the request path (at most FlushEvery,
// 100 ms by default, after the event), so issuing a token never waits for an audit fsync. A
// crash can lose the last unflushed batch: audit is evidence about what
// happened, never the state clients were told about. A batch is stored as
// chunks of up to chunkSize records of one account, each under the key
// "<account>/<time of its first record>/<sequence>", so a busy server
// writes a few rows per flush rather than one per event.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/internal/jsonenc"
)

var kind = connectfed.RegisterKind("audit", "audit")

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

const chunkSize = 256

// chunkKey orders chunks by account, then the time of their first record,
// then a per-process sequence that keeps chunks of one instant distinct.
func chunkKey(first *Record) string {
	return first.AccountID + "/" + timeKey(first.Time) + "/" + fmt.Sprintf("%016x", first.seq)
}

func timeKey(t time.Time) string { return t.UTC().Format("20060102T150405.000000000Z") }

// maxChunkSpan bounds how far a chunk's records are from its first one, so
// a query knows how far back to look for chunks overlapping its start.
const maxChunkSpan = 10 * time.Second

// Recorder batches records into the store.
type Recorder struct {
	Store      connectfed.Store
	Log        *slog.Logger
	FlushEvery time.Duration
	// Retention is how long records are kept: a chunk is deleted by the
	// store's garbage collection once its newest record is older. 0 keeps
	// them forever.
	Retention time.Duration

	mu      sync.Mutex
	pending []pendingRecord
	seq     uint64
	kick    chan struct{}
	done    chan struct{}
	stop    context.CancelFunc
}

// Start begins flushing in the background.
func (r *Recorder) Start() {
	if r.FlushEvery <= 0 {
		r.FlushEvery = 100 * time.Millisecond
	}
	r.kick = make(chan struct{}, 1)
	r.done = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go r.loop(ctx)
}

// pendingRecord is a record already encoded when it was added, so a flush
// is a cheap concatenation rather than a burst of encoding that would delay
// requests.
type pendingRecord struct {
	rec  Record
	json []byte
}

// maxPending bounds memory when the store is down: older records are
// dropped (and the drop is logged) rather than growing without limit.
const maxPending = 100_000

// Add queues a record. It never blocks on the store.
func (r *Recorder) Add(rec Record) {
	b := rec.appendJSON(make([]byte, 0, 512)) // a token event's record is 300-400 bytes
	r.mu.Lock()
	r.seq++
	rec.seq = r.seq
	if len(r.pending) >= maxPending {
		r.pending = r.pending[1:]
		r.Log.Warn("audit backlog full: dropping the oldest record")
	}
	r.pending = append(r.pending, pendingRecord{rec, b})
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
		for _, chunk := range chunks(batch) {
			n := 2
			for _, p := range chunk {
				n += len(p.json) + 1
			}
			b := make([]byte, 0, n)
			b = append(b, '[')
			for i, p := range chunk {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, p.json...)
			}
			b = append(b, ']')
			key := chunkKey(&chunk[0].rec)
			var err error
			if r.Retention > 0 {
				err = connectfed.CreateExpiring(tx, kind, key, b, chunk[len(chunk)-1].rec.Time.Add(r.Retention))
			} else {
				err = tx.Create(kind, key, b)
			}
			if err != nil {
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

// chunks groups a batch (in arrival order) by account into runs of at most
// chunkSize records spanning at most maxChunkSpan.
func chunks(batch []pendingRecord) [][]pendingRecord {
	byAccount := map[string][]pendingRecord{}
	var order []string
	for _, p := range batch {
		if _, ok := byAccount[p.rec.AccountID]; !ok {
			order = append(order, p.rec.AccountID)
		}
		byAccount[p.rec.AccountID] = append(byAccount[p.rec.AccountID], p)
	}
	var out [][]pendingRecord
	for _, acct := range order {
		recs := byAccount[acct]
		for len(recs) > 0 {
			n := 1
			for n < len(recs) && n < chunkSize && recs[n].rec.Time.Sub(recs[0].rec.Time) < maxChunkSpan {
				n++
			}
			out = append(out, recs[:n])
			recs = recs[n:]
		}
	}
	return out
}

// Pending is the number of records not yet written.
func (r *Recorder) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// Close flushes and stops.
func (r *Recorder) Close() {
	if r.stop != nil {
		r.stop()
		<-r.done
	}
}

// Query returns up to limit records of an account with from <= time < to,
// oldest first (records are stored in arrival order, which is time order
// within a replica), continuing after cursor (from a previous page; "" for
// the first). It returns the cursor for the next page, "" when there is
// none.
func Query(ctx context.Context, store connectfed.Store, accountID string, from, to time.Time, cursor string, limit int) ([]Record, string, error) {
	prefix := accountID + "/"
	// A chunk holding records at from may start up to maxChunkSpan earlier.
	after := prefix + timeKey(from.Add(-maxChunkSpan-time.Nanosecond)) + "\xff"
	skip := 0
	if cursor != "" {
		key, idx, ok := strings.Cut(cursor, "#")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 0 || !strings.HasPrefix(key, prefix) {
			return nil, "", connectfed.Errorf(connectfed.EINVALID, "malformed audit cursor")
		}
		// Resume inside the chunk the last page ended in.
		after, skip = predecessor(key), n
	}
	end := prefix + timeKey(to)
	var out []Record
	next := ""
	err := store.View(ctx, func(tx connectfed.Tx) error {
		for len(out) < limit {
			entries, err := tx.List(kind, prefix, after, 16)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				return nil
			}
			for _, e := range entries {
				if e.Key >= end {
					return nil
				}
				var chunk []Record
				if err := json.Unmarshal(e.Value, &chunk); err != nil {
					return err
				}
				for i := skip; i < len(chunk); i++ {
					r := chunk[i]
					if r.Time.Before(from) || !r.Time.Before(to) {
						continue
					}
					out = append(out, r)
					if len(out) == limit {
						// There may be no more; then the next page is empty.
						next = e.Key + "#" + strconv.Itoa(i+1)
						return nil
					}
				}
				skip = 0
				after = e.Key
			}
		}
		return nil
	})
	return out, next, err
}

// predecessor returns a key just below k that sorts after every key below
// k, so a List "after" it starts at k itself.
func predecessor(k string) string {
	if k == "" {
		return ""
	}
	b := []byte(k)
	if b[len(b)-1] == 0 {
		return string(b[:len(b)-1])
	}
	b[len(b)-1]--
	return string(b) + "\xff"
}

// appendJSON encodes a record as encoding/json would (Add is on the
// request path, so no reflection).
func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","accountId":`...)
	b = jsonenc.AppendString(b, r.AccountID)
	b = append(b, `,"event":`...)
	b = jsonenc.AppendString(b, r.Event)
	for _, f := range [...]struct{ name, v string }{
		{`,"caller":`, r.Caller}, {`,"target":`, r.Target}, {`,"instance":`, r.Instance},
		{`,"source":`, r.Source}, {`,"requestId":`, r.RequestID}, {`,"detail":`, r.Detail},
	} {
		if f.v != "" {
			b = append(b, f.name...)
			b = jsonenc.AppendString(b, f.v)
		}
	}
	return append(b, '}')
}

// FromEvent builds the record of an event at time now.
func FromEvent(now time.Time, e connectfed.Event) Record {
	rec := Record{Time: now, Event: e.Name(), AccountID: e.AccountID, Caller: e.Caller, Target: e.Target,
		Instance: e.Instance, Source: e.Source, RequestID: e.RequestID}
	if e.Family != "" {
		rec.Detail = "family=" + e.Family
	}
	return rec
}
