package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/connectfed/connectfed/saml"
	"github.com/connectfed/connectfed/saml/samltest"
)

// samlFixture is fedFixture plus an IAM SAML provider for a test IdP and a
// role "SAMLAgent" that trusts it, allowed to federate into the instance.
type samlFixture struct {
	*fedFixture
	idp         *samltest.IdP
	providerARN string
	samlRole    string
}

func newSAMLFixture(t *testing.T) *samlFixture {
	t.Helper()
	f := &samlFixture{fedFixture: newFedFixture(t), idp: samltest.New(t, "https://idp.example.com/metadata")}
	ctx := context.Background()
	ic := iam.NewFromConfig(f.config("test", "test", ""))
	out, err := ic.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("TestIdP"), SAMLMetadataDocument: aws.String(f.idp.Metadata())})
	must(t, err)
	f.providerARN = *out.SAMLProviderArn
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + f.providerARN + `"},
		"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"saml:aud":["https://signin.aws.amazon.com/saml","` + f.srv.url + `/saml"]}}}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("SAMLAgent"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(43200)})
	must(t, err)
	f.samlRole = *role.Role.Arn
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("SAMLAgent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(federatePolicy("arn:aws:connect:us-east-1:000000000000:instance/" + f.instanceID + "/user/${aws:userid}"))})
	must(t, err)
	return f
}

func (f *samlFixture) claims(session string) samltest.Claims {
	return samltest.Claims{Roles: []string{f.samlRole + "," + f.providerARN}, RoleSessionName: session, Subject: session + "@example.com"}
}

func awsErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSAMLProviders(t *testing.T) {
	ctx := context.Background()
	f := newSAMLFixture(t)
	ic := iam.NewFromConfig(f.config("test", "test", ""))

	got, err := ic.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(f.providerARN)})
	must(t, err)
	if *got.SAMLMetadataDocument != f.idp.Metadata() || got.CreateDate == nil || got.ValidUntil == nil || !got.ValidUntil.After(time.Now().AddDate(50, 0, 0)) {
		t.Errorf("GetSAMLProvider = %+v", got)
	}
	list, err := ic.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	must(t, err)
	if len(list.SAMLProviderList) != 1 || *list.SAMLProviderList[0].Arn != "arn:aws:iam::000000000000:saml-provider/TestIdP" {
		t.Errorf("ListSAMLProviders = %+v", list.SAMLProviderList)
	}
	_, err = ic.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("TestIdP"), SAMLMetadataDocument: aws.String(f.idp.Metadata())})
	if awsErrorCode(err) != "EntityAlreadyExists" {
		t.Errorf("duplicate: %v", err)
	}
	_, err = ic.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Bad"), SAMLMetadataDocument: aws.String(strings.Repeat("<x/>", 300))})
	if awsErrorCode(err) != "InvalidInput" {
		t.Errorf("bad metadata: %v", err)
	}
	rotated := samltest.New(t, f.idp.EntityID)
	_, err = ic.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(f.providerARN), SAMLMetadataDocument: aws.String(rotated.Metadata())})
	must(t, err)
	// The old key no longer verifies; the new one does.
	sc := sts.NewFromConfig(f.config("", "", ""))
	in := &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(f.samlRole), PrincipalArn: aws.String(f.providerARN), SAMLAssertion: aws.String(f.idp.Response(t, f.claims("alice")))}
	if _, err := sc.AssumeRoleWithSAML(ctx, in); awsErrorCode(err) != "InvalidIdentityToken" {
		t.Errorf("old key after update: %v", err)
	}
	in.SAMLAssertion = aws.String(rotated.Response(t, f.claims("alice")))
	if _, err := sc.AssumeRoleWithSAML(ctx, in); err != nil {
		t.Errorf("new key after update: %v", err)
	}
	// An IAM user without iam: permissions may not read providers.
	app := iam.NewFromConfig(f.config(f.appKey, f.appSecret, ""))
	if _, err := app.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(f.providerARN)}); awsErrorCode(err) != "AccessDenied" {
		t.Errorf("unauthorized GetSAMLProvider: %v", err)
	}
	_, err = ic.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(f.providerARN)})
	must(t, err)
	if _, err := ic.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(f.providerARN)}); awsErrorCode(err) != "NoSuchEntity" {
		t.Errorf("after delete: %v", err)
	}
	if _, err := sc.AssumeRoleWithSAML(ctx, in); awsErrorCode(err) != "InvalidIdentityToken" {
		t.Errorf("deleted provider: %v", err)
	}
}

func TestOIDCProviders(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, "")
	ic := iam.NewFromConfig(srv.awsConfig("test", "test", ""))
	thumb := strings.Repeat("ab", 20)
	out, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://idp.example.com/tenant"),
		ClientIDList: []string{"agent-desktop"}, ThumbprintList: []string{thumb}})
	must(t, err)
	arn := *out.OpenIDConnectProviderArn
	if arn != "arn:aws:iam::000000000000:oidc-provider/idp.example.com/tenant" {
		t.Fatalf("ARN %s", arn)
	}
	_, err = ic.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("second")})
	must(t, err)
	_, err = ic.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("agent-desktop")})
	must(t, err)
	thumb2 := strings.Repeat("CD", 20)
	_, err = ic.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: &arn, ThumbprintList: []string{thumb2}})
	must(t, err)
	got, err := ic.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	must(t, err)
	if *got.Url != "idp.example.com/tenant" || strings.Join(got.ClientIDList, ",") != "second" || strings.Join(got.ThumbprintList, ",") != strings.ToLower(thumb2) {
		t.Errorf("GetOpenIDConnectProvider = %s %v %v", *got.Url, got.ClientIDList, got.ThumbprintList)
	}
	list, err := ic.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	must(t, err)
	if len(list.OpenIDConnectProviderList) != 1 || *list.OpenIDConnectProviderList[0].Arn != arn {
		t.Errorf("List = %+v", list.OpenIDConnectProviderList)
	}
	for _, c := range []struct{ url, code string }{
		{"https://idp.example.com/tenant", "EntityAlreadyExists"},
		{"http://idp.example.com", "InvalidInput"},
		{"ftp://idp.example.com", "InvalidInput"},
	} {
		_, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(c.url)})
		if awsErrorCode(err) != c.code {
			t.Errorf("create %s: %v, want %s", c.url, err, c.code)
		}
	}
	if _, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://127.0.0.1:9999")}); err != nil {
		t.Errorf("loopback http issuer: %v", err)
	}
	if _, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://x.example.com"), ThumbprintList: []string{"short"}}); awsErrorCode(err) != "ValidationError" {
		t.Errorf("short thumbprint: %v", err)
	}
	_, err = ic.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	must(t, err)
	if _, err := ic.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn}); awsErrorCode(err) != "NoSuchEntity" {
		t.Errorf("after delete: %v", err)
	}
}

// TestAssumeRoleWithSAML: an assertion from the IdP becomes a role session
// whose aws:userid federates into Connect unchanged.
func TestAssumeRoleWithSAML(t *testing.T) {
	ctx := context.Background()
	f := newSAMLFixture(t)
	sc := sts.NewFromConfig(f.config("", "", "")) // the SDK sends this call unsigned
	out, err := sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(f.samlRole), PrincipalArn: aws.String(f.providerARN),
		SAMLAssertion: aws.String(f.idp.Response(t, f.claims("alice"))), DurationSeconds: aws.Int32(1800)})
	must(t, err)
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/SAMLAgent/alice" || !strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":alice") ||
		*out.Subject != "alice@example.com" || *out.SubjectType != "persistent" || *out.Issuer != f.idp.EntityID ||
		*out.Audience != saml.SignInRecipient || *out.NameQualifier != saml.NameQualifier(f.idp.EntityID, "000000000000", "TestIdP") {
		t.Errorf("AssumeRoleWithSAML = %+v %+v", out, out.AssumedRoleUser)
	}
	if d := time.Until(*out.Credentials.Expiration); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("expiration in %v, want 30m", d)
	}
	// Without DurationSeconds, the SessionDuration attribute sets the length.
	withDuration := f.claims("alice")
	withDuration.SessionDuration = "2000"
	timed, err := sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(f.samlRole), PrincipalArn: aws.String(f.providerARN),
		SAMLAssertion: aws.String(f.idp.Response(t, withDuration))})
	must(t, err)
	if d := time.Until(*timed.Credentials.Expiration); d < 1990*time.Second || d > 2010*time.Second {
		t.Errorf("SessionDuration 2000: expiration in %v", d)
	}
	if out.PackedPolicySize != nil {
		t.Errorf("PackedPolicySize %d without a session policy", *out.PackedPolicySize)
	}
	// A session policy narrows the session: this one denies federation.
	narrowed, err := sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(f.samlRole), PrincipalArn: aws.String(f.providerARN),
		SAMLAssertion: aws.String(f.idp.Response(t, f.claims("alice"))),
		Policy:        aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)})
	must(t, err)
	if narrowed.PackedPolicySize == nil || *narrowed.PackedPolicySize <= 0 {
		t.Errorf("PackedPolicySize with a session policy: %v", narrowed.PackedPolicySize)
	}
	nc := narrowed.Credentials
	if _, err := connect.NewFromConfig(f.config(*nc.AccessKeyId, *nc.SecretAccessKey, *nc.SessionToken)).GetFederationToken(ctx,
		&connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)}); awsErrorCode(err) != "AccessDeniedException" {
		t.Errorf("GetFederationToken outside the session policy: %v", err)
	}
	// A managed session policy (PolicyArns) narrows it the same way: an
	// AWS managed policy for Voice ID allows no Connect action.
	managed, err := sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(f.samlRole), PrincipalArn: aws.String(f.providerARN),
		SAMLAssertion: aws.String(f.idp.Response(t, f.claims("alice"))),
		PolicyArns:    []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/AmazonConnectVoiceIDFullAccess")}}})
	must(t, err)
	mc := managed.Credentials
	if _, err := connect.NewFromConfig(f.config(*mc.AccessKeyId, *mc.SecretAccessKey, *mc.SessionToken)).GetFederationToken(ctx,
		&connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)}); awsErrorCode(err) != "AccessDeniedException" {
		t.Errorf("GetFederationToken outside the managed session policy: %v", err)
	}
	sess := f.config(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	tok, err := connect.NewFromConfig(sess).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
	must(t, err)
	if *tok.UserId != f.userID {
		t.Errorf("federated as %s, want %s", *tok.UserId, f.userID)
	}

	// The STS API takes an assertion again while it is valid (tools assume
	// several roles with one assertion); the browser endpoint does not.
	resp := f.idp.Response(t, f.claims("alice"))
	for i := 0; i < 2; i++ {
		if _, err := sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(f.samlRole), PrincipalArn: aws.String(f.providerARN), SAMLAssertion: aws.String(resp)}); err != nil {
			t.Errorf("use %d: %v", i, err)
		}
	}

	other := samltest.New(t, f.idp.EntityID)
	cases := []struct {
		name string
		in   sts.AssumeRoleWithSAMLInput
		code string
	}{
		{"unknown provider", sts.AssumeRoleWithSAMLInput{PrincipalArn: aws.String("arn:aws:iam::000000000000:saml-provider/Nope")}, "InvalidIdentityToken"},
		{"other key", sts.AssumeRoleWithSAMLInput{SAMLAssertion: aws.String(other.Response(t, f.claims("alice")))}, "InvalidIdentityToken"},
		{"expired", sts.AssumeRoleWithSAMLInput{SAMLAssertion: aws.String(f.idp.Response(t, func() samltest.Claims {
			c := f.claims("alice")
			c.IssueInstant = time.Now().Add(-time.Hour)
			return c
		}()))}, "ExpiredTokenException"},
		{"role not in assertion", sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(f.roleARN)}, "AccessDenied"},
		{"IdP reports a failure", sts.AssumeRoleWithSAMLInput{SAMLAssertion: aws.String(f.idp.Response(t, func() samltest.Claims {
			c := f.claims("alice")
			c.Status, c.SignResponse = "urn:oasis:names:tc:SAML:2.0:status:Responder", true
			return c
		}()))}, "IDPRejectedClaim"},
		{"source identity without sts:SetSourceIdentity", sts.AssumeRoleWithSAMLInput{SAMLAssertion: aws.String(f.idp.Response(t, func() samltest.Claims {
			c := f.claims("alice")
			c.SourceIdentity = "alice@example.com"
			return c
		}()))}, "AccessDenied"},
		{"duration above role maximum", sts.AssumeRoleWithSAMLInput{DurationSeconds: aws.Int32(43200)}, ""},
		{"duration too long", sts.AssumeRoleWithSAMLInput{DurationSeconds: aws.Int32(50000)}, "ValidationError"},
		{"malformed policy", sts.AssumeRoleWithSAMLInput{Policy: aws.String(`{"Statement":`)}, "MalformedPolicyDocument"},
		{"unknown managed session policy", sts.AssumeRoleWithSAMLInput{PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::000000000000:policy/Nope")}}}, "MalformedPolicyDocument"},
	}
	for _, c := range cases {
		in := c.in
		if in.RoleArn == nil {
			in.RoleArn = aws.String(f.samlRole)
		}
		if in.PrincipalArn == nil {
			in.PrincipalArn = aws.String(f.providerARN)
		}
		if in.SAMLAssertion == nil {
			in.SAMLAssertion = aws.String(f.idp.Response(t, f.claims("alice")))
		}
		_, err := sc.AssumeRoleWithSAML(ctx, &in)
		if awsErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
	}
	// A trust policy that does not name the provider refuses.
	ic := iam.NewFromConfig(f.config("test", "test", ""))
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("NotForSAML"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRoleWithSAML"}]}`)})
	must(t, err)
	c := f.claims("alice")
	c.Roles = []string{"arn:aws:iam::000000000000:role/NotForSAML," + f.providerARN}
	_, err = sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/NotForSAML"),
		PrincipalArn: aws.String(f.providerARN), SAMLAssertion: aws.String(f.idp.Response(t, c))})
	if awsErrorCode(err) != "AccessDenied" {
		t.Errorf("trust policy for AWS principals only: %v", err)
	}
	// A provider serves its own account's roles only: a role of the other
	// account that trusts this provider is still refused.
	foreign := iam.NewFromConfig(f.config("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""))
	_, err = foreign.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Foreign"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + f.providerARN + `"},"Action":"sts:AssumeRoleWithSAML"}]}`)})
	must(t, err)
	c = f.claims("alice")
	c.Roles = []string{"arn:aws:iam::" + otherAccount + ":role/Foreign," + f.providerARN}
	_, err = sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String("arn:aws:iam::" + otherAccount + ":role/Foreign"),
		PrincipalArn: aws.String(f.providerARN), SAMLAssertion: aws.String(f.idp.Response(t, c))})
	if awsErrorCode(err) != "AccessDenied" {
		t.Errorf("role of another account: %v", err)
	}
	// A trust policy that also grants sts:SetSourceIdentity takes the
	// assertion's SourceIdentity.
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Sourced"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + f.providerARN + `"},"Action":["sts:AssumeRoleWithSAML","sts:SetSourceIdentity"]}]}`)})
	must(t, err)
	c = f.claims("alice")
	c.Roles = []string{"arn:aws:iam::000000000000:role/Sourced," + f.providerARN}
	c.SourceIdentity = "alice@example.com"
	sourced, err := sc.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/Sourced"),
		PrincipalArn: aws.String(f.providerARN), SAMLAssertion: aws.String(f.idp.Response(t, c))})
	if err != nil || sourced.SourceIdentity == nil || *sourced.SourceIdentity != "alice@example.com" {
		t.Errorf("SourceIdentity: %v %v", err, sourced)
	}
}

