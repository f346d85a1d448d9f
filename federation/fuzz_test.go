package federation_test

import (
	"context"
	"testing"

	"github.com/connectfed/connectfed/federation"
)

// FuzzTokenDecode: no string makes token checking panic, none but a token
// the service issued verifies, and a valid token with any one byte changed
// never verifies. The key ring is the real one, sealed in SQLite.
func FuzzTokenDecode(f *testing.F) {
	ctx := context.Background()
	e := newEnv(f, "")
	fed, u := e.fed, e.user

	// Valid tokens of several shapes (user ids of every length modulo 3,
	// so that every base64 tail occurs).
	var valid []string
	issued := map[string]bool{}
	for i := 0; i < 3; i++ {
		user := *u
		user.ID += string("xyz"[:i])
		tok := fed.Issue(&user)
		valid = append(valid, tok.AccessToken, tok.RefreshToken)
	}
	for _, v := range valid {
		issued[v] = true
		if _, err := fed.Inspect(ctx, v); err != nil {
			f.Fatalf("an issued token does not verify: %v", err)
		}
	}

	f.Add("", uint16(0), byte('A'))
	f.Add("garbage", uint16(3), byte('B'))
	f.Add(valid[0][:40], uint16(0), byte('-'))
	f.Add(valid[0], uint16(1), byte('_'))
	f.Add(valid[1]+"AAAA", uint16(200), byte('='))
	f.Add("AQ"+valid[0][2:], uint16(2), byte(0))
	f.Fuzz(func(t *testing.T, s string, pos uint16, b byte) {
		// Any string: no panic, and only issued tokens verify.
		c, err := fed.Inspect(ctx, s)
		if err == nil && !issued[s] {
			t.Fatalf("a token that was never issued verifies: %q -> %+v", s, c)
		}
		for _, kind := range []byte{federation.KindAccess, federation.KindRefresh} {
			if _, err := fed.Validate(ctx, s, kind); err == nil && !issued[s] {
				t.Fatalf("a token that was never issued validates: %q", s)
			}
		}
		// A valid token with one byte changed never verifies.
		tok := []byte(valid[int(pos)%len(valid)])
		i := int(pos/uint16(len(valid))) % len(tok)
		if tok[i] == b {
			return
		}
		tok[i] = b
		if c, err := fed.Inspect(ctx, string(tok)); err == nil {
			t.Fatalf("token changed at byte %d (%q) still verifies: %+v", i, b, c)
		}
		if _, err := fed.Validate(ctx, string(tok), federation.KindAccess); err == nil {
			t.Fatalf("token changed at byte %d (%q) still validates", i, b)
		}
	})
}
