package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed"
)

func decode(e connectfed.Entry, v any) error {
	if err := json.Unmarshal(e.Value, v); err != nil {
		return fmt.Errorf("decode %q: %w", e.Key, err)
	}
	return nil
}

// CreateUserInput is what CreateUser needs after wire validation.
type CreateUserInput struct {
	ID                 string // optional: a fixed id (seeding); default a new UUID
	Username           string
	Password           string
	IdentityInfo       *connectfed.UserIdentityInfo
	PhoneConfig        connectfed.UserPhoneConfig
	DirectoryUserID    string
	SecurityProfileIDs []string
	RoutingProfileID   string
	HierarchyGroupID   string
	Tags               map[string]string
}

func invalidParam(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException, format, args...)
}

func invalidRequest(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, format, args...)
}

// CreateUser creates a user in an instance. The username is unique within
// the instance (case-sensitive): a duplicate is DuplicateResourceException.
// The profiles must exist in the instance.
func (s *Service) CreateUser(ctx context.Context, sc Scope, instanceID string, in CreateUserInput) (*connectfed.User, error) {
	users, err := s.CreateUsers(ctx, sc, instanceID, []CreateUserInput{in})
	if err != nil {
		return nil, err
	}
	return users[0], nil
}

// CreateUsers creates several users of one instance in one transaction:
// all of them, or none when any one is refused. Seeding and benchmarks use
// it to load many users quickly.
func (s *Service) CreateUsers(ctx context.Context, sc Scope, instanceID string, ins []CreateUserInput) ([]*connectfed.User, error) {
	now := s.now()
	users := make([]*connectfed.User, len(ins))
	for i, in := range ins {
		u := &connectfed.User{
			AccountID:          sc.AccountID,
			Region:             sc.Region,
			ID:                 in.ID,
			Username:           in.Username,
			IdentityInfo:       in.IdentityInfo,
			PhoneConfig:        in.PhoneConfig,
			DirectoryUserID:    in.DirectoryUserID,
			SecurityProfileIDs: in.SecurityProfileIDs,
			RoutingProfileID:   in.RoutingProfileID,
			HierarchyGroupID:   in.HierarchyGroupID,
			Tags:               in.Tags,
			LastModified:       now,
		}
		if u.ID == "" {
			u.ID = connectfed.NewUUID()
		}
		if in.Password != "" {
			h, err := hashPassword(in.Password)
			if err != nil {
				return nil, err
			}
			u.PasswordHash = h
		}
		users[i] = u
	}
	// Store.Update, not s.update: the caches hold only records that exist,
	// and this transaction only creates records (Create fails on an
	// existing key), so nothing cached can go stale; keeping them spares
	// the next calls' authorization its reads.
	err := s.Store.Update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		for i, in := range ins {
			u := users[i]
			if err := checkUserFits(&inst, in); err != nil {
				return err
			}
			u.InstanceID = inst.ID
			if err := checkProfiles(tx, sc, inst.ID, in.SecurityProfileIDs, in.RoutingProfileID); err != nil {
				return err
			}
			if err := checkHierarchyGroup(tx, sc, inst.ID, in.HierarchyGroupID); err != nil {
				return err
			}
			ref, _ := json.Marshal(u.ID)
			if err := tx.Create(kindUsername, childKey(sc, inst.ID, u.Username), ref); err != nil {
				if errors.Is(err, connectfed.ErrExists) {
					return connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.DuplicateResourceException,
						"User with username %s already exists.", u.Username)
				}
				return err
			}
			if err := connectfed.CreateJSON(tx, kindUser, childKey(sc, inst.ID, u.ID), u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// checkUserFits applies the identity-management rules of CreateUser.
func checkUserFits(inst *connectfed.Instance, in CreateUserInput) error {
	switch inst.IdentityManagementType {
	case connectfed.IdentityConnectManaged:
		if in.Password == "" {
			return invalidParameterRequired("Password")
		}
		if in.DirectoryUserID != "" {
			return invalidRequest("DirectoryUserId is only valid for instances using EXISTING_DIRECTORY identity management.")
		}
	case connectfed.IdentitySAML:
		if in.Password != "" {
			return invalidRequest("Password is not allowed for instances using SAML identity management.")
		}
		if in.DirectoryUserID != "" {
			return invalidRequest("DirectoryUserId is only valid for instances using EXISTING_DIRECTORY identity management.")
		}
		if !validSAMLUsername(in.Username) {
			return invalidParam("Username must be at most 64 characters of [a-zA-Z0-9_.@-] for instances using SAML identity management.")
		}
	case connectfed.IdentityExistingDirectory:
		if in.Password != "" {
			return invalidRequest("Password is not allowed for instances using EXISTING_DIRECTORY identity management.")
		}
	}
	if inst.IdentityManagementType != connectfed.IdentitySAML && len(in.Username) > 20 {
		return invalidParam("Username must be at most 20 characters for instances not using SAML identity management.")
	}
	return nil
}

func invalidParameterRequired(name string) error {
	return invalidParam("%s is required for instances using CONNECT_MANAGED identity management.", name)
}

func validSAMLUsername(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

func checkProfiles(tx connectfed.Tx, sc Scope, instanceID string, security []string, routing string) error {
	for _, id := range security {
		if _, err := tx.Get(kindSecurity, childKey(sc, instanceID, id)); err != nil {
			if errors.Is(err, connectfed.ErrNotFound) {
				return notFound("Security profile not found: %s", id)
			}
			return err
		}
	}
	if routing != "" {
		if _, err := tx.Get(kindRouting, childKey(sc, instanceID, routing)); err != nil {
			if errors.Is(err, connectfed.ErrNotFound) {
				return notFound("Routing profile not found: %s", routing)
			}
			return err
		}
	}
	return nil
}

func getUser(tx connectfed.Tx, sc Scope, instanceID, userID string, inst *connectfed.Instance, u *connectfed.User) error {
	if err := getInstance(tx, sc, instanceID, inst); err != nil {
		return err
	}
	err := connectfed.GetJSON(tx, kindUser, childKey(sc, inst.ID, userID), u)
	if errors.Is(err, connectfed.ErrNotFound) {
		return notFound("User not found: %s", userID)
	}
	return err
}

// GetUser returns a user by id, or ResourceNotFoundException for an
// unknown instance or user.
func (s *Service) GetUser(ctx context.Context, sc Scope, instanceID, userID string) (*connectfed.User, error) {
	key := childKey(sc, instanceID, userID)
	if u, ok := s.users.Get(key, s.now()); ok {
		return &u, nil
	}
	gen := s.users.Generation()
	var u connectfed.User
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		return getUser(tx, sc, instanceID, userID, &inst, &u)
	})
	if err != nil {
		return nil, err
	}
	s.users.Put(key, u, gen, s.now())
	return &u, nil
}

// FindUser returns the instance and its user with exactly this username.
// errors: ResourceNotFoundException for the instance; connectfed.ErrNotFound
// (unwrapped sentinel) when the instance has no such user, so the caller can
// give the error its operation documents.
func (s *Service) FindUser(ctx context.Context, sc Scope, instanceID, username string) (*connectfed.Instance, *connectfed.User, error) {
	key := childKey(sc, instanceID, username)
	if u, ok := s.usernames.Get(key, s.now()); ok {
		if inst, err := s.GetInstance(ctx, sc, instanceID); err == nil {
			return inst, &u, nil
		}
	}
	gen, igen := s.usernames.Generation(), s.instances.Generation()
	var inst connectfed.Instance
	var u connectfed.User
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		var id string
		if err := connectfed.GetJSON(tx, kindUsername, childKey(sc, inst.ID, username), &id); err != nil {
			return err
		}
		return connectfed.GetJSON(tx, kindUser, childKey(sc, inst.ID, id), &u)
	})
	if err != nil {
		return nil, nil, err
	}
	s.usernames.Put(key, u, gen, s.now())
	s.instances.Put(instanceKey(sc, instanceID), inst, igen, s.now())
	return &inst, &u, nil
}

