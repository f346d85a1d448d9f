package identity

import (
	"context"
	"errors"
	"time"

	"github.com/connectfed/connectfed"
)

// IAM groups: users are members; a group's inline and attached policies
// apply to its members.

var (
	kindGroup = connectfed.RegisterKind("iamgroup", "identity") // "<acct>/<folded name>"
	// kindMember is "<acct>/<folded group>/<folded user>"; kindUserGroup
	// the same pairs the other way round.
	kindMember    = connectfed.RegisterKind("groupmember", "identity")
	kindUserGroup = connectfed.RegisterKind("usergroup", "identity")
)

// MaxGroupsPerUser is AWS's quota.
const MaxGroupsPerUser = 10

// Group is an IAM group.
type Group struct {
	AccountID string    `json:"accountId"`
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	Path      string    `json:"path"`
	Created   time.Time `json:"created"`
}

// ARN returns the group's ARN.
func (g *Group) ARN() string { return "arn:aws:iam::" + g.AccountID + ":group" + g.Path + g.Name }

func noSuchGroup(name string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The group with name %s cannot be found.", name)
}

func getGroup(tx connectfed.Tx, accountID, name string, g *Group) error {
	err := connectfed.GetJSON(tx, kindGroup, nameKey(accountID, name), g)
	if errors.Is(err, connectfed.ErrNotFound) {
		return noSuchGroup(name)
	}
	return err
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, accountID, name, path string) (*Group, error) {
	g := &Group{AccountID: accountID, Name: name, ID: awsID("AGPA", 17), Path: path, Created: s.now()}
	err := s.update(ctx, func(tx connectfed.Tx) error {
		err := connectfed.CreateJSON(tx, kindGroup, nameKey(accountID, name), g)
		if errors.Is(err, connectfed.ErrExists) {
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "Group with name %s already exists.", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// GetGroup returns a group and its members in name order.
func (s *Service) GetGroup(ctx context.Context, accountID, name string) (*Group, []User, error) {
	var g Group
	var users []User
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		if err := getGroup(tx, accountID, name, &g); err != nil {
			return err
		}
		refs, err := connectfed.ListJSONValues[memberRecord](tx, kindMember, nameKey(accountID, name)+"/")
		if err != nil {
			return err
		}
		for _, r := range refs {
			var u User
			if err := getUser(tx, accountID, r.Name, &u); err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return &g, users, nil
}

// ListGroups is ListUsers for groups.
func (s *Service) ListGroups(ctx context.Context, accountID, pathPrefix string) ([]Group, error) {
	return listByPath(ctx, s, kindGroup, accountID, pathPrefix, func(g *Group) string { return g.Path })
}

type memberRecord struct {
	Name string `json:"name"`
}

// DeleteGroup deletes a group without members or policies (DeleteConflict
// otherwise, as in IAM).
func (s *Service) DeleteGroup(ctx context.Context, accountID, name string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var g Group
		if err := getGroup(tx, accountID, name, &g); err != nil {
			return err
		}
		if m, err := tx.List(kindMember, nameKey(accountID, name)+"/", "", 1); err != nil {
			return err
		} else if len(m) > 0 {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete entity, must remove users from group first.")
		}
		if pols, err := tx.List(kindPolicy, policyPrefix(accountID, "group", name), "", 1); err != nil {
			return err
		} else if len(pols) > 0 {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete entity, must delete policies first.")
		}
		if err := noAttached(tx, accountID, "group", name); err != nil {
			return err
		}
		return tx.Delete(kindGroup, nameKey(accountID, name))
	})
}

// AddUserToGroup makes a user a member of a group (again: no change).
func (s *Service) AddUserToGroup(ctx context.Context, accountID, groupName, userName string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		g, u, err := groupAndUser(tx, accountID, groupName, userName)
		if err != nil {
			return err
		}
		key := nameKey(accountID, groupName) + "/" + foldName(userName)
		if _, err := tx.Get(kindMember, key); err == nil {
			return nil
		} else if !errors.Is(err, connectfed.ErrNotFound) {
			return err
		}
		groups, err := tx.List(kindUserGroup, nameKey(accountID, userName)+"/", "", 0)
		if err != nil {
			return err
		}
		if len(groups) >= MaxGroupsPerUser {
			return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for GroupsPerUser: %d", MaxGroupsPerUser)
		}
		if err := connectfed.CreateJSON(tx, kindMember, key, memberRecord{Name: u.Name}); err != nil {
			return err
		}
		return connectfed.CreateJSON(tx, kindUserGroup, nameKey(accountID, userName)+"/"+foldName(groupName), memberRecord{Name: g.Name})
	})
}

// RemoveUserFromGroup ends a membership; a user not in the group is
// NoSuchEntity.
func (s *Service) RemoveUserFromGroup(ctx context.Context, accountID, groupName, userName string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		_, _, err := groupAndUser(tx, accountID, groupName, userName)
		if err != nil {
			return err
		}
		err = tx.Delete(kindMember, nameKey(accountID, groupName)+"/"+foldName(userName))
		if errors.Is(err, connectfed.ErrNotFound) {
			return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The user with name %s cannot be found in group %s.", userName, groupName)
		}
		if err != nil {
			return err
		}
		return tx.Delete(kindUserGroup, nameKey(accountID, userName)+"/"+foldName(groupName))
	})
}

// groupAndUser finds both sides of a membership, or NoSuchEntity.
func groupAndUser(tx connectfed.Tx, accountID, groupName, userName string) (Group, User, error) {
	var g Group
	var u User
	err := getGroup(tx, accountID, groupName, &g)
	if err == nil {
		err = getUser(tx, accountID, userName, &u)
	}
	return g, u, err
}

// GroupsForUser lists the groups a user is in, in name order.
func (s *Service) GroupsForUser(ctx context.Context, accountID, userName string) ([]Group, error) {
	var out []Group
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var u User
		if err := getUser(tx, accountID, userName, &u); err != nil {
			return err
		}
		var err error
		out, err = groupsOf(tx, accountID, userName)
		return err
	})
	return out, err
}

func groupsOf(tx connectfed.Tx, accountID, userName string) ([]Group, error) {
	refs, err := connectfed.ListJSONValues[memberRecord](tx, kindUserGroup, nameKey(accountID, userName)+"/")
	if err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(refs))
	for _, r := range refs {
		var g Group
		if err := getGroup(tx, accountID, r.Name, &g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// noGroups is DeleteConflict when a user is in a group.
func noGroups(tx connectfed.Tx, accountID, userName string) error {
	g, err := tx.List(kindUserGroup, nameKey(accountID, userName)+"/", "", 1)
	if err == nil && len(g) > 0 {
		return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete entity, must remove user from all groups first.")
	}
	return err
}
