// Package memory is a connectfed.Store that keeps everything in process
// memory. It passes storetest like the SQLite and PostgreSQL backends, so it
// serves where a database is not wanted: unit tests of the domain packages,
// the embeddable test server, and `--store memory`. Nothing survives the
// process: Update's durability promise holds only for the process lifetime.
//
// Every committed state is an immutable map; a View reads the map current
// when it started (a snapshot), and Updates run one at a time under a mutex
// on a private overlay that replaces the map on commit (serializable).
// A commit copies the map, so writes cost O(entries): meant for test-sized
// data, not for a large production database.
package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/connectfed/connectfed"
)

type rkey struct{ kind, key string }

// entry is immutable once committed; its address is its version.
type entry struct{ v []byte }

// Store is an in-memory connectfed.Store. The zero value is not usable; call
// New.
type Store struct {
	// bug, when set by this package's tests, makes the store misbehave in one
	// named way, to prove storetest catches that class of bug
	// (mutants_test.go). It is never set outside those tests.
	bug    string
	mu     sync.Mutex                      // serializes Updates
	cur    atomic.Pointer[map[rkey]*entry] // committed state, never modified in place
	closed atomic.Bool
}

var _ connectfed.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	s := &Store{}
	empty := map[rkey]*entry{}
	s.cur.Store(&empty)
	return s
}

// errClosed is returned by View and Update after Close.
var errClosed = fmt.Errorf("memory: store is closed: %w", connectfed.ErrUnavailable)

// Close makes every later call fail with ErrUnavailable.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// Health implements connectfed.Store: nil until Close.
func (s *Store) Health(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	return ctx.Err()
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil && s.bug != "ignore-ctx" {
		return err
	}
	return nil
}

// View implements connectfed.Store.
func (s *Store) View(ctx context.Context, fn func(connectfed.Tx) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	tx := &tx{s: s, base: *s.cur.Load(), readOnly: s.bug != "view-writes"}
	if s.bug == "view-live" {
		tx.live = true
	}
	return fn(tx)
}

// Update implements connectfed.Store.
func (s *Store) Update(ctx context.Context, fn func(connectfed.Tx) error) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	switch s.bug {
	case "lost-update", "snapshot-isol":
		return s.updateOptimistic(ctx, fn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &tx{s: s, base: *s.cur.Load(), writes: map[rkey]*entry{}}
	err := fn(tx)
	if err != nil && s.bug != "no-rollback" {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && s.bug != "ignore-ctx" {
		return cerr
	}
	s.commit(tx.writes)
	return err
}

func (s *Store) commit(writes map[rkey]*entry) {
	if len(writes) == 0 {
		return
	}
	old := *s.cur.Load()
	next := make(map[rkey]*entry, len(old)+len(writes))
	for k, e := range old {
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

type tx struct {
	s        *Store
	base     map[rkey]*entry
	writes   map[rkey]*entry // nil entry: deleted
	readOnly bool
	live     bool
	poisoned bool
}

func (t *tx) key(kind, key string) rkey {
	if t.s.bug == "kind-concat" {
		return rkey{"", kind + key}
	}
	if t.s.bug == "trim-key" {
		key = strings.TrimSpace(key)
	}
	return rkey{kind, key}
}

func (t *tx) lookup(k rkey) (*entry, bool) {
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

func (t *tx) clone(v []byte) []byte {
	if t.s.bug == "alias" {
		return v
	}
	return append([]byte{}, v...)
}

func (t *tx) fail(err error) error {
	if t.s.bug == "poison" {
		t.poisoned = true
	}
	return err
}

var (
	errReadOnly = errors.New("memory: write in a View transaction")
	errPoisoned = errors.New("memory: transaction aborted")
)

func (t *tx) write(k rkey, e *entry) error {
	if t.readOnly {
		return errReadOnly
	}
	if t.poisoned {
		return errPoisoned
	}
	if t.writes == nil { // a View with writes allowed (the view-writes bug)
		t.writes = map[rkey]*entry{}
		t.s.mu.Lock()
		defer t.s.mu.Unlock()
		defer func() { t.s.commit(t.writes); t.writes = nil }()
	}
	t.writes[k] = e
	return nil
}

func (t *tx) Get(kind, key string) ([]byte, error) {
	if t.poisoned {
		return nil, errPoisoned
	}
	e, ok := t.lookup(t.key(kind, key))
	if !ok {
		return nil, t.fail(connectfed.ErrNotFound)
	}
	return t.clone(e.v), nil
}

func (t *tx) Create(kind, key string, value []byte) error {
	k := t.key(kind, key)
	if _, ok := t.lookup(k); ok && !t.readOnly {
		return t.fail(connectfed.ErrExists)
	}
	return t.write(k, &entry{v: t.clone(value)})
}

func (t *tx) Put(kind, key string, value []byte) error {
	k := t.key(kind, key)
	if _, ok := t.lookup(k); !ok && !t.readOnly {
		return t.fail(connectfed.ErrNotFound)
	}
	return t.write(k, &entry{v: t.clone(value)})
}

func (t *tx) Delete(kind, key string) error {
	k := t.key(kind, key)
	if _, ok := t.lookup(k); !ok && !t.readOnly {
		return t.fail(connectfed.ErrNotFound)
	}
	return t.write(k, nil)
}

// visible returns the keys of kind visible to the transaction, sorted.
func (t *tx) visible(kind string) []rkey {
	base := t.base
	if t.live {
		base = *t.s.cur.Load()
	}
	concat := t.s.bug == "kind-concat"
	var out []rkey
	for k := range base {
		if concat || k.kind == kind {
			if _, ok := t.lookup(k); ok {
				out = append(out, k)
			}
		}
	}
	for k, e := range t.writes {
		if _, inBase := base[k]; e != nil && !inBase && (concat || k.kind == kind) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b rkey) int {
		if t.s.bug == "case-fold-order" {
			return strings.Compare(strings.ToLower(a.key), strings.ToLower(b.key))
		}
		return strings.Compare(a.key, b.key)
	})
	return out
}

func (t *tx) hasPrefix(key, prefix string) bool {
	if t.s.bug == "like" {
		return likePrefix(key, prefix)
	}
	return strings.HasPrefix(key, prefix)
}

func (t *tx) List(kind, prefix, after string, limit int) ([]connectfed.Entry, error) {
	if t.poisoned {
		return nil, errPoisoned
	}
	var es []connectfed.Entry
	for _, k := range t.visible(kind) {
		if t.s.bug == "kind-concat" {
			if !strings.HasPrefix(k.key, kind) {
				continue
			}
			k.key = strings.TrimPrefix(k.key, kind)
		}
		if !t.hasPrefix(k.key, prefix) {
			continue
		}
		if after != "" && (k.key < after || k.key == after && t.s.bug != "after-inclusive") {
			continue
		}
		if limit <= 0 && t.s.bug == "limit-zero-none" {
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

func (t *tx) DeletePrefix(kind, prefix string) (int, error) {
	if prefix == "" && t.s.bug != "unbounded-empty" {
		return 0, connectfed.Errorf(connectfed.EINVALID, "DeletePrefix needs a non-empty prefix")
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
