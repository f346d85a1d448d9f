// Package storetest is the conformance suite every connectfed.Store backend
// must pass. A backend's test calls Run with a factory that returns a fresh,
// empty store; every subtest gets its own.
//
// The suite checks the places where storage engines differ: byte order of
// keys, LIKE metacharacters in prefixes, empty and large values, not-found and
// already-exists on every method, whether a failed statement poisons the rest
// of its transaction, snapshot reads, lost updates, write skew and context
// cancellation. Nothing here assumes a particular engine.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
)

// Run runs the whole suite, one t.Run subtest per property, each against a
// store returned by newStore. The factory owns cleanup (t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) connectfed.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s connectfed.Store)
	}{
		{"NotFound", testNotFound},
		{"CreateExisting", testCreateExisting},
		{"RoundTrip", testRoundTrip},
		{"ValueOwnership", testValueOwnership},
		{"PutReplaces", testPutReplaces},
		{"DeleteRemoves", testDeleteRemoves},
		{"KindsAreSeparate", testKindsAreSeparate},
		{"ListOrder", testListOrder},
		{"ListPrefix", testListPrefix},
		{"ListPrefixLiteral", testListPrefixLiteral},
		{"ListAfter", testListAfter},
		{"ListLimit", testListLimit},
		{"ListPagination", testListPagination},
		{"DeletePrefix", testDeletePrefix},
		{"DeletePrefixEmpty", testDeletePrefixEmpty},
		{"UpdateRollback", testUpdateRollback},
		{"UpdateContinuesAfterError", testUpdateContinuesAfterError},
		{"UpdateReadsOwnWrites", testUpdateReadsOwnWrites},
		{"ViewReturnsFnError", testViewReturnsFnError},
		{"ViewRejectsWrites", testViewRejectsWrites},
		{"ViewSnapshot", testViewSnapshot},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"ConcurrentCreate", testConcurrentCreate},
		{"WriteSkew", testWriteSkew},
		{"CancelledContext", testCancelledContext},
		{"CancelDuringUpdate", testCancelDuringUpdate},
		{"HealthAndClose", testHealthAndClose},
		{"TimeValuesVerbatim", testTimeValuesVerbatim},
		{"Keys", testKeys},
		{"KeysNonUTF8", testKeysNonUTF8},
		{"Expiry", testExpiry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.fn(t, s)
		})
	}
}

// errSentinel is returned from fn to check that Update and View hand back
// fn's own error.
var errSentinel = errors.New("storetest: sentinel error from fn")

// --- helpers -------------------------------------------------------------

func update(t *testing.T, s connectfed.Store, fn func(connectfed.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: unexpected error: %v", err)
	}
}

func view(t *testing.T, s connectfed.Store, fn func(connectfed.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: unexpected error: %v", err)
	}
}

// seed creates every key of kv (key -> value) in kind, in one Update.
func seed(t *testing.T, s connectfed.Store, kind string, kv map[string]string) {
	t.Helper()
	update(t, s, func(tx connectfed.Tx) error {
		for k, v := range kv {
			if err := tx.Create(kind, k, []byte(v)); err != nil {
				return fmt.Errorf("Create(%q, %q): %w", kind, k, err)
			}
		}
		return nil
	})
}

// seedKeys creates every key with the key itself as value.
func seedKeys(t *testing.T, s connectfed.Store, kind string, keys ...string) {
	t.Helper()
	kv := make(map[string]string, len(keys))
	for _, k := range keys {
		kv[k] = k
	}
	seed(t, s, kind, kv)
}

// get reads one value in its own View.
func get(t *testing.T, s connectfed.Store, kind, key string) ([]byte, error) {
	t.Helper()
	var v []byte
	var gerr error
	view(t, s, func(tx connectfed.Tx) error {
		v, gerr = tx.Get(kind, key)
		return nil
	})
	return v, gerr
}

// wantValue fails unless (kind, key) holds exactly want.
func wantValue(t *testing.T, s connectfed.Store, kind, key string, want []byte) {
	t.Helper()
	got, err := get(t, s, kind, key)
	if err != nil {
		t.Fatalf("Get(%q, %q): error %v, want value %s", kind, key, err, short(want))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q, %q) = %s, want %s", kind, key, short(got), short(want))
	}
}

// wantMissing fails unless Get(kind, key) returns ErrNotFound.
func wantMissing(t *testing.T, s connectfed.Store, kind, key string) {
	t.Helper()
	got, err := get(t, s, kind, key)
	if !errors.Is(err, connectfed.ErrNotFound) {
		t.Fatalf("Get(%q, %q) = %s, %v; want ErrNotFound", kind, key, short(got), err)
	}
}

// wantIs fails unless errors.Is(err, target).
func wantIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want errors.Is(err, %v)", what, err, target)
	}
}

// list runs one List in its own View and returns the entries.
func list(t *testing.T, s connectfed.Store, kind, prefix, after string, limit int) []connectfed.Entry {
	t.Helper()
	var es []connectfed.Entry
	view(t, s, func(tx connectfed.Tx) error {
		var err error
		es, err = tx.List(kind, prefix, after, limit)
		if err != nil {
			return fmt.Errorf("List(%q, prefix=%q, after=%q, limit=%d): %w", kind, prefix, after, limit, err)
		}
		return nil
	})
	return es
}

func keysOf(es []connectfed.Entry) []string {
	ks := make([]string, len(es))
	for i, e := range es {
		ks[i] = e.Key
	}
	return ks
}

// wantList fails unless List returns exactly the keys want, in that order,
// each with its key as value (as seedKeys stores them).
func wantList(t *testing.T, s connectfed.Store, kind, prefix, after string, limit int, want []string) {
	t.Helper()
	es := list(t, s, kind, prefix, after, limit)
	got := keysOf(es)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("List(%q, prefix=%q, after=%q, limit=%d) keys =\n  %q\nwant\n  %q", kind, prefix, after, limit, got, want)
	}
	for _, e := range es {
		if string(e.Value) != e.Key {
			t.Fatalf("List(%q, prefix=%q, ...) entry %q has value %s, want the value stored under it (%q)", kind, prefix, e.Key, short(e.Value), e.Key)
		}
	}
}

// allKeys lists every key of kind.
func allKeys(t *testing.T, s connectfed.Store, kind string) []string {
	t.Helper()
	var ks []string
	view(t, s, func(tx connectfed.Tx) error {
		es, err := tx.List(kind, "", "", 0)
		if err != nil {
			return fmt.Errorf("List(%q, all): %w", kind, err)
		}
		ks = keysOf(es)
		return nil
	})
	return ks
}

