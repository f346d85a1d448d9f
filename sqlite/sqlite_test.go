package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/sqlite"
	"github.com/connectfed/connectfed/storetest"
)

func openTemp(t testing.TB) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) connectfed.Store {
		db, _ := openTemp(t)
		return db
	})
}

func TestPragmas(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	for _, c := range []struct {
		reader bool
		name   string
		want   string
	}{
		{false, "journal_mode", "wal"},
		{false, "synchronous", "2"}, // FULL: the WAL is fsynced at every commit
		{false, "foreign_keys", "1"},
		{false, "busy_timeout", "5000"},
		{false, "query_only", "0"},
		{false, "cache_size", "-256"}, // KiB: a bounded page cache (see cacheKiB)
		{true, "journal_mode", "wal"},
		{true, "foreign_keys", "1"},
		{true, "busy_timeout", "5000"},
		{true, "query_only", "1"},
		{true, "cache_size", "-256"},
	} {
		got, err := sqlite.Pragma(ctx, db, c.reader, c.name)
		if err != nil {
			t.Fatalf("PRAGMA %s (reader %v): %v", c.name, c.reader, err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s on a %s connection = %q, want %q", c.name, map[bool]string{false: "writer", true: "reader"}[c.reader], got, c.want)
		}
	}
}

func TestPathNeedsEscaping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird #dir%20")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "d b?.sqlite")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	defer db.Close()
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("k", "k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the literal path %q: %v", path, err)
	}
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx connectfed.Tx) error {
		return tx.Create("user", "alice", []byte(`{"name":"alice"}`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := db.Update(ctx, func(tx connectfed.Tx) error { return nil }); !errors.Is(err, connectfed.ErrUnavailable) {
		t.Fatalf("Update after Close: %v, want ErrUnavailable", err)
	}
	if err := db.View(ctx, func(tx connectfed.Tx) error { return nil }); !errors.Is(err, connectfed.ErrUnavailable) {
		t.Fatalf("View after Close: %v, want ErrUnavailable", err)
	}

	for i := range 2 {
		db, err = sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		var got []byte
		if err := db.View(ctx, func(tx connectfed.Tx) (err error) {
			got, err = tx.Get("user", "alice")
			return err
		}); err != nil {
			t.Fatalf("reopen %d: Get: %v", i, err)
		}
		if string(got) != `{"name":"alice"}` {
			t.Fatalf("reopen %d: Get = %q", i, got)
		}
		if err := db.Check(ctx); err != nil {
			t.Fatalf("reopen %d: Check: %v", i, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Each migration is recorded once, however often the file is opened.
	if got := migrationsIn(t, path); got != "1:0001_records.sql" {
		t.Fatalf("schema_migrations = %q, want only 1:0001_records.sql", got)
	}
}

// migrationsIn lists schema_migrations as "version:name,...".
func migrationsIn(t *testing.T, path string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT version, name FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%s", v, name))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, ",")
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	first := fstest.MapFS{
		// Not IF NOT EXISTS: running a step twice would fail Open.
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x TEXT NOT NULL) STRICT;\nCREATE TABLE records (kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID, STRICT;")},
	}
	db, err := sqlite.OpenWith(ctx, path, first)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	second := fstest.MapFS{
		"0001_a.sql": first["0001_a.sql"],
		"0002_b.sql": {Data: []byte("CREATE TABLE b (y TEXT NOT NULL) STRICT; INSERT INTO a (x) VALUES ('from 2');")},
	}
	db, err = sqlite.OpenWith(ctx, path, second)
	if err != nil {
		t.Fatalf("reopen with a new step: %v", err)
	}
	db.Close()
	if got := migrationsIn(t, path); got != "1:0001_a.sql,2:0002_b.sql" {
		t.Fatalf("schema_migrations = %q, want 1:0001_a.sql,2:0002_b.sql", got)
	}

	// A failing step leaves the database as it was and fails Open.
	broken := fstest.MapFS{
		"0001_a.sql": first["0001_a.sql"],
		"0002_b.sql": second["0002_b.sql"],
		"0003_c.sql": {Data: []byte("CREATE TABLE c (z TEXT); THIS IS NOT SQL;")},
	}
	if db, err := sqlite.OpenWith(ctx, path, broken); err == nil {
		db.Close()
		t.Fatal("Open with a broken migration succeeded")
	}
	if got := migrationsIn(t, path); got != "1:0001_a.sql,2:0002_b.sql" {
		t.Fatalf("after a failed step schema_migrations = %q, want it unchanged", got)
	}

	// A binary that knows fewer steps than the file has refuses the file.
	if db, err := sqlite.OpenWith(ctx, path, first); err == nil {
		db.Close()
		t.Fatal("Open of a database migrated by a newer program succeeded")
	} else {
		t.Logf("older program: %v", err)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"0001_a.sql": first["0001_a.sql"], "0003_c.sql": {Data: []byte("SELECT 1;")}},
		"duplicate": {"0001_a.sql": first["0001_a.sql"], "0001_b.sql": {Data: []byte("SELECT 1;")}},
		"bad name":  {"first.sql": {Data: []byte("SELECT 1;")}},
		"empty":     {},
	} {
		if db, err := sqlite.OpenWith(ctx, filepath.Join(t.TempDir(), "x.sqlite"), fsys); err == nil {
			db.Close()
			t.Errorf("Open with migrations %s succeeded, want an error", name)
		}
	}
}

// A panic in fn rolls the transaction back and leaves the writer usable.
func TestUpdatePanicRollsBack(t *testing.T) {
	db, _ := openTemp(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the panic from fn", r)
			}
		}()
		db.Update(t.Context(), func(tx connectfed.Tx) error {
			if err := tx.Create("k", "half", []byte("x")); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("k", "after", []byte("y")) }); err != nil {
		t.Fatalf("Update after a panicking Update: %v", err)
	}
	err := db.View(ctx, func(tx connectfed.Tx) error { _, err := tx.Get("k", "half"); return err })
	if !errors.Is(err, connectfed.ErrNotFound) {
		t.Fatalf("write from the panicking Update: Get = %v, want ErrNotFound", err)
	}
}

func TestCancelledContextError(t *testing.T) {
	db, _ := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := db.Update(ctx, func(connectfed.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with cancelled ctx: %v, want context.Canceled", err)
	}
	if err := db.View(ctx, func(connectfed.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with cancelled ctx: %v, want context.Canceled", err)
	}
}

// Another process holding the write lock makes Update wait busy_timeout, try
// again a bounded number of times, then fail with ErrUnavailable; a context
// deadline ends the wait sooner. Once the lock is released Updates work
// again, and Views are never blocked by it.
func TestBusyIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := sqlite.OpenBusyTimeout(t.Context(), path, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	calls := 0
	start := time.Now()
	err = db.Update(t.Context(), func(tx connectfed.Tx) error { calls++; return tx.Create("k", "k", nil) })
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if !errors.Is(err, connectfed.ErrUnavailable) {
		t.Fatalf("Update while another connection holds the write lock: %v, want ErrUnavailable", err)
	}
	if connectfed.ErrorCode(err) != connectfed.EUNAVAILABLE {
		t.Fatalf("ErrorCode = %q, want %q", connectfed.ErrorCode(err), connectfed.EUNAVAILABLE)
	}
	if calls != 0 {
		t.Fatalf("fn ran %d times; BEGIN IMMEDIATE should fail before fn runs", calls)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err = db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("k", "k", nil) })
	if err == nil {
		t.Fatal("Update succeeded while another connection held the write lock")
	}

	if err := db.View(t.Context(), func(tx connectfed.Tx) error {
		_, err := tx.Get("k", "k")
		if errors.Is(err, connectfed.ErrNotFound) {
			return nil
		}
		return err
	}); err != nil {
		t.Fatalf("View while another connection holds the write lock: %v", err)
	}

	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("k", "k", nil) }); err != nil {
		t.Fatalf("Update after the lock was released: %v", err)
	}
}

func TestDriverErrorCode(t *testing.T) {
	// The mapping relies on modernc's *Error carrying the extended code.
	db, path := openTemp(t)
	_ = db
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO records (kind, key, value) VALUES ('k', 'k', x'')`); err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO records (kind, key, value) VALUES ('k', 'k', x'')`)
	var se *msqlite.Error
	if !errors.As(err, &se) || se.Code() != 1555 {
		t.Fatalf("duplicate insert: %v, want *sqlite.Error with code 1555 (SQLITE_CONSTRAINT_PRIMARYKEY)", err)
	}
	// A key bound as a BLOB is refused (STRICT), so it cannot sort apart
	// from the TEXT keys.
	if _, err = raw.Exec(`INSERT INTO records (kind, key, value) VALUES ('k', x'41', x'')`); err == nil {
		t.Fatal("a BLOB key was accepted")
	}
}

// --- durability across kill -9 ---------------------------------------------

const (
	helperEnv     = "CONNECTFED_SQLITE_HELPER_DB"
	roundEnv      = "CONNECTFED_SQLITE_HELPER_ROUND"
	helperWorkers = 16 // enough concurrent Updates that they share COMMITs
	statsPrefix   = "#commits "
)

// TestHelperProcess is not a test: TestKillDurability runs the test binary
// again with helperEnv set, and this writes until it is killed, printing each
// key once its Update has returned nil. Every few milliseconds it also prints
// a statsPrefix line with the group-commit counters (COMMITs, Updates they
// carried, largest batch), so the parent can tell batches really formed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper for TestKillDurability")
	}
	round := os.Getenv(roundEnv)
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper: open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	go func() {
		for range time.Tick(5 * time.Millisecond) {
			commits, updates, largest := sqlite.GroupCommitStats(db)
			mu.Lock()
			fmt.Fprintf(os.Stdout, "%s%d %d %d\n", statsPrefix, commits, updates, largest)
			mu.Unlock()
		}
	}()
	for w := range helperWorkers {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%s/w%d/%08d", round, w, i)
				err := db.Update(context.Background(), func(tx connectfed.Tx) error {
					if err := tx.Create("ack", key, []byte(key)); err != nil {
						return err
					}
					// A read-modify-write too, so commits touch shared pages.
					v, err := tx.Get("counter", "n")
					if errors.Is(err, connectfed.ErrNotFound) {
						return tx.Create("counter", "n", []byte("1"))
					} else if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(v))
					return tx.Put("counter", "n", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "helper: update:", err)
					os.Exit(2)
				}
				mu.Lock()
				os.Stdout.WriteString(key + "\n") // one write(2): a line is all there or absent
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestKillDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	path := filepath.Join(t.TempDir(), "db.sqlite")
	acked := map[string]bool{}
	var largestBatch int64
	for round := range 3 {
		keys, stats := runAndKill(t, path, round)
		for _, k := range keys {
			acked[k] = true
		}
		largestBatch = max(largestBatch, stats[2])
		t.Logf("round %d: %d acknowledged Updates before SIGKILL; last counters: %d COMMITs carried %d Updates, at most %d in one",
			round, len(keys), stats[0], stats[1], stats[2])
		if len(keys) == 0 {
			t.Fatalf("round %d: the helper acknowledged nothing", round)
		}

		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		if err := db.Check(t.Context()); err != nil {
			t.Fatalf("round %d: integrity after kill: %v", round, err)
		}
		var present map[string]bool
		var counter int
		if err := db.View(t.Context(), func(tx connectfed.Tx) error {
			es, err := tx.List("ack", "", "", 0)
			if err != nil {
				return err
			}
			present = make(map[string]bool, len(es))
			for _, e := range es {
				if string(e.Value) != e.Key {
					return fmt.Errorf("key %q holds %q", e.Key, e.Value)
				}
				present[e.Key] = true
			}
			v, err := tx.Get("counter", "n")
			if err != nil {
				return err
			}
			counter, err = strconv.Atoi(string(v))
			return err
		}); err != nil {
			t.Fatalf("round %d: read after kill: %v", round, err)
		}
		db.Close()

		missing := 0
		for k := range acked {
			if !present[k] {
				missing++
				if missing <= 5 {
					t.Errorf("round %d: acknowledged key %q is missing after kill -9", round, k)
				}
			}
		}
		if missing > 0 {
			t.Fatalf("round %d: %d of %d acknowledged keys lost", round, missing, len(acked))
		}
		// At most one Update per worker can have committed without being
		// printed yet; anything more means commits we never acknowledged.
		if extra := len(present) - len(acked); extra < 0 || extra > helperWorkers*(round+1) {
			t.Fatalf("round %d: %d keys stored, %d acknowledged", round, len(present), len(acked))
		}
		if counter != len(present) {
			t.Fatalf("round %d: counter = %d, want %d (one increment per stored key, all in the same transactions)", round, counter, len(present))
		}
	}
	if largestBatch < 2 {
		t.Fatalf("no COMMIT carried more than %d Update: the helper's %d writers never formed a batch, so group commit went untested", largestBatch, helperWorkers)
	}
}

