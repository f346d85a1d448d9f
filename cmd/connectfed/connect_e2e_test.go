package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"
)

// TestConnectEndToEnd drives every Connect operation of part 1 through
// aws-sdk-go-v2's own client, then restarts the program on the same data
// dir and finds everything still there.
func TestConnectEndToEnd(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, "")
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))

	created, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeSaml,
		InstanceAlias:          aws.String("acme-support"),
		InboundCallsEnabled:    aws.Bool(true),
		OutboundCallsEnabled:   aws.Bool(false),
		Tags:                   map[string]string{"team": "support"},
	})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	instID := *created.Id
	wantARN := "arn:aws:connect:us-east-1:000000000000:instance/" + instID
	if *created.Arn != wantARN {
		t.Errorf("CreateInstance Arn = %s, want %s", *created.Arn, wantARN)
	}

	desc, err := cc.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(instID)})
	if err != nil {
		t.Fatalf("DescribeInstance: %v", err)
	}
	in := desc.Instance
	if in.InstanceStatus != types.InstanceStatusActive || *in.InstanceAlias != "acme-support" ||
		in.IdentityManagementType != types.DirectoryTypeSaml || !*in.InboundCallsEnabled || *in.OutboundCallsEnabled ||
		*in.InstanceAccessUrl != "https://acme-support.my.connect.aws" || in.Tags["team"] != "support" {
		t.Errorf("DescribeInstance = %+v", in)
	}
	if d := time.Since(*in.CreatedTime); d < 0 || d > time.Minute {
		t.Errorf("CreatedTime %v is not now", in.CreatedTime)
	}
	// The instance ARN works wherever the id does.
	if _, err := cc.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(wantARN)}); err != nil {
		t.Errorf("DescribeInstance by ARN: %v", err)
	}

	sps, err := cc.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(instID)})
	if err != nil {
		t.Fatalf("ListSecurityProfiles: %v", err)
	}
	profiles := map[string]string{}
	for _, p := range sps.SecurityProfileSummaryList {
		profiles[*p.Name] = *p.Id
	}
	for _, name := range []string{"Admin", "Agent", "CallCenterManager", "QualityAnalyst"} {
		if profiles[name] == "" {
			t.Errorf("security profile %s missing: %v", name, profiles)
		}
	}
	rps, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: aws.String(instID)})
	if err != nil {
		t.Fatalf("ListRoutingProfiles: %v", err)
	}
	if len(rps.RoutingProfileSummaryList) != 1 || *rps.RoutingProfileSummaryList[0].Name != "Basic Routing Profile" {
		t.Fatalf("routing profiles = %+v", rps.RoutingProfileSummaryList)
	}
	routingID := *rps.RoutingProfileSummaryList[0].Id

	cu, err := cc.CreateUser(ctx, &connect.CreateUserInput{
		InstanceId:         aws.String(instID),
		Username:           aws.String("jane.doe@example.com"),
		SecurityProfileIds: []string{profiles["Agent"]},
		RoutingProfileId:   aws.String(routingID),
		PhoneConfig:        &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone, AfterContactWorkTimeLimit: 30},
		IdentityInfo:       &types.UserIdentityInfo{FirstName: aws.String("Jane"), LastName: aws.String("Doe"), Email: aws.String("jane.doe@example.com")},
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	userID := *cu.UserId
	if *cu.UserArn != wantARN+"/agent/"+userID {
		t.Errorf("UserArn = %s", *cu.UserArn)
	}

	// Duplicate username: DuplicateResourceException 409.
	_, err = cc.CreateUser(ctx, &connect.CreateUserInput{
		InstanceId: aws.String(instID), Username: aws.String("jane.doe@example.com"),
		SecurityProfileIds: []string{profiles["Agent"]}, RoutingProfileId: aws.String(routingID),
	})
	var dup *types.DuplicateResourceException
	if !errors.As(err, &dup) {
		t.Errorf("duplicate CreateUser: got %v, want DuplicateResourceException", err)
	}
	assertStatus(t, err, 409)
	// Usernames are case-sensitive: a different case is another user.
	if _, err := cc.CreateUser(ctx, &connect.CreateUserInput{
		InstanceId: aws.String(instID), Username: aws.String("Jane.Doe@example.com"),
		SecurityProfileIds: []string{profiles["Agent"]}, RoutingProfileId: aws.String(routingID),
	}); err != nil {
		t.Errorf("CreateUser with other case: %v", err)
	}

	du, err := cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(instID), UserId: aws.String(userID)})
	if err != nil {
		t.Fatalf("DescribeUser: %v", err)
	}
	u := du.User
	if *u.Username != "jane.doe@example.com" || *u.IdentityInfo.FirstName != "Jane" || u.PhoneConfig.AfterContactWorkTimeLimit != 30 ||
		u.SecurityProfileIds[0] != profiles["Agent"] || *u.RoutingProfileId != routingID || *u.LastModifiedRegion != "us-east-1" {
		t.Errorf("DescribeUser = %+v", u)
	}

	if _, err := cc.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{
		InstanceId: aws.String(instID), UserId: aws.String(userID),
		IdentityInfo: &types.UserIdentityInfo{FirstName: aws.String("Janet"), LastName: aws.String("Doe")},
	}); err != nil {
		t.Fatalf("UpdateUserIdentityInfo: %v", err)
	}
	if _, err := cc.UpdateUserPhoneConfig(ctx, &connect.UpdateUserPhoneConfigInput{
		InstanceId: aws.String(instID), UserId: aws.String(userID),
		PhoneConfig: &types.UserPhoneConfig{PhoneType: types.PhoneTypeDeskPhone, DeskPhoneNumber: aws.String("+14155550100"), AutoAccept: true},
	}); err != nil {
		t.Fatalf("UpdateUserPhoneConfig: %v", err)
	}
	if _, err := cc.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{
		InstanceId: aws.String(instID), UserId: aws.String(userID),
		SecurityProfileIds: []string{profiles["Agent"], profiles["QualityAnalyst"]},
	}); err != nil {
		t.Fatalf("UpdateUserSecurityProfiles: %v", err)
	}
	if _, err := cc.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{
		InstanceId: aws.String(instID), UserId: aws.String(userID), RoutingProfileId: aws.String(routingID),
	}); err != nil {
		t.Fatalf("UpdateUserRoutingProfile: %v", err)
	}
	du, err = cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(instID), UserId: aws.String(userID)})
	if err != nil {
		t.Fatal(err)
	}
	if *du.User.IdentityInfo.FirstName != "Janet" || du.User.PhoneConfig.PhoneType != types.PhoneTypeDeskPhone ||
		*du.User.PhoneConfig.DeskPhoneNumber != "+14155550100" || len(du.User.SecurityProfileIds) != 2 {
		t.Errorf("after updates: %+v", du.User)
	}
	// An update naming a profile that does not exist changes nothing.
	_, err = cc.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{
		InstanceId: aws.String(instID), UserId: aws.String(userID), SecurityProfileIds: []string{"no-such-profile"},
	})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("unknown security profile: got %v", err)
	}

	// Pagination through ListUsers with opaque tokens.
	for i := 0; i < 5; i++ {
		if _, err := cc.CreateUser(ctx, &connect.CreateUserInput{
			InstanceId: aws.String(instID), Username: aws.String(fmt.Sprintf("agent%d", i)),
			SecurityProfileIds: []string{profiles["Agent"]}, RoutingProfileId: aws.String(routingID),
		}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	pages := 0
	p := connect.NewListUsersPaginator(cc, &connect.ListUsersInput{InstanceId: aws.String(instID), MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers page: %v", err)
		}
		pages++
		for _, s := range out.UserSummaryList {
			if seen[*s.Username] {
				t.Errorf("user %s listed twice", *s.Username)
			}
			seen[*s.Username] = true
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Errorf("ListUsers saw %d users in %d pages, want 7 in 3", len(seen), pages)
	}
	// A forged token is InvalidRequestException.
	_, err = cc.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(instID), NextToken: aws.String("Zm9yZ2VkLXRva2VuLXRoYXQtaXMtbG9uZw")})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) {
		t.Errorf("forged nextToken: got %v, want InvalidRequestException", err)
	}

	// Unknown ids are ResourceNotFoundException 404.
	_, err = cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(instID), UserId: aws.String("00000000-0000-4000-8000-000000000000")})
	if !errors.As(err, &rnf) {
		t.Errorf("unknown user: %v", err)
	}
	assertStatus(t, err, 404)
	_, err = cc.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String("00000000-0000-4000-8000-000000000000")})
	if !errors.As(err, &rnf) {
		t.Errorf("unknown instance: %v", err)
	}
	// Too-long instance id: validation error from the server.
	_, err = cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(strings.Repeat("a", 101)), UserId: aws.String("x")})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) || !strings.Contains(ipe.ErrorMessage(), "length less than or equal to 100") {
		t.Errorf("101-char instance id: %v", err)
	}

	// A second instance, so ListInstances paginates and DeleteInstance is
	// shown to take only its own users.
	other, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeConnectManaged, InstanceAlias: aws.String("acme-sales"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	li, err := cc.ListInstances(ctx, &connect.ListInstancesInput{MaxResults: aws.Int32(1)})
	if err != nil || len(li.InstanceSummaryList) != 1 || li.NextToken == nil {
		t.Fatalf("ListInstances page 1: %+v %v", li, err)
	}
	li2, err := cc.ListInstances(ctx, &connect.ListInstancesInput{MaxResults: aws.Int32(1), NextToken: li.NextToken})
	if err != nil || len(li2.InstanceSummaryList) != 1 || li2.NextToken != nil || *li2.InstanceSummaryList[0].Id == *li.InstanceSummaryList[0].Id {
		t.Fatalf("ListInstances page 2: %+v %v", li2, err)
	}
	// A token from ListInstances is refused by ListUsers.
	_, err = cc.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(instID), NextToken: li.NextToken})
	if !errors.As(err, &ire) {
		t.Errorf("foreign nextToken: got %v, want InvalidRequestException", err)
	}

	if _, err := cc.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(instID), UserId: aws.String(userID)}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(instID), UserId: aws.String(userID)})
	if !errors.As(err, &rnf) {
		t.Errorf("deleted user: %v", err)
	}
	_, err = cc.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(instID), UserId: aws.String(userID)})
	if !errors.As(err, &rnf) {
		t.Errorf("second DeleteUser: %v", err)
	}

	// Restart on the same data dir: everything is still there.
	srv.stop()
	srv = startServer(t, srv.dataDir)
	cc = connect.NewFromConfig(srv.awsConfig("test", "test", ""))
	desc2, err := cc.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(instID)})
	if err != nil {
		t.Fatalf("after restart DescribeInstance: %v", err)
	}
	if !desc2.Instance.CreatedTime.Equal(desc.Instance.CreatedTime.Truncate(time.Millisecond)) && !desc2.Instance.CreatedTime.Equal(*desc.Instance.CreatedTime) {
		t.Errorf("CreatedTime changed across restart: %v vs %v", desc2.Instance.CreatedTime, desc.Instance.CreatedTime)
	}
	lu, err := cc.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(instID)})
	if err != nil || len(lu.UserSummaryList) != 6 {
		t.Fatalf("after restart ListUsers: %d users, %v", len(lu.UserSummaryList), err)
	}
	// A page token from before the restart still works (keys persist).
	if _, err := cc.ListInstances(ctx, &connect.ListInstancesInput{MaxResults: aws.Int32(1), NextToken: li.NextToken}); err != nil {
		t.Errorf("pre-restart nextToken: %v", err)
	}

	// DeleteInstance takes its users and profiles with it.
	if _, err := cc.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(instID)}); err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	_, err = cc.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(instID)})
	if !errors.As(err, &rnf) {
		t.Errorf("ListUsers of deleted instance: %v", err)
	}
	li3, err := cc.ListInstances(ctx, &connect.ListInstancesInput{})
	if err != nil || len(li3.InstanceSummaryList) != 1 || *li3.InstanceSummaryList[0].Id != *other.Id {
		t.Errorf("ListInstances after delete: %+v %v", li3, err)
	}
}