// snapshot returns every key and value of kind, for before/after comparisons.
func snapshot(t *testing.T, s connectfed.Store, kind string) map[string]string {
	t.Helper()
	m := map[string]string{}
	view(t, s, func(tx connectfed.Tx) error {
		es, err := tx.List(kind, "", "", 0)
		if err != nil {
			return fmt.Errorf("List(%q, all): %w", kind, err)
		}
		for _, e := range es {
			m[e.Key] = string(e.Value)
		}
		return nil
	})
	return m
}

func wantSnapshot(t *testing.T, s connectfed.Store, kind string, want map[string]string, why string) {
	t.Helper()
	got := snapshot(t, s, kind)
	if fmt.Sprint(got) != fmt.Sprint(want) { // fmt sorts map keys
		t.Fatalf("%s: contents of kind %q =\n  %q\nwant\n  %q", why, kind, got, want)
	}
}

// sorted returns a byte-order sorted copy.
func sorted(ks []string) []string {
	c := slices.Clone(ks)
	slices.Sort(c) // Go string comparison is byte-wise.
	return c
}

// short formats a value for a failure message without dumping a MiB.
func short(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	if len(b) > 64 {
		return fmt.Sprintf("%q...(%d bytes)", b[:64], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// --- basic CRUD ----------------------------------------------------------

func testNotFound(t *testing.T, s connectfed.Store) {
	seedKeys(t, s, "user", "present")
	check := func(tx connectfed.Tx, where string) {
		if v, err := tx.Get("user", "missing"); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("%s: Get of a missing key = %s, %v; want ErrNotFound", where, short(v), err)
		}
		if v, err := tx.Get("instance", "present"); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("%s: Get of a key that exists only in another kind = %s, %v; want ErrNotFound", where, short(v), err)
		}
	}
	view(t, s, func(tx connectfed.Tx) error { check(tx, "View"); return nil })
	update(t, s, func(tx connectfed.Tx) error {
		check(tx, "Update")
		if err := tx.Put("user", "missing", []byte("x")); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("Put of a missing key: error %v, want ErrNotFound", err)
		}
		if err := tx.Delete("user", "missing"); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("Delete of a missing key: error %v, want ErrNotFound", err)
		}
		if err := tx.Put("instance", "present", []byte("x")); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("Put of a key that exists only in another kind: error %v, want ErrNotFound", err)
		}
		if err := tx.Delete("instance", "present"); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("Delete of a key that exists only in another kind: error %v, want ErrNotFound", err)
		}
		return nil
	})
	wantMissing(t, s, "user", "missing")
	wantValue(t, s, "user", "present", []byte("present"))
}

func testCreateExisting(t *testing.T, s connectfed.Store) {
	seed(t, s, "user", map[string]string{"alice": "original"})
	var cerr error
	update(t, s, func(tx connectfed.Tx) error {
		cerr = tx.Create("user", "alice", []byte("second"))
		return nil
	})
	wantIs(t, "Create of an existing key", cerr, connectfed.ErrExists)
	if errors.Is(cerr, connectfed.ErrNotFound) {
		t.Fatalf("Create of an existing key: error %v also matches ErrNotFound", cerr)
	}
	wantValue(t, s, "user", "alice", []byte("original"))

	// The same through Update's return value: fn passes the error on.
	err := s.Update(t.Context(), func(tx connectfed.Tx) error {
		return tx.Create("user", "alice", []byte("third"))
	})
	wantIs(t, "Update returning Create's error", err, connectfed.ErrExists)
	wantValue(t, s, "user", "alice", []byte("original"))
}

func testRoundTrip(t *testing.T, s connectfed.Store) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	big := make([]byte, 1<<20) // the contract's maximum value size
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	cases := []struct {
		name  string
		value []byte
		want  []byte
	}{
		{"empty", []byte{}, []byte{}},
		{"nil reads back empty", nil, []byte{}},
		{"json", []byte(`{"name":"alice","n":1}`), nil},
		{"json unicode", []byte(`{"name":"Zoë ✓ 日本語 \u00e9 😀","esc":"\"\\\n\t"}`), nil},
		{"json with whitespace kept", []byte("{ \"a\" :  1 ,\n\t\"b\":[ ] }\n"), nil},
		{"every byte value", allBytes, nil},
		{"invalid utf8", []byte{0xff, 0xfe, 0x00, 0xc3, 0x28}, nil},
		{"1 MiB", big, nil},
	}
	for i, c := range cases {
		if c.want == nil {
			cases[i].want = c.value
		}
	}
	update(t, s, func(tx connectfed.Tx) error {
		for _, c := range cases {
			if err := tx.Create("doc", c.name, c.value); err != nil {
				return fmt.Errorf("Create(%q) of %s: %w", c.name, short(c.value), err)
			}
			// Read back inside the same transaction.
			got, err := tx.Get("doc", c.name)
			if err != nil {
				return fmt.Errorf("Get(%q) inside the Update that created it: %w", c.name, err)
			}
			if !bytes.Equal(got, c.want) {
				t.Errorf("Get(%q) inside Update = %s, want %s", c.name, short(got), short(c.want))
			}
		}
		return nil
	})
	for _, c := range cases {
		got, err := get(t, s, "doc", c.name)
		if err != nil {
			t.Errorf("Get(%q) after commit: error %v, want %s", c.name, err, short(c.want))
			continue
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("Get(%q) after commit = %s, want %s", c.name, short(got), short(c.want))
		}
	}
	// List returns the same bytes.
	for _, e := range list(t, s, "doc", "", "", 0) {
		for _, c := range cases {
			if c.name == e.Key && !bytes.Equal(e.Value, c.want) {
				t.Errorf("List entry %q value = %s, want %s", e.Key, short(e.Value), short(c.want))
			}
		}
	}
}

func testValueOwnership(t *testing.T, s connectfed.Store) {
	v := []byte("original")
	update(t, s, func(tx connectfed.Tx) error {
		if err := tx.Create("doc", "k", v); err != nil {
			return err
		}
		copy(v, "XXXXXXXX") // the caller reuses its buffer
		return nil
	})
	wantValue(t, s, "doc", "k", []byte("original"))

	view(t, s, func(tx connectfed.Tx) error {
		got, err := tx.Get("doc", "k")
		if err != nil {
			return err
		}
		for i := range got {
			got[i] = 'Y' // the caller scribbles on what it was given
		}
		es, err := tx.List("doc", "", "", 0)
		if err != nil {
			return err
		}
		for _, e := range es {
			for i := range e.Value {
				e.Value[i] = 'Z'
			}
		}
		return nil
	})
	wantValue(t, s, "doc", "k", []byte("original"))
}

