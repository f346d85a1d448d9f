package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm     = "AWS4-HMAC-SHA256"
	terminator    = "aws4_request"
	amzDateLayout = "20060102T150405Z"
	maxExpires    = 604800 // seven days, in seconds
	maxEcho       = 512    // longest client-supplied text echoed in a message
)

// ScopeInfo is the credential scope of a request: the access key id and the
// date/region/service of "AKID/YYYYMMDD/REGION/SERVICE/aws4_request".
type ScopeInfo struct {
	AccessKeyID string
	Date        string // YYYYMMDD
	Region      string
	Service     string
}

// authInfo is everything parse extracts from a request before any crypto.
type authInfo struct {
	ScopeInfo
	presigned     bool
	scope         string // "YYYYMMDD/REGION/SERVICE/aws4_request"
	signedHeaders string // verbatim, as the client sent it
	signature     string
	signedAt      time.Time
	expires       time.Duration // presigned only; 0 = no X-Amz-Expires
	token         string
	hasToken      bool
	badToken      bool // the token was given more than once
}

// Scope reads only the credential scope of r (no crypto, no credential
// lookup) so that a server can route by service before verifying. It accepts
// both the Authorization header and the presigned query form. It returns an
// *Error of KindMissing when r carries no authentication at all and of
// KindIncomplete when the authentication is malformed; the checks are exactly
// the parse-level checks Verify does first, so a request that passes Scope
// fails Verify only for a reason of another Kind.
func Scope(r *http.Request) (ScopeInfo, error) {
	a, err := parse(r)
	if err != nil {
		return ScopeInfo{}, err
	}
	return a.ScopeInfo, nil
}

// parse finds the authentication mechanism of r and checks its syntax.
func parse(r *http.Request) (authInfo, *Error) {
	if r == nil {
		return authInfo{}, newErr(KindMissing, MsgMissing)
	}
	_, rawQuery := requestTarget(r)
	qa := scanQueryAuth(rawQuery)
	hasQueryAuth := qa.algorithm.n > 0 || qa.credential.n > 0 || qa.signature.n > 0
	authVals := r.Header["Authorization"]
	switch {
	case len(authVals) > 0 && hasQueryAuth:
		return authInfo{}, incomplete(MsgDoubleAuth)
	case len(authVals) > 0:
		return parseHeaderAuth(r, authVals)
	case hasQueryAuth:
		return parsePresigned(r, &qa)
	}
	return authInfo{}, newErr(KindMissing, MsgMissing)
}

