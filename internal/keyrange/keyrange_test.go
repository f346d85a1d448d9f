package keyrange

import "testing"

func TestSuccessor(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a/", "a0", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"\xff\xff", "", false},
		{"é", "\xc3\xaa", true},
		{"a\xfe", "a\xff", true},
		{"\x00\xff", "\x01", true},
	} {
		got, ok := Successor(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Successor(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestBlob(t *testing.T) {
	if b := Blob(nil); b == nil || len(b) != 0 {
		t.Errorf("Blob(nil) = %#v, want an empty non-nil slice", b)
	}
	v := []byte("x")
	if b := Blob(v); &b[0] != &v[0] {
		t.Error("Blob copied a non-nil value")
	}
}
