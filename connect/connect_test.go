package connect_test

import (
	"errors"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/internal/testutil"
	"github.com/connectfed/connectfed/memory"
)

var (
	scA = connect.Scope{AccountID: "111122223333", Region: "us-east-1"}
	scB = connect.Scope{AccountID: "444455556666", Region: "us-east-1"}
)

func newService(t *testing.T) (*connect.Service, connectfed.Store) {
	t.Helper()
	store := memory.New()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &connect.Service{Store: store, Now: func() time.Time { return now }}, store
}

// profiles returns an instance's first security profile and its routing
// profile.
func profiles(t *testing.T, s *connect.Service, sc connect.Scope, instanceID string) (string, string) {
	t.Helper()
	sps, _, err := s.ListSecurityProfiles(t.Context(), sc, instanceID, "", 10)
	testutil.Must(t, err)
	rps, _, err := s.ListRoutingProfiles(t.Context(), sc, instanceID, "", 10)
	testutil.Must(t, err)
	return sps[0].ID, rps[0].ID
}

func TestCreateInstanceDefaultsAndAlias(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	inst, err := s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "Sales", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
	if inst.Status != connectfed.InstanceActive || inst.AccountID != scA.AccountID || inst.Region != scA.Region {
		t.Errorf("instance %+v", inst)
	}
	sps, _, err := s.ListSecurityProfiles(ctx, scA, inst.ID, "", 10)
	testutil.Must(t, err)
	if len(sps) != len(connect.DefaultSecurityProfiles) {
		t.Errorf("%d security profiles, want %d", len(sps), len(connect.DefaultSecurityProfiles))
	}
	rps, _, err := s.ListRoutingProfiles(ctx, scA, inst.ID, "", 10)
	testutil.Must(t, err)
	if len(rps) != 1 || rps[0].Name != connect.DefaultRoutingProfile {
		t.Errorf("routing profiles %+v", rps)
	}

	// An alias is unique per account and region, ignoring case.
	_, err = s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "sales", IdentityManagementType: connectfed.IdentitySAML})
	testutil.WantType(t, err, connectfed.InvalidRequestException)
	id, err := s.InstanceByAlias(ctx, scA, "SALES")
	testutil.Must(t, err)
	if id != inst.ID {
		t.Errorf("InstanceByAlias = %s, want %s", id, inst.ID)
	}
	// Another account may use it.
	_, err = s.CreateInstance(ctx, scB, connect.CreateInstanceInput{Alias: "sales", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)

	// By id or by ARN; another account sees nothing of it.
	if _, err := s.GetInstance(ctx, scA, inst.ARN()); err != nil {
		t.Errorf("GetInstance by ARN: %v", err)
	}
	_, err = s.GetInstance(ctx, scB, inst.ID)
	testutil.WantType(t, err, connectfed.ResourceNotFoundException)

	// Deleting frees the alias, and the cache does not keep the instance.
	_, err = s.DeleteInstance(ctx, scA, inst.ID)
	testutil.Must(t, err)
	_, err = s.GetInstance(ctx, scA, inst.ID)
	testutil.WantType(t, err, connectfed.ResourceNotFoundException)
	_, err = s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "Sales", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
}

