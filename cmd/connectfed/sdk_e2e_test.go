package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/testenv"
)

// The cross-client tests in e2e/ run the federation flow and its errors
// through other AWS SDKs than aws-sdk-go-v2, each against a fresh server.

// sdkTestTimeout bounds one client's whole run.
const sdkTestTimeout = 60 * time.Second

// TestJavaScriptSDK runs e2e/js (AWS SDK for JavaScript v3, node --test).
func TestJavaScriptSDK(t *testing.T) {
	node := requireTool(t, "node")
	dir, err := filepath.Abs("../../e2e/js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-connect", "package.json")); err != nil {
		sdkMissingDeps(t, "the JavaScript SDK tests' dependencies are not installed: run npm ci --prefix e2e/js")
	}
	srv := startServer(t, "")
	out := runSDKTests(t, dir, sdkTestEnv(srv.url), node, "--test")
	// node --test passes when it finds no test files at all; insist on some.
	pass := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindStringSubmatch(out)
	fail := regexp.MustCompile(`(?m)^# fail (\d+)$`).FindStringSubmatch(out)
	if pass == nil || fail == nil || fail[1] != "0" || sdkCount(pass[1]) == 0 {
		t.Fatalf("node --test ran no tests or reported failures:\n%s", out)
	}
	t.Logf("JavaScript SDK: %s tests passed", pass[1])
}

// TestBoto3 runs e2e/python (boto3, unittest).
func TestBoto3(t *testing.T) {
	python := requireTool(t, "python3")
	dir, err := filepath.Abs("../../e2e/python")
	if err != nil {
		t.Fatal(err)
	}
	env := sdkTestEnv("")
	check := exec.Command(python, "-c", "import boto3")
	check.Env = env
	if out, err := check.CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		sdkMissingDeps(t, "boto3 is not installed for "+python+" ("+lines[len(lines)-1]+"): install python3-boto3 (apt) or run bash .ci/run")
	}
	srv := startServer(t, "")
	out := runSDKTests(t, dir, sdkTestEnv(srv.url), python, "-m", "unittest", "-v")
	ran := regexp.MustCompile(`(?m)^Ran (\d+) tests? in `).FindStringSubmatch(out)
	if ran == nil || sdkCount(ran[1]) == 0 || !regexp.MustCompile(`(?m)^OK\b`).MatchString(out) {
		t.Fatalf("python3 -m unittest ran no tests or did not report OK:\n%s", out)
	}
	t.Logf("boto3: %s tests passed", ran[1])
}

// sdkMissingDeps skips the test, or fails it in CI, where every client must run.
func sdkMissingDeps(t *testing.T, msg string) {
	t.Helper()
	testenv.Missing(t, msg)
}

// awsModelEnv is AWS_DATA_PATH when set, for the clean AWS environments the
// tests give botocore and the AWS CLI: it says where their service models
// are (.ci/run points it at current ones for an old botocore, see
// scripts/aws-models), not which account or endpoint to use.
func awsModelEnv() []string {
	if p, ok := os.LookupEnv("AWS_DATA_PATH"); ok {
		return []string{"AWS_DATA_PATH=" + p}
	}
	return nil
}

// sdkTestEnv is this process's environment without AWS or connectfed
// settings (so no profile, credentials or endpoint of the machine leaks in)
// but with awsModelEnv, plus CONNECTFED_URL when url is not "".
func sdkTestEnv(url string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "CONNECTFED_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, awsModelEnv()...)
	none := filepath.Join(os.TempDir(), "connectfed-no-such-aws-config")
	env = append(env,
		"AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none, "AWS_EC2_METADATA_DISABLED=true",
		"PYTHONDONTWRITEBYTECODE=1", // keep __pycache__ out of the tree
	)
	if url != "" {
		env = append(env, "CONNECTFED_URL="+url)
	}
	return env
}

// runSDKTests runs a client's test command in dir and returns its output
// (stdout and stderr interleaved); the test fails with that output if the
// command exits non-zero or outlives sdkTestTimeout.
func runSDKTests(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sdkTestTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	// Grandchildren (node --test runs each file in its own process) may hold
	// the output pipe after a timeout kill; stop waiting for them.
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not finish within %v:\n%s", name, strings.Join(args, " "), sdkTestTimeout, out.String())
	}
	if err != nil {
		t.Fatalf("%s %s in %s failed: %v\n%s", name, strings.Join(args, " "), dir, err, out.String())
	}
	if testing.Verbose() {
		t.Logf("%s %s (%v):\n%s", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), out.String())
	}
	return out.String()
}

// sdkCount parses a test count printed by a client's runner.
func sdkCount(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
