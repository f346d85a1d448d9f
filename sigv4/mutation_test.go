package sigv4_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/sigv4"
)

// isAlnum reports ASCII letters and digits.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// bump changes an ASCII letter or digit into a different one of the same
// class that also differs ignoring case.
func bump(c byte) byte {
	switch {
	case c == 'z':
		return 'a'
	case c == 'Z':
		return 'A'
	case c == '9':
		return '0'
	default:
		return c + 1
	}
}

// alnumPositions lists the letters and digits of s that are not part of a
// %XX escape.
func alnumPositions(s string) []int {
	var out []int
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			i += 2
			continue
		}
		if isAlnum(s[i]) {
			out = append(out, i)
		}
	}
	return out
}

func mutateAt(s string, i int) string { return s[:i] + string(bump(s[i])) + s[i+1:] }

// mutateSomewhere bumps one random letter or digit of s (outside escapes),
// starting the search at offset from. It returns false if there is none.
func mutateSomewhere(rng *rand.Rand, s string, from int) (string, bool) {
	pos := alnumPositions(s[from:])
	if len(pos) == 0 {
		return s, false
	}
	return mutateAt(s, from+pos[rng.IntN(len(pos))]), true
}

type mutation struct {
	name string
	w    wireReq
	want sigv4.Kind // 0: must still verify
	msg  string     // if set, the exact message
}

// queryPair finds the pair named key in the query of the request target and
// returns the byte range of its value within the target.
func queryPair(target, key string) (start, end int, ok bool) {
	q := strings.IndexByte(target, '?')
	if q < 0 {
		return 0, 0, false
	}
	off := q + 1
	for _, pair := range strings.Split(target[q+1:], "&") {
		k, _, _ := strings.Cut(pair, "=")
		if k == key {
			vs := off + len(k) + 1
			return vs, off + len(pair), vs <= off+len(pair)
		}
		off += len(pair) + 1
	}
	return 0, 0, false
}

func headerValue(h string) (name, value string, valueAt int) {
	name, value, _ = strings.Cut(h, ":")
	return name, value, len(name) + 1
}

