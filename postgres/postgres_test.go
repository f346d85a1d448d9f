package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/postgres"
	"github.com/connectfed/connectfed/postgres/pgtest"
	"github.com/connectfed/connectfed/storetest"
)

// open opens a store on dsn and closes it when t ends.
func open(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// openFresh opens a store in a schema of its own.
func openFresh(t testing.TB) *postgres.DB {
	t.Helper()
	return open(t, pgtest.FreshSchemaDSN(t))
}

// query runs one query on a connection of its own and returns the first
// column of every row.
func query[T any](t testing.TB, dsn, sql string, args ...any) []T {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[T])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return vs
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) connectfed.Store { return openFresh(t) })
}

func TestSchemaLayout(t *testing.T) {
	dsn := pgtest.FreshSchemaDSN(t)
	db := open(t, dsn)
	if err := db.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	cols := query[string](t, dsn, `SELECT column_name || ' ' || data_type || ' ' || is_nullable
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'records' ORDER BY ordinal_position`)
	want := []string{"kind text NO", "key bytea NO", "value bytea NO"}
	if fmt.Sprint(cols) != fmt.Sprint(want) {
		t.Fatalf("records columns = %q, want %q", cols, want)
	}
	pk := query[string](t, dsn, `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'records'::regclass AND contype = 'p'`)
	if len(pk) != 1 || pk[0] != "PRIMARY KEY (kind, key)" {
		t.Fatalf("records primary key = %q, want PRIMARY KEY (kind, key)", pk)
	}
	// Keys are stored as the exact bytes given.
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("bin", "a\xff\x00b", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	keys := query[[]byte](t, dsn, `SELECT key FROM records WHERE kind = 'bin'`)
	if len(keys) != 1 || string(keys[0]) != "a\xff\x00b" {
		t.Fatalf("stored keys = %q, want [\"a\\xff\\x00b\"]", keys)
	}
}

func TestOpenSchema(t *testing.T) {
	base := pgtest.DSN(t)
	_, name := pgtest.FreshSchema(t)
	schema := name + "_Mixed Case" // created by OpenSchema, quoted properly
	t.Cleanup(func() { pgtest.Exec(t, base, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`) })
	for i := range 2 { // the second Open finds the schema and the tables in place
		db, err := postgres.OpenSchema(t.Context(), base, schema)
		if err != nil {
			t.Fatalf("OpenSchema #%d: %v", i+1, err)
		}
		if err := db.Update(t.Context(), func(tx connectfed.Tx) error {
			return tx.Create("doc", strconv.Itoa(i), []byte("v"))
		}); err != nil {
			t.Fatalf("Update: %v", err)
		}
		if err := db.Check(t.Context()); err != nil {
			t.Fatalf("Check: %v", err)
		}
		db.Close()
	}
	n := query[int64](t, base, `SELECT count(*) FROM `+pgx.Identifier{schema, "records"}.Sanitize())
	if n[0] != 2 {
		t.Fatalf("%s.records has %d rows, want 2", schema, n[0])
	}
	if _, err := postgres.OpenSchema(t.Context(), base, ""); err == nil {
		t.Fatal("OpenSchema with an empty schema name succeeded")
	}
}

func TestOpenMissingSchema(t *testing.T) {
	dsn, err := pgtest.WithParam(pgtest.DSN(t), "search_path", "t_does_not_exist_ever")
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(t.Context(), dsn)
	if err == nil {
		db.Close()
		t.Fatal("Open with a search_path naming no schema succeeded")
	}
	t.Logf("Open: %v", err)
}

// migrationsRecorded returns every version in schema_migrations, in order.
func migrationsRecorded(t *testing.T, dsn string) []int32 {
	t.Helper()
	return query[int32](t, dsn, `SELECT version FROM schema_migrations ORDER BY version`)
}

// Several replicas starting at once on a fresh schema all open it, and each
// migration is applied and recorded exactly once.
func TestConcurrentMigrate(t *testing.T) {
	const replicas = 5
	embedded, err := fs.Sub(postgres.MigrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	first, err := fs.ReadFile(embedded, "0001_records.sql")
	if err != nil {
		t.Fatal(err)
	}
	// A slow second step holds the lock long enough that the other Opens
	// are certain to be waiting for it; a non-idempotent third step (a plain
	// INSERT) would run more than once if the lock did not serialize them.
	slow := fstest.MapFS{
		"0001_records.sql": {Data: first},
		"0002_slow.sql":    {Data: []byte("SELECT pg_sleep(0.3);\nCREATE TABLE applied (n integer NOT NULL);")},
		"0003_count.sql":   {Data: []byte("INSERT INTO applied VALUES (1);")},
	}
	for _, c := range []struct {
		name      string
		fsys      fs.FS
		newSchema bool // OpenSchema creates the schema too
		versions  int
	}{
		{"embedded", nil, false, 1},
		{"slow", slow, false, 3},
		{"slow/create schema", slow, true, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			dsn, schema := pgtest.FreshSchema(t)
			base := pgtest.DSN(t)
			if c.newSchema {
				schema += "_new"
				t.Cleanup(func() { pgtest.Exec(t, base, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`) })
				dsn, _ = pgtest.WithParam(base, "search_path", schema)
			}
			start := make(chan struct{})
			dbs := make([]*postgres.DB, replicas)
			errs := make([]error, replicas)
			var wg sync.WaitGroup
			for i := range replicas {
				wg.Go(func() {
					<-start
					switch {
					case c.newSchema:
						dbs[i], errs[i] = postgres.OpenWith(t.Context(), base, schema, c.fsys)
					case c.fsys != nil:
						dbs[i], errs[i] = postgres.OpenWith(t.Context(), dsn, "", c.fsys)
					default:
						dbs[i], errs[i] = postgres.Open(t.Context(), dsn)
					}
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("replica %d: Open: %v", i, err)
					continue
				}
				defer dbs[i].Close()
				if err := dbs[i].Check(t.Context()); err != nil {
					t.Errorf("replica %d: Check: %v", i, err)
				}
			}
			if t.Failed() {
				return
			}
			got := migrationsRecorded(t, dsn)
			var want []int32
			for v := range c.versions {
				want = append(want, int32(v+1))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("schema_migrations = %v, want each of %v exactly once", got, want)
			}
			if c.fsys != nil {
				if n := query[int64](t, dsn, `SELECT count(*) FROM applied`); n[0] != 1 {
					t.Fatalf("migration 0003 ran %d times, want once", n[0])
				}
			}
			// Every replica sees the others' writes: one schema.
			for i, db := range dbs {
				if err := db.Update(t.Context(), func(tx connectfed.Tx) error {
					return tx.Create("replica", strconv.Itoa(i), nil)
				}); err != nil {
					t.Fatalf("replica %d: Update: %v", i, err)
				}
			}
			if err := dbs[0].View(t.Context(), func(tx connectfed.Tx) error {
				es, err := tx.List("replica", "", "", 0)
				if err == nil && len(es) != replicas {
					err = fmt.Errorf("%d entries, want %d", len(es), replicas)
				}
				return err
			}); err != nil {
				t.Fatalf("List: %v", err)
			}
		})
	}
}