// TestSAMLWithAWSCLI runs the provider and STS calls through the AWS CLI.
func TestSAMLWithAWSCLI(t *testing.T) {
	awsCLI := requireTool(t, "aws")
	f := newSAMLFixture(t)
	dir := t.TempDir()
	run := func(wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", f.srv.url, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	md := filepath.Join(dir, "metadata.xml")
	os.WriteFile(md, []byte(samltest.New(t, "https://cli.example.com").Metadata()), 0o600)
	out := run(true, "iam", "create-saml-provider", "--name", "CliIdP", "--saml-metadata-document", "file://"+md)
	if !strings.Contains(out, "arn:aws:iam::000000000000:saml-provider/CliIdP") {
		t.Errorf("create-saml-provider: %s", out)
	}
	out = run(true, "iam", "list-saml-providers")
	if !strings.Contains(out, "saml-provider/CliIdP") || !strings.Contains(out, "saml-provider/TestIdP") {
		t.Errorf("list-saml-providers: %s", out)
	}
	assertion := filepath.Join(dir, "assertion.b64")
	os.WriteFile(assertion, []byte(f.idp.Response(t, f.claims("alice"))), 0o600)
	out = run(true, "sts", "assume-role-with-saml", "--role-arn", f.samlRole, "--principal-arn", f.providerARN, "--saml-assertion", "file://"+assertion)
	var res struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		AssumedRoleUser struct{ Arn string }
		SubjectType     string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/SAMLAgent/alice" || res.SubjectType != "persistent" {
		t.Fatalf("assume-role-with-saml: %v %s", err, out)
	}
	os.WriteFile(assertion, []byte(samltest.New(t, f.idp.EntityID).Response(t, f.claims("alice"))), 0o600)
	out = run(false, "sts", "assume-role-with-saml", "--role-arn", f.samlRole, "--principal-arn", f.providerARN, "--saml-assertion", "file://"+assertion)
	if !strings.Contains(out, "InvalidIdentityToken") {
		t.Errorf("bad signature: %s", out)
	}
	run(true, "iam", "delete-saml-provider", "--saml-provider-arn", "arn:aws:iam::000000000000:saml-provider/CliIdP")
	out = run(true, "iam", "create-open-id-connect-provider", "--url", "https://oidc.example.com", "--client-id-list", "desk", "--thumbprint-list", strings.Repeat("0", 40))
	if !strings.Contains(out, "oidc-provider/oidc.example.com") {
		t.Errorf("create-open-id-connect-provider: %s", out)
	}
}

