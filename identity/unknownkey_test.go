package identity_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/testutil"
	"github.com/connectfed/connectfed/internal/ttlcache"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
)

// viewCountingStore counts read transactions.
type viewCountingStore struct {
	connectfed.Store
	views atomic.Int64
}

func (c *viewCountingStore) View(ctx context.Context, fn func(connectfed.Tx) error) error {
	c.views.Add(1)
	return c.Store.View(ctx, fn)
}

// replica is one Service over a shared store, with its own caches and clock.
func replica(t *testing.T, store connectfed.Store, c *clock) (*identity.Service, *viewCountingStore) {
	t.Helper()
	sealer, err := seal.NewSealer(make([]byte, 32))
	testutil.Must(t, err)
	vs := &viewCountingStore{Store: store}
	return &identity.Service{Store: vs, Sealer: sealer, Now: c.now}, vs
}

// TestUnknownKeyNegativeCache: requests with an access key id nobody has
// cost one store read per key per TTL, not one each; a key created on this
// replica works at once, and one created on another replica within the
// same bound as every other cached credential (ttlcache.DefaultTTL).
func TestUnknownKeyNegativeCache(t *testing.T) {
	ctx := t.Context()
	c := &clock{}
	c.set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	store := memory.New()
	a, reads := replica(t, store, c)
	b, _ := replica(t, store, c)

	const unknown = "AKIAUNKNOWNKEY000001"
	lookup := func(s *identity.Service, key string) *identity.Credential {
		t.Helper()
		cred, err := s.Credential(ctx, key)
		testutil.Must(t, err)
		return cred
	}
	for i := 0; i < 100; i++ {
		if cred := lookup(a, unknown); cred != nil {
			t.Fatalf("unknown key resolved: %+v", cred)
		}
	}
	if n := reads.views.Load(); n != 1 {
		t.Errorf("100 requests with one unknown key id: %d store reads, want 1", n)
	}
	c.add(ttlcache.DefaultTTL + time.Millisecond)
	lookup(a, unknown)
	if n := reads.views.Load(); n != 2 {
		t.Errorf("after the negative entry's TTL: %d store reads in all, want 2", n)
	}

	// Created on this replica: works at once (its writes drop the caches).
	testutil.Must(t, a.EnsureAccount(ctx, connectfed.Account{ID: acct}, []identity.RootKey{{AccessKeyID: unknown, SecretAccessKey: "s1"}}))
	if cred := lookup(a, unknown); cred == nil || cred.Secret != "s1" {
		t.Fatalf("a key created on this replica: %+v", cred)
	}

	// Created on another replica while this one holds a negative entry:
	// works once that entry is DefaultTTL old.
	const later = "AKIAUNKNOWNKEY000002"
	lookup(a, later)
	testutil.Must(t, b.EnsureAccount(ctx, connectfed.Account{ID: other}, []identity.RootKey{{AccessKeyID: later, SecretAccessKey: "s2"}}))
	c.add(ttlcache.DefaultTTL + time.Millisecond)
	if cred := lookup(a, later); cred == nil || cred.Secret != "s2" {
		t.Fatalf("a key created on another replica, DefaultTTL later: %+v", cred)
	}
}

// TestUnknownKeysBounded: a flood of made-up key ids leaves a bounded
// negative cache behind (expired ids are swept as it grows).
func TestUnknownKeysBounded(t *testing.T) {
	c := &clock{}
	c.set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, _ := replica(t, memory.New(), c)
	for i := 0; i < 20000; i++ {
		c.add(time.Millisecond) // 500 ids live at a time
		if _, err := s.Credential(t.Context(), fmt.Sprintf("AKIAFLOOD%011d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := identity.UnknownKeys(s); n > 2048 {
		t.Errorf("%d unknown ids held for 500 live ones", n)
	}
}

// blockingStore holds every read until release is closed, and records the
// most reads in progress at once.
type blockingStore struct {
	connectfed.Store
	release        chan struct{}
	inFlight, most atomic.Int64
}

func (b *blockingStore) View(ctx context.Context, fn func(connectfed.Tx) error) error {
	n := b.inFlight.Add(1)
	defer b.inFlight.Add(-1)
	for m := b.most.Load(); n > m && !b.most.CompareAndSwap(m, n); m = b.most.Load() {
	}
	<-b.release
	return b.Store.View(ctx, fn)
}

// TestKeyLookupsCapped: requests naming key ids in no cache read the store
// at most MaxKeyLookups at a time; the rest wait, and all are answered.
func TestKeyLookupsCapped(t *testing.T) {
	c := &clock{}
	c.set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	store := &blockingStore{Store: memory.New(), release: make(chan struct{})}
	sealer, err := seal.NewSealer(make([]byte, 32))
	testutil.Must(t, err)
	s := &identity.Service{Store: store, Sealer: sealer, Now: c.now}
	const n = 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			cred, err := s.Credential(context.Background(), fmt.Sprintf("AKIAFLOOD%011d", i))
			if err == nil && cred != nil {
				err = fmt.Errorf("made-up key resolved: %+v", cred)
			}
			errs <- err
		}()
	}
	// Every request is either reading or queued before any read ends.
	for store.inFlight.Load()+identity.KeyLookupsWaiting(s) < n {
		if m := store.most.Load(); m > identity.DefaultKeyLookups {
			break
		}
		runtime.Gosched()
	}
	close(store.release)
	for i := 0; i < n; i++ {
		testutil.Must(t, <-errs)
	}
	if m := store.most.Load(); m != identity.DefaultKeyLookups {
		t.Errorf("%d store reads at once for unknown key ids, want %d", m, identity.DefaultKeyLookups)
	}
}
