// Package testutil holds the assertions (and the settable clock) the
// domain packages' tests share.
// It is for tests only.
package testutil

import (
	"errors"
	"sync"
	"testing"
	"time"

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

// Clock is a settable clock for a service's Now, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
