package sigv4_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/sigv4"
)

// genCase is one randomized request, signed by the SDK.
type genCase struct {
	method   string
	rawURL   string // path and query as written by the test (before the SDK rewrites the query)
	host     string // "" = the URL's host
	headers  [][2]string
	body     []byte
	cred     *sigv4.Credential
	sdkToken bool // hand the session token to the SDK signer
	service  string
	region   string
	presign  bool
	expires  int // presigned: X-Amz-Expires (0 = none)
	payload  string
}

func (c genCase) String() string {
	return fmt.Sprintf("%s %s host=%q presign=%v expires=%d payload=%q cred=%s %s/%s headers=%q body=%q",
		c.method, c.rawURL, c.host, c.presign, c.expires, c.payload, c.cred.AccessKeyID, c.region, c.service, c.headers, c.body)
}

var (
	pathSegments = []string{
		"user", "federate", "0f8fad5b-d9cb-469f-a165-70867728950e", "a%2Fb", "%2F", "x%2fy",
		"a%20b", "a b", "ü", "%C3%BC", "日本", "%E6%97%A5%E6%9C%AC", "a:b", "a+b", "k=v", "~tilde",
		"!$&'()*,;@", "%25", "%2525", "", ".", "..", "-_.~", "%7E", "a%3Db",
	}
	queryKeys   = []string{"a", "b", "A", "key", "x-amz-meta", "k%20y", "k+y", "%E6%97%A5", "ü", "a.b", "a~b", "%2F", "%3D", "=", ""}
	queryValues = []string{"", "1", "2", "x%20y", "x+y", "a/b", "a%2Fb", "%25", "ü", "%C3%BC", "日本", "!*'()", "=", "a=b", "%zz", "~._-", ";", ":@"}
	headerVals  = []string{"plain", "a  b", "  lead", "trail  ", "a \t b", "tab\there", "ünï", "a,b", "", "x   y   z",
		"application/x-amz-json-1.1", "\"quoted\"", "0f8fad5b"}
	scopes = [][2]string{{"us-east-1", "connect"}, {"eu-west-2", "sts"}, {"us-east-1", "iam"}, {"ap-southeast-2", "connect"}}
)

func genRandomCase(rng *rand.Rand) genCase {
	c := genCase{}
	c.method = []string{"GET", "PUT", "POST", "DELETE", "PATCH"}[rng.IntN(5)]
	var p strings.Builder
	for n := rng.IntN(5); n >= 0; n-- {
		p.WriteString("/")
		p.WriteString(pathSegments[rng.IntN(len(pathSegments))])
	}
	if rng.IntN(6) == 0 {
		p.WriteString("/")
	}
	u := p.String()
	if nq := rng.IntN(5); nq > 0 {
		var q []string
		for range nq {
			k := queryKeys[rng.IntN(len(queryKeys))]
			switch rng.IntN(4) {
			case 0:
				q = append(q, k) // key without '='
			default:
				q = append(q, k+"="+queryValues[rng.IntN(len(queryValues))])
			}
			if rng.IntN(4) == 0 {
				q = append(q, q[len(q)-1]) // repeated pair
			}
		}
		u += "?" + strings.Join(q, "&")
	}
	c.rawURL = u
	if rng.IntN(3) == 0 {
		c.host = "connect.us-east-1.amazonaws.com"
	}
	for i := range rng.IntN(4) {
		name := "X-Test-" + strconv.Itoa(i)
		c.headers = append(c.headers, [2]string{name, headerVals[rng.IntN(len(headerVals))]})
		if rng.IntN(3) == 0 {
			c.headers = append(c.headers, [2]string{name, headerVals[rng.IntN(len(headerVals))]})
		}
	}
	if rng.IntN(2) == 0 {
		c.headers = append(c.headers, [2]string{"Content-Type", "application/json"})
	}
	if rng.IntN(3) == 0 {
		c.headers = append(c.headers, [2]string{"X-Amz-Target", "Connect.GetFederationToken"})
	}
	if n := rng.IntN(4); n > 0 {
		c.body = make([]byte, rng.IntN(200)+1)
		for i := range c.body {
			c.body[i] = byte(rng.UintN(256))
		}
	}
	if rng.IntN(3) == 0 {
		c.cred, c.sdkToken = tempCred, true
	} else {
		c.cred = longCred
	}
	sc := scopes[rng.IntN(len(scopes))]
	c.region, c.service = sc[0], sc[1]
	c.presign = rng.IntN(3) == 0
	switch rng.IntN(5) {
	case 0:
		c.payload = "UNSIGNED-PAYLOAD"
		if !c.presign || rng.IntN(2) == 0 {
			c.headers = append(c.headers, [2]string{"X-Amz-Content-Sha256", c.payload})
		}
	case 1:
		c.payload = hashHex(c.body)
		c.headers = append(c.headers, [2]string{"X-Amz-Content-Sha256", c.payload})
	default:
		c.payload = hashHex(c.body)
	}
	if c.presign {
		if rng.IntN(4) != 0 {
			c.expires = 1 + rng.IntN(3600)
		}
		if rng.IntN(3) == 0 {
			c.headers = append(c.headers, [2]string{"X-Amz-Foo", "hoisted into the query"})
		}
	}
	return c
}

