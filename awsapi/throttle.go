package awsapi

import (
	"container/list"
	"sync"
	"time"
)

// Rate is a token bucket's refill rate (requests per second) and burst.
type Rate struct {
	PerSecond float64 `yaml:"rate" json:"rate"`
	Burst     float64 `yaml:"burst" json:"burst"`
}

// AWSConnectRates are Amazon Connect's documented API quotas: per account
// and region, 2 requests per second with a burst of 5 for GetFederationToken
// and every other operation served here.
var AWSConnectRates = map[string]Rate{"*": {PerSecond: 2, Burst: 5}}

// Throttler emulates AWS's per-account, per-region, per-operation token
// buckets. An operation is throttled by its own rate, or, for Connect
// operations, by the "*" rate; anything else is not throttled.
//
// The region is the client's to choose, so the buckets are bounded: past
// MaxBuckets the least recently used one is dropped (the idlest, usually
// full anyway; if it comes back it starts full).
type Throttler struct {
	Rates      map[string]Rate // by operation name, "*" for the rest
	Now        func() time.Time
	MaxBuckets int // 0: DefaultMaxBuckets

	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket, most recently used first
	lru     list.List
}

// DefaultMaxBuckets bounds a Throttler's buckets when MaxBuckets is 0.
const DefaultMaxBuckets = 100_000

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// Allow takes one token for (account, region, op) and reports whether
// there was one.
func (t *Throttler) Allow(account, region, service, op string) bool {
	r, ok := t.Rates[op]
	if !ok && service == "connect" {
		r, ok = t.Rates["*"]
	}
	if !ok {
		return true
	}
	now := t.Now()
	key := account + "/" + region + "/" + op
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.bucket(key, r, now)
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(r.Burst, b.tokens+dt*r.PerSecond)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// bucket returns key's bucket, made full if there is none, as the most
// recently used; t.mu is held.
func (t *Throttler) bucket(key string, r Rate, now time.Time) *bucket {
	if e, ok := t.buckets[key]; ok {
		t.lru.MoveToFront(e)
		return e.Value.(*bucket)
	}
	if t.buckets == nil {
		t.buckets = map[string]*list.Element{}
	}
	max := t.MaxBuckets
	if max <= 0 {
		max = DefaultMaxBuckets
	}
	for t.lru.Len() >= max {
		oldest := t.lru.Back()
		delete(t.buckets, t.lru.Remove(oldest).(*bucket).key)
	}
	b := &bucket{key: key, tokens: r.Burst, last: now}
	t.buckets[key] = t.lru.PushFront(b)
	return b
}

// Buckets is how many buckets the Throttler holds.
func (t *Throttler) Buckets() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}
