package storetest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/storetest"
)

// The suite is tested against a small in-memory Store: the correct one must
// pass, proving the suite assumes no particular engine; each deliberately
// broken variant ("mutant") must make a named subtest fail, proving the suite
// catches that class of bug.

// mutantEnv selects a mutant in the child process TestSuiteCatchesMutants
// starts.
const mutantEnv = "STORETEST_MUTANT"

func TestMemStore(t *testing.T) {
	mut := os.Getenv(mutantEnv)
	storetest.Run(t, func(t *testing.T) connectfed.Store {
		s := &memStore{mutant: mut}
		empty := map[rkey]*entry{}
		s.cur.Store(&empty)
		return s
	})
}

func TestSuiteCatchesMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("running as a mutant")
	}
	if testing.Short() {
		t.Skip("runs the suite once per mutant in a child process")
	}
	for mutant, wantFail := range map[string][]string{
		"like":            {"ListPrefixLiteral"},
		"after-inclusive": {"ListAfter", "ListPagination"},
		"limit-zero-none": {"ListLimit"},
		"case-fold-order": {"ListOrder"},
		"unbounded-empty": {"DeletePrefixEmpty"},
		"no-rollback":     {"UpdateRollback"},
		"poison":          {"UpdateContinuesAfterError"},
		"alias":           {"ValueOwnership"},
		"view-writes":     {"ViewRejectsWrites"},
		"view-live":       {"ViewSnapshot"},
		"lost-update":     {"ConcurrentIncrements", "ConcurrentCreate"},
		"snapshot-isol":   {"WriteSkew"},
		"ignore-ctx":      {"CancelledContext"},
		"kind-concat":     {"KindsAreSeparate"},
		"trim-key":        {"Keys"},
	} {
		t.Run(mutant, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMemStore$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), mutantEnv+"="+mutant)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with bug %q; it must fail %v", mutant, wantFail)
			}
			for _, name := range wantFail {
				if !strings.Contains(string(out), "--- FAIL: TestMemStore/"+name+" ") {
					t.Errorf("bug %q: subtest %s did not fail; output:\n%s", mutant, name, out)
				}
			}
		})
	}
}

type rkey struct{ kind, key string }

// entry is immutable once committed; its address is its version.
type entry struct{ v []byte }

type memStore struct {
	mutant string
	mu     sync.Mutex                      // serializes Updates
	cur    atomic.Pointer[map[rkey]*entry] // committed state, never modified in place
}

func (s *memStore) Close() error { return nil }

func (s *memStore) View(ctx context.Context, fn func(connectfed.Tx) error) error {
	if err := ctx.Err(); err != nil && s.mutant != "ignore-ctx" {
		return err
	}
	tx := &memTx{s: s, base: *s.cur.Load(), readOnly: s.mutant != "view-writes"}
	if s.mutant == "view-live" {
		tx.live = true
	}
	return fn(tx)
}

