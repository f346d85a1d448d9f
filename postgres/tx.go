package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/internal/keyrange"
)

// tx implements connectfed.Tx on a connection in a transaction. Like the
// transaction it stands for, it is used by one goroutine at a time.
type tx struct {
	ctx      context.Context
	conn     *pgx.Conn // in a transaction that begin opened
	readOnly bool
	// failed is the first error from a statement that reached the server and
	// failed. PostgreSQL has then aborted the transaction, so every later
	// call returns it at once rather than an unhelpful "current transaction
	// is aborted" from the server, and Update decides from it whether to run
	// fn again.
	failed error
}

// errReadOnly is what a write inside View returns. It is a caller bug, so it
// carries no code (ErrorCode reports EINTERNAL).
var errReadOnly = errors.New("postgres: write inside a read-only transaction (View)")

// Keys are bound as bytea ([]byte), never as text: a key may hold any byte
// but NUL, including invalid UTF-8, and bytea compares with memcmp. Prefixes
// are key ranges, never LIKE patterns, so '%', '_' and '\' in a prefix are
// plain bytes and the primary key index serves the scan. The lower bound is
// either the prefix (inclusive) or the cursor (exclusive), whichever is
// greater; the upper bound is the prefix's successor, absent when there is
// none. LIMIT NULL means no limit.
const (
	qGet    = `SELECT value FROM records WHERE kind = $1 AND key = $2`
	qCreate = `INSERT INTO records (kind, key, value) VALUES ($1, $2, $3) ON CONFLICT (kind, key) DO NOTHING`
	qPut    = `UPDATE records SET value = $3 WHERE kind = $1 AND key = $2`
	qDelete = `DELETE FROM records WHERE kind = $1 AND key = $2`

	qListFromIncl  = `SELECT key, value FROM records WHERE kind = $1 AND key >= $2 ORDER BY key LIMIT $3`
	qListFromExcl  = `SELECT key, value FROM records WHERE kind = $1 AND key > $2 ORDER BY key LIMIT $3`
	qListRangeIncl = `SELECT key, value FROM records WHERE kind = $1 AND key >= $2 AND key < $4 ORDER BY key LIMIT $3`
	qListRangeExcl = `SELECT key, value FROM records WHERE kind = $1 AND key > $2 AND key < $4 ORDER BY key LIMIT $3`
	qDeleteFrom    = `DELETE FROM records WHERE kind = $1 AND key >= $2`
	qDeleteRange   = `DELETE FROM records WHERE kind = $1 AND key >= $2 AND key < $3`

	listInitialCap  = 16
	listMaxPrealloc = 1024
)

// usable returns the error that aborted the transaction, if one did.
func (t *tx) usable() error {
	if t.failed != nil {
		return fmt.Errorf("postgres: transaction aborted by an earlier error: %w", t.failed)
	}
	return nil
}

// fail records and wraps an error from a statement.
func (t *tx) fail(op string, err error) error {
	err = dbError(t.ctx, op, err, t.conn.IsClosed())
	if t.failed == nil {
		t.failed = err
	}
	return err
}

// checkKind refuses a kind PostgreSQL's text type cannot hold, before it is
// sent: a statement failing on it would abort the transaction. (The contract
// asks for short lower-case names; this only keeps a bad one from poisoning
// the transaction.)
func checkKind(kind string) error {
	if strings.IndexByte(kind, 0) >= 0 || !utf8.ValidString(kind) {
		return connectfed.Errorf(connectfed.EINVALID, "kind %q must be valid UTF-8 without NUL", kind)
	}
	return nil
}

func (t *tx) check(kind string, write bool) error {
	if err := checkKind(kind); err != nil {
		return err
	}
	if write && t.readOnly {
		return errReadOnly
	}
	return t.usable()
}

