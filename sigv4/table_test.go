package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/connectfed/connectfed/sigv4"
)

const federateURL = "https://connect.us-east-1.amazonaws.com/user/federate/11111111-2222-3333-4444-555555555555"

// headerSigned returns an SDK header-signed GET as wire lines.
func headerSigned(t testing.TB, cred *sigv4.Credential, token string, mod func(*http.Request)) wireReq {
	t.Helper()
	req, err := http.NewRequest("GET", federateURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(req)
	}
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.Secret, SessionToken: token}
	signHeader(t, req, nil, creds, "", "connect", "us-east-1", t0)
	return splitWire(wire(t, req))
}

// presigned returns an SDK presigned GET as wire lines (expires 0 = no X-Amz-Expires).
func presigned(t testing.TB, cred *sigv4.Credential, token string, expires int) wireReq {
	t.Helper()
	u := federateURL + "?MaxResults=5"
	if expires > 0 {
		u += "&X-Amz-Expires=" + strconv.Itoa(expires)
	}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.Secret, SessionToken: token}
	return splitWire(wire(t, presign(t, req, nil, creds, "", "connect", "us-east-1", t0)))
}

func (w wireReq) with(f func(w *wireReq)) wireReq {
	w = w.clone()
	f(&w)
	return w
}

func (w *wireReq) set(name, value string) {
	if i := w.header(name); i >= 0 {
		w.headers[i] = name + ": " + value
		return
	}
	w.headers = append(w.headers, name+": "+value)
}

func (w *wireReq) del(name string) {
	if i := w.header(name); i >= 0 {
		w.headers = append(w.headers[:i], w.headers[i+1:]...)
	}
}

func (w wireReq) get(name string) string {
	if i := w.header(name); i >= 0 {
		_, v, _ := strings.Cut(w.headers[i], ": ")
		return v
	}
	return ""
}

func (w *wireReq) editAuth(f func(string) string) { w.set("Authorization", f(w.get("Authorization"))) }

func (w *wireReq) editTarget(f func(string) string) { w.setTarget(f(w.target())) }

type tableCase struct {
	name string
	w    wireReq
	now  time.Time // zero: t0 + 1s
	ver  *sigv4.Verifier
	kind sigv4.Kind // 0: success
	msg  string
}

// justExpired is a temporary credential that expires one second after t0.
var justExpired = &sigv4.Credential{AccessKeyID: "ASIAJUSTEXPIRED", Secret: "s3cr3t", SessionToken: "tok", Expires: t0.Add(time.Second)}

