package sigv4

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// unreserved reports the RFC 3986 unreserved bytes that SigV4 leaves as is.
var unreserved = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return
}()

// requestTarget returns the path and the query exactly as the client sent
// them on the wire.
//
// A server request carries the request-target verbatim in r.RequestURI; it is
// preferred over r.URL because r.URL.Path is decoded (a %2F would be lost)
// and because middleware (http.StripPrefix, ...) may rewrite r.URL while the
// client signed what it sent. An absolute-form target
// ("http://host/path?query") is cut after its authority. Without RequestURI
// (a request built in process) r.URL.EscapedPath() and r.URL.RawQuery are
// used, which is what the Go SDK signs and the Go client sends.
func requestTarget(r *http.Request) (path, query string) {
	if ru := r.RequestURI; ru != "" {
		if ru[0] == '/' {
			path, query, _ = strings.Cut(ru, "?")
			return path, query
		}
		if i := strings.Index(ru, "://"); i > 0 && !strings.ContainsAny(ru[:i], "/?") {
			rest := ru[i+3:]
			j := strings.IndexAny(rest, "/?")
			if j < 0 {
				return "", ""
			}
			path, query, _ = strings.Cut(rest[j:], "?")
			return path, query
		}
	}
	if r.URL == nil {
		return "", ""
	}
	return r.URL.EscapedPath(), r.URL.RawQuery
}

