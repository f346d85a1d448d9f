package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/internal/keyrange"
)

// tx implements connectfed.Tx on one database/sql transaction: a View's own,
// or one fn's turn (between SAVEPOINT and RELEASE) in a batch of Updates.
// Like the transaction it stands for, it is used by one goroutine at a time.
type tx struct {
	ctx context.Context // the caller's
	// sctx is what statements run with: ctx in a View, where an interrupted
	// read harms no one; in an Update one that never ends, because
	// interrupting a write makes SQLite roll back the whole transaction,
	// other callers' fns with it. An Update checks ctx before each
	// statement instead.
	sctx     context.Context
	tx       *sql.Tx
	readOnly bool
	pool     *[numStmts]*sql.Stmt // statements prepared on the pool tx runs on
	bound    *[numStmts]*sql.Stmt // the same, bound to tx, made on first use
	own      [numStmts]*sql.Stmt  // bound's storage in a View; a batch has its own
	done     atomic.Bool          // fn has returned: the Tx is no longer usable
	// poison (Update only) is the first statement error after which the
	// transaction may no longer be open; no further statement runs.
	poison error
}

var errTxDone = errors.New("sqlite: Tx used after its View or Update fn returned")

// check is called before every method: it refuses a Tx whose fn has
// returned, and in an Update one whose ctx has ended or whose transaction
// may have been rolled back under it.
func (t *tx) check() error {
	if t.done.Load() {
		return errTxDone
	}
	if t.readOnly {
		return nil
	}
	if t.poison != nil {
		return fmt.Errorf("sqlite: transaction unusable after an earlier error: %w", t.poison)
	}
	if err := t.ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: update: %w", err)
	}
	return nil
}

// fail wraps a driver error. When a View's context has ended, the driver
// reports an interrupted statement; the context's error says why. In an
// Update, an error that may have ended the whole transaction poisons the Tx
// (see statementLevel).
func (t *tx) fail(op string, err error) error {
	if !t.readOnly && t.poison == nil && !statementLevel(err) {
		t.poison = dbError(op, err)
	}
	if cerr := t.ctx.Err(); cerr != nil && t.readOnly && !errors.Is(err, cerr) {
		return fmt.Errorf("sqlite: %s: %w (%v)", op, cerr, err)
	}
	return dbError(op, err)
}

// statementLevel reports an error after which SQLite has undone just the
// failing statement and the transaction is still open: a constraint or an
// argument refused. After the others (I/O error, disk full, out of memory,
// interrupt, busy, anything not from SQLite) SQLite may have rolled back the
// whole transaction, and a further statement would run in autocommit mode.
func statementLevel(err error) bool {
	code, ok := sqliteCode(err)
	if !ok {
		return false
	}
	switch code & 0xff {
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE:
		return true
	}
	return false
}

// stmt returns statement i bound to the transaction. The pool's prepared
// statement is reused on this connection, so SQLite parses each query once
// per connection rather than once per call.
func (t *tx) stmt(i int) *sql.Stmt {
	if s := t.bound[i]; s != nil {
		return s
	}
	s := t.tx.StmtContext(t.sctx, t.pool[i])
	t.bound[i] = s
	return s
}

// errReadOnly is what a write inside View returns. It is a caller bug, so it
// carries no code (ErrorCode reports EINTERNAL).
var errReadOnly = errors.New("sqlite: write inside a read-only transaction (View)")

// Statement indexes; queries[i] is the SQL of statement i.
const (
	sGet = iota
	sCreate
	sPut
	sDelete
	sListFromIncl
	sListFromExcl
	sListRangeIncl
	sListRangeExcl
	sDeleteFrom
	sDeleteRange
	sSavepoint  // group commit: one per fn of a batch
	sRelease    // the fn's writes join the batch
	sRollbackTo // the fn's writes are undone (followed by sRelease)
	numStmts
)

// readStmts are the statements a View can use; the reader pool prepares only
// these (query_only connections could prepare the others, but need not).
var readStmts = []int{sGet, sListFromIncl, sListFromExcl, sListRangeIncl, sListRangeExcl}

var queries = [numStmts]string{
	sGet:           qGet,
	sCreate:        qCreate,
	sPut:           qPut,
	sDelete:        qDelete,
	sListFromIncl:  qListFromIncl,
	sListFromExcl:  qListFromExcl,
	sListRangeIncl: qListRangeIncl,
	sListRangeExcl: qListRangeExcl,
	sDeleteFrom:    qDeleteFrom,
	sDeleteRange:   qDeleteRange,
	sSavepoint:     `SAVEPOINT fn`,
	sRelease:       `RELEASE fn`,
	sRollbackTo:    `ROLLBACK TO fn`,
}