func testPutReplaces(t *testing.T, s connectfed.Store) {
	seed(t, s, "doc", map[string]string{"k": "a long original value", "other": "untouched"})
	update(t, s, func(tx connectfed.Tx) error { return tx.Put("doc", "k", []byte("short")) })
	wantValue(t, s, "doc", "k", []byte("short"))
	update(t, s, func(tx connectfed.Tx) error { return tx.Put("doc", "k", []byte{}) })
	wantValue(t, s, "doc", "k", []byte{})
	update(t, s, func(tx connectfed.Tx) error { return tx.Put("doc", "k", []byte("again, longer than before")) })
	wantValue(t, s, "doc", "k", []byte("again, longer than before"))
	wantSnapshot(t, s, "doc", map[string]string{"k": "again, longer than before", "other": "untouched"}, "after three Puts")
}

func testDeleteRemoves(t *testing.T, s connectfed.Store) {
	seedKeys(t, s, "doc", "a", "b", "c")
	update(t, s, func(tx connectfed.Tx) error { return tx.Delete("doc", "b") })
	wantMissing(t, s, "doc", "b")
	wantList(t, s, "doc", "", "", 0, []string{"a", "c"})
	err := s.Update(t.Context(), func(tx connectfed.Tx) error { return tx.Delete("doc", "b") })
	wantIs(t, "second Delete of the same key", err, connectfed.ErrNotFound)
	// The key can be created again.
	update(t, s, func(tx connectfed.Tx) error { return tx.Create("doc", "b", []byte("b")) })
	wantList(t, s, "doc", "", "", 0, []string{"a", "b", "c"})
}

func testKindsAreSeparate(t *testing.T, s connectfed.Store) {
	seed(t, s, "user", map[string]string{"x/1": "user x/1", "bc": "user bc"})
	seed(t, s, "instance", map[string]string{"x/1": "instance x/1"})
	// Kind and key must not be concatenated ambiguously: ("a", "bc") and
	// ("ab", "c") and ("a/", "bc") are different records.
	seed(t, s, "a", map[string]string{"bc": "a+bc"})
	seed(t, s, "ab", map[string]string{"c": "ab+c"})

	wantValue(t, s, "user", "x/1", []byte("user x/1"))
	wantValue(t, s, "instance", "x/1", []byte("instance x/1"))
	wantValue(t, s, "a", "bc", []byte("a+bc"))
	wantValue(t, s, "ab", "c", []byte("ab+c"))
	wantMissing(t, s, "ab", "bc")
	wantMissing(t, s, "a", "c")
	wantMissing(t, s, "instance", "bc")

	if got := allKeys(t, s, "instance"); !slices.Equal(got, []string{"x/1"}) {
		t.Fatalf("List(instance) = %q, want only its own key [x/1]", got)
	}
	if got := allKeys(t, s, "nosuchkind"); len(got) != 0 {
		t.Fatalf("List of an unused kind = %q, want none", got)
	}

	update(t, s, func(tx connectfed.Tx) error { return tx.Put("instance", "x/1", []byte("changed")) })
	wantValue(t, s, "user", "x/1", []byte("user x/1"))

	update(t, s, func(tx connectfed.Tx) error { return tx.Delete("instance", "x/1") })
	wantValue(t, s, "user", "x/1", []byte("user x/1"))

	seed(t, s, "instance", map[string]string{"x/1": "again", "x/2": "two"})
	var n int
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("instance", "x/"); return err })
	if n != 2 {
		t.Fatalf("DeletePrefix(instance, x/) = %d, want 2", n)
	}
	wantValue(t, s, "user", "x/1", []byte("user x/1"))
}

// --- List ----------------------------------------------------------------

func testListOrder(t *testing.T, s connectfed.Store) {
	keys := []string{
		"b", "a", "B", "A", "Z", "z", "_", "~", "0", "9", "-",
		"a/b", "a/B", "a/", "a0", "a.", "a/b/c", "a//", "ab", "a b",
		"é", "e", "f", "ß", "日本", "日", "😀", "\u00ff", "\u0100",
		"user/1", "user/10", "user/2", "user/100",
	}
	seedKeys(t, s, "doc", keys...)
	want := sorted(keys)
	wantList(t, s, "doc", "", "", 0, want)
	// Spot-check the byte order the contract promises, so a failure points
	// at the rule rather than at the whole list.
	idx := func(k string) int { return slices.Index(want, k) }
	for _, pair := range [][2]string{
		{"A", "a"},            // uppercase before lowercase
		{"Z", "a"},            // all uppercase before lowercase
		{"a/b", "a0"},         // '/' (0x2f) before '0' (0x30)
		{"a.", "a/"},          // '.' (0x2e) before '/'
		{"user/10", "user/2"}, // no numeric collation
		{"z", "é"},            // UTF-8 multi-byte after ASCII
		{"\u00ff", "\u0100"},  // code point order equals UTF-8 byte order
		{"日", "日本"},           // prefix first
	} {
		if idx(pair[0]) > idx(pair[1]) {
			t.Fatalf("byte order: %q must sort before %q", pair[0], pair[1])
		}
	}
}

func testListPrefix(t *testing.T, s connectfed.Store) {
	keys := []string{
		"a", "a/", "a/b", "a/b/c", "a/é", "a0", "a.b", "ab", "b/a", "A/x", "a/\u00ff",
		"aa/1", "a/a/1", "ba/",
	}
	seedKeys(t, s, "doc", keys...)
	seedKeys(t, s, "other", "a/zzz")

	// Spelled out once, so the rule is visible: "a/" matches neither "a0"
	// nor "a.b" nor "aa/1", and é (c3 a9) sorts before ÿ (c3 bf).
	wantList(t, s, "doc", "a/", "", 0, []string{"a/", "a/a/1", "a/b", "a/b/c", "a/é", "a/\u00ff"})

	for _, c := range []struct {
		prefix string
		n      int // how many keys match, as a check on the test itself
	}{
		{"a/b", 2},
		{"a/b/c", 1}, // prefix equal to a whole key
		{"a/b/c/", 0},
		{"a", 11},
		{"A", 1}, // case-sensitive
		{"b", 2},
		{"c", 0},
		{"a/é", 1},
		{"", len(keys)},
	} {
		want := withPrefix(keys, c.prefix)
		if len(want) != c.n {
			t.Fatalf("test bug: %d keys have prefix %q, the table says %d", len(want), c.prefix, c.n)
		}
		wantList(t, s, "doc", c.prefix, "", 0, want)
	}
}

// withPrefix returns the keys that start with prefix, in byte order: the
// reference answer for List.
func withPrefix(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return sorted(out)
}

// without returns the keys that start with none of prefixes, in byte order.
func without(keys []string, prefixes ...string) []string {
	var out []string
next:
	for _, k := range keys {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				continue next
			}
		}
		out = append(out, k)
	}
	return sorted(out)
}

