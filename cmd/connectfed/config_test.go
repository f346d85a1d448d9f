package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestRefusesDefaultKeysOffLoopback(t *testing.T) {
	m := NewMain()
	m.Stderr = discard{}
	must(t, m.ParseFlags([]string{"--listen", "0.0.0.0:0", "--data-dir", t.TempDir()}))
	err := m.Run(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("started on 0.0.0.0 with the development keys")
	}
	if !strings.Contains(err.Error(), "refusing to listen on 0.0.0.0:0 with the default development keys") {
		t.Errorf("error: %v", err)
	}
	// With the development account off and an account declared, it starts.
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("defaultAccount: false\naccounts:\n  - id: \"123456789012\"\n    rootKeys:\n      - accessKeyId: AKIAEXAMPLEROOT00001\n        secretAccessKey: a-secret-of-enough-length\n"), 0o600)
	m = NewMain()
	m.Stderr = discard{}
	must(t, m.ParseFlags([]string{"--listen", "0.0.0.0:0", "--data-dir", t.TempDir(), "--config", cfg}))
	must(t, m.Run(context.Background()))
	defer m.Close()
	srv := &server{t: t, url: "http://" + strings.Replace(m.Addr(), "0.0.0.0", "127.0.0.1", 1)}
	if _, err := startedCaller(srv, "test", "test"); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("development keys with the account off: %v", err)
	}
	if _, err := startedCaller(srv, "AKIAEXAMPLEROOT00001", "a-secret-of-enough-length"); err != nil {
		t.Errorf("declared root keys: %v", err)
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte(`accounts:
  - id: "12345"
    rootKeys:
      - accessKeyId: lower-case
        secretAccessKey: short
  - id: "000000000000"
tokens:
  accessTokenTTL: 10s
  refreshTokenTTL: banana
`), 0o600)
	_, err := LoadConfig(cfg)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"7 problem(s)", `accounts[0].id "12345": must be 12 digits`, `accounts[0].rootKeys[0].accessKeyId "lower-case"`,
		"accounts[0].rootKeys[0].secretAccessKey: must be at least 16 characters", `accounts[1].id "000000000000": is the development account`,
		"accounts[1].rootKeys: at least one root key is required", `tokens.accessTokenTTL: "10s" must be between 1m and 720h`, `tokens.refreshTokenTTL: "banana" is not a duration`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Unknown fields are refused, in YAML and JSON.
	os.WriteFile(cfg, []byte("acounts: []\n"), 0o600)
	if _, err := LoadConfig(cfg); err == nil || !strings.Contains(err.Error(), "acounts") {
		t.Errorf("unknown YAML field: %v", err)
	}
	js := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(js, []byte(`{"defaultAccount": true, "tokenz": {}}`), 0o600)
	if _, err := LoadConfig(js); err == nil || !strings.Contains(err.Error(), "tokenz") {
		t.Errorf("unknown JSON field: %v", err)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("CONNECTFED_LISTEN", "127.0.0.1:9999")
	t.Setenv("CONNECTFED_ACCESS_TOKEN_TTL", "30m")
	m := NewMain()
	must(t, m.ParseFlags(nil))
	if m.Listen != "127.0.0.1:9999" || m.AccessTokenTTL != "30m" {
		t.Errorf("from the environment: listen %q, access TTL %q", m.Listen, m.AccessTokenTTL)
	}
	must(t, m.ParseFlags([]string{"--listen", "127.0.0.1:1"}))
	if m.Listen != "127.0.0.1:1" {
		t.Errorf("the flag does not win over the environment: %q", m.Listen)
	}
	for _, bad := range [][]string{{"--max-concurrent-requests", "0"}, {"--pprof", "yes"}, {"extra"}} {
		if err := NewMain().ParseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// startedCaller makes one signed call (GetCallerIdentity) with these keys.
func startedCaller(srv *server, key, secret string) (any, error) {
	return sts.NewFromConfig(srv.awsConfig(key, secret, "")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
}
