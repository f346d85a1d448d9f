package ccp

import "testing"

// One account's agents cannot hold every push stream the server allows:
// another account's CCP still gets one.
func TestStreamsFairAcrossAccounts(t *testing.T) {
	h := &Handler{MaxStreams: 2 * MaxAccountStreams}
	taken := 0
	for i := 0; i < 2*MaxAccountStreams; i++ {
		if h.takeStream("111111111111", string(rune('a'+i%26))+string(rune('a'+i/26))) {
			taken++
		}
	}
	if taken > MaxAccountStreams {
		t.Fatalf("one account holds %d streams, more than its %d", taken, MaxAccountStreams)
	}
	if !h.takeStream("222222222222", "other") {
		t.Fatal("another account's CCP refused a stream")
	}
	if h.takeStream("111111111111", "fresh") {
		t.Fatal("the full account took another stream")
	}
	h.releaseStream("111111111111", "aa")
	if !h.takeStream("111111111111", "fresh") {
		t.Fatal("a released stream was not reusable")
	}
	// The per-session cap still holds.
	for i := 0; i < MaxSessionStreams; i++ {
		if !h.takeStream("333333333333", "tabs") {
			t.Fatalf("stream %d of a session refused", i+1)
		}
	}
	if h.takeStream("333333333333", "tabs") {
		t.Fatal("a session opened more than MaxSessionStreams streams")
	}
}
