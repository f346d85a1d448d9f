// Package postgres is the connectfed.Store for several replicas sharing one
// PostgreSQL database (pgx v5, pgxpool).
//
// Every record lives in one table, records(kind text, key bytea, value
// bytea), so the byte order of keys is PostgreSQL's bytea order (memcmp)
// whatever the collation. The schema is created by embedded, numbered
// migrations recorded in schema_migrations; Open applies the missing ones in
// one transaction under an advisory lock, so replicas starting together
// migrate exactly once.
//
// Update runs fn in a SERIALIZABLE transaction and runs it again when
// PostgreSQL reports a serialization failure or deadlock (with a short,
// jittered, bounded backoff, and with other Updates held off once it has
// lost a few times, so that none starves), and when the connection broke
// before COMMIT was sent. View runs fn in a REPEATABLE READ READ ONLY
// transaction: one snapshot.
//
// A failed statement aborts a PostgreSQL transaction, so no expected outcome
// is ever a failed statement: Create is INSERT ... ON CONFLICT DO NOTHING and
// Put and Delete count the rows they touched. ErrExists and ErrNotFound leave
// the transaction usable, as the Store contract requires.
//
// Durability: the commit of an Update that returned nil has been flushed by
// the server (Open refuses synchronous_commit=off). It is as durable as the
// server is configured to be (fsync).
//
// Errors: a database that cannot be reached, a connection that broke, and
// SQLSTATEs such as 57P01 admin_shutdown match connectfed.ErrUnavailable.
// The pool reconnects by itself once the database is back.
//
// The store needs session-level connections: the pool keeps prepared
// statements per connection and Update uses session-level advisory locks,
// so a pooler in front of PostgreSQL must run in session mode (for
// PgBouncer, pool_mode=session), not transaction mode.
package postgres

import (
	"github.com/connectfed/connectfed/internal/migration"

	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/connectfed/connectfed"
)

const (
	// maxAttempts bounds how often Update runs fn when its transaction keeps
	// losing serialization conflicts.
	maxAttempts = 20
	// exclusiveAfter is how many conflicts an Update loses before it runs fn
	// exclusively (see updateLockID).
	exclusiveAfter = 3
	// backoffBase and backoffCap shape the jittered wait between attempts.
	backoffBase = time.Millisecond
	backoffCap  = 100 * time.Millisecond
	// commitTimeout bounds COMMIT, which runs even if the caller's context
	// ends meanwhile, so that Update's answer matches what was stored.
	commitTimeout = 30 * time.Second
	// rollbackTimeout bounds a rollback, which runs even when the caller's
	// context has ended (so the connection goes back to the pool clean).
	rollbackTimeout = 5 * time.Second
)

// updateLockID is the advisory lock ("connfed\x02") that keeps an Update
// that keeps losing conflicts from starving. Losing repeatedly is otherwise
// common for a read-modify-write of one hot row: the loser learns of the
// conflict when the winner commits, and the winner's next transaction is
// already on its way.
//
// Every Update transaction tries to take it in shared mode, in the same round
// trip as its BEGIN, and holds it to its end; that never waits, as shared
// holders do not conflict. An Update that has lost exclusiveAfter conflicts
// takes it exclusively, at session level and outside any transaction: it
// waits for the Updates in progress to end, and takes its snapshot only once
// it runs alone, so nothing can conflict with it. An Update whose try fails
// (an exclusive one holds the lock or waits for it) rolls back its empty
// transaction and waits for the lock in shared mode, again outside any
// transaction, so that its snapshot is taken after the exclusive one
// committed and it does not lose to it in turn. Views take no part: a
// REPEATABLE READ READ ONLY transaction cannot be in a serialization
// conflict.
const updateLockID int64 = 0x636f6e6e66656402

// DB is a connectfed.Store on a PostgreSQL connection pool. It is safe for
// concurrent use.
type DB struct {
	pool      *pgxpool.Pool
	versions  int // migrations this binary knows; Check expects exactly these
	connRetry int // how often one call may replace a broken pooled connection
	closed    atomic.Bool
}

var _ connectfed.Store = (*DB)(nil)