func TestUsers(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	inst, err := s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "saml", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
	sp, rp := profiles(t, s, scA, inst.ID)
	in := connect.CreateUserInput{Username: "alice", SecurityProfileIDs: []string{sp}, RoutingProfileID: rp}
	u, err := s.CreateUser(ctx, scA, inst.ID, in)
	testutil.Must(t, err)

	// Usernames are unique per instance, case-sensitively.
	_, err = s.CreateUser(ctx, scA, inst.ID, in)
	testutil.WantType(t, err, connectfed.DuplicateResourceException)
	in.Username = "Alice"
	_, err = s.CreateUser(ctx, scA, inst.ID, in)
	testutil.Must(t, err)

	// A SAML instance takes no password; profiles must be the instance's.
	_, err = s.CreateUser(ctx, scA, inst.ID, connect.CreateUserInput{Username: "p", Password: "Passw0rd!x", SecurityProfileIDs: []string{sp}, RoutingProfileID: rp})
	if err == nil {
		t.Error("a SAML instance took a password")
	}
	_, err = s.CreateUser(ctx, scA, inst.ID, connect.CreateUserInput{Username: "q", SecurityProfileIDs: []string{"00000000-0000-4000-8000-000000000000"}, RoutingProfileID: rp})
	if err == nil {
		t.Error("an unknown security profile was accepted")
	}

	// FindUser by exact username.
	fi, fu, err := s.FindUser(ctx, scA, inst.ID, "alice")
	testutil.Must(t, err)
	if fu.ID != u.ID || fi.ID != inst.ID {
		t.Errorf("FindUser = %s in %s", fu.ID, fi.ID)
	}
	if _, _, err := s.FindUser(ctx, scA, inst.ID, "ALICE"); !errors.Is(err, connectfed.ErrNotFound) {
		t.Errorf("FindUser(ALICE) = %v, want ErrNotFound", err)
	}

	// UpdateUser changes what it names and nothing else.
	testutil.Must(t, s.UpdateUser(ctx, scA, inst.ID, u.ID, connect.UserChange{IdentityInfo: &connectfed.UserIdentityInfo{FirstName: "Alice"}}))
	got, err := s.GetUser(ctx, scA, inst.ID, u.ID)
	testutil.Must(t, err)
	if got.IdentityInfo == nil || got.IdentityInfo.FirstName != "Alice" || got.RoutingProfileID != rp {
		t.Errorf("after UpdateUser: %+v", got)
	}

	// DeleteUser frees the username at once (no stale cache).
	_, err = s.DeleteUser(ctx, scA, inst.ID, u.ID)
	testutil.Must(t, err)
	if _, _, err := s.FindUser(ctx, scA, inst.ID, "alice"); !errors.Is(err, connectfed.ErrNotFound) {
		t.Errorf("FindUser after DeleteUser = %v, want ErrNotFound", err)
	}
	in.Username = "alice"
	_, err = s.CreateUser(ctx, scA, inst.ID, in)
	testutil.Must(t, err)
}

func TestConnectManagedNeedsPassword(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	inst, err := s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "managed", IdentityManagementType: connectfed.IdentityConnectManaged})
	testutil.Must(t, err)
	sp, rp := profiles(t, s, scA, inst.ID)
	_, err = s.CreateUser(ctx, scA, inst.ID, connect.CreateUserInput{Username: "a", SecurityProfileIDs: []string{sp}, RoutingProfileID: rp})
	testutil.WantType(t, err, connectfed.InvalidParameterException)
	u, err := s.CreateUser(ctx, scA, inst.ID, connect.CreateUserInput{Username: "a", Password: "Passw0rd!example", SecurityProfileIDs: []string{sp}, RoutingProfileID: rp})
	testutil.Must(t, err)
	if u.PasswordHash == "" || u.PasswordHash == "Passw0rd!example" {
		t.Errorf("password kept as %q", u.PasswordHash)
	}
}

// TestResetAccount: everything of the account goes, in every region; another
// account keeps its own; the caches forget at once.
func TestResetAccount(t *testing.T) {
	s, store := newService(t)
	ctx := t.Context()
	west := connect.Scope{AccountID: scA.AccountID, Region: "us-west-2"}
	var keep *connectfed.Instance
	for _, sc := range []connect.Scope{scA, west, scB} {
		inst, err := s.CreateInstance(ctx, sc, connect.CreateInstanceInput{Alias: "x", IdentityManagementType: connectfed.IdentitySAML})
		testutil.Must(t, err)
		sp, rp := profiles(t, s, sc, inst.ID)
		_, err = s.CreateUser(ctx, sc, inst.ID, connect.CreateUserInput{Username: "alice", SecurityProfileIDs: []string{sp}, RoutingProfileID: rp})
		testutil.Must(t, err)
		_, _, err = s.FindUser(ctx, sc, inst.ID, "alice") // cached
		testutil.Must(t, err)
		if sc == scB {
			keep = inst
		}
	}
	testutil.Must(t, s.ResetAccount(ctx, scA.AccountID))
	for _, sc := range []connect.Scope{scA, west} {
		insts, _, err := s.ListInstances(ctx, sc, "", 0)
		testutil.Must(t, err)
		if len(insts) != 0 {
			t.Errorf("%s after reset: %d instances", sc.Region, len(insts))
		}
	}
	// Nothing of the account is left in the store, of any kind.
	testutil.Must(t, store.View(ctx, func(tx connectfed.Tx) error {
		for kind := range connectfed.Kinds() {
			es, err := tx.List(kind, scA.AccountID+"/", "", 0)
			if err != nil {
				return err
			}
			if len(es) > 0 {
				t.Errorf("kind %s still has %d records of the reset account", kind, len(es))
			}
		}
		return nil
	}))
	if _, _, err := s.FindUser(ctx, scB, keep.ID, "alice"); err != nil {
		t.Errorf("the other account lost its user: %v", err)
	}
}
