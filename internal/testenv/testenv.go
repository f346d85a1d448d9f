// Package testenv decides, in one place, what a test does when something it
// drives (the AWS CLI, boto3, Node.js, Chromium, PostgreSQL, curl) is
// missing: on a developer machine the test is skipped, and `make test`
// prints one summary line per missing suite (scripts/test-deps); in CI the
// test fails, so a suite cannot be skipped by accident.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// CI reports whether the tests run in CI: CI is set to anything but "",
// "0" or "false" (GitHub Actions and most CI systems set CI=true; CI=1
// counts too). scripts/test-deps applies the same rule.
func CI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false":
		return false
	}
	return true
}

// Missing skips t with the reason, or fails it in CI.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if CI() {
		t.Fatalf("%s (required in CI; bash .ci/run installs it)", reason)
	}
	t.Skip(reason)
}

// LookPath finds a command, or skips t (fails it in CI) when it is not
// installed.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed")
	}
	return p
}
