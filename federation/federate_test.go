package federation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/internal/testutil"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
)

// fakeAuthorizer allows everything unless deny is set, and records what it
// was asked.
type fakeAuthorizer struct {
	deny  bool
	calls []string
}

func (a *fakeAuthorizer) Authorize(_ context.Context, p *connectfed.Principal, action, resource string, cond map[string][]string) error {
	a.calls = append(a.calls, action+" "+resource+" "+strings.Join(cond["connect:InstanceId"], ","))
	if a.deny {
		return connectfed.TypedErrorf(connectfed.EFORBIDDEN, connectfed.AccessDeniedException, "denied")
	}
	return nil
}

type fedEnv struct {
	store connectfed.Store
	cs    *connect.Service
	fed   *federation.Service
	auth  *fakeAuthorizer
	sc    connect.Scope
	saml  *connectfed.Instance // a SAML instance with user "alice"
	user  *connectfed.User
}

func newFedEnv(t *testing.T) *fedEnv {
	t.Helper()
	ctx := t.Context()
	store := memory.New()
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	cs := &connect.Service{Store: store, Now: now}
	sc := connect.Scope{AccountID: "111122223333", Region: "us-east-1"}
	inst, err := cs.CreateInstance(ctx, sc, connect.CreateInstanceInput{Alias: "saml", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
	u := addUser(t, cs, sc, inst.ID, "alice")
	sealer, _ := seal.NewSealer(make([]byte, 32))
	kr, err := federation.OpenKeyRing(ctx, store, sealer, now, 24*time.Hour, 12*time.Hour)
	testutil.Must(t, err)
	auth := &fakeAuthorizer{}
	fed := &federation.Service{Store: store, Connect: cs, Authorizer: auth, Keys: kr, Now: now, PublicURL: "https://cf.example"}
	return &fedEnv{store: store, cs: cs, fed: fed, auth: auth, sc: sc, saml: inst, user: u}
}

func addUser(t *testing.T, cs *connect.Service, sc connect.Scope, instanceID, name string, password ...string) *connectfed.User {
	t.Helper()
	ctx := t.Context()
	profiles, _, err := cs.ListSecurityProfiles(ctx, sc, instanceID, "", 10)
	testutil.Must(t, err)
	routing, _, err := cs.ListRoutingProfiles(ctx, sc, instanceID, "", 10)
	testutil.Must(t, err)
	in := connect.CreateUserInput{Username: name, SecurityProfileIDs: []string{profiles[0].ID}, RoutingProfileID: routing[0].ID}
	if len(password) > 0 {
		in.Password = password[0]
	}
	u, err := cs.CreateUser(ctx, sc, instanceID, in)
	testutil.Must(t, err)
	return u
}

func role(session string) *connectfed.Principal {
	return &connectfed.Principal{Type: connectfed.PrincipalAssumedRole, AccountID: "111122223333",
		ARN: "arn:aws:sts::111122223333:assumed-role/Agent/" + session, UserID: "AROAEXAMPLE:" + session,
		Name: session, RoleName: "Agent"}
}

func TestFederateIssuesForTheCallersUsername(t *testing.T) {
	e := newFedEnv(t)
	g, err := e.fed.Federate(t.Context(), role("alice"), e.sc, e.saml.ID)
	testutil.Must(t, err)
	if g.User.ID != e.user.ID || g.Instance.ID != e.saml.ID {
		t.Errorf("grant for user %s of %s, want %s of %s", g.User.ID, g.Instance.ID, e.user.ID, e.saml.ID)
	}
	if want := "https://cf.example/connect/" + e.saml.ID + "/auth/sign-in?token=" + g.Tokens.AccessToken; g.SignInURL != want {
		t.Errorf("SignInURL = %s, want %s", g.SignInURL, want)
	}
	id, err := e.fed.Validate(t.Context(), g.Tokens.AccessToken, federation.KindAccess)
	testutil.Must(t, err)
	if id.User.ID != e.user.ID {
		t.Errorf("the access token is for %s, want %s", id.User.ID, e.user.ID)
	}
	wantCall := federation.FederateAction + " arn:aws:connect:us-east-1:111122223333:instance/" + e.saml.ID +
		"/user/AROAEXAMPLE:alice " + e.saml.ID
	if len(e.auth.calls) != 1 || e.auth.calls[0] != wantCall {
		t.Errorf("authorized %q, want [%q]", e.auth.calls, wantCall)
	}

	// By the instance's ARN: the same user, authorized on the ARN given.
	arn := e.saml.ARN()
	g, err = e.fed.Federate(t.Context(), role("alice"), e.sc, arn)
	testutil.Must(t, err)
	if g.User.ID != e.user.ID {
		t.Errorf("by ARN: user %s", g.User.ID)
	}
	if got := e.auth.calls[1]; got != federation.FederateAction+" "+arn+"/user/AROAEXAMPLE:alice "+e.saml.ID {
		t.Errorf("by ARN: authorized %q", got)
	}
}

func TestFederateRefusals(t *testing.T) {
	e := newFedEnv(t)
	ctx := t.Context()
	root := &connectfed.Principal{Type: connectfed.PrincipalRoot, AccountID: "111122223333",
		ARN: "arn:aws:iam::111122223333:root", UserID: "111122223333"}

	_, err := e.fed.Federate(ctx, root, e.sc, e.saml.ID)
	testutil.WantType(t, err, connectfed.InvalidRequestException)
	if len(e.auth.calls) != 0 {
		t.Error("root was refused only after authorization")
	}

	_, err = e.fed.Federate(ctx, role("bob"), e.sc, e.saml.ID)
	testutil.WantType(t, err, connectfed.UserNotFoundException)

	// Usernames are case-sensitive.
	_, err = e.fed.Federate(ctx, role("Alice"), e.sc, e.saml.ID)
	testutil.WantType(t, err, connectfed.UserNotFoundException)

	_, err = e.fed.Federate(ctx, role("alice"), e.sc, "00000000-0000-4000-8000-000000000000")
	testutil.WantType(t, err, connectfed.ResourceNotFoundException)

	// Another account's scope does not see the instance.
	other := connect.Scope{AccountID: "444455556666", Region: "us-east-1"}
	_, err = e.fed.Federate(ctx, role("alice"), other, e.saml.ID)
	testutil.WantType(t, err, connectfed.ResourceNotFoundException)

	managed, err := e.cs.CreateInstance(ctx, e.sc, connect.CreateInstanceInput{Alias: "managed", IdentityManagementType: connectfed.IdentityConnectManaged})
	testutil.Must(t, err)
	addUser(t, e.cs, e.sc, managed.ID, "alice", "Passw0rd!example")
	_, err = e.fed.Federate(ctx, role("alice"), e.sc, managed.ID)
	testutil.WantType(t, err, connectfed.InvalidRequestException)

	// An instance that is not ACTIVE (written through the store, as a
	// creation in progress would leave it).
	testutil.Must(t, e.store.Update(ctx, func(tx connectfed.Tx) error {
		key := e.sc.AccountID + "/" + e.sc.Region + "/" + e.saml.ID
		var inst connectfed.Instance
		if err := connectfed.GetJSON(tx, "instance", key, &inst); err != nil {
			return err
		}
		inst.Status = "CREATION_IN_PROGRESS"
		return connectfed.PutJSON(tx, "instance", key, &inst)
	}))
	e.cs.Invalidate()
	_, err = e.fed.Federate(ctx, role("alice"), e.sc, e.saml.ID)
	testutil.WantType(t, err, connectfed.InvalidRequestException)

	e.auth.deny = true
	_, err = e.fed.Federate(ctx, role("alice"), e.sc, e.saml.ID)
	testutil.WantType(t, err, connectfed.AccessDeniedException)
}
