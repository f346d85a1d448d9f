package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/connectfed/connectfed/internal/sdkhttp"
)

const anyAccountTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`

func listInstancesWhen(cond string) string {
	return policy(`{"Effect":"Allow","Action":"connect:ListInstances","Resource":"*","Condition":` + cond + `}`)
}

// Defect 3: the global condition keys AWS always sets are present, so a
// Deny that tests one denies and an Allow that matches allows.
func TestGlobalConditionKeys(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	cases := []struct {
		name, policy string
		region       string
		allowed      bool
	}{
		{"SourceIp loopback allowed", listInstancesWhen(`{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`), "", true},
		{"SourceIp elsewhere refused", listInstancesWhen(`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), "", false},
		{"Deny off the office network", policy(stmt("Allow", "connect:*", "*"), `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}`), "", false},
		{"Deny without TLS", policy(stmt("Allow", "connect:*", "*"), `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), "", false},
		{"RequestedRegion allowed", listInstancesWhen(`{"StringEquals":{"aws:RequestedRegion":"eu-west-2"}}`), "eu-west-2", true},
		{"RequestedRegion refused", listInstancesWhen(`{"StringEquals":{"aws:RequestedRegion":"eu-west-2"}}`), "us-east-1", false},
		{"EpochTime", listInstancesWhen(`{"NumericGreaterThan":{"aws:EpochTime":"1700000000"}}`), "", true},
		{"EpochTime as a date", listInstancesWhen(`{"DateGreaterThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}`), "", true},
		{"CurrentTime window closed", listInstancesWhen(`{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`), "", false},
		{"PrincipalType User", listInstancesWhen(`{"StringEquals":{"aws:PrincipalType":"User"}}`), "", true},
		{"PrincipalAccount", listInstancesWhen(`{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}`), "", true},
		{"username", listInstancesWhen(`{"StringLike":{"aws:username":"gk*"}}`), "", true},
		{"userid", listInstancesWhen(`{"StringLike":{"aws:userid":"AIDA*"}}`), "", true},
		{"ViaAWSService false", listInstancesWhen(`{"Bool":{"aws:ViaAWSService":"false"}}`), "", true},
		{"long-term keys have no MultiFactorAuthPresent", listInstancesWhen(`{"Null":{"aws:MultiFactorAuthPresent":"true"}}`), "", true},
		{"long-term keys have no TokenIssueTime", listInstancesWhen(`{"Null":{"aws:TokenIssueTime":"true"}}`), "", true},
		{"no CalledVia", listInstancesWhen(`{"Null":{"aws:CalledVia":"true"}}`), "", true},
	}
	for i, tc := range cases {
		cfg := f.user(t, "gk"+string(rune('a'+i)), "/", tc.policy)
		if tc.region != "" {
			cfg.Region = tc.region
		}
		_, err := connect.NewFromConfig(cfg).ListInstances(ctx, &connect.ListInstancesInput{})
		if tc.allowed && err != nil || !tc.allowed && apiCode(err) != "AccessDeniedException" {
			t.Errorf("%s: allowed %v, got %v", tc.name, tc.allowed, err)
		}
	}
	// IAM is global: its requests are in us-east-1 whatever region signed them.
	iamCfg := f.user(t, "global", "/", policy(`{"Effect":"Allow","Action":"iam:ListAccessKeys","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`))
	iamCfg.Region = "eu-west-2"
	if _, err := iam.NewFromConfig(iamCfg).ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
		t.Errorf("IAM signed for eu-west-2, aws:RequestedRegion us-east-1: %v", err)
	}
	// A role session has aws:TokenIssueTime and aws:MultiFactorAuthPresent.
	app := sts.NewFromConfig(f.user(t, "app", "/", policy(stmt("Allow", "sts:AssumeRole", "*"))))
	roleARN := f.role(t, "MFA", "/", anyAccountTrust, policy(
		stmt("Allow", "connect:ListInstances", "*"),
		`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`))
	sess := assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	if _, err := connect.NewFromConfig(sess).ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("session without MFA under a BoolIfExists MFA deny: %v", err)
	}
}

