package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectfed/connectfed"
)

// Errors are told apart by SQLSTATE (via *pgconn.PgError) and by error type,
// never by message text.

// SQLSTATE codes the backend acts on.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUniqueViolation      = "23505"
	codeReadOnlyTransaction  = "25006"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports an error after which the whole transaction may simply be
// run again: a serialization failure or deadlock (PostgreSQL rolled the
// transaction back and says so), or a unique violation, which with INSERT ...
// ON CONFLICT DO NOTHING can only come from a race the next attempt sees
// resolved (as ErrExists, without aborting).
func retryable(err error) bool {
	switch pgCode(err) {
	case codeSerializationFailure, codeDeadlockDetected, codeUniqueViolation:
		return true
	}
	return false
}

// unavailableCode reports SQLSTATEs that mean the database cannot be used
// right now, as opposed to a bug in the statement.
func unavailableCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"): // connection_exception and its subclasses
		return true
	case strings.HasPrefix(code, "53"): // insufficient_resources: too many connections, disk full, out of memory
		return true
	}
	switch code {
	case "57P01", "57P02", "57P03", "57P05":
		// admin_shutdown (also pg_terminate_backend), crash_shutdown,
		// cannot_connect_now (starting up, shutting down, in recovery),
		// idle_session_timeout
		return true
	case codeReadOnlyTransaction:
		// A write reached a read-only server: a standby after a failover.
		// (Writes inside View never reach the server.)
		return true
	}
	return false
}

// unavailable reports errors that mean the database cannot be reached: a
// failed connection attempt, a connection that broke, or an SQLSTATE from
// unavailableCode.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return unavailableCode(pe.Code)
	}
	if errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// dbError wraps a driver error with what was being done. Context errors stay
// matchable with errors.Is (and are not reported as unavailable: the caller
// gave up). Errors that mean the database cannot be reached, or that left the
// connection closed (connClosed), also match connectfed.ErrUnavailable.
// Anything else is an internal error. The driver error stays in the chain,
// so its SQLSTATE can still be read.
func dbError(ctx context.Context, op string, err error, connClosed bool) error {
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		return fmt.Errorf("postgres: %s: %w (%w)", op, cerr, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if unavailable(err) || (connClosed && pgCode(err) == "") {
		return fmt.Errorf("postgres: %s: %w: %w", op, connectfed.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
