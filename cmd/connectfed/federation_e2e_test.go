package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/sdkhttp"
)

// fedFixture is a server with a SAML instance holding Connect user "alice",
// an IAM user "agent-app" that may assume role "ConnectAgent", whose policy
// allows connect:GetFederationToken on the documented resource.
type fedFixture struct {
	srv        *server
	client     *http.Client // nil: the SDK's default
	clock      *clock
	instanceID string
	userID     string
	routingID  string
	agentSP    string
	appKey     string
	appSecret  string
	roleARN    string
}

const otherAccount = "111111111111"

func newFedFixture(t testing.TB, serveArgs ...string) *fedFixture {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "connectfed.yaml")
	os.WriteFile(cfgPath, []byte(`accounts:
  - id: "`+otherAccount+`"
    name: other-team
    rootKeys:
      - accessKeyId: AKIAOTHERACCOUNT0001
        secretAccessKey: other-account-secret-key-000001
`), 0o600)
	f := &fedFixture{clock: &clock{}}
	f.srv = startServerClock(t, "", f.clock.Now, append([]string{"--config", cfgPath}, serveArgs...)...)
	f.setup(t)
	return f
}

// config is an SDK config for the fixture's server with these keys.
func (f *fedFixture) config(key, secret, token string) aws.Config {
	c := f.srv.awsConfig(key, secret, token)
	if f.client != nil {
		c.HTTPClient = sdkhttp.Client{HTTP: f.client}
	}
	return c
}

// setup creates the fixture's instance, user, IAM user and role.
func (f *fedFixture) setup(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	root := f.config("test", "test", "")
	cc := connect.NewFromConfig(root)
	ic := iam.NewFromConfig(root)

	inst, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: ctypes.DirectoryTypeSaml, InstanceAlias: aws.String("fed-test"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	must(t, err)
	f.instanceID = *inst.Id
	f.agentSP, f.routingID = defaultProfiles(t, cc, f.instanceID)
	f.userID = createAgent(t, cc, f.instanceID, "alice", f.agentSP, f.routingID)

	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("agent-app")})
	must(t, err)
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("agent-app")})
	must(t, err)
	f.appKey, f.appSecret = *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/agent-app"},"Action":"sts:AssumeRole"}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ConnectAgent"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(43200)})
	must(t, err)
	f.roleARN = *role.Role.Arn
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ConnectAgent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(federatePolicy("arn:aws:connect:us-east-1:000000000000:instance/" + f.instanceID + "/user/${aws:userid}"))})
	must(t, err)
}

