package jsonenc_test

import (
	"encoding/json"
	"testing"

	"github.com/connectfed/connectfed/internal/jsonenc"
)

// AppendString must spell every string exactly as encoding/json does.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "tab\tnl\ncr\r", "\x00\x1f\b\f\x7f", "<a&b>", "https://h/connect/x/auth/sign-in?token=AbC-_",
		"ünïcode", "line\u2028sep", "bad\xffutf8", "arn:aws:connect:us-east-1:000000000000:instance/i/agent/u"} {
		want, _ := json.Marshal(s)
		if got := jsonenc.AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c<>&\x01ü\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := jsonenc.AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}
