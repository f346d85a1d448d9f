package memory

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestTreeAgainstAMap: random inserts, replacements and removes agree with
// a map; every old root still reads as it did (persistence); ascend visits
// keys in order from any bound; the heap order of priorities holds.
func TestTreeAgainstAMap(t *testing.T) {
	s := New()
	rng := rand.New(rand.NewPCG(1, 2))
	var root *node
	model := map[rkey]string{}
	type snap struct {
		root  *node
		model map[rkey]string
	}
	var snaps []snap
	for i := range 5000 {
		k := rkey{[]string{"a", "b", "ab"}[rng.IntN(3)], strconv.Itoa(rng.IntN(300))}
		if rng.IntN(3) == 0 {
			if _, ok := model[k]; ok {
				root = s.apply(root, op{k: k, del: true})
				delete(model, k)
			}
		} else {
			v := strconv.Itoa(i)
			root = s.apply(root, op{k: k, v: []byte(v)})
			model[k] = v
		}
		if i%500 == 0 {
			snaps = append(snaps, snap{root, maps.Clone(model)})
		}
	}
	snaps = append(snaps, snap{root, model})
	for i, sn := range snaps {
		var keys []rkey
		for k, v := range sn.model {
			if n := get(sn.root, k); n == nil || string(n.v) != v {
				t.Fatalf("snapshot %d: %v = %v, want %q", i, k, n, v)
			}
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compare)
		var walked []rkey
		ascend(sn.root, rkey{}, true, func(n *node) bool { walked = append(walked, n.k); return true })
		if !slices.Equal(walked, keys) {
			t.Fatalf("snapshot %d: ascend visits %d keys, want %d in order", i, len(walked), len(keys))
		}
		if len(keys) > 0 {
			mid := keys[len(keys)/2]
			var from []rkey
			ascend(sn.root, mid, false, func(n *node) bool { from = append(from, n.k); return len(from) < 5 })
			want := keys[len(keys)/2+1:]
			want = want[:min(5, len(want))]
			if !slices.Equal(from, want) {
				t.Fatalf("snapshot %d: ascend after %v = %v, want %v", i, mid, from, want)
			}
		}
		checkHeap(t, sn.root)
	}
}

func checkHeap(t *testing.T, n *node) {
	t.Helper()
	if n == nil {
		return
	}
	for _, c := range []*node{n.left, n.right} {
		if c != nil && c.prio > n.prio {
			t.Fatalf("child %v has a higher priority than its parent %v", c.k, n.k)
		}
	}
	checkHeap(t, n.left)
	checkHeap(t, n.right)
}
