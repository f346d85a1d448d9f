package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSTSGetSessionTokenAndAccessKeyInfo drives GetSessionToken and
// GetAccessKeyInfo through aws-sdk-go-v2: a user's session acts as the
// user (its policies, its aws:PrincipalTag), cannot call IAM or STS
// beyond AssumeRole and GetCallerIdentity, root's lasts at most an hour,
// and the modelled errors.
func TestSTSGetSessionTokenAndAccessKeyInfo(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	ucfg := f.user(t, "worker", "/", policy(stmt("Allow", "connect:ListInstances", "*"), stmt("Allow", "iam:*", "*"), stmt("Allow", "sts:*", "*")))
	us := sts.NewFromConfig(ucfg)
	out, err := us.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	must(t, err)
	cr := out.Credentials
	if d := time.Until(*cr.Expiration); d < 13*time.Minute || d > 16*time.Minute || (*cr.AccessKeyId)[:4] != "ASIA" {
		t.Errorf("GetSessionToken credentials = %s expiring in %v", *cr.AccessKeyId, d)
	}
	scfg := f.srv.awsConfig(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken)
	id, err := sts.NewFromConfig(scfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if *id.Arn != "arn:aws:iam::000000000000:user/worker" {
		t.Errorf("GetCallerIdentity of the session = %s", *id.Arn)
	}
	if _, err := connect.NewFromConfig(scfg).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("ListInstances with the user's session: %v", err)
	}
	_, err = iam.NewFromConfig(scfg).ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, "IAM with GetSessionToken credentials", err, "AccessDenied")
	_, err = sts.NewFromConfig(scfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantCode(t, "GetSessionToken with session credentials", err, "AccessDenied")
	_, err = sts.NewFromConfig(scfg).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: cr.AccessKeyId})
	wantCode(t, "GetAccessKeyInfo with session credentials", err, "AccessDenied")
	_, err = us.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(600)})
	wantCode(t, "GetSessionToken for 600 s", err, "ValidationError")
	_, err = us.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::000000000000:mfa/worker"), TokenCode: aws.String("123456")})
	wantCode(t, "GetSessionToken with an MFA code", err, "AccessDenied")

	// Root's session token lasts at most an hour.
	rs := sts.NewFromConfig(f.srv.awsConfig("test", "test", ""))
	rout, err := rs.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	must(t, err)
	if d := time.Until(*rout.Credentials.Expiration); d > 61*time.Minute {
		t.Errorf("root's session token lasts %v", d)
	}

	// GetAccessKeyInfo: the account of an IAM user's key; temporary key
	// ids are not recorded (self-contained sessions), like unknown ones.
	keys, err := f.ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("worker")})
	must(t, err)
	info, err := us.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId})
	must(t, err)
	if *info.Account != "000000000000" {
		t.Errorf("GetAccessKeyInfo = %s", *info.Account)
	}
	for _, key := range []string{*rout.Credentials.AccessKeyId, "AKIAUNKNOWN000000000"} {
		_, err := us.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		wantCode(t, "GetAccessKeyInfo of "+key, err, "ValidationError")
	}
	_, err = us.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("short")})
	wantCode(t, "GetAccessKeyInfo of a malformed id", err, "ValidationError")

	// The user's session ends with the user.
	_, err = f.ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("worker"), AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId})
	must(t, err)
	_, err = f.ic.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("worker"), PolicyName: aws.String("p0")})
	must(t, err)
	_, err = f.ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("worker")})
	must(t, err)
	time.Sleep(600 * time.Millisecond) // the credential cache's bound
	if _, err := connect.NewFromConfig(scfg).ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("the session of a deleted user: %v", err)
	}
}
