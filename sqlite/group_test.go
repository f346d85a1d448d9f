package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/sqlite"
)

// Group commit tests. To make a batch form deterministically, holdWriter
// occupies the writer with an Update whose fn waits, queueInOrder queues
// Updates one at a time (each is in the queue before the next starts), and
// releasing the holder lets the writer take them all into one transaction,
// in that order.

var errHolder = errors.New("holder releases the writer")

// holdWriter starts an Update whose fn blocks until release is called, and
// returns once that fn is running. The holder's fn returns an error, so it
// adds no COMMIT of its own.
func holdWriter(t *testing.T, db *sqlite.DB) (release func()) {
	t.Helper()
	running := make(chan struct{})
	gate := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(context.Background(), func(connectfed.Tx) error {
			close(running)
			<-gate
			return errHolder
		})
	}()
	select {
	case <-running:
	case <-time.After(10 * time.Second):
		t.Fatal("holder Update never ran")
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(gate)
			if err := <-done; !errors.Is(err, errHolder) {
				t.Errorf("holder Update: %v, want its own error", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// queueInOrder starts one Update per fn, each with its ctx (nil: Background),
// waiting until each is queued before starting the next, and returns a wait
// function that collects their errors (index i for fns[i]). A panic in an
// Update is recovered in the goroutine that called Update and reported in
// panics[i].
func queueInOrder(t *testing.T, db *sqlite.DB, ctxs []context.Context, fns []func(connectfed.Tx) error) (wait func() (errs []error, panics []any)) {
	wait, _ = queueInOrderExits(t, db, ctxs, fns)
	return wait
}

// queueInOrderExits is queueInOrder that also reports, in returned[i],
// whether Update i returned or panicked; false means its goroutine ended
// inside it (runtime.Goexit). Read returned only after wait.
func queueInOrderExits(t *testing.T, db *sqlite.DB, ctxs []context.Context, fns []func(connectfed.Tx) error) (wait func() (errs []error, panics []any), returned []bool) {
	t.Helper()
	errs := make([]error, len(fns))
	panics := make([]any, len(fns))
	returned = make([]bool, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		ctx := context.Background()
		if ctxs != nil && ctxs[i] != nil {
			ctx = ctxs[i]
		}
		wg.Go(func() {
			defer func() {
				if panics[i] = recover(); panics[i] != nil {
					returned[i] = true
				}
			}()
			errs[i] = db.Update(ctx, fn)
			returned[i] = true
		})
		deadline := time.Now().Add(10 * time.Second)
		for sqlite.Queued(db) < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("Update %d never queued (queue %d)", i, sqlite.Queued(db))
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	return func() ([]error, []any) { wg.Wait(); return errs, panics }, returned
}

func batchKey(i int) string { return fmt.Sprintf("k%02d", i) }

// counterFn returns fn i of a batch test: it records the order it ran in and
// the counter it read, creates its key, increments the counter, then ends
// with end (which may fail or panic).
func counterFn(i int, mu *sync.Mutex, order *[]int, seen []int, end func(tx connectfed.Tx) error) func(connectfed.Tx) error {
	return func(tx connectfed.Tx) error {
		mu.Lock()
		*order = append(*order, i)
		mu.Unlock()
		if err := tx.Create("batch", batchKey(i), []byte(strconv.Itoa(i))); err != nil {
			return err
		}
		v, err := tx.Get("counter", "n")
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return err
		}
		seen[i] = n
		if err := tx.Put("counter", "n", []byte(strconv.Itoa(n+1))); err != nil {
			return err
		}
		return end(tx)
	}
}

func seedCounter(t *testing.T, db *sqlite.DB) {
	t.Helper()
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("counter", "n", []byte("0")) }); err != nil {
		t.Fatal(err)
	}
}

// stored returns the keys of kind "batch" and the counter.
func stored(t *testing.T, db *sqlite.DB) (keys []string, counter int) {
	t.Helper()
	if err := db.View(t.Context(), func(tx connectfed.Tx) error {
		es, err := tx.List("batch", "", "", 0)
		if err != nil {
			return err
		}
		for _, e := range es {
			keys = append(keys, e.Key)
		}
		v, err := tx.Get("counter", "n")
		if err != nil {
			return err
		}
		counter, err = strconv.Atoi(string(v))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return keys, counter
}

// A failing fn in the middle of a batch loses only its own writes: the fns
// before and after it in the same transaction commit, and the ones after it
// read the state without its writes.
func TestGroupCommitFailingFnInBatch(t *testing.T) {
	db, _ := openTemp(t)
	seedCounter(t, db)
	const n, failing = 9, 4
	errFn := errors.New("fn 4 fails after writing")
	commits0, _, _ := sqlite.GroupCommitStats(db)

	release := holdWriter(t, db)
	var mu sync.Mutex
	var order []int
	seen := make([]int, n)
	fns := make([]func(connectfed.Tx) error, n)
	for i := range n {
		fns[i] = counterFn(i, &mu, &order, seen, func(tx connectfed.Tx) error {
			if i == failing {
				return errFn
			}
			return nil
		})
	}
	wait := queueInOrder(t, db, nil, fns)
	release()
	errs, _ := wait()

	for i, err := range errs {
		if i == failing && !errors.Is(err, errFn) {
			t.Errorf("Update %d (failing fn): %v, want its fn's error", i, err)
		}
		if i != failing && err != nil {
			t.Errorf("Update %d: %v, want nil", i, err)
		}
	}
	commits, _, largest := sqlite.GroupCommitStats(db)
	if commits-commits0 != 1 || largest < n-1 {
		t.Fatalf("%d COMMITs, largest batch %d; want the %d kept fns in one COMMIT", commits-commits0, largest, n-1)
	}
	if !slices.Equal(order, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("fns ran in order %v, want queue order", order)
	}
	// Each fn saw the increments of the kept fns before it and not the
	// failed one's: its savepoint was rolled back before fn 5 ran.
	if want := []int{0, 1, 2, 3, 4, 4, 5, 6, 7}; !slices.Equal(seen, want) {
		t.Fatalf("counter read by each fn = %v, want %v", seen, want)
	}
	keys, counter := stored(t, db)
	var want []string
	for i := range n {
		if i != failing {
			want = append(want, batchKey(i))
		}
	}
	if !slices.Equal(keys, want) || counter != n-1 {
		t.Fatalf("stored keys %v, counter %d; want %v, %d", keys, counter, want, n-1)
	}
}

// A panic in one fn of a batch rolls back only that fn, and surfaces in the
// goroutine that called Update, with the value fn panicked with. So does
// runtime.Goexit (t.FailNow) in another: it ends its caller's goroutine.
func TestGroupCommitPanicInBatch(t *testing.T) {
	db, _ := openTemp(t)
	seedCounter(t, db)
	const n, panicking, exiting = 7, 2, 5
	type boom struct{ msg string }
	commits0, _, _ := sqlite.GroupCommitStats(db)

	release := holdWriter(t, db)
	var mu sync.Mutex
	var order []int
	seen := make([]int, n)
	fns := make([]func(connectfed.Tx) error, n)
	for i := range n {
		fns[i] = counterFn(i, &mu, &order, seen, func(tx connectfed.Tx) error {
			switch i {
			case panicking:
				panic(&boom{"fn 2"})
			case exiting:
				runtime.Goexit()
			}
			return nil
		})
	}
	wait, returned := queueInOrderExits(t, db, nil, fns)
	release()
	errs, panics := wait()

	for i := range n {
		switch i {
		case panicking:
			if b, ok := panics[i].(*boom); !ok || b.msg != "fn 2" {
				t.Errorf("Update %d: recovered %v in the caller, want fn's panic value", i, panics[i])
			}
		case exiting:
			if returned[i] {
				t.Errorf("Update %d returned (%v, panic %v) after fn called runtime.Goexit", i, errs[i], panics[i])
			}
		default:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("Update %d: %v, panic %v; want nil", i, errs[i], panics[i])
			}
		}
	}
	commits, _, largest := sqlite.GroupCommitStats(db)
	if commits-commits0 != 1 || largest < n-2 {
		t.Fatalf("%d COMMITs, largest batch %d; want the %d kept fns in one COMMIT", commits-commits0, largest, n-2)
	}
	if want := []int{0, 1, 2, 2, 3, 4, 4}; !slices.Equal(seen, want) {
		t.Fatalf("counter read by each fn = %v, want %v", seen, want)
	}
	keys, counter := stored(t, db)
	if want := []string{"k00", "k01", "k03", "k04", "k06"}; !slices.Equal(keys, want) || counter != n-2 {
		t.Fatalf("stored keys %v, counter %d; want %v, %d", keys, counter, want, n-2)
	}
}

// runtime.Goexit in fn (what t.FailNow does) ends the calling goroutine, as
// it did when fn ran there alone; its writes vanish and the writer goes on.
func TestUpdateGoexit(t *testing.T) {
	db, _ := openTemp(t)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		db.Update(context.Background(), func(tx connectfed.Tx) error {
			if err := tx.Create("batch", "goexit", []byte("x")); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
		t.Error("Update returned after fn called runtime.Goexit")
	}()
	<-exited
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("batch", "after", []byte("y")) }); err != nil {
		t.Fatalf("Update after a Goexit: %v", err)
	}
	if keys := storedKeys(t, db); !slices.Equal(keys, []string{"after"}) {
		t.Fatalf("stored keys %v, want [after]", keys)
	}
}

func storedKeys(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	var keys []string
	err := db.View(t.Context(), func(tx connectfed.Tx) error {
		es, err := tx.List("batch", "", "", 0)
		for _, e := range es {
			keys = append(keys, e.Key)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// When the COMMIT of a batch fails, every Update whose fn succeeded gets the
// error and none of their writes is kept; a failing fn still gets its own
// error. The next batch commits normally.
func TestGroupCommitCommitFails(t *testing.T) {
	db, _ := openTemp(t)
	seedCounter(t, db)
	const n, failing = 6, 3
	errFn := errors.New("fn 3 fails")
	errDisk := errors.New("injected COMMIT failure")

	release := holdWriter(t, db)
	sqlite.FailCommits(db, func() error { return errDisk })
	var mu sync.Mutex
	var order []int
	seen := make([]int, n)
	fns := make([]func(connectfed.Tx) error, n)
	for i := range n {
		fns[i] = counterFn(i, &mu, &order, seen, func(tx connectfed.Tx) error {
			if i == failing {
				return errFn
			}
			return nil
		})
	}
	wait := queueInOrder(t, db, nil, fns)
	release()
	errs, _ := wait()
	sqlite.FailCommits(db, nil)

	for i, err := range errs {
		switch {
		case i == failing && !errors.Is(err, errFn):
			t.Errorf("Update %d (failing fn): %v, want its fn's error", i, err)
		case i != failing && !errors.Is(err, errDisk):
			t.Errorf("Update %d: %v, want the COMMIT's error", i, err)
		}
	}
	if keys, counter := stored(t, db); len(keys) != 0 || counter != 0 {
		t.Fatalf("after a failed COMMIT: keys %v, counter %d; want none kept", keys, counter)
	}
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("batch", "after", nil) }); err != nil {
		t.Fatalf("Update after a failed COMMIT: %v", err)
	}
	if keys := storedKeys(t, db); !slices.Equal(keys, []string{"after"}) {
		t.Fatalf("stored keys %v, want [after]", keys)
	}
}

// A caller whose ctx ends while its Update is queued returns at once with
// ctx's error, and its fn never runs.
func TestGroupCommitCancelWhileQueued(t *testing.T) {
	db, _ := openTemp(t)
	release := holdWriter(t, db)
	ctx, cancel := context.WithCancel(t.Context())
	var ran atomic.Bool
	wait := queueInOrder(t, db, []context.Context{ctx}, []func(connectfed.Tx) error{
		func(tx connectfed.Tx) error { ran.Store(true); return tx.Create("batch", "cancelled", nil) },
	})
	cancel()
	errs, _ := wait() // returns while the writer is still held
	if !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("Update cancelled while queued: %v, want context.Canceled", errs[0])
	}
	release()
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("batch", "after", nil) }); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Fatal("the fn of an Update cancelled while queued ran")
	}
	if keys := storedKeys(t, db); !slices.Equal(keys, []string{"after"}) {
		t.Fatalf("stored keys %v, want [after]", keys)
	}
}

