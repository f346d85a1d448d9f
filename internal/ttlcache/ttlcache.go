// Package ttlcache is a small read-through cache with a bound on staleness.
// An entry is served for at most TTL after it was read from the store, and
// Invalidate drops everything at once (a replica calls it on its own
// writes, so it never serves its own stale data; other replicas' writes are
// seen within TTL).
package ttlcache

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTTL and DefaultMax apply when TTL and Max are zero.
const (
	DefaultTTL = 500 * time.Millisecond
	DefaultMax = 100_000
)

// Cache maps keys to values read at a known generation and time. The zero
// value is ready to use with the defaults; a negative TTL disables it.
type Cache[K comparable, V any] struct {
	TTL time.Duration
	Max int // entries; past it the cache starts over

	mu sync.RWMutex
	m  map[K]entry[V]
	// sweepAt is the size at which Put next drops dead entries.
	sweepAt int
	gen     atomic.Uint64
}

type entry[V any] struct {
	v   V
	at  time.Time
	gen uint64
}

// Generation is read before a store read and passed to Put, so a value read
// before an Invalidate is never cached as if it were read after.
func (c *Cache[K, V]) Generation() uint64 { return c.gen.Load() }

// Get returns a value that is fresh at now (the caller's clock, so a test's
// clock governs expiry as it governs everything else).
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || e.gen != c.gen.Load() || now.Sub(e.at) > c.ttl() {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put caches a value read at generation gen and time now.
func (c *Cache[K, V]) Put(k K, v V, gen uint64, now time.Time) {
	if gen != c.gen.Load() || c.TTL < 0 {
		return
	}
	limit := c.Max
	if limit <= 0 {
		limit = DefaultMax
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= limit {
		c.m = map[K]entry[V]{}
		c.sweepAt = 0
	}
	if len(c.m) >= c.sweepAt {
		// Drop what can no longer be served (expired, or read before an
		// Invalidate), so keys read once (an STS session's access key)
		// do not stay until the map reaches Max. Amortized: the next
		// sweep waits until the map has doubled.
		ttl := c.ttl()
		for key, e := range c.m {
			if e.gen != gen || now.Sub(e.at) > ttl {
				delete(c.m, key)
			}
		}
		c.sweepAt = max(minSweep, 2*len(c.m))
	}
	c.m[k] = entry[V]{v: v, at: now, gen: gen}
	c.mu.Unlock()
}

// minSweep is the size below which the map is not swept.
const minSweep = 1024

// Invalidate makes every cached value stale.
func (c *Cache[K, V]) Invalidate() { c.gen.Add(1) }

func (c *Cache[K, V]) ttl() time.Duration {
	if c.TTL == 0 {
		return DefaultTTL
	}
	return c.TTL
}

// Len is the number of entries held (live or not yet swept).
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
