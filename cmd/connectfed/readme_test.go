package main

import (
	"bytes"
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
	script := "set -euo pipefail\n" + strings.Join(readmeBlocks(t, "walkthrough"), "\n")
	script = strings.ReplaceAll(script, "http://127.0.0.1:4577", srv.url)
	dir := t.TempDir()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	// A clean AWS environment: no profile or credentials of the machine.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{`"Username": "jane.doe"`, `"UserSummaryList"`, `"AccessToken"`, `"RefreshTokenExpiration"`,
		`"SignInUrl": "` + srv.url + `/connect/`, `"UserArn": "arn:aws:connect:us-east-1:000000000000:instance/`,
		`"Active":true`, `"Username":"alice"`, `{"Credentials":{"AccessToken":"`, `{"FamilyId":"`} {
		if !strings.Contains(out, want) {
			t.Errorf("walkthrough output lacks %s\n%s", want, out)
		}
	}
	if stderr.Len() > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
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