// ListUsers lists an instance's users, ordered by id.
func (s *Service) ListUsers(ctx context.Context, sc Scope, instanceID, after string, limit int) ([]connectfed.User, string, error) {
	return listChildren[connectfed.User](ctx, s, sc, kindUser, instanceID, after, limit)
}

// DeleteUser deletes a user and frees its username.
func (s *Service) DeleteUser(ctx context.Context, sc Scope, instanceID, userID string) (*connectfed.User, error) {
	var u connectfed.User
	err := s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getUser(tx, sc, instanceID, userID, &inst, &u); err != nil {
			return err
		}
		if err := tx.Delete(kindUsername, childKey(sc, inst.ID, u.Username)); err != nil {
			return err
		}
		return tx.Delete(kindUser, childKey(sc, inst.ID, u.ID))
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// UserChange is one of the UpdateUser* operations.
type UserChange struct {
	IdentityInfo       *connectfed.UserIdentityInfo
	PhoneConfig        *connectfed.UserPhoneConfig
	SecurityProfileIDs []string
	RoutingProfileID   string
}

// UpdateUser applies one change to a user atomically.
func (s *Service) UpdateUser(ctx context.Context, sc Scope, instanceID, userID string, ch UserChange) error {
	now := s.now()
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		var u connectfed.User
		if err := getUser(tx, sc, instanceID, userID, &inst, &u); err != nil {
			return err
		}
		if err := checkProfiles(tx, sc, inst.ID, ch.SecurityProfileIDs, ch.RoutingProfileID); err != nil {
			return err
		}
		if ch.IdentityInfo != nil {
			u.IdentityInfo = ch.IdentityInfo
		}
		if ch.PhoneConfig != nil {
			u.PhoneConfig = *ch.PhoneConfig
		}
		if ch.SecurityProfileIDs != nil {
			u.SecurityProfileIDs = ch.SecurityProfileIDs
		}
		if ch.RoutingProfileID != "" {
			u.RoutingProfileID = ch.RoutingProfileID
		}
		u.LastModified = now
		return connectfed.PutJSON(tx, kindUser, childKey(sc, inst.ID, u.ID), &u)
	})
}
