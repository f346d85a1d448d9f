package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// iamFixture is a server and the development root's IAM and STS clients.
type iamFixture struct {
	srv   *server
	clock *clock
	ic    *iam.Client
}

func newIAMFixture(t *testing.T, args ...string) *iamFixture {
	t.Helper()
	f := &iamFixture{clock: &clock{}}
	f.srv = startServerClock(t, "", f.clock.Now, args...)
	f.ic = iam.NewFromConfig(f.srv.awsConfig("test", "test", ""))
	return f
}

// user makes an IAM user with a path, inline policies and an access key,
// and returns an SDK config signed with that key.
func (f *iamFixture) user(t *testing.T, name, path string, policies ...string) aws.Config {
	t.Helper()
	ctx := context.Background()
	_, err := f.ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)})
	must(t, err)
	for i, doc := range policies {
		_, err := f.ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p" + string(rune('0'+i))), PolicyDocument: aws.String(doc)})
		must(t, err)
	}
	k, err := f.ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	must(t, err)
	return f.srv.awsConfig(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")
}

// role makes a role with a path, a trust policy and inline policies.
func (f *iamFixture) role(t *testing.T, name, path, trust string, policies ...string) string {
	t.Helper()
	ctx := context.Background()
	r, err := f.ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, err)
	for i, doc := range policies {
		_, err := f.ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p" + string(rune('0'+i))), PolicyDocument: aws.String(doc)})
		must(t, err)
	}
	return *r.Role.Arn
}

func stmt(effect, action, resource string) string {
	return `{"Effect":"` + effect + `","Action":"` + action + `","Resource":"` + resource + `"}`
}

func policy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func wantDenied(t *testing.T, what string, err error, resource string) {
	t.Helper()
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "on resource: "+resource) {
		t.Errorf("%s: got %v, want AccessDenied on %s", what, err, resource)
	}
}

// Defect 1: operations on an existing user or role are authorized against
// its real ARN, path included.
func TestIAMAuthorizesEntityPath(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	boss := "arn:aws:iam::000000000000:user/admins/boss"
	f.user(t, "boss", "/admins/")
	op := iam.NewFromConfig(f.user(t, "operator", "/",
		policy(stmt("Allow", "iam:*", "*"), stmt("Deny", "iam:*", "arn:aws:iam::000000000000:user/admins/*"),
			stmt("Deny", "iam:*", "arn:aws:iam::000000000000:role/admins/*"))))
	_, err := op.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("boss"), PolicyName: aws.String("takeover"), PolicyDocument: aws.String(policy(stmt("Allow", "*", "*")))})
	wantDenied(t, "PutUserPolicy on a user under a denied path", err, boss)
	_, err = op.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("boss")})
	wantDenied(t, "CreateAccessKey on a user under a denied path", err, boss)
	for name, call := range map[string]func() error{
		"GetUser": func() error { _, err := op.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("boss")}); return err },
		"ListAccessKeys": func() error {
			_, err := op.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("boss")})
			return err
		},
		"DeleteUserPolicy": func() error {
			_, err := op.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("boss"), PolicyName: aws.String("x")})
			return err
		},
		"DeleteUser": func() error {
			_, err := op.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("boss")})
			return err
		},
	} {
		wantDenied(t, name, call(), boss)
	}
	// The same for a role under a path.
	admin := f.role(t, "AdminRole", "/admins/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}`)
	_, err = op.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("AdminRole"), PolicyName: aws.String("x"), PolicyDocument: aws.String(policy(stmt("Allow", "*", "*")))})
	wantDenied(t, "PutRolePolicy on a role under a denied path", err, admin)
	_, err = op.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AdminRole")})
	wantDenied(t, "GetRole", err, admin)
	_, err = op.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("AdminRole")})
	wantDenied(t, "DeleteRole", err, admin)
	// Outside the path the operator is allowed.
	f.user(t, "plain", "/")
	if _, err := op.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("plain")}); err != nil {
		t.Errorf("GetUser outside the denied path: %v", err)
	}
	// An Allow on the path grants, and a missing user is NoSuchEntity for
	// an allowed caller.
	reader := iam.NewFromConfig(f.user(t, "reader", "/", policy(stmt("Allow", "iam:GetUser", "arn:aws:iam::000000000000:user/admins/*"),
		stmt("Allow", "iam:ListAccessKeys", "arn:aws:iam::000000000000:user/admins/*"), stmt("Allow", "iam:GetUser", "arn:aws:iam::000000000000:user/ghost"))))
	u, err := reader.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("boss")})
	if err != nil || *u.User.Arn != boss || *u.User.Path != "/admins/" {
		t.Errorf("GetUser allowed by path: %v %v", u, err)
	}
	if _, err := reader.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("boss")}); err != nil {
		t.Errorf("ListAccessKeys allowed by path: %v", err)
	}
	_, err = reader.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
	if apiCode(err) != "NoSuchEntity" {
		t.Errorf("GetUser of a missing user, allowed: %v", err)
	}
	_, err = reader.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("plain")})
	wantDenied(t, "GetUser outside the allowed path", err, "arn:aws:iam::000000000000:user/plain")
}

