package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/connectfed/connectfed/internal/migration"
)

// migrationFiles holds the schema, one file per step, named NNNN_what.sql.
// A step is never edited once released: change the schema with a new file.
// A step runs inside a transaction, so it must not contain statements
// PostgreSQL refuses there (CREATE INDEX CONCURRENTLY, VACUUM).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the pg_advisory_xact_lock key that serializes migrations
// ("connfed\x01"). It is one key for the whole database, so replicas using
// different schemas also migrate one at a time; migrations are rare and
// short, so that costs nothing worth a per-schema key.
const migrationLockID int64 = 0x636f6e6e66656401

// migrate brings the schema up to the last of ms, creating the schema first
// when createSchema is set. Everything happens in one READ COMMITTED
// transaction that first takes pg_advisory_xact_lock(migrationLockID): when
// several replicas start at once, one migrates while the others wait on the
// lock, and each of those then reads (each statement taking a fresh snapshot)
// what the first committed and has nothing left to do. A failing step rolls
// everything back, lock included.
//
// It also refuses a database whose schema is newer than this program, and a
// session with synchronous_commit=off (an Update could then return before its
// commit is on disk, breaking the Store's durability promise).
func migrate(ctx context.Context, pool *pgxpool.Pool, ms []migration.Migration, createSchema string) (err error) {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return dbError(ctx, "migrate: connect", err, false)
	}
	defer c.Release()
	fail := func(op string, err error) error {
		return dbError(ctx, "migrate: "+op, err, c.Conn().IsClosed())
	}
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fail("begin", err)
	}
	defer func() {
		if err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID); err != nil {
		return fail("lock", err)
	}
	if createSchema != "" {
		// Test for the schema first: CREATE SCHEMA IF NOT EXISTS needs the
		// CREATE privilege on the database even when the schema exists.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, createSchema).Scan(&exists); err != nil {
			return fail("look up schema", err)
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{createSchema}.Sanitize()); err != nil {
				return fail("create schema", err)
			}
		}
	}
	var schema *string
	var syncCommit string
	if err := tx.QueryRow(ctx, `SELECT current_schema(), current_setting('synchronous_commit')`).Scan(&schema, &syncCommit); err != nil {
		return fail("read settings", err)
	}
	if schema == nil {
		return fmt.Errorf("postgres: migrate: search_path names no existing schema; create it or use OpenSchema")
	}
	if syncCommit == "off" {
		return fmt.Errorf("postgres: synchronous_commit is off for this session, so a commit could be lost after Update returned; set it to on (or remote_write, remote_apply, local)")
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fail("create schema_migrations", err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fail("read schema_migrations", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fail("read schema_migrations", err)
	}
	last := ms[len(ms)-1].Version
	done := map[int]bool{}
	for _, v := range applied {
		if int(v) > last {
			return fmt.Errorf("postgres: schema %s is at version %d, newer than this program knows (%d); refusing to use it", *schema, v, last)
		}
		done[int(v)] = true
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil { // no arguments: simple protocol, several statements allowed
			return fail("apply "+m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fail("record "+m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	return nil
}