// TestConnectValidation checks that bad input is a clean 4xx that changes
// nothing.
func TestConnectValidation(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, "")
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))

	_, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: "LDAP", InstanceAlias: aws.String("d-bad"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || !strings.HasPrefix(ire.ErrorMessage(), "2 validation errors detected:") {
		t.Errorf("bad CreateInstance: %v", err)
	}
	assertStatus(t, err, 400)
	li, err := cc.ListInstances(ctx, &connect.ListInstancesInput{})
	if err != nil || len(li.InstanceSummaryList) != 0 {
		t.Errorf("a refused CreateInstance left %d instances (%v)", len(li.InstanceSummaryList), err)
	}

	inst, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeSaml, InstanceAlias: aws.String("valid"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	// SAML instances refuse passwords and usernames outside [a-zA-Z0-9_.@-].
	_, err = cc.CreateUser(ctx, &connect.CreateUserInput{
		InstanceId: inst.Id, Username: aws.String("has space"), SecurityProfileIds: []string{"x"}, RoutingProfileId: aws.String("y"),
	})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("bad SAML username: %v", err)
	}
	_, err = cc.CreateUser(ctx, &connect.CreateUserInput{
		InstanceId: inst.Id, Username: aws.String("ok"), Password: aws.String("Secret123!"), SecurityProfileIds: []string{"x"}, RoutingProfileId: aws.String("y"),
	})
	if !errors.As(err, &ire) {
		t.Errorf("password on SAML instance: %v", err)
	}
	_, err = cc.CreateUser(ctx, &connect.CreateUserInput{
		InstanceId: inst.Id, Username: aws.String("ok"), SecurityProfileIds: make([]string, 11), RoutingProfileId: aws.String("y"),
	})
	if !errors.As(err, &ipe) {
		t.Errorf("11 security profiles: %v", err)
	}
	_, err = cc.ListUsers(ctx, &connect.ListUsersInput{InstanceId: inst.Id, MaxResults: aws.Int32(1001)})
	if !errors.As(err, &ipe) {
		t.Errorf("maxResults 1001: %v", err)
	}
	lu, err := cc.ListUsers(ctx, &connect.ListUsersInput{InstanceId: inst.Id})
	if err != nil || len(lu.UserSummaryList) != 0 {
		t.Errorf("refused CreateUsers left users: %+v %v", lu, err)
	}
}

func assertStatus(t *testing.T, err error, want int) {
	t.Helper()
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) {
		t.Errorf("error %v carries no HTTP status", err)
		return
	}
	if re.HTTPStatusCode() != want {
		t.Errorf("status = %d, want %d (%v)", re.HTTPStatusCode(), want, err)
	}
}

// apiCode returns the AWS error code of err.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