// Defect 4: a name spelled in another case is authorized against the
// stored entity's canonical ARN.
func TestIAMAuthorizesCanonicalName(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	f.user(t, "Root2", "/")
	op := iam.NewFromConfig(f.user(t, "operator", "/",
		policy(stmt("Allow", "iam:*", "*"), stmt("Deny", "iam:*", "arn:aws:iam::000000000000:user/Root2"))))
	for _, spelling := range []string{"ROOT2", "root2", "Root2"} {
		_, err := op.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(spelling)})
		wantDenied(t, "CreateAccessKey "+spelling, err, "arn:aws:iam::000000000000:user/Root2")
		_, err = op.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(spelling), PolicyName: aws.String("x"), PolicyDocument: aws.String(policy(stmt("Allow", "*", "*")))})
		wantDenied(t, "PutUserPolicy "+spelling, err, "arn:aws:iam::000000000000:user/Root2")
	}
	keys, err := f.ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("root2")})
	must(t, err)
	if len(keys.AccessKeyMetadata) != 1 {
		t.Errorf("Root2 has %d keys, want 1", len(keys.AccessKeyMetadata))
	}
	// An Allow on the canonical ARN covers every spelling.
	f.user(t, "Mixed", "/")
	ok := iam.NewFromConfig(f.user(t, "helper", "/", policy(stmt("Allow", "iam:GetUser", "arn:aws:iam::000000000000:user/Mixed"))))
	if u, err := ok.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("MIXED")}); err != nil || *u.User.UserName != "Mixed" {
		t.Errorf("GetUser MIXED allowed on user/Mixed: %v %v", u, err)
	}
}

// Defect 2: aws:PrincipalArn of a role session is the role's ARN with its
// path.
func TestPrincipalArnHasRolePath(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	app := f.user(t, "app", "/", policy(stmt("Allow", "sts:AssumeRole", "*")))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}`
	allow := policy(`{"Effect":"Allow","Action":"connect:ListInstances","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/restricted/*"}}}`)
	roleARN := f.role(t, "Pathed", "/restricted/", trust, allow)
	out, err := sts.NewFromConfig(app).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	must(t, err)
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/Pathed/s1" {
		t.Errorf("assumed-role ARN = %s (AWS leaves the path out)", *out.AssumedRoleUser.Arn)
	}
	c := out.Credentials
	sess := f.srv.awsConfig(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	if _, err := connect.NewFromConfig(sess).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances allowed by aws:PrincipalArn role/restricted/*: %v", err)
	}
	// The same pattern with a Deny: the session is refused.
	_, err = f.ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Pathed"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(policy(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/restricted/*"}}}`))})
	must(t, err)
	_, err = connect.NewFromConfig(sess).ListInstances(ctx, &connect.ListInstancesInput{})
	if apiCode(err) != "AccessDeniedException" {
		t.Errorf("ListInstances denied by aws:PrincipalArn role/restricted/*: %v", err)
	}
}

// Defect 8: without UserName, the access key operations act on the
// caller's own keys, root included; root's GetUser CreateDate is the
// account's creation time.
func TestRootOwnAccessKeys(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	list := func() []string {
		t.Helper()
		out, err := f.ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
		must(t, err)
		var ids []string
		for _, k := range out.AccessKeyMetadata {
			ids = append(ids, *k.AccessKeyId)
		}
		return ids
	}
	if ids := list(); len(ids) != 1 || ids[0] != "test" {
		t.Fatalf("root ListAccessKeys = %v, want [test]", ids)
	}
	k, err := f.ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	must(t, err)
	if !strings.HasPrefix(*k.AccessKey.AccessKeyId, "AKIA") || len(*k.AccessKey.SecretAccessKey) != 40 {
		t.Errorf("root CreateAccessKey = %+v", k.AccessKey)
	}
	id, err := sts.NewFromConfig(f.srv.awsConfig(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if *id.Arn != "arn:aws:iam::000000000000:root" {
		t.Errorf("new root key signs as %s", *id.Arn)
	}
	if ids := list(); len(ids) != 2 {
		t.Errorf("root ListAccessKeys = %v, want 2 keys", ids)
	}
	_, err = f.ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if apiCode(err) != "LimitExceeded" {
		t.Errorf("third root key: %v", err)
	}
	_, err = f.ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String("AKIANOTAKEY000000000")})
	if apiCode(err) != "NoSuchEntity" {
		t.Errorf("DeleteAccessKey of an unknown root key: %v", err)
	}
	_, err = f.ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: k.AccessKey.AccessKeyId})
	must(t, err)
	if ids := list(); len(ids) != 1 || ids[0] != "test" {
		t.Errorf("after delete, root ListAccessKeys = %v", ids)
	}
	_, err = sts.NewFromConfig(f.srv.awsConfig(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("deleted root key: %v", err)
	}
	// An IAM user without UserName manages its own keys, not root's.
	self := iam.NewFromConfig(f.user(t, "self", "/", policy(stmt("Allow", "iam:*AccessKey*", "arn:aws:iam::000000000000:user/self"))))
	own, err := self.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	must(t, err)
	if len(own.AccessKeyMetadata) != 1 || *own.AccessKeyMetadata[0].UserName != "self" {
		t.Errorf("user's own ListAccessKeys = %+v", own.AccessKeyMetadata)
	}
	// Root's CreateDate is the account's and does not move.
	u1, err := f.ic.GetUser(ctx, &iam.GetUserInput{})
	must(t, err)
	f.clock.Set(10 * time.Minute) // within the signature skew window
	u2, err := f.ic.GetUser(ctx, &iam.GetUserInput{})
	must(t, err)
	if !u1.User.CreateDate.Equal(*u2.User.CreateDate) || time.Since(*u1.User.CreateDate) > time.Minute {
		t.Errorf("root CreateDate %v then %v, want the account's creation time, fixed", u1.User.CreateDate, u2.User.CreateDate)
	}
}
