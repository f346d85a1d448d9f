package connectfedtest

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Instance is a Connect instance with what a new instance has: the
// security profiles Admin, Agent, CallCenterManager and QualityAnalyst,
// and the routing profile Basic Routing Profile.
type Instance struct {
	ID, ARN, Alias string
	// AgentProfileID is the Agent security profile's id.
	AgentProfileID string
	// RoutingProfileID is the Basic Routing Profile's id.
	RoutingProfileID string
}

// Instance creates a SAML instance (the kind GetFederationToken works
// for) with the given alias, made unique if it is "", and fails the test
// if it cannot.
func (s *Server) Instance(alias string) *Instance {
	s.t.Helper()
	ctx := context.Background()
	if alias == "" {
		alias = "test-" + uniqueSuffix()
	}
	cc := connect.NewFromConfig(s.Config())
	out, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "SAML", InstanceAlias: aws.String(alias),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		s.t.Fatalf("connectfedtest: CreateInstance %s: %v", alias, err)
	}
	in := &Instance{ID: *out.Id, ARN: *out.Arn, Alias: alias}
	sps, err := cc.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: out.Id})
	if err != nil {
		s.t.Fatalf("connectfedtest: ListSecurityProfiles: %v", err)
	}
	for _, p := range sps.SecurityProfileSummaryList {
		if aws.ToString(p.Name) == "Agent" {
			in.AgentProfileID = aws.ToString(p.Id)
		}
	}
	rps, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: out.Id})
	if err != nil {
		s.t.Fatalf("connectfedtest: ListRoutingProfiles: %v", err)
	}
	for _, p := range rps.RoutingProfileSummaryList {
		if aws.ToString(p.Name) == "Basic Routing Profile" {
			in.RoutingProfileID = aws.ToString(p.Id)
		}
	}
	return in
}

// Agent is a Connect user and the temporary credentials its agent-facing
// backend federates it with: on AWS (and here) the backend assumes an IAM
// role with the agent's username as the role session name, and calls
// GetFederationToken with those credentials.
type Agent struct {
	Username, UserID, UserARN string
	Instance                  *Instance
	// Credentials are the role session's temporary credentials.
	Credentials aws.Credentials
	// Config is an aws-sdk-go-v2 configuration with Credentials.
	Config aws.Config
}

// The IAM side of the README's federation walkthrough, made once per
// server: the backend's IAM user and the role it assumes.
const (
	BackendUser    = "agent-backend"
	FederationRole = "ConnectAgentFederation"
)

type backend struct {
	once sync.Once
	key  aws.Credentials
	err  error
}

// backend makes the IAM user agent-backend with an access key, and the
// role ConnectAgentFederation that it may assume and that may call
// connect:GetFederationToken for the caller's own Connect user on every
// instance of the account.
func (s *Server) backend() aws.Credentials {
	s.t.Helper()
	b := &s.fedBackend
	b.once.Do(func() {
		ctx := context.Background()
		ic := iam.NewFromConfig(s.Config())
		if _, b.err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(BackendUser)}); b.err != nil {
			return
		}
		var k *iam.CreateAccessKeyOutput
		if k, b.err = ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(BackendUser)}); b.err != nil {
			return
		}
		b.key = aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
		if _, b.err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(FederationRole), AssumeRolePolicyDocument: aws.String(`{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": "arn:aws:iam::` + AccountID + `:user/` + BackendUser + `"}}]}`)}); b.err != nil {
			return
		}
		_, b.err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(FederationRole), PolicyName: aws.String("federate"),
			PolicyDocument: aws.String(`{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "connect:GetFederationToken",
                 "Resource": "arn:aws:connect:` + Region + `:` + AccountID + `:instance/*/user/${aws:userid}"}]}`)})
	})
	if b.err != nil {
		s.t.Fatalf("connectfedtest: the federation backend (IAM user %s, role %s): %v", BackendUser, FederationRole, b.err)
	}
	return b.key
}

// Agent creates the Connect user username (an agent, on the Basic Routing
// Profile) in inst, and assumes the federation role as that agent. The
// agent's Config then gets its federation token:
//
//	connect.NewFromConfig(agent.Config).GetFederationToken(ctx,
//		&connect.GetFederationTokenInput{InstanceId: aws.String(inst.ID)})
func (s *Server) Agent(inst *Instance, username string) *Agent {
	s.t.Helper()
	ctx := context.Background()
	u, err := connect.NewFromConfig(s.Config()).CreateUser(ctx, &connect.CreateUserInput{
		InstanceId: aws.String(inst.ID), Username: aws.String(username),
		PhoneConfig:        &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone},
		SecurityProfileIds: []string{inst.AgentProfileID}, RoutingProfileId: aws.String(inst.RoutingProfileID)})
	if err != nil {
		s.t.Fatalf("connectfedtest: CreateUser %s: %v", username, err)
	}
	ar, err := sts.NewFromConfig(s.ConfigFor(s.backend())).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + AccountID + ":role/" + FederationRole),
		RoleSessionName: aws.String(username)})
	if err != nil {
		s.t.Fatalf("connectfedtest: AssumeRole as %s: %v", username, err)
	}
	c := aws.Credentials{AccessKeyID: *ar.Credentials.AccessKeyId, SecretAccessKey: *ar.Credentials.SecretAccessKey,
		SessionToken: *ar.Credentials.SessionToken, CanExpire: true, Expires: *ar.Credentials.Expiration}
	return &Agent{Username: username, UserID: *u.UserId, UserARN: *u.UserArn, Instance: inst, Credentials: c, Config: s.ConfigFor(c)}
}

// FederationToken calls GetFederationToken as the agent.
func (a *Agent) FederationToken(ctx context.Context) (*connect.GetFederationTokenOutput, error) {
	return connect.NewFromConfig(a.Config).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(a.Instance.ID)})
}
