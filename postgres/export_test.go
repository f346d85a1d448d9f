package postgres

import (
	"context"
	"io/fs"

	"github.com/connectfed/connectfed"
)

// OpenWith opens with the migrations in fsys instead of the embedded ones.
func OpenWith(ctx context.Context, dsn, schema string, fsys fs.FS) (*DB, error) {
	return openWith(ctx, dsn, schema, fsys)
}

// Classification, for a table test of error mapping.
var (
	Retryable   = retryable
	Unavailable = unavailable
	Backoff     = backoff
)

const (
	MaxAttempts    = maxAttempts
	ExclusiveAfter = exclusiveAfter
)

// MigrationFiles is the embedded migrations directory.
var MigrationFiles = migrationFiles

// UpdateExclusive runs fn once the way an Update that has lost
// exclusiveAfter conflicts does: alone.
func UpdateExclusive(ctx context.Context, db *DB, fn func(connectfed.Tx) error) error {
	s := &session{db: db}
	defer s.release(ctx)
	return s.attempt(ctx, modeExclusive, fn).err
}
