package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	itypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	ciam "github.com/connectfed/connectfed/iam"
	"github.com/connectfed/connectfed/iam/iamtest"
)

var decisionName = map[ciam.Decision]string{ciam.Allow: "allowed", ciam.ExplicitDeny: "explicitDeny", ciam.ImplicitDeny: "implicitDeny"}

func contextEntries(m map[string][]string) []itypes.ContextEntry {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []itypes.ContextEntry
	for _, k := range keys {
		typ := itypes.ContextKeyTypeEnumString
		if len(m[k]) > 1 {
			typ = itypes.ContextKeyTypeEnumStringList
		}
		out = append(out, itypes.ContextEntry{ContextKeyName: aws.String(k), ContextKeyValues: m[k], ContextKeyType: typ})
	}
	return out
}

// Every identity-policy case of the evaluator table, run through
// SimulateCustomPolicy over the wire, gets the table's decision.
func TestSimulatorAgreesWithEvaluatorTable(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	ran := 0
	for _, tc := range iamtest.Cases {
		if len(tc.Trust) > 0 || tc.Req.Principal != nil {
			continue // trust policies: not what SimulateCustomPolicy evaluates
		}
		docs := tc.Identity
		if len(docs) == 0 { // the simulator needs a policy: one that grants nothing
			docs = []string{policy(stmt("Allow", "none:Nothing", "*"))}
		}
		out, err := f.ic.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: docs, ActionNames: []string{tc.Req.Action}, ResourceArns: []string{tc.Req.Resource},
			ContextEntries: contextEntries(tc.Req.Context),
		})
		if err != nil {
			t.Errorf("%s: %v", tc.Name, err)
			continue
		}
		ran++
		if got := string(out.EvaluationResults[0].EvalDecision); got != decisionName[tc.Want] {
			t.Errorf("%s: simulator %s, table %s", tc.Name, got, decisionName[tc.Want])
		}
	}
	if ran < 120 {
		t.Errorf("only %d cases ran", ran)
	}
	t.Logf("%d evaluator cases agree with SimulateCustomPolicy", ran)
}

