package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/sdkhttp"
	"github.com/connectfed/connectfed/web"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// errorRecorder is a RoundTripper that keeps every error answer (status
// 400 and up): its headers and body.
type errorRecorder struct {
	mu     sync.Mutex
	bodies []string
}

func (e *errorRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var h strings.Builder
	resp.Header.Write(&h)
	e.mu.Lock()
	e.bodies = append(e.bodies, fmt.Sprintf("%s %s -> %d\n%s\n%s", r.Method, r.URL.Path, resp.StatusCode, h.String(), b))
	e.mu.Unlock()
	return resp, nil
}

func (e *errorRecorder) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.bodies...)
}

// secretForms are the spellings a secret could leak in: as is, base64 and
// hex of it, URL-encoded, and, when it is itself base64 (tokens, cookies,
// secret keys), its decoded bytes and their hex and base64 in every
// alphabet. Forms shorter than 16 bytes are left out (they would match by
// chance).
func secretForms(s string) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	add := func(b []byte) {
		if len(b) >= 16 && !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	addEncodings := func(b []byte) {
		add(b)
		add([]byte(hex.EncodeToString(b)))
		add([]byte(strings.ToUpper(hex.EncodeToString(b))))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			add([]byte(enc.EncodeToString(b)))
		}
	}
	addEncodings([]byte(s))
	add([]byte(url.QueryEscape(s)))
	add([]byte(strings.ReplaceAll(url.QueryEscape(s), "+", "%20")))
	// A JSON string spelling (escaped '/' or '+' in some encoders).
	js, _ := json.Marshal(s)
	add(bytes.Trim(js, `"`))
	add([]byte(strings.ReplaceAll(s, "/", `\/`)))
	for _, cand := range []string{s, strings.TrimPrefix(s, "FwoGZXIvYXdzE")} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(cand); err == nil {
				addEncodings(d)
			}
		}
	}
	return out
}

// TestSecretsNeverLeak runs a whole federation flow against a server with
// debug logging and checks that no secret (secret access keys, the session
// token, access and refresh tokens, the browser session cookie, the root
// secret, the master key) appears in the log, in any error answer, in the
// store's files or in /metrics.
func TestSecretsNeverLeak(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format+" log", func(t *testing.T) { secretsFlow(t, format) })
	}
}

