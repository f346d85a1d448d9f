package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/saml/samltest"
)

// oidcIssuer is an OpenID issuer on loopback: discovery and a key set,
// tokens signed with go-jose.
type oidcIssuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	is := &oidcIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *oidcIssuer) token(t *testing.T, sub, aud string, exp time.Time) string {
	return is.tokenAt(t, sub, aud, time.Now(), exp)
}

func (is *oidcIssuer) tokenAt(t *testing.T, sub, aud string, iat, exp time.Time) string {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	must(t, err)
	tok, err := jwt.Signed(sig).Claims(map[string]any{"iss": is.srv.URL, "sub": sub, "aud": aud, "exp": exp.Unix(), "iat": iat.Unix(), "amr": []string{"pwd"}}).Serialize()
	must(t, err)
	return tok
}

// TestAssumeRoleWithWebIdentity: an ID token becomes a role session whose
// name is the Connect username, then a federation token.
func TestAssumeRoleWithWebIdentity(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	is := newOIDCIssuer(t)
	host := strings.TrimPrefix(is.srv.URL, "http://")
	ic := iam.NewFromConfig(f.config("test", "test", ""))
	op, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.srv.URL), ClientIDList: []string{"agent-desktop"}})
	must(t, err)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + *op.OpenIDConnectProviderArn + `"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:aud":"agent-desktop","` + host + `:sub":"alice"}}}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("OIDCAgent"), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, err)
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("OIDCAgent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(federatePolicy("arn:aws:connect:us-east-1:000000000000:instance/" + f.instanceID + "/user/${aws:userid}"))})
	must(t, err)

	sc := sts.NewFromConfig(f.config("", "", ""))
	in := func(tok, session string) *sts.AssumeRoleWithWebIdentityInput {
		return &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String(session), WebIdentityToken: aws.String(tok)}
	}
	out, err := sc.AssumeRoleWithWebIdentity(ctx, in(is.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour)), "alice"))
	must(t, err)
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/OIDCAgent/alice" || *out.SubjectFromWebIdentityToken != "alice" ||
		*out.Audience != "agent-desktop" || *out.Provider != is.srv.URL {
		t.Errorf("AssumeRoleWithWebIdentity = %+v %+v", out, out.AssumedRoleUser)
	}
	c := out.Credentials
	tok, err := connect.NewFromConfig(f.config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)).GetFederationToken(ctx,
		&connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
	must(t, err)
	if *tok.UserId != f.userID {
		t.Errorf("federated as %s", *tok.UserId)
	}

	// The amr claim is a condition key too.
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("MFAOnly"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + *op.OpenIDConnectProviderArn + `"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"ForAnyValue:StringEquals":{"` + host + `:amr":"mfa"}}}]}`)})
	must(t, err)
	_, err = sc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/MFAOnly"),
		RoleSessionName: aws.String("alice"), WebIdentityToken: aws.String(is.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour)))})
	if awsErrorCode(err) != "AccessDenied" {
		t.Errorf("amr pwd against a trust policy asking for mfa: %v", err)
	}
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("PwdOK"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + *op.OpenIDConnectProviderArn + `"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"ForAnyValue:StringEquals":{"` + host + `:amr":"pwd"}}}]}`)})
	must(t, err)
	_, err = sc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/PwdOK"),
		RoleSessionName: aws.String("alice"), WebIdentityToken: aws.String(is.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour)))})
	if err != nil {
		t.Errorf("amr pwd against a trust policy asking for pwd: %v", err)
	}

	down := newOIDCIssuer(t)
	_, err = ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(down.srv.URL), ClientIDList: []string{"agent-desktop"}})
	must(t, err)
	downTok := down.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour))
	down.srv.Close()
	stranger := newOIDCIssuer(t)
	for _, c := range []struct {
		name, token, session, code string
	}{
		{"wrong audience", is.token(t, "alice", "someone-else", time.Now().Add(time.Hour)), "alice", "InvalidIdentityToken"},
		{"expired", is.token(t, "alice", "agent-desktop", time.Now().Add(-time.Hour)), "alice", "ExpiredTokenException"},
		{"trust condition on sub", is.token(t, "bob", "agent-desktop", time.Now().Add(time.Hour)), "alice", "AccessDenied"},
		{"issuer not registered", stranger.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour)), "alice", "InvalidIdentityToken"},
		{"issuer unreachable", downTok, "alice", "IDPCommunicationError"},
		{"not a JWT", "not-a-token", "alice", "InvalidIdentityToken"},
		{"bad session name", is.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour)), "a b", "ValidationError"},
	} {
		_, err := sc.AssumeRoleWithWebIdentity(ctx, in(c.token, c.session))
		if awsErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
		if c.code == "ExpiredTokenException" && !strings.Contains(err.Error(), "Token expired: current date/time ") {
			t.Errorf("%s: message %v", c.name, err)
		}
	}

	// Token times are judged by the server's clock: here two hours behind,
	// so a token that expired an hour ago by the wall clock is still good.
	f.clock.Set(-2 * time.Hour)
	if _, err := sc.AssumeRoleWithWebIdentity(ctx, in(is.tokenAt(t, "alice", "agent-desktop", time.Now().Add(-3*time.Hour), time.Now().Add(-time.Hour)), "alice")); err != nil {
		t.Errorf("token valid by the server's clock: %v", err)
	}
	f.clock.Set(0)

	// The AWS CLI, unsigned as botocore sends it.
	if awsCLI, err := exec.LookPath("aws"); err == nil {
		cmd := exec.Command(awsCLI, "--endpoint-url", f.srv.url, "--region", "us-east-1", "--output", "json", "sts", "assume-role-with-web-identity",
			"--role-arn", *role.Role.Arn, "--role-session-name", "alice", "--web-identity-token", is.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour)))
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=")
		b, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(b), "assumed-role/OIDCAgent/alice") {
			t.Errorf("aws sts assume-role-with-web-identity: %v\n%s", err, b)
		}
	}
}