// runAndKill starts the helper on path, lets it commit for a while, SIGKILLs
// it and returns every key it acknowledged and the last group-commit counters
// it printed.
func runAndKill(t *testing.T, path string, round int) (_ []string, stats [3]int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, roundEnv+"="+strconv.Itoa(round))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	readDone := make(chan struct{})
	var keys []string
	go func() {
		defer close(readDone)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil { // a fragment without '\n' was never fully acknowledged
				if err != io.EOF {
					t.Logf("reading helper output: %v", err)
				}
				return
			}
			line = strings.TrimSuffix(line, "\n")
			if rest, ok := strings.CutPrefix(line, statsPrefix); ok {
				var st [3]int64
				if _, err := fmt.Sscan(rest, &st[0], &st[1], &st[2]); err == nil {
					stats = st // read by the caller only after readDone
				}
				continue
			}
			lines <- line
		}
	}()
	// Kill once it has made real progress, at a moment not tied to a commit.
	deadline := time.After(20 * time.Second)
	prefix := fmt.Sprintf("r%d/", round)
wait:
	for {
		select {
		case l := <-lines:
			keys = append(keys, l)
			if len(keys) >= 600+300*round {
				break wait
			}
		case <-deadline:
			break wait
		}
	}
	time.Sleep(time.Duration(3+round*7) * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	// Drain what was printed before the kill.
	go func() { <-readDone; close(lines) }()
	for l := range lines {
		keys = append(keys, l)
	}
	<-readDone
	err = cmd.Wait()
	if len(keys) == 0 {
		t.Fatalf("helper printed nothing (exit %v): %s", err, stderr.String())
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			t.Fatalf("helper printed %q, not an acknowledged key (stderr: %s)", k, stderr.String())
		}
	}
	return keys, stats
}