// aws:SourceIp behind a reverse proxy: X-Forwarded-For counts only from a
// configured trusted proxy.
func TestSourceIpBehindProxy(t *testing.T) {
	ctx := context.Background()
	pol := listInstancesWhen(`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}`)
	for _, tc := range []struct {
		args    []string
		allowed bool
	}{
		{nil, false},
		{[]string{"--trusted-proxies", "127.0.0.1"}, true},
		{[]string{"--trusted-proxies", "10.0.0.0/8"}, false},
	} {
		f := newIAMFixture(t, tc.args...)
		cfg := f.user(t, "proxied", "/", pol)
		cfg.HTTPClient = sdkhttp.Client{HTTP: &http.Client{Transport: headerTransport{"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"}}}
		_, err := connect.NewFromConfig(cfg).ListInstances(ctx, &connect.ListInstancesInput{})
		if tc.allowed && err != nil || !tc.allowed && apiCode(err) != "AccessDeniedException" {
			t.Errorf("%v: allowed %v, got %v", tc.args, tc.allowed, err)
		}
	}
}

type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func assumeAs(t *testing.T, srv *server, c *sts.Client, in *sts.AssumeRoleInput) aws.Config {
	t.Helper()
	out, err := c.AssumeRole(context.Background(), in)
	must(t, err)
	return srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
}

// Defect 5: a session belongs to its role's unique id. After the role is
// deleted, and after a role of the same name is made again, the old
// session is refused.
func TestSessionOutlivesRoleIdentity(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	app := sts.NewFromConfig(f.user(t, "app", "/", policy(stmt("Allow", "sts:AssumeRole", "*"))))
	roleARN := f.role(t, "Worker", "/", anyAccountTrust, policy(stmt("Allow", "connect:ListInstances", "*")))
	r1, err := f.ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Worker")})
	must(t, err)
	old := assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("old")})
	id, err := sts.NewFromConfig(old).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if !strings.HasPrefix(*id.UserId, *r1.Role.RoleId+":") || !strings.HasPrefix(*r1.Role.RoleId, "AROA") {
		t.Errorf("session user id %s, role id %s", *id.UserId, *r1.Role.RoleId)
	}
	_, err = f.ic.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("Worker"), PolicyName: aws.String("p0")})
	must(t, err)
	_, err = f.ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Worker")})
	must(t, err)
	_, err = connect.NewFromConfig(old).ListInstances(ctx, &connect.ListInstancesInput{})
	if apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("session of a deleted role: %v", err)
	}
	// The same name again, with more permissions: the old session gets none.
	f.role(t, "Worker", "/", anyAccountTrust, policy(stmt("Allow", "*", "*")))
	r2, err := f.ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Worker")})
	must(t, err)
	if *r2.Role.RoleId == *r1.Role.RoleId {
		t.Fatal("a new role got the old role's unique id")
	}
	_, err = connect.NewFromConfig(old).ListInstances(ctx, &connect.ListInstancesInput{})
	if apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("session of a deleted role, same name made again: %v", err)
	}
	_, err = sts.NewFromConfig(old).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("GetCallerIdentity of a deleted role's session: %v", err)
	}
	// A new session of the new role works.
	fresh := assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("new")})
	if _, err := connect.NewFromConfig(fresh).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("new session: %v", err)
	}
}