const (
	qGet    = `SELECT value FROM records WHERE kind = ? AND key = ?`
	qCreate = `INSERT INTO records (kind, key, value) VALUES (?, ?, ?)`
	qPut    = `UPDATE records SET value = ? WHERE kind = ? AND key = ?`
	qDelete = `DELETE FROM records WHERE kind = ? AND key = ?`

	// Prefixes are matched as key ranges, never with LIKE or GLOB, so '%',
	// '_', '\', '*' and '[' in a prefix are plain bytes, and the primary key
	// index serves the range. The lower bound is either the prefix
	// (inclusive) or the cursor (exclusive), whichever is greater; the upper
	// bound is the prefix's successor, absent when there is none. LIMIT -1
	// means no limit.
	qListFromIncl   = `SELECT key, value FROM records WHERE kind = ? AND key >= ? ORDER BY key LIMIT ?`
	qListFromExcl   = `SELECT key, value FROM records WHERE kind = ? AND key > ? ORDER BY key LIMIT ?`
	qListRangeIncl  = `SELECT key, value FROM records WHERE kind = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`
	qListRangeExcl  = `SELECT key, value FROM records WHERE kind = ? AND key > ? AND key < ? ORDER BY key LIMIT ?`
	qDeleteFrom     = `DELETE FROM records WHERE kind = ? AND key >= ?`
	qDeleteRange    = `DELETE FROM records WHERE kind = ? AND key >= ? AND key < ?`
	listInitialCap  = 16
	listMaxPrealloc = 1024
)

func (t *tx) Get(kind, key string) ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var v []byte
	err := t.stmt(sGet).QueryRowContext(t.sctx, kind, key).Scan(&v)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, connectfed.ErrNotFound
		}
		return nil, t.fail("get", err)
	}
	return keyrange.Blob(v), nil // an empty value scans as nil
}

func (t *tx) Create(kind, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := t.check(); err != nil {
		return err
	}
	if _, err := t.stmt(sCreate).ExecContext(t.sctx, kind, key, keyrange.Blob(value)); err != nil {
		if isConstraintKey(err) {
			return connectfed.ErrExists
		}
		return t.fail("create", err)
	}
	return nil
}

func (t *tx) Put(kind, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := t.check(); err != nil {
		return err
	}
	res, err := t.stmt(sPut).ExecContext(t.sctx, keyrange.Blob(value), kind, key)
	if err != nil {
		return t.fail("put", err)
	}
	return t.oneRow(res, "put")
}

func (t *tx) Delete(kind, key string) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := t.check(); err != nil {
		return err
	}
	res, err := t.stmt(sDelete).ExecContext(t.sctx, kind, key)
	if err != nil {
		return t.fail("delete", err)
	}
	return t.oneRow(res, "delete")
}

func (t *tx) List(kind, prefix, after string, limit int) ([]connectfed.Entry, error) {
	// Lower bound: the prefix itself, or the cursor when it lies at or past
	// the prefix. after == "" means "from the start", not "after the empty
	// key", so the empty key stays listable.
	if err := t.check(); err != nil {
		return nil, err
	}
	lo, excl := prefix, false
	if after != "" && after >= prefix {
		lo, excl = after, true
	}
	hi, bounded := keyrange.Successor(prefix)
	if limit <= 0 {
		limit = -1
	}
	var rows *sql.Rows
	var err error
	switch {
	case bounded && excl:
		rows, err = t.stmt(sListRangeExcl).QueryContext(t.sctx, kind, lo, hi, limit)
	case bounded:
		rows, err = t.stmt(sListRangeIncl).QueryContext(t.sctx, kind, lo, hi, limit)
	case excl:
		rows, err = t.stmt(sListFromExcl).QueryContext(t.sctx, kind, lo, limit)
	default:
		rows, err = t.stmt(sListFromIncl).QueryContext(t.sctx, kind, lo, limit)
	}
	if err != nil {
		return nil, t.fail("list", err)
	}
	defer rows.Close()
	n := listInitialCap
	if limit > 0 {
		n = min(limit, listMaxPrealloc)
	}
	es := make([]connectfed.Entry, 0, n)
	for rows.Next() {
		var e connectfed.Entry
		if err := rows.Scan(&e.Key, &e.Value); err != nil {
			return nil, t.fail("list", err)
		}
		if e.Value == nil {
			e.Value = []byte{}
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail("list", err)
	}
	return es, nil
}

func (t *tx) DeletePrefix(kind, prefix string) (int, error) {
	if prefix == "" {
		return 0, connectfed.Errorf(connectfed.EINVALID, "DeletePrefix needs a non-empty prefix")
	}
	if t.readOnly {
		return 0, errReadOnly
	}
	if err := t.check(); err != nil {
		return 0, err
	}
	var res sql.Result
	var err error
	if hi, bounded := keyrange.Successor(prefix); bounded {
		res, err = t.stmt(sDeleteRange).ExecContext(t.sctx, kind, prefix, hi)
	} else {
		res, err = t.stmt(sDeleteFrom).ExecContext(t.sctx, kind, prefix)
	}
	if err != nil {
		return 0, t.fail("delete prefix", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.fail("delete prefix", err)
	}
	return int(n), nil
}

func (t *tx) oneRow(res sql.Result, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(op, err)
	}
	if n == 0 {
		return connectfed.ErrNotFound
	}
	return nil
}
