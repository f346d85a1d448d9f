package identity_test

import (
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/testutil"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
)

const acct, other = "111122223333", "444455556666"

func newService(t *testing.T) *identity.Service {
	t.Helper()
	sealer, err := seal.NewSealer(make([]byte, 32))
	testutil.Must(t, err)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	store := memory.New()
	keys, err := federation.OpenKeyRing(t.Context(), store, sealer, func() time.Time { return now }, 24*time.Hour, 12*time.Hour)
	testutil.Must(t, err)
	s := &identity.Service{Store: store, Sealer: sealer, Now: func() time.Time { return now }, Keys: keys}
	for _, a := range []struct{ id, key string }{{acct, "AKIAROOTAAAAAAAAAAAA"}, {other, "AKIAROOTBBBBBBBBBBBB"}} {
		testutil.Must(t, s.EnsureAccount(t.Context(), connectfed.Account{ID: a.id}, []identity.RootKey{{AccessKeyID: a.key, SecretAccessKey: "root-secret-" + a.id}}))
	}
	return s
}

func credential(t *testing.T, s *identity.Service, keyID string) *identity.Credential {
	t.Helper()
	c, err := s.Credential(t.Context(), keyID)
	testutil.Must(t, err)
	return c
}

func sessionCredential(t *testing.T, s *identity.Service, ar *identity.AssumedRole) *identity.Credential {
	t.Helper()
	c, err := s.CredentialFor(t.Context(), ar.Session.AccessKeyID, ar.Token)
	testutil.Must(t, err)
	return c
}

func TestRootKeys(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	c := credential(t, s, "AKIAROOTAAAAAAAAAAAA")
	if c == nil || c.Secret != "root-secret-"+acct || !c.Principal.IsRoot() || c.Principal.ARN != "arn:aws:iam::"+acct+":root" {
		t.Fatalf("root credential %+v", c)
	}
	// Root may act on its own account's resources only.
	testutil.Must(t, s.Authorize(ctx, c.Principal, "connect:ListUsers", "arn:aws:connect:us-east-1:"+acct+":instance/x", nil))
	testutil.WantType(t, s.Authorize(ctx, c.Principal, "connect:ListUsers", "arn:aws:connect:us-east-1:"+other+":instance/x", nil),
		connectfed.AccessDeniedException)

	// A resealed secret takes effect, and a removed key is gone at once
	// (the cache is dropped).
	testutil.Must(t, s.EnsureAccount(ctx, connectfed.Account{ID: acct}, []identity.RootKey{{AccessKeyID: "AKIAROOTAAAAAAAAAAAA", SecretAccessKey: "rotated"}}))
	if c := credential(t, s, "AKIAROOTAAAAAAAAAAAA"); c == nil || c.Secret != "rotated" {
		t.Errorf("after rotation: %+v", c)
	}
	testutil.Must(t, s.RemoveRootKey(ctx, "AKIAROOTAAAAAAAAAAAA"))
	if c := credential(t, s, "AKIAROOTAAAAAAAAAAAA"); c != nil {
		t.Errorf("a removed root key still resolves: %+v", c)
	}
	// A key id of another account cannot be claimed.
	err := s.EnsureAccount(ctx, connectfed.Account{ID: acct}, []identity.RootKey{{AccessKeyID: "AKIAROOTBBBBBBBBBBBB", SecretAccessKey: "x"}})
	if err == nil {
		t.Error("an account took another account's root key id")
	}
}