func testListPrefixLiteral(t *testing.T, s connectfed.Store) {
	keys := []string{
		"50%", "50%/x", "500", "50x", "50",
		"a_b", "a_b/1", "axb", "a%b",
		`a\`, `a\b`, `a\\b`, `ab`, `a\%`,
		"x*", "x*y", "xy", "x?", "xz", "x[1]", "x1", "x]",
		"'", "''", "'x", `"`, `"x`,
	}
	seedKeys(t, s, "doc", keys...)
	cases := []struct {
		prefix string
		want   []string
	}{
		{"50%", []string{"50%", "50%/x"}},            // % is not a wildcard
		{"a_", []string{"a_b", "a_b/1"}},             // _ is not a wildcard
		{`a\`, []string{`a\`, `a\%`, `a\\b`, `a\b`}}, // \ is not an escape
		{`a\%`, []string{`a\%`}},
		{`a\\`, []string{`a\\b`}},
		{"a%", []string{"a%b"}},
		{"x*", []string{"x*", "x*y"}}, // GLOB metacharacters too
		{"x?", []string{"x?"}},
		{"x[", []string{"x[1]"}},
		{"'", []string{"'", "''", "'x"}},
		{`"`, []string{`"`, `"x`}},
	}
	for _, c := range cases {
		wantList(t, s, "doc", c.prefix, "", 0, c.want)
	}

	// DeletePrefix must be literal as well.
	var n int
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("doc", "a_"); return err })
	if n != 2 {
		t.Fatalf(`DeletePrefix(doc, "a_") = %d, want 2 ("a_b", "a_b/1"); "axb" must survive`, n)
	}
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("doc", "50%"); return err })
	if n != 2 {
		t.Fatalf(`DeletePrefix(doc, "50%%") = %d, want 2 ("50%%", "50%%/x")`, n)
	}
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("doc", `a\`); return err })
	if n != 4 {
		t.Fatalf(`DeletePrefix(doc, "a\\") = %d, want 4`, n)
	}
	wantList(t, s, "doc", "", "", 0, without(keys, "a_", "50%", `a\`))
}

func testListAfter(t *testing.T, s connectfed.Store) {
	keys := []string{"k01", "k02", "k03", "k04", "k05", "p/a", "p/b", "p/c"}
	seedKeys(t, s, "doc", keys...)
	cases := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"", "k03", 0, []string{"k04", "k05", "p/a", "p/b", "p/c"}},  // exclusive
		{"", "k03a", 0, []string{"k04", "k05", "p/a", "p/b", "p/c"}}, // a cursor that is not a key
		{"", "k", 0, keys},
		{"", "p/c", 0, nil}, // after the last key
		{"", "zzz", 0, nil},
		{"", "k03", 2, []string{"k04", "k05"}},
		{"p/", "p/a", 0, []string{"p/b", "p/c"}},
		{"p/", "k05", 0, []string{"p/a", "p/b", "p/c"}}, // cursor before the prefix range
		{"p/", "p/", 0, []string{"p/a", "p/b", "p/c"}},  // cursor equal to the prefix
		{"p/", "q", 0, nil},                             // cursor past the prefix range
		{"k", "k04", 0, []string{"k05"}},
	}
	for _, c := range cases {
		wantList(t, s, "doc", c.prefix, c.after, c.limit, c.want)
	}
}

func testListLimit(t *testing.T, s connectfed.Store) {
	keys := []string{"a", "b", "c", "d", "e"}
	seedKeys(t, s, "doc", keys...)
	for _, c := range []struct {
		limit int
		want  []string
	}{
		{1, keys[:1]},
		{3, keys[:3]},
		{5, keys},
		{6, keys},
		{1000, keys},
		{0, keys},  // limit 0 means no limit
		{-1, keys}, // so does any negative limit
		{-100, keys},
	} {
		wantList(t, s, "doc", "", "", c.limit, c.want)
	}
	wantList(t, s, "doc", "", "b", 2, []string{"c", "d"})
	wantList(t, s, "doc", "", "d", 5, []string{"e"})
}

func testListPagination(t *testing.T, s connectfed.Store) {
	const n, pageSize = 250, 7
	var want []string
	kv := map[string]string{}
	for i := range n {
		k := fmt.Sprintf("p/%d", i) // decimal, so byte order is not numeric order
		want = append(want, k)
		kv[k] = k
	}
	// Neighbours that the prefix must exclude.
	for _, k := range []string{"p", "p.", "p0", "o/999", "q/0"} {
		kv[k] = k
	}
	seed(t, s, "doc", kv)
	want = sorted(want)

	var got []string
	after := ""
	pages := 0
	for {
		page := list(t, s, "doc", "p/", after, pageSize) // each page in its own View, as a client would
		pages++
		if len(page) > pageSize {
			t.Fatalf("page %d has %d entries, more than limit %d", pages, len(page), pageSize)
		}
		for _, e := range page {
			if string(e.Value) != e.Key {
				t.Fatalf("page %d: entry %q has value %s, want %q", pages, e.Key, short(e.Value), e.Key)
			}
			got = append(got, e.Key)
		}
		if len(page) < pageSize {
			break
		}
		after = page[len(page)-1].Key
		if pages > n {
			t.Fatalf("pagination did not terminate after %d pages", pages)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("walking prefix %q with limit %d returned %d keys, want each of the %d exactly once in byte order:\n got %q\nwant %q", "p/", pageSize, len(got), n, got, want)
	}
	if wantPages := n/pageSize + 1; pages != wantPages {
		t.Fatalf("pagination took %d pages, want %d", pages, wantPages)
	}
}

// --- DeletePrefix --------------------------------------------------------

func testDeletePrefix(t *testing.T, s connectfed.Store) {
	keys := []string{"a", "a/", "a/1", "a/2", "a/2/x", "a0", "a.", "ab", "b/1"}
	seedKeys(t, s, "doc", keys...)
	seedKeys(t, s, "other", "a/1", "a/9")

	var n int
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("doc", "a/"); return err })
	if n != 4 {
		t.Fatalf(`DeletePrefix(doc, "a/") = %d, want 4 ("a/", "a/1", "a/2", "a/2/x")`, n)
	}
	wantList(t, s, "doc", "", "", 0, []string{"a", "a.", "a0", "ab", "b/1"})
	wantList(t, s, "other", "", "", 0, []string{"a/1", "a/9"})

	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("doc", "zzz"); return err })
	if n != 0 {
		t.Fatalf(`DeletePrefix of a prefix nothing matches = %d, want 0`, n)
	}
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("doc", "a"); return err })
	if n != 4 {
		t.Fatalf(`DeletePrefix(doc, "a") = %d, want 4`, n)
	}
	wantList(t, s, "doc", "", "", 0, []string{"b/1"})
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("doc", "b/1"); return err })
	if n != 1 {
		t.Fatalf(`DeletePrefix with the whole key as prefix = %d, want 1`, n)
	}
	wantList(t, s, "doc", "", "", 0, nil)
}

func testDeletePrefixEmpty(t *testing.T, s connectfed.Store) {
	seedKeys(t, s, "doc", "a", "b")
	before := snapshot(t, s, "doc")
	var n int
	var derr error
	update(t, s, func(tx connectfed.Tx) error {
		n, derr = tx.DeletePrefix("doc", "")
		return nil
	})
	if derr == nil {
		t.Fatalf("DeletePrefix(doc, \"\") = %d, nil; want an EINVALID error", n)
	}
	if code := connectfed.ErrorCode(derr); code != connectfed.EINVALID {
		t.Fatalf("DeletePrefix(doc, \"\"): error %v has code %q, want %q", derr, code, connectfed.EINVALID)
	}
	if n != 0 {
		t.Fatalf("DeletePrefix(doc, \"\") returned count %d with its error, want 0", n)
	}
	wantSnapshot(t, s, "doc", before, "after a refused DeletePrefix(\"\")")
}

// --- transactions --------------------------------------------------------

func testUpdateRollback(t *testing.T, s connectfed.Store) {
	seed(t, s, "doc", map[string]string{"keep": "v1", "gone": "v2", "p/1": "p1", "p/2": "p2", "q": "q"})
	before := snapshot(t, s, "doc")

	err := s.Update(t.Context(), func(tx connectfed.Tx) error {
		steps := []struct {
			what string
			err  error
		}{
			{"Create", tx.Create("doc", "new", []byte("n"))},
			{"Put", tx.Put("doc", "keep", []byte("changed"))},
			{"Delete", tx.Delete("doc", "gone")},
		}
		n, err := tx.DeletePrefix("doc", "p/")
		steps = append(steps, struct {
			what string
			err  error
		}{"DeletePrefix", err})
		for _, st := range steps {
			if st.err != nil {
				t.Errorf("%s inside Update: %v", st.what, st.err)
			}
		}
		if n != 2 {
			t.Errorf("DeletePrefix(p/) inside Update = %d, want 2", n)
		}
		return errSentinel
	})
	wantIs(t, "Update whose fn failed", err, errSentinel)
	wantSnapshot(t, s, "doc", before, "after an Update whose fn returned an error")

	// A second kind written in the failed transaction is rolled back too.
	err = s.Update(t.Context(), func(tx connectfed.Tx) error {
		if err := tx.Create("other", "x", []byte("x")); err != nil {
			return err
		}
		return errSentinel
	})
	wantIs(t, "Update whose fn failed", err, errSentinel)
	wantMissing(t, s, "other", "x")
}

// A failed Create/Put/Delete is an answer, not a broken transaction: fn may
// handle it and go on, and what it writes afterwards commits. (PostgreSQL
// aborts the whole transaction on a failed statement unless the backend
// guards each one.)
func testUpdateContinuesAfterError(t *testing.T, s connectfed.Store) {
	seed(t, s, "doc", map[string]string{"taken": "original"})
	update(t, s, func(tx connectfed.Tx) error {
		if err := tx.Create("doc", "taken", []byte("x")); !errors.Is(err, connectfed.ErrExists) {
			return fmt.Errorf("Create of existing key: %v, want ErrExists", err)
		}
		if err := tx.Put("doc", "missing", []byte("x")); !errors.Is(err, connectfed.ErrNotFound) {
			return fmt.Errorf("Put of missing key: %v, want ErrNotFound", err)
		}
		if err := tx.Delete("doc", "missing"); !errors.Is(err, connectfed.ErrNotFound) {
			return fmt.Errorf("Delete of missing key: %v, want ErrNotFound", err)
		}
		if _, err := tx.Get("doc", "missing"); !errors.Is(err, connectfed.ErrNotFound) {
			return fmt.Errorf("Get of missing key: %v, want ErrNotFound", err)
		}
		if _, err := tx.DeletePrefix("doc", ""); err == nil {
			return errors.New("DeletePrefix(\"\") succeeded, want EINVALID")
		}
		// The transaction must still be usable.
		if err := tx.Create("doc", "after", []byte("a")); err != nil {
			return fmt.Errorf("Create after handled errors: %w", err)
		}
		if err := tx.Put("doc", "taken", []byte("updated")); err != nil {
			return fmt.Errorf("Put after handled errors: %w", err)
		}
		return nil
	})
	wantValue(t, s, "doc", "after", []byte("a"))
	wantValue(t, s, "doc", "taken", []byte("updated"))
}

func testUpdateReadsOwnWrites(t *testing.T, s connectfed.Store) {
	seedKeys(t, s, "doc", "old/1", "old/2", "p/1", "p/2")
	update(t, s, func(tx connectfed.Tx) error {
		if err := tx.Create("doc", "new/1", []byte("n1")); err != nil {
			return err
		}
		if v, err := tx.Get("doc", "new/1"); err != nil || string(v) != "n1" {
			t.Errorf("Get after Create in the same Update = %s, %v; want \"n1\"", short(v), err)
		}
		if err := tx.Put("doc", "old/1", []byte("changed")); err != nil {
			return err
		}
		if v, err := tx.Get("doc", "old/1"); err != nil || string(v) != "changed" {
			t.Errorf("Get after Put in the same Update = %s, %v; want \"changed\"", short(v), err)
		}
		if err := tx.Delete("doc", "old/2"); err != nil {
			return err
		}
		if v, err := tx.Get("doc", "old/2"); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("Get after Delete in the same Update = %s, %v; want ErrNotFound", short(v), err)
		}
		if err := tx.Create("doc", "old/2", []byte("again")); err != nil {
			t.Errorf("Create after Delete in the same Update: %v, want nil", err)
		}
		if err := tx.Create("doc", "new/1", []byte("dup")); !errors.Is(err, connectfed.ErrExists) {
			t.Errorf("second Create of a key created in the same Update: %v, want ErrExists", err)
		}
		es, err := tx.List("doc", "", "", 0)
		if err != nil {
			return err
		}
		want := []string{"new/1", "old/1", "old/2", "p/1", "p/2"}
		if got := keysOf(es); !slices.Equal(got, want) {
			t.Errorf("List inside Update = %q, want %q", got, want)
		}
		n, err := tx.DeletePrefix("doc", "p/")
		if err != nil || n != 2 {
			t.Errorf("DeletePrefix(p/) = %d, %v; want 2, nil", n, err)
		}
		es, err = tx.List("doc", "p/", "", 0)
		if err != nil {
			return err
		}
		if len(es) != 0 {
			t.Errorf("List(p/) after DeletePrefix in the same Update = %q, want none", keysOf(es))
		}
		return nil
	})
	wantSnapshot(t, s, "doc", map[string]string{"new/1": "n1", "old/1": "changed", "old/2": "again"}, "after the Update committed")
}

func testViewReturnsFnError(t *testing.T, s connectfed.Store) {
	err := s.View(t.Context(), func(tx connectfed.Tx) error { return errSentinel })
	wantIs(t, "View whose fn failed", err, errSentinel)
	err = s.View(t.Context(), func(tx connectfed.Tx) error {
		_, err := tx.Get("doc", "missing")
		return err
	})
	wantIs(t, "View returning Get's error", err, connectfed.ErrNotFound)
}

func testViewRejectsWrites(t *testing.T, s connectfed.Store) {
	seed(t, s, "doc", map[string]string{"a": "a", "p/1": "p1", "p/2": "p2"})
	before := snapshot(t, s, "doc")
	_ = s.View(t.Context(), func(tx connectfed.Tx) error {
		if err := tx.Create("doc", "new", []byte("x")); err == nil {
			t.Error("Create inside View succeeded, want an error")
		}
		if err := tx.Put("doc", "a", []byte("x")); err == nil {
			t.Error("Put inside View succeeded, want an error")
		}
		if err := tx.Delete("doc", "a"); err == nil {
			t.Error("Delete inside View succeeded, want an error")
		}
		if n, err := tx.DeletePrefix("doc", "p/"); err == nil {
			t.Errorf("DeletePrefix inside View = %d, nil; want an error", n)
		}
		// Reads inside the View still see nothing changed.
		if v, err := tx.Get("doc", "a"); err != nil || string(v) != "a" {
			t.Errorf("Get inside View after refused writes = %s, %v; want \"a\"", short(v), err)
		}
		if _, err := tx.Get("doc", "new"); !errors.Is(err, connectfed.ErrNotFound) {
			t.Errorf("Get of a key Created inside View: %v, want ErrNotFound", err)
		}
		return nil // even when fn ignores the errors, nothing may be kept
	})
	wantSnapshot(t, s, "doc", before, "after writes inside View")
}

// A View sees one snapshot: an Update that commits while the View is open
// is invisible to it. A backend may instead make the Update wait for the
// View; the test allows that too.
func testViewSnapshot(t *testing.T, s connectfed.Store) {
	seed(t, s, "doc", map[string]string{"a": "1", "b": "1"})
	updateDone := make(chan error, 1)
	var updateErr error
	committed := false
	view(t, s, func(tx connectfed.Tx) error {
		a1, err := tx.Get("doc", "a") // the snapshot is taken by now
		if err != nil {
			return err
		}
		go func() {
			updateDone <- s.Update(context.Background(), func(tx connectfed.Tx) error {
				if err := tx.Put("doc", "a", []byte("2")); err != nil {
					return err
				}
				if err := tx.Put("doc", "b", []byte("2")); err != nil {
					return err
				}
				return tx.Create("doc", "c", []byte("2"))
			})
		}()
		select {
		case updateErr = <-updateDone:
			committed = true
		case <-time.After(2 * time.Second): // the backend makes Updates wait for Views
		}
		a2, err := tx.Get("doc", "a")
		if err != nil {
			return err
		}
		b, err := tx.Get("doc", "b")
		if err != nil {
			return err
		}
		es, err := tx.List("doc", "", "", 0)
		if err != nil {
			return err
		}
		if string(a1) != "1" || string(a2) != "1" || string(b) != "1" || len(es) != 2 {
			t.Errorf("View saw a=%s, then a=%s, b=%s, keys %q (a concurrent Update committed meanwhile: %v); want a=1, a=1, b=1, keys [a b]",
				a1, a2, b, keysOf(es), committed)
		}
		return nil
	})
	if !committed {
		updateErr = <-updateDone
	}
	if updateErr != nil {
		t.Fatalf("concurrent Update: %v", updateErr)
	}
	wantSnapshot(t, s, "doc", map[string]string{"a": "2", "b": "2", "c": "2"}, "after the concurrent Update")
}

// --- concurrency ---------------------------------------------------------

func testConcurrentIncrements(t *testing.T, s connectfed.Store) {
	const workers, each = 20, 25
	seed(t, s, "counter", map[string]string{"n": "0"})
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := range each {
				err := s.Update(context.Background(), func(tx connectfed.Tx) error {
					v, err := tx.Get("counter", "n")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return fmt.Errorf("counter holds %q: %w", v, err)
					}
					return tx.Put("counter", "n", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Errorf("worker %d increment %d: %v", w, i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	wantValue(t, s, "counter", "n", []byte(strconv.Itoa(workers*each)))
}

func testConcurrentCreate(t *testing.T, s connectfed.Store) {
	const racers = 10
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = s.Update(context.Background(), func(tx connectfed.Tx) error {
				return tx.Create("doc", "contested", []byte(strconv.Itoa(i)))
			})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("racers %d and %d both created the same key; want exactly one nil", winner, i)
			}
			winner = i
		case !errors.Is(err, connectfed.ErrExists):
			t.Errorf("racer %d: error %v, want nil or ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no racer created the key; errors %v", errs)
	}
	wantValue(t, s, "doc", "contested", []byte(strconv.Itoa(winner)))
}

// Two Updates each read A and B and set their own key to 1 only if both are
// 0. Under snapshot isolation both can see 0,0 and both write; serializable
// execution lets at most one do so.
func testWriteSkew(t *testing.T, s connectfed.Store) {
	const rounds = 10
	seed(t, s, "skew", map[string]string{"A": "0", "B": "0"})
	for round := range rounds {
		update(t, s, func(tx connectfed.Tx) error {
			if err := tx.Put("skew", "A", []byte("0")); err != nil {
				return err
			}
			return tx.Put("skew", "B", []byte("0"))
		})
		var arrived atomic.Int32
		txn := func(mine string) func(connectfed.Tx) error {
			return func(tx connectfed.Tx) error {
				a, err := tx.Get("skew", "A")
				if err != nil {
					return err
				}
				b, err := tx.Get("skew", "B")
				if err != nil {
					return err
				}
				// Give the other transaction a moment to read as well, so a
				// backend without serializability is caught; one that
				// serializes Updates just waits the moment out.
				arrived.Add(1)
				for deadline := time.Now().Add(30 * time.Millisecond); arrived.Load() < 2 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				if string(a) == "0" && string(b) == "0" {
					return tx.Put("skew", mine, []byte("1"))
				}
				return nil
			}
		}
		start := make(chan struct{})
		var errA, errB error
		var wg sync.WaitGroup
		wg.Go(func() { <-start; errA = s.Update(context.Background(), txn("A")) })
		wg.Go(func() { <-start; errB = s.Update(context.Background(), txn("B")) })
		close(start)
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("round %d: Updates returned %v and %v; want both nil (a backend retries its own serialization conflicts)", round, errA, errB)
		}
		got := snapshot(t, s, "skew")
		if got["A"] == "1" && got["B"] == "1" {
			t.Fatalf("round %d: write skew: both Updates saw A=B=0 and both wrote, ending with A=1 and B=1; want exactly one of them 1", round)
		}
		if got["A"] != "1" && got["B"] != "1" {
			t.Fatalf("round %d: neither Update wrote (A=%s, B=%s); want exactly one of them 1", round, got["A"], got["B"])
		}
	}
}

// --- context -------------------------------------------------------------

// testHealthAndClose: Health answers nil on a working store and an error
// for a cancelled context; after Close, Health, View and Update all fail with
// ErrUnavailable (the suite's factory may Close again in its cleanup).
func testHealthAndClose(t *testing.T, s connectfed.Store) {
	if err := s.Health(t.Context()); err != nil {
		t.Fatalf("Health on an empty store = %v, want nil", err)
	}
	update(t, s, func(tx connectfed.Tx) error { return tx.Create("doc", "k", []byte("v")) })
	if err := s.Health(t.Context()); err != nil {
		t.Fatalf("Health on a store with data = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Health(ctx); err == nil {
		t.Fatal("Health with a cancelled context = nil, want an error")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for name, err := range map[string]error{
		"Health": s.Health(t.Context()),
		"View":   s.View(t.Context(), func(connectfed.Tx) error { return nil }),
		"Update": s.Update(t.Context(), func(connectfed.Tx) error { return nil }),
	} {
		if !errors.Is(err, connectfed.ErrUnavailable) {
			t.Errorf("%s after Close = %v, want an error matching ErrUnavailable", name, err)
		}
	}
}

func testCancelledContext(t *testing.T, s connectfed.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(ctx, func(tx connectfed.Tx) error {
		return tx.Create("doc", "k", []byte("v"))
	})
	if err == nil {
		t.Fatal("Update with a cancelled context returned nil, want an error")
	}
	wantMissing(t, s, "doc", "k")

	called := false
	err = s.View(ctx, func(tx connectfed.Tx) error { called = true; return nil })
	if err == nil {
		t.Fatalf("View with a cancelled context returned nil (fn called: %v), want an error", called)
	}
	// The store still works afterwards.
	update(t, s, func(tx connectfed.Tx) error { return tx.Create("doc", "k", []byte("v")) })
	wantValue(t, s, "doc", "k", []byte("v"))
}

// If the context ends while fn runs, Update may fail or succeed, but its
// answer must match what is stored: nil means kept, an error means not kept.
func testCancelDuringUpdate(t *testing.T, s connectfed.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	err := s.Update(ctx, func(tx connectfed.Tx) error {
		if err := tx.Create("doc", "k", []byte("v")); err != nil {
			return err
		}
		cancel()
		return nil
	})
	got, gerr := get(t, s, "doc", "k")
	switch {
	case err == nil && gerr != nil:
		t.Fatalf("Update returned nil but the write is missing (Get: %v)", gerr)
	case err != nil && !errors.Is(gerr, connectfed.ErrNotFound):
		t.Fatalf("Update returned %v but the write was kept (Get = %s, %v); want all or nothing", err, short(got), gerr)
	}
	t.Logf("cancel during fn: Update returned %v", err)
}

// --- values and keys kept verbatim ---------------------------------------

func testTimeValuesVerbatim(t *testing.T, s connectfed.Store) {
	type doc struct {
		Name    string    `json:"name"`
		Created time.Time `json:"created"`
		Expires time.Time `json:"expires"`
	}
	base := time.Date(2031, 7, 9, 23, 59, 58, 123456789, time.UTC)
	docs := map[string]doc{
		"utc":      {Name: "utc", Created: base, Expires: base.Add(time.Nanosecond)},
		"east":     {Name: "east", Created: base.In(time.FixedZone("IST", 5*3600+30*60)), Expires: base.Add(999999999)},
		"west":     {Name: "west", Created: base.In(time.FixedZone("", -(9*3600 + 45*60))), Expires: base},
		"old":      {Name: "old", Created: time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC), Expires: time.Time{}},
		"trailing": {Name: "trailing zeros", Created: time.Date(2024, 2, 29, 12, 0, 0, 100, time.UTC), Expires: time.Date(2024, 2, 29, 12, 0, 0, 120000000, time.FixedZone("", 3600))},
	}
	raw := map[string][]byte{}
	for k, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		raw[k] = b
	}
	update(t, s, func(tx connectfed.Tx) error {
		for k, b := range raw {
			if err := tx.Create("token", k, b); err != nil {
				return err
			}
		}
		return nil
	})
	for k, b := range raw {
		got, err := get(t, s, "token", k)
		if err != nil {
			t.Fatalf("Get(token, %q): %v", k, err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("Get(token, %q) = %s, want the identical bytes %s", k, got, b)
		}
		var d doc
		if err := json.Unmarshal(got, &d); err != nil {
			t.Fatalf("unmarshal %s: %v", got, err)
		}
		want := docs[k]
		_, gotOff := d.Created.Zone()
		_, wantOff := want.Created.Zone()
		if !d.Created.Equal(want.Created) || gotOff != wantOff || d.Created.Nanosecond() != want.Created.Nanosecond() || !d.Expires.Equal(want.Expires) {
			t.Fatalf("time in %q came back as %v / %v, want %v / %v", k, d.Created, d.Expires, want.Created, want.Expires)
		}
	}
}

func testKeys(t *testing.T, s connectfed.Store) {
	long := strings.Repeat("k", 1000) + "/" + strings.Repeat("z", 23) // 1024 bytes
	if len(long) != 1024 {
		t.Fatalf("test bug: long key is %d bytes", len(long))
	}
	longUnicode := strings.Repeat("é", 512) // 1024 bytes of 2-byte runes
	keys := []string{
		long,
		longUnicode,
		"it's",
		`say "hi"`,
		"back`tick",
		"'; DROP TABLE records; --",
		"'; DROP TABLE x; --",
		`" OR "1"="1`,
		"' OR '1'='1",
		"1; DELETE FROM records",
		"a\\'b",
		"with space",
		" leading and trailing ",
		"tab\there",
		"new\nline",
		"cr\rlf",
		"\x01\x02\x1f control",
		"\x7f",
		"emoji 😀",
		"arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob",
		"%",
		"_",
		"?",
		"$1",
		":name",
		"@p1",
		"123",
		"-1.5e10",
		"NULL",
		"null",
		"true",
	}
	kinds := []string{"user", "it's", "'; DROP TABLE x; --", `"kind"`, "k_%"}
	for _, kind := range kinds {
		seedKeys(t, s, kind, keys...)
	}
	for _, kind := range kinds {
		wantList(t, s, kind, "", "", 0, sorted(keys))
		for _, k := range keys {
			wantValue(t, s, kind, k, []byte(k))
		}
		wantList(t, s, kind, long[:1000], "", 0, []string{long})
	}
	// Every method works with the awkward keys.
	for _, k := range keys {
		update(t, s, func(tx connectfed.Tx) error {
			if err := tx.Put("user", k, []byte("put "+k)); err != nil {
				return fmt.Errorf("Put(%q): %w", k, err)
			}
			return nil
		})
		wantValue(t, s, "user", k, []byte("put "+k))
		update(t, s, func(tx connectfed.Tx) error { return tx.Delete("user", k) })
		wantMissing(t, s, "user", k)
	}
	// Nothing was dropped or rewritten by an injected statement.
	for _, kind := range kinds[1:] {
		wantList(t, s, kind, "", "", 0, sorted(keys))
	}
	update(t, s, func(tx connectfed.Tx) error { return tx.Create("fresh", "k", []byte("v")) })
	wantValue(t, s, "fresh", "k", []byte("v"))
}

