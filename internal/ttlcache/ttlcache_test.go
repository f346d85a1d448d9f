package ttlcache_test

import (
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/ttlcache"
)

func TestCache(t *testing.T) {
	c := &ttlcache.Cache[string, int]{TTL: 50 * time.Millisecond, Max: 2}
	g := c.Generation()
	c.Put("a", 1, g)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get = %v %v", v, ok)
	}
	// A value read before an invalidation is not cached after it.
	g = c.Generation()
	c.Invalidate()
	c.Put("b", 2, g)
	if _, ok := c.Get("b"); ok {
		t.Error("a value read before Invalidate was cached")
	}
	if _, ok := c.Get("a"); ok {
		t.Error("Invalidate did not drop a")
	}
	// Entries expire after TTL.
	c.Put("c", 3, c.Generation())
	time.Sleep(70 * time.Millisecond)
	if _, ok := c.Get("c"); ok {
		t.Error("entry outlived its TTL")
	}
	// Max bounds the size.
	g = c.Generation()
	c.Put("x", 1, g)
	c.Put("y", 2, g)
	c.Put("z", 3, g)
	if _, ok := c.Get("x"); ok {
		t.Error("cache grew past Max")
	}
}