// TestFederatedBoto3 runs e2e/python/test_federated_boto3.py: the SAML and
// web identity calls and the provider operations through boto3, with
// responses and tokens made here.
func TestFederatedBoto3(t *testing.T) {
	python := requireTool(t, "python3")
	check := exec.Command(python, "-c", "import boto3")
	check.Env = sdkTestEnv("")
	if err := check.Run(); err != nil {
		sdkMissingDeps(t, "boto3 is not installed for "+python+": install python3-boto3 (apt) or run bash .ci/run")
	}
	ctx := context.Background()
	f := newSAMLFixture(t)
	is := newOIDCIssuer(t)
	host := strings.TrimPrefix(is.srv.URL, "http://")
	ic := iam.NewFromConfig(f.config("test", "test", ""))
	op, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.srv.URL), ClientIDList: []string{"agent-desktop"}})
	must(t, err)
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("OIDCAgent"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + *op.OpenIDConnectProviderArn + `"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:aud":"agent-desktop"}}}]}`)})
	must(t, err)
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("OIDCAgent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(federatePolicy("arn:aws:connect:us-east-1:000000000000:instance/" + f.instanceID + "/user/${aws:userid}"))})
	must(t, err)
	down := newOIDCIssuer(t)
	_, err = ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(down.srv.URL), ClientIDList: []string{"agent-desktop"}})
	must(t, err)
	downTok := down.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour))
	down.srv.Close()

	expired := f.claims("alice")
	expired.IssueInstant = time.Now().Add(-time.Hour)
	env := append(sdkTestEnv(f.srv.url),
		"CONNECTFED_FED_INSTANCE_ID="+f.instanceID, "CONNECTFED_FED_USER_ID="+f.userID,
		"CONNECTFED_FED_SAML_ROLE="+f.samlRole, "CONNECTFED_FED_SAML_PROVIDER="+f.providerARN, "CONNECTFED_FED_OTHER_ROLE="+f.roleARN,
		"CONNECTFED_FED_SAML_OK="+f.idp.Response(t, f.claims("alice")),
		"CONNECTFED_FED_SAML_BADSIG="+samltest.New(t, f.idp.EntityID).Response(t, f.claims("alice")),
		"CONNECTFED_FED_SAML_EXPIRED="+f.idp.Response(t, expired),
		"CONNECTFED_FED_OIDC_ROLE=arn:aws:iam::000000000000:role/OIDCAgent",
		"CONNECTFED_FED_OIDC_OK="+is.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour)),
		"CONNECTFED_FED_OIDC_WRONG_AUD="+is.token(t, "alice", "other", time.Now().Add(time.Hour)),
		"CONNECTFED_FED_OIDC_EXPIRED="+is.token(t, "alice", "agent-desktop", time.Now().Add(-time.Hour)),
		"CONNECTFED_FED_OIDC_DOWN="+downTok,
	)
	dir, err := filepath.Abs("../../e2e/python")
	must(t, err)
	out := runSDKTests(t, dir, env, python, "-m", "unittest", "-v", "test_federated_boto3")
	ran := regexp.MustCompile(`(?m)^Ran (\d+) tests? in `).FindStringSubmatch(out)
	if ran == nil || sdkCount(ran[1]) != 5 || !regexp.MustCompile(`(?m)^OK\b`).MatchString(out) || strings.Contains(out, "skipped") {
		t.Fatalf("boto3 federated tests did not all run and pass:\n%s", out)
	}
}
