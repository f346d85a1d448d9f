// Package pgtest finds the PostgreSQL server tests run against and gives
// each test a schema of its own. It is for tests only; production code must
// not import it.
//
// The server is named by CONNECTFED_TEST_POSTGRES. When that is unset, tests
// that need PostgreSQL skip, except in CI (testenv.CI: CI=true or CI=1), where DSN
// falls back to DefaultDSN so the tests cannot be skipped by accident.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/connectfed/connectfed/internal/testenv"
)

const (
	// EnvVar names the DSN of the test server.
	EnvVar = "CONNECTFED_TEST_POSTGRES"
	// DefaultDSN is the server CI uses when EnvVar is unset.
	DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// DSN returns the test server's DSN, or skips t when none is configured
// outside CI.
func DSN(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv(EnvVar); dsn != "" {
		return dsn
	}
	if testenv.CI() {
		return DefaultDSN
	}
	t.Skipf("set %s=%s to run", EnvVar, DefaultDSN)
	return ""
}

// FreshSchemaDSN creates an empty schema named t_<random> on the test server
// and returns a DSN whose search_path selects only it. The schema and
// everything in it is dropped when t ends (after cleanups registered later,
// such as closing a store, have run).
func FreshSchemaDSN(t testing.TB) string {
	t.Helper()
	dsn, _ := FreshSchema(t)
	return dsn
}

// FreshSchema is FreshSchemaDSN that also returns the schema's name, for
// tests that inspect it over their own connection.
func FreshSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := DSN(t)
	schema = fmt.Sprintf("t_%016x", rand.Uint64())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := exec(ctx, base, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, base, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	out, err := WithParam(base, "search_path", schema)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return out, schema
}

// WithParam returns dsn with one more connection parameter (a run-time
// setting such as search_path or application_name, or a pgx option), in
// whichever of the URL and keyword=value forms dsn uses. The value must be a
// plain word in the keyword=value form.
func WithParam(dsn, name, value string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN: %v", err) // not %w: the error text holds the DSN
		}
		q := u.Query()
		q.Set(name, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	if strings.ContainsAny(value, ` '\`) {
		return "", fmt.Errorf("value %q needs quoting", value)
	}
	return dsn + " " + name + "=" + value, nil
}

// Exec runs one statement on a connection of its own.
func Exec(t testing.TB, dsn, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := exec(ctx, dsn, sql, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

func exec(ctx context.Context, dsn, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql, args...)
	return err
}
