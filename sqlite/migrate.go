package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/connectfed/connectfed/internal/migration"
)

// migrationFiles holds the schema, one file per step, named NNNN_what.sql.
// A step is never edited once released: change the schema with a new file.
// A step runs inside a transaction, so it must not contain statements SQLite
// refuses there (PRAGMA journal_mode, VACUUM).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate brings the database up to the last of ms. It runs in one write
// transaction (BEGIN IMMEDIATE on the writer pool), so two processes opening
// the same new file cannot both apply a step, and a failing step leaves the
// database as it was.
func migrate(ctx context.Context, w *sql.DB, ms []migration.Migration) (err error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	last := ms[len(ms)-1].Version
	for v := range applied {
		if v > last {
			return fmt.Errorf("database schema version %d is newer than this program knows (%d); refusing to use it", v, last)
		}
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
			m.Version, m.Name); err != nil {
			return fmt.Errorf("record %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
