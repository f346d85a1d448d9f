package identity

import (
	"context"
	"strings"

	"github.com/connectfed/connectfed"
)

// IAM tags on users and roles: aws:PrincipalTag/<key> for their requests,
// iam:ResourceTag/<key> for requests on them.

// MaxEntityTags is IAM's quota of tags per user or role.
const MaxEntityTags = 50

// checkTags refuses tags that repeat a key (case-insensitively, as IAM
// compares them) or, merged into existing, exceed MaxEntityTags.
func checkTags(existing, tags []connectfed.SessionTag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return iamErr(connectfed.EINVALID, connectfed.InvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	if len(mergeTags(existing, tags)) > MaxEntityTags {
		return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "The number of tags has reached the maximum limit.")
	}
	return nil
}

// mergeTags sets tags over existing (same key in any case: replaced).
func mergeTags(existing, tags []connectfed.SessionTag) []connectfed.SessionTag {
	out := append([]connectfed.SessionTag(nil), existing...)
	for _, t := range tags {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i], replaced = t, true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// tagEntity changes the tags of a user or role with fn.
func (s *Service) tagEntity(ctx context.Context, accountID, kind, name string, fn func([]connectfed.SessionTag) ([]connectfed.SessionTag, error)) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		switch kind {
		case "user":
			var u User
			if err := getUser(tx, accountID, name, &u); err != nil {
				return err
			}
			tags, err := fn(u.Tags)
			if err != nil {
				return err
			}
			u.Tags = tags
			return connectfed.PutJSON(tx, kindUser, nameKey(accountID, name), u)
		default:
			var r Role
			if err := getRole(tx, accountID, name, &r); err != nil {
				return err
			}
			tags, err := fn(r.Tags)
			if err != nil {
				return err
			}
			r.Tags = tags
			return connectfed.PutJSON(tx, kindRole, nameKey(accountID, name), r)
		}
	})
}

// TagEntity adds or replaces tags of a user ("user") or role ("role").
func (s *Service) TagEntity(ctx context.Context, accountID, kind, name string, tags []connectfed.SessionTag) error {
	return s.tagEntity(ctx, accountID, kind, name, func(old []connectfed.SessionTag) ([]connectfed.SessionTag, error) {
		if err := checkTags(old, tags); err != nil {
			return nil, err
		}
		return mergeTags(old, tags), nil
	})
}

// UntagEntity removes tags by key (case-insensitively); absent keys are
// no error, as in IAM.
func (s *Service) UntagEntity(ctx context.Context, accountID, kind, name string, keys []string) error {
	return s.tagEntity(ctx, accountID, kind, name, func(old []connectfed.SessionTag) ([]connectfed.SessionTag, error) {
		var out []connectfed.SessionTag
		for _, t := range old {
			drop := false
			for _, k := range keys {
				drop = drop || strings.EqualFold(t.Key, k)
			}
			if !drop {
				out = append(out, t)
			}
		}
		return out, nil
	})
}
