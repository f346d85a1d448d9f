package main

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// TestIAMManagedPolicies drives managed policies through aws-sdk-go-v2:
// versions, listing by scope, attachment to users and roles, evaluation of
// attached policies (customer and AWS managed), PolicyArns as session
// policies, the simulator, and each operation's modelled errors.
func TestIAMManagedPolicies(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	ic := f.ic
	listInstances := policy(stmt("Allow", "connect:ListInstances", "*"))
	cp, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ListConnect"), Path: aws.String("/cc/"),
		PolicyDocument: aws.String(listInstances), Description: aws.String("list instances")})
	must(t, err)
	arn := "arn:aws:iam::000000000000:policy/cc/ListConnect"
	if *cp.Policy.Arn != arn || *cp.Policy.DefaultVersionId != "v1" || !cp.Policy.IsAttachable || aws.ToInt32(cp.Policy.AttachmentCount) != 0 {
		t.Errorf("CreatePolicy = %+v", cp.Policy)
	}
	_, err = ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("listconnect"), PolicyDocument: aws.String(listInstances)})
	wantCode(t, "CreatePolicy with a taken name", err, "EntityAlreadyExists")
	_, err = ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Bad"), PolicyDocument: aws.String(`{"Statement":[`)})
	wantCode(t, "CreatePolicy malformed", err, "MalformedPolicyDocument")
	_, err = ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::000000000000:policy/nope")})
	wantCode(t, "GetPolicy missing", err, "NoSuchEntity")
	_, err = ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::000000000000:role/NotAPolicy")})
	wantCode(t, "GetPolicy with a role ARN", err, "InvalidInput")
	gp, err := ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")})
	must(t, err)
	if *gp.Policy.DefaultVersionId != "v4" || *gp.Policy.Path != "/" {
		t.Errorf("GetPolicy AmazonConnectReadOnlyAccess = %+v", gp.Policy)
	}
	gv, err := ic.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnect_FullAccess"), VersionId: aws.String("v4")})
	must(t, err)
	if doc, _ := url.QueryUnescape(*gv.PolicyVersion.Document); !gv.PolicyVersion.IsDefaultVersion || len(doc) < 100 {
		t.Errorf("GetPolicyVersion AmazonConnect_FullAccess = %+v", gv.PolicyVersion)
	}
	_, err = ic.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), PolicyDocument: aws.String(listInstances)})
	wantCode(t, "CreatePolicyVersion on an AWS managed policy", err, "AccessDenied")

	// Versions: up to five, newest listed first; the default cannot be deleted.
	for i := 2; i <= 5; i++ {
		v, err := ic.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(listInstances), SetAsDefault: i == 3})
		must(t, err)
		if want := "v" + string(rune('0'+i)); *v.PolicyVersion.VersionId != want || v.PolicyVersion.IsDefaultVersion != (i == 3) {
			t.Errorf("CreatePolicyVersion %d = %+v", i, v.PolicyVersion)
		}
	}
	_, err = ic.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(listInstances)})
	wantCode(t, "a sixth version", err, "LimitExceeded")
	lv, err := ic.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(4)})
	must(t, err)
	if len(lv.Versions) != 4 || *lv.Versions[0].VersionId != "v5" || !lv.IsTruncated || !lv.Versions[2].IsDefaultVersion {
		t.Errorf("ListPolicyVersions = %+v", lv.Versions)
	}
	lv, err = ic.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn), Marker: lv.Marker})
	must(t, err)
	if len(lv.Versions) != 1 || *lv.Versions[0].VersionId != "v1" || lv.IsTruncated {
		t.Errorf("ListPolicyVersions page 2 = %+v", lv.Versions)
	}
	_, err = ic.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	wantCode(t, "DeletePolicyVersion of the default", err, "DeleteConflict")
	_, err = ic.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantCode(t, "DeletePolicyVersion of a missing version", err, "NoSuchEntity")
	_, err = ic.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantCode(t, "SetDefaultPolicyVersion of a missing version", err, "NoSuchEntity")
	_, err = ic.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("bad")})
	wantCode(t, "SetDefaultPolicyVersion with a bad id", err, "ValidationError")
	_, err = ic.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v4")})
	must(t, err)
	_, err = ic.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	must(t, err)
	_, err = ic.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantCode(t, "GetPolicyVersion of a missing version", err, "NoSuchEntity")
	_, err = ic.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")})
	must(t, err)
	if gp, err := ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}); err != nil || *gp.Policy.DefaultVersionId != "v5" {
		t.Errorf("GetPolicy after SetDefaultPolicyVersion v5: %v", err)
	}
	_, err = ic.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	must(t, err)
	for _, v := range []string{"v1", "v2", "v4", "v5"} {
		_, err := ic.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)})
		must(t, err)
	}

	// ListPolicies by scope.
	names := func(scope iamtypes.PolicyScopeType, attached bool) []string {
		out, err := ic.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: scope, OnlyAttached: attached})
		must(t, err)
		var n []string
		for _, p := range out.Policies {
			n = append(n, *p.PolicyName)
		}
		return n
	}
	if got := join(names(iamtypes.PolicyScopeTypeLocal, false)); got != "ListConnect" {
		t.Errorf("ListPolicies Local = %q", got)
	}
	if got := join(names(iamtypes.PolicyScopeTypeAws, false)); got != "AdministratorAccess AmazonConnect_FullAccess AmazonConnectReadOnlyAccess AmazonConnectVoiceIDFullAccess" {
		t.Errorf("ListPolicies AWS = %q", got)
	}
	if got := len(names(iamtypes.PolicyScopeTypeAll, false)); got != 5 {
		t.Errorf("ListPolicies All: %d policies", got)
	}

	// Attached policies are evaluated: a user with only an attached policy may list instances.
	ucfg := f.user(t, "agentadmin", "/")
	uc := connect.NewFromConfig(ucfg)
	if _, err := uc.ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Fatalf("ListInstances before attaching: %v", err)
	}
	_, err = ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("agentadmin"), PolicyArn: aws.String(arn)})
	must(t, err)
	if _, err := uc.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances with an attached policy: %v", err)
	}
	_, err = ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("agentadmin"), PolicyArn: aws.String("arn:aws:iam::000000000000:policy/nope")})
	wantCode(t, "AttachUserPolicy of a missing policy", err, "NoSuchEntity")
	_, err = ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: aws.String(arn)})
	wantCode(t, "AttachUserPolicy to a missing user", err, "NoSuchEntity")
	la, err := ic.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("agentadmin")})
	must(t, err)
	if len(la.AttachedPolicies) != 1 || *la.AttachedPolicies[0].PolicyArn != arn || *la.AttachedPolicies[0].PolicyName != "ListConnect" {
		t.Errorf("ListAttachedUserPolicies = %+v", la.AttachedPolicies)
	}
	_, err = ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("agentadmin")})
	wantCode(t, "DeleteUser with an attached policy", err, "DeleteConflict")
	_, err = ic.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantCode(t, "DeletePolicy while attached", err, "DeleteConflict")

	// A role with AmazonConnectReadOnlyAccess: reads allowed, writes not.
	roleARN := f.role(t, "ConnectReader", "/", anyAccountTrust)
	_, err = ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ConnectReader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")})
	must(t, err)
	_, err = ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ConnectReader"), PolicyArn: aws.String(arn)})
	must(t, err)
	app := sts.NewFromConfig(f.user(t, "app", "/", policy(stmt("Allow", "sts:AssumeRole", "*"))))
	sess := assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("reader")})
	rc := connect.NewFromConfig(sess)
	if _, err := rc.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances under AmazonConnectReadOnlyAccess: %v", err)
	}
	if _, err := rc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "SAML", InstanceAlias: aws.String("x1"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("CreateInstance under AmazonConnectReadOnlyAccess: %v", err)
	}
	lr, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ConnectReader"), MaxItems: aws.Int32(1)})
	must(t, err)
	if len(lr.AttachedPolicies) != 1 || !lr.IsTruncated {
		t.Errorf("ListAttachedRolePolicies page 1 = %+v", lr.AttachedPolicies)
	}
	ents, err := ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)})
	must(t, err)
	if len(ents.PolicyUsers) != 1 || *ents.PolicyUsers[0].UserName != "agentadmin" || len(ents.PolicyRoles) != 1 || *ents.PolicyRoles[0].RoleName != "ConnectReader" {
		t.Errorf("ListEntitiesForPolicy = %+v %+v", ents.PolicyUsers, ents.PolicyRoles)
	}
	ents, err = ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), EntityFilter: iamtypes.EntityTypeRole})
	must(t, err)
	if len(ents.PolicyUsers) != 0 || len(ents.PolicyRoles) != 1 {
		t.Errorf("ListEntitiesForPolicy Role = %+v %+v", ents.PolicyUsers, ents.PolicyRoles)
	}
	if got := join(names(iamtypes.PolicyScopeTypeAll, true)); got != "AmazonConnectReadOnlyAccess ListConnect" {
		t.Errorf("ListPolicies OnlyAttached = %q", got)
	}
	gp, err = ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	must(t, err)
	if aws.ToInt32(gp.Policy.AttachmentCount) != 2 || *gp.Policy.DefaultVersionId != "v3" {
		t.Errorf("GetPolicy after attaching = %+v", gp.Policy)
	}

	// PolicyArns as a session policy: the session may do what both the
	// role and the managed session policy allow.
	full := assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("narrow"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/AmazonConnectVoiceIDFullAccess")}}})
	if _, err := connect.NewFromConfig(full).ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("ListInstances with a session policy that does not allow it: %v", err)
	}
	ok := assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ok"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String(arn)}}})
	if _, err := connect.NewFromConfig(ok).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances with a session policy that allows it: %v", err)
	}
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("xx"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::000000000000:policy/nope")}}})
	wantCode(t, "AssumeRole with an unknown PolicyArns entry", err, "MalformedPolicyDocument")

	// The simulator sees attached policies, named and typed as IAM does.
	sim, err := ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(roleARN),
		ActionNames: []string{"connect:DescribeUser", "connect:AdminGetEmergencyAccessToken"}})
	must(t, err)
	if r := sim.EvaluationResults[0]; r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || len(r.MatchedStatements) != 1 ||
		*r.MatchedStatements[0].SourcePolicyId != "AmazonConnectReadOnlyAccess" || r.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeAwsManaged {
		t.Errorf("simulated DescribeUser = %+v", r)
	}
	if r := sim.EvaluationResults[1]; r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeExplicitDeny {
		t.Errorf("simulated AdminGetEmergencyAccessToken = %+v", r)
	}

	_, err = ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ConnectReader")})
	wantCode(t, "DeleteRole with attached policies", err, "DeleteConflict")

	// Detach, and the permission goes; a second detach is NoSuchEntity.
	_, err = ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("agentadmin"), PolicyArn: aws.String(arn)})
	must(t, err)
	if _, err := uc.ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("ListInstances after detaching: %v", err)
	}
	_, err = ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("agentadmin"), PolicyArn: aws.String(arn)})
	wantCode(t, "DetachUserPolicy of a detached policy", err, "NoSuchEntity")
	for _, p := range []string{arn, "arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess"} {
		_, err = ic.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("ConnectReader"), PolicyArn: aws.String(p)})
		must(t, err)
	}
	_, err = ic.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	must(t, err)
	_, err = ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	wantCode(t, "GetPolicy after DeletePolicy", err, "NoSuchEntity")

	// iam:PolicyARN restricts which policies a delegate may attach.
	delegate := iam.NewFromConfig(f.user(t, "delegate", "/", policy(`{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess"}}}`)))
	_, err = delegate.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ConnectReader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantDenied(t, "AttachRolePolicy of a policy iam:PolicyARN does not allow", err, roleARN)
	_, err = delegate.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ConnectReader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")})
	must(t, err)
}
