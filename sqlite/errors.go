package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/connectfed/connectfed"
)

// Driver errors are told apart by SQLite result code, never by message text.
// The driver enables extended result codes; the primary code is the low byte.

func sqliteCode(err error) (int, bool) {
	var se *msqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

// isConstraintKey reports a PRIMARY KEY or UNIQUE violation: the key is taken.
func isConstraintKey(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}

// isBusy reports a lock held elsewhere for longer than busy_timeout.
func isBusy(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED)
}

// unavailable reports the codes that mean the database cannot be used right
// now (locked, unreadable, full, gone) as opposed to a bug.
func unavailable(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_PROTOCOL,
		sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_NOMEM:
		return true
	}
	return false
}

// dbError wraps a driver or database/sql error with what was being done.
// Context errors stay matchable with errors.Is; codes that mean the database
// cannot be reached also match connectfed.ErrUnavailable; anything else is an
// internal error.
func dbError(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if code, ok := sqliteCode(err); ok && unavailable(code) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, connectfed.ErrUnavailable, err)
	}
	if errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, connectfed.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
