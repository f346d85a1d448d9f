package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestIAMGroups drives groups through aws-sdk-go-v2: membership, a group's
// inline and attached policies applying to its members (real requests
// and the simulator), and the modelled errors.
func TestIAMGroups(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	ic := f.ic
	cg, err := ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Supervisors"), Path: aws.String("/cc/")})
	must(t, err)
	if *cg.Group.Arn != "arn:aws:iam::000000000000:group/cc/Supervisors" || len(*cg.Group.GroupId) != 21 {
		t.Errorf("CreateGroup = %+v", cg.Group)
	}
	_, err = ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("supervisors")})
	wantCode(t, "CreateGroup with a taken name", err, "EntityAlreadyExists")
	_, err = ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Agents")})
	must(t, err)
	lg, err := ic.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/cc/")})
	must(t, err)
	if len(lg.Groups) != 1 || *lg.Groups[0].GroupName != "Supervisors" {
		t.Errorf("ListGroups /cc/ = %+v", lg.Groups)
	}

	sup := connect.NewFromConfig(f.user(t, "sue", "/"))
	if _, err := sup.ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Fatalf("ListInstances before joining: %v", err)
	}
	_, err = ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Supervisors"), UserName: aws.String("sue")})
	must(t, err)
	_, err = ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Agents"), UserName: aws.String("sue")})
	must(t, err)
	_, err = ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Nope"), UserName: aws.String("sue")})
	wantCode(t, "AddUserToGroup to a missing group", err, "NoSuchEntity")
	_, err = ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Agents"), UserName: aws.String("nobody")})
	wantCode(t, "AddUserToGroup of a missing user", err, "NoSuchEntity")

	// A group's inline policy applies to its members.
	_, err = ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("Supervisors"), PolicyName: aws.String("list"), PolicyDocument: aws.String(policy(stmt("Allow", "connect:ListInstances", "*")))})
	must(t, err)
	if _, err := sup.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances through the group's inline policy: %v", err)
	}
	gp, err := ic.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("Supervisors"), PolicyName: aws.String("list")})
	must(t, err)
	if *gp.GroupName != "Supervisors" || *gp.PolicyName != "list" {
		t.Errorf("GetGroupPolicy = %+v", gp)
	}
	lp, err := ic.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("Supervisors")})
	must(t, err)
	if join(lp.PolicyNames) != "list" {
		t.Errorf("ListGroupPolicies = %v", lp.PolicyNames)
	}
	_, err = ic.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("Supervisors"), PolicyName: aws.String("nope")})
	wantCode(t, "GetGroupPolicy missing", err, "NoSuchEntity")

	// A group's attached policy too; an explicit deny in any group wins.
	_, err = ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("Agents"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")})
	must(t, err)
	la, err := ic.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("Agents")})
	must(t, err)
	if len(la.AttachedPolicies) != 1 || *la.AttachedPolicies[0].PolicyName != "AmazonConnectReadOnlyAccess" {
		t.Errorf("ListAttachedGroupPolicies = %+v", la.AttachedPolicies)
	}
	ents, err := ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")})
	must(t, err)
	if len(ents.PolicyGroups) != 1 || *ents.PolicyGroups[0].GroupName != "Agents" {
		t.Errorf("ListEntitiesForPolicy groups = %+v", ents.PolicyGroups)
	}
	if _, err := sup.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String("00000000-0000-0000-0000-000000000000"), UserId: aws.String("x")}); apiCode(err) == "AccessDeniedException" {
		t.Errorf("DescribeUser through the group's attached AmazonConnectReadOnlyAccess: %v", err)
	}
	sim, err := ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/sue"), ActionNames: []string{"connect:ListInstances"}})
	must(t, err)
	var types []string
	for _, m := range sim.EvaluationResults[0].MatchedStatements {
		types = append(types, string(m.SourcePolicyType)+":"+*m.SourcePolicyId)
	}
	if join(types) != "aws-managed:AmazonConnectReadOnlyAccess group:list" { // groups in name order: Agents, Supervisors
		t.Errorf("simulated ListInstances matched %v", types)
	}
	_, err = ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("Agents"), PolicyName: aws.String("deny"), PolicyDocument: aws.String(policy(stmt("Deny", "connect:ListInstances", "*")))})
	must(t, err)
	if _, err := sup.ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("ListInstances with a deny in another group: %v", err)
	}

	gg, err := ic.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("supervisors")})
	must(t, err)
	if *gg.Group.GroupName != "Supervisors" || len(gg.Users) != 1 || *gg.Users[0].UserName != "sue" {
		t.Errorf("GetGroup = %+v %+v", gg.Group, gg.Users)
	}
	lgu, err := ic.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("sue"), MaxItems: aws.Int32(1)})
	must(t, err)
	if len(lgu.Groups) != 1 || *lgu.Groups[0].GroupName != "Agents" || !lgu.IsTruncated {
		t.Errorf("ListGroupsForUser = %+v", lgu.Groups)
	}
	_, err = ic.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Nope")})
	wantCode(t, "GetGroup missing", err, "NoSuchEntity")

	// Deleting needs the group emptied and its policies gone; a user in a group cannot be deleted.
	_, err = ic.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Supervisors")})
	wantCode(t, "DeleteGroup with members", err, "DeleteConflict")
	_, err = ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("nobody")})
	wantCode(t, "DeleteUser missing", err, "NoSuchEntity")
	_, err = ic.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Supervisors"), UserName: aws.String("sue")})
	must(t, err)
	_, err = ic.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Supervisors"), UserName: aws.String("sue")})
	wantCode(t, "RemoveUserFromGroup of a non-member", err, "NoSuchEntity")
	_, err = ic.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Supervisors")})
	wantCode(t, "DeleteGroup with an inline policy", err, "DeleteConflict")
	_, err = ic.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("Supervisors"), PolicyName: aws.String("list")})
	must(t, err)
	_, err = ic.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Supervisors")})
	must(t, err)
	_, err = ic.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("Agents"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")})
	must(t, err)
	_, err = ic.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("Agents"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")})
	wantCode(t, "DetachGroupPolicy of a detached policy", err, "NoSuchEntity")
	// Keys first, then the group: DeleteUser refuses while sue is in Agents.
	keys, err := ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("sue")})
	must(t, err)
	for _, k := range keys.AccessKeyMetadata {
		_, err := ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("sue"), AccessKeyId: k.AccessKeyId})
		must(t, err)
	}
	_, err = ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("sue")})
	wantCode(t, "DeleteUser in a group", err, "DeleteConflict")
}
