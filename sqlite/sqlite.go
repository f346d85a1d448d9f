// Package sqlite is the embedded, default connectfed.Store: one file, pure Go
// (modernc.org/sqlite, no cgo).
//
// Durability: the database runs in WAL mode with synchronous=FULL, so the WAL
// is fsynced before COMMIT returns and an Update that returned nil survives
// kill -9, and power loss on storage that honours fsync. Updates go through a
// pool of exactly one connection and begin with BEGIN IMMEDIATE, so they are
// serialized (no lost updates, no write skew) and never fail half way for want
// of the write lock. Concurrent Updates share a transaction, each fn in its
// own savepoint, and so share the COMMIT and its fsync (group commit; see
// group.go). Views use a separate pool of query_only connections; in WAL mode
// they read a snapshot and neither wait for nor block the writer.
package sqlite

import (
	"github.com/connectfed/connectfed/internal/migration"

	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/connectfed/connectfed"
)

// defaultBusyTimeout is how long one statement waits for a lock held by
// another process before SQLITE_BUSY.
const defaultBusyTimeout = 5 * time.Second

// cacheKiB bounds the page cache (PRAGMA cache_size=-N: N KiB of pages
// per connection). modernc.org/sqlite is built with
// SQLITE_ENABLE_MEMORY_MANAGEMENT, so every connection's pages live in one
// process-wide cache whose limit is the sum of the connections' sizes, and
// the connection that keeps its pages (the writer: a reader's are dropped
// whenever the writer commits, in WAL mode) grows to most of that sum. The
// memory is outside the Go heap (modernc.org/libc maps its own, in
// power-of-two slots: a 4 KiB page with SQLite's header takes 8 KiB). At
// SQLite's default of 2,000 KiB, 1 writer and max(4, GOMAXPROCS) readers
// allow about 9.8 MiB of pages, some 17 MiB as allocated, filled so slowly
// that the expiry soak's RSS still rose after 20 minutes (the writer's
// cache grew from 2.0 to 2.7 MiB between 30 s and 4.5 minutes). At
// 256 KiB the shared limit is 1.25 MiB of pages (about 2.3 MiB as
// allocated) for 5 connections, full within two minutes. Little is lost:
// the hot lookups (credentials, roles, instances, users) are cached in Go
// above the store, and a page not in the cache is one read from the OS's.
const cacheKiB = 256

// maxAttempts bounds how often Update runs fn when the database stays busy.
const maxAttempts = 3

// DB is a connectfed.Store in one SQLite file. It is safe for concurrent use.
type DB struct {
	path   string
	w      *sql.DB // writer: one connection, every Update
	r      *sql.DB // readers: query_only connections, every View and Check
	wStmts [numStmts]*sql.Stmt
	rStmts [numStmts]*sql.Stmt // only readStmts are set
	closed atomic.Bool

	// Group commit (group.go): an Update runs alone when the writer
	// connection is free, else queues a request, and the writer goroutine
	// runs the queue in batches. mu guards queue, busy and stopping.
	mu         sync.Mutex
	queue      []*request
	busy       bool          // a transaction (a batch or an updateAlone) holds the writer connection
	stopping   bool          // Close has begun: no more requests
	wake       chan struct{} // capacity 1: the writer should look at queue, busy and stopping again
	writerDone chan struct{} // closed when the writer goroutine has exited

	commits   atomic.Int64 // COMMITs run for Updates: one WAL fsync each
	committed atomic.Int64 // Updates those COMMITs carried
	largest   atomic.Int64 // most Updates in one COMMIT

	failCommit atomic.Pointer[func() error] // tests: a non-nil error fails a COMMIT
}

var _ connectfed.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path and applies any
// migrations it has not seen yet.
func Open(ctx context.Context, path string) (*DB, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return openWith(ctx, path, sub, defaultBusyTimeout)
}