func (t *tx) Get(kind, key string) ([]byte, error) {
	if err := t.check(kind, false); err != nil {
		return nil, err
	}
	var v []byte
	if err := t.conn.QueryRow(t.ctx, qGet, kind, []byte(key)).Scan(&v); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, connectfed.ErrNotFound
		}
		return nil, t.fail("get", err)
	}
	return keyrange.Blob(v), nil // an empty value scans as nil
}

func (t *tx) Create(kind, key string, value []byte) error {
	if err := t.check(kind, true); err != nil {
		return err
	}
	tag, err := t.conn.Exec(t.ctx, qCreate, kind, []byte(key), keyrange.Blob(value))
	if err != nil {
		if pgCode(err) == codeUniqueViolation && t.ctx.Err() == nil {
			// Not expected with ON CONFLICT, but should a unique violation
			// happen it still means "taken". It has aborted the
			// transaction, so Update runs fn again (retryable).
			err = fmt.Errorf("postgres: create: %w (%w)", connectfed.ErrExists, err)
			if t.failed == nil {
				t.failed = err
			}
			return err
		}
		return t.fail("create", err)
	}
	if tag.RowsAffected() == 0 {
		return connectfed.ErrExists
	}
	return nil
}

func (t *tx) Put(kind, key string, value []byte) error {
	if err := t.check(kind, true); err != nil {
		return err
	}
	tag, err := t.conn.Exec(t.ctx, qPut, kind, []byte(key), keyrange.Blob(value))
	if err != nil {
		return t.fail("put", err)
	}
	if tag.RowsAffected() == 0 {
		return connectfed.ErrNotFound
	}
	return nil
}

func (t *tx) Delete(kind, key string) error {
	if err := t.check(kind, true); err != nil {
		return err
	}
	tag, err := t.conn.Exec(t.ctx, qDelete, kind, []byte(key))
	if err != nil {
		return t.fail("delete", err)
	}
	if tag.RowsAffected() == 0 {
		return connectfed.ErrNotFound
	}
	return nil
}

func (t *tx) List(kind, prefix, after string, limit int) ([]connectfed.Entry, error) {
	if err := t.check(kind, false); err != nil {
		return nil, err
	}
	// Lower bound: the prefix itself, or the cursor when it lies at or past
	// the prefix. after == "" means "from the start", not "after the empty
	// key", so the empty key stays listable.
	lo, excl := prefix, false
	if after != "" && after >= prefix {
		lo, excl = after, true
	}
	var lim any // NULL: no limit
	if limit > 0 {
		lim = int64(limit)
	}
	var rows pgx.Rows
	var err error
	if hi, bounded := keyrange.Successor(prefix); bounded {
		q := qListRangeIncl
		if excl {
			q = qListRangeExcl
		}
		rows, err = t.conn.Query(t.ctx, q, kind, []byte(lo), lim, []byte(hi))
	} else {
		q := qListFromIncl
		if excl {
			q = qListFromExcl
		}
		rows, err = t.conn.Query(t.ctx, q, kind, []byte(lo), lim)
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
	var key pgtype.DriverBytes // borrowed from the read buffer until Next; string() copies it
	for rows.Next() {
		var value []byte // a copy the caller owns
		if err := rows.Scan(&key, &value); err != nil {
			return nil, t.fail("list", err)
		}
		if value == nil {
			value = []byte{}
		}
		es = append(es, connectfed.Entry{Key: string(key), Value: value})
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
	if err := t.check(kind, true); err != nil {
		return 0, err
	}
	var tag pgconn.CommandTag
	var err error
	if hi, bounded := keyrange.Successor(prefix); bounded {
		tag, err = t.conn.Exec(t.ctx, qDeleteRange, kind, []byte(prefix), []byte(hi))
	} else {
		tag, err = t.conn.Exec(t.ctx, qDeleteFrom, kind, []byte(prefix))
	}
	if err != nil {
		return 0, t.fail("delete prefix", err)
	}
	return int(tag.RowsAffected()), nil
}