// mutations builds one-change variants of a signed request and the Kind each
// must fail with.
func mutations(rng *rand.Rand, c genCase, base wireReq) []mutation {
	var ms []mutation
	add := func(name string, want sigv4.Kind, edit func(w *wireReq) bool) {
		w := base.clone()
		if edit(&w) {
			ms = append(ms, mutation{name: name, w: w, want: want})
		}
	}
	mismatch := sigv4.KindSignatureMismatch
	target := base.target()
	path, _, _ := strings.Cut(target, "?")

	add("method", mismatch, func(w *wireReq) bool { w.line = mutateAt(w.line, 0); return true })
	add("path byte", mismatch, func(w *wireReq) bool {
		p, ok := mutateSomewhere(rng, path, 0)
		w.setTarget(p + target[len(path):])
		return ok
	})
	add("path escape case", mismatch, func(w *wireReq) bool {
		for i := 0; i+2 < len(path); i++ {
			if path[i] == '%' && ('A' <= path[i+2] && path[i+2] <= 'F') {
				w.setTarget(path[:i+2] + strings.ToLower(path[i+2:i+3]) + target[i+3:])
				return true
			}
		}
		return false
	})
	// botocore (and the JS and Java SDKs) sign the path with empty and dot
	// segments removed, so the verifier also accepts that form: a path that
	// only differs by such segments is, by design, equivalent.
	normal := !strings.Contains(path, "//") && !strings.Contains(path+"/", "/./") && !strings.Contains(path+"/", "/../")
	if normal {
		add("path empty segment (normalizes to the signed path)", 0, func(w *wireReq) bool { w.setTarget("/" + target); return true })
		add("path dot segment (normalizes to the signed path)", 0, func(w *wireReq) bool { w.setTarget("/." + target); return true })
	} else {
		add("path empty segment", mismatch, func(w *wireReq) bool { w.setTarget("/" + target); return true })
	}
	add("path segment inserted", mismatch, func(w *wireReq) bool { w.setTarget("/x" + target); return true })

	// Ordinary query parameters (for presigned requests the X-Amz-* ones are
	// handled below).
	if q := strings.IndexByte(target, '?'); q >= 0 {
		var plain []int
		off := q + 1
		for _, pair := range strings.Split(target[q+1:], "&") {
			if !strings.HasPrefix(pair, "X-Amz-") {
				for _, p := range alnumPositions(pair) {
					plain = append(plain, off+p)
				}
			}
			off += len(pair) + 1
		}
		if len(plain) > 0 {
			i := plain[rng.IntN(len(plain))]
			add("query byte", mismatch, func(w *wireReq) bool { w.setTarget(mutateAt(target, i)); return true })
		}
		for i := q; i+2 < len(target); i++ {
			if target[i] == '%' && 'A' <= target[i+2] && target[i+2] <= 'F' {
				// %2F and %2f decode to the same byte: still valid.
				add("query escape case", 0, func(w *wireReq) bool {
					w.setTarget(target[:i+2] + strings.ToLower(target[i+2:i+3]) + target[i+3:])
					return true
				})
				break
			}
		}
		add("query extra pair", mismatch, func(w *wireReq) bool { w.setTarget(target + "&zz=1"); return true })
	} else {
		add("query added", mismatch, func(w *wireReq) bool { w.setTarget(target + "?zz=1"); return true })
	}

	// Signed headers.
	var signedList string
	if c.presign {
		s, e, _ := queryPair(target, "X-Amz-SignedHeaders")
		signedList = strings.ReplaceAll(target[s:e], "%3B", ";")
	} else {
		_, v, _ := headerValue(base.headers[base.header("Authorization")])
		_, rest, _ := strings.Cut(v, "SignedHeaders=")
		signedList, _, _ = strings.Cut(rest, ",")
	}
	for _, name := range strings.Split(signedList, ";") {
		i := base.header(name)
		switch name {
		case "content-length", "x-amz-content-sha256", "x-amz-security-token", "x-amz-date":
			continue // covered below
		}
		if i < 0 {
			continue
		}
		add("signed header "+name, mismatch, func(w *wireReq) bool {
			h := w.headers[i]
			_, _, at := headerValue(h)
			if m, ok := mutateSomewhere(rng, h, at); ok {
				w.headers[i] = m
			} else {
				w.headers[i] = h + "x"
			}
			return true
		})
		add("signed header removed "+name, mismatch, func(w *wireReq) bool {
			w.headers = append(w.headers[:i], w.headers[i+1:]...)
			if name == "host" {
				return false // covered by the table tests (different Kind)
			}
			return true
		})
		add("signed header whitespace "+name, 0, func(w *wireReq) bool {
			n, v, _ := headerValue(w.headers[i])
			v = strings.TrimLeft(v, " \t")
			if j := strings.IndexByte(v, ' '); j > 0 {
				v = v[:j] + "   " + v[j:] // runs of spaces collapse
			}
			w.headers[i] = n + ":  " + v + "  "
			return true
		})
	}

	// Unsigned changes must still verify.
	add("unsigned header changed", 0, func(w *wireReq) bool {
		i := w.header("User-Agent")
		if i < 0 {
			return false
		}
		w.headers[i] = "User-Agent: something-else/2.0"
		return true
	})
	add("unsigned header added", 0, func(w *wireReq) bool {
		w.headers = append(w.headers, "X-Unsigned-Extra: 1", "Accept-Encoding: gzip")
		return true
	})
	add("http/1.0", 0, func(w *wireReq) bool { w.line = strings.Replace(w.line, "HTTP/1.1", "HTTP/1.0", 1); return true })

	// Body.
	if len(base.body) > 0 {
		want := mismatch
		if c.payload == "UNSIGNED-PAYLOAD" {
			want = 0
		}
		add("body byte", want, func(w *wireReq) bool { w.body[rng.IntN(len(w.body))] ^= 0x20; return true })
	}
	if i := base.header("X-Amz-Content-Sha256"); i >= 0 {
		add("content sha256", mismatch, func(w *wireReq) bool {
			if c.payload == "UNSIGNED-PAYLOAD" {
				w.headers[i] = "X-Amz-Content-Sha256: " + hashHex(w.body)
			} else {
				w.headers[i] = mutateAt(w.headers[i], len(w.headers[i])-1)
			}
			return true
		})
	}

	// Auth parameters.
	if c.presign {
		param := func(name, key string, want sigv4.Kind, edit func(v string) string) {
			s, e, ok := queryPair(target, key)
			if !ok {
				return
			}
			add(name, want, func(w *wireReq) bool {
				w.setTarget(target[:s] + edit(target[s:e]) + target[e:])
				return true
			})
		}
		param("date", "X-Amz-Date", mismatch, func(v string) string { return mutateAt(v, 14) })
		param("region", "X-Amz-Credential", mismatch, func(v string) string {
			return strings.Replace(v, "%2F"+c.region+"%2F", "%2F"+mutateAt(c.region, 0)+"%2F", 1)
		})
		param("service", "X-Amz-Credential", mismatch, func(v string) string {
			return strings.Replace(v, "%2F"+c.service+"%2F", "%2F"+mutateAt(c.service, 1)+"%2F", 1)
		})
		param("access key", "X-Amz-Credential", sigv4.KindUnknownKey, func(v string) string { return mutateAt(v, 3) })
		param("signature", "X-Amz-Signature", mismatch, func(v string) string { return v[:10] + hexBump(v[10]) + v[11:] })
		param("signed headers list", "X-Amz-SignedHeaders", mismatch, func(v string) string {
			return strings.Replace(v, "host", "host%3Bx-unsigned-extra", 1)
		})
		param("expires", "X-Amz-Expires", mismatch, func(v string) string {
			n, _ := strconv.Atoi(v)
			return strconv.Itoa(n + 1)
		})
		param("token", "X-Amz-Security-Token", sigv4.KindInvalidToken, func(v string) string {
			s, _ := mutateSomewhere(rng, v, 0)
			return s
		})
		for _, s := range []string{"X-Amz-Target", "X-Amz-Foo"} {
			param("hoisted "+s, s, mismatch, func(v string) string { s, _ := mutateSomewhere(rng, v, 0); return s })
		}
	} else {
		ai := base.header("Authorization")
		auth := base.headers[ai]
		edit := func(name string, want sigv4.Kind, f func(a string) string) {
			add(name, want, func(w *wireReq) bool { w.headers[ai] = f(auth); return true })
		}
		if di := base.header("X-Amz-Date"); di >= 0 {
			add("date", mismatch, func(w *wireReq) bool { w.headers[di] = mutateAt(w.headers[di], len(w.headers[di])-2); return true })
		}
		edit("region", mismatch, func(a string) string { return strings.Replace(a, "/"+c.region+"/", "/"+mutateAt(c.region, 0)+"/", 1) })
		edit("service", mismatch, func(a string) string {
			return strings.Replace(a, "/"+c.service+"/", "/"+mutateAt(c.service, 1)+"/", 1)
		})
		edit("access key", sigv4.KindUnknownKey, func(a string) string {
			i := strings.Index(a, "Credential=") + len("Credential=") + 2
			return mutateAt(a, i)
		})
		edit("signature", mismatch, func(a string) string {
			i := strings.Index(a, "Signature=") + len("Signature=") + 5
			return a[:i] + hexBump(a[i]) + a[i+1:]
		})
		edit("signed headers list", mismatch, func(a string) string {
			return strings.Replace(a, ";x-amz-date", "", 1)
		})
		edit("auth spacing", 0, func(a string) string {
			return strings.Replace(strings.ReplaceAll(a, ", ", " ,\t "), "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256\t ", 1)
		})
		if ti := base.header("X-Amz-Security-Token"); ti >= 0 {
			add("token", sigv4.KindInvalidToken, func(w *wireReq) bool {
				w.headers[ti] = mutateAt(w.headers[ti], len("X-Amz-Security-Token: ")+3)
				return true
			})
			add("token removed", sigv4.KindInvalidToken, func(w *wireReq) bool {
				w.headers = append(w.headers[:ti], w.headers[ti+1:]...)
				return true
			})
		}
	}
	return ms
}

