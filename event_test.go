package connectfed

import "testing"

// TestEventKindNames: every kind has a name, and no two share one.
func TestEventKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := EventWrite; int(k) < len(eventNames); k++ {
		if k.String() == "" || seen[k.String()] {
			t.Errorf("kind %d has name %q (empty or repeated)", k, k.String())
		}
		seen[k.String()] = true
	}
	if EventKind(len(eventNames)).String() != "" {
		t.Error("an out-of-range kind has a name")
	}
}
