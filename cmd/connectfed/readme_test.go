package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/testenv"
)

// readmeBlocks returns the fenced code blocks of README.md marked with
// <!-- test: name -->, in order.
func readmeBlocks(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- test: " + regexp.QuoteMeta(name) + " -->\\s*```[a-z]*\\n(.*?)```")
	var out []string
	for _, m := range re.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	if len(out) == 0 {
		t.Fatalf("README.md has no blocks marked %q", name)
	}
	return out
}

// requireTool finds a command; in CI a missing tool fails the test.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	return testenv.LookPath(t, name)
}

// TestREADMEWalkthroughs runs the README's AWS CLI walkthroughs verbatim
// against a fresh server (only the endpoint URL is replaced by the test
// server's).
func TestREADMEWalkthroughs(t *testing.T) {
	requireTool(t, "aws")
	srv := startServer(t, "")
	runREADMEWalkthrough(t, srv.url)
}

// runREADMEWalkthrough runs the walkthrough blocks against the server at
// url and checks what they print.
func runREADMEWalkthrough(t *testing.T, url string) {
	t.Helper()
	script := "set -euo pipefail\n" + awsEndpointShim(t) + strings.Join(readmeBlocks(t, "walkthrough"), "\n")
	script = strings.ReplaceAll(script, "http://127.0.0.1:4577", url)
	dir := t.TempDir()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	// A clean AWS environment: no profile or credentials of the machine.
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}, awsModelEnv()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{`"Username": "jane.doe"`, `"UserSummaryList"`, `"AccessToken"`, `"RefreshTokenExpiration"`,
		`"SignInUrl": "` + url + `/connect/`, `"UserArn": "arn:aws:connect:us-east-1:000000000000:instance/`,
		`"Active":true`, `"Username":"alice"`, `{"Credentials":{"AccessToken":"`, `{"FamilyId":"`,
		`"QueueName": "Support"`, `"anna.berg"`, `"max.kuhn"`, `"dept": "sales"`} {
		if !strings.Contains(out, want) {
			t.Errorf("walkthrough output lacks %s\n%s", want, out)
		}
	}
	if stderr.Len() > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
}

// awsEndpointShim makes an AWS CLI older than 2.13 (Debian 12 has 2.9),
// which ignores AWS_ENDPOINT_URL, use it: the README says to pass
// --endpoint-url to those, and this passes it for them.
func awsEndpointShim(t *testing.T) string {
	out, err := exec.Command("aws", "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("aws --version: %v\n%s", err, out)
	}
	var major, minor int
	if _, err := fmt.Sscanf(string(out), "aws-cli/%d.%d", &major, &minor); err != nil || major > 2 || major == 2 && minor >= 13 {
		return ""
	}
	t.Logf("%s: passing --endpoint-url for AWS_ENDPOINT_URL", strings.Fields(string(out))[0])
	return `aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }` + "\n"
}

// TestREADMEOps runs the README's audit, fault and reset examples against a
// fresh server with one instance.
func TestREADMEOps(t *testing.T) {
	requireTool(t, "curl")
	f := newFedFixture(t)
	time.Sleep(400 * time.Millisecond) // audit records are flushed within 200 ms
	script := "set -euo pipefail\n" + strings.Join(readmeBlocks(t, "ops"), "\n")
	script = strings.ReplaceAll(script, "http://127.0.0.1:4577", f.srv.url)
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ops examples failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"AuditEvents":[`, `"Event":"CreateInstance"`, `{"FaultId":"fault-1"}`, `{"FaultId":"fault-2"}`,
		`"Operation":"GetFederationToken"`, `{"Removed":2}`, `{"AccountId":"000000000000"}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// TestREADMESnippets runs the README's Python (pytest fixture) and
// JavaScript (SDK v3) snippets. The Python one runs under pytest when it
// is installed, else its fixture and test are driven by hand.
func TestREADMESnippets(t *testing.T) {
	t.Run("python", func(t *testing.T) {
		python := requireTool(t, "python3")
		if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
			sdkMissingDeps(t, "boto3 is not installed for "+python+": "+string(out))
		}
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, "conftest.py"), []byte(readmeBlocks(t, "python-snippet")[0]), 0o644))
		driver := `import sys, types
try:
    import pytest
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "conftest.py"]))
except ImportError:
    pass
sys.modules["pytest"] = types.SimpleNamespace(fixture=lambda f: f)
import conftest
fixture = conftest.connectfed()
url = next(fixture)
conftest.test_no_instances_yet(url)
next(fixture, None)
print("passed (without pytest):", url)
`
		cmd := exec.Command(python, "-c", driver)
		cmd.Dir = dir
		// The snippet runs the connectfed on PATH, as after go install.
		cmd.Env = append(sdkTestEnv(""), "PATH="+filepath.Dir(binary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "passed") {
			t.Fatalf("python snippet: %v\n%s", err, out)
		}
		t.Logf("%s", out)
	})
	t.Run("javascript", func(t *testing.T) {
		node := requireTool(t, "node")
		modules, err := filepath.Abs("../../e2e/js/node_modules")
		must(t, err)
		if _, err := os.Stat(filepath.Join(modules, "@aws-sdk", "client-connect")); err != nil {
			sdkMissingDeps(t, "the JavaScript SDK is not installed: run npm ci --prefix e2e/js")
		}
		srv := startServer(t, "")
		dir := t.TempDir()
		must(t, os.Symlink(modules, filepath.Join(dir, "node_modules")))
		must(t, os.WriteFile(filepath.Join(dir, "snippet.mjs"), []byte(readmeBlocks(t, "js-snippet")[0]), 0o644))
		cmd := exec.Command(node, "snippet.mjs")
		cmd.Dir = dir
		cmd.Env = sdkTestEnv(srv.url)
		// Only stdout is the snippet's answer: the SDK may print support
		// warnings (such as its Node.js version notice) on stderr.
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(out)) != "0 instances" {
			t.Fatalf("javascript snippet: %v\n%s%s", err, out, stderr.String())
		}
	})
}
