package sigv4_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/sigv4"
)

// fuzzBase is a valid signed request the fuzzer mutates one byte of.
type fuzzBase struct {
	raw        []byte
	req        *http.Request // as the server sees raw
	body       []byte
	bodySigned bool
	signed     []string // SignedHeaders
}

func fuzzBases(t testing.TB) []fuzzBase {
	var out []fuzzBase
	add := func(req *http.Request, bodySigned bool) {
		raw := wire(t, req)
		r, body, err := serverSide(raw)
		if err != nil {
			t.Fatal(err)
		}
		list := ""
		if a := r.Header.Get("Authorization"); a != "" {
			_, rest, _ := strings.Cut(a, "SignedHeaders=")
			list, _, _ = strings.Cut(rest, ",")
		} else {
			list = r.URL.Query().Get("X-Amz-SignedHeaders")
		}
		out = append(out, fuzzBase{raw: raw, req: r, body: body, bodySigned: bodySigned, signed: strings.Split(list, ";")})
	}
	mk := func(method, u string, body []byte, hdr ...string) *http.Request {
		req, err := http.NewRequest(method, u, bodyReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Add(hdr[i], hdr[i+1])
		}
		return req
	}
	// Header-signed GET with a session token, a query and a spaced header.
	req := mk("GET", "http://connect.us-east-1.amazonaws.com/user/federate/a%2Fb?a=1&b=x%20y&c=", nil, "X-Test", "a  b", "X-Test", "c")
	signHeader(t, req, nil, sdkCreds(tempCred), "", "connect", "us-east-1", t0)
	add(req, true)
	// Header-signed POST with a JSON body.
	body := []byte(`{"InstanceId":"11111111-2222-3333-4444-555555555555"}`)
	req = mk("POST", "http://127.0.0.1:8080/contact/chat", body, "Content-Type", "application/json")
	signHeader(t, req, body, sdkCreds(longCred), "", "connect", "us-east-1", t0)
	add(req, true)
	// Presigned with an unsigned payload: the body is not covered.
	req = mk("PUT", "http://example.com/%C3%BC/x?X-Amz-Expires=300&k=v", []byte("unsigned body"))
	add(presign(t, req, []byte("unsigned body"), sdkCreds(longCred), "UNSIGNED-PAYLOAD", "sts", "eu-west-2", t0), false)
	// Presigned with a session token and a signed body hash.
	req = mk("POST", "http://example.com/", []byte("Action=GetCallerIdentity"), "Content-Type", "application/x-www-form-urlencoded")
	add(presign(t, req, []byte("Action=GetCallerIdentity"), sdkCreds(tempCred), "", "sts", "us-east-1", t0), true)
	return out
}

// normValue collapses runs of spaces and tabs and trims, which covers both
// canonical header forms the verifier accepts.
func normValue(vs []string) string {
	for i, v := range vs {
		vs[i] = strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
	}
	return strings.Join(vs, ",")
}

func normAuth(a string) string {
	var parts []string
	for p := range strings.SplitSeq(a, ",") {
		if p = strings.Trim(p, " \t"); p != "" {
			parts = append(parts, strings.Join(strings.Fields(p), " "))
		}
	}
	return strings.Join(parts, ",")
}

func targetOf(r *http.Request) (string, string) {
	p, q, _ := strings.Cut(r.RequestURI, "?")
	return p, q
}

// benignChange explains why a mutated request that verified differs from
// its base in a signed way; "" means the change is semantically irrelevant.
func benignChange(b fuzzBase, r *http.Request, body []byte) string {
	if r.Method != b.req.Method {
		return "method"
	}
	p0, q0 := targetOf(b.req)
	p1, q1 := targetOf(r)
	if p0 != p1 {
		return "path"
	}
	v0, err0 := url.ParseQuery(q0)
	v1, err1 := url.ParseQuery(q1)
	if err0 != nil || err1 != nil || !reflect.DeepEqual(v0, v1) {
		return "query"
	}
	if r.Host != b.req.Host {
		return "host"
	}
	if normAuth(r.Header.Get("Authorization")) != normAuth(b.req.Header.Get("Authorization")) {
		return "authorization"
	}
	for _, name := range b.signed {
		if name == "host" {
			continue
		}
		k := http.CanonicalHeaderKey(name)
		if normValue(append([]string(nil), r.Header[k]...)) != normValue(append([]string(nil), b.req.Header[k]...)) {
			return "header " + name
		}
	}
	if b.bodySigned && !bytes.Equal(body, b.body) {
		return "body"
	}
	return ""
}

func fuzzLookup(_ context.Context, akid string) (*sigv4.Credential, error) {
	switch akid {
	case longAKID:
		return longCred, nil
	case tempAKID:
		return tempCred, nil
	case "FAIL":
		return nil, errors.New("lookup failure")
	}
	return nil, nil
}