// Defect 6: session policies.
func TestSessionPolicy(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	app := sts.NewFromConfig(f.user(t, "app", "/", policy(stmt("Allow", "sts:AssumeRole", "*"))))
	roleARN := f.role(t, "Broad", "/", anyAccountTrust, policy(stmt("Allow", "connect:*", "*"), stmt("Allow", "iam:GetUser", "*")))
	assume := func(in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
		in.RoleArn, in.RoleSessionName = aws.String(roleARN), aws.String("s1")
		return app.AssumeRole(ctx, in)
	}
	// Malformed: not JSON, a principal, no resource.
	for _, doc := range []string{`{`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`} {
		if _, err := assume(&sts.AssumeRoleInput{Policy: aws.String(doc)}); apiCode(err) != "MalformedPolicyDocument" {
			t.Errorf("session policy %s: %v", doc, err)
		}
	}
	if _, err := assume(&sts.AssumeRoleInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Sid":"` + strings.Repeat("a", 2100) + `"}]}`)}); apiCode(err) != "ValidationError" {
		t.Errorf("session policy over 2048 characters: %v", err)
	}
	_, err := assume(&sts.AssumeRoleInput{PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	if apiCode(err) != "MalformedPolicyDocument" {
		t.Errorf("PolicyArns: %v", err)
	}
	// Restrictive: only ListInstances, though the role allows connect:*.
	out, err := assume(&sts.AssumeRoleInput{Policy: aws.String(policy(stmt("Allow", "connect:ListInstances", "*"), stmt("Allow", "sts:*", "*")))})
	must(t, err)
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 || *out.PackedPolicySize > 100 {
		t.Errorf("PackedPolicySize = %v", out.PackedPolicySize)
	}
	sess := f.srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	cc := connect.NewFromConfig(sess)
	if _, err := cc.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("allowed by both: %v", err)
	}
	if _, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "SAML", InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("allowed by the role, not by the session policy: %v", err)
	}
	// The session policy cannot grant what the role does not have.
	if _, err := iam.NewFromConfig(sess).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("app")}); apiCode(err) != "AccessDenied" {
		t.Errorf("allowed by neither: %v", err)
	}
	out, err = assume(&sts.AssumeRoleInput{Policy: aws.String(policy(stmt("Allow", "*", "*")))})
	must(t, err)
	wide := f.srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	if _, err := iam.NewFromConfig(wide).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("app")}); apiCode(err) != "AccessDenied" {
		t.Errorf("session policy * beyond the role: %v", err)
	}
	// A Deny in the session policy wins.
	out, err = assume(&sts.AssumeRoleInput{Policy: aws.String(policy(stmt("Allow", "*", "*"), stmt("Deny", "connect:List*", "*")))})
	must(t, err)
	denied := f.srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	if _, err := connect.NewFromConfig(denied).ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("session policy deny: %v", err)
	}
	// Without a session policy or tags, no PackedPolicySize.
	out, err = assume(&sts.AssumeRoleInput{})
	must(t, err)
	if out.PackedPolicySize != nil {
		t.Errorf("PackedPolicySize without policy: %v", *out.PackedPolicySize)
	}
}