func TestBadMigrations(t *testing.T) {
	dsn := pgtest.FreshSchemaDSN(t)
	for name, fsys := range map[string]fstest.MapFS{
		"gap":     {"0001_a.sql": {Data: []byte("SELECT 1")}, "0003_c.sql": {Data: []byte("SELECT 1")}},
		"badname": {"first.sql": {Data: []byte("SELECT 1")}},
		"none":    {},
	} {
		if db, err := postgres.OpenWith(t.Context(), dsn, "", fsys); err == nil {
			db.Close()
			t.Errorf("%s: Open succeeded", name)
		}
	}
	// A failing step leaves nothing behind, not even schema_migrations.
	failing := fstest.MapFS{
		"0001_ok.sql":   {Data: []byte("CREATE TABLE records (kind text, key bytea, value bytea)")},
		"0002_bad.sql":  {Data: []byte("SELECT no_such_function()")},
		"0003_more.sql": {Data: []byte("SELECT 1")},
	}
	if db, err := postgres.OpenWith(t.Context(), dsn, "", failing); err == nil {
		db.Close()
		t.Fatal("Open with a failing migration succeeded")
	} else if connectfed.ErrorCode(err) == connectfed.EUNAVAILABLE {
		t.Fatalf("a failing migration reported as unavailable: %v", err)
	}
	if n := query[int64](t, dsn, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`); n[0] != 0 {
		t.Fatalf("a failed migration left %d tables behind", n[0])
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := pgtest.FreshSchemaDSN(t)
	db := open(t, dsn)
	pgtest.Exec(t, dsn, `INSERT INTO schema_migrations (version, name) VALUES (99, '0099_future.sql')`)
	if err := db.Check(t.Context()); err == nil {
		t.Fatal("Check passed with a newer migration recorded")
	}
	if db2, err := postgres.Open(t.Context(), dsn); err == nil {
		db2.Close()
		t.Fatal("Open of a schema newer than the program succeeded")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open: %v, want a refusal naming the newer version", err)
	}
}

func TestCheck(t *testing.T) {
	dsn := pgtest.FreshSchemaDSN(t)
	db := open(t, dsn)
	if err := db.Check(t.Context()); err != nil {
		t.Fatalf("Check of a fresh store: %v", err)
	}
	pgtest.Exec(t, dsn, `DELETE FROM schema_migrations`)
	if err := db.Check(t.Context()); err == nil {
		t.Fatal("Check passed with schema_migrations emptied")
	}
	pgtest.Exec(t, dsn, `INSERT INTO schema_migrations (version, name) VALUES (1, '0001_records.sql')`)
	pgtest.Exec(t, dsn, `ALTER TABLE records RENAME TO records_gone`)
	if err := db.Check(t.Context()); err == nil {
		t.Fatal("Check passed without a records table")
	}
}

func TestSynchronousCommitOffRefused(t *testing.T) {
	dsn, err := pgtest.WithParam(pgtest.FreshSchemaDSN(t), "synchronous_commit", "off")
	if err != nil {
		t.Fatal(err)
	}
	if db, err := postgres.Open(t.Context(), dsn); err == nil {
		db.Close()
		t.Fatal("Open with synchronous_commit=off succeeded")
	}
}

func TestClosed(t *testing.T) {
	db, err := postgres.Open(t.Context(), pgtest.FreshSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	nop := func(connectfed.Tx) error { return nil }
	for name, err := range map[string]error{
		"Update": db.Update(t.Context(), nop),
		"View":   db.View(t.Context(), nop),
		"Check":  db.Check(t.Context()),
	} {
		if !errors.Is(err, connectfed.ErrUnavailable) {
			t.Errorf("%s after Close: %v, want ErrUnavailable", name, err)
		}
	}
}

// A kind PostgreSQL's text type cannot hold is refused before it reaches the
// server, so it does not abort the transaction.
func TestBadKindKeepsTransaction(t *testing.T) {
	db := openFresh(t)
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error {
		for _, kind := range []string{"a\x00b", "\xff"} {
			if err := tx.Create(kind, "k", []byte("v")); connectfed.ErrorCode(err) != connectfed.EINVALID {
				return fmt.Errorf("Create with kind %q: %v, want EINVALID", kind, err)
			}
			if _, err := tx.Get(kind, "k"); connectfed.ErrorCode(err) != connectfed.EINVALID {
				return fmt.Errorf("Get with kind %q: %v, want EINVALID", kind, err)
			}
		}
		return tx.Create("doc", "k", []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
}

// A statement that fails on the server aborts the transaction: later calls
// say so at once, and Update returns the failure even if fn ignores it.
func TestServerErrorAbortsTransaction(t *testing.T) {
	dsn := pgtest.FreshSchemaDSN(t)
	db := open(t, dsn)
	// A CHECK constraint the test adds makes a Put fail on the server.
	pgtest.Exec(t, dsn, `ALTER TABLE records ADD CONSTRAINT short_values CHECK (octet_length(value) < 10)`)
	var putErr, laterErr error
	err := db.Update(t.Context(), func(tx connectfed.Tx) error {
		if err := tx.Create("doc", "k", []byte("v")); err != nil {
			return err
		}
		putErr = tx.Put("doc", "k", []byte("much too long"))
		_, laterErr = tx.Get("doc", "k")
		return nil // ignores both
	})
	if putErr == nil || laterErr == nil || err == nil {
		t.Fatalf("Put = %v, later Get = %v, Update = %v; want three errors", putErr, laterErr, err)
	}
	if code := connectfed.ErrorCode(err); code != connectfed.EINTERNAL {
		t.Fatalf("Update: %v has code %s, want internal", err, code)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23514" {
		t.Fatalf("Update: %v, want the check_violation (23514) in the chain", err)
	}
	if v, gerr := getOne(t, db, "doc", "k"); !errors.Is(gerr, connectfed.ErrNotFound) {
		t.Fatalf("the aborted Update's Create was kept: %q, %v", v, gerr)
	}
}

func getOne(t testing.TB, db *postgres.DB, kind, key string) (v []byte, err error) {
	t.Helper()
	if verr := db.View(context.Background(), func(tx connectfed.Tx) error {
		v, err = tx.Get(kind, key)
		return nil
	}); verr != nil {
		t.Fatalf("View: %v", verr)
	}
	return v, err
}

// Serializable retries make read-modify-write increments exact under
// contention (more goroutines than pool connections).
func TestCounter(t *testing.T) {
	const workers, each = 8, 50
	db := openFresh(t)
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("counter", "n", []byte("0")) }); err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := range each {
				if err := db.Update(context.Background(), func(tx connectfed.Tx) error {
					runs.Add(1)
					v, err := tx.Get("counter", "n")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return err
					}
					return tx.Put("counter", "n", []byte(strconv.Itoa(n+1)))
				}); err != nil {
					t.Errorf("worker %d increment %d: %v", w, i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	v, err := getOne(t, db, "counter", "n")
	if err != nil || string(v) != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %q, %v; want %d", v, err, workers*each)
	}
	t.Logf("%d increments took %d runs of fn (%d retried)", workers*each, runs.Load(), runs.Load()-workers*each)
}

// A read-modify-write of one hot row from goroutines in tight loops: the
// loser of a conflict tends to keep losing to the winner's next transaction.
// After exclusiveAfter conflicts an Update runs alone, so none starves, none
// runs fn more than exclusiveAfter+1 times, and no advisory lock outlives
// its Update.
func TestHotKeyNoStarvation(t *testing.T) {
	const workers, each = 3, 150
	app := fmt.Sprintf("connectfed_hot_%d", time.Now().UnixNano())
	dsn, err := pgtest.WithParam(pgtest.FreshSchemaDSN(t), "application_name", app)
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, dsn)
	if err := db.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Create("counter", "n", []byte("0")) }); err != nil {
		t.Fatal(err)
	}
	hist := make([]map[int]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		hist[w] = map[int]int{}
		wg.Go(func() {
			for i := range each {
				runs := 0
				err := db.Update(context.Background(), func(tx connectfed.Tx) error {
					runs++
					v, err := tx.Get("counter", "n")
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(v))
					return tx.Put("counter", "n", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Errorf("worker %d update %d (after %d runs): %v", w, i, runs, err)
					return
				}
				hist[w][runs]++
			}
		})
	}
	wg.Wait()
	for w, h := range hist {
		t.Logf("worker %d: runs of fn per Update: %v", w, h)
		for runs := range h {
			if runs > postgres.ExclusiveAfter+1 {
				t.Errorf("worker %d: an Update ran fn %d times, want at most %d", w, runs, postgres.ExclusiveAfter+1)
			}
		}
	}
	if v, err := getOne(t, db, "counter", "n"); err != nil || string(v) != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %q, %v; want %d", v, err, workers*each)
	}
	if n := query[int64](t, pgtest.DSN(t), `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND a.application_name = $1`, app); n[0] != 0 {
		t.Fatalf("%d advisory locks still held by the idle pool", n[0])
	}
}

// The exclusive mode step by step: an exclusive Update waits for the Update
// in progress, a new Update waits for the exclusive one outside any
// transaction (so its snapshot includes the exclusive one's write and it need
// not retry), Views are not held up, and a wait cut short by ctx leaves no
// lock behind.
func TestExclusiveUpdate(t *testing.T) {
	app := fmt.Sprintf("connectfed_excl_%d", time.Now().UnixNano())
	dsn, err := pgtest.WithParam(pgtest.FreshSchemaDSN(t), "application_name", app)
	if err != nil {
		t.Fatal(err)
	}
	base := pgtest.DSN(t)
	db := open(t, dsn)
	ctx := t.Context()
	// waiting reports whether a connection of this test waits for an
	// advisory lock in mode.
	waiting := func(mode string) bool {
		n := query[int64](t, base, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			WHERE l.locktype = 'advisory' AND NOT l.granted AND l.mode = $2 AND a.application_name = $1`, app, mode)
		return n[0] > 0
	}
	waitFor := func(mode string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !waiting(mode); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no connection came to wait for the lock in %s", mode)
			}
		}
	}

	// A: an Update in progress, holding the lock shared until released.
	releaseA := make(chan struct{})
	aDone := make(chan error, 1)
	aIn := make(chan struct{})
	go func() {
		aDone <- db.Update(context.Background(), func(tx connectfed.Tx) error {
			if err := tx.Create("doc", "a", []byte("a")); err != nil {
				return err
			}
			close(aIn)
			<-releaseA
			return nil
		})
	}()
	<-aIn

	// An exclusive Update whose context ends while it waits for A.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = postgres.UpdateExclusive(short, db, func(tx connectfed.Tx) error {
		return errors.New("fn ran while another Update was in progress")
	})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("exclusive Update cut short while waiting: %v, want context.DeadlineExceeded", err)
	}

	// B: an exclusive Update; it must wait for A.
	bDone := make(chan error, 1)
	go func() {
		bDone <- postgres.UpdateExclusive(context.Background(), db, func(tx connectfed.Tx) error {
			if _, err := tx.Get("doc", "a"); err != nil {
				return fmt.Errorf("B does not see A's write: %w", err)
			}
			return tx.Create("doc", "b", []byte("b"))
		})
	}()
	waitFor("ExclusiveLock")

	// C: an ordinary Update started while B waits; it must wait for B and
	// then see B's write on its first run.
	cRuns := 0
	cDone := make(chan error, 1)
	go func() {
		cDone <- db.Update(context.Background(), func(tx connectfed.Tx) error {
			cRuns++
			if _, err := tx.Get("doc", "b"); err != nil {
				return fmt.Errorf("C does not see B's write: %w", err)
			}
			return tx.Create("doc", "c", []byte("c"))
		})
	}()
	waitFor("ShareLock")

	// Views go on meanwhile.
	if err := db.View(ctx, func(tx connectfed.Tx) error { _, err := tx.Get("doc", "a"); return err }); !errors.Is(err, connectfed.ErrNotFound) {
		t.Fatalf("View while Updates wait: %v, want ErrNotFound (A has not committed)", err)
	}

	close(releaseA)
	for name, ch := range map[string]chan error{"A": aDone, "B": bDone, "C": cDone} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("Update %s: %v", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Update %s did not finish", name)
		}
	}
	if cRuns != 1 {
		t.Fatalf("C ran fn %d times, want once", cRuns)
	}
	if n := query[int64](t, base, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND a.application_name = $1`, app); n[0] != 0 {
		t.Fatalf("%d advisory locks still held by the idle pool", n[0])
	}
}

// freePort returns a local address where nothing listens.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// retarget returns dsn pointed at addr (host:port).
func retarget(t testing.TB, dsn, addr string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal("cannot parse the test DSN")
		}
		u.Host = addr
		return u.String()
	}
	return dsn + " host=" + host + " port=" + port
}

func TestUnavailableNoServer(t *testing.T) {
	dsn := retarget(t, pgtest.DSN(t), freePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, dsn)
	if err == nil {
		db.Close()
		t.Fatal("Open with nothing listening succeeded")
	}
	if !errors.Is(err, connectfed.ErrUnavailable) || connectfed.ErrorCode(err) != connectfed.EUNAVAILABLE {
		t.Fatalf("Open with nothing listening: %v (code %s), want ErrUnavailable", err, connectfed.ErrorCode(err))
	}
}

// proxy forwards TCP connections to PostgreSQL and can be taken down and
// brought back, which looks to the store like a database restart, without
// touching the shared server.
type proxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func startProxy(t testing.TB, target string) *proxy {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c)
		}
	}()
}

func (p *proxy) handle(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		c.Close()
		u.Close()
		return
	}
	p.conns[c], p.conns[u] = true, true
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close(); c.Close() }()
	io.Copy(c, u)
	c.Close()
	u.Close()
}

// down stops listening and cuts every connection, as a crashed server would.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// up listens again on the same address.
func (p *proxy) up(t testing.TB) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func TestOutageAndRecovery(t *testing.T) {
	dsn := pgtest.FreshSchemaDSN(t)
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(cfg.Host, "/") {
		t.Skip("the test server is on a Unix socket; the proxy speaks TCP")
	}
	p := startProxy(t, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
	db := open(t, retarget(t, dsn, p.addr))
	ctx := t.Context()
	n := 0
	incr := func() error {
		return db.Update(ctx, func(tx connectfed.Tx) error {
			key := strconv.Itoa(n)
			if err := tx.Create("doc", key, []byte(key)); err != nil {
				return err
			}
			return nil
		})
	}
	// Several pooled connections, so that several are dead after the outage.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db.View(ctx, func(tx connectfed.Tx) error { time.Sleep(50 * time.Millisecond); return nil })
		})
	}
	wg.Wait()
	if err := incr(); err != nil {
		t.Fatalf("Update through the proxy: %v", err)
	}
	n++

	for round := range 2 {
		p.down()
		for _, op := range []struct {
			name string
			err  error
		}{
			{"Update", incr()},
			{"View", db.View(ctx, func(tx connectfed.Tx) error { _, err := tx.Get("doc", "0"); return err })},
			{"Check", db.Check(ctx)},
		} {
			if !errors.Is(op.err, connectfed.ErrUnavailable) || connectfed.ErrorCode(op.err) != connectfed.EUNAVAILABLE {
				t.Fatalf("round %d: %s while the database is down: %v (code %s), want ErrUnavailable", round, op.name, op.err, connectfed.ErrorCode(op.err))
			}
			t.Logf("round %d: %s while down: %v", round, op.name, op.err)
		}
		p.up(t)
		// The very next call succeeds: the pool replaces dead connections.
		if err := incr(); err != nil {
			t.Fatalf("round %d: first Update after the database came back: %v", round, err)
		}
		n++
		if err := db.Check(ctx); err != nil {
			t.Fatalf("round %d: Check after recovery: %v", round, err)
		}
	}
	if es := listAll(t, db, "doc"); len(es) != n {
		t.Fatalf("%d records after the outages, want %d", len(es), n)
	}
}

func listAll(t testing.TB, db *postgres.DB, kind string) []connectfed.Entry {
	t.Helper()
	var es []connectfed.Entry
	if err := db.View(context.Background(), func(tx connectfed.Tx) (err error) {
		es, err = tx.List(kind, "", "", 0)
		return err
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	return es
}

// Backends terminated by the server (as at a restart or failover: SQLSTATE
// 57P01) are replaced by the pool; Update runs fn again when its connection
// is terminated before COMMIT.
func TestTerminatedBackends(t *testing.T) {
	base := pgtest.DSN(t)
	app := fmt.Sprintf("connectfed_test_%d", time.Now().UnixNano())
	dsn, err := pgtest.WithParam(pgtest.FreshSchemaDSN(t), "application_name", app)
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, dsn)
	ctx := t.Context()
	terminate := func() int64 {
		n := query[int64](t, base, `SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE application_name = $1`, app)
		return n[0]
	}
	// Fill the pool with idle connections, then have the server end them.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db.View(ctx, func(tx connectfed.Tx) error { time.Sleep(50 * time.Millisecond); return nil })
		})
	}
	wg.Wait()
	if n := terminate(); n == 0 {
		t.Fatal("no backend to terminate")
	}
	if err := db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("doc", "a", []byte("a")) }); err != nil {
		t.Fatalf("Update after the server terminated the pooled connections: %v", err)
	}
	if err := db.View(ctx, func(tx connectfed.Tx) error { _, err := tx.Get("doc", "a"); return err }); err != nil {
		t.Fatalf("View after termination: %v", err)
	}

	// Terminated inside fn: the transaction cannot have committed, so fn
	// runs again on a fresh connection.
	runs := 0
	if err := db.Update(ctx, func(tx connectfed.Tx) error {
		runs++
		if _, err := tx.Get("doc", "a"); err != nil {
			return err
		}
		if runs == 1 {
			terminate()
		}
		return tx.Create("doc", "b", []byte("b"))
	}); err != nil {
		t.Fatalf("Update whose connection was terminated inside fn: %v", err)
	}
	if runs != 2 {
		t.Fatalf("fn ran %d times, want 2 (once on the terminated connection, once more)", runs)
	}
	if v, err := getOne(t, db, "doc", "b"); err != nil || string(v) != "b" {
		t.Fatalf("Get(b) = %q, %v", v, err)
	}

	// A View whose connection is terminated inside fn is not run again: it
	// reports the database unavailable.
	err = db.View(ctx, func(tx connectfed.Tx) error {
		terminate()
		_, err := tx.Get("doc", "a")
		return err
	})
	if !errors.Is(err, connectfed.ErrUnavailable) {
		t.Fatalf("View whose connection was terminated: %v, want ErrUnavailable", err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		t.Logf("View: SQLSTATE %s: %v", pe.Code, err)
	}
}

func TestErrorClassification(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code, Message: "x"}) }
	for _, c := range []struct {
		err                    error
		retryable, unavailable bool
	}{
		{pg("40001"), true, false},
		{pg("40P01"), true, false},
		{pg("23505"), true, false},
		{pg("23514"), false, false},
		{pg("42P01"), false, false},
		{pg("08006"), false, true},
		{pg("08P01"), false, true},
		{pg("57P01"), false, true},
		{pg("57P02"), false, true},
		{pg("57P03"), false, true},
		{pg("53300"), false, true},
		{pg("25006"), false, true},
		{pg("57014"), false, false}, // query_canceled: the caller's context
		{&pgconn.ConnectError{}, false, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), false, true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, false, true},
		{fmt.Errorf("x: %w", pgconn.ErrConnClosed), false, true},
		{errors.New("some bug"), false, false},
		{context.Canceled, false, false},
	} {
		if got := postgres.Retryable(c.err); got != c.retryable {
			t.Errorf("retryable(%v) = %v, want %v", c.err, got, c.retryable)
		}
		if got := postgres.Unavailable(c.err); got != c.unavailable {
			t.Errorf("unavailable(%v) = %v, want %v", c.err, got, c.unavailable)
		}
	}
}

func TestBackoff(t *testing.T) {
	var prevMax time.Duration
	for attempt := 1; attempt <= postgres.MaxAttempts; attempt++ {
		lo, hi := time.Hour, time.Duration(0)
		for range 200 {
			d := postgres.Backoff(attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo <= 0 || hi > 100*time.Millisecond || hi < prevMax/2 {
			t.Fatalf("backoff(%d) in [%v, %v], want positive, at most 100ms, growing", attempt, lo, hi)
		}
		if lo == hi {
			t.Fatalf("backoff(%d) is always %v: no jitter", attempt, lo)
		}
		prevMax = hi
	}
}

// --- benchmarks ----------------------------------------------------------

var benchValue = []byte(`{"id":"00000000-0000-0000-0000-000000000000","name":"benchmark user","created":"2031-07-09T23:59:58.123456789Z"}`)

// BenchmarkUpdate measures one durable Update (a single Create, committed
// with synchronous_commit on) at a time, and a read-modify-write of one hot
// key from parallel goroutines (serialization conflicts and retries).
func BenchmarkUpdate(b *testing.B) {
	b.Run("Create", func(b *testing.B) {
		db := openFresh(b)
		ctx := context.Background()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			key := "user/" + strconv.Itoa(i)
			i++
			if err := db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("user", key, benchValue) }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	})
	b.Run("HotKeyParallel", func(b *testing.B) {
		db := openFresh(b)
		ctx := context.Background()
		if err := db.Update(ctx, func(tx connectfed.Tx) error { return tx.Create("counter", "n", []byte("0")) }); err != nil {
			b.Fatal(err)
		}
		var runs atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.Update(ctx, func(tx connectfed.Tx) error {
					runs.Add(1)
					v, err := tx.Get("counter", "n")
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(v))
					return tx.Put("counter", "n", []byte(strconv.Itoa(n+1)))
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(runs.Load())/float64(b.N), "runs/update")
	})
}

// BenchmarkGet measures a point read: alone in its own View (what a request
// pays) and inside an open View (the cost of Get itself), and a List of 100.
func BenchmarkGet(b *testing.B) {
	storetest.BenchGet(b, openFresh(b))
}
