package main

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestIAMListsAndUpdates drives ListUsers, ListRoles (PathPrefix and
// paging), Get/List{User,Role}Policy, UpdateAssumeRolePolicy and
// UpdateRole through aws-sdk-go-v2, with their modelled errors.
func TestIAMListsAndUpdates(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	ic := f.ic
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}`
	for _, u := range []struct{ name, path string }{{"carol", "/agents/"}, {"alice", "/agents/"}, {"Bob", "/"}, {"dave", "/admins/"}} {
		_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Path: aws.String(u.path)})
		must(t, err)
	}
	// Paging through everything, two at a time, in name order.
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		out, err := ic.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(2), Marker: marker})
		must(t, err)
		for _, u := range out.Users {
			names = append(names, *u.UserName)
		}
		if !out.IsTruncated {
			if out.Marker != nil {
				t.Errorf("last page has Marker %q", *out.Marker)
			}
			break
		}
		marker = out.Marker
		if pages > 5 {
			t.Fatal("ListUsers does not end")
		}
	}
	if want := "alice Bob carol dave"; join(names) != want {
		t.Errorf("ListUsers = %q, want %q", join(names), want)
	}
	out, err := ic.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/agents/")})
	must(t, err)
	if len(out.Users) != 2 || *out.Users[0].Path != "/agents/" || *out.Users[0].Arn != "arn:aws:iam::000000000000:user/agents/alice" {
		t.Errorf("ListUsers PathPrefix=/agents/ = %+v", out.Users)
	}
	_, err = ic.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("forged")})
	wantCode(t, "ListUsers with a forged marker", err, "InvalidInput")
	_, err = ic.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("agents")})
	wantCode(t, "ListUsers with a bad PathPrefix", err, "ValidationError")
	_, err = ic.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})
	wantCode(t, "ListUsers MaxItems 1001", err, "ValidationError")

	f.role(t, "Zeta", "/svc/", trust, policy(stmt("Allow", "connect:*", "*")))
	f.role(t, "alpha", "/", trust)
	rl, err := ic.ListRoles(ctx, &iam.ListRolesInput{})
	must(t, err)
	if len(rl.Roles) != 2 || *rl.Roles[0].RoleName != "alpha" || *rl.Roles[1].RoleName != "Zeta" || rl.IsTruncated {
		t.Errorf("ListRoles = %+v", rl.Roles)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(rl.Roles[0].AssumeRolePolicyDocument)); doc != trust {
		t.Errorf("ListRoles trust policy = %q", doc)
	}
	rl, err = ic.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/svc/"), MaxItems: aws.Int32(1)})
	must(t, err)
	if len(rl.Roles) != 1 || *rl.Roles[0].RoleName != "Zeta" || rl.IsTruncated {
		t.Errorf("ListRoles /svc/ = %+v truncated=%v", rl.Roles, rl.IsTruncated)
	}
	// A marker of one listing does not continue another.
	ul, err := ic.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1)})
	must(t, err)
	_, err = ic.ListRoles(ctx, &iam.ListRolesInput{Marker: ul.Marker})
	wantCode(t, "ListRoles with ListUsers' marker", err, "InvalidInput")

	// Inline policies: read back, listed in order, NoSuchEntity for each missing part.
	doc := policy(stmt("Allow", "connect:Describe*", "*"))
	for _, n := range []string{"b", "a"} {
		_, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String(n), PolicyDocument: aws.String(doc)})
		must(t, err)
	}
	gp, err := ic.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("a")})
	must(t, err)
	if got, _ := url.QueryUnescape(*gp.PolicyDocument); got != doc || *gp.UserName != "alice" || *gp.PolicyName != "a" {
		t.Errorf("GetUserPolicy = %+v (%q)", gp, got)
	}
	_, err = ic.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("zz")})
	wantCode(t, "GetUserPolicy of a missing policy", err, "NoSuchEntity")
	_, err = ic.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("a")})
	wantCode(t, "GetUserPolicy of a missing user", err, "NoSuchEntity")
	lp, err := ic.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice"), MaxItems: aws.Int32(1)})
	must(t, err)
	if join(lp.PolicyNames) != "a" || !lp.IsTruncated {
		t.Errorf("ListUserPolicies page 1 = %v %v", lp.PolicyNames, lp.IsTruncated)
	}
	lp, err = ic.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice"), Marker: lp.Marker})
	must(t, err)
	if join(lp.PolicyNames) != "b" || lp.IsTruncated {
		t.Errorf("ListUserPolicies page 2 = %v %v", lp.PolicyNames, lp.IsTruncated)
	}
	_, err = ic.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("nobody")})
	wantCode(t, "ListUserPolicies of a missing user", err, "NoSuchEntity")
	rp, err := ic.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("Zeta"), PolicyName: aws.String("p0")})
	must(t, err)
	if *rp.RoleName != "Zeta" || *rp.PolicyName != "p0" {
		t.Errorf("GetRolePolicy = %+v", rp)
	}
	_, err = ic.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("Zeta"), PolicyName: aws.String("nope")})
	wantCode(t, "GetRolePolicy of a missing policy", err, "NoSuchEntity")
	rlp, err := ic.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("Zeta")})
	must(t, err)
	if join(rlp.PolicyNames) != "p0" {
		t.Errorf("ListRolePolicies = %v", rlp.PolicyNames)
	}
	_, err = ic.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("nope")})
	wantCode(t, "ListRolePolicies of a missing role", err, "NoSuchEntity")

	// UpdateRole and UpdateAssumeRolePolicy change what GetRole returns.
	_, err = ic.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("alpha"), Description: aws.String("agents"), MaxSessionDuration: aws.Int32(7200)})
	must(t, err)
	newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/agents/alice"},"Action":"sts:AssumeRole"}]}`
	_, err = ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("alpha"), PolicyDocument: aws.String(newTrust)})
	must(t, err)
	gr, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("alpha")})
	must(t, err)
	if got, _ := url.QueryUnescape(*gr.Role.AssumeRolePolicyDocument); got != newTrust || aws.ToString(gr.Role.Description) != "agents" || aws.ToInt32(gr.Role.MaxSessionDuration) != 7200 {
		t.Errorf("GetRole after updates = %+v (%q)", gr.Role, got)
	}
	_, err = ic.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("alpha"), MaxSessionDuration: aws.Int32(60)})
	wantCode(t, "UpdateRole MaxSessionDuration 60", err, "ValidationError")
	_, err = ic.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("nope")})
	wantCode(t, "UpdateRole of a missing role", err, "NoSuchEntity")
	_, err = ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("alpha"), PolicyDocument: aws.String(`{"Statement":[]`)})
	wantCode(t, "UpdateAssumeRolePolicy with a malformed document", err, "MalformedPolicyDocument")
	_, err = ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("nope"), PolicyDocument: aws.String(newTrust)})
	wantCode(t, "UpdateAssumeRolePolicy of a missing role", err, "NoSuchEntity")

	// The listings are authorized: a user without iam:ListUsers is refused.
	nobody := iam.NewFromConfig(f.user(t, "nopriv", "/"))
	_, err = nobody.ListUsers(ctx, &iam.ListUsersInput{})
	wantDenied(t, "ListUsers without permission", err, "*")
	_, err = nobody.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("a")})
	wantDenied(t, "GetUserPolicy without permission", err, "arn:aws:iam::000000000000:user/agents/alice")
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
