package connect_test

import (
	"testing"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/internal/testutil"
)

// TestTagsAcrossAccounts: tags are read and written only through ARNs of
// the caller's scope; another account's ARN for the same instance names
// nothing; a tag write past 50 changes nothing.
func TestTagsAcrossAccounts(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	inst, err := s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "tags", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
	arn := inst.ARN()
	testutil.Must(t, s.RetagResource(ctx, scA, arn, map[string]string{"a": "1", "b": "2"}, nil))
	testutil.Must(t, s.RetagResource(ctx, scA, arn, nil, []string{"a"}))
	tags, err := s.ResourceTags(ctx, scA, arn)
	testutil.Must(t, err)
	if len(tags) != 1 || tags["b"] != "2" {
		t.Errorf("tags = %v", tags)
	}
	_, err = s.ResourceTags(ctx, scB, arn)
	testutil.WantType(t, err, connectfed.ResourceNotFoundException)
	err = s.RetagResource(ctx, scB, "arn:aws:connect:us-east-1:"+scB.AccountID+":instance/"+inst.ID, map[string]string{"x": "y"}, nil)
	testutil.WantType(t, err, connectfed.ResourceNotFoundException)
	many := map[string]string{}
	for i := 0; i < connect.MaxTags; i++ {
		many[string(rune('A'+i/26))+string(rune('a'+i%26))] = "v"
	}
	testutil.WantType(t, s.RetagResource(ctx, scA, arn, many, nil), connectfed.InvalidParameterException)
	tags, _ = s.ResourceTags(ctx, scA, arn)
	if len(tags) != 1 {
		t.Errorf("refused tag write changed tags: %v", tags)
	}
	_, err = s.ResourceTags(ctx, scA, arn+"/widget/1")
	testutil.WantType(t, err, connectfed.InvalidParameterException)
}

// TestHierarchyRules: level order, depth, deletion and user membership.
func TestHierarchyRules(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	inst, err := s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "hier", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
	testutil.WantType(t, s.UpdateHierarchyStructure(ctx, scA, inst.ID, [5]string{"", "Two"}), connectfed.InvalidParameterException)
	testutil.Must(t, s.UpdateHierarchyStructure(ctx, scA, inst.ID, [5]string{"One", "Two"}))
	top, err := s.CreateHierarchyGroup(ctx, scA, inst.ID, "Top", "", nil)
	testutil.Must(t, err)
	mid, err := s.CreateHierarchyGroup(ctx, scA, inst.ID, "Mid", top.ID, nil)
	testutil.Must(t, err)
	if mid.Level != 2 {
		t.Errorf("Mid level %d", mid.Level)
	}
	_, err = s.CreateHierarchyGroup(ctx, scA, inst.ID, "Low", mid.ID, nil)
	testutil.WantType(t, err, connectfed.InvalidRequestException)
	sp, rp := profiles(t, s, scA, inst.ID)
	u, err := s.CreateUser(ctx, scA, inst.ID, connect.CreateUserInput{Username: "u1", SecurityProfileIDs: []string{sp}, RoutingProfileID: rp, HierarchyGroupID: mid.ID})
	testutil.Must(t, err)
	groups := map[string]connect.HierarchyGroup{top.ID: *top, mid.ID: *mid}
	if !connect.InGroup(u, groups, top.ID, true) || connect.InGroup(u, groups, top.ID, false) || !connect.InGroup(u, groups, mid.ID, false) {
		t.Errorf("InGroup wrong for a user in Mid")
	}
	testutil.WantType(t, s.DeleteHierarchyGroup(ctx, scA, inst.ID, top.ID), connectfed.ResourceInUseException)
	testutil.WantType(t, s.DeleteHierarchyGroup(ctx, scA, inst.ID, mid.ID), connectfed.ResourceInUseException)
	testutil.WantType(t, s.UpdateHierarchyStructure(ctx, scA, inst.ID, [5]string{"One"}), connectfed.ResourceInUseException)
	testutil.Must(t, s.SetUserHierarchy(ctx, scA, inst.ID, u.ID, ""))
	testutil.Must(t, s.DeleteHierarchyGroup(ctx, scA, inst.ID, mid.ID))
	testutil.Must(t, s.UpdateHierarchyStructure(ctx, scA, inst.ID, [5]string{"One"}))

	// SearchUsers pages by id and counts every match.
	for _, n := range []string{"u2", "u3", "u4"} {
		_, err := s.CreateUser(ctx, scA, inst.ID, connect.CreateUserInput{Username: n, SecurityProfileIDs: []string{sp}, RoutingProfileID: rp})
		testutil.Must(t, err)
	}
	everyone := func(*connectfed.User, map[string]connect.HierarchyGroup) bool { return true }
	page, next, total, err := s.SearchUsers(ctx, scA, inst.ID, everyone, "", 3)
	testutil.Must(t, err)
	if len(page) != 3 || next == "" || total != 4 {
		t.Fatalf("first page %d users, next %q, total %d", len(page), next, total)
	}
	page2, next2, _, err := s.SearchUsers(ctx, scA, inst.ID, everyone, next, 3)
	testutil.Must(t, err)
	if len(page2) != 1 || next2 != "" || page2[0].ID <= page[2].ID {
		t.Errorf("second page %+v next %q", page2, next2)
	}
}

// TestProfilesInUse: a profile a user holds cannot be deleted; the default
// routing profile never can.
func TestProfilesInUse(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	inst, err := s.CreateInstance(ctx, scA, connect.CreateInstanceInput{Alias: "inuse", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
	sp, rp := profiles(t, s, scA, inst.ID)
	testutil.WantType(t, s.DeleteRoutingProfile(ctx, scA, inst.ID, rp), connectfed.InvalidRequestException)
	_, err = s.CreateUser(ctx, scA, inst.ID, connect.CreateUserInput{Username: "u", SecurityProfileIDs: []string{sp}, RoutingProfileID: rp})
	testutil.Must(t, err)
	testutil.WantType(t, s.DeleteSecurityProfile(ctx, scA, inst.ID, sp), connectfed.ResourceInUseException)
	_, err = s.CreateSecurityProfile(ctx, scA, inst.ID, connectfed.SecurityProfile{Name: "Admin"})
	testutil.WantType(t, err, connectfed.DuplicateResourceException)
}