// tableCases is shared by TestTable and the seeds of FuzzVerify.
func tableCases(t testing.TB) []tableCase {
	base := headerSigned(t, longCred, "", nil)
	auth := base.get("Authorization")
	tempBase := headerSigned(t, tempCred, tempToken, nil)
	pre := presigned(t, longCred, "", 60)
	preNoExpires := presigned(t, longCred, "", 0)
	preTemp := presigned(t, tempCred, tempToken, 300)
	expiring := headerSigned(t, justExpired, "tok", nil)
	unsigned := base.with(func(w *wireReq) { w.del("Authorization"); w.del("X-Amz-Date") })
	lostCred := &sigv4.Credential{AccessKeyID: "AKIDNOTINTHESTORE", Secret: "x"}
	withPayloadHdr := headerSigned(t, longCred, "", func(r *http.Request) {
		r.Header.Set("X-Amz-Content-Sha256", hashHex(nil))
		r.Header.Set("X-Custom", "v")
	})
	withQuery := headerSigned(t, longCred, "", func(r *http.Request) { r.URL.RawQuery = "a=b%20c&d=%2B&e=x%7Ey" })
	hashErr := sigv4.MsgPayloadHashMismatch
	mismatch := sigv4.MsgSignatureMismatch
	dateMissing := "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "

	return []tableCase{
		{name: "valid header", w: base},
		{name: "valid temporary", w: tempBase},
		{name: "valid presigned", w: pre},
		{name: "valid presigned temporary", w: preTemp},
		{name: "valid with X-Amz-Content-Sha256", w: withPayloadHdr},

		{name: "query: + is a space", w: withQuery.with(func(w *wireReq) { w.editTarget(func(s string) string { return rep(s, "b%20c", "b+c", 1) }) })},
		{name: "query: needless escapes", w: withQuery.with(func(w *wireReq) { w.editTarget(func(s string) string { return rep(s, "e=x~y", "%65=x%7ey", 1) }) })},
		{name: "query: reordered", w: withQuery.with(func(w *wireReq) {
			w.editTarget(func(s string) string {
				p, q, _ := strings.Cut(s, "?")
				f := strings.Split(q, "&")
				return p + "?" + f[2] + "&" + f[1] + "&" + f[0]
			})
		})},
		{name: "query: %2B is not a space", w: withQuery.with(func(w *wireReq) { w.editTarget(func(s string) string { return rep(s, "b%20c", "b%2Bc", 1) }) }),
			kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "query: + is not %2B", w: withQuery.with(func(w *wireReq) { w.editTarget(func(s string) string { return rep(s, "d=%2B", "d=+", 1) }) }),
			kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "query: empty pair ignored", w: withQuery.with(func(w *wireReq) { w.editTarget(func(s string) string { return s + "&&" }) })},
		{name: "query: key without = is an empty value", w: withQuery.with(func(w *wireReq) { w.editTarget(func(s string) string { return s + "&z" }) }),
			kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "no auth", w: unsigned, kind: sigv4.KindMissing, msg: "Missing Authentication Token"},
		{name: "bearer", w: unsigned.with(func(w *wireReq) { w.set("Authorization", "Bearer abc") }), kind: sigv4.KindIncomplete,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " + dateMissing + "Authorization=Bearer abc"},
		{name: "empty authorization", w: unsigned.with(func(w *wireReq) { w.headers = append(w.headers, "Authorization:") }), kind: sigv4.KindIncomplete,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " + dateMissing + "Authorization="},
		{name: "no signature", w: base.with(func(w *wireReq) {
			w.editAuth(func(a string) string { a, _, _ = strings.Cut(a, ", Signature="); return a })
		}),
			kind: sigv4.KindIncomplete, msg: "Authorization header requires 'Signature' parameter. Authorization=" + strings.Split(auth, ", Signature=")[0]},
		{name: "no credential, no signed headers, no date", w: base.with(func(w *wireReq) {
			w.del("X-Amz-Date")
			w.set("Authorization", "AWS4-HMAC-SHA256 Signature=abc")
		}), kind: sigv4.KindIncomplete, msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. " +
			dateMissing + "Authorization=AWS4-HMAC-SHA256 Signature=abc"},
		{name: "no date", w: base.with(func(w *wireReq) { w.del("X-Amz-Date") }), kind: sigv4.KindIncomplete, msg: dateMissing + "Authorization=" + auth},
		{name: "missing equal sign", w: base.with(func(w *wireReq) {
			w.editAuth(func(a string) string { return rep(a, "SignedHeaders=", "SignedHeaders", 1) })
		}),
			kind: sigv4.KindIncomplete, msg: "'SignedHeadershost;x-amz-date' not a valid key=value pair (missing equal-sign) in Authorization header: '" + rep(auth, "SignedHeaders=", "SignedHeaders", 1) + "'."},
		{name: "unknown parameter", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return a + ", Foo=bar" }) }),
			kind: sigv4.KindIncomplete, msg: "'Foo' is not a valid parameter in Authorization header: '" + auth + ", Foo=bar'."},
		{name: "duplicate parameter", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return a + ",Signature=00" }) }),
			kind: sigv4.KindIncomplete, msg: "Authorization header has a duplicate 'Signature' parameter: '" + auth + ",Signature=00'."},
		{name: "unsupported algorithm", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return rep(a, "SHA256", "SHA512", 1) }) }),
			kind: sigv4.KindIncomplete, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."},
		{name: "two authorization headers", w: base.with(func(w *wireReq) { w.headers = append(w.headers, "Authorization: "+auth) }),
			kind: sigv4.KindIncomplete, msg: "Authorization header may only be specified once."},
		{name: "credential with 4 parts", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return rep(a, "/connect/", "/", 1) }) }),
			kind: sigv4.KindIncomplete, msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + longAKID + "/20260304/us-east-1/aws4_request'"},
		{name: "bad terminator", w: base.with(func(w *wireReq) {
			w.editAuth(func(a string) string { return rep(a, "aws4_request", "aws4_reqest", 1) })
		}),
			kind: sigv4.KindIncomplete, msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'."},
		{name: "bad scope date", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return rep(a, "/20260304/", "/20260230/", 1) }) }),
			kind: sigv4.KindIncomplete, msg: "Credential should be scoped to a valid date (YYYYMMDD), not '20260230'."},
		{name: "empty region", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return rep(a, "/us-east-1/", "//", 1) }) }),
			kind: sigv4.KindIncomplete, msg: "Credential should be scoped to a valid region, not ''."},
		{name: "empty service", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return rep(a, "/connect/", "//", 1) }) }),
			kind: sigv4.KindIncomplete, msg: "Credential should be scoped to a valid service, not ''."},
		{name: "bad X-Amz-Date", w: base.with(func(w *wireReq) { w.set("X-Amz-Date", "2026-03-04T05:06:07Z") }), kind: sigv4.KindIncomplete,
			msg: "Date must be in ISO-8601 'basic format'. Got '2026-03-04T05:06:07Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "bad Date", w: base.with(func(w *wireReq) { w.del("X-Amz-Date"); w.set("Date", "yesterday") }), kind: sigv4.KindIncomplete,
			msg: "Date must be in RFC 1123 format. Got 'yesterday'."},
		{name: "Date header is used without X-Amz-Date", w: base.with(func(w *wireReq) { w.del("X-Amz-Date"); w.set("Date", "Wed, 04 Mar 2026 05:06:07 GMT") }),
			kind: sigv4.KindSignatureMismatch, msg: mismatch}, // parsed and in skew; x-amz-date is signed but gone
		{name: "Date header skew", w: base.with(func(w *wireReq) { w.del("X-Amz-Date"); w.set("Date", "Wed, 04 Mar 2026 04:06:07 -0000") }),
			kind: sigv4.KindSkew, msg: "Signature expired: 20260304T040607Z is now earlier than 20260304T045108Z (20260304T050608Z - 15 min.)"},
		{name: "host not signed", w: base.with(func(w *wireReq) {
			w.editAuth(func(a string) string { return rep(a, "SignedHeaders=host;", "SignedHeaders=", 1) })
		}), kind: sigv4.KindIncomplete, msg: sigv4.MsgHostNotSigned},
		{name: "double auth (query)", w: base.with(func(w *wireReq) { w.editTarget(func(s string) string { return s + "?X-Amz-Signature=00" }) }),
			kind: sigv4.KindIncomplete, msg: sigv4.MsgDoubleAuth},
		{name: "double auth (header)", w: pre.with(func(w *wireReq) { w.set("Authorization", auth) }), kind: sigv4.KindIncomplete, msg: sigv4.MsgDoubleAuth},

		{name: "scope date differs from X-Amz-Date", w: base.with(func(w *wireReq) { w.set("X-Amz-Date", "20260305T000000Z") }), now: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC),
			kind: sigv4.KindSignatureMismatch, msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260304' != '20260305', from '20260305T000000Z'."},
		{name: "unknown key", w: headerSigned(t, lostCred, "", nil), kind: sigv4.KindUnknownKey, msg: sigv4.MsgInvalidToken},
		{name: "empty key id", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return rep(a, longAKID, "", 1) }) }),
			kind: sigv4.KindUnknownKey, msg: "The security token included in the request is invalid."},
		{name: "temporary without token", w: headerSigned(t, tempCred, "", nil), kind: sigv4.KindInvalidToken, msg: sigv4.MsgInvalidToken},
		{name: "temporary with wrong token", w: headerSigned(t, tempCred, tempToken+"x", nil), kind: sigv4.KindInvalidToken, msg: sigv4.MsgInvalidToken},
		{name: "temporary with token removed", w: tempBase.with(func(w *wireReq) { w.del("X-Amz-Security-Token") }), kind: sigv4.KindInvalidToken, msg: sigv4.MsgInvalidToken},
		{name: "temporary with two tokens", w: tempBase.with(func(w *wireReq) { w.headers = append(w.headers, "X-Amz-Security-Token: "+tempToken) }),
			kind: sigv4.KindInvalidToken, msg: sigv4.MsgInvalidToken},
		{name: "long-term with token", w: headerSigned(t, longCred, "sometoken", nil), kind: sigv4.KindInvalidToken, msg: "The security token included in the request is invalid."},
		{name: "presigned temporary wrong token", w: preTemp.with(func(w *wireReq) {
			w.editTarget(func(s string) string { return rep(s, "X-Amz-Security-Token=Fwo", "X-Amz-Security-Token=Fwp", 1) })
		}), kind: sigv4.KindInvalidToken, msg: sigv4.MsgInvalidToken},
		{name: "temporary just before expiry", w: expiring, now: t0},
		{name: "temporary expired", w: expiring, now: t0.Add(time.Second), kind: sigv4.KindExpiredToken, msg: "The security token included in the request is expired"},

		{name: "skew past edge", w: base, now: t0.Add(15 * time.Minute)},
		{name: "skew past", w: base, now: t0.Add(15*time.Minute + time.Second), kind: sigv4.KindSkew,
			msg: "Signature expired: 20260304T050607Z is now earlier than 20260304T050608Z (20260304T052108Z - 15 min.)"},
		{name: "skew future edge", w: base, now: t0.Add(-15 * time.Minute)},
		{name: "skew future", w: base, now: t0.Add(-15*time.Minute - time.Second), kind: sigv4.KindSkew,
			msg: "Signature not yet current: 20260304T050607Z is still later than 20260304T050606Z (20260304T045106Z + 15 min.)"},
		{name: "skew custom 5 min", w: base, now: t0.Add(5*time.Minute + time.Second), kind: sigv4.KindSkew,
			ver: &sigv4.Verifier{Lookup: lookupOf(longCred), MaxSkew: 5 * time.Minute},
			msg: "Signature expired: 20260304T050607Z is now earlier than 20260304T050608Z (20260304T051108Z - 5 min.)"},
		{name: "skew custom 90s", w: base, now: t0.Add(-91 * time.Second), kind: sigv4.KindSkew,
			ver: &sigv4.Verifier{Lookup: lookupOf(longCred), MaxSkew: 90 * time.Second},
			msg: "Signature not yet current: 20260304T050607Z is still later than 20260304T050606Z (20260304T050436Z + 1m30s.)"},

		{name: "presign edge", w: pre, now: t0.Add(60 * time.Second)},
		{name: "presign expired", w: pre, now: t0.Add(61 * time.Second), kind: sigv4.KindPresignExpired, msg: "Request has expired"},
		{name: "presign long expired", w: pre, now: t0.Add(48 * time.Hour), kind: sigv4.KindPresignExpired, msg: "Request has expired"},
		{name: "presign without expires edge", w: preNoExpires, now: t0.Add(15 * time.Minute)},
		{name: "presign without expires expired", w: preNoExpires, now: t0.Add(15*time.Minute + time.Second), kind: sigv4.KindPresignExpired, msg: "Request has expired"},
		{name: "presign future edge", w: pre, now: t0.Add(-15 * time.Minute)},
		{name: "presign future", w: pre, now: t0.Add(-15*time.Minute - time.Second), kind: sigv4.KindSkew,
			msg: "Signature not yet current: 20260304T050607Z is still later than 20260304T050606Z (20260304T045106Z + 15 min.)"},
		{name: "presign without signature", w: pre.with(func(w *wireReq) {
			w.editTarget(func(s string) string { return s[:strings.Index(s, "&X-Amz-Signature=")] })
		}), kind: sigv4.KindIncomplete, msg: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "presign without date and signed headers", w: pre.with(func(w *wireReq) {
			w.editTarget(func(s string) string {
				s = rep(s, "X-Amz-Date=", "X-Amz-Datum=", 1)
				return rep(s, "X-Amz-SignedHeaders=", "X-Amz-SignedHeader=", 1)
			})
		}), kind: sigv4.KindIncomplete, msg: "AWS query-string parameters must include 'X-Amz-Date'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."},
		{name: "presign bad algorithm", w: pre.with(func(w *wireReq) { w.editTarget(func(s string) string { return rep(s, "HMAC-SHA256", "HMAC-SHA1", 1) }) }),
			kind: sigv4.KindIncomplete, msg: `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`},
		{name: "presign expires 0", w: pre.with(func(w *wireReq) {
			w.editTarget(func(s string) string { return rep(s, "X-Amz-Expires=60", "X-Amz-Expires=0", 1) })
		}),
			kind: sigv4.KindIncomplete, msg: "X-Amz-Expires must be greater than 0"},
		{name: "presign expires too long", w: pre.with(func(w *wireReq) {
			w.editTarget(func(s string) string { return rep(s, "X-Amz-Expires=60", "X-Amz-Expires=604801", 1) })
		}), kind: sigv4.KindIncomplete, msg: "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{name: "presign expires not a number", w: pre.with(func(w *wireReq) {
			w.editTarget(func(s string) string { return rep(s, "X-Amz-Expires=60", "X-Amz-Expires=6o", 1) })
		}), kind: sigv4.KindIncomplete, msg: "X-Amz-Expires should be a number"},
		{name: "presign duplicate date", w: pre.with(func(w *wireReq) { w.editTarget(func(s string) string { return s + "&X-Amz-Date=20260304T050607Z" }) }),
			kind: sigv4.KindIncomplete, msg: "AWS query-string parameter 'X-Amz-Date' must be specified only once."},
		{name: "presign bad date", w: pre.with(func(w *wireReq) { w.editTarget(func(s string) string { return rep(s, "T050607Z", "T256007Z", 1) }) }),
			kind: sigv4.KindIncomplete, msg: "Date must be in ISO-8601 'basic format'. Got '20260304T256007Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "presign bad credential", w: pre.with(func(w *wireReq) { w.editTarget(func(s string) string { return rep(s, "%2Faws4_request", "", 1) }) }),
			kind: sigv4.KindIncomplete, msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + longAKID + "/20260304/us-east-1/connect'"},

		{name: "payload hash header wrong", w: withPayloadHdr.with(func(w *wireReq) { w.set("X-Amz-Content-Sha256", strings.Repeat("0", 64)) }),
			kind: sigv4.KindSignatureMismatch, msg: hashErr},
		{name: "payload hash header upper-case", w: withPayloadHdr.with(func(w *wireReq) { w.set("X-Amz-Content-Sha256", strings.ToUpper(hashHex(nil))) }),
			kind: sigv4.KindSignatureMismatch, msg: mismatch}, // accepted as the body hash, but it is signed verbatim
		{name: "payload hash header twice", w: withPayloadHdr.with(func(w *wireReq) { w.headers = append(w.headers, "X-Amz-Content-Sha256: "+hashHex(nil)) }),
			kind: sigv4.KindSignatureMismatch, msg: hashErr},
		{name: "signed header absent", w: withPayloadHdr.with(func(w *wireReq) { w.del("X-Custom") }), kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "signed header emptied", w: withPayloadHdr.with(func(w *wireReq) { w.set("X-Custom", "") }), kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "upper-case signature", w: base.with(func(w *wireReq) {
			w.editAuth(func(a string) string { i := strings.Index(a, "Signature=") + 10; return a[:i] + strings.ToUpper(a[i:]) })
		}), kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "short signature", w: base.with(func(w *wireReq) { w.editAuth(func(a string) string { return a[:len(a)-2] }) }), kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "wrong secret", w: headerSigned(t, &sigv4.Credential{AccessKeyID: longAKID, Secret: "not the secret"}, "", nil),
			kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "host changed", w: base.with(func(w *wireReq) { w.set("Host", "connect.us-west-2.amazonaws.com") }), kind: sigv4.KindSignatureMismatch, msg: mismatch},
		{name: "signed for another service", w: base.with(func(w *wireReq) {
			w.editAuth(func(a string) string { return rep(a, "/connect/", "/sts/", 1) })
		}), kind: sigv4.KindSignatureMismatch, msg: mismatch},
	}
}