// Open connects to the database named by dsn (a postgres:// URL or
// keyword=value string, as pgx accepts; pool_max_conns and the other pgxpool
// settings work too) and applies any migrations the schema has not seen. The
// tables live in the first schema of the connection's search_path, which
// must exist; a DSN can select one with search_path=name.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return openWith(ctx, dsn, "", nil)
}

// OpenSchema is Open with the tables in schema, which is created if it does
// not exist. The schema becomes the whole search_path of every connection,
// so several stores (tests, tenants) can share one database.
func OpenSchema(ctx context.Context, dsn, schema string) (*DB, error) {
	if schema == "" {
		return nil, errors.New("postgres: OpenSchema: empty schema name")
	}
	return openWith(ctx, dsn, schema, nil)
}

// openWith opens with the migrations in fsys (nil: the embedded ones).
func openWith(ctx context.Context, dsn, schema string, fsys fs.FS) (_ *DB, err error) {
	if fsys == nil {
		if fsys, err = fs.Sub(migrationFiles, "migrations"); err != nil {
			return nil, err
		}
	}
	ms, err := migration.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // the message has any password redacted
	}
	params := cfg.ConnConfig.RuntimeParams
	if schema != "" {
		params["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	if params["application_name"] == "" {
		params["application_name"] = "github.com/connectfed/connectfed"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg) // connects lazily
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{
		pool:      pool,
		versions:  len(ms),
		connRetry: int(cfg.MaxConns) + 1,
	}
	if err := migrate(ctx, pool, ms, schema); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool, waiting for connections in use to be released; a
// second call does nothing. Update, View and Check on a closed DB return an
// error matching connectfed.ErrUnavailable.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.pool.Close()
	return nil
}

var errClosed = fmt.Errorf("postgres: store is closed: %w", connectfed.ErrUnavailable)

// Health implements connectfed.Store with Check.
func (db *DB) Health(ctx context.Context) error { return db.Check(ctx) }

