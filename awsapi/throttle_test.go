package awsapi

import (
	"strconv"
	"testing"
	"time"
)

// TestThrottlerBucketsAreBounded: a caller cycling through regions cannot
// grow the buckets past MaxBuckets; the bucket dropped is the least recently
// used, and the buckets in use keep their state.
func TestThrottlerBucketsAreBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := &Throttler{Rates: map[string]Rate{"*": {PerSecond: 1, Burst: 2}}, Now: func() time.Time { return now }, MaxBuckets: 3}

	// Empty the home bucket and one region's (the clock stands still: no
	// refill).
	for th.Allow("111122223333", "region-0", "connect", "ListUsers") {
	}
	for th.Allow("111122223333", "us-east-1", "connect", "ListUsers") {
	}
	for i := 1; i < 1000; i++ {
		th.Allow("111122223333", "region-"+strconv.Itoa(i), "connect", "ListUsers")
		// The home bucket stays in use, so it is never the one dropped.
		if th.Allow("111122223333", "us-east-1", "connect", "ListUsers") {
			t.Fatalf("after %d other regions the empty bucket allowed a call: it was dropped and refilled", i)
		}
		if n := th.Buckets(); n > 3 {
			t.Fatalf("%d buckets, want at most 3", n)
		}
	}
	// region-0's empty bucket was dropped; it comes back full.
	if !th.Allow("111122223333", "region-0", "connect", "ListUsers") {
		t.Error("a dropped bucket did not come back full")
	}
	if n := th.Buckets(); n != 3 {
		t.Errorf("%d buckets, want 3", n)
	}
}
