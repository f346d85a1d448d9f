package main

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records durations in log-linear buckets, HDR style: values
// below 2^subBits nanoseconds are exact, and above that every power-of-two
// range is split into 2^subBits equal buckets, so a recorded value is known
// to within 1/128 (0.78%) of itself. It is not safe for concurrent use: each
// load worker keeps its own and they are merged at the end.
type Histogram struct {
	counts []uint64
	n      uint64
	sum    float64 // nanoseconds
	min    int64
	max    int64
}

const (
	subBits  = 7
	subCount = 1 << subBits // 128
	// Enough buckets for any int64: 128 exact values, then 64-subBits
	// shifts of 128 sub-buckets each.
	numBuckets = subCount + (64-subBits)*subCount
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, numBuckets), min: math.MaxInt64}
}

// bucketOf maps a value in nanoseconds (>= 0) to its bucket.
func bucketOf(v int64) int {
	if v < subCount {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	u := uint64(v)
	shift := bits.Len64(u) - (subBits + 1) // so that u>>shift is in [128, 255]
	return subCount + shift*subCount + int(u>>uint(shift)) - subCount
}

// bucketBounds is the smallest and largest value that map to bucket i.
func bucketBounds(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i)
	}
	shift := (i - subCount) / subCount
	m := int64(subCount + (i-subCount)%subCount)
	lo = m << uint(shift)
	hi = ((m + 1) << uint(shift)) - 1
	return lo, hi
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest recorded value (0 when empty).
func (h *Histogram) Max() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.max)
}

// Min is the smallest recorded value (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.min)
}

// Mean is the exact mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Percentile returns the value at percentile p (0 < p <= 100) by the
// nearest-rank definition: the smallest recorded value such that at least
// p% of the values are at or below it. The answer is the midpoint of that
// value's bucket (exact below 128 ns), clamped to the recorded min and max,
// so it is within 0.4% of the true nearest-rank value.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if p <= 0 {
		return time.Duration(h.min)
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = max(1, min(rank, h.n))
	var seen uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		if seen >= rank {
			lo, hi := bucketBounds(i)
			v := lo + (hi-lo)/2
			v = max(v, h.min)
			v = min(v, h.max)
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}