// Keys are byte strings: anything but NUL, including bytes that are not
// valid UTF-8, is kept and ordered by byte value.
func testKeysNonUTF8(t *testing.T, s connectfed.Store) {
	keys := []string{
		"x\x7f", "x\x80", "x\xc3", "x\xc3\xa9", "x\xfe", "x\xff", "x\xff\x01", "x\xff\xff", "x\xffz",
		"y", "x", "xz", "\xff", "\xff\xff", "\x01",
	}
	seedKeys(t, s, "bin", keys...)
	wantList(t, s, "bin", "", "", 0, sorted(keys))
	for _, k := range keys {
		wantValue(t, s, "bin", k, []byte(k))
	}
	// A prefix ending in 0xFF has no simple successor string; one ending
	// inside a UTF-8 sequence must still match byte-wise.
	for _, p := range []string{"x\xff", "\xff", "\xff\xff", "x\xc3", "x\xfe", "x\x7f", "x"} {
		wantList(t, s, "bin", p, "", 0, withPrefix(keys, p))
	}
	wantList(t, s, "bin", "x\xff", "x\xff\x01", 1, []string{"x\xffz"}) // 'z' (0x7a) sorts before 0xff
	wantList(t, s, "bin", "x\xff", "x\xffz", 0, []string{"x\xff\xff"})
	var n int
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("bin", "x\xff"); return err })
	if n != 4 {
		t.Fatalf(`DeletePrefix(bin, "x\xff") = %d, want 4`, n)
	}
	update(t, s, func(tx connectfed.Tx) (err error) { n, err = tx.DeletePrefix("bin", "\xff"); return err })
	if n != 2 {
		t.Fatalf(`DeletePrefix(bin, "\xff") = %d, want 2`, n)
	}
	wantList(t, s, "bin", "", "", 0, without(keys, "x\xff", "\xff"))
}

