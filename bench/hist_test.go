package main

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// nearestRank is the textbook percentile the histogram approximates.
func nearestRank(sorted []int64, p float64) int64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func TestBucketsAreContiguous(t *testing.T) {
	prevHi := int64(-1)
	for i := 0; i < numBuckets; i++ {
		lo, hi := bucketBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d = [%d, %d] but bucketOf gives %d and %d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if i >= subCount && float64(hi-lo+1)/float64(lo) > 1.0/subCount+1e-12 {
			t.Fatalf("bucket %d = [%d, %d] is wider than 1/%d of its value", i, lo, hi, subCount)
		}
		prevHi = hi
		if hi == math.MaxInt64 {
			return
		}
	}
	t.Fatalf("buckets end at %d, before MaxInt64", prevHi)
}

func TestPercentilesExactForSmallValues(t *testing.T) {
	h := NewHistogram()
	for v := 100; v >= 1; v-- { // order must not matter
		h.Record(time.Duration(v))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {99.9, 100}, {100, 100}, {1, 1}, {0.5, 1}} {
		if got := h.Percentile(c.p); got != c.want {
			t.Errorf("p%v of 1..100 = %v, want %v", c.p, got, c.want)
		}
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 || h.Mean() != 50 {
		t.Errorf("count/min/max/mean = %d %v %v %v", h.Count(), h.Min(), h.Max(), h.Mean())
	}
}

func TestPercentilesMatchSortedSample(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Two workers' histograms merged, as the load generator does: a
	// log-normal body around 400µs and a tail up to ~50ms.
	h1, h2 := NewHistogram(), NewHistogram()
	var all []int64
	for i := 0; i < 200_000; i++ {
		v := int64(math.Exp(r.NormFloat64()*0.5+math.Log(400e3))) + 1
		if i%1000 == 0 {
			v = int64(r.Float64()*50e6) + 1
		}
		all = append(all, v)
		if i%2 == 0 {
			h1.Record(time.Duration(v))
		} else {
			h2.Record(time.Duration(v))
		}
	}
	h := NewHistogram()
	h.Merge(h1)
	h.Merge(h2)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if h.Count() != uint64(len(all)) {
		t.Fatalf("count %d, want %d", h.Count(), len(all))
	}
	for _, p := range []float64{1, 10, 50, 90, 99, 99.9, 99.99, 100} {
		want := nearestRank(all, p)
		got := int64(h.Percentile(p))
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.5/subCount {
			t.Errorf("p%v = %d ns, sorted sample says %d ns (off by %.3f%%)", p, got, want, rel*100)
		}
	}
	if int64(h.Max()) != all[len(all)-1] || int64(h.Min()) != all[0] {
		t.Errorf("min/max %v %v, want %d %d", h.Min(), h.Max(), all[0], all[len(all)-1])
	}
}

func TestEmptyHistogram(t *testing.T) {
	h := NewHistogram()
	if h.Percentile(99) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Error("an empty histogram should report zeros")
	}
}
