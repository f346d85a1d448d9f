package ttlcache_test

import (
	"fmt"
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

// TestDeadEntriesGoAway: keys read once and never again (an STS session's
// access key) do not pile up until Max: the map is swept as it grows.
func TestDeadEntriesGoAway(t *testing.T) {
	var c ttlcache.Cache[string, int]
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 20000; i++ {
		now = now.Add(time.Millisecond) // 500 live at a time
		c.Put(fmt.Sprint(i), i, c.Generation(), now)
		if i%5000 == 0 {
			c.Invalidate()
		}
	}
	if n := c.Len(); n > 2048 {
		t.Errorf("%d entries held for 500 live ones", n)
	}
	if v, ok := c.Get("19999", now); !ok || v != 19999 {
		t.Errorf("the newest entry: %v %v", v, ok)
	}
}
