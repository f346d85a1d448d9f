package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

const oidcRedirect = "http://localhost:9999/auth/callback"

var registerOIDCClient sync.Once

// startOpenIDProvider runs zitadel/oidc's OpenID provider (its op package
// with the example's in-memory storage and login UI) on loopback, with a
// web client "agent-desktop".
func startOpenIDProvider(t *testing.T) string {
	t.Helper()
	registerOIDCClient.Do(func() {
		storage.RegisterClients(storage.WebClient("agent-desktop", "desktop-secret", oidcRedirect))
	})
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	st := storage.NewStorage(storage.NewUserStore(ts.URL))
	ts.Config.Handler = exampleop.SetupServer(ts.URL, st, nil, false)
	return ts.URL
}

// oidcLogin signs in at the provider's login page with the authorization
// code flow and returns the ID token, as an agent desktop's backend does.
func oidcLogin(t *testing.T, issuer, user, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	var code string
	c := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), oidcRedirect) {
			code = r.URL.Query().Get("code")
			return http.ErrUseLastResponse
		}
		return nil
	}}
	q := url.Values{"client_id": {"agent-desktop"}, "redirect_uri": {oidcRedirect}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"s1"}, "nonce": {"n1"}}
	resp, err := c.Get(issuer + "/auth?" + q.Encode())
	must(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="id" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no login form at the provider: %d\n%s", resp.StatusCode, page)
	}
	resp, err = c.PostForm(issuer+"/login/username", url.Values{"id": {string(m[1])}, "username": {user}, "password": {password}})
	must(t, err)
	resp.Body.Close()
	if code == "" {
		return ""
	}
	req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oidcRedirect}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("agent-desktop", "desktop-secret")
	resp, err = http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.IDToken == "" {
		t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
	}
	return tok.IDToken
}

// TestOpenIDProviderWithAWSCLI: an ID token from a real OpenID provider
// nobody on the project wrote (zitadel/oidc) goes through `aws sts
// assume-role-with-web-identity`, and the session through `aws connect
// get-federation-token`.
func TestOpenIDProviderWithAWSCLI(t *testing.T) {
	awsCLI := requireTool(t, "aws")
	ctx := context.Background()
	f := newFedFixture(t)
	issuer := startOpenIDProvider(t)
	host := strings.TrimPrefix(issuer, "http://")
	ic := iam.NewFromConfig(f.config("test", "test", ""))
	op, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer), ClientIDList: []string{"agent-desktop"}})
	must(t, err)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + *op.OpenIDConnectProviderArn + `"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:aud":"agent-desktop","` + host + `:sub":"id1"}}}]}`
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("DesktopAgent"), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, err)
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("DesktopAgent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(federatePolicy("arn:aws:connect:us-east-1:000000000000:instance/" + f.instanceID + "/user/${aws:userid}"))})
	must(t, err)

	if tok := oidcLogin(t, issuer, "test-user@127.0.0.1", "wrong"); tok != "" {
		t.Fatal("the provider issued a token for a wrong password")
	}
	idToken := oidcLogin(t, issuer, "test-user@127.0.0.1", "verysecure")

	cli := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", f.srv.url, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), append([]string{"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, env...)...)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	out, err := cli([]string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, "sts", "assume-role-with-web-identity",
		"--role-arn", "arn:aws:iam::000000000000:role/DesktopAgent", "--role-session-name", "alice", "--web-identity-token", idToken)
	if err != nil {
		t.Fatalf("assume-role-with-web-identity: %v\n%s", err, out)
	}
	var res struct {
		Credentials                 struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		SubjectFromWebIdentityToken string
		Provider, Audience          string
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if res.SubjectFromWebIdentityToken != "id1" || res.Audience != "agent-desktop" || res.Provider != issuer {
		t.Errorf("assume-role-with-web-identity: %s", out)
	}
	out, err = cli([]string{"AWS_ACCESS_KEY_ID=" + res.Credentials.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + res.Credentials.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + res.Credentials.SessionToken}, "connect", "get-federation-token", "--instance-id", f.instanceID)
	if err != nil || !strings.Contains(out, f.userID) || !strings.Contains(out, "SignInUrl") {
		t.Fatalf("get-federation-token: %v\n%s", err, out)
	}

	// The main errors, through the CLI.
	for _, c := range []struct{ name, role, token, code string }{
		{"tampered token", "DesktopAgent", idToken[:len(idToken)-4] + "AAAA", "InvalidIdentityToken"},
		{"a role that does not trust the provider", "ConnectAgent", idToken, "AccessDenied"},
	} {
		out, err := cli([]string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, "sts", "assume-role-with-web-identity",
			"--role-arn", "arn:aws:iam::000000000000:role/"+c.role, "--role-session-name", "alice", "--web-identity-token", c.token)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(out, c.code) {
			t.Errorf("%s: %v\n%s", c.name, err, out)
		}
	}
}
