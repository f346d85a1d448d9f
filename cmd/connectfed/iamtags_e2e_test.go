package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

func iamTag(k, v string) iamtypes.Tag { return iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }

// TestIAMTags drives IAM tags on users and roles through aws-sdk-go-v2:
// Tags on create, Tag/Untag/List{User,Role}Tags, their errors, and the
// tags in evaluation: aws:PrincipalTag/<key> (user and role tags, a
// session tag winning), iam:ResourceTag/<key>, aws:RequestTag/<key>.
func TestIAMTags(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	ic := f.ic
	byTeam := policy(`{"Effect":"Allow","Action":"connect:ListInstances","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}`)
	cu, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: []iamtypes.Tag{iamTag("team", "red"), iamTag("cc", "1")}})
	must(t, err)
	if len(cu.User.Tags) != 2 {
		t.Errorf("CreateUser tags = %+v", cu.User.Tags)
	}
	_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("tagged"), PolicyName: aws.String("p"), PolicyDocument: aws.String(byTeam)})
	must(t, err)
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("tagged")})
	must(t, err)
	tc := connect.NewFromConfig(f.srv.awsConfig(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, ""))
	if _, err := tc.ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("ListInstances as team red: %v", err)
	}
	_, err = ic.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []iamtypes.Tag{iamTag("Team", "blue")}})
	must(t, err)
	if _, err := tc.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances as team blue: %v", err)
	}
	lt, err := ic.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged")})
	must(t, err)
	if len(lt.Tags) != 2 || *lt.Tags[0].Key != "Team" || *lt.Tags[0].Value != "blue" || lt.IsTruncated {
		t.Errorf("ListUserTags = %+v", lt.Tags)
	}
	gu, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("tagged")})
	must(t, err)
	if len(gu.User.Tags) != 2 {
		t.Errorf("GetUser tags = %+v", gu.User.Tags)
	}
	_, err = ic.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("tagged"), TagKeys: []string{"TEAM", "absent"}})
	must(t, err)
	if _, err := tc.ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("ListInstances after untagging: %v", err)
	}
	_, err = ic.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []iamtypes.Tag{iamTag("a", "1"), iamTag("A", "2")}})
	wantCode(t, "TagUser with duplicate keys", err, "InvalidInput")
	var many []iamtypes.Tag
	for i := 0; i < 50; i++ {
		many = append(many, iamTag("k"+strconv.Itoa(i), "v"))
	}
	_, err = ic.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: many})
	wantCode(t, "TagUser past 50 tags", err, "LimitExceeded")
	_, err = ic.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("nobody"), Tags: []iamtypes.Tag{iamTag("a", "1")}})
	wantCode(t, "TagUser of a missing user", err, "NoSuchEntity")
	_, err = ic.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("nobody")})
	wantCode(t, "ListUserTags of a missing user", err, "NoSuchEntity")
	_, err = ic.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []iamtypes.Tag{iamTag("bad key!", "1")}})
	wantCode(t, "TagUser with a bad key", err, "ValidationError")

	// Role tags are the session's principal tags; a session tag wins.
	roleARN := f.role(t, "Tagged", "/", anyAccountTrust, byTeam)
	_, err = ic.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("Tagged"), Tags: []iamtypes.Tag{iamTag("team", "blue")}})
	must(t, err)
	app := sts.NewFromConfig(f.user(t, "app", "/", policy(stmt("Allow", "sts:*", "*"))))
	sess := assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	if _, err := connect.NewFromConfig(sess).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances in a session of a role tagged team=blue: %v", err)
	}
	sess = assumeAs(t, f.srv, app, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	if _, err := connect.NewFromConfig(sess).ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("ListInstances with session tag team=red over role tag team=blue: %v", err)
	}
	rt, err := ic.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("Tagged")})
	must(t, err)
	if len(rt.Tags) != 1 || *rt.Tags[0].Key != "team" {
		t.Errorf("ListRoleTags = %+v", rt.Tags)
	}
	gr, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Tagged")})
	must(t, err)
	if len(gr.Role.Tags) != 1 {
		t.Errorf("GetRole tags = %+v", gr.Role.Tags)
	}
	_, err = ic.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("Tagged"), TagKeys: []string{"team"}})
	must(t, err)
	_, err = ic.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("nope"), TagKeys: []string{"team"}})
	wantCode(t, "UntagRole of a missing role", err, "NoSuchEntity")
	cr, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Born"), AssumeRolePolicyDocument: aws.String(anyAccountTrust), Tags: []iamtypes.Tag{iamTag("env", "test")}})
	must(t, err)
	if len(cr.Role.Tags) != 1 {
		t.Errorf("CreateRole tags = %+v", cr.Role.Tags)
	}

	// iam:ResourceTag and aws:RequestTag in an administrator's policy.
	admin := iam.NewFromConfig(f.user(t, "teamadmin", "/", policy(
		`{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"iam:ResourceTag/env":"test"}}}`,
		`{"Effect":"Allow","Action":"iam:TagRole","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/owner":"me"}}}`)))
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Born")}); err != nil {
		t.Errorf("GetRole of a role tagged env=test: %v", err)
	}
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Tagged")})
	wantDenied(t, "GetRole of an untagged role", err, roleARN)
	if _, err := admin.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("Born"), Tags: []iamtypes.Tag{iamTag("owner", "me")}}); err != nil {
		t.Errorf("TagRole with owner=me: %v", err)
	}
	_, err = admin.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("Born"), Tags: []iamtypes.Tag{iamTag("owner", "you")}})
	wantDenied(t, "TagRole with owner=you", err, *cr.Role.Arn)

	// The simulator sees a user's tags as aws:PrincipalTag.
	_, err = ic.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []iamtypes.Tag{iamTag("team", "blue")}})
	must(t, err)
	sim, err := ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/tagged"), ActionNames: []string{"connect:ListInstances"}})
	must(t, err)
	if sim.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("simulated ListInstances for a user tagged team=blue: %+v", sim.EvaluationResults[0])
	}
}