func hexBump(c byte) string {
	const digits = "0123456789abcdef"
	return string(digits[(strings.IndexByte(digits, c)+1)%16])
}

// TestMutations changes one signed part of SDK-signed requests at a time and
// checks that verification fails with the right Kind, while unsigned or
// encoding-equivalent changes still verify.
func TestMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(99, 1))
	ver := newVerifier(t0.Add(2 * time.Second))
	counts := map[string]int{}
	n := 0
	for cases := 0; cases < 60; {
		c := genRandomCase(rng)
		if cases < 30 && c.presign || cases >= 30 && !c.presign {
			continue // 30 header-signed, then 30 presigned
		}
		cases++
		raw := wire(t, c.build(t, "http://127.0.0.1:8080"))
		base := splitWire(raw)
		if r, body, err := serverSide(raw); err != nil {
			t.Fatal(err)
		} else if _, err := ver.Verify(context.Background(), r, body); err != nil {
			t.Fatalf("unmutated request fails: %v\n%q", err, raw)
		}
		for _, m := range mutations(rng, c, base) {
			r, body, err := serverSide(m.w.bytes())
			if err != nil {
				t.Fatalf("%s: mutated request does not parse: %v\n%q", m.name, err, m.w.bytes())
			}
			_, err = ver.Verify(context.Background(), r, body)
			if got := kindOf(err); got != m.want || (m.want == 0) != (err == nil) {
				t.Errorf("%s: got %v (kind %v), want kind %v\ncase: %v\noriginal: %q\nmutated:  %q", m.name, err, got, m.want, c, raw, m.w.bytes())
			}
			counts[strings.Fields(m.name)[0]]++
			n++
		}
	}
	t.Logf("%d mutations: %v", n, counts)
}
