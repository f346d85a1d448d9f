// Package sigv4 verifies AWS Signature Version 4 requests on the server side,
// for both the Authorization header and the presigned query form, the way
// aws-sdk-go-v2 and botocore sign them for non-S3 services.
//
// Verify checks, in this order (as AWS does): the syntax of the
// authentication (KindMissing, KindIncomplete), the signing time (KindSkew,
// KindPresignExpired) and the credential scope date, the access key
// (KindUnknownKey), the session token (KindInvalidToken, KindExpiredToken)
// and last the signature (KindSignatureMismatch). Scope runs only the first
// step, so a server can route by service before verifying.
//
// Canonicalization follows aws-sdk-go-v2 (aws/signer/v4):
//   - method verbatim;
//   - URI: the path exactly as received (the request-target in
//     r.RequestURI; r.URL.EscapedPath() only for in-process requests)
//     escaped once more, every byte but A-Za-z0-9-._~/ as %XX, so %2F on the
//     wire is signed as %252F; empty path is "/";
//   - query: pairs split on '&' (empty pairs skipped, no '=' means an empty
//     value), decoded ('+' is a space) and re-encoded (RFC 3986 unreserved
//     kept, the rest %XX upper case), sorted by key then value, repeated keys
//     kept; X-Amz-Signature left out for presigned requests;
//   - headers: the client's SignedHeaders list (must contain host), host
//     from r.Host, Content-Length from r.ContentLength when the header is
//     gone, values trimmed with space runs collapsed, repeated values joined
//     with ','; a signed header missing from the request is a mismatch;
//   - payload: X-Amz-Content-Sha256 when sent (UNSIGNED-PAYLOAD, or it must
//     equal the SHA-256 of the body), else the SHA-256 of the body.
//
// Decisions where AWS is silent or the SDKs disagree:
//   - botocore (and the JS and Java SDKs) sign the path after removing dot
//     segments and empty segments; aws-sdk-go-v2 does not. When the first
//     form does not verify and the path is not already normal, the
//     normalized form is tried too. Consequence: a request signed for /a/b
//     also verifies when sent as /a//b or /a/./b; routers should treat such
//     paths as the same resource or reject them.
//   - botocore collapses every whitespace run in header values (Python
//     str.split), the Go SDK only runs of spaces; when a signed value holds
//     a tab (or other ASCII whitespace), both forms are tried.
//   - Presigned requests without X-Amz-Content-Sha256 are tried with the
//     body hash (what both SDKs sign for non-S3 services) and with
//     UNSIGNED-PAYLOAD (S3 style).
//   - X-Amz-Expires is optional (the Go SDK omits it unless asked); without
//     it a presigned request is valid for MaxSkew after X-Amz-Date. With it,
//     it must be 1..604800 and the request is valid while now <=
//     X-Amz-Date + X-Amz-Expires. A presigned X-Amz-Date more than MaxSkew
//     in the future is KindSkew.
//   - Skew boundaries are inclusive: |now - signing time| == MaxSkew passes.
//     Temporary credentials are expired from Expires on (now >= Expires).
//   - The session token is read from X-Amz-Security-Token (header; for
//     presigned requests the query parameter, else the header); given twice
//     it is KindInvalidToken. It need not be a signed header.
//   - The signature must be 64 lower-case hex digits; anything else is a
//     mismatch. A '%' not followed by two hex digits in the query is taken
//     literally (url.ParseQuery would drop the pair).
//   - Structural credential-scope errors (element count, terminator, date
//     syntax, empty region or service) are KindIncomplete; a scope date that
//     differs from the request date is KindSignatureMismatch with AWS's
//     "Date in Credential scope does not match ..." text. An empty access
//     key id is KindUnknownKey.
//
// The package never logs and never panics on any input.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultMaxSkew is the clock skew allowed when Verifier.MaxSkew is 0.
	DefaultMaxSkew = 15 * time.Minute
	// UnsignedPayload is the literal X-Amz-Content-Sha256 value for an unsigned body.
	UnsignedPayload = "UNSIGNED-PAYLOAD"

	maxCachedKeys = 10000
)

// Credential is what the server knows about an access key.
type Credential struct {
	AccessKeyID string
	Secret      string // the secret access key
	// SessionToken is non-empty for temporary credentials: the request must
	// carry exactly this X-Amz-Security-Token. When empty, the request must
	// not carry one.
	SessionToken string
	// Expires is zero for long-term keys; temporary credentials are rejected
	// from Expires on.
	Expires time.Time
	// Principal is opaque to this package and handed back in Result.
	Principal any
}