func secretsFlow(t *testing.T, logFormat string) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := filepath.Join(t.TempDir(), "connectfed.yaml")
	const rootKey, rootSecret = "AKIAOTHERACCOUNT0001", "other-account-secret-key-000001"
	must(t, os.WriteFile(cfgPath, []byte(`accounts:
  - id: "`+otherAccount+`"
    name: other-team
    rootKeys:
      - accessKeyId: `+rootKey+`
        secretAccessKey: `+rootSecret+`
`), 0o600))

	// Boot the program as startServer does, but keep its log.
	var logs syncBuffer
	m := NewMain()
	m.Stderr, m.Stdout = &logs, &logs
	args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", dir, "--log-level", "debug", "--log-format", logFormat, "--config", cfgPath}, e2eStoreArgs(t, dir)...)
	must(t, m.ParseFlags(args))
	must(t, m.Run(ctx))
	srv := &server{t: t, m: m, dataDir: dir, url: "http://" + m.Addr()}
	t.Cleanup(srv.stop)

	rec := &errorRecorder{}
	httpClient := &http.Client{Transport: rec}
	cfg := func(key, secret, token string) aws.Config {
		c := srv.awsConfig(key, secret, token)
		c.HTTPClient = sdkhttp.Client{HTTP: httpClient}
		return c
	}
	signed := func(cr hxCreds, method, path, service string, body []byte) hxResp {
		t.Helper()
		var hdr map[string]string
		if service != "connect" {
			hdr = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		}
		req := hxSign(t, srv, cr, method, path, service, "us-east-1", body, hdr, time.Now())
		resp, err := httpClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return hxResp{resp.StatusCode, resp.Header, string(b)}
	}
	post := func(path, body string) hxResp {
		t.Helper()
		resp, err := httpClient.Post(srv.url+path, "application/json", strings.NewReader(body))
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return hxResp{resp.StatusCode, resp.Header, string(b)}
	}
	type secretValue struct {
		name, value string
		stored      bool // the store must keep it (only logs, answers and metrics are checked)
	}
	var secrets []secretValue
	secret := func(name, value string) {
		if value == "" {
			t.Fatalf("secret %s is empty", name)
		}
		secrets = append(secrets, secretValue{name: name, value: value})
	}
	secret("root secret access key", rootSecret)
	mk, err := os.ReadFile(filepath.Join(dir, "master.key"))
	must(t, err)
	secret("master key", strings.TrimSpace(string(mk)))

	// Instance, Connect user, IAM user and key, role.
	root := cfg("test", "test", "")
	cc, ic := connect.NewFromConfig(root), iam.NewFromConfig(root)
	inst, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("secrets"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	must(t, err)
	sp, rp := defaultProfiles(t, cc, *inst.Id)
	createAgent(t, cc, *inst.Id, "alice", sp, rp)
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("backend")})
	must(t, err)
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("backend")})
	must(t, err)
	backend := hxCreds{*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, ""}
	secret("IAM user secret access key", backend.secret)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::000000000000:user/backend"}}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Agents"), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, err)
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Agents"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(federatePolicy("arn:aws:connect:us-east-1:000000000000:instance/" + *inst.Id + "/user/${aws:userid}"))})
	must(t, err)

	// AssumeRole, GetFederationToken.
	ar, err := sts.NewFromConfig(cfg(backend.key, backend.secret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("alice")})
	must(t, err)
	sess := hxCreds{*ar.Credentials.AccessKeyId, *ar.Credentials.SecretAccessKey, *ar.Credentials.SessionToken}
	secret("session secret access key", sess.secret)
	secret("session token", sess.token)
	sessCC := connect.NewFromConfig(cfg(sess.key, sess.secret, sess.token))
	fed, err := sessCC.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: inst.Id})
	must(t, err)
	a1, r1 := *fed.Credentials.AccessToken, *fed.Credentials.RefreshToken
	secret("access token 1", a1)
	secret("refresh token 1", r1)

	// Refresh.
	res := post("/connectfed/token/refresh", `{"RefreshToken":"`+r1+`"}`)
	if res.status != 200 {
		t.Fatalf("refresh: %d %s", res.status, res.body)
	}
	var refreshed struct {
		Credentials struct{ AccessToken, RefreshToken string }
	}
	must(t, json.Unmarshal([]byte(res.body), &refreshed))
	a2, r2 := refreshed.Credentials.AccessToken, refreshed.Credentials.RefreshToken
	secret("access token 2", a2)
	secret("refresh token 2", r2)

	// Sign in through SignInUrl with a browser-like client.
	jar, _ := cookiejar.New(nil)
	browserClient := &http.Client{Transport: rec, Jar: jar}
	resp, err := browserClient.Get(*fed.SignInUrl)
	must(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "alice") {
		t.Fatalf("sign-in: %d %.300s", resp.StatusCode, page)
	}
	agentURL, _ := url.Parse(srv.url + "/connect/" + *inst.Id + "/agent")
	var cookie string
	for _, c := range jar.Cookies(agentURL) {
		if c.Name == web.CookieName {
			cookie = c.Value
		}
	}
	secret("browser session cookie", cookie)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(page))
	if csrf == nil {
		t.Fatalf("no CSRF field on the agent page")
	}
	// The CSRF token is no credential and the store keeps it to compare;
	// it must still stay out of logs and answers.
	secrets = append(secrets, secretValue{name: "sign-out CSRF token", value: csrf[1], stored: true})
	// The same link again: refused (an error page).
	resp, err = browserClient.Get(*fed.SignInUrl)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("second sign-in: %d", resp.StatusCode)
	}
	// A sign-out with a stale CSRF field is refused; then a real one.
	resp, err = browserClient.PostForm(srv.url+"/connect/"+*inst.Id+"/auth/sign-out", url.Values{"csrf": {"stale"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("stale sign-out: %d", resp.StatusCode)
	}

	// Validate.
	if res := post("/connectfed/token/validate", `{"AccessToken":"`+a2+`"}`); !strings.Contains(res.body, `"Active":true`) {
		t.Errorf("validate: %d %s", res.status, res.body)
	}
	post("/connectfed/token/validate", `{"AccessToken":"`+flipMiddle(a2)+`"}`)

	// Errors that are about a secret, to see what they echo.
	signed(hxCreds{backend.key, "wrong" + backend.secret[5:], ""}, "GET", "/instance", "connect", nil)
	signed(hxCreds{sess.key, sess.secret, sess.token[:len(sess.token)-4] + "AAAA"}, "GET", "/instance", "connect", nil)
	signed(hxCreds{sess.key, sess.secret, ""}, "POST", "/", "sts", []byte("Action=GetCallerIdentity&Version=2011-06-15"))
	signed(hxCreds{rootKey, rootSecret + "x", ""}, "POST", "/", "iam", []byte("Action=GetUser&Version=2010-05-08"))
	if r := signed(hxCreds{rootKey, rootSecret, ""}, "GET", "/instance", "connect", nil); r.status != 200 {
		t.Errorf("the other account's root: %d %s", r.status, r.body)
	}
	signed(hxCreds{rootKey, rootSecret, ""}, "POST", "/connectfed/token/revoke", "connect", []byte(`{"Token":"`+a2+`"}`))
	signed(hxRoot, "GET", "/user/federate/"+*inst.Id, "connect", nil)
	post("/connectfed/token/refresh", `{"RefreshToken":"`+a1+`"}`) // an access token: wrong kind
	resp, err = httpClient.Get(srv.url + "/connect/" + *inst.Id + "/auth/sign-in?token=" + r2)
	must(t, err)
	resp.Body.Close()

	// Revoke (signed), then the family's tokens fail; reuse of r1 too.
	if r := signed(hxRoot, "POST", "/connectfed/token/revoke", "connect", []byte(`{"Token":"`+a2+`"}`)); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if res := post("/connectfed/token/refresh", `{"RefreshToken":"`+r2+`"}`); res.status != 401 {
		t.Errorf("refresh after revoke: %d", res.status)
	}
	if res := post("/connectfed/token/refresh", `{"RefreshToken":"`+r1+`"}`); res.status != 401 {
		t.Errorf("reused refresh token: %d", res.status)
	}
	// A second family, whose refresh token is reused (reuse detection logs).
	fed2, err := sessCC.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: inst.Id})
	must(t, err)
	secret("access token 3", *fed2.Credentials.AccessToken)
	secret("refresh token 3", *fed2.Credentials.RefreshToken)
	post("/connectfed/token/refresh", `{"RefreshToken":"`+*fed2.Credentials.RefreshToken+`"}`)
	if res := post("/connectfed/token/refresh", `{"RefreshToken":"`+*fed2.Credentials.RefreshToken+`"}`); res.status != 401 {
		t.Errorf("reuse: %d", res.status)
	}
	// The agent page after revocation: the session is gone.
	resp, err = browserClient.Get(agentURL.String())
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("agent page after revocation: %d", resp.StatusCode)
	}

	// /metrics.
	resp, err = http.Get(srv.url + "/metrics")
	must(t, err)
	metricsBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(metricsBody, []byte("connectfed_")) {
		t.Errorf("/metrics: %d %.200s", resp.StatusCode, metricsBody)
	}

	// The store's files while the server runs (the WAL holds recent
	// writes), then after it stops.
	sqliteStore := e2eStore != "postgres"
	readStoreFiles := func() map[string][]byte {
		files := map[string][]byte{}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			p := filepath.Join(dir, "connectfed.db"+suffix)
			if b, err := os.ReadFile(p); err == nil {
				files[filepath.Base(p)] = b
			}
		}
		return files
	}
	var running map[string][]byte
	if sqliteStore {
		running = readStoreFiles()
	}
	srv.stop()
	var stopped map[string][]byte
	if sqliteStore {
		stopped = readStoreFiles()
	}

	errs := rec.all()
	logText := logs.String()
	// The checks can see what they look for.
	if len(errs) < 12 {
		t.Fatalf("only %d error answers were collected", len(errs))
	}
	for _, want := range []string{"connectfed ready", "request_id", "GetFederationToken", "refresh-reuse-detected", "sign-in"} {
		if !strings.Contains(logText, want) {
			t.Errorf("the captured log lacks %q: is it the server's log?", want)
		}
	}
	if sqliteStore && !bytes.Contains(bytes.Join(mapValues(running), nil), []byte("alice")) {
		t.Error("the store files do not even contain the username: wrong files?")
	}

	places := map[string][]byte{"log": []byte(logText), "/metrics": metricsBody}
	for i, e := range errs {
		places[fmt.Sprintf("error answer %d (%s)", i+1, strings.SplitN(e, "\n", 2)[0])] = []byte(e)
	}
	for name, b := range running {
		places["running store file "+name] = b
	}
	for name, b := range stopped {
		places["stopped store file "+name] = b
	}
	for _, s := range secrets {
		forms := secretForms(s.value)
		for where, b := range places {
			if s.stored && strings.Contains(where, "store file") {
				continue
			}
			for _, form := range forms {
				if i := bytes.Index(b, form); i >= 0 {
					lo, hi := max(0, i-120), min(len(b), i+len(form)+40)
					t.Errorf("%s leaks in %s (as %.24q…): …%q…", s.name, where, form, b[lo:hi])
					break
				}
			}
		}
	}
	t.Logf("%d secrets x %d places checked (%d error answers, %d bytes of log)", len(secrets), len(places), len(errs), len(logText))
}

func mapValues(m map[string][]byte) [][]byte {
	var out [][]byte
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