func TestTable(t *testing.T) {
	for _, tc := range tableCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = t0.Add(time.Second)
			}
			ver := tc.ver
			if ver == nil {
				ver = newVerifier(now, longCred, tempCred, justExpired)
			} else {
				ver.Now = func() time.Time { return now }
			}
			r, body, err := serverSide(tc.w.bytes())
			if err != nil {
				t.Fatalf("request does not parse: %v\n%q", err, tc.w.bytes())
			}
			res, err := ver.Verify(context.Background(), r, body)
			if tc.kind == 0 {
				if err != nil || res == nil {
					t.Fatalf("want success, got %v\n%q", err, tc.w.bytes())
				}
				return
			}
			var e *sigv4.Error
			if !errors.As(err, &e) {
				t.Fatalf("want *Error of kind %v, got %v", tc.kind, err)
			}
			if e.Kind != tc.kind || e.Message != tc.msg {
				t.Fatalf("got  %v: %q\nwant %v: %q", e.Kind, e.Message, tc.kind, tc.msg)
			}
			if res != nil {
				t.Fatal("result on failure")
			}
			if strings.Contains(e.Message, longSecret) || strings.Contains(e.Message, tempSecret) || strings.Contains(e.Message, tempToken) {
				t.Fatal("message leaks a secret")
			}
			if e.Error() != "sigv4: "+tc.kind.String()+": "+tc.msg {
				t.Fatalf("Error() = %q", e.Error())
			}
			// Scope agrees with Verify on parse-level failures.
			_, serr := sigv4.Scope(r)
			switch tc.kind {
			case sigv4.KindMissing, sigv4.KindIncomplete:
				if kindOf(serr) != tc.kind || messageOf(serr) != tc.msg {
					t.Fatalf("Scope: %v", serr)
				}
			default:
				if serr != nil {
					t.Fatalf("Scope: %v", serr)
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	want := map[sigv4.Kind]string{
		sigv4.KindMissing: "Missing", sigv4.KindIncomplete: "Incomplete", sigv4.KindSignatureMismatch: "SignatureMismatch",
		sigv4.KindUnknownKey: "UnknownKey", sigv4.KindInvalidToken: "InvalidToken", sigv4.KindExpiredToken: "ExpiredToken",
		sigv4.KindSkew: "Skew", sigv4.KindPresignExpired: "PresignExpired", 0: "Unknown", 99: "Unknown",
	}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("%d: %q", k, k.String())
		}
	}
}