// Lookup finds a credential by access key id. It returns (nil, nil) when the
// key is unknown; a non-nil error is an internal failure, which Verify
// returns wrapped (not as *Error).
type Lookup func(ctx context.Context, accessKeyID string) (*Credential, error)

// Verifier verifies SigV4 requests. The zero value with Lookup set is ready
// to use; a Verifier is safe for concurrent use and must not be copied after
// first use.
type Verifier struct {
	Lookup Lookup
	// LookupToken, when set, is used instead of Lookup: it also receives
	// the request's X-Amz-Security-Token ("" when there is none), for
	// servers whose session tokens carry the session themselves.
	LookupToken func(ctx context.Context, accessKeyID, sessionToken string) (*Credential, error)
	Now         func() time.Time // nil = time.Now
	MaxSkew     time.Duration    // 0 = DefaultMaxSkew

	mu   sync.RWMutex
	keys map[keyID][32]byte // derived signing keys
}

// keyID identifies a derived signing key. The secret enters only as its
// SHA-256, so a rotated secret never matches a stale entry.
type keyID struct {
	accessKeyID string
	secret      [32]byte
	date        string
	region      string
	service     string
}

// Result describes a verified request.
type Result struct {
	Credential *Credential
	Region     string
	Service    string
	SignedAt   time.Time
	Presigned  bool
}

// ErrNoLookup is returned (not as *Error) by Verify when Verifier.Lookup is nil.
var ErrNoLookup = errors.New("sigv4: Verifier.Lookup is nil")

// Verify checks the SigV4 authentication of r. body is the full request body,
// already read by the caller (r.Body is not touched). A client-caused failure
// is an *Error; any other error (a Lookup failure, wrapped) is internal.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Result, error) {
	p, err := v.Preflight(ctx, r)
	if err != nil {
		return nil, err
	}
	return p.Finish(r, body)
}

// Pending is a request whose headers passed every check but the signature,
// which covers the body: Finish checks it once the body is read.
type Pending struct {
	v    *Verifier
	a    authInfo
	cred *Credential
}

// Credential is the credential the request claims (its key and session
// token already checked, its signature not yet).
func (p *Pending) Credential() *Credential { return p.cred }