// A caller whose ctx ends while its fn runs gets an error and loses its
// writes, even if fn returns nil; Tx methods fail after the cancellation
// without touching the database; the rest of the batch commits.
func TestGroupCommitCancelDuringFn(t *testing.T) {
	db, _ := openTemp(t)
	release := holdWriter(t, db)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var afterCancel error
	fns := []func(connectfed.Tx) error{
		func(tx connectfed.Tx) error { return tx.Create("batch", "k0", nil) },
		func(tx connectfed.Tx) error {
			if err := tx.Create("batch", "k1", nil); err != nil {
				return err
			}
			cancel()
			afterCancel = tx.Create("batch", "k1b", nil)
			return nil // ignores the error: the Update must fail anyway
		},
		func(tx connectfed.Tx) error { return tx.Create("batch", "k2", nil) },
	}
	wait := queueInOrder(t, db, []context.Context{nil, ctx, nil}, fns)
	release()
	errs, _ := wait()
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("Updates around the cancelled one: %v, %v; want nil", errs[0], errs[2])
	}
	if !errors.Is(errs[1], context.Canceled) {
		t.Fatalf("Update cancelled during fn: %v, want context.Canceled", errs[1])
	}
	if !errors.Is(afterCancel, context.Canceled) {
		t.Fatalf("Create after the cancellation: %v, want context.Canceled", afterCancel)
	}
	if keys := storedKeys(t, db); !slices.Equal(keys, []string{"k0", "k2"}) {
		t.Fatalf("stored keys %v, want [k0 k2]", keys)
	}
	if _, _, largest := sqlite.GroupCommitStats(db); largest < 2 {
		t.Fatalf("largest batch %d, want the two kept fns in one", largest)
	}
}