func TestLookupErrors(t *testing.T) {
	r, body, err := serverSide(headerSigned(t, longCred, "", nil).bytes())
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("database is down")
	ver := &sigv4.Verifier{Now: func() time.Time { return t0 }, Lookup: func(context.Context, string) (*sigv4.Credential, error) { return nil, boom }}
	_, err = ver.Verify(context.Background(), r, body)
	var e *sigv4.Error
	if !errors.Is(err, boom) || errors.As(err, &e) {
		t.Fatalf("lookup error: %v", err)
	}
	_, err = (&sigv4.Verifier{Now: ver.Now}).Verify(context.Background(), r, body)
	if !errors.Is(err, sigv4.ErrNoLookup) {
		t.Fatalf("nil lookup: %v", err)
	}
	// The lookup is asked for the key of the request, and only after the
	// date checks passed.
	var asked []string
	ver = &sigv4.Verifier{Now: func() time.Time { return t0.Add(time.Hour) }, Lookup: func(_ context.Context, k string) (*sigv4.Credential, error) {
		asked = append(asked, k)
		return longCred, nil
	}}
	if _, err := ver.Verify(context.Background(), r, body); kindOf(err) != sigv4.KindSkew || len(asked) != 0 {
		t.Fatalf("skewed request: %v, lookups %v", err, asked)
	}
	ver.Now = func() time.Time { return t0 }
	if _, err := ver.Verify(context.Background(), r, body); err != nil || len(asked) != 1 || asked[0] != longAKID {
		t.Fatalf("%v, lookups %v", err, asked)
	}
}