// build makes the signed client request for base ("http://host:port").
func (c genCase) build(t testing.TB, base string) *http.Request {
	t.Helper()
	u, err := url.Parse(base + c.rawURL)
	if err != nil {
		t.Fatalf("url %q: %v", c.rawURL, err)
	}
	if c.presign && c.expires > 0 {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "X-Amz-Expires=" + strconv.Itoa(c.expires)
	}
	req, err := http.NewRequest(c.method, u.String(), bodyReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL = u // keep RawPath exactly as parsed
	if c.host != "" {
		req.Host = c.host
	}
	for _, h := range c.headers {
		req.Header.Add(h[0], h[1])
	}
	creds := sdkCreds(c.cred)
	if !c.sdkToken {
		creds.SessionToken = ""
	}
	if c.presign {
		return presign(t, req, c.body, creds, c.payload, c.service, c.region, t0)
	}
	signHeader(t, req, c.body, creds, c.payload, c.service, c.region, t0)
	return req
}

func checkResult(t *testing.T, c genCase, res *sigv4.Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("verify failed: %v\ncase: %v", err, c)
	}
	if res.Region != c.region || res.Service != c.service || res.Presigned != c.presign ||
		res.Credential != c.cred || !res.SignedAt.Equal(t0) {
		t.Fatalf("result %+v\ncase: %v", res, c)
	}
}

// TestDifferentialSDK signs randomized requests with aws-sdk-go-v2 (SignHTTP
// and PresignHTTP) and verifies them as a Go server sees them: the first
// viaServer cases through a real httptest server, the rest through
// Request.Write + http.ReadRequest.
func TestDifferentialSDK(t *testing.T) {
	const total, viaServer = 1200, 200
	rng := rand.New(rand.NewPCG(20260304, 1))
	ver := newVerifier(t0.Add(2 * time.Second))

	type outcome struct {
		res *sigv4.Result
		err error
	}
	results := make(chan outcome, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			results <- outcome{nil, err}
			return
		}
		res, err := ver.Verify(r.Context(), r, body)
		results <- outcome{res, err}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	client := srv.Client()

	var presigned, tokens int
	for i := range total {
		c := genRandomCase(rng)
		if c.presign {
			presigned++
		}
		if c.sdkToken {
			tokens++
		}
		req := c.build(t, srv.URL)
		if i < viaServer {
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("case %d: %v\ncase: %v", i, err, c)
			}
			resp.Body.Close()
			o := <-results
			checkResult(t, c, o.res, o.err)
			continue
		}
		r, body := roundTrip(t, req)
		res, err := ver.Verify(context.Background(), r, body)
		checkResult(t, c, res, err)
	}
	t.Logf("%d cases (%d via a real server), %d presigned, %d with session tokens", total, viaServer, presigned, tokens)
	if presigned < total/5 || tokens < total/5 {
		t.Fatalf("generator is not mixing enough: %d presigned, %d tokens", presigned, tokens)
	}
}

// TestDifferentialInProcess verifies SDK-signed client requests directly,
// without a trip through the wire (RequestURI empty: the URL is used).
func TestDifferentialInProcess(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	ver := newVerifier(t0.Add(time.Second))
	for range 300 {
		c := genRandomCase(rng)
		req := c.build(t, "https://connect.example.com")
		var body []byte
		if c.body != nil {
			body = c.body
		}
		res, err := ver.Verify(context.Background(), req, body)
		checkResult(t, c, res, err)
	}
}