// --- benchmarks ----------------------------------------------------------

// BenchmarkUpdate measures one durable Update (a single Create, fsynced
// before it returns) at a time.
func BenchmarkUpdate(b *testing.B) {
	for _, fdatasync := range []bool{false, true} {
		name := "fsync"
		if fdatasync {
			name = "fdatasync"
		}
		b.Run(name, func(b *testing.B) {
			if fdatasync {
				prev, err := msqlite.Fdatasync(true)
				if err != nil {
					b.Skip(err)
				}
				defer msqlite.Fdatasync(prev)
			}
			db, _ := openTemp(b)
			value := []byte(`{"id":"00000000-0000-0000-0000-000000000000","name":"benchmark user","created":"2031-07-09T23:59:58.123456789Z"}`)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				key := "user/" + strconv.Itoa(i)
				i++
				if err := db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("user", key, value) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}

// BenchmarkUpdateParallel measures durable Updates (one Create each) from
// about 32 goroutines at once: the load under which commits can share an
// fsync.
func BenchmarkUpdateParallel(b *testing.B) {
	db, _ := openTemp(b)
	value := []byte(`{"id":"00000000-0000-0000-0000-000000000000","name":"benchmark user","created":"2031-07-09T23:59:58.123456789Z"}`)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	commits0, updates0, _ := sqlite.GroupCommitStats(db)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := "user/" + strconv.FormatInt(next.Add(1), 10)
			if err := db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("user", key, value) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	// One COMMIT is one fsync of the WAL (synchronous=FULL).
	commits, updates, largest := sqlite.GroupCommitStats(db)
	if n := updates - updates0; n > 0 {
		b.ReportMetric(float64(commits-commits0)/float64(n), "fsyncs/update")
	}
	b.ReportMetric(float64(largest), "max-batch")
}

// BenchmarkGet measures a point read: alone in its own View (what a request
// pays) and inside an open View (the cost of Get itself).
func BenchmarkGet(b *testing.B) {
	db, _ := openTemp(b)
	storetest.BenchGet(b, db)
}