func TestScope(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    wireReq
	}{{"header", headerSigned(t, tempCred, tempToken, nil)}, {"presigned", presigned(t, tempCred, tempToken, 60)}} {
		r, _, err := serverSide(tc.w.bytes())
		if err != nil {
			t.Fatal(err)
		}
		got, err := sigv4.Scope(r)
		want := sigv4.ScopeInfo{AccessKeyID: tempAKID, Date: "20260304", Region: "us-east-1", Service: "connect"}
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", tc.name, got, err)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	if _, err := sigv4.Scope(r); kindOf(err) != sigv4.KindMissing {
		t.Errorf("no auth: %v", err)
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a/b")
	r.Header.Set("X-Amz-Date", "20260304T050607Z")
	if _, err := sigv4.Scope(r); kindOf(err) != sigv4.KindIncomplete {
		t.Errorf("malformed: %v", err)
	}
	if _, err := sigv4.Scope(nil); kindOf(err) != sigv4.KindMissing {
		t.Errorf("nil request: %v", err)
	}
}

// TestSecretRotation checks that the signing-key cache never serves a key
// derived from a previous secret of the same access key.
func TestSecretRotation(t *testing.T) {
	cur := &sigv4.Credential{AccessKeyID: "AKIDROTATING", Secret: "first-secret"}
	var mu sync.Mutex
	ver := &sigv4.Verifier{Now: func() time.Time { return t0 }, Lookup: func(context.Context, string) (*sigv4.Credential, error) {
		mu.Lock()
		defer mu.Unlock()
		return cur, nil
	}}
	check := func(secret string, want sigv4.Kind) {
		t.Helper()
		w := headerSigned(t, &sigv4.Credential{AccessKeyID: "AKIDROTATING", Secret: secret}, "", nil)
		r, body, err := serverSide(w.bytes())
		if err != nil {
			t.Fatal(err)
		}
		_, err = ver.Verify(context.Background(), r, body)
		if kindOf(err) != want || (want == 0) != (err == nil) {
			t.Fatalf("signed with %q: %v, want %v", secret, err, want)
		}
	}
	check("first-secret", 0)
	check("first-secret", 0) // cached
	mu.Lock()
	cur = &sigv4.Credential{AccessKeyID: "AKIDROTATING", Secret: "second-secret"}
	mu.Unlock()
	check("first-secret", sigv4.KindSignatureMismatch)
	check("second-secret", 0)
}

