package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/awsapi"
)

// TestREADMESupportedOperations checks the README's supported-operations
// table against the operations the server serves (awsapi.Operations), so
// the list cannot go stale: every served operation is listed in its
// service's row, and every operation listed is served.
func TestREADMESupportedOperations(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		for _, svc := range []string{"connect", "sts", "iam"} {
			if strings.HasPrefix(line, "| ") && strings.Contains(line, "(`"+svc+"`) |") {
				rows[svc] = line
			}
		}
	}
	paren := regexp.MustCompile(`\([^()]*\)`)
	opName := regexp.MustCompile(`^[A-Z][A-Za-z]+$`)
	for svc, want := range awsapi.Operations() {
		row, ok := rows[svc]
		if !ok {
			t.Errorf("README's supported operations have no row for %s", svc)
			continue
		}
		cells := strings.Split(row, "|")
		list := paren.ReplaceAllString(cells[len(cells)-2], "")
		var got []string
		for _, tok := range regexp.MustCompile(`[,;:]`).Split(list, -1) {
			tok = strings.Trim(strings.TrimSpace(tok), "*")
			if opName.MatchString(tok) {
				got = append(got, tok)
			}
		}
		slices.Sort(got)
		for _, op := range want {
			if !slices.Contains(got, op) {
				t.Errorf("README: %s row lacks %s, which the server serves", svc, op)
			}
		}
		for _, op := range got {
			if !slices.Contains(want, op) {
				t.Errorf("README: %s row lists %s, which the server does not serve", svc, op)
			}
		}
		t.Logf("%s: %d operations", svc, len(want))
	}
}
