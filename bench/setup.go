package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/sdkhttp"
)

const region = "us-east-1"

var rootCreds = aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}

// sdkConfig is an SDK config for a server at base with static keys.
func sdkConfig(base string, c aws.Credentials) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		BaseEndpoint:     aws.String(base),
		RetryMaxAttempts: 1,
		HTTPClient:       sdkhttp.New(),
	}
}

// fixture is the state the connectfed scenarios use.
type fixture struct {
	instanceID   string
	agentProfile string
	routing      string
	fedUsername  string // the Connect user the role session federates as
	fedUserID    string
	backend      aws.Credentials // the IAM user's access key
	roleARN      string
	session      aws.Credentials // AssumeRole as fedUsername
}

// createInstance makes a SAML instance through the API and finds its Agent
// security profile and routing profile.
func createInstance(ctx context.Context, base, alias string) (*fixture, error) {
	cc := connect.NewFromConfig(sdkConfig(base, rootCreds))
	inst, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: ctypes.DirectoryTypeSaml, InstanceAlias: aws.String(alias),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("CreateInstance: %w", err)
	}
	f := &fixture{instanceID: *inst.Id}
	sps, err := cc.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: inst.Id})
	if err != nil {
		return nil, fmt.Errorf("ListSecurityProfiles: %w", err)
	}
	for _, p := range sps.SecurityProfileSummaryList {
		if *p.Name == "Agent" {
			f.agentProfile = *p.Id
		}
	}
	rps, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: inst.Id})
	if err != nil {
		return nil, fmt.Errorf("ListRoutingProfiles: %w", err)
	}
	if f.agentProfile == "" || len(rps.RoutingProfileSummaryList) == 0 {
		return nil, fmt.Errorf("instance %s has no Agent or routing profile", f.instanceID)
	}
	f.routing = *rps.RoutingProfileSummaryList[0].Id
	return f, nil
}

// createConnectUser creates a SAML Connect user through the API.
func createConnectUser(ctx context.Context, base string, f *fixture, username string) (string, error) {
	cc := connect.NewFromConfig(sdkConfig(base, rootCreds))
	u, err := cc.CreateUser(ctx, &connect.CreateUserInput{
		InstanceId: aws.String(f.instanceID), Username: aws.String(username),
		PhoneConfig:        &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone, AfterContactWorkTimeLimit: 0},
		SecurityProfileIds: []string{f.agentProfile}, RoutingProfileId: aws.String(f.routing),
	})
	if err != nil {
		return "", fmt.Errorf("CreateUser %s: %w", username, err)
	}
	return *u.UserId, nil
}

// setupFederation does the README's federation walkthrough through the
// API: an IAM user with an access key, a role it may assume whose policy
// allows connect:GetFederationToken on the documented resource, and a role
// session named after f.fedUsername.
func setupFederation(ctx context.Context, base string, f *fixture) error {
	ic := iam.NewFromConfig(sdkConfig(base, rootCreds))
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("agent-backend")}); err != nil {
		return fmt.Errorf("iam CreateUser: %w", err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("agent-backend")})
	if err != nil {
		return fmt.Errorf("iam CreateAccessKey: %w", err)
	}
	f.backend = aws.Credentials{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",` +
		`"Principal":{"AWS":"arn:aws:iam::000000000000:user/agent-backend"}}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ConnectAgentFederation"),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(43200)})
	if err != nil {
		return fmt.Errorf("iam CreateRole: %w", err)
	}
	f.roleARN = *role.Role.Arn
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken",` +
		`"Resource":"arn:aws:connect:us-east-1:000000000000:instance/` + f.instanceID + `/user/${aws:userid}"}]}`
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ConnectAgentFederation"),
		PolicyName: aws.String("federate"), PolicyDocument: aws.String(policy)}); err != nil {
		return fmt.Errorf("iam PutRolePolicy: %w", err)
	}
	sc := sts.NewFromConfig(sdkConfig(base, f.backend))
	out, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN),
		RoleSessionName: aws.String(f.fedUsername), DurationSeconds: aws.Int32(43200)})
	if err != nil {
		return fmt.Errorf("sts AssumeRole: %w", err)
	}
	c := out.Credentials
	f.session = aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
	return nil
}

// signedDo sends one request signed like the load generator's and returns
// the status and body.
func signedDo(ctx context.Context, base string, creds aws.Credentials, service string, spec requestSpec) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, spec.method, base+spec.path, bytes.NewReader(spec.body))
	if err != nil {
		return 0, nil, err
	}
	if spec.contentType != "" {
		req.Header.Set("Content-Type", spec.contentType)
	}
	sum := sha256.Sum256(spec.body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Request builders for the scenarios.

func gftRequest(instanceID string) func(int, uint64) requestSpec {
	spec := requestSpec{method: "GET", path: "/user/federate/" + instanceID}
	return func(int, uint64) requestSpec { return spec }
}

func describeUserRequest(instanceID, userID string) func(int, uint64) requestSpec {
	spec := requestSpec{method: "GET", path: "/users/" + instanceID + "/" + userID}
	return func(int, uint64) requestSpec { return spec }
}

func describeInstanceRequest(instanceID string) func(int, uint64) requestSpec {
	spec := requestSpec{method: "GET", path: "/instance/" + instanceID}
	return func(int, uint64) requestSpec { return spec }
}

func assumeRoleRequest(roleARN, session string) func(int, uint64) requestSpec {
	body := []byte("Action=AssumeRole&Version=2011-06-15&RoleArn=" + url.QueryEscape(roleARN) +
		"&RoleSessionName=" + url.QueryEscape(session) + "&DurationSeconds=3600")
	spec := requestSpec{method: "POST", path: "/", body: body, contentType: "application/x-www-form-urlencoded; charset=utf-8"}
	return func(int, uint64) requestSpec { return spec }
}

// createUserRequest makes a new username per request: run id, worker and
// sequence number.
func createUserRequest(instanceID, agentProfile, routing, runID string) func(int, uint64) requestSpec {
	prefix := `{"PhoneConfig":{"AfterContactWorkTimeLimit":0,"PhoneType":"SOFT_PHONE"},"RoutingProfileId":"` + routing +
		`","SecurityProfileIds":["` + agentProfile + `"],"Username":"`
	return func(w int, seq uint64) requestSpec {
		body := fmt.Sprintf(`%sbench-%s-w%d-%d"}`, prefix, runID, w, seq)
		return requestSpec{method: "PUT", path: "/users/" + instanceID, body: []byte(body), contentType: "application/json"}
	}
}