// Defect 7: ExternalId, session tags, transitive tags, SourceIdentity.
func TestAssumeRoleInputs(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	appCfg := f.user(t, "app", "/", policy(stmt("Allow", "sts:*", "*")))
	app := sts.NewFromConfig(appCfg)
	// ExternalId.
	extTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc-123"}}}]}`
	extARN := f.role(t, "Vendor", "/", extTrust)
	for _, tc := range []struct {
		ext string
		ok  bool
	}{{"", false}, {"wrong-1", false}, {"abc-123", true}} {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(extARN), RoleSessionName: aws.String("s1")}
		if tc.ext != "" {
			in.ExternalId = aws.String(tc.ext)
		}
		_, err := app.AssumeRole(ctx, in)
		if tc.ok && err != nil || !tc.ok && apiCode(err) != "AccessDenied" {
			t.Errorf("ExternalId %q: %v", tc.ext, err)
		}
	}
	if _, err := app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(extARN), RoleSessionName: aws.String("s1"), ExternalId: aws.String("x")}); apiCode(err) != "ValidationError" {
		t.Errorf("ExternalId of 1 character: %v", err)
	}
	// Tags need sts:TagSession in the trust policy.
	noTag := f.role(t, "NoTag", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}`)
	tags := []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("cc"), Value: aws.String("42")}}
	_, err := app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(noTag), RoleSessionName: aws.String("s1"), Tags: tags})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "sts:TagSession") {
		t.Errorf("tags without sts:TagSession: %v", err)
	}
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(noTag), RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("alice")})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "sts:SetSourceIdentity") {
		t.Errorf("SourceIdentity without sts:SetSourceIdentity: %v", err)
	}
	// aws:PrincipalTag in the role's policy; aws:RequestTag in the trust.
	tagged := f.role(t, "Tagged", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEqualsIfExists":{"aws:RequestTag/team":["blue","red"]}}}]}`,
		listInstancesWhen(`{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:SourceIdentity":"alice"}}`),
		policy(stmt("Allow", "sts:*", "*")))
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("green")}}})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("aws:RequestTag refused by the trust policy: %v", err)
	}
	for _, bad := range [][]ststypes.Tag{
		{{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("TEAM"), Value: aws.String("red")}},
	} {
		_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: bad})
		if apiCode(err) != "InvalidParameterValue" {
			t.Errorf("duplicate tag keys: %v", err)
		}
	}
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: tags, TransitiveTagKeys: []string{"other"}})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("transitive key not among the tags: %v", err)
	}
	many := make([]ststypes.Tag, 51)
	for i := range many {
		many[i] = ststypes.Tag{Key: aws.String("k" + string(rune('A'+i%26)) + string(rune('a'+i/26))), Value: aws.String("v")}
	}
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: many})
	if apiCode(err) != "ValidationError" {
		t.Errorf("51 tags: %v", err)
	}
	big := make([]ststypes.Tag, 50)
	for i := range big {
		big[i] = ststypes.Tag{Key: aws.String(strings.Repeat(string(rune('a'+i%26)), 100) + string(rune('A'+i/26))), Value: aws.String(randomish(i))}
	}
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: big})
	if apiCode(err) != "PackedPolicyTooLarge" {
		t.Errorf("50 long tags: %v", err)
	}
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("aws:me")})
	if apiCode(err) != "ValidationError" {
		t.Errorf("SourceIdentity aws:me: %v", err)
	}
	out, err := app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: tags, TransitiveTagKeys: []string{"team"}, SourceIdentity: aws.String("alice")})
	must(t, err)
	if out.SourceIdentity == nil || *out.SourceIdentity != "alice" || out.PackedPolicySize == nil {
		t.Errorf("AssumeRole with tags: SourceIdentity %v PackedPolicySize %v", out.SourceIdentity, out.PackedPolicySize)
	}
	sess := f.srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	if _, err := connect.NewFromConfig(sess).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("allowed by aws:PrincipalTag/team and aws:SourceIdentity: %v", err)
	}
	// Role chaining: the transitive tag and the source identity carry over;
	// the transitive tag cannot be set again, nor the source identity
	// changed.
	chain := sts.NewFromConfig(sess)
	out2, err := chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s2")})
	must(t, err)
	if out2.SourceIdentity == nil || *out2.SourceIdentity != "alice" {
		t.Errorf("chained SourceIdentity = %v", out2.SourceIdentity)
	}
	sess2 := f.srv.awsConfig(*out2.Credentials.AccessKeyId, *out2.Credentials.SecretAccessKey, *out2.Credentials.SessionToken)
	if _, err := connect.NewFromConfig(sess2).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("chained session keeps team=blue and alice: %v", err)
	}
	// The inherited source identity is sts:SourceIdentity in the chained
	// request.
	onlyAlice := f.role(t, "OnlyAlice", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"],"Condition":{"StringEquals":{"sts:SourceIdentity":"alice"}}}]}`)
	if _, err := chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(onlyAlice), RoleSessionName: aws.String("s4")}); err != nil {
		t.Errorf("chained request with the inherited source identity: %v", err)
	}
	if _, err := app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(onlyAlice), RoleSessionName: aws.String("s4")}); apiCode(err) != "AccessDenied" {
		t.Errorf("request without a source identity: %v", err)
	}
	_, err = chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s3"), Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("red")}}})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("overriding an inherited transitive tag: %v", err)
	}
	_, err = chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s3"), SourceIdentity: aws.String("mallory")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("changing the source identity in a chain: %v", err)
	}
	// A non-transitive tag does not carry over.
	out, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: tags, SourceIdentity: aws.String("alice")})
	must(t, err)
	out2, err = sts.NewFromConfig(f.srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)).
		AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s2")})
	must(t, err)
	sess3 := f.srv.awsConfig(*out2.Credentials.AccessKeyId, *out2.Credentials.SecretAccessKey, *out2.Credentials.SessionToken)
	if _, err := connect.NewFromConfig(sess3).ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("non-transitive tag carried over: %v", err)
	}
}