// checkErr fails on anything but a *Error (or the Lookup failure).
func checkErr(t *testing.T, err error) {
	t.Helper()
	var e *sigv4.Error
	if err == nil {
		t.Fatal("arbitrary input verified")
	}
	if !errors.As(err, &e) && !strings.Contains(err.Error(), "lookup failure") {
		t.Fatalf("not a *sigv4.Error: %v", err)
	}
	if errors.As(err, &e) && (e.Kind < sigv4.KindMissing || e.Kind > sigv4.KindPresignExpired || e.Message == "") {
		t.Fatalf("bad error %#v", e)
	}
}

// changeByte turns the fuzzed byte b into a change of c that is likely to
// matter: a case flip, a nearby byte, a separator, or b itself.
func changeByte(c, b byte) byte {
	switch b >> 6 {
	case 0:
		return c ^ 0x20
	case 1:
		return c + b&7 + 1
	case 2:
		return " \t,;=&%/"[b&7]
	default:
		return b
	}
}

// FuzzVerify feeds arbitrary Authorization headers, queries and paths to
// Scope and Verify (they must never panic and must fail with a *Error), and
// flips one byte of valid signed requests (the result must not verify unless
// the byte was in an unsigned or encoding-equivalent place).
func FuzzVerify(f *testing.F) {
	for i, tc := range tableCases(f) {
		p, q, _ := strings.Cut(tc.w.target(), "?")
		f.Add(tc.w.get("Authorization"), q, p, uint(i*7919), byte(i))
	}
	f.Add("AWS4-HMAC-SHA256 Credential="+longAKID+"/20260304/us-east-1/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64),
		"a=1&b=%zz&c=+&&d", "/user/federate/x%2Fy/.././/", uint(3), byte('%'))
	f.Add("AWS4-HMAC-SHA256 Credential=FAIL/20260304/us-east-1/connect/aws4_request, SignedHeaders=host, Signature=00", "", "/", uint(1), byte(' '))
	bases := fuzzBases(f)
	now := t0.Add(time.Second)
	ver := &sigv4.Verifier{Lookup: fuzzLookup, Now: func() time.Time { return now }}

	f.Fuzz(func(t *testing.T, auth, query, path string, pos uint, b byte) {
		ctx := context.Background()
		// 1. Arbitrary input, header form.
		r := &http.Request{Method: "GET", Host: "example.com", URL: &url.URL{Path: "/"}, Header: http.Header{
			"X-Amz-Date": {"20260304T050607Z"}, "X-Amz-Security-Token": {query},
		}}
		r.RequestURI = "/" + path + "?" + query
		r.Header["Authorization"] = []string{auth}
		_, _ = sigv4.Scope(r)
		_, err := ver.Verify(ctx, r, []byte(path))
		checkErr(t, err)

		// 2. Arbitrary input, query form, target from r.URL.
		u, perr := url.Parse("http://example.com/" + path)
		if perr != nil {
			u = &url.URL{Path: path}
		}
		u.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260304T050607Z&X-Amz-Credential=" + auth + "&" + query
		r = &http.Request{Method: "PUT", URL: u, Header: http.Header{"Content-Length": {path}}, ContentLength: int64(len(path))}
		_, _ = sigv4.Scope(r)
		_, err = ver.Verify(ctx, r, nil)
		checkErr(t, err)

		// 3. One byte of a valid request changed.
		base := bases[pos%uint(len(bases))]
		i := int((pos / uint(len(bases))) % uint(len(base.raw)))
		m := bytes.Clone(base.raw)
		m[i] = changeByte(m[i], b)
		if m[i] == base.raw[i] {
			return
		}
		r, body, err := serverSide(m)
		if err != nil {
			return // not a request net/http would hand to a handler
		}
		_, _ = sigv4.Scope(r)
		if _, err := ver.Verify(ctx, r, body); err == nil {
			if why := benignChange(base, r, body); why != "" {
				t.Fatalf("byte %d changed from %q to %q (%s) and the request still verifies\n%q", i, base.raw[i], m[i], why, m)
			}
		} else {
			var e *sigv4.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *sigv4.Error: %v", err)
			}
		}
	})
}

// TestFuzzBasesVerify makes sure the fuzz target starts from valid requests.
func TestFuzzBasesVerify(t *testing.T) {
	ver := &sigv4.Verifier{Lookup: fuzzLookup, Now: func() time.Time { return t0.Add(time.Second) }}
	for i, b := range fuzzBases(t) {
		if _, err := ver.Verify(context.Background(), b.req, b.body); err != nil {
			t.Fatalf("base %d: %v", i, err)
		}
		if why := benignChange(b, b.req, b.body); why != "" {
			t.Fatalf("base %d differs from itself: %s", i, why)
		}
	}
}