func (s *memStore) Update(ctx context.Context, fn func(connectfed.Tx) error) error {
	if err := ctx.Err(); err != nil && s.mutant != "ignore-ctx" {
		return err
	}
	switch s.mutant {
	case "lost-update", "snapshot-isol":
		return s.updateOptimistic(ctx, fn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &memTx{s: s, base: *s.cur.Load(), writes: map[rkey]*entry{}}
	err := fn(tx)
	if err != nil && s.mutant != "no-rollback" {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && s.mutant != "ignore-ctx" {
		return cerr
	}
	s.commit(tx.writes)
	return err
}

// updateOptimistic runs fn on a snapshot without the lock. "lost-update"
// then applies the writes blindly; "snapshot-isol" retries on a write-write
// conflict (first committer wins), which stops lost updates but not write
// skew.
func (s *memStore) updateOptimistic(ctx context.Context, fn func(connectfed.Tx) error) error {
	for {
		tx := &memTx{s: s, base: *s.cur.Load(), writes: map[rkey]*entry{}}
		if err := fn(tx); err != nil {
			return err
		}
		time.Sleep(time.Millisecond) // widen the race window so the bug shows every run
		s.mu.Lock()
		cur := *s.cur.Load()
		conflict := false
		for k := range tx.writes {
			if cur[k] != tx.base[k] {
				conflict = true
			}
		}
		if conflict && s.mutant == "snapshot-isol" {
			s.mu.Unlock()
			continue
		}
		s.commit(tx.writes)
		s.mu.Unlock()
		return nil
	}
}

func (s *memStore) commit(writes map[rkey]*entry) {
	next := make(map[rkey]*entry, len(*s.cur.Load())+len(writes))
	for k, e := range *s.cur.Load() {
		next[k] = e
	}
	for k, e := range writes {
		if e == nil {
			delete(next, k)
		} else {
			next[k] = e
		}
	}
	s.cur.Store(&next)
}

type memTx struct {
	s        *memStore
	base     map[rkey]*entry
	writes   map[rkey]*entry // nil entry: deleted
	readOnly bool
	live     bool
	poisoned bool
}

func (t *memTx) key(kind, key string) rkey {
	if t.s.mutant == "kind-concat" {
		return rkey{"", kind + key}
	}
	if t.s.mutant == "trim-key" {
		key = strings.TrimSpace(key)
	}
	return rkey{kind, key}
}

func (t *memTx) lookup(k rkey) (*entry, bool) {
	if e, ok := t.writes[k]; ok {
		return e, e != nil
	}
	base := t.base
	if t.live {
		base = *t.s.cur.Load()
	}
	e, ok := base[k]
	return e, ok
}

func (t *memTx) clone(v []byte) []byte {
	if t.s.mutant == "alias" {
		return v
	}
	return append([]byte{}, v...)
}

func (t *memTx) fail(err error) error {
	if t.s.mutant == "poison" {
		t.poisoned = true
	}
	return err
}

var errRO = errors.New("memstore: write in View")
var errPoisoned = errors.New("memstore: transaction aborted")

func (t *memTx) write(k rkey, e *entry) error {
	if t.readOnly {
		return errRO
	}
	if t.poisoned {
		return errPoisoned
	}
	if t.writes == nil { // a View with writes allowed (mutant)
		t.writes = map[rkey]*entry{}
		t.s.mu.Lock()
		defer t.s.mu.Unlock()
		defer func() { t.s.commit(t.writes); t.writes = nil }()
	}
	t.writes[k] = e
	return nil
}

func (t *memTx) Get(kind, key string) ([]byte, error) {
	if t.poisoned {
		return nil, errPoisoned
	}
	e, ok := t.lookup(t.key(kind, key))
	if !ok {
		return nil, t.fail(connectfed.ErrNotFound)
	}
	return t.clone(e.v), nil
}

func (t *memTx) Create(kind, key string, value []byte) error {
	k := t.key(kind, key)
	if _, ok := t.lookup(k); ok && !t.readOnly {
		return t.fail(connectfed.ErrExists)
	}
	return t.write(k, &entry{v: t.clone(value)})
}

func (t *memTx) Put(kind, key string, value []byte) error {
	k := t.key(kind, key)
	if _, ok := t.lookup(k); !ok && !t.readOnly {
		return t.fail(connectfed.ErrNotFound)
	}
	return t.write(k, &entry{v: t.clone(value)})
}

func (t *memTx) Delete(kind, key string) error {
	k := t.key(kind, key)
	if _, ok := t.lookup(k); !ok && !t.readOnly {
		return t.fail(connectfed.ErrNotFound)
	}
	return t.write(k, nil)
}

// visible returns the keys of kind visible to the transaction, sorted.
func (t *memTx) visible(kind string) []rkey {
	base := t.base
	if t.live {
		base = *t.s.cur.Load()
	}
	var ks []rkey
	for k := range base {
		if _, ok := t.lookup(k); ok {
			ks = append(ks, k)
		}
	}
	for k, e := range t.writes {
		if _, inBase := base[k]; e != nil && !inBase {
			ks = append(ks, k)
		}
	}
	var out []rkey
	for _, k := range ks {
		if t.s.mutant == "kind-concat" || k.kind == kind {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b rkey) int {
		if t.s.mutant == "case-fold-order" {
			return strings.Compare(strings.ToLower(a.key), strings.ToLower(b.key))
		}
		return strings.Compare(a.key, b.key)
	})
	return out
}

func (t *memTx) hasPrefix(key, prefix string) bool {
	if t.s.mutant == "like" {
		return likePrefix(key, prefix)
	}
	return strings.HasPrefix(key, prefix)
}

// likePrefix matches key against prefix as SQL LIKE 'prefix%' would.
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

func (t *memTx) List(kind, prefix, after string, limit int) ([]connectfed.Entry, error) {
	if t.poisoned {
		return nil, errPoisoned
	}
	var es []connectfed.Entry
	for _, k := range t.visible(kind) {
		if t.s.mutant == "kind-concat" {
			if !strings.HasPrefix(k.key, kind) {
				continue
			}
			k.key = strings.TrimPrefix(k.key, kind)
		}
		if !t.hasPrefix(k.key, prefix) {
			continue
		}
		if after != "" && (k.key < after || k.key == after && t.s.mutant != "after-inclusive") {
			continue
		}
		if limit <= 0 && t.s.mutant == "limit-zero-none" {
			break
		}
		if limit > 0 && len(es) == limit {
			break
		}
		e, _ := t.lookup(t.key(kind, k.key))
		es = append(es, connectfed.Entry{Key: k.key, Value: t.clone(e.v)})
	}
	return es, nil
}

func (t *memTx) DeletePrefix(kind, prefix string) (int, error) {
	if prefix == "" && t.s.mutant != "unbounded-empty" {
		return 0, connectfed.Errorf(connectfed.EINVALID, "empty prefix")
	}
	es, err := t.List(kind, prefix, "", 0)
	if err != nil {
		return 0, err
	}
	for _, e := range es {
		if err := t.write(t.key(kind, e.Key), nil); err != nil {
			return 0, err
		}
	}
	return len(es), nil
}