// randomish is a 200-character value that compresses badly.
func randomish(seed int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 200)
	x := uint32(seed*2654435761 + 12345)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%uint32(len(alphabet))]
	}
	return string(b)
}

// Every AccessDenied is explained in the log at info level, and
// --explain-denials=false turns the lines off.
func TestDenialsExplainedInLog(t *testing.T) {
	ctx := context.Background()
	for _, explain := range []string{"true", "false"} {
		var logs syncBuffer
		m := NewMain()
		m.Stderr, m.Stdout = &logs, &logs
		dir := t.TempDir()
		must(t, m.ParseFlags(append([]string{"--listen", "127.0.0.1:0", "--data-dir", dir, "--explain-denials", explain}, e2eStoreArgs(t, dir)...)))
		must(t, m.Run(ctx))
		srv := &server{t: t, m: m, dataDir: dir, url: "http://" + m.Addr()}
		t.Cleanup(srv.stop)
		f := &iamFixture{srv: srv, ic: iam.NewFromConfig(srv.awsConfig("test", "test", ""))}
		f.user(t, "boss", "/admins/")
		op := iam.NewFromConfig(f.user(t, "operator", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Sid":"NoAdmins","Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::000000000000:user/admins/*"}]}`))
		_, err := op.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("boss"), PolicyName: aws.String("x"), PolicyDocument: aws.String(policy(stmt("Allow", "*", "*")))})
		wantDenied(t, "PutUserPolicy", err, "arn:aws:iam::000000000000:user/admins/boss")
		_, err = connect.NewFromConfig(f.srv.awsConfig("test", "test", "")).ListInstances(ctx, &connect.ListInstancesInput{})
		must(t, err)
		_, err = sts.NewFromConfig(f.user(t, "nobody", "/")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/Nope"), RoleSessionName: aws.String("s1")})
		if apiCode(err) != "AccessDenied" {
			t.Fatalf("AssumeRole of a missing role: %v", err)
		}
		srv.stop()
		out := logs.String()
		want := []string{
			`msg="access denied" action=iam:PutUserPolicy resource=arn:aws:iam::000000000000:user/admins/boss principal=arn:aws:iam::000000000000:user/operator reason="explicit deny by user policy p0 statement 2 NoAdmins at line 1 column 89"`,
			`msg="access denied" action=sts:AssumeRole resource=arn:aws:iam::000000000000:role/Nope principal=arn:aws:iam::000000000000:user/nobody reason="the role does not exist"`,
		}
		for _, w := range want {
			if strings.Contains(out, w) != (explain == "true") {
				t.Errorf("--explain-denials=%s: log line %s present %v:\n%s", explain, w, !(explain == "true"), out)
			}
		}
	}
}

// The global condition keys are set for AssumeRoleWithWebIdentity too
// (unsigned): the trust policy sees aws:SourceIp and aws:EpochTime.
func TestWebIdentityGlobalKeys(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	is := newOIDCIssuer(t)
	host := strings.TrimPrefix(is.srv.URL, "http://")
	op, err := f.ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.srv.URL), ClientIDList: []string{"app"}})
	must(t, err)
	sc := sts.NewFromConfig(f.srv.awsConfig("", "", ""))
	for i, tc := range []struct {
		cond    string
		allowed bool
	}{
		{`{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"},"NumericGreaterThan":{"aws:EpochTime":"1600000000"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, false},
		{`{"Bool":{"aws:SecureTransport":"true"}}`, false},
	} {
		name := "Web" + strconv.Itoa(i)
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + *op.OpenIDConnectProviderArn + `"},` +
			`"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + strings.Replace(tc.cond, "{", `{"StringEquals":{"`+host+`:aud":"app"},`, 1) + `}]}`
		arn := f.role(t, name, "/", trust)
		_, err := sc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("alice"),
			WebIdentityToken: aws.String(is.token(t, "alice", "app", time.Now().Add(time.Hour)))})
		if tc.allowed && err != nil || !tc.allowed && awsErrorCode(err) != "AccessDenied" {
			t.Errorf("%s: allowed %v, got %v", tc.cond, tc.allowed, err)
		}
	}
}

// A trust policy names a user or role by ARN, and IAM binds it to that
// entity's unique id: deleted and made again under the same name, the new
// entity is not trusted.
func TestTrustBindsPrincipalIDs(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	assumeOnly := policy(stmt("Allow", "sts:AssumeRole", "*"))
	appCfg := f.user(t, "app", "/", assumeOnly)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/app","arn:aws:iam::000000000000:role/Hop"]},"Action":"sts:AssumeRole"}]}`
	hop := f.role(t, "Hop", "/", anyAccountTrust, assumeOnly)
	target := f.role(t, "Target", "/", trust)
	if _, err := sts.NewFromConfig(appCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("s1")}); err != nil {
		t.Fatalf("the named user: %v", err)
	}
	hopSess := assumeAs(t, f.srv, sts.NewFromConfig(appCfg), &sts.AssumeRoleInput{RoleArn: aws.String(hop), RoleSessionName: aws.String("s1")})
	if _, err := sts.NewFromConfig(hopSess).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("s2")}); err != nil {
		t.Fatalf("a session of the named role: %v", err)
	}
	// Delete app and Hop and make them again under the same names.
	keys, err := f.ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("app")})
	must(t, err)
	for _, k := range keys.AccessKeyMetadata {
		_, err := f.ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("app"), AccessKeyId: k.AccessKeyId})
		must(t, err)
	}
	_, err = f.ic.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("app"), PolicyName: aws.String("p0")})
	must(t, err)
	_, err = f.ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("app")})
	must(t, err)
	_, err = f.ic.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("Hop"), PolicyName: aws.String("p0")})
	must(t, err)
	_, err = f.ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Hop")})
	must(t, err)
	newApp := f.user(t, "app", "/", assumeOnly)
	f.role(t, "Hop", "/", anyAccountTrust, assumeOnly)
	_, err = sts.NewFromConfig(newApp).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("s1")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("a new user of the trusted name: %v", err)
	}
	newHop := assumeAs(t, f.srv, sts.NewFromConfig(newApp), &sts.AssumeRoleInput{RoleArn: aws.String(hop), RoleSessionName: aws.String("s1")})
	_, err = sts.NewFromConfig(newHop).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("s2")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("a session of a new role of the trusted name: %v", err)
	}
	// A role created after them trusts the new ones.
	again := f.role(t, "Target2", "/", trust)
	if _, err := sts.NewFromConfig(newApp).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(again), RoleSessionName: aws.String("s1")}); err != nil {
		t.Errorf("the new user, trusted by a role made after it: %v", err)
	}
}
