// Package memory is a connectfed.Store that keeps everything in process
// memory. It passes storetest like the SQLite and PostgreSQL backends, so it
// serves where a database is not wanted: unit tests of the domain packages,
// the embeddable test server (connectfedtest), and `--store memory`.
// Nothing survives the process: Update's durability promise holds only for
// the process lifetime.
//
// The committed state is a persistent ordered tree (tree.go). A View reads
// the root that was committed when it began (a snapshot, never blocked);
// Updates run one at a time under a mutex on their own copy-on-write root
// and commit by storing it (serializable). Get, Put, Create and Delete cost
// O(log n), List O(log n + entries listed).
package memory

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/connectfed/connectfed"
)

// Store is an in-memory connectfed.Store. The zero value is not usable; call
// New.
type Store struct {
	// bug, when set by this package's tests, makes the store misbehave in one
	// named way, to prove storetest catches that class of bug
	// (mutants_test.go). It is never set outside those tests.
	bug    string
	seed   maphash.Seed
	mu     sync.Mutex           // serializes Updates
	cur    atomic.Pointer[node] // the committed root (nil: empty)
	vers   atomic.Uint64        // the last write's version
	closed atomic.Bool
}

var _ connectfed.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{seed: maphash.MakeSeed()}
}

// errClosed is returned by View, Update and Health after Close.
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
	root := s.cur.Load()
	return fn(&tx{s: s, root: root, base: root, viewWrites: s.bug == "view-writes", live: s.bug == "view-live"})
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
	root := s.cur.Load()
	t := &tx{s: s, root: root, base: root, update: true}
	err := fn(t)
	if err != nil && s.bug != "no-rollback" {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && s.bug != "ignore-ctx" {
		return cerr
	}
	s.cur.Store(t.root)
	return err
}

// op is one write, recorded for the optimistic bugs that replay them.
type op struct {
	k   rkey
	v   []byte
	del bool
}

func (s *Store) apply(root *node, o op) *node {
	if o.del {
		return remove(root, o.k)
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(o.k.kind)
	h.WriteByte(0)
	h.WriteString(o.k.key)
	return insert(root, o.k, o.v, h.Sum64(), s.vers.Add(1))
}

type tx struct {
	s          *Store
	root       *node // what the transaction reads, and an Update writes
	base       *node // the snapshot it began on
	update     bool
	viewWrites bool // the view-writes bug: a View's writes commit at once
	live       bool // the view-live bug: reads see the latest commit
	poisoned   bool
	ops        []op // recorded only under a bug
}

func (t *tx) read() *node {
	if t.live {
		return t.s.cur.Load()
	}
	return t.root
}

func (t *tx) key(kind, key string) rkey {
	switch t.s.bug {
	case "kind-concat":
		return rkey{"", kind + key}
	case "trim-key":
		key = strings.TrimSpace(key)
	}
	return rkey{kind, key}
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

// writable reports why the transaction may not write, if it may not.
func (t *tx) writable() error {
	if !t.update && !t.viewWrites {
		return errReadOnly
	}
	if t.poisoned {
		return errPoisoned
	}
	return nil
}

func (t *tx) write(o op) {
	if t.viewWrites {
		t.s.mu.Lock()
		t.s.cur.Store(t.s.apply(t.s.cur.Load(), o))
		t.s.mu.Unlock()
		return
	}
	t.root = t.s.apply(t.root, o)
	if t.s.bug != "" {
		t.ops = append(t.ops, o)
	}
}

func (t *tx) Get(kind, key string) ([]byte, error) {
	if t.poisoned {
		return nil, errPoisoned
	}
	n := get(t.read(), t.key(kind, key))
	if n == nil {
		return nil, t.fail(connectfed.ErrNotFound)
	}
	return t.clone(n.v), nil
}

func (t *tx) Create(kind, key string, value []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	k := t.key(kind, key)
	if get(t.read(), k) != nil {
		return t.fail(connectfed.ErrExists)
	}
	t.write(op{k: k, v: t.clone(value)})
	return nil
}

func (t *tx) Put(kind, key string, value []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	k := t.key(kind, key)
	if get(t.read(), k) == nil {
		return t.fail(connectfed.ErrNotFound)
	}
	t.write(op{k: k, v: t.clone(value)})
	return nil
}

func (t *tx) Delete(kind, key string) error {
	if err := t.writable(); err != nil {
		return err
	}
	k := t.key(kind, key)
	if get(t.read(), k) == nil {
		return t.fail(connectfed.ErrNotFound)
	}
	t.write(op{k: k, del: true})
	return nil
}

func (t *tx) List(kind, prefix, after string, limit int) ([]connectfed.Entry, error) {
	if t.poisoned {
		return nil, errPoisoned
	}
	bug := t.s.bug
	if limit <= 0 && bug == "limit-zero-none" {
		return nil, nil
	}
	base := t.key(kind, "") // every key of the kind starts with base.key
	like, fold := bug == "like", bug == "case-fold-order"
	scanAll := like || fold // these bugs filter and order the whole kind
	from, incl := rkey{base.kind, base.key + prefix}, true
	if scanAll {
		from.key = base.key
	} else if after != "" && base.key+after >= from.key {
		from.key, incl = base.key+after, bug == "after-inclusive"
	}
	var es []connectfed.Entry
	ascend(t.read(), from, incl, func(n *node) bool {
		if n.k.kind != base.kind || !strings.HasPrefix(n.k.key, base.key) {
			return false
		}
		key := n.k.key[len(base.key):]
		if like {
			if !likePrefix(key, prefix) {
				return true
			}
		} else if !strings.HasPrefix(key, prefix) {
			return scanAll
		}
		if scanAll && after != "" && (key < after || key == after && bug != "after-inclusive") {
			return true
		}
		if !fold && limit > 0 && len(es) == limit {
			return false
		}
		es = append(es, connectfed.Entry{Key: key, Value: t.clone(n.v)})
		return true
	})
	if fold {
		slices.SortStableFunc(es, func(a, b connectfed.Entry) int {
			return strings.Compare(strings.ToLower(a.Key), strings.ToLower(b.Key))
		})
		if limit > 0 && len(es) > limit {
			es = es[:limit]
		}
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
	if len(es) == 0 {
		return 0, nil
	}
	if err := t.writable(); err != nil {
		return 0, err
	}
	for _, e := range es {
		t.write(op{k: t.key(kind, e.Key), del: true})
	}
	return len(es), nil
}
