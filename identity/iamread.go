package identity

import (
	"context"
	"errors"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// ListUsers returns an account's IAM users whose path starts with
// pathPrefix, in the order of their case-folded names (FoldName).
func (s *Service) ListUsers(ctx context.Context, accountID, pathPrefix string) ([]User, error) {
	return listByPath(ctx, s, kindUser, accountID, pathPrefix, func(u *User) string { return u.Path })
}

// ListRoles is ListUsers for roles.
func (s *Service) ListRoles(ctx context.Context, accountID, pathPrefix string) ([]Role, error) {
	return listByPath(ctx, s, kindRole, accountID, pathPrefix, func(r *Role) string { return r.Path })
}

func listByPath[T any](ctx context.Context, s *Service, kind, accountID, pathPrefix string, path func(*T) string) ([]T, error) {
	var out []T
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		all, err := connectfed.ListJSONValues[T](tx, kind, accountID+"/")
		for i := range all {
			if strings.HasPrefix(path(&all[i]), pathPrefix) {
				out = append(out, all[i])
			}
		}
		return err
	})
	return out, err
}

// FoldName is an IAM name as entities are ordered and compared by (IAM
// names are unique regardless of case).
func FoldName(name string) string { return foldName(name) }

// GetInlinePolicy returns the document of a user's or role's inline
// policy, or NoSuchEntity (for the owner or the policy).
func (s *Service) GetInlinePolicy(ctx context.Context, accountID, owner, ownerName, policyName string) (string, error) {
	var rec policyRecord
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		if err := getOwner(tx, accountID, owner, ownerName); err != nil {
			return err
		}
		err := connectfed.GetJSON(tx, kindPolicy, policyPrefix(accountID, owner, ownerName)+policyName, &rec)
		if errors.Is(err, connectfed.ErrNotFound) {
			return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The %s policy with name %s cannot be found.", owner, policyName)
		}
		return err
	})
	return rec.Document, err
}

// ListInlinePolicies returns the names of a user's or role's inline
// policies, in order.
func (s *Service) ListInlinePolicies(ctx context.Context, accountID, owner, ownerName string) ([]string, error) {
	var names []string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		if err := getOwner(tx, accountID, owner, ownerName); err != nil {
			return err
		}
		recs, err := connectfed.ListJSONValues[policyRecord](tx, kindPolicy, policyPrefix(accountID, owner, ownerName))
		for _, r := range recs {
			names = append(names, r.Name)
		}
		return err
	})
	return names, err
}

// UpdateTrustPolicy replaces a role's trust policy, which must parse; the
// principals it names are bound to their unique ids anew.
func (s *Service) UpdateTrustPolicy(ctx context.Context, accountID, roleName, document string) error {
	trust, err := iam.ParseTrustPolicy(document)
	if err != nil {
		return malformed(err)
	}
	return s.update(ctx, func(tx connectfed.Tx) error {
		var r Role
		if err := getRole(tx, accountID, roleName, &r); err != nil {
			return err
		}
		ids, err := principalIDs(tx, accountID, trust)
		if err != nil {
			return err
		}
		r.TrustPolicy, r.TrustPrincipalIDs = document, ids
		return connectfed.PutJSON(tx, kindRole, nameKey(accountID, roleName), r)
	})
}

// UpdateRole changes a role's description and maximum session duration
// (nil: unchanged).
func (s *Service) UpdateRole(ctx context.Context, accountID, roleName string, description *string, maxSession *int) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var r Role
		if err := getRole(tx, accountID, roleName, &r); err != nil {
			return err
		}
		if description != nil {
			r.Description = *description
		}
		if maxSession != nil {
			r.MaxSessionDuration = *maxSession
		}
		return connectfed.PutJSON(tx, kindRole, nameKey(accountID, roleName), r)
	})
}
