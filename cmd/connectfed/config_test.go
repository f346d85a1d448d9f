package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/seed"
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
  accessTokenTTL: 500ms
  refreshTokenTTL: banana
`), 0o600)
	_, err := LoadConfig(cfg)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"7 problem(s)", `accounts[0].id "12345": must be 12 digits`, `accounts[0].rootKeys[0].accessKeyId "lower-case"`,
		"accounts[0].rootKeys[0].secretAccessKey: must be at least 16 characters", `accounts[1].id "000000000000": is the development account`,
		"accounts[1].rootKeys: at least one root key is required", `tokens.accessTokenTTL: "500ms" must be between 1s and 720h`, `tokens.refreshTokenTTL: "banana" is not a duration`} {
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

// TestConfigProblemsTogether: an unknown field or a value of the wrong type
// does not hide the other problems, and no message names a Go type.
func TestConfigProblemsTogether(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte(`acounts: []
accounts:
  - id: "12345"
    rootkeys: []
    name: [a]
tokens:
  accessTokenTTL: 500ms
throttle:
  rates:
    X: {rate: fast, burst: 1}
defaultAccount: maybe
`), 0o600)
	_, err := LoadConfig(cfg)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"9 problem(s)",
		"acounts (line 1): unknown field (known here: accounts, defaultAccount, faults, throttle, tokens)",
		"accounts[0].rootkeys (line 4): unknown field; did you mean rootKeys?",
		"accounts[0].name (line 5): want a string, not a list",
		`throttle.rates.X.rate (line 10): want a number, not "fast"`,
		`defaultAccount (line 11): want true or false, not "maybe"`,
		`accounts[0].id "12345": must be 12 digits`, `tokens.accessTokenTTL: "500ms" must be between 1s and 720h`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, goName := range []string{"main.", "awsapi.", "float64", "[]", "type "} {
		if strings.Contains(err.Error(), goName) {
			t.Errorf("error names a Go type (%s):\n%v", goName, err)
		}
	}
	// A seed file is read the same way.
	seedPath := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(seedPath, []byte("accounts:\n  - id: \"000000000000\"\n    instances:\n      - alias: a\n        userz: []\n"), 0o600)
	if _, err := seed.Load(seedPath); err == nil || !strings.Contains(err.Error(), "accounts[0].instances[0].userz (line 5): unknown field") {
		t.Errorf("seed: %v", err)
	}
}

// TestCommandLinePapercuts: what a new user trips over is reported as
// what it is.
func TestCommandLinePapercuts(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "nonsense"}, `--listen "nonsense" is not an address: want host:port`},
		{[]string{"--listen", "127.0.0.1:70000"}, `port "70000" is not a number from 0 to 65535`},
		{[]string{"--public-url", "notaurl"}, `--public-url "notaurl" is not a base URL`},
		{[]string{"--public-url", "ftp://x"}, "the scheme must be http or https"},
		{[]string{"--public-url", "https://x/?a=b"}, "must not have user info, a query or a fragment"},
		{[]string{"--pprof=maybe"}, "want true or false"},
		{[]string{"--max-concurrent-requests", "many"}, "want a positive number"},
	} {
		m := NewMain()
		m.Stderr = io.Discard
		err := m.ParseFlags(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	m := NewMain()
	must(t, m.ParseFlags([]string{"-pprof", "--public-url", "https://connectfed.example.com/base/"}))
	if m.Pprof != "true" {
		t.Errorf("-pprof alone: %q", m.Pprof)
	}
	// -h shows the flags' types.
	var help strings.Builder
	m = NewMain()
	m.Stderr = &help
	if err := m.ParseFlags([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"-pprof\n", "-max-concurrent-requests number\n", "-listen string\n"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, help.String())
		}
	}
	// --help of every command exits 0.
	for _, args := range [][]string{{"serve", "--help"}, {"audit", "--help"}, {"help"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// TestMasterKeyMismatchHint: a store sealed under another master key says
// what to do.
func TestMasterKeyMismatchHint(t *testing.T) {
	requireSQLite(t)
	dir := t.TempDir()
	srv := startServer(t, dir)
	srv.stop()
	other := base64.StdEncoding.EncodeToString(make([]byte, 32))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir, "--master-key", other}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Start with the master key the store was created with") {
		t.Errorf("err = %v", err)
	}
}

// TestSignatureFailureReasonAtDebug: at debug level the log says why a
// signature did not verify (the client only gets AWS's generic message),
// without the secret.
func TestSignatureFailureReasonAtDebug(t *testing.T) {
	var logs lockedBuffer
	m := NewMain()
	m.Stderr = &logs
	must(t, m.ParseFlags(append([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "debug"}, e2eStoreArgs(t, t.TempDir())...)))
	must(t, m.Run(context.Background()))
	srv := &server{t: t, m: m, url: "http://" + m.Addr()}
	t.Cleanup(srv.stop)
	if _, err := startedCaller(srv, "test", "wrong-secret-value"); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v", err)
	}
	srv.stop()
	out := logs.String()
	for _, want := range []string{`msg="authentication failed"`, "SignatureMismatch", "string to sign", "AWS4-HMAC-SHA256", "access_key=test", "/us-east-1/sts"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "wrong-secret-value") {
		t.Error("the log holds the secret")
	}
}

func TestVersionCommand(t *testing.T) {
	var out strings.Builder
	must(t, run(context.Background(), []string{"version"}, &out, io.Discard))
	if !strings.HasPrefix(out.String(), "connectfed ") || !strings.Contains(out.String(), "github.com/connectfed/connectfed") ||
		!strings.Contains(out.String(), "go1.") {
		t.Errorf("version: %q", out.String())
	}
}

// TestDevelopmentKeysFlag: --development-keys on lets the development keys
// (and the published ones) work beyond loopback, for a container whose
// port only the host's loopback reaches; off turns the account off.
func TestDevelopmentKeysFlag(t *testing.T) {
	srv := startServerArgs(t, "--store", "memory", "--listen", "0.0.0.0:0", "--development-keys", "on")
	srv.url = strings.Replace(srv.url, "0.0.0.0", "127.0.0.1", 1)
	if _, err := startedCaller(srv, "test", "test"); err != nil {
		t.Errorf("development keys with --development-keys on, off loopback: %v", err)
	}
	off := startServerArgs(t, "--store", "memory", "--development-keys", "off")
	if _, err := startedCaller(off, "test", "test"); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("development keys with --development-keys off: %v", err)
	}
	if err := NewMain().ParseFlags([]string{"--development-keys", "yes"}); err == nil {
		t.Error("--development-keys yes accepted")
	}
}