// Preflight runs every check Verify makes that needs only the request line
// and headers: the authentication syntax, the signing time, the scope date,
// the access key and the session token. A server uses it to refuse
// requests before reading their bodies, and to know whose request it is
// reading.
func (v *Verifier) Preflight(ctx context.Context, r *http.Request) (*Pending, error) {
	a, perr := parse(r)
	if perr != nil {
		return nil, perr
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if e := checkTime(&a, now, skew); e != nil {
		return nil, e
	}
	var dbuf [16]byte
	if d := a.signedAt.AppendFormat(dbuf[:0], "20060102"); string(d) != a.Date {
		return nil, newErr(KindSignatureMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			a.Date+"' != '"+string(d)+"', from '"+a.signedAt.Format(amzDateLayout)+"'.")
	}

	if a.AccessKeyID == "" {
		return nil, newErr(KindUnknownKey, MsgInvalidToken)
	}
	var cred *Credential
	var err error
	switch {
	case v.LookupToken != nil:
		tok := ""
		if a.hasToken && !a.badToken {
			tok = a.token
		}
		cred, err = v.LookupToken(ctx, a.AccessKeyID, tok)
	case v.Lookup != nil:
		cred, err = v.Lookup(ctx, a.AccessKeyID)
	default:
		return nil, ErrNoLookup
	}
	if err != nil {
		return nil, fmt.Errorf("sigv4: credential lookup: %w", err)
	}
	if cred == nil {
		return nil, newErr(KindUnknownKey, MsgInvalidToken)
	}

	if a.badToken {
		return nil, newErr(KindInvalidToken, MsgInvalidToken)
	}
	if cred.SessionToken != "" {
		if !a.hasToken || !equalCT(a.token, cred.SessionToken) {
			return nil, newErr(KindInvalidToken, MsgInvalidToken)
		}
	} else if a.hasToken {
		return nil, newErr(KindInvalidToken, MsgInvalidToken)
	}
	if !cred.Expires.IsZero() && !now.Before(cred.Expires) {
		return nil, newErr(KindExpiredToken, MsgExpiredToken)
	}
	return &Pending{v: v, a: a, cred: cred}, nil
}

// Finish checks the signature of a request Preflight passed, over its
// body.
func (p *Pending) Finish(r *http.Request, body []byte) (*Result, error) {
	if e := p.v.checkSignature(r, &p.a, p.cred, body); e != nil {
		return nil, e
	}
	return &Result{
		Credential: p.cred,
		Region:     p.a.Region,
		Service:    p.a.Service,
		SignedAt:   p.a.signedAt,
		Presigned:  p.a.presigned,
	}, nil
}

// checkTime applies the skew window (header auth: |now-t| <= skew; presigned:
// t <= now+skew) and the presigned validity (now <= t+X-Amz-Expires, or
// t+skew when X-Amz-Expires is absent).
func checkTime(a *authInfo, now time.Time, skew time.Duration) *Error {
	t := a.signedAt
	if t.Sub(now) > skew {
		return newErr(KindSkew, "Signature not yet current: "+t.Format(amzDateLayout)+" is still later than "+
			now.Add(skew).UTC().Format(amzDateLayout)+" ("+now.UTC().Format(amzDateLayout)+" + "+skewText(skew)+".)")
	}
	if a.presigned {
		validity := a.expires
		if validity == 0 {
			validity = skew
		}
		if now.Sub(t) > validity {
			return newErr(KindPresignExpired, MsgPresignExpired)
		}
		return nil
	}
	if now.Sub(t) > skew {
		return newErr(KindSkew, "Signature expired: "+t.Format(amzDateLayout)+" is now earlier than "+
			now.Add(-skew).UTC().Format(amzDateLayout)+" ("+now.UTC().Format(amzDateLayout)+" - "+skewText(skew)+".)")
	}
	return nil
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}

// equalCT compares two strings in constant time (for equal lengths) without
// copying them.
func equalCT(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var x byte
	for i := 0; i < len(a); i++ {
		x |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(x, 0) == 1
}

// scratch holds the reusable buffers of one verification.
type scratch struct {
	canon, uri, uriAlt, query, hdrs, hdrsAlt, sts, qtmp, name, secret []byte
	pairs                                                             []qpair
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{canon: make([]byte, 0, 512), sts: make([]byte, 0, 256), hdrs: make([]byte, 0, 256)}
}}

const maxPooledBuf = 64 << 10

func putScratch(s *scratch) {
	if cap(s.canon) > maxPooledBuf || cap(s.qtmp) > maxPooledBuf || cap(s.hdrs) > maxPooledBuf || cap(s.hdrsAlt) > maxPooledBuf || cap(s.query) > maxPooledBuf {
		return
	}
	scratchPool.Put(s)
}

func mismatch() *Error { return newErr(KindSignatureMismatch, MsgSignatureMismatch) }

func (v *Verifier) checkSignature(r *http.Request, a *authInfo, cred *Credential, body []byte) *Error {
	var want [32]byte
	if !decodeSignature(a.signature, &want) {
		return mismatch()
	}

	// Payload hash candidates.
	var bodyHex [64]byte
	if len(body) == 0 {
		copy(bodyHex[:], emptyPayloadHash) // GET, DELETE
	} else {
		sum := sha256.Sum256(body)
		hex.Encode(bodyHex[:], sum[:])
	}
	var payloads [2]string // a literal from the request; "" = bodyHex
	np := 1
	if ph := r.Header["X-Amz-Content-Sha256"]; len(ph) > 0 {
		if len(ph) > 1 || ph[0] != UnsignedPayload && !hexEqualFold(ph[0], bodyHex[:]) {
			return newErr(KindSignatureMismatch, MsgPayloadHashMismatch)
		}
		payloads[0] = ph[0]
	} else if a.presigned {
		payloads[1], np = UnsignedPayload, 2
	}

	s := scratchPool.Get().(*scratch)
	defer putScratch(s)

	path, rawQuery := requestTarget(r)
	s.uri = appendCanonicalURI(s.uri[:0], path)
	uris := [2][]byte{s.uri}
	nu := 1
	if np, changed := botocorePath(path); changed {
		s.uriAlt = appendCanonicalURI(s.uriAlt[:0], np)
		uris[1], nu = s.uriAlt, 2
	}
	s.query = appendCanonicalQuery(s.query[:0], rawQuery, a.presigned, s)
	var ok, odd bool
	s.hdrs, ok, odd = appendCanonicalHeaders(s.hdrs[:0], r, a.signedHeaders, false, s)
	if !ok {
		return mismatch()
	}
	hdrs := [2][]byte{s.hdrs}
	nh := 1
	if odd {
		s.hdrsAlt, _, _ = appendCanonicalHeaders(s.hdrsAlt[:0], r, a.signedHeaders, true, s)
		if !bytesEqual(s.hdrsAlt, s.hdrs) {
			hdrs[1], nh = s.hdrsAlt, 2
		}
	}

	// String to sign, behind the HMAC inner pad: the last 64 bytes (the hex
	// hash of the canonical request) change per candidate.
	key := v.signingKey(a, cred, s)
	sts := s.sts[:0]
	for i := 0; i < 64; i++ {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		sts = append(sts, k^0x36)
	}
	sts = append(sts, algorithm+"\n"...)
	sts = a.signedAt.AppendFormat(sts, amzDateLayout)
	sts = append(sts, '\n')
	sts = append(sts, a.scope...)
	sts = append(sts, '\n')
	hashAt := len(sts)
	sts = append(sts, make([]byte, 64)...)
	s.sts = sts

	for ip := 0; ip < np; ip++ {
		for iu := 0; iu < nu; iu++ {
			for ih := 0; ih < nh; ih++ {
				c := s.canon[:0]
				c = append(c, r.Method...)
				c = append(c, '\n')
				c = append(c, uris[iu]...)
				c = append(c, '\n')
				c = append(c, s.query...)
				c = append(c, '\n')
				c = append(c, hdrs[ih]...)
				c = append(c, '\n')
				c = append(c, a.signedHeaders...)
				c = append(c, '\n')
				if payloads[ip] == "" {
					c = append(c, bodyHex[:]...)
				} else {
					c = append(c, payloads[ip]...)
				}
				s.canon = c
				h := sha256.Sum256(c)
				hex.Encode(sts[hashAt:], h[:])
				mac := hmacOuter(&key, sha256.Sum256(sts))
				if subtle.ConstantTimeCompare(mac[:], want[:]) == 1 {
					return nil
				}
			}
		}
	}
	e := mismatch()
	e.Detail = "the server's string to sign was " + strconv.Quote(string(sts[64:])) + " with SignedHeaders=" + a.signedHeaders
	return e
}

// emptyPayloadHash is the hex SHA-256 of an empty body.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// hexEqualFold compares a client-supplied hex string with lower-case hex.
func hexEqualFold(s string, lower []byte) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// hmacOuter finishes HMAC-SHA256 for a 32-byte key given the inner hash.
func hmacOuter(key *[32]byte, inner [32]byte) [32]byte {
	var buf [96]byte
	for i := 0; i < 64; i++ {
		var k byte
		if i < 32 {
			k = key[i]
		}
		buf[i] = k ^ 0x5c
	}
	copy(buf[64:], inner[:])
	return sha256.Sum256(buf[:])
}

// decodeSignature accepts exactly 64 lower-case hex digits, as the SDKs send.
func decodeSignature(s string, out *[32]byte) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < 32; i++ {
		hi, lo := s[2*i], s[2*i+1]
		if !isLowerHex(hi) || !isLowerHex(lo) {
			return false
		}
		out[i] = unhex(hi)<<4 | unhex(lo)
	}
	return true
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// signingKey returns the derived key for the request scope, from the cache
// when possible. The cache is bounded: it is emptied when it reaches
// maxCachedKeys entries.
func (v *Verifier) signingKey(a *authInfo, cred *Credential, s *scratch) [32]byte {
	s.secret = append(s.secret[:0], cred.Secret...)
	id := keyID{accessKeyID: a.AccessKeyID, secret: sha256.Sum256(s.secret), date: a.Date, region: a.Region, service: a.Service}
	clear(s.secret)
	v.mu.RLock()
	k, ok := v.keys[id]
	v.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveKey(cred.Secret, a.Date, a.Region, a.Service)
	// Do not pin the request's header string in the cache.
	id.accessKeyID = strings.Clone(id.accessKeyID)
	id.date = strings.Clone(id.date)
	id.region = strings.Clone(id.region)
	id.service = strings.Clone(id.service)
	v.mu.Lock()
	if v.keys == nil || len(v.keys) >= maxCachedKeys {
		v.keys = make(map[keyID][32]byte)
	}
	v.keys[id] = k
	v.mu.Unlock()
	return k
}

func deriveKey(secret, date, region, service string) [32]byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, terminator)
	var out [32]byte
	copy(out[:], k)
	return out
}
