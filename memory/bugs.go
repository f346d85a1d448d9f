package memory

import (
	"context"
	"time"

	"github.com/connectfed/connectfed"
)

// This file holds the code paths only the deliberately broken variants use
// (Store.bug, set by mutants_test.go); a store from New never takes them.

// updateOptimistic runs fn on a snapshot without the lock, then replays its
// writes on the latest commit. "lost-update" replays them blindly;
// "snapshot-isol" retries on a write-write conflict (first committer wins),
// which stops lost updates but not write skew.
func (s *Store) updateOptimistic(ctx context.Context, fn func(connectfed.Tx) error) error {
	for {
		base := s.cur.Load()
		t := &tx{s: s, root: base, base: base, update: true}
		if err := fn(t); err != nil {
			return err
		}
		time.Sleep(time.Millisecond) // widen the race window so the bug shows every run
		s.mu.Lock()
		cur := s.cur.Load()
		conflict := false
		for _, o := range t.ops {
			if version(get(cur, o.k)) != version(get(base, o.k)) {
				conflict = true
			}
		}
		if conflict && s.bug == "snapshot-isol" {
			s.mu.Unlock()
			continue
		}
		for _, o := range t.ops {
			cur = s.apply(cur, o)
		}
		s.cur.Store(cur)
		s.mu.Unlock()
		return nil
	}
}

// version is n's write version, 0 for an absent key.
func version(n *node) uint64 {
	if n == nil {
		return 0
	}
	return n.ver
}

// likePrefix matches key against prefix as SQL LIKE 'prefix%' would; only
// the "like" bug uses it.
func likePrefix(key, prefix string) bool {
	if prefix == "" {
		return true
	}
	switch prefix[0] {
	case '%':
		for i := 0; i <= len(key); i++ {
			if likePrefix(key[i:], prefix[1:]) {
				return true
			}
		}
		return false
	case '_':
		return key != "" && likePrefix(key[1:], prefix[1:])
	}
	return key != "" && key[0] == prefix[0] && likePrefix(key[1:], prefix[1:])
}