// A Tx kept past the end of its fn refuses to be used: it would otherwise
// write into another caller's part of the batch.
func TestTxUnusableAfterFn(t *testing.T) {
	db, _ := openTemp(t)
	var kept connectfed.Tx
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := kept.Create("batch", "late", nil); err == nil {
		t.Fatal("Create on a Tx whose Update had returned succeeded")
	}
	if err := db.View(t.Context(), func(tx connectfed.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Get("batch", "late"); err == nil {
		t.Fatal("Get on a Tx whose View had returned succeeded")
	}
	if keys := storedKeys(t, db); len(keys) != 0 {
		t.Fatalf("stored keys %v, want none", keys)
	}
}

// Close lets the batch in progress commit and fails the Updates queued
// behind it with ErrUnavailable, without running their fns.
func TestCloseWithQueuedUpdates(t *testing.T) {
	db, path := openTemp(t)
	release := holdWriter(t, db)
	var ran atomic.Int32
	fns := make([]func(connectfed.Tx) error, 3)
	for i := range fns {
		fns[i] = func(tx connectfed.Tx) error { ran.Add(1); return tx.Create("batch", batchKey(i), nil) }
	}
	wait := queueInOrder(t, db, nil, fns)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	for deadline := time.Now().Add(10 * time.Second); !sqlite.Closing(db); time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatal("Close never stopped the queue")
		}
	}
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	errs, _ := wait()
	for i, err := range errs {
		if !errors.Is(err, connectfed.ErrUnavailable) {
			t.Errorf("Update %d queued at Close: %v, want ErrUnavailable", i, err)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("%d fns of Updates queued at Close ran", n)
	}
	db2, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if keys := storedKeys(t, db2); len(keys) != 0 {
		t.Fatalf("stored keys %v, want none", keys)
	}
}

// A queue longer than a batch's cap commits in several batches, none over
// the cap, all of it kept.
func TestGroupCommitBatchCap(t *testing.T) {
	db, _ := openTemp(t)
	const n = 150 // more than maxBatch (128)
	commits0, _, _ := sqlite.GroupCommitStats(db)
	release := holdWriter(t, db)
	fns := make([]func(connectfed.Tx) error, n)
	for i := range n {
		fns[i] = func(tx connectfed.Tx) error { return tx.Create("batch", fmt.Sprintf("k%03d", i), nil) }
	}
	wait := queueInOrder(t, db, nil, fns)
	release()
	errs, _ := wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
	}
	commits, _, largest := sqlite.GroupCommitStats(db)
	if commits-commits0 != 2 || largest != 128 {
		t.Fatalf("%d COMMITs, largest %d; want 2, the first with 128 (the cap)", commits-commits0, largest)
	}
	if keys := storedKeys(t, db); len(keys) != n {
		t.Fatalf("%d keys stored, want %d", len(keys), n)
	}
}

