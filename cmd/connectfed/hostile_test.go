package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	_ "modernc.org/sqlite" // database/sql driver for reading the store file

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/postgres"
	"github.com/connectfed/connectfed/sqlite"
)

// --- helpers shared by hostile_test.go, isolation_test.go, secrets_test.go ---

// hxCreds are SigV4 credentials (token empty for long-term keys).
type hxCreds struct{ key, secret, token string }

var hxRoot = hxCreds{"test", "test", ""}

// hxSign builds a request to srv signed with the SDK's signer for any
// credentials, service, region and signing time.
func hxSign(t *testing.T, srv *server, cr hxCreds, method, path, service, region string, body []byte, hdr map[string]string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, srv.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cr.key, SecretAccessKey: cr.secret, SessionToken: cr.token},
		req, hex.EncodeToString(sum[:]), service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// hxResp is a response as the hostile tests look at it.
type hxResp struct {
	status int
	header http.Header
	body   string
}

// hxClient never follows redirects, so a 3xx is seen as such.
var hxClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func hxDo(t *testing.T, req *http.Request) hxResp {
	t.Helper()
	resp, err := hxClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return hxResp{resp.StatusCode, resp.Header, string(b)}
}

// hxRaw writes raw bytes to the server over TCP and reads the first
// response. halfClose shuts the write side after sending (a client that
// declared more body than it sent).
func hxRaw(t *testing.T, srv *server, raw string, halfClose bool) hxResp {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	if halfClose {
		conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return hxResp{resp.StatusCode, resp.Header, string(b)}
}

// storeDump is every record of every registered kind in the store of
// dataDir (SQLite, or the PostgreSQL schema of the pass), read through the
// Store contract with the server stopped: kind, key and value of each, in
// order. In the SQLite pass it also checks that the records table holds no
// kind the registry does not list, so nothing escapes the comparison.
func storeDump(t *testing.T, dataDir string) string {
	t.Helper()
	ctx := context.Background()
	var store connectfed.Store
	var err error
	if e2eStore == "postgres" {
		pgSchemasMu.Lock()
		dsn := pgSchemas[dataDir]
		pgSchemasMu.Unlock()
		store, err = postgres.Open(ctx, dsn)
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(dataDir, "connectfed.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	kinds := slices.Sorted(maps.Keys(connectfed.Kinds()))
	var out strings.Builder
	err = store.View(ctx, func(tx connectfed.Tx) error {
		for _, kind := range kinds {
			es, err := tx.List(kind, "", "", 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(&out, "kind %s rows=%d\n", kind, len(es))
			for _, e := range es {
				fmt.Fprintf(&out, "%s|%s|%s\n", hex.EncodeToString([]byte(kind)), hex.EncodeToString([]byte(e.Key)), hex.EncodeToString(e.Value))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if e2eStore != "postgres" {
		checkKindsRegistered(t, dataDir)
	}
	return out.String()
}

// checkKindsRegistered fails t if the SQLite store holds a kind the
// registry does not list (storeDump would not see it).
func checkKindsRegistered(t *testing.T, dataDir string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "connectfed.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT DISTINCT kind FROM records`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	registered := connectfed.Kinds()
	for rows.Next() {
		var k string
		rows.Scan(&k)
		if _, ok := registered[k]; !ok {
			t.Errorf("the store holds records of kind %q, which no package registered", k)
		}
	}
}

// firstDiff lists the rows (decoded where they are text) that only one of
// two dumps has.
func firstDiff(a, b string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	am, bm := count(a), count(b)
	var out strings.Builder
	show := func(tag, l string) {
		var parts []string
		for _, p := range strings.Split(l, "|") {
			if d, err := hex.DecodeString(p); err == nil {
				p = string(d)
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(&out, "\n  %s %.400s", tag, strings.Join(parts, " | "))
	}
	for _, l := range strings.Split(a, "\n") {
		if am[l] > bm[l] {
			show("only before:", l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if bm[l] > am[l] {
			show("only after: ", l)
		}
	}
	return out.String()
}

// sessionCreds retrieves the static credentials of an SDK config.
func sessionCreds(t *testing.T, cfg aws.Config) hxCreds {
	t.Helper()
	c, err := cfg.Credentials.Retrieve(context.Background())
	must(t, err)
	return hxCreds{c.AccessKeyID, c.SecretAccessKey, c.SessionToken}
}

// otherAccountSession makes, in account 111111111111, an IAM user and a
// role it may assume, and returns a session of that role.
func otherAccountSession(t *testing.T, f *fedFixture, user, role string) hxCreds {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(f.config("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""))
	_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)})
	must(t, err)
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	must(t, err)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + otherAccount + `:user/` + user + `"},"Action":"sts:AssumeRole"}]}`
	r, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, err)
	out, err := sts.NewFromConfig(f.config(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")).AssumeRole(ctx,
		&sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("alice")})
	must(t, err)
	return hxCreds{*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken}
}

// --- TestHostileInput ---

// hostileCase is one malformed or malicious request and what it must get.
type hostileCase struct {
	name string
	// req builds the request; raw, when set, is sent verbatim over TCP
	// instead (halfClose shuts the write side after it).
	req       func() *http.Request
	raw       string
	halfClose bool
	status    int
	// kind is the answer's shape: "rest" (X-Amzn-ErrorType + JSON Message),
	// "head" (rest without a body), "query" (XML ErrorResponse with
	// <Code>errType</Code>), "tokenjson" (the token endpoints' JSON error),
	// "inactive" ({"Active":false}), "html" (a page), "plain" (net/http's
	// own answer: no shape).
	kind    string
	errType string
}

func (c hostileCase) check(t *testing.T, r hxResp) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("status %d (server error): %.500s", r.status, r.body)
	}
	if r.status != c.status {
		t.Errorf("status = %d, want %d; type %q body %.300s", r.status, c.status, r.header.Get("X-Amzn-ErrorType"), r.body)
	}
	if strings.Contains(r.body, "goroutine ") || strings.Contains(r.body, "panic") || strings.Contains(r.body, ".go:") {
		t.Errorf("body looks like an internal trace: %.500s", r.body)
	}
	switch c.kind {
	case "rest", "head", "tokenjson":
		if got := r.header.Get("X-Amzn-ErrorType"); got != c.errType {
			t.Errorf("X-Amzn-ErrorType = %q, want %q (body %.300s)", got, c.errType, r.body)
		}
		if c.kind != "tokenjson" && r.header.Get("x-amzn-RequestId") == "" {
			t.Errorf("no x-amzn-RequestId")
		}
		if c.kind == "head" {
			return
		}
		var body struct{ Message *string }
		if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Message == nil || *body.Message == "" {
			t.Errorf("body %.300s is not {\"Message\": ...}", r.body)
		}
	case "query":
		if !strings.Contains(r.body, "<ErrorResponse") || !strings.Contains(r.body, "<Code>"+c.errType+"</Code>") || !strings.Contains(r.body, "<RequestId>") {
			t.Errorf("body = %.400s, want an XML ErrorResponse with Code %s", r.body, c.errType)
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/xml") {
			t.Errorf("Content-Type = %q", r.header.Get("Content-Type"))
		}
	case "inactive":
		var body map[string]any
		if err := json.Unmarshal([]byte(r.body), &body); err != nil || body["Active"] != false || len(body) != 1 {
			t.Errorf("body = %.300s, want {\"Active\":false}", r.body)
		}
	case "html":
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("Content-Type = %q, want a page", r.header.Get("Content-Type"))
		}
		if r.header.Get("Set-Cookie") != "" && !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("a refused request set a cookie: %s", r.header.Get("Set-Cookie"))
		}
	case "plain":
	default:
		t.Fatalf("unknown kind %q", c.kind)
	}
}

// TestHostileInput sends malformed and malicious requests of every kind
// to one server: each gets a clean 4xx in the shape its protocol uses, and
// together they change nothing in the store, byte for byte.
func TestHostileInput(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	// Everything that legitimately writes happens before the snapshot.
	tok := f.federate(t)
	access, refresh := *tok.Credentials.AccessToken, *tok.Credentials.RefreshToken
	sess1 := sessionCreds(t, f.assume(t, "alice", 900))
	sess2 := sessionCreds(t, f.assume(t, "alice", 900))
	otherSess := otherAccountSession(t, f, "other-app", "OtherRole")
	appKey := hxCreds{f.appKey, f.appSecret, ""}
	if _, err := sts.NewFromConfig(f.config(sess1.key, sess1.secret, sess1.token)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("session 1 does not work: %v", err)
	}

	// Snapshot with the server stopped, then serve the same data again.
	dir := f.srv.dataDir
	f.srv.stop()
	before := storeDump(t, dir)
	if !strings.Contains(before, "kind instance rows=1") || strings.Count(before, "\n") < 20 {
		t.Fatalf("the store dump looks empty:\n%s", before)
	}
	f.srv = startServerClock(t, dir, f.clock.Now)
	srv := f.srv
	host := strings.TrimPrefix(srv.url, "http://")
	inst, uid := f.instanceID, f.userID

	now := time.Now
	sign := func(method, path string, body []byte) func() *http.Request {
		return func() *http.Request {
			return hxSign(t, srv, hxRoot, method, path, "connect", "us-east-1", body, nil, now())
		}
	}
	signJSON := func(method, path, body string) func() *http.Request { return sign(method, path, []byte(body)) }
	signAs := func(cr hxCreds, method, path, service string, body []byte) func() *http.Request {
		return func() *http.Request { return hxSign(t, srv, cr, method, path, service, "us-east-1", body, nil, now()) }
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	signQuery := func(service, body string) func() *http.Request {
		return func() *http.Request {
			return hxSign(t, srv, hxRoot, "POST", "/", service, "us-east-1", []byte(body), form, now())
		}
	}
	plain := func(method, path, ctype, body string) func() *http.Request {
		return func() *http.Request {
			r, err := http.NewRequest(method, srv.url+path, strings.NewReader(body))
			must(t, err)
			if ctype != "" {
				r.Header.Set("Content-Type", ctype)
			}
			return r
		}
	}
	// mutate signs a request and then changes it.
	mutate := func(build func() *http.Request, change func(r *http.Request)) func() *http.Request {
		return func() *http.Request { r := build(); change(r); return r }
	}
	withAuth := func(auth string) func() *http.Request {
		return mutate(sign("GET", "/instance", nil), func(r *http.Request) { r.Header.Set("Authorization", auth) })
	}
	userPath := "/users/" + inst + "/" + uid
	longID := strings.Repeat("a", 101)
	tenK := strings.Repeat("b", 10<<10)
	nest := func(n int, open, close, inner string) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	createInstance := func(extra string) string {
		return `{"IdentityManagementType":"SAML","InstanceAlias":"hostile","InboundCallsEnabled":true,"OutboundCallsEnabled":true` + extra + `}`
	}
	createUser := func(members string) func() *http.Request {
		return signJSON("PUT", "/users/"+inst, `{"Username":"mallory","RoutingProfileId":"`+f.routingID+`","SecurityProfileIds":["`+f.agentSP+`"]`+members+`}`)
	}
	phone := func(member string) func() *http.Request {
		return signJSON("POST", userPath+"/phone-config", `{"PhoneConfig":{"PhoneType":"SOFT_PHONE","AfterContactWorkTimeLimit":`+member+`}}`)
	}
	manyIDs := func(n int, id string) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = `"` + id + `"`
		}
		return "[" + strings.Join(ids, ",") + "]"
	}
	presign := func(expires string, at time.Time) func() *http.Request {
		return func() *http.Request {
			r, err := http.NewRequest("GET", srv.url+"/instance?X-Amz-Expires="+expires, nil)
			must(t, err)
			sum := sha256.Sum256(nil)
			u, hdr, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, r,
				hex.EncodeToString(sum[:]), "connect", "us-east-1", at)
			must(t, err)
			r, err = http.NewRequest("GET", u, nil)
			must(t, err)
			for k, v := range hdr {
				r.Header[k] = v
			}
			return r
		}
	}
	signIn := func(instance, query string) func() *http.Request {
		return plain("GET", "/connect/"+instance+"/auth/sign-in"+query, "", "")
	}
	signInForm := func(body string) func() *http.Request {
		return plain("POST", "/connect/"+inst+"/auth/sign-in", "application/x-www-form-urlencoded", body)
	}
	withCookie := func(method, path, cookie string) func() *http.Request {
		return mutate(plain(method, path, "application/x-www-form-urlencoded", ""), func(r *http.Request) { r.Header.Set("Cookie", cookie) })
	}
	rawReq := func(head string, body string) string {
		return head + "\r\nHost: " + host + "\r\n" + "Connection: close\r\n\r\n" + body
	}
	// keyed is a raw request naming a real access key (with a signature
	// that cannot be checked before the body is read): its body is read,
	// while one without credentials is answered from its headers alone.
	keyed := func(head string) string {
		now := time.Now().UTC()
		return head + "\r\nX-Amz-Date: " + now.Format("20060102T150405Z") +
			"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/" + now.Format("20060102") +
			"/us-east-1/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)
	}
	bigBody := string(bytes.Repeat([]byte("a"), 1<<20+1))
	chunked := func(data string) string {
		var b strings.Builder
		for len(data) > 0 {
			n := min(len(data), 64<<10)
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, data[:n])
			data = data[n:]
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}

	cases := []hostileCase{
		// Wrong methods on every Connect route (after authentication).
		{name: "POST /instance", req: sign("POST", "/instance", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "DELETE /instance", req: sign("DELETE", "/instance", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "PATCH /instance/{id}", req: sign("PATCH", "/instance/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "PUT /instance/{id}", req: sign("PUT", "/instance/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "POST /users/{id}", req: sign("POST", "/users/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "GET /users/{id}", req: sign("GET", "/users/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "PUT /users/{id}/{uid}", req: sign("PUT", userPath, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "POST /users/{id}/{uid}", req: sign("POST", userPath, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "POST /users-summary/{id}", req: sign("POST", "/users-summary/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "GET identity-info", req: sign("GET", userPath+"/identity-info", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "PUT phone-config", req: sign("PUT", userPath+"/phone-config", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "DELETE security-profiles", req: sign("DELETE", userPath+"/security-profiles", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "GET routing-profile", req: sign("GET", userPath+"/routing-profile", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "POST /security-profiles-summary/{id}", req: sign("POST", "/security-profiles-summary/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "DELETE /routing-profiles-summary/{id}", req: sign("DELETE", "/routing-profiles-summary/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "POST /user/federate/{id}", req: sign("POST", "/user/federate/"+inst, nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "GET /connectfed/token/revoke", req: sign("GET", "/connectfed/token/revoke", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "PUT /connectfed/audit", req: sign("PUT", "/connectfed/audit", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "PUT /connectfed/admin/faults", req: sign("PUT", "/connectfed/admin/faults", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "GET /connectfed/admin/reset", req: sign("GET", "/connectfed/admin/reset", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "lower-case method", req: sign("get", "/instance", nil), status: 405, kind: "rest", errType: "MethodNotAllowedException"},
		{name: "HEAD /instance/{id}", req: sign("HEAD", "/instance/"+inst, nil), status: 405, kind: "head", errType: "MethodNotAllowedException"},
		{name: "unsigned wrong method", req: plain("PATCH", "/instance", "", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},

		// Unknown paths.
		{name: "unknown path", req: sign("GET", "/no/such/thing", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "root path signed for connect", req: sign("GET", "/", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "extra segment", req: sign("GET", "/instance/"+inst+"/extra", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "route prefix only", req: sign("GET", "/users-summary", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "unknown connectfed path", req: sign("POST", "/connectfed/token", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "empty label", req: sign("GET", "/instance/", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "unsigned unknown path", req: plain("GET", "/no/such/thing", "", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},

		// Path traversal and odd encodings.
		{name: "dot-dot segment", req: sign("GET", "/users/../instance", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "encoded dot-dot", req: sign("GET", "/%2e%2e/instance", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "encoded dot-dot label", req: sign("GET", "/instance/%2e%2e", nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "encoded slashes in label", req: sign("GET", "/instance/..%2F..%2Fusers", nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "double-encoded slash", req: sign("GET", "/instance/%252F", nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "encoded NUL instance", req: sign("GET", "/instance/%00", nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "encoded NUL user", req: sign("GET", "/users/"+inst+"/%00", nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "encoded NUL inside id", req: sign("GET", "/instance/"+inst+"%00", nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "encoded backslashes", req: sign("GET", "/instance/..%5C..%5Cx", nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "double slash", req: sign("GET", "//instance", nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "dot segment", req: sign("GET", "/instance/./"+inst, nil), status: 404, kind: "rest", errType: "UnknownOperationException"},
		{name: "raw backslash path", raw: rawReq("GET /instance\\..\\users HTTP/1.1", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "raw absolute-form target", raw: rawReq("GET http://evil.example/instance HTTP/1.1", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "raw dot-dot path unsigned", raw: rawReq("GET /connect/../connectfed/token/validate HTTP/1.1", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "raw NUL byte in target", raw: rawReq("GET /instance/\x00 HTTP/1.1", ""), status: 400, kind: "plain"},

		// Over-long labels and invalid UTF-8 in labels.
		{name: "instance id 101 chars", req: sign("GET", "/instance/"+longID, nil), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "instance id 10 KB", req: sign("GET", "/instance/"+tenK, nil), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "delete instance id 10 KB", req: sign("DELETE", "/instance/"+tenK, nil), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "user id 257 chars", req: sign("GET", "/users/"+inst+"/"+strings.Repeat("u", 257), nil), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "list users instance 10 KB", req: sign("GET", "/users-summary/"+tenK, nil), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "federate instance 101 chars", req: sign("GET", "/user/federate/"+longID, nil), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "invalid UTF-8 instance label", req: sign("GET", "/instance/%FF", nil), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "invalid UTF-8 user label", req: sign("DELETE", "/users/"+inst+"/%C3%28", nil), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "raw invalid UTF-8 in target", raw: rawReq("GET /instance/\xff\xfe HTTP/1.1", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		// Authorized on the ARN given, as on AWS: root has no rights on another account's resources.
		{name: "foreign instance ARN", req: sign("GET", "/instance/"+url.PathEscape("arn:aws:connect:us-east-1:"+otherAccount+":instance/"+inst), nil), status: 403, kind: "rest", errType: "AccessDeniedException"},
		{name: "ARN with extra path", req: sign("GET", "/instance/"+url.PathEscape("arn:aws:connect:us-east-1:000000000000:instance/"+inst+"/x"), nil), status: 404, kind: "rest", errType: "ResourceNotFoundException"},

		// Query parameters of Connect operations.
		{name: "garbage nextToken", req: sign("GET", "/instance?nextToken=garbage", nil), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "maxResults not a number", req: sign("GET", "/users-summary/"+inst+"?maxResults=ten", nil), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "maxResults overflowing", req: sign("GET", "/users-summary/"+inst+"?maxResults=99999999999999999999999", nil), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "maxResults zero", req: sign("GET", "/instance?maxResults=0", nil), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "audit startTime garbage", req: sign("GET", "/connectfed/audit?startTime=yesterday", nil), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "audit startTime NaN", req: sign("GET", "/connectfed/audit?startTime=NaN", nil), status: 400, kind: "rest", errType: "InvalidParameterException"},

		// Bodies: size and framing.
		{name: "body over the 1 MiB cap", req: plain("PUT", "/instance", "application/json", bigBody), status: 413, kind: "rest", errType: "RequestEntityTooLargeException"},
		{name: "signed body over the cap", req: sign("PUT", "/instance", []byte(bigBody)), status: 413, kind: "rest", errType: "RequestEntityTooLargeException"},
		{name: "chunked body over the cap", raw: rawReq(keyed("PUT /instance HTTP/1.1\r\nTransfer-Encoding: chunked"), chunked(bigBody)), status: 413, kind: "rest", errType: "RequestEntityTooLargeException"},
		{name: "declared length over the cap, little sent", raw: rawReq("PUT /instance HTTP/1.1\r\nContent-Length: 2000000", "{}"), status: 413, kind: "rest", errType: "RequestEntityTooLargeException"},
		{name: "truncated body", raw: rawReq(keyed("PUT /instance HTTP/1.1\r\nContent-Length: 1000"), `{"IdentityManagementType":"SAML"`), halfClose: true, status: 400, kind: "rest", errType: "SerializationException"},
		{name: "truncated chunked body", raw: rawReq(keyed("PUT /instance HTTP/1.1\r\nTransfer-Encoding: chunked"), "10\r\n{\"a\""), halfClose: true, status: 400, kind: "rest", errType: "SerializationException"},
		{name: "invalid chunk size", raw: rawReq(keyed("PUT /instance HTTP/1.1\r\nTransfer-Encoding: chunked"), "zz\r\n{}\r\n0\r\n\r\n"), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "unsigned chunked body over the cap: answered from the headers", raw: rawReq("PUT /instance HTTP/1.1\r\nTransfer-Encoding: chunked", chunked(bigBody)), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "unsigned truncated body: answered from the headers", raw: rawReq("PUT /instance HTTP/1.1\r\nContent-Length: 1000", `{"IdentityManagementType":"SAML"`), halfClose: true, status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "more body than declared", raw: rawReq("PUT /instance HTTP/1.1\r\nContent-Length: 2", "{}GARBAGE / HTTP/1.1\r\n\r\n"), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "two different Content-Lengths", raw: rawReq("PUT /instance HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3", "{} "), status: 400, kind: "plain"},
		{name: "Content-Length and chunked", raw: rawReq("PUT /instance HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked", "2\r\n{}\r\n0\r\n\r\n"), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "negative Content-Length", raw: rawReq("PUT /instance HTTP/1.1\r\nContent-Length: -1", ""), status: 400, kind: "plain"},
		{name: "overflowing Content-Length", raw: rawReq("PUT /instance HTTP/1.1\r\nContent-Length: 99999999999999999999999", ""), status: 400, kind: "plain"},
		{name: "garbage request line", raw: "GARBAGE\r\n\r\n", status: 400, kind: "plain"},
		{name: "HTTP/1.1 without Host", raw: "GET /instance HTTP/1.1\r\nConnection: close\r\n\r\n", status: 400, kind: "plain"},
		{name: "invalid header name", raw: rawReq("GET /instance HTTP/1.1\r\nBad Header: x", ""), status: 400, kind: "plain"},

		// JSON bodies (signed, so they reach the decoder).
		{name: "invalid UTF-8 in a JSON string", req: signJSON("PUT", "/instance", createInstance(`,"ClientToken":"a`+"\xff"+`"`)), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "invalid UTF-8 in a JSON key", req: signJSON("PUT", "/instance", createInstance(`,"`+"\xc3\x28"+`":1`)), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "duplicate keys", req: signJSON("PUT", "/instance", createInstance(`,"InstanceAlias":"other"`)), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "duplicate nested keys", req: createUser(`,"IdentityInfo":{"FirstName":"a","FirstName":"b"}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "duplicate keys differing only in escapes", req: signJSON("PUT", "/instance", createInstance(`,"Instance\u0041lias":"other"`)), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "string member as number", req: signJSON("PUT", "/instance", `{"IdentityManagementType":5,"InstanceAlias":"x","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "bool member as string", req: signJSON("PUT", "/instance", `{"IdentityManagementType":"SAML","InstanceAlias":"x","InboundCallsEnabled":"yes","OutboundCallsEnabled":true}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "bool member as number", req: signJSON("PUT", "/instance", `{"IdentityManagementType":"SAML","InstanceAlias":"x","InboundCallsEnabled":1,"OutboundCallsEnabled":true}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member as string", req: phone(`"10"`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member as bool", req: phone(`true`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member overflowing int64", req: phone(`9223372036854775808`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member a float", req: phone(`1.5`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member 1e400", req: phone(`1e400`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member NaN", req: phone(`NaN`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member Infinity", req: phone(`Infinity`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "int member -Infinity", req: phone(`-Infinity`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "list member as string", req: signJSON("PUT", "/users/"+inst, `{"Username":"mallory","RoutingProfileId":"`+f.routingID+`","SecurityProfileIds":"`+f.agentSP+`"}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "list element as number", req: signJSON("POST", userPath+"/security-profiles", `{"SecurityProfileIds":[1]}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "map member as list", req: signJSON("PUT", "/instance", createInstance(`,"Tags":["a"]`)), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "map value as number", req: signJSON("PUT", "/instance", createInstance(`,"Tags":{"a":1}`)), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "structure member as string", req: createUser(`,"IdentityInfo":"Jane"`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "structure member as list", req: signJSON("POST", userPath+"/identity-info", `{"IdentityInfo":[]}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "string member as object", req: signJSON("POST", userPath+"/routing-profile", `{"RoutingProfileId":{}}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "1000 nested arrays", req: signJSON("PUT", "/instance", createInstance(`,"Extra":`+nest(1000, "[", "]", "1"))), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "1000 nested objects", req: signJSON("PUT", "/instance", createInstance(`,"Extra":`+nest(1000, `{"a":`, "}", "1"))), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "100000 unclosed arrays", req: signJSON("PUT", "/instance", `{"Tags":`+strings.Repeat("[", 100000)), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "top-level array", req: signJSON("PUT", "/instance", `[`+createInstance("")+`]`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "top-level string", req: signJSON("PUT", "/instance", `"SAML"`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "top-level number", req: signJSON("PUT", "/instance", `42`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "top-level null", req: signJSON("PUT", "/instance", `null`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "trailing garbage", req: signJSON("PUT", "/instance", createInstance("")+`x`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "two objects", req: signJSON("PUT", "/instance", createInstance("")+createInstance("")), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "unterminated string", req: signJSON("PUT", "/instance", `{"IdentityManagementType":"SAML`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "comment", req: signJSON("PUT", "/instance", `{/* hi */"IdentityManagementType":"SAML"}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "byte order mark", req: signJSON("PUT", "/instance", "\ufeff"+createInstance("")), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "single quotes", req: signJSON("PUT", "/instance", `{'IdentityManagementType':'SAML'}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "lone surrogate in alias", req: signJSON("PUT", "/instance", `{"IdentityManagementType":"SAML","InstanceAlias":"a\ud800","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "null for required members", req: signJSON("PUT", "/instance", `{"IdentityManagementType":null,"InboundCallsEnabled":null,"OutboundCallsEnabled":null}`), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "empty body for CreateInstance", req: sign("PUT", "/instance", nil), status: 400, kind: "rest", errType: "InvalidRequestException"},
		{name: "100000 security profile ids", req: signJSON("POST", userPath+"/security-profiles", `{"SecurityProfileIds":`+manyIDs(100000, "a")+`}`), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "100000 long security profile ids", req: signJSON("POST", userPath+"/security-profiles", `{"SecurityProfileIds":`+manyIDs(100000, f.agentSP)+`}`), status: 413, kind: "rest", errType: "RequestEntityTooLargeException"},
		{name: "CreateUser with 100000 profile ids", req: createUser(`,"SecurityProfileIds":` + manyIDs(100000, "a")), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "CreateUser in an unknown instance", req: signJSON("PUT", "/users/no-such-instance", `{"Username":"mallory","RoutingProfileId":"`+f.routingID+`","SecurityProfileIds":["`+f.agentSP+`"]}`), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "CreateUser with an unknown profile", req: signJSON("PUT", "/users/"+inst, `{"Username":"mallory","RoutingProfileId":"`+f.routingID+`","SecurityProfileIds":["00000000-0000-0000-0000-000000000000"]}`), status: 404, kind: "rest", errType: "ResourceNotFoundException"},
		{name: "fault with garbage JSON", req: signJSON("POST", "/connectfed/admin/faults", `{"Operation":`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "fault with out-of-range members", req: signJSON("POST", "/connectfed/admin/faults", `{"Operation":"DescribeUser","StatusCode":200,"Probability":2}`), status: 400, kind: "rest", errType: "InvalidParameterException"},

		// Query protocol (STS, IAM).
		{name: "query: repeated Action", req: signQuery("sts", "Action=GetCallerIdentity&Action=GetCallerIdentity&Version=2011-06-15"), status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: missing Action", req: signQuery("iam", "Version=2010-05-08&UserName=agent-app"), status: 400, kind: "query", errType: "MissingAction"},
		{name: "query: missing Version", req: signQuery("iam", "Action=GetUser&UserName=agent-app"), status: 400, kind: "query", errType: "MissingParameter"},
		{name: "query: wrong Version", req: signQuery("iam", "Action=GetUser&Version=2011-06-15&UserName=agent-app"), status: 400, kind: "query", errType: "InvalidAction"},
		{name: "query: STS action on IAM", req: signQuery("iam", "Action=AssumeRole&Version=2010-05-08"), status: 400, kind: "query", errType: "InvalidAction"},
		{name: "query: unknown Action", req: signQuery("sts", "Action=LaunchRocket&Version=2011-06-15"), status: 400, kind: "query", errType: "InvalidAction"},
		{name: "query: repeated parameter", req: signQuery("iam", "Action=GetRole&Version=2010-05-08&RoleName=ConnectAgent&RoleName=Other"), status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: repeated parameter on a write", req: signQuery("iam", "Action=CreateUser&Version=2010-05-08&UserName=a&UserName=b"), status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: malformed percent-encoding", req: signQuery("iam", "Action=GetUser&Version=2010-05-08&UserName=%zz"), status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: semicolon separator", req: signQuery("sts", "Action=GetCallerIdentity;Version=2011-06-15"), status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: PUT", req: func() *http.Request {
			return hxSign(t, srv, hxRoot, "PUT", "/", "sts", "us-east-1", []byte("Action=GetCallerIdentity&Version=2011-06-15"), form, now())
		}, status: 400, kind: "query", errType: "InvalidAction"},
		{name: "query: Action in URL of a POST", req: func() *http.Request {
			return hxSign(t, srv, hxRoot, "POST", "/?Action=CreateUser&Version=2010-05-08&UserName=url-user", "iam", "us-east-1", nil, form, now())
		}, status: 400, kind: "query", errType: "MissingAction"},
		{name: "query: GET write without a name", req: signAs(hxRoot, "GET", "/?Action=CreateUser&Version=2010-05-08", "iam", nil), status: 400, kind: "query", errType: "ValidationError"},
		{name: "query: GET with malformed encoding", req: func() *http.Request {
			// The SDK's signer would re-encode the query (dropping the bad
			// pair), so this one is signed by hand.
			return hxSignLiteralQuery(t, srv, hxRoot, "Action=GetUser&Version=2010-05-08&UserName=%zz", "Action=GetUser&UserName=%25zz&Version=2010-05-08", "iam", now())
		}, status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: GET with a repeated parameter", req: signAs(hxRoot, "GET", "/?Action=GetUser&Version=2010-05-08&UserName=agent-app&UserName=other", "iam", nil), status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: GET with repeated Action", req: signAs(hxRoot, "GET", "/?Action=GetCallerIdentity&Action=AssumeRole&Version=2011-06-15", "sts", nil), status: 400, kind: "query", errType: "MalformedQueryString"},
		{name: "query: invalid UTF-8 name", req: signQuery("iam", "Action=CreateUser&Version=2010-05-08&UserName=%FF%FE"), status: 400, kind: "query", errType: "ValidationError"},
		{name: "query: name with a slash", req: signQuery("iam", "Action=CreateUser&Version=2010-05-08&UserName=a%2Fb"), status: 400, kind: "query", errType: "ValidationError"},
		{name: "query: name 65 chars", req: signQuery("iam", "Action=CreateRole&Version=2010-05-08&RoleName="+strings.Repeat("r", 65)+"&AssumeRolePolicyDocument=%7B%7D"), status: 400, kind: "query", errType: "ValidationError"},
		{name: "query: role with a malformed policy", req: signQuery("iam", "Action=CreateRole&Version=2010-05-08&RoleName=Bad&AssumeRolePolicyDocument=%7Bnot+json"), status: 400, kind: "query", errType: "MalformedPolicyDocument"},
		{name: "query: put a policy on an unknown user", req: signQuery("iam", "Action=PutUserPolicy&Version=2010-05-08&UserName=nobody&PolicyName=p&PolicyDocument="+url.QueryEscape(federatePolicy("*"))), status: 404, kind: "query", errType: "NoSuchEntity"},
		{name: "query: AssumeRole bad duration", req: func() *http.Request {
			return hxSign(t, srv, appKey, "POST", "/", "sts", "us-east-1", []byte("Action=AssumeRole&Version=2011-06-15&RoleArn="+url.QueryEscape(f.roleARN)+"&RoleSessionName=alice&DurationSeconds=forever"), form, now())
		}, status: 400, kind: "query", errType: "ValidationError"},
		{name: "query: AssumeRole malformed ARN", req: func() *http.Request {
			return hxSign(t, srv, appKey, "POST", "/", "sts", "us-east-1", []byte("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3As3%3A%3A%3Abucket%2Fkey&RoleSessionName=alice"), form, now())
		}, status: 400, kind: "query", errType: "ValidationError"},
		{name: "query: AssumeRole session name with a slash", req: func() *http.Request {
			return hxSign(t, srv, appKey, "POST", "/", "sts", "us-east-1", []byte("Action=AssumeRole&Version=2011-06-15&RoleArn="+url.QueryEscape(f.roleARN)+"&RoleSessionName=a%2Fb"), form, now())
		}, status: 400, kind: "query", errType: "ValidationError"},
		{name: "query: body over the cap", req: plain("POST", "/", "application/x-www-form-urlencoded", "Action=GetCallerIdentity&Version=2011-06-15&X="+bigBody), status: 413, kind: "query", errType: "RequestEntityTooLarge"},
		{name: "query: unsigned", req: plain("POST", "/", "application/x-www-form-urlencoded", "Action=CreateUser&Version=2010-05-08&UserName=x"), status: 403, kind: "query", errType: "MissingAuthenticationToken"},

		// Headers.
		{name: "oversized headers", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) { r.Header.Set("X-Big", strings.Repeat("h", 128<<10)) }), status: 431, kind: "plain"},
		{name: "many headers", req: mutate(plain("GET", "/instance", "", ""), func(r *http.Request) {
			for i := 0; i < 5000; i++ {
				r.Header.Set(fmt.Sprintf("X-H%d", i), "0123456789")
			}
		}), status: 431, kind: "plain"},
		{name: "duplicated Authorization", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "duplicated X-Amz-Date", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) {
			r.Header.Add("X-Amz-Date", time.Now().Add(-time.Hour).UTC().Format("20060102T150405Z"))
		}), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "garbage X-Amz-Date", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) { r.Header.Set("X-Amz-Date", "yesterday") }), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "duplicated X-Amz-Security-Token", req: mutate(signAs(sess1, "GET", "/instance", "connect", nil), func(r *http.Request) { r.Header.Add("X-Amz-Security-Token", sess1.token) }), status: 403, kind: "rest", errType: "UnrecognizedClientException"},
		{name: "header and query authentication", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) {
			r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00"
		}), status: 400, kind: "rest", errType: "IncompleteSignatureException"},

		// SigV4.
		{name: "signed 20 minutes in the future", req: func() *http.Request {
			return hxSign(t, srv, hxRoot, "GET", "/instance", "connect", "us-east-1", nil, nil, now().Add(20*time.Minute))
		}, status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "signed 20 minutes ago", req: func() *http.Request {
			return hxSign(t, srv, hxRoot, "GET", "/instance", "connect", "us-east-1", nil, nil, now().Add(-20*time.Minute))
		}, status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "query: signed 20 minutes ago", req: func() *http.Request {
			return hxSign(t, srv, hxRoot, "POST", "/", "sts", "us-east-1", []byte("Action=GetCallerIdentity&Version=2011-06-15"), form, now().Add(-20*time.Minute))
		}, status: 403, kind: "query", errType: "SignatureDoesNotMatch"},
		{name: "signed for eu-west-1, scope says us-east-1", req: func() *http.Request {
			r := hxSign(t, srv, hxRoot, "GET", "/instance", "connect", "eu-west-1", nil, nil, now())
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/eu-west-1/", "/us-east-1/", 1))
			return r
		}, status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "region with slashes", req: func() *http.Request {
			return hxSign(t, srv, hxRoot, "GET", "/instance", "connect", "../../etc", nil, nil, now())
		}, status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "region that is not one", req: func() *http.Request {
			return hxSign(t, srv, hxRoot, "GET", "/instance", "connect", "US_EAST_1", nil, nil, now())
		}, status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "signed for s3", req: signAs(hxRoot, "GET", "/instance", "s3", nil), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "signed for sts on a Connect path", req: signAs(hxRoot, "GET", "/instance", "sts", nil), status: 400, kind: "query", errType: "MissingAction"},
		{name: "signed for iam on a Connect write", req: signAs(hxRoot, "PUT", "/instance", "iam", []byte(createInstance(""))), status: 400, kind: "query", errType: "InvalidAction"},
		{name: "signed for sts, scope says connect", req: mutate(signAs(hxRoot, "PUT", "/instance", "sts", []byte(createInstance(""))), func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/sts/", "/connect/", 1))
		}), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "Authorization garbage", req: withAuth("garbage"), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "Authorization algorithm only", req: withAuth("AWS4-HMAC-SHA256"), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "Authorization without SignedHeaders", req: withAuth("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/connect/aws4_request, Signature=" + strings.Repeat("0", 64)), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "Authorization with a short scope", req: withAuth("AWS4-HMAC-SHA256 Credential=test/us-east-1, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "Authorization with an unknown parameter", req: withAuth("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/connect/aws4_request, SignedHeaders=host, Signature=00, Evil=1"), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "Authorization Bearer", req: withAuth("Bearer " + access), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "SigV2", req: withAuth("AWS test:c2lnbmF0dXJl"), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "SigV4a", req: withAuth("AWS4-ECDSA-P256-SHA256 Credential=test/20260101/connect/aws4_request, SignedHeaders=host, Signature=00"), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "Authorization 10 KB", req: withAuth("AWS4-HMAC-SHA256 Credential=" + tenK), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "signature altered", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			r.Header.Set("Authorization", a[:len(a)-1]+map[bool]string{true: "1", false: "0"}[last == '0'])
		}), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "signature upper-case", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
		}), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "unknown access key", req: signAs(hxCreds{"AKIANOSUCHKEY0000000", "x", ""}, "GET", "/instance", "connect", nil), status: 403, kind: "rest", errType: "UnrecognizedClientException"},
		{name: "wrong secret", req: signAs(hxCreds{"test", "wrong", ""}, "PUT", "/instance", "connect", []byte(createInstance(""))), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "query: wrong secret", req: signAs(hxCreds{f.appKey, "wrong", ""}, "POST", "/", "iam", []byte("Action=CreateUser&Version=2010-05-08&UserName=x")), status: 403, kind: "query", errType: "SignatureDoesNotMatch"},
		{name: "session key with another session's token", req: signAs(hxCreds{sess1.key, sess1.secret, sess2.token}, "GET", "/instance", "connect", nil), status: 403, kind: "rest", errType: "UnrecognizedClientException"},
		{name: "session key with another account's session token", req: signAs(hxCreds{sess1.key, sess1.secret, otherSess.token}, "GET", "/instance", "connect", nil), status: 403, kind: "rest", errType: "UnrecognizedClientException"},
		{name: "other account's session key with our token", req: signAs(hxCreds{otherSess.key, otherSess.secret, sess1.token}, "POST", "/", "sts", []byte("Action=GetCallerIdentity&Version=2011-06-15")), status: 403, kind: "query", errType: "InvalidClientTokenId"},
		{name: "session key with another session's secret", req: signAs(hxCreds{sess1.key, sess2.secret, sess1.token}, "GET", "/instance", "connect", nil), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "session key without its token", req: signAs(hxCreds{sess1.key, sess1.secret, ""}, "GET", "/instance", "connect", nil), status: 403, kind: "rest", errType: "UnrecognizedClientException"},
		{name: "long-term key with a session token", req: signAs(hxCreds{f.appKey, f.appSecret, sess1.token}, "GET", "/instance", "connect", nil), status: 403, kind: "rest", errType: "UnrecognizedClientException"},
		{name: "presigned URL past its expiry", req: presign("1", time.Now().Add(-10*time.Second)), status: 403, kind: "rest", errType: "AccessDeniedException"},
		{name: "presigned X-Amz-Expires 0", req: presign("0", time.Now()), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "presigned X-Amz-Expires over a week", req: presign("604801", time.Now()), status: 400, kind: "rest", errType: "IncompleteSignatureException"},
		{name: "body changed after signing", req: mutate(sign("PUT", "/instance", []byte(`{}`)), func(r *http.Request) {
			b := createInstance("")
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "Host changed after signing", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) { r.Host = "evil.example" }), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "X-Amz-Content-Sha256 not the body's", req: mutate(sign("GET", "/instance", nil), func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
		}), status: 403, kind: "rest", errType: "InvalidSignatureException"},
		{name: "root federating", req: sign("GET", "/user/federate/"+inst, nil), status: 400, kind: "rest", errType: "InvalidRequestException"},

		// The token endpoints.
		{name: "revoke: garbage JSON", req: signJSON("POST", "/connectfed/token/revoke", `{"Token":`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "revoke: token a number", req: signJSON("POST", "/connectfed/token/revoke", `{"Token":5}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "revoke: duplicate Token", req: signJSON("POST", "/connectfed/token/revoke", `{"Token":"x","Token":"`+access+`"}`), status: 400, kind: "rest", errType: "SerializationException"},
		{name: "revoke: garbage token", req: signJSON("POST", "/connectfed/token/revoke", `{"Token":"garbage"}`), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "revoke: 10 KB token", req: signJSON("POST", "/connectfed/token/revoke", `{"Token":"`+tenK+`"}`), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "revoke: no token", req: signJSON("POST", "/connectfed/token/revoke", `{}`), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "revoke: token with a flipped byte", req: signJSON("POST", "/connectfed/token/revoke", `{"Token":"`+flipMiddle(access)+`"}`), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "revoke: unsigned", req: plain("POST", "/connectfed/token/revoke", "application/json", `{"Token":"`+access+`"}`), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
		{name: "revoke: signed by the other account", req: signAs(otherSess, "POST", "/connectfed/token/revoke", "connect", []byte(`{"Token":"`+access+`"}`)), status: 400, kind: "rest", errType: "InvalidParameterException"},
		{name: "refresh: garbage JSON", req: plain("POST", "/connectfed/token/refresh", "application/json", `{"RefreshToken":`), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "refresh: token a number", req: plain("POST", "/connectfed/token/refresh", "application/json", `{"RefreshToken":5}`), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "refresh: top-level array", req: plain("POST", "/connectfed/token/refresh", "application/json", `["`+refresh+`"]`), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "refresh: garbage token", req: plain("POST", "/connectfed/token/refresh", "application/json", `{"RefreshToken":"garbage"}`), status: 401, kind: "tokenjson", errType: "InvalidTokenException"},
		{name: "refresh: access token", req: plain("POST", "/connectfed/token/refresh", "application/json", `{"RefreshToken":"`+access+`"}`), status: 401, kind: "tokenjson", errType: "InvalidTokenException"},
		{name: "refresh: flipped byte", req: plain("POST", "/connectfed/token/refresh", "application/json", `{"RefreshToken":"`+flipMiddle(refresh)+`"}`), status: 401, kind: "tokenjson", errType: "InvalidTokenException"},
		{name: "refresh: body over 16 KiB", req: plain("POST", "/connectfed/token/refresh", "application/json", `{"RefreshToken":"`+strings.Repeat("r", 20<<10)+`"}`), status: 413, kind: "tokenjson", errType: "RequestEntityTooLargeException"},
		{name: "refresh: invalid UTF-8", req: plain("POST", "/connectfed/token/refresh", "application/json", "{\"RefreshToken\":\"\xff\xfe\"}"), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "refresh: duplicate keys", req: plain("POST", "/connectfed/token/refresh", "application/json", `{"RefreshToken":"garbage","RefreshToken":"`+flipMiddle(refresh)+`"}`), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "validate: garbage JSON", req: plain("POST", "/connectfed/token/validate", "application/json", `{{{`), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "validate: empty body", req: plain("POST", "/connectfed/token/validate", "application/json", ``), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "validate: duplicate keys", req: plain("POST", "/connectfed/token/validate", "application/json", `{"AccessToken":"`+access+`","AccessToken":"garbage"}`), status: 400, kind: "tokenjson", errType: "SerializationException"},
		{name: "validate: garbage token", req: plain("POST", "/connectfed/token/validate", "application/json", `{"AccessToken":"garbage"}`), status: 200, kind: "inactive"},
		{name: "validate: 10 KB token", req: plain("POST", "/connectfed/token/validate", "application/json", `{"AccessToken":"`+tenK+`"}`), status: 200, kind: "inactive"},
		{name: "validate: refresh token", req: plain("POST", "/connectfed/token/validate", "application/json", `{"AccessToken":"`+refresh+`"}`), status: 200, kind: "inactive"},
		{name: "validate: padded token", req: plain("POST", "/connectfed/token/validate", "application/json", `{"AccessToken":"`+access+`=="}`), status: 200, kind: "inactive"},
		{name: "validate: std base64 spelling", req: plain("POST", "/connectfed/token/validate", "application/json", `{"AccessToken":"`+strings.NewReplacer("-", "+", "_", "/").Replace(access)+`"}`), status: 200, kind: func() string {
			if strings.ContainsAny(access, "-_") {
				return "inactive"
			}
			return "plain"
		}()},
		{name: "validate: GET", req: plain("GET", "/connectfed/token/validate?AccessToken="+access, "", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},

		// The browser pages.
		{name: "sign-in: garbage token", req: signIn(inst, "?token=garbage"), status: 401, kind: "html"},
		{name: "sign-in: no token", req: signIn(inst, ""), status: 401, kind: "html"},
		{name: "sign-in: 10 KB token", req: signIn(inst, "?token="+tenK), status: 401, kind: "html"},
		{name: "sign-in: refresh token", req: signIn(inst, "?token="+refresh), status: 401, kind: "html"},
		{name: "sign-in: flipped byte", req: signIn(inst, "?token="+flipMiddle(access)), status: 401, kind: "html"},
		{name: "sign-in: garbage instance", req: signIn("..%2F..%2Fadmin", "?token=garbage"), status: 401, kind: "html"},
		{name: "sign-in: script in the token", req: signIn(inst, "?token="+url.QueryEscape(`<script>alert(1)</script>`)), status: 401, kind: "html"},
		{name: "sign-in: malformed query", req: signIn(inst, "?token=%zz"), status: 401, kind: "html"},
		{name: "sign-in form: garbage credentials", req: signInForm("credentials=garbage&destination=%2Fccp-v2"), status: 400, kind: "html"},
		{name: "sign-in form: credentials a list", req: signInForm("credentials=" + url.QueryEscape(`["`+access+`"]`)), status: 400, kind: "html"},
		{name: "sign-in form: garbage token", req: signInForm("credentials=" + url.QueryEscape(`{"AccessToken":"garbage"}`) + "&destination=https%3A%2F%2Fevil.example"), status: 401, kind: "html"},
		{name: "sign-in form: refresh token", req: signInForm("credentials=" + url.QueryEscape(`{"AccessToken":"`+refresh+`"}`)), status: 401, kind: "html"},
		{name: "sign-in form: body over 64 KiB", req: signInForm("credentials=" + strings.Repeat("c", 100<<10)), status: 400, kind: "html"},
		{name: "sign-in form: huge destination", req: signInForm("credentials=" + url.QueryEscape(`{"AccessToken":"garbage"}`) + "&destination=" + strings.Repeat("d", 60<<10)), status: 401, kind: "html"},
		{name: "sign-in form: malformed encoding", req: signInForm("credentials=%zz"), status: 400, kind: "html"},
		{name: "sign-in form: multipart", req: mutate(signInForm("--x\r\nContent-Disposition: form-data; name=\"credentials\"\r\n\r\n{}\r\n--x--\r\n"), func(r *http.Request) {
			r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		}), status: 400, kind: "html"},
		{name: "agent page: no cookie", req: plain("GET", "/connect/"+inst+"/agent", "", ""), status: 401, kind: "html"},
		{name: "agent page: garbage cookie", req: withCookie("GET", "/connect/"+inst+"/agent", "connectfed_session=garbage"), status: 401, kind: "html"},
		{name: "agent page: 200-char cookie", req: withCookie("GET", "/connect/"+inst+"/agent", "connectfed_session="+strings.Repeat("s", 200)), status: 401, kind: "html"},
		{name: "agent page: access token as cookie", req: withCookie("GET", "/connect/"+inst+"/agent", "connectfed_session="+access), status: 401, kind: "html"},
		{name: "sign-out: garbage cookie", req: withCookie("POST", "/connect/"+inst+"/auth/sign-out", "connectfed_session=garbage"), status: 200, kind: "html"},
		{name: "cookie over the header limit", req: withCookie("GET", "/connect/"+inst+"/agent", "connectfed_session="+strings.Repeat("s", 128<<10)), status: 431, kind: "plain"},
		{name: "metrics: POST", req: plain("POST", "/metrics", "", ""), status: 403, kind: "rest", errType: "MissingAuthenticationTokenException"},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r hxResp
			if c.raw != "" {
				r = hxRaw(t, srv, c.raw, c.halfClose)
			} else {
				r = hxDo(t, c.req())
			}
			c.check(t, r)
		})
	}
	t.Logf("%d hostile cases", len(cases))

	// The server is still fine.
	if resp, err := http.Get(srv.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after the table: %v %v", resp, err)
	}
	srv.stop()
	if after := storeDump(t, dir); after != before {
		t.Errorf("the hostile requests changed the store: %s", firstDiff(before, after))
	}
}

// hxSignLiteralQuery signs a GET / whose query is sent exactly as given
// (the SDK's signer would re-encode it). canonicalQuery is the query as
// the server canonicalizes it.
func hxSignLiteralQuery(t *testing.T, srv *server, cr hxCreds, rawQuery, canonicalQuery, service string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", srv.url+"/?"+rawQuery, nil)
	must(t, err)
	req.URL.RawQuery = rawQuery
	at = at.UTC()
	amzDate := at.Format("20060102T150405Z")
	day := at.Format("20060102")
	req.Header.Set("X-Amz-Date", amzDate)
	host := strings.TrimPrefix(srv.url, "http://")
	empty := sha256.Sum256(nil)
	canonical := "GET\n/\n" + canonicalQuery + "\nhost:" + host + "\nx-amz-date:" + amzDate + "\n\nhost;x-amz-date\n" + hex.EncodeToString(empty[:])
	scope := day + "/us-east-1/" + service + "/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + cr.secret)
	for _, part := range []string{day, "us-east-1", service, "aws4_request", toSign} {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(part))
		key = m.Sum(nil)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cr.key+"/"+scope+", SignedHeaders=host;x-amz-date, Signature="+hex.EncodeToString(key))
	return req
}

// flipMiddle changes one base64url character in the middle of a token.
func flipMiddle(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestSignInAtAnotherInstanceDoesNotBurnTheToken: presenting a valid access
// token at another instance's sign-in URL is refused, and must not use up
// the token's one browser sign-in.
func TestSignInAtAnotherInstanceDoesNotBurnTheToken(t *testing.T) {
	f := newFedFixture(t)
	tok := f.federate(t)
	access := *tok.Credentials.AccessToken
	r := hxDo(t, mustReq(t, "GET", f.srv.url+"/connect/00000000-0000-0000-0000-000000000000/auth/sign-in?token="+access))
	if r.status != 401 {
		t.Fatalf("sign-in at another instance: %d, want 401", r.status)
	}
	r = hxDo(t, mustReq(t, "GET", f.srv.url+"/connect/"+f.instanceID+"/auth/sign-in?token="+access))
	if r.status != http.StatusSeeOther {
		t.Fatalf("the token's own sign-in after a refused one elsewhere: %d, want 303", r.status)
	}
}

func mustReq(t *testing.T, method, u string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, u, nil)
	must(t, err)
	return r
}

// TestSlowClients: a client that sends its headers a byte a second is cut
// off by the server's read-header timeout (10 s).
func TestSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the server's 10 s read-header timeout")
	}
	srv := startServer(t, "")
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHo"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(25 * time.Second))
	buf := make([]byte, 4096)
	var got []byte
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server kept a slow-loris connection open for %v", time.Since(start))
			}
			break
		}
	}
	took := time.Since(start)
	if took < 8*time.Second || took > 15*time.Second {
		t.Errorf("connection closed after %v, want about 10 s (the read-header timeout)", took)
	}
	if len(got) > 0 && !bytes.HasPrefix(got, []byte("HTTP/1.1 4")) {
		t.Errorf("the server answered a request it never fully received: %q", got)
	}
	// The server still serves others.
	if resp, err := http.Get(srv.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
}
