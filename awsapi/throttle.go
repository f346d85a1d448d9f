package awsapi

import (
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
type Throttler struct {
	Rates map[string]Rate // by operation name, "*" for the rest
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
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
	if t.buckets == nil {
		t.buckets = map[string]*bucket{}
	}
	b := t.buckets[key]
	if b == nil {
		b = &bucket{tokens: r.Burst, last: now}
		t.buckets[key] = b
	}
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