// openWith is Open with the migrations taken from fsys and a busy timeout
// (tests add steps and shorten the wait).
func openWith(ctx context.Context, path string, fsys fs.FS, busyTimeout time.Duration) (_ *DB, err error) {
	ms, err := migration.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{path: abs, wake: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()

	// Pragmas go in the DSN so that every connection the pools open, now or
	// after a reconnect, has them. journal_mode=WAL is stored in the file; the
	// others are per connection.
	common := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(ON)",
		"synchronous(FULL)",
		fmt.Sprintf("cache_size(-%d)", cacheKiB),
	}
	db.w, err = sql.Open("sqlite", dsn(abs, append(common, "journal_mode(WAL)"), url.Values{"_txlock": {"immediate"}}))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)

	// The writer must exist (and have switched the file to WAL) before a
	// reader opens it.
	if err := db.w.PingContext(ctx); err != nil {
		return nil, dbError("open "+abs, err)
	}
	if err := db.checkPragmas(ctx); err != nil {
		return nil, err
	}
	if err := migrate(ctx, db.w, ms); err != nil {
		return nil, fmt.Errorf("sqlite: migrate %s: %w", abs, err)
	}

	db.r, err = sql.Open("sqlite", dsn(abs, append(common, "query_only(1)"), nil))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	db.r.SetConnMaxLifetime(0)
	db.r.SetConnMaxIdleTime(0)
	if err := db.r.PingContext(ctx); err != nil {
		return nil, dbError("open "+abs, err)
	}
	for i, q := range queries {
		if db.wStmts[i], err = db.w.PrepareContext(ctx, q); err != nil {
			return nil, dbError("prepare", err)
		}
	}
	for _, i := range readStmts {
		if db.rStmts[i], err = db.r.PrepareContext(ctx, queries[i]); err != nil {
			return nil, dbError("prepare", err)
		}
	}
	db.writerDone = make(chan struct{})
	go db.writeLoop()
	return db, nil
}

// dsn builds a file: URI. The path is escaped so that '?', '#' and '%' in a
// file name cannot be read as URI syntax.
func dsn(abs string, pragmas []string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?" + q.Encode()
}

// checkPragmas fails Open when SQLite silently declined a setting the
// durability promise depends on (WAL is refused on some file systems).
func (db *DB) checkPragmas(ctx context.Context) error {
	var mode string
	var sync int
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return dbError("read journal_mode", err)
	}
	if err := db.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return dbError("read synchronous", err)
	}
	if !strings.EqualFold(mode, "wal") || sync != 2 {
		return fmt.Errorf("sqlite: %s: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", db.path, mode, sync)
	}
	return nil
}

// Close closes both pools; a second call does nothing. Update, View and Check
// on a closed DB return an error matching connectfed.ErrUnavailable. Close
// waits for the transaction in progress to end; Updates still queued behind
// it fail with that error, their fns never run. It must not be called from
// inside an Update's fn.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.mu.Lock()
	db.stopping = true
	db.mu.Unlock()
	if db.writerDone != nil {
		db.signal()
		<-db.writerDone // after the transaction in progress, if any
	}
	var errs []error
	for _, st := range append(db.rStmts[:], db.wStmts[:]...) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	// Readers first: the writer, closing last, checkpoints the WAL into the
	// main file and removes it.
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", db.path, err)
	}
	return nil
}

var errClosed = fmt.Errorf("sqlite: store is closed: %w", connectfed.ErrUnavailable)

// View runs fn in a read-only transaction on one snapshot. The snapshot is
// fixed by fn's first read (SQLite starts read transactions lazily).
func (db *DB) View(ctx context.Context, fn func(connectfed.Tx) error) error {
	if db.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	stx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return dbError("begin view", err)
	}
	defer stx.Rollback() // a read transaction has nothing to commit
	t := &tx{ctx: ctx, sctx: ctx, tx: stx, readOnly: true, pool: &db.rStmts}
	t.bound = &t.own
	defer t.done.Store(true)
	return fn(t)
}

// Update runs fn in a write transaction, usually shared with concurrent
// Updates (each fn in its own savepoint, one COMMIT for all; see group.go for
// what happens when ctx ends or the COMMIT fails). fn runs in the calling
// goroutine. When the database stays busy (another process holds the write
// lock past busy_timeout) it tries again, up to maxAttempts times in all,
// then returns an error matching connectfed.ErrUnavailable. fn must not call
// Update on the same DB: the writer is one connection, so the inner call
// would wait for the outer one until ctx ends.
func (db *DB) Update(ctx context.Context, fn func(connectfed.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.update(ctx, fn)
		if err == nil || !isBusy(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
	}
}

// Health implements connectfed.Store: one read of the records table on a
// reader connection.
func (db *DB) Health(ctx context.Context) error {
	if db.closed.Load() {
		return errClosed
	}
	var n int
	err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1)").Scan(&n)
	if err != nil {
		return dbError("health", err)
	}
	return nil
}

// Check runs SQLite's integrity_check and quick_check and returns an error
// unless both report "ok".
func (db *DB) Check(ctx context.Context) error {
	if db.closed.Load() {
		return errClosed
	}
	for _, pragma := range []string{"integrity_check", "quick_check"} {
		rows, err := db.r.QueryContext(ctx, "PRAGMA "+pragma)
		if err != nil {
			return dbError(pragma, err)
		}
		var msgs []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return dbError(pragma, err)
			}
			msgs = append(msgs, s)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return dbError(pragma, err)
		}
		rows.Close()
		if len(msgs) != 1 || msgs[0] != "ok" {
			return fmt.Errorf("sqlite: %s of %s failed: %s", pragma, db.path, strings.Join(msgs, "; "))
		}
	}
	return nil
}