// TestIAMUserPolicies: a user with no policy is denied; an inline policy
// allows at once, and deleting it denies at once.
func TestIAMUserPolicies(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	u, err := s.CreateUser(ctx, acct, "app", "/")
	testutil.Must(t, err)
	_, err = s.CreateUser(ctx, acct, "APP", "/")
	testutil.WantType(t, err, connectfed.EntityAlreadyExists)
	key, secret, err := s.CreateAccessKey(ctx, acct, "app")
	testutil.Must(t, err)
	c := credential(t, s, key.ID)
	if c == nil || c.Secret != secret || c.Principal.Type != connectfed.PrincipalUser || c.Principal.Name != "app" || c.Principal.UserID != u.ID {
		t.Fatalf("user credential %+v", c)
	}
	p := c.Principal
	res := "arn:aws:connect:us-east-1:" + acct + ":instance/i-1"
	testutil.WantType(t, s.Authorize(ctx, p, "connect:DescribeInstance", res, nil), connectfed.AccessDeniedException)

	testutil.Must(t, s.PutPolicy(ctx, acct, "user", "app", "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:Describe*","Resource":"*"}]}`))
	testutil.Must(t, s.Authorize(ctx, p, "connect:DescribeInstance", res, nil))
	testutil.WantType(t, s.Authorize(ctx, p, "connect:DeleteInstance", res, nil), connectfed.AccessDeniedException)

	testutil.Must(t, s.DeletePolicy(ctx, acct, "user", "app", "p"))
	testutil.WantType(t, s.Authorize(ctx, p, "connect:DescribeInstance", res, nil), connectfed.AccessDeniedException)

	// A bad document is MalformedPolicyDocument; a user with keys cannot
	// be deleted.
	testutil.WantType(t, s.PutPolicy(ctx, acct, "user", "app", "bad", `{"Statement":`), connectfed.MalformedPolicyDocument)
	testutil.WantType(t, s.DeleteUser(ctx, acct, "app"), connectfed.DeleteConflict)
	testutil.Must(t, s.DeleteAccessKey(ctx, acct, "app", key.ID))
	if c := credential(t, s, key.ID); c != nil {
		t.Errorf("a deleted key still resolves: %+v", c)
	}
	testutil.Must(t, s.DeleteUser(ctx, acct, "app"))
	testutil.WantType(t, s.DeleteUser(ctx, acct, "app"), connectfed.NoSuchEntity)
}

// TestAssumeRoleAndReset: a user allowed by the trust policy gets a session
// whose principal carries the session name; ResetAccount removes users,
// keys, roles and sessions (their credentials stop at once) and keeps the
// root key and the other account.
func TestAssumeRoleAndReset(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	_, err := s.CreateUser(ctx, acct, "backend", "/")
	testutil.Must(t, err)
	key, _, err := s.CreateAccessKey(ctx, acct, "backend")
	testutil.Must(t, err)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/backend"},"Action":"sts:AssumeRole"}]}`
	role, err := s.CreateRole(ctx, acct, "Agent", "/", "", trust, 3600)
	testutil.Must(t, err)
	caller := credential(t, s, key.ID).Principal
	ar, err := s.AssumeRole(ctx, caller, identity.AssumeRoleInput{RoleARN: role.ARN(), SessionSpec: identity.SessionSpec{SessionName: "alice", DurationSeconds: 900}})
	testutil.Must(t, err)
	sc := sessionCredential(t, s, ar)
	if sc == nil || sc.Principal.Name != "alice" || sc.Principal.RoleName != "Agent" ||
		sc.Principal.ARN != "arn:aws:sts::"+acct+":assumed-role/Agent/alice" {
		t.Fatalf("session credential %+v", sc)
	}
	// Root cannot assume a role.
	root := credential(t, s, "AKIAROOTAAAAAAAAAAAA").Principal
	_, err = s.AssumeRole(ctx, root, identity.AssumeRoleInput{RoleARN: role.ARN(), SessionSpec: identity.SessionSpec{SessionName: "x", DurationSeconds: 900}})
	testutil.WantType(t, err, connectfed.AccessDenied)

	_, err = s.CreateUser(ctx, other, "backend", "/")
	testutil.Must(t, err)
	testutil.Must(t, s.ResetAccount(ctx, acct))
	if c := credential(t, s, key.ID); c != nil {
		t.Errorf("key %s resolves after the reset", key.ID)
	}
	if c := sessionCredential(t, s, ar); c != nil {
		t.Errorf("session %s resolves after the reset", ar.Session.AccessKeyID)
	}
	_, err = s.GetRole(ctx, acct, "Agent")
	testutil.WantType(t, err, connectfed.NoSuchEntity)
	if credential(t, s, "AKIAROOTAAAAAAAAAAAA") == nil {
		t.Error("the reset removed the root key")
	}
	if _, err := s.GetUser(ctx, other, "backend"); err != nil {
		t.Errorf("the other account lost its user: %v", err)
	}
}
