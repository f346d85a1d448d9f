package ttlcache_test

import (
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/ttlcache"
)

func TestCache(t *testing.T) {
	c := &ttlcache.Cache[string, int]{TTL: 50 * time.Millisecond, Max: 2}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := c.Generation()
	c.Put("a", 1, g, now)
	if v, ok := c.Get("a", now); !ok || v != 1 {
		t.Fatalf("Get = %v %v", v, ok)
	}
	// A value read before an invalidation is not cached after it.
	g = c.Generation()
	c.Invalidate()
	c.Put("b", 2, g, now)
	if _, ok := c.Get("b", now); ok {
		t.Error("a value read before Invalidate was cached")
	}
	if _, ok := c.Get("a", now); ok {
		t.Error("Invalidate did not drop a")
	}
	// Entries expire after TTL, by the caller's clock.
	c.Put("c", 3, c.Generation(), now)
	if _, ok := c.Get("c", now.Add(50*time.Millisecond)); !ok {
		t.Error("entry expired before its TTL")
	}
	if _, ok := c.Get("c", now.Add(51*time.Millisecond)); ok {
		t.Error("entry outlived its TTL")
	}
	// Max bounds the size.
	g = c.Generation()
	c.Put("x", 1, g, now)
	c.Put("y", 2, g, now)
	c.Put("z", 3, g, now)
	if _, ok := c.Get("x", now); ok {
		t.Error("cache grew past Max")
	}
}