func federatePolicy(resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"` + resource + `"}]}`
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func defaultProfiles(t testing.TB, cc *connect.Client, instanceID string) (agent, routing string) {
	t.Helper()
	ctx := context.Background()
	sps, err := cc.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(instanceID)})
	must(t, err)
	for _, p := range sps.SecurityProfileSummaryList {
		if *p.Name == "Agent" {
			agent = *p.Id
		}
	}
	rps, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: aws.String(instanceID)})
	must(t, err)
	return agent, *rps.RoutingProfileSummaryList[0].Id
}

func createAgent(t testing.TB, cc *connect.Client, instanceID, username, sp, rp string) string {
	t.Helper()
	u, err := cc.CreateUser(context.Background(), &connect.CreateUserInput{
		InstanceId: aws.String(instanceID), Username: aws.String(username),
		SecurityProfileIds: []string{sp}, RoutingProfileId: aws.String(rp),
	})
	must(t, err)
	return *u.UserId
}

// assume assumes the fixture's role as the IAM user, with a session name.
func (f *fedFixture) assume(t testing.TB, session string, seconds int32) aws.Config {
	t.Helper()
	sc := sts.NewFromConfig(f.config(f.appKey, f.appSecret, ""))
	out, err := sc.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN), RoleSessionName: aws.String(session), DurationSeconds: aws.Int32(seconds)})
	must(t, err)
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || len(*c.SecretAccessKey) != 40 || *c.SessionToken == "" {
		t.Fatalf("AssumeRole credentials look wrong: %s", *c.AccessKeyId)
	}
	if want := "arn:aws:sts::000000000000:assumed-role/ConnectAgent/" + session; *out.AssumedRoleUser.Arn != want {
		t.Errorf("AssumedRoleUser.Arn = %s, want %s", *out.AssumedRoleUser.Arn, want)
	}
	return f.config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

func TestFederateAgent(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	sess := f.assume(t, "alice", 3600)

	id, err := sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if *id.Arn != "arn:aws:sts::000000000000:assumed-role/ConnectAgent/alice" || *id.Account != "000000000000" || !strings.HasSuffix(*id.UserId, ":alice") || !strings.HasPrefix(*id.UserId, "AROA") {
		t.Errorf("GetCallerIdentity = %s %s %s", *id.Arn, *id.Account, *id.UserId)
	}

	before := time.Now().Truncate(time.Second)
	out, err := connect.NewFromConfig(sess).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
	must(t, err)
	c := out.Credentials
	if len(*c.AccessToken) < 64 || len(*c.RefreshToken) < 64 || *c.AccessToken == *c.RefreshToken {
		t.Errorf("tokens look wrong: %d/%d chars", len(*c.AccessToken), len(*c.RefreshToken))
	}
	if d := c.AccessTokenExpiration.Sub(before); d < time.Hour-2*time.Second || d > time.Hour+2*time.Second {
		t.Errorf("access token lifetime %v, want 1h", d)
	}
	if d := c.RefreshTokenExpiration.Sub(before); d < 12*time.Hour-2*time.Second || d > 12*time.Hour+2*time.Second {
		t.Errorf("refresh token lifetime %v, want 12h", d)
	}
	if *out.UserId != f.userID || *out.UserArn != "arn:aws:connect:us-east-1:000000000000:instance/"+f.instanceID+"/agent/"+f.userID {
		t.Errorf("UserId/UserArn = %s %s", *out.UserId, *out.UserArn)
	}
	if !strings.HasPrefix(*out.SignInUrl, f.srv.url+"/") {
		t.Errorf("SignInUrl %s is not under %s", *out.SignInUrl, f.srv.url)
	}
	// Two calls give different, unguessable tokens.
	out2, err := connect.NewFromConfig(sess).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
	must(t, err)
	if *out2.Credentials.AccessToken == *c.AccessToken {
		t.Error("two federations returned the same access token")
	}
	// The instance ARN works as InstanceId too.
	if _, err := connect.NewFromConfig(sess).GetFederationToken(ctx, &connect.GetFederationTokenInput{
		InstanceId: aws.String("arn:aws:connect:us-east-1:000000000000:instance/" + f.instanceID)}); err != nil {
		t.Errorf("GetFederationToken by instance ARN: %v", err)
	}
}

// TestFederationErrors reaches each documented outcome through the SDK.
// TestConcurrentFederation: responses encoded at the same time (into
// pooled buffers) each say only their own caller's user and tokens.
func TestConcurrentFederation(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	bobID := createAgent(t, connect.NewFromConfig(f.config("test", "test", "")), f.instanceID, "bob", f.agentSP, f.routingID)
	users := map[string]string{"alice": f.userID, "bob": bobID}
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for name, id := range users {
		sess := f.assume(t, name, 3600)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cc := connect.NewFromConfig(sess)
				for range 10 {
					out, err := cc.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
					if err != nil {
						t.Error(err)
						return
					}
					c := out.Credentials
					if *out.UserId != id || !strings.HasSuffix(*out.UserArn, "/agent/"+id) || !strings.HasSuffix(*out.SignInUrl, "?token="+*c.AccessToken) {
						t.Errorf("%s got UserId %s, UserArn %s, SignInUrl %s", name, *out.UserId, *out.UserArn, *out.SignInUrl)
					}
					mu.Lock()
					for _, tok := range []string{*c.AccessToken, *c.RefreshToken} {
						if seen[tok] {
							t.Errorf("token handed out twice: %s", tok)
						}
						seen[tok] = true
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
}

func TestFederationErrors(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	root := f.srv.awsConfig("test", "test", "")
	ic := iam.NewFromConfig(root)
	cc := connect.NewFromConfig(root)

	t.Run("root is refused", func(t *testing.T) {
		_, err := cc.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
		var e *ctypes.InvalidRequestException
		if !errors.As(err, &e) || e.ErrorMessage() != "Provided identity: Principal: arn:aws:iam::000000000000:root User: 000000000000 cannot be used for federation with Amazon Connect" {
			t.Fatalf("got %v", err)
		}
		assertStatus(t, err, 400)
	})

	t.Run("IAM user whose name matches a Connect user", func(t *testing.T) {
		createAgent(t, cc, f.instanceID, "bob", f.agentSP, f.routingID)
		_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
		must(t, err)
		k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
		must(t, err)
		_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("fed"),
			PolicyDocument: aws.String(federatePolicy("arn:aws:connect:us-east-1:000000000000:instance/*/user/${aws:userid}"))})
		must(t, err)
		out, err := connect.NewFromConfig(f.srv.awsConfig(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")).
			GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
		must(t, err)
		du, err := cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(f.instanceID), UserId: out.UserId})
		must(t, err)
		if *du.User.Username != "bob" {
			t.Errorf("token is for %s, want bob", *du.User.Username)
		}
	})

	t.Run("session name that matches no user", func(t *testing.T) {
		_, err := connect.NewFromConfig(f.assume(t, "nobody", 900)).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
		var e *ctypes.UserNotFoundException
		if !errors.As(err, &e) || e.ErrorMessage() != "No user with the specified credentials was found in the Amazon Connect instance." {
			t.Fatalf("got %v", err)
		}
		assertStatus(t, err, 404)
	})

	t.Run("usernames are case-sensitive", func(t *testing.T) {
		_, err := connect.NewFromConfig(f.assume(t, "Alice", 900)).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
		var e *ctypes.UserNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("policy does not allow the instance", func(t *testing.T) {
		other, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
			InstanceAlias: aws.String("not-allowed"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
		must(t, err)
		sess := f.assume(t, "alice", 900)
		_, err = connect.NewFromConfig(sess).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: other.Id})
		var roleID string
		id, _ := sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		roleID = *id.UserId
		want := fmt.Sprintf("User: arn:aws:sts::000000000000:assumed-role/ConnectAgent/alice is not authorized to perform: connect:GetFederationToken on resource: arn:aws:connect:us-east-1:000000000000:instance/%s/user/%s", *other.Id, roleID)
		if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v\nwant message %s", err, want)
		}
		assertStatus(t, err, 403)
	})

	// From here the role may federate into any instance, so existence
	// checks are reached.
	_, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ConnectAgent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(federatePolicy("arn:aws:connect:*:*:instance/*/user/${aws:userid}"))})
	must(t, err)

	t.Run("instance of another account", func(t *testing.T) {
		oc := connect.NewFromConfig(f.srv.awsConfig("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""))
		foreign, err := oc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
			InstanceAlias: aws.String("foreign"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
		must(t, err)
		sp, rp := defaultProfiles(t, oc, *foreign.Id)
		createAgent(t, oc, *foreign.Id, "alice", sp, rp)
		_, err = connect.NewFromConfig(f.assume(t, "alice", 900)).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: foreign.Id})
		var e *ctypes.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("got %v", err)
		}
		// The foreign ARN is no way in either.
		_, err = connect.NewFromConfig(f.assume(t, "alice", 900)).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: foreign.Arn})
		if !errors.As(err, &e) {
			t.Fatalf("foreign ARN: got %v", err)
		}
	})

	t.Run("not a SAML instance", func(t *testing.T) {
		cm, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeConnectManaged,
			InstanceAlias: aws.String("managed"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
		must(t, err)
		sp, rp := defaultProfiles(t, cc, *cm.Id)
		_, err = cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: cm.Id, Username: aws.String("alice"), Password: aws.String("Passw0rd!"),
			SecurityProfileIds: []string{sp}, RoutingProfileId: aws.String(rp)})
		must(t, err)
		_, err = connect.NewFromConfig(f.assume(t, "alice", 900)).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: cm.Id})
		var e *ctypes.InvalidRequestException
		if !errors.As(err, &e) || !strings.Contains(e.ErrorMessage(), "SAML") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("instance id longer than 100", func(t *testing.T) {
		_, err := connect.NewFromConfig(f.assume(t, "alice", 900)).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(strings.Repeat("x", 101))})
		var e *ctypes.InvalidParameterException
		if !errors.As(err, &e) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("deleted instance", func(t *testing.T) {
		gone, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
			InstanceAlias: aws.String("short-lived"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
		must(t, err)
		sp, rp := defaultProfiles(t, cc, *gone.Id)
		createAgent(t, cc, *gone.Id, "alice", sp, rp)
		_, err = cc.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: gone.Id})
		must(t, err)
		_, err = connect.NewFromConfig(f.assume(t, "alice", 900)).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: gone.Id})
		var e *ctypes.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("got %v", err)
		}
		assertStatus(t, err, 404)
	})

	t.Run("expired session", func(t *testing.T) {
		// Issue the session while the server's clock runs 10 minutes
		// behind, so it expires 5 minutes from real time; then move the
		// server 6 minutes ahead. Both shifts stay inside SigV4's
		// 15-minute skew, so only the session's expiry is at stake.
		f.clock.Set(-10 * time.Minute)
		sess := f.assume(t, "alice", 900)
		f.clock.Set(6 * time.Minute)
		defer f.clock.Set(0)
		_, err := connect.NewFromConfig(sess).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
		if apiCode(err) != "ExpiredTokenException" {
			t.Fatalf("got %v", err)
		}
		assertStatus(t, err, 403)
		_, err = sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if apiCode(err) != "ExpiredToken" {
			t.Fatalf("STS with expired session: got %v", err)
		}
	})
}

// TestIAMAndSTS covers the IAM and STS operations and their errors.
func TestIAMAndSTS(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	ic := iam.NewFromConfig(f.srv.awsConfig("test", "test", ""))

	u, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("agent-app")})
	must(t, err)
	if !strings.HasPrefix(*u.User.UserId, "AIDA") || len(*u.User.UserId) != 21 || *u.User.Arn != "arn:aws:iam::000000000000:user/agent-app" {
		t.Errorf("GetUser = %+v", u.User)
	}
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("AGENT-APP")})
	if apiCode(err) != "EntityAlreadyExists" {
		t.Errorf("case-insensitive duplicate user: %v", err)
	}
	assertStatus(t, err, 409)
	_, err = ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
	if apiCode(err) != "NoSuchEntity" || !strings.Contains(err.Error(), "The user with name ghost cannot be found.") {
		t.Errorf("GetUser ghost: %v", err)
	}
	assertStatus(t, err, 404)
	keys, err := ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("agent-app")})
	must(t, err)
	if len(keys.AccessKeyMetadata) != 1 || !strings.HasPrefix(*keys.AccessKeyMetadata[0].AccessKeyId, "AKIA") || len(*keys.AccessKeyMetadata[0].AccessKeyId) != 20 {
		t.Errorf("ListAccessKeys = %+v", keys.AccessKeyMetadata)
	}
	_, err = ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("agent-app")})
	must(t, err)
	_, err = ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("agent-app")})
	if apiCode(err) != "LimitExceeded" {
		t.Errorf("third access key: %v", err)
	}
	_, err = ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("agent-app")})
	if apiCode(err) != "DeleteConflict" {
		t.Errorf("DeleteUser with keys: %v", err)
	}
	_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("agent-app"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*"}]}`)})
	if apiCode(err) != "MalformedPolicyDocument" {
		t.Errorf("policy without Resource: %v", err)
	}
	assertStatus(t, err, 400)
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("NoPrincipal"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})
	if apiCode(err) != "MalformedPolicyDocument" {
		t.Errorf("trust policy without Principal: %v", err)
	}
	r, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ConnectAgent")})
	must(t, err)
	if !strings.HasPrefix(*r.Role.RoleId, "AROA") || *r.Role.MaxSessionDuration != 43200 || !strings.Contains(*r.Role.AssumeRolePolicyDocument, "%22sts%3AAssumeRole%22") {
		t.Errorf("GetRole = %+v (%s)", r.Role, *r.Role.AssumeRolePolicyDocument)
	}
	_, err = ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ConnectAgent")})
	if apiCode(err) != "DeleteConflict" {
		t.Errorf("DeleteRole with policy: %v", err)
	}

	sc := sts.NewFromConfig(f.srv.awsConfig("test", "test", ""))
	_, err = sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN), RoleSessionName: aws.String("alice")})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "Roles may not be assumed by root accounts.") {
		t.Errorf("root AssumeRole: %v", err)
	}
	app := sts.NewFromConfig(f.srv.awsConfig(f.appKey, f.appSecret, ""))
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/Missing"), RoleSessionName: aws.String("alice")})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/Missing") {
		t.Errorf("unknown role: %v", err)
	}
	for _, d := range []int32{899, 43201} {
		_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(d)})
		if apiCode(err) != "ValidationError" {
			t.Errorf("DurationSeconds %d: %v", d, err)
		}
	}
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN), RoleSessionName: aws.String("bad name!")})
	if apiCode(err) != "ValidationError" {
		t.Errorf("bad session name: %v", err)
	}
	// A user that the trust policy does not name, with no identity policy.
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("stranger")})
	must(t, err)
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("stranger")})
	must(t, err)
	stranger := f.srv.awsConfig(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "")
	_, err = sts.NewFromConfig(stranger).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN), RoleSessionName: aws.String("alice")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("stranger AssumeRole: %v", err)
	}
	// A trust policy that names only the account needs the caller's own
	// sts:AssumeRole permission as well.
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("AccountTrust"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err)
	accountRole := "arn:aws:iam::000000000000:role/AccountTrust"
	_, err = sts.NewFromConfig(stranger).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole), RoleSessionName: aws.String("alice")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("account-trusted role without identity permission: %v", err)
	}
	_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("stranger"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::000000000000:role/AccountTrust"}]}`)})
	must(t, err)
	if _, err = sts.NewFromConfig(stranger).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole), RoleSessionName: aws.String("alice")}); err != nil {
		t.Errorf("account-trusted role with identity permission: %v", err)
	}
	_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("stranger"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}`)})
	must(t, err)
	_, err = sts.NewFromConfig(stranger).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole), RoleSessionName: aws.String("alice")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("explicit deny: %v", err)
	}
	for _, pn := range []string{"assume", "deny"} {
		_, err = ic.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("stranger"), PolicyName: aws.String(pn)})
		must(t, err)
	}
	// A plain IAM user without permissions cannot use IAM or Connect.
	_, err = iam.NewFromConfig(stranger).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "User: arn:aws:iam::000000000000:user/stranger is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::000000000000:user/x") {
		t.Errorf("unauthorized iam:CreateUser: %v", err)
	}
	_, err = connect.NewFromConfig(stranger).ListInstances(ctx, &connect.ListInstancesInput{})
	if apiCode(err) != "AccessDeniedException" {
		t.Errorf("unauthorized ListInstances: %v", err)
	}
	// Deleting the key makes it unknown.
	_, err = ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("stranger"), AccessKeyId: k.AccessKey.AccessKeyId})
	must(t, err)
	_, err = sts.NewFromConfig(stranger).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("deleted key: %v", err)
	}
	_, err = ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("stranger")})
	must(t, err)
}
