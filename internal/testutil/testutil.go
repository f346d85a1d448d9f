// Package testutil holds the assertions the domain packages' tests share.
// It is for tests only.
package testutil

import (
	"errors"
	"testing"

	"github.com/connectfed/connectfed"
)

// Must fails t at once on a non-nil error.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// WantType fails t at once unless err is a *connectfed.Error of type want.
func WantType(t testing.TB, err error, want connectfed.ErrorType) {
	t.Helper()
	var e *connectfed.Error
	if !errors.As(err, &e) || e.Type != want {
		t.Fatalf("error %v, want %s", err, want)
	}
}