// parseHeaderAuth parses
//
//	Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=<hex>
//
// The algorithm is followed by a space or a tab. The three parameters may
// come in any order, separated by commas with optional spaces or tabs (empty
// parts are ignored); each must appear exactly once and no other parameter is
// allowed.
func parseHeaderAuth(r *http.Request, vals []string) (authInfo, *Error) {
	var a authInfo
	if len(vals) > 1 {
		return a, incomplete("Authorization header may only be specified once.")
	}
	auth := vals[0]
	s := strings.TrimLeft(auth, " \t")
	alg, rest := s, ""
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		alg, rest = s[:i], s[i+1:]
	}

	var cred, signedHeaders, sig string
	var haveCred, haveSH, haveSig bool
	if alg == algorithm {
		for rest != "" {
			var part string
			part, rest, _ = strings.Cut(rest, ",")
			part = strings.Trim(part, " \t")
			if part == "" {
				continue // tolerate a stray comma
			}
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return a, incomplete("'" + echo(part) + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + echo(auth) + "'.")
			}
			var dup bool
			switch k {
			case "Credential":
				dup, haveCred, cred = haveCred, true, v
			case "SignedHeaders":
				dup, haveSH, signedHeaders = haveSH, true, v
			case "Signature":
				dup, haveSig, sig = haveSig, true, v
			default:
				return a, incomplete("'" + echo(k) + "' is not a valid parameter in Authorization header: '" + echo(auth) + "'.")
			}
			if dup {
				return a, incomplete("Authorization header has a duplicate '" + k + "' parameter: '" + echo(auth) + "'.")
			}
		}
	} else if strings.HasPrefix(alg, "AWS") {
		// Another AWS scheme (SigV2 "AWS AKID:sig", SigV4a "AWS4-ECDSA-P256-SHA256", ...).
		return a, incomplete("Unsupported AWS 'algorithm': '" + echo(alg) + "'.")
	}
	// Anything else (for example "Bearer ...") is reported the way AWS does:
	// as a header that lacks every SigV4 parameter.

	t, dateErr, dateMissing := headerDate(r)
	var msg strings.Builder
	if !haveCred {
		msg.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if !haveSig {
		msg.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if !haveSH {
		msg.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if dateMissing {
		msg.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if msg.Len() > 0 {
		msg.WriteString("Authorization=")
		msg.WriteString(echo(auth))
		return a, incomplete(msg.String())
	}
	if dateErr != nil {
		return a, dateErr
	}
	si, scope, err := parseCredential(cred)
	if err != nil {
		return a, err
	}
	if !hasHost(signedHeaders) {
		return a, incomplete(MsgHostNotSigned)
	}
	a.ScopeInfo, a.scope = si, scope
	a.signedHeaders, a.signature, a.signedAt = signedHeaders, sig, t
	switch tv := r.Header["X-Amz-Security-Token"]; {
	case len(tv) > 1:
		a.badToken = true
	case len(tv) == 1 && tv[0] != "":
		a.token, a.hasToken = tv[0], true
	}
	return a, nil
}

// headerDate returns the signing time of a header-signed request: the
// X-Amz-Date header (YYYYMMDDTHHMMSSZ) when present, else the Date header
// (RFC 1123, with a zone name or a numeric zone as botocore writes it, or the
// other HTTP date forms).
func headerDate(r *http.Request) (t time.Time, err *Error, missing bool) {
	if v := firstHeader(r.Header, "X-Amz-Date"); v != "" {
		t, ok := parseAmzDate(v)
		if !ok {
			return t, incomplete("Date must be in ISO-8601 'basic format'. Got '" + echo(v) + "'. See http://en.wikipedia.org/wiki/ISO_8601"), false
		}
		return t, nil, false
	}
	if v := firstHeader(r.Header, "Date"); v != "" {
		for _, layout := range []string{time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC} {
			if t, e := time.Parse(layout, v); e == nil {
				return t.UTC(), nil, false
			}
		}
		return t, incomplete("Date must be in RFC 1123 format. Got '" + echo(v) + "'."), false
	}
	return t, nil, true
}

func firstHeader(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parsePresigned parses the presigned query form (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Signature, and the
// optional X-Amz-Expires and X-Amz-Security-Token). Every auth parameter may
// appear at most once.
func parsePresigned(r *http.Request, qa *queryAuth) (authInfo, *Error) {
	var a authInfo
	a.presigned = true
	var msg strings.Builder
	type named struct {
		name string
		v    *qparam
	}
	required := []named{
		{"X-Amz-Algorithm", &qa.algorithm},
		{"X-Amz-Credential", &qa.credential},
		{"X-Amz-Signature", &qa.signature},
		{"X-Amz-Date", &qa.date},
		{"X-Amz-SignedHeaders", &qa.signedHeaders},
	}
	for _, p := range required {
		if p.v.n == 0 {
			msg.WriteString("AWS query-string parameters must include '" + p.name + "'. ")
		}
	}
	if msg.Len() > 0 {
		msg.WriteString("Re-examine the query-string parameters.")
		return a, incomplete(msg.String())
	}
	for _, p := range append(required, named{"X-Amz-Expires", &qa.expires}) {
		if p.v.n > 1 {
			return a, incomplete("AWS query-string parameter '" + p.name + "' must be specified only once.")
		}
	}
	if alg := unescapeQuery(qa.algorithm.raw); alg != algorithm {
		return a, incomplete("X-Amz-Algorithm only supports \"" + algorithm + "\"")
	}
	si, scope, err := parseCredential(unescapeQuery(qa.credential.raw))
	if err != nil {
		return a, err
	}
	date := unescapeQuery(qa.date.raw)
	t, ok := parseAmzDate(date)
	if !ok {
		return a, incomplete("Date must be in ISO-8601 'basic format'. Got '" + echo(date) + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if qa.expires.n == 1 {
		ev := unescapeQuery(qa.expires.raw)
		n, perr := strconv.ParseInt(ev, 10, 64)
		switch {
		case perr != nil && !isDigits(ev):
			return a, incomplete("X-Amz-Expires should be a number")
		case perr != nil || n > maxExpires:
			return a, incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
		case n < 1:
			return a, incomplete("X-Amz-Expires must be greater than 0")
		}
		a.expires = time.Duration(n) * time.Second
	}
	signedHeaders := unescapeQuery(qa.signedHeaders.raw)
	if !hasHost(signedHeaders) {
		return a, incomplete(MsgHostNotSigned)
	}
	a.ScopeInfo, a.scope = si, scope
	a.signedHeaders, a.signature, a.signedAt = signedHeaders, unescapeQuery(qa.signature.raw), t
	switch {
	case qa.token.n > 1:
		a.badToken = true
	case qa.token.n == 1:
		a.token = unescapeQuery(qa.token.raw)
		a.hasToken = a.token != ""
	default:
		// Not hoisted into the query: accept it from the header.
		switch tv := r.Header["X-Amz-Security-Token"]; {
		case len(tv) > 1:
			a.badToken = true
		case len(tv) == 1 && tv[0] != "":
			a.token, a.hasToken = tv[0], true
		}
	}
	return a, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCredential splits "AKID/YYYYMMDD/REGION/SERVICE/aws4_request".
//
// Structural problems are KindIncomplete (AWS answers IncompleteSignature for
// the element count; for a bad terminator, date syntax or an empty region or
// service AWS is not documented, and we choose KindIncomplete so that Scope
// can report them too). An empty access key id is left to Verify, which
// reports it as an unknown key. The scope date is compared with the request
// date by Verify (KindSignatureMismatch, as AWS does).
func parseCredential(c string) (ScopeInfo, string, *Error) {
	var si ScopeInfo
	if strings.Count(c, "/") != 4 {
		return si, "", incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + echo(c) + "'")
	}
	akid, scope, _ := strings.Cut(c, "/")
	date, rest, _ := strings.Cut(scope, "/")
	region, rest, _ := strings.Cut(rest, "/")
	service, term, _ := strings.Cut(rest, "/")
	if term != terminator {
		return si, "", incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not '" + echo(term) + "'.")
	}
	if !validScopeDate(date) {
		return si, "", incomplete("Credential should be scoped to a valid date (YYYYMMDD), not '" + echo(date) + "'.")
	}
	if region == "" {
		return si, "", incomplete("Credential should be scoped to a valid region, not ''.")
	}
	if service == "" {
		return si, "", incomplete("Credential should be scoped to a valid service, not ''.")
	}
	return ScopeInfo{AccessKeyID: akid, Date: date, Region: region, Service: service}, scope, nil
}

// hasHost reports whether the ;-separated SignedHeaders list names host.
func hasHost(list string) bool {
	for list != "" {
		var name string
		name, list, _ = strings.Cut(list, ";")
		if strings.EqualFold(name, "host") {
			return true
		}
	}
	return false
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func validScopeDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[4:6])
	d, ok3 := digits(s[6:8])
	return ok1 && ok2 && ok3 && validDate(y, m, d)
}

// parseAmzDate parses exactly YYYYMMDDTHHMMSSZ (UTC).
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[4:6])
	d, ok3 := digits(s[6:8])
	h, ok4 := digits(s[9:11])
	mi, ok5 := digits(s[11:13])
	se, ok6 := digits(s[13:15])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || !validDate(y, mo, d) || h > 23 || mi > 59 || se > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC), true
}

// echo bounds client-supplied text quoted back in a message.
func echo(s string) string {
	if len(s) > maxEcho {
		return s[:maxEcho] + "..."
	}
	return s
}

// qparam counts one auth query parameter and keeps its first raw value.
type qparam struct {
	n   int
	raw string
}

type queryAuth struct {
	algorithm, credential, date, expires, signedHeaders, signature, token qparam
}

// scanQueryAuth finds the SigV4 auth parameters in a raw query string without
// allocating (keys are compared in decoded form).
func scanQueryAuth(raw string) queryAuth {
	var qa queryAuth
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(seg, "=")
		if len(k) < len("X-Amz-Date") {
			continue
		}
		var p *qparam
		switch {
		case queryKeyIs(k, "X-Amz-Algorithm"):
			p = &qa.algorithm
		case queryKeyIs(k, "X-Amz-Credential"):
			p = &qa.credential
		case queryKeyIs(k, "X-Amz-Date"):
			p = &qa.date
		case queryKeyIs(k, "X-Amz-Expires"):
			p = &qa.expires
		case queryKeyIs(k, "X-Amz-SignedHeaders"):
			p = &qa.signedHeaders
		case queryKeyIs(k, "X-Amz-Signature"):
			p = &qa.signature
		case queryKeyIs(k, "X-Amz-Security-Token"):
			p = &qa.token
		default:
			continue
		}
		if p.n == 0 {
			p.raw = v
		}
		p.n++
	}
	return qa
}

// queryKeyIs reports whether the raw query component k decodes to want.
func queryKeyIs(k, want string) bool {
	j := 0
	for i := 0; i < len(k); i++ {
		c, w := decodeAt(k, i)
		i += w - 1
		if j >= len(want) || want[j] != c {
			return false
		}
		j++
	}
	return j == len(want)
}

// decodeAt decodes the query byte at s[i]: "+" is a space, "%XX" is one byte,
// and a '%' that does not start a valid escape stands for itself. It returns
// the byte and the number of input bytes consumed.
func decodeAt(s string, i int) (byte, int) {
	switch c := s[i]; c {
	case '+':
		return ' ', 1
	case '%':
		if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			return unhex(s[i+1])<<4 | unhex(s[i+2]), 3
		}
		return c, 1
	default:
		return c, 1
	}
}

// unescapeQuery decodes one query component with decodeAt's rules.
func unescapeQuery(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c, w := decodeAt(s, i)
		i += w - 1
		b = append(b, c)
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