// testExpiry: entries created with an expiry are deleted by
// GarbageCollect once it has passed, with their index entries, in as many
// transactions as it takes; others stay; a rolled-back create leaves no
// index entry.
func testExpiry(t *testing.T, s connectfed.Store) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	update(t, s, func(tx connectfed.Tx) error {
		for _, e := range []struct {
			kind, key string
			at        time.Time
		}{
			{"doc", "a", past}, {"doc", "b", future}, {"other", "d", past}, {"doc", "e", past},
			{"doc", "f/with/slashes", now}, {"doc", "g", time.Unix(0, 0)},
		} {
			if err := connectfed.CreateExpiring(tx, e.kind, e.key, []byte(e.key), e.at); err != nil {
				return err
			}
		}
		if err := tx.Create("doc", "c", []byte("c")); err != nil {
			return err
		}
		return tx.Delete("doc", "e") // its owner deleted it first
	})
	wantIs(t, "rolled-back CreateExpiring", s.Update(ctx, func(tx connectfed.Tx) error {
		if err := connectfed.CreateExpiring(tx, "doc", "h", []byte("h"), past); err != nil {
			return err
		}
		return errSentinel
	}), errSentinel)
	if n := len(allKeys(t, s, connectfed.KindExpiry)); n != 6 {
		t.Errorf("expiry index has %d entries, want 6", n)
	}
	n, err := connectfed.GarbageCollect(ctx, s, now)
	if err != nil || n != 4 {
		t.Fatalf("GarbageCollect = %d, %v; want 4 (a, d, f, g), nil", n, err)
	}
	wantSnapshot(t, s, "doc", map[string]string{"b": "b", "c": "c"}, "after GarbageCollect")
	wantSnapshot(t, s, "other", map[string]string{}, "after GarbageCollect")
	if keys := allKeys(t, s, connectfed.KindExpiry); len(keys) != 1 || !strings.HasSuffix(keys[0], "/doc/b") {
		t.Errorf("expiry index after GarbageCollect: %q, want b's entry only", keys)
	}
	if n, err := connectfed.GarbageCollect(ctx, s, now); n != 0 || err != nil {
		t.Errorf("second GarbageCollect = %d, %v; want 0, nil", n, err)
	}

	// More than one transaction's worth.
	const many = 700
	update(t, s, func(tx connectfed.Tx) error {
		for i := 0; i < many; i++ {
			if err := connectfed.CreateExpiring(tx, "bulk", fmt.Sprintf("k%04d", i), []byte("v"), past.Add(-time.Duration(i)*time.Millisecond)); err != nil {
				return err
			}
		}
		return nil
	})
	if n, err := connectfed.GarbageCollect(ctx, s, now); n != many || err != nil {
		t.Errorf("GarbageCollect of %d = %d, %v", many, n, err)
	}
	if keys := allKeys(t, s, "bulk"); len(keys) != 0 {
		t.Errorf("%d bulk entries left", len(keys))
	}
	if n, err := connectfed.GarbageCollect(ctx, s, future); n != 1 || err != nil {
		t.Errorf("GarbageCollect after b's expiry = %d, %v; want 1", n, err)
	}
	wantSnapshot(t, s, "doc", map[string]string{"c": "c"}, "after b's expiry")

	// An entry given a later lifetime in place outlives its first expiry.
	update(t, s, func(tx connectfed.Tx) error {
		if err := connectfed.CreateExpiring(tx, "doc", "r", []byte("1"), past); err != nil {
			return err
		}
		if err := tx.Put("doc", "r", []byte("2")); err != nil {
			return err
		}
		return connectfed.Reexpire(tx, "doc", "r", past, future)
	})
	if n, err := connectfed.GarbageCollect(ctx, s, now); n != 0 || err != nil {
		t.Errorf("GarbageCollect of a re-expired entry before its new expiry = %d, %v; want 0", n, err)
	}
	wantValue(t, s, "doc", "r", []byte("2"))
	if n, err := connectfed.GarbageCollect(ctx, s, future); n != 1 || err != nil {
		t.Errorf("GarbageCollect at its new expiry = %d, %v; want 1", n, err)
	}
	wantSnapshot(t, s, "doc", map[string]string{"c": "c"}, "after r's new expiry")
	if keys := allKeys(t, s, connectfed.KindExpiry); len(keys) != 0 {
		t.Errorf("expiry index not empty: %q", keys)
	}
}