// Check is a cheap probe for a health endpoint: one round trip that proves the
// database answers, that the schema is at exactly the version this binary
// expects (every migration recorded, none newer) and that the records table
// can be read.
func (db *DB) Check(ctx context.Context) error {
	if db.closed.Load() {
		return errClosed
	}
	var maxVersion, count, sample int64
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT coalesce(max(version), 0) FROM schema_migrations),
		(SELECT count(*) FROM schema_migrations),
		(SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1) AS r)`).Scan(&maxVersion, &count, &sample)
	if err != nil {
		return dbError(ctx, "check", err, false)
	}
	if maxVersion != int64(db.versions) || count != int64(db.versions) {
		return fmt.Errorf("postgres: check: schema_migrations records %d steps up to version %d, want %d up to %d",
			count, maxVersion, db.versions, db.versions)
	}
	return nil
}

// The statements that open a transaction. Update's is SERIALIZABLE, so that
// every Update is serializable with every other (no lost updates, no write
// skew); View's sees one snapshot and cannot write.
var (
	beginUpdate       = fmt.Sprintf("BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE; SELECT pg_try_advisory_xact_lock_shared(%d)", updateLockID)
	beginUpdateLocked = "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE" // the session holds updateLockID
	beginView         = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	waitShared        = fmt.Sprintf("SELECT pg_advisory_lock_shared(%d)", updateLockID)
	waitExclusive     = fmt.Sprintf("SELECT pg_advisory_unlock_all(); SELECT pg_advisory_lock(%d)", updateLockID)
	unlockAll         = "SELECT pg_advisory_unlock_all()"
)

// View runs fn in a REPEATABLE READ READ ONLY transaction: every read sees
// the snapshot taken by fn's first statement. Writes return an error without
// reaching the database. fn runs at most once.
func (db *DB) View(ctx context.Context, fn func(connectfed.Tx) error) error {
	if db.closed.Load() {
		return errClosed
	}
	s := &session{db: db}
	defer s.release(ctx)
	for retries := 0; ; retries++ {
		res := s.attempt(ctx, modeView, fn)
		// Only a connection found broken at BEGIN is replaced: fn has not
		// run then.
		if res.connLost && !res.ran && retries < db.connRetry {
			continue
		}
		return res.err
	}
}

// Update runs fn in a SERIALIZABLE transaction. fn may run more than once
// (the Store contract allows it):
//
//   - again after a serialization failure or deadlock, after a short
//     jittered wait; once it has lost exclusiveAfter conflicts, fn runs with
//     other Updates held off, so that it cannot starve (see updateLockID). It
//     gives up after maxAttempts runs with an error matching
//     connectfed.ErrUnavailable.
//   - again when the connection broke before COMMIT was sent (the
//     transaction cannot have committed): this is how a pooled connection
//     the server dropped is replaced without failing the call.
//
// If the connection breaks during COMMIT the outcome is unknown, and the
// error matches connectfed.ErrUnavailable. fn must not call Update or View on
// the same DB: it could wait for a connection that only its caller can free.
func (db *DB) Update(ctx context.Context, fn func(connectfed.Tx) error) error {
	if db.closed.Load() {
		return errClosed
	}
	s := &session{db: db}
	defer s.release(ctx)
	retries := 0
	for attempt := 1; ; {
		m := modeUpdate
		if attempt > exclusiveAfter {
			m = modeExclusive
		}
		res := s.attempt(ctx, m, fn)
		switch {
		case res.connLost && retries < db.connRetry:
			retries++
			continue // at once: the next connection is fresh or was pinged
		case !res.conflict:
			return res.err
		case attempt >= maxAttempts:
			return fmt.Errorf("postgres: update: still conflicting after %d attempts: %w: %w", attempt, connectfed.ErrUnavailable, res.err)
		}
		if d := backoff(attempt); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("postgres: update: %w (while retrying: %v)", ctx.Err(), res.err)
			case <-t.C:
			}
		}
		attempt++
	}
}

// backoff returns the wait before the retry that follows attempt: a random
// time up to an exponentially growing, capped bound ("full jitter"), so that
// transactions that conflicted spread out.
func backoff(attempt int) time.Duration {
	d := min(backoffBase<<min(attempt-1, 16), backoffCap)
	return rand.N(d) + 1
}

// session is the pooled connection one View or Update call runs its
// attempts on. It keeps the connection between attempts, so that a retry
// can roll back the failed transaction in the same round trip as its BEGIN.
type session struct {
	db   *DB
	c    *pgxpool.Conn
	held heldLock // how c holds updateLockID at session level
}

// mode is how an attempt runs.
type mode int

const (
	modeView      mode = iota // REPEATABLE READ READ ONLY
	modeUpdate                // SERIALIZABLE, holding updateLockID shared
	modeExclusive             // SERIALIZABLE, holding updateLockID exclusively
)

// heldLock is how a session holds updateLockID at session level.
type heldLock int

const (
	heldNone heldLock = iota
	heldShared
	heldExclusive
)

// begin starts a transaction for an attempt in mode m, acquiring a
// connection first if the session has none or the one it had broke. See
// updateLockID for the locking.
//
// A transaction the previous attempt left aborted is rolled back in the same
// round trip as what follows ("ROLLBACK; BEGIN ..." is one simple-protocol
// query): PostgreSQL released the aborted transaction's locks when its
// statement failed, so the delay costs nothing.
func (s *session) begin(ctx context.Context, m mode) (*pgx.Conn, error) {
	if s.c != nil && s.c.Conn().IsClosed() {
		s.release(ctx)
	}
	if s.c == nil {
		c, err := s.db.pool.Acquire(ctx)
		if err != nil {
			if s.db.closed.Load() {
				return nil, errClosed
			}
			return nil, dbError(ctx, "connect", err, false)
		}
		s.c = c
	}
	conn := s.c.Conn()
	rollback := conn.PgConn().TxStatus() != 'I'
	exec := func(op, sql string) ([]*pgconn.Result, error) {
		if rollback {
			sql, rollback = "ROLLBACK; "+sql, false
		}
		res, err := conn.PgConn().Exec(ctx, sql).ReadAll() // no arguments: simple protocol, one round trip
		if err != nil {
			return nil, dbError(ctx, op, err, conn.IsClosed())
		}
		return res, nil
	}
	if m == modeView {
		_, err := exec("begin", beginView)
		return conn, err
	}
	if m == modeExclusive && s.held != heldExclusive {
		s.held = heldExclusive // first: release must unlock even if the wait is cut short
		if _, err := exec("wait to run alone", waitExclusive); err != nil {
			return conn, err
		}
	}
	if s.held != heldNone {
		_, err := exec("begin", beginUpdateLocked)
		return conn, err
	}
	res, err := exec("begin", beginUpdate)
	if err != nil {
		return conn, err
	}
	if last := res[len(res)-1]; len(last.Rows) == 1 && len(last.Rows[0]) == 1 && string(last.Rows[0][0]) == "t" {
		return conn, nil
	}
	// An exclusive Update holds the lock or waits for it: wait for it
	// outside any transaction, then begin afresh.
	s.held = heldShared
	rollback = true
	if _, err := exec("wait for an exclusive update", waitShared); err != nil {
		return conn, err
	}
	_, err = exec("begin", beginUpdateLocked)
	return conn, err
}

// release rolls back whatever transaction is still open (fn failed or
// panicked, or this was a View: nothing may be kept), gives up the session's
// advisory lock, and returns the connection to the pool. This outlives ctx,
// so that the connection goes back clean rather than being closed. A
// connection that cannot be cleaned is closed, which ends its transaction
// and drops its locks on the server; the pool destroys it.
func (s *session) release(ctx context.Context) {
	if s.c == nil {
		return
	}
	conn := s.c.Conn()
	var sql []string
	if conn.PgConn().TxStatus() != 'I' {
		sql = append(sql, "ROLLBACK")
	}
	if s.held != heldNone {
		sql = append(sql, unlockAll)
	}
	if len(sql) > 0 && !conn.IsClosed() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		_, err := conn.PgConn().Exec(rctx, strings.Join(sql, "; ")).ReadAll()
		if err != nil || conn.PgConn().TxStatus() != 'I' {
			_ = conn.Close(rctx)
		}
		cancel()
	}
	s.held = heldNone
	s.c.Release()
	s.c = nil
}

// result is how one attempt ended.
type result struct {
	err      error
	ran      bool // fn was called
	conflict bool // a serialization failure, deadlock or unique race: run again
	connLost bool // the connection broke before COMMIT was sent: run again
}

// attempt runs fn once in a transaction for mode m and, unless it is a View,
// commits it. A transaction it does not commit is rolled back by the next
// begin or by release.
func (s *session) attempt(ctx context.Context, m mode, fn func(connectfed.Tx) error) (res result) {
	if err := ctx.Err(); err != nil {
		return result{err: err}
	}
	conn, err := s.begin(ctx, m)
	if err != nil {
		return result{err: err, connLost: conn != nil && conn.IsClosed() && ctx.Err() == nil}
	}
	readOnly := m == modeView
	t := &tx{ctx: ctx, conn: conn, readOnly: readOnly}
	ferr := fn(t)
	res.ran = true
	if t.failed != nil {
		// A statement failed, so PostgreSQL has aborted the transaction:
		// whatever fn returned, nothing can commit. fn's own error, when it
		// has one, usually wraps the failure and says more. Run fn again if
		// the failure says so.
		res.err = t.failed
		if ferr != nil {
			res.err = ferr
		}
		if !readOnly && ctx.Err() == nil {
			res.conflict = retryable(t.failed)
			res.connLost = conn.IsClosed()
		}
		return res
	}
	if ferr != nil || readOnly {
		res.err = ferr
		return res
	}
	if err := ctx.Err(); err != nil {
		return result{err: fmt.Errorf("postgres: update: not committed: %w", err), ran: true}
	}
	// Once COMMIT is sent, wait for its answer even if ctx ends meanwhile:
	// an Update that returned an error must not have committed.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	tag, err := conn.Exec(cctx, "COMMIT")
	switch {
	case err == nil && tag.String() == "ROLLBACK": // cannot happen: a failed statement sets t.failed
		return result{err: errors.New("postgres: commit: the transaction had failed and was rolled back"), ran: true}
	case err == nil:
		return result{ran: true}
	case retryable(err): // SSI often detects the conflict at COMMIT; the server rolled back
		return result{err: dbError(ctx, "commit", err, false), ran: true, conflict: true}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Severity != "FATAL" && pe.Severity != "PANIC" {
		// The server answered COMMIT with an error: it rolled back.
		return result{err: dbError(ctx, "commit", err, false), ran: true}
	}
	// The connection broke, or the server went down, before the answer:
	// the transaction may or may not have committed.
	return result{err: fmt.Errorf("postgres: commit: outcome unknown: %w: %w", connectfed.ErrUnavailable, err), ran: true}
}