// A statement error after which SQLite may have rolled back the whole
// transaction (here SQLITE_FULL: the file may not grow) poisons the fn's Tx:
// what the fn tries next is refused rather than run in autocommit mode, its
// Update fails, the fns kept before it in the batch fail with it (the
// transaction they were in is gone), and the fns after it run in a fresh
// transaction.
func TestGroupCommitTransactionLost(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	if err := db.Update(ctx, func(tx connectfed.Tx) error {
		for _, k := range []string{"a", "b", "c"} {
			if err := tx.Create("batch", k, []byte("0")); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pages, err := sqlite.Pragma(ctx, db, false, "page_count")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Pragma(ctx, db, false, "max_page_count = "+pages); err != nil {
		t.Fatal(err)
	}

	release := holdWriter(t, db)
	var full, refused error
	fns := []func(connectfed.Tx) error{
		func(tx connectfed.Tx) error { return tx.Put("batch", "a", []byte("1")) },
		func(tx connectfed.Tx) error {
			full = tx.Create("batch", "big", make([]byte, 1<<20)) // needs new pages
			refused = tx.Put("batch", "b", []byte("1"))           // would autocommit if run
			return nil                                            // ignores both errors
		},
		func(tx connectfed.Tx) error { return tx.Put("batch", "c", []byte("1")) },
	}
	wait := queueInOrder(t, db, nil, fns)
	release()
	errs, _ := wait()

	t.Logf("Create that filled the file: %v", full)
	t.Logf("Put after it: %v", refused)
	t.Logf("Updates: %v", errs)
	if !errors.Is(full, connectfed.ErrUnavailable) {
		t.Fatalf("Create with no room: %v, want ErrUnavailable (SQLITE_FULL)", full)
	}
	if refused == nil {
		t.Fatal("a statement after one that may have ended the transaction ran")
	}
	if !errors.Is(errs[1], connectfed.ErrUnavailable) {
		t.Errorf("Update whose fn hit SQLITE_FULL: %v, want ErrUnavailable", errs[1])
	}
	if errs[0] == nil {
		t.Errorf("Update kept before the lost transaction returned nil")
	}
	if errs[2] != nil {
		t.Errorf("Update after the lost transaction: %v, want nil (a fresh transaction)", errs[2])
	}
	var got []string
	if err := db.View(ctx, func(tx connectfed.Tx) error {
		es, err := tx.List("batch", "", "", 0)
		for _, e := range es {
			got = append(got, e.Key+"="+string(e.Value))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a=0", "b=0", "c=1"}; !slices.Equal(got, want) {
		t.Fatalf("stored %v, want %v: only the Update that returned nil kept", got, want)
	}
}