// A real signed request and SimulateCustomPolicy, given the context the
// server sets for that request, decide alike.
func TestSimulatorAgreesWithRealRequests(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	_, err := f.ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("boss"), Path: aws.String("/ops/")})
	must(t, err)
	const acct = "arn:aws:iam::000000000000:"
	boss := acct + "user/ops/boss"
	ops := map[string]struct {
		action, resource string // resource: %s is the caller's name
		do               func(ic *iam.Client, cc *connect.Client, name string) error
	}{
		"GetUser boss": {"iam:GetUser", boss, func(ic *iam.Client, _ *connect.Client, _ string) error {
			_, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("BOSS")})
			return err
		}},
		"ListAccessKeys self": {"iam:ListAccessKeys", acct + "user/eng/%s", func(ic *iam.Client, _ *connect.Client, _ string) error {
			_, err := ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
			return err
		}},
		"CreateUser under /eng/": {"iam:CreateUser", acct + "user/eng/%s-new", func(ic *iam.Client, _ *connect.Client, name string) error {
			_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name + "-new"), Path: aws.String("/eng/")})
			return err
		}},
		"ListInstances": {"connect:ListInstances", "*", func(_ *iam.Client, cc *connect.Client, _ string) error {
			_, err := cc.ListInstances(ctx, &connect.ListInstancesInput{})
			return err
		}},
	}
	cond := func(effect, action, c string) string {
		return `{"Effect":"` + effect + `","Action":"` + action + `","Resource":"*","Condition":` + c + `}`
	}
	cases := []struct {
		op     string
		policy string
	}{
		{"GetUser boss", policy(stmt("Allow", "iam:GetUser", boss))},
		{"GetUser boss", policy(stmt("Allow", "iam:GetUser", acct+"user/boss"))},
		{"GetUser boss", policy(stmt("Allow", "iam:GetUser", acct+"user/ops/*"))},
		{"GetUser boss", policy(stmt("Allow", "iam:GetUser", acct+"user/*boss"))},
		{"GetUser boss", policy(stmt("Allow", "iam:*", "*"), stmt("Deny", "iam:*", acct+"user/ops/*"))},
		{"GetUser boss", policy(stmt("Allow", "iam:*", "*"), stmt("Deny", "iam:*", acct+"user/BOSS"))},
		{"GetUser boss", policy(`{"Effect":"Allow","Action":"iam:GetUser","NotResource":"` + acct + `user/ops/*"}`)},
		{"GetUser boss", policy(`{"Effect":"Allow","NotAction":"iam:Delete*","Resource":"` + acct + `user/ops/*"}`)},
		{"GetUser boss", policy(stmt("Allow", "iam:Get*", "*"), `{"Effect":"Deny","Action":"iam:*","NotResource":"`+acct+`user/eng/*"}`)},
		{"ListAccessKeys self", policy(stmt("Allow", "iam:ListAccessKeys", acct+"user/eng/${aws:username}"))},
		{"ListAccessKeys self", policy(stmt("Allow", "iam:ListAccessKeys", acct+"user/${aws:username}"))},
		{"ListAccessKeys self", policy(stmt("Allow", "iam:ListAccessKeys", acct+"user/*/${aws:username}"))},
		{"ListAccessKeys self", policy(cond("Allow", "iam:ListAccessKeys", `{"StringEquals":{"aws:PrincipalArn":"${aws:PrincipalArn}"}}`))},
		{"ListAccessKeys self", policy(cond("Allow", "iam:ListAccessKeys", `{"StringLike":{"aws:userid":"AIDA*"}}`))},
		{"ListAccessKeys self", policy(cond("Allow", "iam:ListAccessKeys", `{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}`))},
		{"CreateUser under /eng/", policy(stmt("Allow", "iam:CreateUser", acct+"user/eng/*"))},
		{"CreateUser under /eng/", policy(stmt("Allow", "iam:CreateUser", acct+"user/*"), stmt("Deny", "iam:CreateUser", acct+"user/eng/*"))},
		{"CreateUser under /eng/", policy(stmt("Allow", "iam:CreateUser", acct+"user/${aws:username}-new"))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`))},
		{"ListInstances", policy(stmt("Allow", "connect:*", "*"), cond("Deny", "*", `{"Bool":{"aws:SecureTransport":"false"}}`))},
		{"ListInstances", policy(stmt("Allow", "connect:*", "*"), cond("Deny", "*", `{"BoolIfExists":{"aws:SecureTransport":"true"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"NumericGreaterThan":{"aws:EpochTime":"1600000000"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/eng/*"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/ops/*"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"Null":{"aws:TokenIssueTime":"true"}}`))},
		{"ListInstances", policy(stmt("Allow", "connect:*", "*"), cond("Deny", "*", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"Bool":{"aws:ViaAWSService":"false"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"ForAnyValue:StringEquals":{"aws:CalledVia":"cloudformation.amazonaws.com"}}`))},
		{"ListInstances", policy(cond("Allow", "connect:ListInstances", `{"StringEqualsIgnoreCase":{"aws:username":"${aws:username}"}}`))},
		{"ListInstances", policy(stmt("Allow", "connect:List*", "*"), stmt("Deny", "connect:ListInstances", "*"))},
		{"ListInstances", policy(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)},
	}
	now := time.Now().UTC()
	agreed, allowed := 0, 0
	for i, tc := range cases {
		op := ops[tc.op]
		name := "diff" + strconv.Itoa(i)
		cfg := f.user(t, name, "/eng/", tc.policy)
		real := op.do(iam.NewFromConfig(cfg), connect.NewFromConfig(cfg), name)
		realDecision := "allowed"
		switch {
		case real == nil:
		case apiCode(real) == "AccessDenied" || apiCode(real) == "AccessDeniedException":
			realDecision = "denied"
		default:
			t.Errorf("case %d (%s): %v", i, tc.op, real)
			continue
		}
		u, err := f.ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		must(t, err)
		resource := op.resource
		if strings.Contains(resource, "%s") {
			resource = fmt.Sprintf(resource, name)
		}
		sim, err := f.ic.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{tc.policy}, ActionNames: []string{op.action}, ResourceArns: []string{resource},
			ContextEntries: contextEntries(map[string][]string{
				"aws:username": {name}, "aws:userid": {*u.User.UserId}, "aws:PrincipalArn": {*u.User.Arn},
				"aws:PrincipalAccount": {"000000000000"}, "aws:PrincipalType": {"User"},
				"aws:SourceIp": {"127.0.0.1"}, "aws:SecureTransport": {"false"}, "aws:RequestedRegion": {"us-east-1"},
				"aws:ViaAWSService": {"false"}, "aws:PrincipalIsAWSService": {"false"},
				"aws:CurrentTime": {now.Format(time.RFC3339)}, "aws:EpochTime": {strconv.FormatInt(now.Unix(), 10)},
			}),
		})
		must(t, err)
		simDecision := string(sim.EvaluationResults[0].EvalDecision)
		if simDecision != "allowed" {
			simDecision = "denied"
		}
		if simDecision != realDecision {
			t.Errorf("case %d (%s, %s): real request %s, simulator %s", i, tc.op, tc.policy, realDecision, simDecision)
			continue
		}
		agreed++
		if realDecision == "allowed" {
			allowed++
		}
	}
	if allowed < 10 || agreed-allowed < 10 {
		t.Errorf("the table should exercise both outcomes: %d allowed, %d denied", allowed, agreed-allowed)
	}
	t.Logf("%d real requests agree with SimulateCustomPolicy (%d allowed, %d denied)", agreed, allowed, agreed-allowed)
}

// Role sessions against the simulator: the role's policies are the
// simulated policies, the session policy limits them as a permissions
// boundary does (both are intersections), and the session's tags are
// aws:PrincipalTag context entries.
func TestSimulatorAgreesWithRoleSessions(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	app := sts.NewFromConfig(f.user(t, "app", "/", policy(stmt("Allow", "sts:*", "*"))))
	tagCond := func(effect, c string) string {
		return `{"Effect":"` + effect + `","Action":"connect:ListInstances","Resource":"*","Condition":` + c + `}`
	}
	cases := []struct {
		role, session string
		tags          map[string]string
	}{
		{policy(stmt("Allow", "connect:*", "*")), "", nil},
		{policy(stmt("Allow", "connect:*", "*")), policy(stmt("Allow", "connect:ListInstances", "*")), nil},
		{policy(stmt("Allow", "connect:*", "*")), policy(stmt("Allow", "connect:Describe*", "*")), nil},
		{policy(stmt("Allow", "connect:Describe*", "*")), policy(stmt("Allow", "*", "*")), nil},
		{policy(stmt("Allow", "connect:*", "*")), policy(stmt("Allow", "*", "*"), stmt("Deny", "connect:List*", "*")), nil},
		{policy(stmt("Allow", "connect:*", "*"), stmt("Deny", "connect:ListInstances", "*")), policy(stmt("Allow", "*", "*")), nil},
		{policy(tagCond("Allow", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)), "", map[string]string{"team": "blue"}},
		{policy(tagCond("Allow", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)), "", map[string]string{"team": "red"}},
		{policy(tagCond("Allow", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)), "", nil},
		{policy(stmt("Allow", "connect:*", "*"), tagCond("Deny", `{"StringNotEqualsIfExists":{"aws:PrincipalTag/cc":"42"}}`)), "", map[string]string{"cc": "7"}},
		{policy(stmt("Allow", "connect:*", "*"), tagCond("Deny", `{"StringNotEqualsIfExists":{"aws:PrincipalTag/cc":"42"}}`)), "", nil},
		{policy(stmt("Allow", "connect:*", "*")), policy(tagCond("Allow", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)), map[string]string{"team": "blue"}},
		{policy(stmt("Allow", "connect:*", "*")), policy(tagCond("Allow", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)), map[string]string{"team": "red"}},
		{policy(tagCond("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/diff/*"}}`)), "", nil},
		{policy(tagCond("Allow", `{"StringEquals":{"aws:PrincipalType":"AssumedRole"},"Bool":{"aws:MultiFactorAuthPresent":"false"}}`)), "", nil},
		{policy(tagCond("Allow", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`)), "", nil},
	}
	agreed, allowed := 0, 0
	for i, tc := range cases {
		name := "Diff" + strconv.Itoa(i)
		roleARN := f.role(t, name, "/diff/", anyAccountTrust, tc.role)
		in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")}
		if tc.session != "" {
			in.Policy = aws.String(tc.session)
		}
		simCtx := map[string][]string{"aws:PrincipalArn": {roleARN}, "aws:PrincipalType": {"AssumedRole"}, "aws:PrincipalAccount": {"000000000000"},
			"aws:SourceIp": {"127.0.0.1"}, "aws:SecureTransport": {"false"}, "aws:RequestedRegion": {"us-east-1"}, "aws:MultiFactorAuthPresent": {"false"}}
		for k, v := range tc.tags {
			in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			simCtx["aws:PrincipalTag/"+k] = []string{v}
		}
		out, err := app.AssumeRole(ctx, in)
		must(t, err)
		simCtx["aws:userid"] = []string{*out.AssumedRoleUser.AssumedRoleId}
		simCtx["aws:TokenIssueTime"] = []string{time.Now().UTC().Format(time.RFC3339)}
		sess := f.srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
		_, real := connect.NewFromConfig(sess).ListInstances(ctx, &connect.ListInstancesInput{})
		realDecision := "allowed"
		if real != nil {
			if apiCode(real) != "AccessDeniedException" {
				t.Fatalf("case %d: %v", i, real)
			}
			realDecision = "denied"
		}
		sin := &iam.SimulateCustomPolicyInput{PolicyInputList: []string{tc.role}, ActionNames: []string{"connect:ListInstances"}, ContextEntries: contextEntries(simCtx)}
		if tc.session != "" {
			sin.PermissionsBoundaryPolicyInputList = []string{tc.session}
		}
		sim, err := f.ic.SimulateCustomPolicy(ctx, sin)
		must(t, err)
		simDecision := string(sim.EvaluationResults[0].EvalDecision)
		if simDecision != "allowed" {
			simDecision = "denied"
		}
		if simDecision != realDecision {
			t.Errorf("case %d (role %s, session %s, tags %v): real %s, simulator %s", i, tc.role, tc.session, tc.tags, realDecision, simDecision)
			continue
		}
		agreed++
		if realDecision == "allowed" {
			allowed++
		}
	}
	if allowed < 5 || agreed-allowed < 5 {
		t.Errorf("the table should exercise both outcomes: %d allowed, %d denied", allowed, agreed-allowed)
	}
	t.Logf("%d role sessions agree with SimulateCustomPolicy (%d allowed, %d denied)", agreed, allowed, agreed-allowed)
}
