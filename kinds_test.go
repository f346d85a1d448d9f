package connectfed

import (
	"strings"
	"testing"
)

func TestRegisterKindRefusesTakenAndInvalid(t *testing.T) {
	RegisterKind("zztestkind", "a")
	for _, c := range []struct{ kind, want string }{
		{"zztestkind", "registered by a and again by b"},
		{"", "lower-case"},
		{"Upper", "lower-case"},
		{"with/slash", "lower-case"},
		{strings.Repeat("k", 33), "lower-case"},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("RegisterKind(%q): panic %q, want one saying %q", c.kind, msg, c.want)
				}
			}()
			RegisterKind(c.kind, "b")
		}()
	}
	if Kinds()["zztestkind"] != "a" {
		t.Error("Kinds lacks a registered kind")
	}
}
