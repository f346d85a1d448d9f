package awsapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/awsapi"
	cconnect "github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
)

// The handlers are tested in-process: the real AWS SDK clients against
// awsapi.Server on httptest, over the in-memory store. The binary's
// end-to-end suite (cmd/connectfed) covers the same operations with every
// client and both databases.

const rootKey, rootSecret, acct = "AKIAHANDLERTEST00001", "handler-test-secret", "111122223333"

type apiEnv struct {
	url   string
	store connectfed.Store
	ev    *events
}

type events struct{ names []string }

func (e *events) Emit(_ context.Context, ev connectfed.Event) { e.names = append(e.names, ev.Name()) }

func newAPI(t *testing.T) *apiEnv {
	t.Helper()
	ctx := t.Context()
	store := memory.New()
	sealer, err := seal.NewSealer(make([]byte, 32))
	must(t, err)
	ids := &identity.Service{Store: store, Sealer: sealer}
	must(t, ids.EnsureAccount(ctx, connectfed.Account{ID: acct}, []identity.RootKey{{AccessKeyID: rootKey, SecretAccessKey: rootSecret}}))
	cs := &cconnect.Service{Store: store}
	kr, err := federation.OpenKeyRing(ctx, store, sealer, time.Now, 24*time.Hour, 12*time.Hour)
	must(t, err)
	ids.Keys = kr
	fed := &federation.Service{Store: store, Connect: cs, Authorizer: ids, Keys: kr, PublicURL: "https://cf.example"}
	ev := &events{}
	srv := httptest.NewServer(awsapi.New(awsapi.Config{Store: store, Identity: ids, Connect: cs, Federation: fed,
		PageKey: sealer.DeriveKey("pagination"), Events: ev}))
	t.Cleanup(srv.Close)
	return &apiEnv{url: srv.URL, store: store, ev: ev}
}

func (e *apiEnv) config(key, secret, token string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.url),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

// TestGetFederationTokenThroughTheSDK: root sets up an instance, a user, a
// role and its policy; a session of the role named after the user gets a
// token; the rules' refusals reach the SDK as their modeled errors.
func TestGetFederationTokenThroughTheSDK(t *testing.T) {
	e := newAPI(t)
	ctx := t.Context()
	root := e.config(rootKey, rootSecret, "")
	cc := connect.NewFromConfig(root)
	inst, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("handlers"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	must(t, err)
	sps, err := cc.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: inst.Id})
	must(t, err)
	rps, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: inst.Id})
	must(t, err)
	user, err := cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: inst.Id, Username: aws.String("alice"),
		PhoneConfig:        &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone},
		SecurityProfileIds: []string{*sps.SecurityProfileSummaryList[0].Id}, RoutingProfileId: rps.RoutingProfileSummaryList[0].Id})
	must(t, err)

	// Root cannot federate.
	_, err = cc.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: inst.Id})
	wantCode(t, err, "InvalidRequestException")

	ic := iam.NewFromConfig(root)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Agent"), AssumeRolePolicyDocument: aws.String(trust)})
	must(t, err)
	// Root may not assume a role.
	_, err = sts.NewFromConfig(root).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("root")})
	wantCode(t, err, "AccessDenied")

	// An IAM user with a key assumes the role.
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("backend")})
	must(t, err)
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("backend")})
	must(t, err)
	_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("backend"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)})
	must(t, err)
	backend := sts.NewFromConfig(e.config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, ""))
	session := func(name string) *connect.Client {
		out, err := backend.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String(name)})
		must(t, err)
		c := out.Credentials
		return connect.NewFromConfig(e.config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
	}

	// Without connect:GetFederationToken the session is denied.
	_, err = session("alice").GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: inst.Id})
	wantCode(t, err, "AccessDeniedException")

	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Agent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*"}]}`)})
	must(t, err)
	tok, err := session("alice").GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: inst.Id})
	must(t, err)
	if *tok.UserId != *user.UserId || !strings.HasPrefix(*tok.SignInUrl, "https://cf.example/connect/"+*inst.Id+"/auth/sign-in?token=") ||
		tok.Credentials.AccessTokenExpiration == nil || tok.Credentials.RefreshTokenExpiration.Before(*tok.Credentials.AccessTokenExpiration) {
		t.Errorf("GetFederationToken = %+v %+v", tok, tok.Credentials)
	}
	_, err = session("bob").GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: inst.Id})
	var unf *ctypes.UserNotFoundException
	if !errors.As(err, &unf) {
		t.Errorf("an unknown session name: %v, want UserNotFoundException", err)
	}
	_, err = session("alice").GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantCode(t, err, "ResourceNotFoundException")

	// The issue and the writes reached the event sink.
	names := strings.Join(e.ev.names, " ")
	for _, want := range []string{"CreateInstance", "CreateUser", "CreateRole", "AssumeRole", "token-issued"} {
		if !strings.Contains(names, want) {
			t.Errorf("events %q lack %s", names, want)
		}
	}
}

// TestUnknownKey: a request signed with an unknown key is refused in each
// protocol's own shape.
func TestUnknownKey(t *testing.T) {
	e := newAPI(t)
	ctx := t.Context()
	bad := e.config("AKIANOTAKEY000000000", "x", "")
	_, err := connect.NewFromConfig(bad).ListInstances(ctx, &connect.ListInstancesInput{})
	wantCode(t, err, "UnrecognizedClientException")
	_, err = sts.NewFromConfig(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")
	_, err = connect.NewFromConfig(e.config(rootKey, "wrong-secret", "")).ListInstances(ctx, &connect.ListInstancesInput{})
	wantCode(t, err, "InvalidSignatureException")
}
