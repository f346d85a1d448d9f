package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/testutil"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
)

// countingStore counts read-write transactions.
type countingStore struct {
	connectfed.Store
	updates atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(connectfed.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

type stsEnv struct {
	s      *identity.Service
	store  *countingStore
	clock  *clock
	caller *connectfed.Principal
	role   *identity.Role
}

// newSTSEnv: user backend (with an access key) may assume role Agent,
// whose inline policy allows connect:* .
func newSTSEnv(t *testing.T, master []byte, store connectfed.Store) *stsEnv {
	t.Helper()
	ctx := t.Context()
	sealer, err := seal.NewSealer(master)
	testutil.Must(t, err)
	c := &clock{}
	c.set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cs := &countingStore{Store: store}
	keys, err := federation.OpenKeyRing(ctx, cs, sealer, c.now, 24*time.Hour, 12*time.Hour)
	testutil.Must(t, err)
	s := &identity.Service{Store: cs, Sealer: sealer, Now: c.now, Keys: keys}
	testutil.Must(t, s.EnsureAccount(ctx, connectfed.Account{ID: acct}, []identity.RootKey{{AccessKeyID: "AKIAROOTAAAAAAAAAAAA", SecretAccessKey: "root"}}))
	env := &stsEnv{s: s, store: cs, clock: c}
	if _, err := s.GetUser(ctx, acct, "backend"); err == nil {
		return env // a second replica on the same store
	}
	_, err = s.CreateUser(ctx, acct, "backend", "/")
	testutil.Must(t, err)
	env.createRole(t)
	return env
}

func (e *stsEnv) createRole(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/backend"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	role, err := e.s.CreateRole(ctx, acct, "Agent", "/agents/", "", trust, 43200)
	testutil.Must(t, err)
	testutil.Must(t, e.s.PutPolicy(ctx, acct, "role", "Agent", "connect", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"}]}`))
	e.role = role
}

func (e *stsEnv) backend(t *testing.T) *connectfed.Principal {
	t.Helper()
	key, _, err := e.s.CreateAccessKey(t.Context(), acct, "backend")
	testutil.Must(t, err)
	return credential(t, e.s, key.ID).Principal
}

func (e *stsEnv) assume(t *testing.T, caller *connectfed.Principal, spec identity.SessionSpec) *identity.AssumedRole {
	t.Helper()
	if spec.DurationSeconds == 0 {
		spec.DurationSeconds = 3600
	}
	ar, err := e.s.AssumeRole(t.Context(), caller, identity.AssumeRoleInput{RoleARN: e.role.ARN(), SessionSpec: spec})
	testutil.Must(t, err)
	return ar
}

// TestStatelessSession: AssumeRole writes nothing; the token alone carries
// the session (role, name, times, policy, tags, source identity) and the
// secret, on any replica sharing the store's key ring.
func TestStatelessSession(t *testing.T) {
	ctx := t.Context()
	mem := memory.New()
	master := make([]byte, 32)
	e := newSTSEnv(t, master, mem)
	caller := e.backend(t)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:DescribeUser","Resource":"*"}]}`
	spec := identity.SessionSpec{SessionName: "alice", DurationSeconds: 7200, Policy: policy,
		Tags: []connectfed.SessionTag{{Key: "team", Value: "blue"}, {Key: "site", Value: strings.Repeat("x", 200)}}, TransitiveTagKeys: []string{"team"},
		SourceIdentity: "alice@example.com"}
	before := e.store.updates.Load()
	var ars []*identity.AssumedRole
	for range 20 {
		ars = append(ars, e.assume(t, caller, spec))
	}
	plain := e.assume(t, caller, identity.SessionSpec{SessionName: "bob"})
	if n := e.store.updates.Load() - before; n != 0 {
		t.Fatalf("21 AssumeRole calls made %d store writes, want 0", n)
	}
	ar := ars[0]
	if len(ar.Secret) != 40 || ar.Secret == ars[1].Secret || ar.Token == ars[1].Token || ar.Session.AccessKeyID == ars[1].Session.AccessKeyID {
		t.Fatalf("sessions are not distinct: %q %q", ar.Secret, ars[1].Secret)
	}
	if !strings.HasPrefix(ar.Session.AccessKeyID, "ASIA") || len(ar.Session.AccessKeyID) != 20 {
		t.Errorf("access key id %q", ar.Session.AccessKeyID)
	}
	if len(ar.Token) > 2048 {
		t.Errorf("token with a policy and tags is %d characters", len(ar.Token))
	}

	// Another replica: same store (so the same key ring), own caches.
	r2 := newSTSEnv(t, master, mem)
	for _, s := range []*identity.Service{e.s, r2.s} {
		c, err := s.CredentialFor(ctx, ar.Session.AccessKeyID, ar.Token)
		testutil.Must(t, err)
		if c == nil {
			t.Fatal("the session does not resolve")
		}
		p := c.Principal
		if c.Secret != ar.Secret || c.SessionToken != ar.Token || !c.Expires.Equal(e.clock.now().Add(2*time.Hour)) ||
			p.ARN != "arn:aws:sts::"+acct+":assumed-role/Agent/alice" || p.UserID != e.role.ID+":alice" || p.RolePath != "/agents/" ||
			p.Session == nil || p.Session.Policy != policy || len(p.Session.Tags) != 2 || p.Session.Tags[1].Value != strings.Repeat("x", 200) ||
			len(p.Session.TransitiveTagKeys) != 1 || p.Session.SourceIdentity != "alice@example.com" || !p.Session.Issued.Equal(e.clock.now()) {
			t.Errorf("credential %+v principal %+v session %+v", c, p, p.Session)
		}
		// The session policy still limits the session.
		testutil.Must(t, s.Authorize(ctx, p, "connect:DescribeUser", "arn:aws:connect:us-east-1:"+acct+":instance/i/agent/u", nil))
		testutil.WantType(t, s.Authorize(ctx, p, "connect:DeleteUser", "arn:aws:connect:us-east-1:"+acct+":instance/i/agent/u", nil), connectfed.AccessDeniedException)
	}
	if c, _ := r2.s.CredentialFor(ctx, plain.Session.AccessKeyID, plain.Token); c == nil || c.Principal.Session.Policy != "" || len(c.Principal.Session.Tags) != 0 {
		t.Errorf("plain session: %+v", c)
	}

	// Refused: another session's token, a token altered anywhere, no
	// token, a token from another deployment (another master key).
	other := newSTSEnv(t, []byte(strings.Repeat("k", 32)), memory.New())
	foreign := other.assume(t, other.backend(t), identity.SessionSpec{SessionName: "alice"})
	refused := map[string][2]string{
		"another session's token": {ar.Session.AccessKeyID, ars[1].Token},
		"no token":                {ar.Session.AccessKeyID, ""},
		"another deployment":      {foreign.Session.AccessKeyID, foreign.Token},
		"truncated":               {ar.Session.AccessKeyID, ar.Token[:len(ar.Token)-8]},
		"prefix only":             {ar.Session.AccessKeyID, "IQoJb3JpZ2luX2Vj"},
		"not base64":              {ar.Session.AccessKeyID, "IQoJb3JpZ2luX2Vj!!!!"},
	}
	for i := len("IQoJb3JpZ2luX2Vj"); i < len(plain.Token); i += 7 {
		b := []byte(plain.Token)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		refused[fmt.Sprintf("altered at %d", i)] = [2]string{plain.Session.AccessKeyID, string(b)}
	}
	for name, kt := range refused {
		c, err := r2.s.CredentialFor(ctx, kt[0], kt[1])
		if err != nil || c != nil && c.SessionToken == kt[1] {
			t.Errorf("%s: credential %+v, %v", name, c, err)
		}
	}
}

// TestStatelessSessionRevocation: deleting the role (even making it again
// under the same name), an account reset and an inline deny on
// aws:TokenIssueTime (the IAM console's "revoke active sessions") refuse
// sessions that live only in their tokens.
func TestStatelessSessionRevocation(t *testing.T) {
	ctx := t.Context()
	e := newSTSEnv(t, make([]byte, 32), memory.New())
	caller := e.backend(t)
	resolves := func(ar *identity.AssumedRole) bool {
		c, err := e.s.CredentialFor(ctx, ar.Session.AccessKeyID, ar.Token)
		testutil.Must(t, err)
		return c != nil
	}
	resource := "arn:aws:connect:us-east-1:" + acct + ":instance/i"

	// Revoke older sessions.
	old := e.assume(t, caller, identity.SessionSpec{SessionName: "old"})
	e.clock.add(10 * time.Second)
	revokeAt := e.clock.now().Format(time.RFC3339)
	testutil.Must(t, e.s.PutPolicy(ctx, acct, "role", "Agent", "AWSRevokeOlderSessions",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"`+revokeAt+`"}}}]}`))
	e.clock.add(time.Second)
	fresh := e.assume(t, caller, identity.SessionSpec{SessionName: "fresh"})
	oldCred, err := e.s.CredentialFor(ctx, old.Session.AccessKeyID, old.Token)
	testutil.Must(t, err)
	testutil.WantType(t, e.s.Authorize(ctx, oldCred.Principal, "connect:ListUsers", resource, nil), connectfed.AccessDeniedException)
	freshCred, err := e.s.CredentialFor(ctx, fresh.Session.AccessKeyID, fresh.Token)
	testutil.Must(t, err)
	testutil.Must(t, e.s.Authorize(ctx, freshCred.Principal, "connect:ListUsers", resource, nil))
	// A session chained from the revoked one cannot start either.
	_, err = e.s.AssumeRole(ctx, oldCred.Principal, identity.AssumeRoleInput{RoleARN: e.role.ARN(), SessionSpec: identity.SessionSpec{SessionName: "chain", DurationSeconds: 900}})
	testutil.WantType(t, err, connectfed.AccessDenied)

	// Role deleted, then made again under the same name: a new unique id.
	testutil.Must(t, e.s.DeletePolicy(ctx, acct, "role", "Agent", "connect"))
	testutil.Must(t, e.s.DeletePolicy(ctx, acct, "role", "Agent", "AWSRevokeOlderSessions"))
	testutil.Must(t, e.s.DeleteRole(ctx, acct, "Agent"))
	if resolves(fresh) {
		t.Error("a session of a deleted role resolves")
	}
	e.createRole(t)
	if resolves(fresh) {
		t.Error("a session of a deleted role resolves once a role of the same name exists")
	}
	again := e.assume(t, caller, identity.SessionSpec{SessionName: "again"})
	if !resolves(again) {
		t.Fatal("a session of the new role does not resolve")
	}

	// Account reset, and the role made again afterwards.
	testutil.Must(t, e.s.ResetAccount(ctx, acct))
	if resolves(again) {
		t.Error("a session resolves after an account reset")
	}
	_, err = e.s.CreateUser(ctx, acct, "backend", "/")
	testutil.Must(t, err)
	e.createRole(t)
	if resolves(again) {
		t.Error("a session from before the reset resolves once the role is made again")
	}

	// Expiry is the SigV4 verifier's check; the credential says when.
	if c, _ := e.s.CredentialFor(ctx, again.Session.AccessKeyID, again.Token); c != nil {
		t.Error("unexpected")
	}
	short := e.assume(t, e.backend(t), identity.SessionSpec{SessionName: "short", DurationSeconds: 900})
	c, err := e.s.CredentialFor(ctx, short.Session.AccessKeyID, short.Token)
	testutil.Must(t, err)
	if c == nil || !c.Expires.Equal(e.clock.now().Add(900*time.Second)) {
		t.Errorf("expiry: %+v", c)
	}
}
