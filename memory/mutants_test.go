package memory

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/storetest"
)

// The conformance suite runs against the store: the correct one must pass.
// It is also how storetest itself is tested: each deliberately broken
// variant ("mutant", Store.bug) must make a named subtest fail, proving the
// suite catches that class of bug and assumes no particular engine.

// mutantEnv selects a mutant in the child process TestSuiteCatchesMutants
// starts.
const mutantEnv = "STORETEST_MUTANT"

func TestStore(t *testing.T) {
	mut := os.Getenv(mutantEnv)
	storetest.Run(t, func(t *testing.T) connectfed.Store {
		s := New()
		s.bug = mut
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestCloseFailsLaterCalls(t *testing.T) {
	s := New()
	if err := s.Health(t.Context()); err != nil {
		t.Fatalf("Health before Close = %v", err)
	}
	s.Close()
	if err := s.Health(t.Context()); connectfed.ErrorCode(err) != connectfed.EUNAVAILABLE {
		t.Fatalf("Health after Close = %v, want EUNAVAILABLE", err)
	}
	err := s.View(t.Context(), func(connectfed.Tx) error { return nil })
	if connectfed.ErrorCode(err) != connectfed.EUNAVAILABLE {
		t.Fatalf("View after Close = %v, want EUNAVAILABLE", err)
	}
}

func TestSuiteCatchesMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("running as a mutant")
	}
	if testing.Short() {
		t.Skip("runs the suite once per mutant in a child process")
	}
	for mutant, wantFail := range map[string][]string{
		"like":            {"ListPrefixLiteral"},
		"after-inclusive": {"ListAfter", "ListPagination"},
		"limit-zero-none": {"ListLimit"},
		"case-fold-order": {"ListOrder"},
		"unbounded-empty": {"DeletePrefixEmpty"},
		"no-rollback":     {"UpdateRollback"},
		"poison":          {"UpdateContinuesAfterError"},
		"alias":           {"ValueOwnership"},
		"view-writes":     {"ViewRejectsWrites"},
		"view-live":       {"ViewSnapshot"},
		"lost-update":     {"ConcurrentIncrements", "ConcurrentCreate"},
		"snapshot-isol":   {"WriteSkew"},
		"ignore-ctx":      {"CancelledContext"},
		"kind-concat":     {"KindsAreSeparate"},
		"trim-key":        {"Keys"},
	} {
		t.Run(mutant, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestStore$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), mutantEnv+"="+mutant)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with bug %q; it must fail %v", mutant, wantFail)
			}
			for _, name := range wantFail {
				if !strings.Contains(string(out), "--- FAIL: TestStore/"+name+" ") {
					t.Errorf("bug %q: subtest %s did not fail; output:\n%s", mutant, name, out)
				}
			}
		})
	}
}

// BenchmarkGet is the point read every store measures (storetest.BenchGet).
func BenchmarkGet(b *testing.B) { storetest.BenchGet(b, New()) }