// TestSeedProviders: providers declared in a seed file work at once.
func TestSeedProviders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	idp := samltest.New(t, "https://seed-idp.example.com")
	os.WriteFile(filepath.Join(dir, "idp.xml"), []byte(idp.Metadata()), 0o600)
	seed := filepath.Join(dir, "seed.yaml")
	os.WriteFile(seed, []byte(`accounts:
  - id: "000000000000"
    samlProviders:
      - name: Seeded
        metadataFile: idp.xml
    oidcProviders:
      - url: https://oidc.example.com
        clientIds: [agent-desktop]
    roles:
      - name: SeededSAML
        trustPolicy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {Federated: "arn:aws:iam::000000000000:saml-provider/Seeded"}
              Action: sts:AssumeRoleWithSAML
`), 0o600)
	data := t.TempDir()
	for i := 0; i < 2; i++ { // a restart with the same seed changes nothing
		srv := startServer(t, data, "--seed", seed)
		role, provider := "arn:aws:iam::000000000000:role/SeededSAML", "arn:aws:iam::000000000000:saml-provider/Seeded"
		_, err := sts.NewFromConfig(srv.awsConfig("", "", "")).AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: &role, PrincipalArn: &provider,
			SAMLAssertion: aws.String(idp.Response(t, samltest.Claims{Roles: []string{role + "," + provider}, RoleSessionName: "alice"}))})
		must(t, err)
		op, err := iam.NewFromConfig(srv.awsConfig("test", "test", "")).GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: aws.String("arn:aws:iam::000000000000:oidc-provider/oidc.example.com")})
		must(t, err)
		if strings.Join(op.ClientIDList, ",") != "agent-desktop" {
			t.Errorf("seeded OIDC provider: %v", op.ClientIDList)
		}
		srv.stop()
	}
}

