package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/connectfed/connectfed/internal/sdkhttp"
	"github.com/connectfed/connectfed/postgres/pgtest"
)

// server is a running connectfed booted through Main, as the binary does.
type server struct {
	t       testing.TB
	m       *Main
	dataDir string
	url     string
}

// startServer boots the real program on port 0 with a data dir (a new temp
// dir when dataDir is "").
func startServer(t testing.TB, dataDir string, args ...string) *server {
	t.Helper()
	return startServerClock(t, dataDir, nil, args...)
}

// startServerClock is startServer with the server's clock (nil = real).
func startServerClock(t testing.TB, dataDir string, now func() time.Time, args ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	args = append(e2eStoreArgs(t, dataDir), args...)
	m := NewMain()
	if now != nil {
		m.Now = now
	}
	m.Stderr = io.Discard
	if testing.Verbose() {
		m.Stderr = os.Stderr
	}
	if err := m.ParseFlags(append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, m: m, dataDir: dataDir, url: "http://" + m.Addr()}
	t.Cleanup(func() { s.stop() })
	resp, err := http.Get(s.url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	return s
}

func (s *server) stop() {
	if s.m != nil {
		if err := s.m.Close(); err != nil {
			s.t.Errorf("close: %v", err)
		}
		s.m = nil
	}
}

// awsConfig is an SDK config pointed at the server with static keys.
func (s *server) awsConfig(akid, secret, token string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(akid, secret, token),
		BaseEndpoint:     aws.String(s.url),
		RetryMaxAttempts: 1,
		HTTPClient:       sdkhttp.New(),
	}
}

// clock is a settable offset from real time, safe for concurrent use.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Set(d time.Duration) {
	c.mu.Lock()
	c.offset = d
	c.mu.Unlock()
}

// e2eStore picks the store the end-to-end tests run on: CONNECTFED_E2E_STORE
// =postgres runs every server of the suite on PostgreSQL (a fresh schema
// per data dir, so a restart finds its state), the default is SQLite.
var e2eStore = os.Getenv("CONNECTFED_E2E_STORE")

var (
	pgSchemasMu sync.Mutex
	pgSchemas   = map[string]string{}
)

func e2eStoreArgs(t testing.TB, dataDir string) []string {
	if e2eStore != "postgres" {
		return nil
	}
	pgSchemasMu.Lock()
	defer pgSchemasMu.Unlock()
	dsn, ok := pgSchemas[dataDir]
	if !ok {
		dsn = pgtest.FreshSchemaDSN(t)
		pgSchemas[dataDir] = dsn
	}
	return []string{"--store", dsn}
}

// requireSQLite skips tests that read the SQLite file itself.
func requireSQLite(t *testing.T) {
	t.Helper()
	if e2eStore == "postgres" {
		t.Skip("reads the embedded SQLite file; runs in the SQLite pass")
	}
}
