package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPublishedKeysRefusedOffLoopback: a data dir seeded on loopback with
// examples/seed.yaml, then served beyond loopback with the development
// account off: the seed's published key and the README's published root
// key are refused like test/test, a key nobody published works, and the
// start-up log names what is disabled and why.
func TestPublishedKeysRefusedOffLoopback(t *testing.T) {
	requireSQLite(t) // one data dir, restarted
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, "--seed", filepath.Join("..", "..", "examples", "seed.yaml"))
	if _, err := startedCaller(srv, "AKIASEEDAGENTBACKEND", "seed-secret-for-agent-backend-0001"); err != nil {
		t.Fatalf("seeded key on loopback: %v", err)
	}
	srv.stop()

	cfg := filepath.Join(t.TempDir(), "c.yaml")
	must(t, os.WriteFile(cfg, []byte(`defaultAccount: false
accounts:
  - id: "111111111111"
    rootKeys:
      - accessKeyId: AKIATEAMAROOT0000001
        secretAccessKey: a-long-secret-of-at-least-16-chars
  - id: "123456789012"
    rootKeys:
      - accessKeyId: AKIAEXAMPLEROOT00001
        secretAccessKey: a-secret-of-enough-length
`), 0o600))
	var logs syncBuffer
	m := NewMain()
	m.Stderr = &logs
	must(t, m.ParseFlags([]string{"--listen", "0.0.0.0:0", "--data-dir", dataDir, "--config", cfg}))
	must(t, m.Run(context.Background()))
	defer m.Close()
	off := &server{t: t, url: "http://" + strings.Replace(m.Addr(), "0.0.0.0", "127.0.0.1", 1)}
	for _, k := range [][2]string{
		{"AKIASEEDAGENTBACKEND", "seed-secret-for-agent-backend-0001"},
		{"AKIATEAMAROOT0000001", "a-long-secret-of-at-least-16-chars"},
		{"test", "test"},
	} {
		if _, err := startedCaller(off, k[0], k[1]); apiCode(err) != "InvalidClientTokenId" {
			t.Errorf("published key %s off loopback: %v, want InvalidClientTokenId", k[0], err)
		}
	}
	if _, err := startedCaller(off, "AKIAEXAMPLEROOT00001", "a-secret-of-enough-length"); err != nil {
		t.Errorf("unpublished key off loopback: %v", err)
	}
	for _, want := range []string{
		`msg="account disabled: every credential of it is refused" account=000000000000`,
		`msg="access key disabled" access_key=AKIATEAMAROOT0000001 account=111111111111 reason="its secret is published in README.md`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("start-up log lacks %s:\n%s", want, logs.String())
		}
	}
}

// TestPublishedKeysListed: every access key id written in the README or
// the examples is in publishedKeys, so it is refused off loopback.
func TestPublishedKeysListed(t *testing.T) {
	files := []string{filepath.Join("..", "..", "README.md")}
	filepath.WalkDir(filepath.Join("..", "..", "examples"), func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "node_modules":
			return filepath.SkipDir
		case !d.IsDir():
			files = append(files, p)
		}
		return nil
	})
	keyRE := regexp.MustCompile(`(?i)(?:accessKeyId["']?\s*[:=]\s*["']?|AWS_ACCESS_KEY_ID=|aws_access_key_id\s*=\s*)([A-Za-z0-9]+)|\b(AKIA[A-Z0-9]{12,})\b`)
	found := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			k := m[1] + m[2]
			found++
			if _, ok := publishedKeys[k]; !ok {
				t.Errorf("%s publishes access key %s, which publishedKeys does not list", f, k)
			}
		}
	}
	if found < 3 {
		t.Errorf("found %d published keys; the pattern no longer matches the files", found)
	}
}