// TestManyScopes drives the key cache past its bound.
func TestManyScopes(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	ver := newVerifier(t0)
	for i := range 10100 {
		req, _ := http.NewRequest("GET", federateURL, nil)
		signHeader(t, req, nil, sdkCreds(longCred), "", "connect", "region-"+strconv.Itoa(i), t0)
		if _, err := ver.Verify(context.Background(), req, nil); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	// The first scopes were evicted; they must still verify (re-derived).
	req, _ := http.NewRequest("GET", federateURL, nil)
	signHeader(t, req, nil, sdkCreds(longCred), "", "connect", "region-0", t0)
	if _, err := ver.Verify(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
}

// TestWireForms covers the request-target forms a server can see: an
// absolute-form target (what the Go client sends for URL.Opaque "//host/path"),
// raw UTF-8 bytes in the path, and a middleware that rewrote r.URL.
func TestWireForms(t *testing.T) {
	ver := newVerifier(t0)
	verify := func(name string, r *http.Request, body []byte) {
		t.Helper()
		if _, err := ver.Verify(context.Background(), r, body); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Opaque: the SDK signs the raw path of the opaque; the Go client sends
	// the absolute form.
	req, _ := http.NewRequest("GET", "http://example.com/ignored", nil)
	req.URL.Opaque = "//example.com/a%2Fb/%C3%BC/x:y"
	req.URL.RawQuery = "q=1"
	signHeader(t, req, nil, sdkCreds(longCred), "", "connect", "us-east-1", t0)
	raw := wire(t, req)
	if !strings.HasPrefix(string(raw), "GET http://example.com/a%2Fb/%C3%BC/x:y?q=1 HTTP/1.1") {
		t.Fatalf("unexpected wire form %q", raw)
	}
	r, body, err := serverSide(raw)
	if err != nil {
		t.Fatal(err)
	}
	verify("absolute-form", r, body)

	// Raw UTF-8 on the wire is signed escaped once (as %C3%BC would be
	// escaped to %25C3%25BC, the raw form is signed as %C3%BC).
	req, _ = http.NewRequest("GET", "http://example.com/ignored", nil)
	req.URL.Opaque = "//example.com/ü/日本"
	signHeader(t, req, nil, sdkCreds(longCred), "", "connect", "us-east-1", t0)
	w := splitWire(wire(t, req))
	w.setTarget("/ü/日本")
	r, body, err = serverSide(w.bytes())
	if err != nil {
		t.Fatal(err)
	}
	verify("raw utf-8 path", r, body)

	// http.StripPrefix rewrites r.URL.Path/RawPath; the verifier still
	// checks what the client signed (the request-target).
	req, _ = http.NewRequest("GET", "http://example.com/prefix/a%2Fb", nil)
	signHeader(t, req, nil, sdkCreds(longCred), "", "connect", "us-east-1", t0)
	r, body = roundTrip(t, req)
	var got error = errors.New("handler not called")
	http.StripPrefix("/prefix", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, got = ver.Verify(context.Background(), r, body)
	})).ServeHTTP(httptest.NewRecorder(), r)
	if got != nil {
		t.Errorf("behind StripPrefix: %v", got)
	}
}

// rep is strings.Replace that insists the text to replace is there, so a
// table case cannot silently test the unmodified request.
func rep(s, old, new string, n int) string {
	if !strings.Contains(s, old) {
		panic("rep: " + strconv.Quote(old) + " not in " + strconv.Quote(s))
	}
	return strings.Replace(s, old, new, n)
}

// TestConcurrent verifies from many goroutines with one Verifier (run with
// -race): the signing-key cache is shared.
func TestConcurrent(t *testing.T) {
	ver := newVerifier(t0)
	type item struct {
		r    *http.Request
		body []byte
	}
	var items []item
	for i := range 16 {
		req, _ := http.NewRequest("GET", federateURL, nil)
		cred := longCred
		if i%2 == 1 {
			cred = tempCred
		}
		signHeader(t, req, nil, sdkCreds(cred), "", "connect", "region-"+strconv.Itoa(i%5), t0)
		r, body := roundTrip(t, req)
		items = append(items, item{r, body})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				it := items[(g+i)%len(items)]
				if _, err := ver.Verify(context.Background(), it.r, it.body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
