package jsonenc_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

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

// Every byte value, alone and between plain text.
func TestAppendStringEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c)}), "ab" + string([]byte{byte(c)}) + "cd"} {
			want, _ := json.Marshal(s)
			if got := jsonenc.AppendString(nil, s); string(got) != string(want) {
				t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
			}
		}
	}
}

// A token as GetFederationToken hands it out (base64url, 250 bytes).
func BenchmarkAppendString(b *testing.B) {
	tok := strings.Repeat("AbCdEfGh-_01234", 17)[:250]
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(tok)))
	for range b.N {
		buf = jsonenc.AppendString(buf[:0], tok)
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

func TestEpoch(t *testing.T) {
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{base, "1777636800"},
		{base.Add(500 * time.Millisecond), "1777636800.5"},
		{base.Add(123 * time.Millisecond), "1777636800.123"},
		{base.Add(20 * time.Millisecond), "1777636800.02"},
		{base.Add(999999 * time.Microsecond), "1777636800.999"},
	} {
		b, err := json.Marshal(jsonenc.Epoch(c.t))
		if err != nil || string(b) != c.want {
			t.Errorf("Epoch(%s) = %s, %v; want %s", c.t, b, err, c.want)
		}
		if got := string(jsonenc.AppendEpoch([]byte("x"), c.t)); got != "x"+c.want {
			t.Errorf("AppendEpoch(%s) = %s", c.t, got)
		}
	}
}