// TestUnsignedSTSHostile: the unsigned calls answer malformed requests
// with AWS-shaped 4xx errors, and any other unsigned request still fails
// authentication.
func TestUnsignedSTSHostile(t *testing.T) {
	srv := startServer(t, "")
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.url+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	role := "RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2FR"
	cases := []struct {
		body   string
		status int
		code   string
	}{
		{"Action=AssumeRoleWithSAML&Version=2011-06-15", 400, "ValidationError"},
		{"Action=AssumeRoleWithSAML&Version=2010-05-08&" + role, 400, "InvalidAction"},
		{"Action=AssumeRoleWithSAML&Version=2011-06-15&" + role + "&PrincipalArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Asaml-provider%2FP&SAMLAssertion=%25%25%25%25", 400, "InvalidIdentityToken"},
		{"Action=AssumeRoleWithSAML&Version=2011-06-15&" + role + "&PrincipalArn=x&SAMLAssertion=AAAA", 400, "ValidationError"},
		{"Action=AssumeRoleWithSAML&Version=2011-06-15&" + role + "&PrincipalArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Asaml-provider%2FP&SAMLAssertion=AAAA&DurationSeconds=abc", 400, "ValidationError"},
		{"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&" + role + "&RoleSessionName=alice&WebIdentityToken=a.b.c", 400, "InvalidIdentityToken"},
		{"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&" + role + "&RoleSessionName=alice&WebIdentityToken=abcd&ProviderId=www.amazon.com", 400, "ValidationError"},
		{"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&" + role + "&RoleSessionName=alice&WebIdentityToken=abcd&Action=AssumeRoleWithWebIdentity", 400, "MalformedQueryString"},
		{"Action=AssumeRole&Version=2011-06-15&" + role + "&RoleSessionName=alice", 403, "MissingAuthenticationToken"},
		{"Action=GetCallerIdentity&Version=2011-06-15", 403, "MissingAuthenticationToken"},
	}
	for _, c := range cases {
		status, body := post(c.body)
		if status != c.status || !strings.Contains(body, "<Code>"+c.code+"</Code>") {
			t.Errorf("%s: %d\n%s", c.body, status, body)
		}
	}
}
