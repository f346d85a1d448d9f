package sqlite

import (
	"context"
	"io/fs"
	"time"
)

// OpenWith opens with the migrations in fsys instead of the embedded ones.
func OpenWith(ctx context.Context, path string, fsys fs.FS) (*DB, error) {
	return openWith(ctx, path, fsys, defaultBusyTimeout)
}

// OpenBusyTimeout opens with the embedded migrations and a short busy wait.
func OpenBusyTimeout(ctx context.Context, path string, busy time.Duration) (*DB, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return openWith(ctx, path, sub, busy)
}

// Pragma reads one PRAGMA on a writer (reader false) or reader connection.
func Pragma(ctx context.Context, db *DB, reader bool, name string) (string, error) {
	pool := db.w
	if reader {
		pool = db.r
	}
	var v string
	err := pool.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// GroupCommitStats reports how many COMMITs of Updates the writer has run
// (one fsync each), how many Updates they carried, and the most in one.
func GroupCommitStats(db *DB) (commits, updates, largest int64) {
	return db.commits.Load(), db.committed.Load(), db.largest.Load()
}

// Queued reports how many Updates wait for the writer.
func Queued(db *DB) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.queue)
}

// FailCommits makes every later COMMIT fail with whatever f returns (when
// not nil), after the batch's fns have run; nil restores normal commits.
func FailCommits(db *DB, f func() error) {
	if f == nil {
		db.failCommit.Store(nil)
		return
	}
	db.failCommit.Store(&f)
}

// Closing reports whether Close has stopped the queue.
func Closing(db *DB) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.stopping
}