// appendCanonicalURI escapes the already-escaped wire path once more, as the
// SDKs do for every service but S3: each byte other than A-Za-z0-9-._~ and
// '/' becomes %XX (so a %2F on the wire is signed as %252F). An empty path is
// "/".
func appendCanonicalURI(dst []byte, path string) []byte {
	if path == "" {
		return append(dst, '/')
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		if unreserved[c] || c == '/' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// botocorePath returns the path as botocore normalizes it before signing
// (RFC 3986 dot-segment removal, empty segments dropped), and whether that
// differs from path. aws-sdk-go-v2 signs the path without this step.
func botocorePath(path string) (string, bool) {
	if path == "" || !needsNormalizing(path) {
		return path, false
	}
	var out []string
	for seg := range strings.SplitSeq(path, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if path[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if path[len(path)-1] == '/' && len(out) > 0 {
		b.WriteByte('/')
	}
	n := b.String()
	return n, n != path
}

func needsNormalizing(p string) bool {
	if p[0] != '/' || strings.Contains(p, "//") {
		return true
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// qpair locates one encoded query pair in a scratch buffer: key is
// buf[ks:ke], value is buf[ke:ve].
type qpair struct{ ks, ke, ve int }

// appendCanonicalQuery writes the canonical query string of the raw query.
//
// Pairs are separated by '&' (empty pairs are skipped, as url.ParseQuery
// does); a pair without '=' is a key with an empty value. Each key and value
// is decoded ('+' is a space, %XX a byte; a '%' not followed by two hex
// digits is kept as a literal '%', where url.ParseQuery would drop the pair)
// and re-encoded with every byte outside A-Za-z0-9-._~ as uppercase %XX.
// Pairs are sorted by encoded key, then encoded value; repeated keys and empty
// values are kept. With skipSignature, X-Amz-Signature pairs are left out
// (presigned requests).
func appendCanonicalQuery(dst []byte, raw string, skipSignature bool, s *scratch) []byte {
	if raw == "" {
		return dst
	}
	tmp, pairs := s.qtmp[:0], s.pairs[:0]
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		ks := len(tmp)
		tmp = appendQueryEncoded(tmp, k)
		ke := len(tmp)
		if skipSignature && string(tmp[ks:ke]) == "X-Amz-Signature" {
			tmp = tmp[:ks]
			continue
		}
		tmp = appendQueryEncoded(tmp, v)
		pairs = append(pairs, qpair{ks, ke, len(tmp)})
	}
	slices.SortFunc(pairs, func(a, b qpair) int {
		if c := bytes.Compare(tmp[a.ks:a.ke], tmp[b.ks:b.ke]); c != 0 {
			return c
		}
		return bytes.Compare(tmp[a.ke:a.ve], tmp[b.ke:b.ve])
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, tmp[p.ks:p.ke]...)
		dst = append(dst, '=')
		dst = append(dst, tmp[p.ke:p.ve]...)
	}
	s.qtmp, s.pairs = tmp, pairs
	return dst
}

func appendQueryEncoded(dst []byte, comp string) []byte {
	for i := 0; i < len(comp); i++ {
		c, w := decodeAt(comp, i)
		i += w - 1
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// appendCanonicalHeaders writes "name:value\n" for each name of the client's
// SignedHeaders list, in the client's order. Names are lower-cased. host is
// r.Host (Go's server moves it out of r.Header); a missing Content-Length
// header falls back to r.ContentLength and a missing Transfer-Encoding to
// r.TransferEncoding (Go's server removes that header). Several values of one
// header are joined with ','.
//
// Each value is trimmed and runs of spaces are collapsed to one, as
// aws-sdk-go-v2 does (other whitespace inside a value is kept). With botocore
// set, every run of ASCII whitespace (Python's str.split) becomes one space
// instead. odd reports whether the two styles can differ for this request.
// ok is false when a signed header is absent from the request.
func appendCanonicalHeaders(dst []byte, r *http.Request, signed string, botocore bool, s *scratch) (out []byte, ok, odd bool) {
	for signed != "" {
		var name string
		name, signed, _ = strings.Cut(signed, ";")
		start := len(dst)
		for i := 0; i < len(name); i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		lname := dst[start:]
		var vals []string
		var single string
		switch string(lname) {
		case "host":
			single = r.Host
			if single == "" && r.URL != nil {
				single = r.URL.Host
			}
			if single == "" {
				return dst, false, odd
			}
		default:
			vals = lookupHeader(r.Header, lname, s)
			if len(vals) == 0 {
				switch string(lname) {
				case "content-length":
					if r.ContentLength <= 0 {
						return dst, false, odd
					}
					single = strconv.FormatInt(r.ContentLength, 10)
				case "transfer-encoding":
					if len(r.TransferEncoding) == 0 {
						return dst, false, odd
					}
					single = strings.Join(r.TransferEncoding, ",")
				default:
					return dst, false, odd
				}
			}
		}
		dst = append(dst, ':')
		if vals == nil {
			var o bool
			dst, o = appendHeaderValue(dst, single, botocore)
			odd = odd || o
		}
		for i, v := range vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			var o bool
			dst, o = appendHeaderValue(dst, v, botocore)
			odd = odd || o
		}
		dst = append(dst, '\n')
	}
	return dst, true, odd
}

// lookupHeader finds the values of the lower-case header name lname: under its
// canonical MIME key (how Go's server stores headers), else verbatim.
func lookupHeader(h http.Header, lname []byte, s *scratch) []string {
	key := s.name[:0]
	upper := true
	for _, c := range lname {
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = c == '-'
		key = append(key, c)
	}
	s.name = key
	if v, ok := h[string(key)]; ok {
		return v
	}
	return h[string(lname)]
}

// pyWhitespace is the ASCII whitespace of Python's str.split.
func pyWhitespace(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r' || 0x1c <= c && c <= 0x1f
}

func appendHeaderValue(dst []byte, v string, botocore bool) ([]byte, bool) {
	odd := false
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && pyWhitespace(c) { // every pyWhitespace byte but ' ' is below it
			odd = true
			break
		}
	}
	if botocore {
		first := true
		for i := 0; i < len(v); {
			for i < len(v) && pyWhitespace(v[i]) {
				i++
			}
			j := i
			for j < len(v) && !pyWhitespace(v[j]) {
				j++
			}
			if j > i {
				if !first {
					dst = append(dst, ' ')
				}
				dst = append(dst, v[i:j]...)
				first = false
			}
			i = j
		}
		return dst, odd
	}
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") { // nothing to collapse (a session token is 1 KB)
		return append(dst, v...), odd
	}
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst, odd
}
