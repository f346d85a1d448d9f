package identity

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// Record kinds for IAM and STS.
var (
	kindUser      = connectfed.RegisterKind("iamuser", "identity")
	kindRole      = connectfed.RegisterKind("iamrole", "identity")
	kindAccessKey = connectfed.RegisterKind("accesskey", "identity")
	kindUserKey   = connectfed.RegisterKind("userkey", "identity") // "<acct>/<user>/<akid>": the keys of a user, for listing
	kindPolicy    = connectfed.RegisterKind("inlinepolicy", "identity")
	kindSession   = connectfed.RegisterKind("stssession", "identity")
)

// MaxAccessKeysPerUser is AWS's quota.
const MaxAccessKeysPerUser = 2

// User is an IAM user.
type User struct {
	AccountID string    `json:"accountId"`
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	Path      string    `json:"path"`
	Created   time.Time `json:"created"`
	// Tags are the user's IAM tags.
	Tags []connectfed.SessionTag `json:"tags,omitempty"`
}

// ARN returns the user's ARN.
func (u *User) ARN() string { return "arn:aws:iam::" + u.AccountID + ":user" + u.Path + u.Name }

// AccessKey is an IAM user's long-term key. The secret is only ever
// returned by CreateAccessKey.
type AccessKey struct {
	AccountID    string    `json:"accountId"`
	UserName     string    `json:"userName"`
	UserID       string    `json:"userId"`
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Created      time.Time `json:"created"`
	SealedSecret string    `json:"sealedSecret"`
}

// Role is an IAM role.
type Role struct {
	AccountID          string    `json:"accountId"`
	Name               string    `json:"name"`
	ID                 string    `json:"id"`
	Path               string    `json:"path"`
	Description        string    `json:"description,omitempty"`
	TrustPolicy        string    `json:"trustPolicy"`
	MaxSessionDuration int       `json:"maxSessionDuration"`
	Created            time.Time `json:"created"`
	// TrustPrincipalIDs binds the users and roles of this account that the
	// trust policy names (by ARN) to their unique ids when the policy was
	// stored, as IAM does (iam.Request.PrincipalIDs).
	TrustPrincipalIDs map[string]string `json:"trustPrincipalIds,omitempty"`
	// Tags are the role's IAM tags.
	Tags []connectfed.SessionTag `json:"tags,omitempty"`
}

// ARN returns the role's ARN.
func (r *Role) ARN() string { return "arn:aws:iam::" + r.AccountID + ":role" + r.Path + r.Name }

func iamErr(code string, typ connectfed.ErrorType, format string, args ...any) error {
	return connectfed.TypedErrorf(code, typ, format, args...)
}

func noSuchUser(name string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The user with name %s cannot be found.", name)
}

func noSuchRole(name string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The role with name %s cannot be found.", name)
}

// CreateUser creates an IAM user. Names are unique per account,
// case-insensitively, as in IAM.
func (s *Service) CreateUser(ctx context.Context, accountID, name, path string, tags ...connectfed.SessionTag) (*User, error) {
	if err := checkTags(nil, tags); err != nil {
		return nil, err
	}
	u := &User{AccountID: accountID, Name: name, ID: awsID("AIDA", 17), Path: path, Created: s.now(), Tags: tags}
	err := s.update(ctx, func(tx connectfed.Tx) error {
		err := connectfed.CreateJSON(tx, kindUser, nameKey(accountID, name), u)
		if errors.Is(err, connectfed.ErrExists) {
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "User with name %s already exists.", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// nameKey is the key of an account's named IAM entity. IAM names are
// case-insensitive for uniqueness, so the key folds case.
func nameKey(accountID, name string) string { return accountID + "/" + foldName(name) }

func foldName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// GetUser returns an IAM user, or NoSuchEntity.
func (s *Service) GetUser(ctx context.Context, accountID, name string) (*User, error) {
	var u User
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return getUser(tx, accountID, name, &u) })
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func getUser(tx connectfed.Tx, accountID, name string, u *User) error {
	err := connectfed.GetJSON(tx, kindUser, nameKey(accountID, name), u)
	if errors.Is(err, connectfed.ErrNotFound) {
		return noSuchUser(name)
	}
	return err
}

// DeleteUser deletes an IAM user that has no access keys and no inline or
// attached policies left (DeleteConflict otherwise, as in IAM).
func (s *Service) DeleteUser(ctx context.Context, accountID, name string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var u User
		if err := getUser(tx, accountID, name, &u); err != nil {
			return err
		}
		keys, err := tx.List(kindUserKey, nameKey(accountID, name)+"/", "", 1)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete entity, must delete access keys first.")
		}
		pols, err := tx.List(kindPolicy, policyPrefix(accountID, "user", name), "", 1)
		if err != nil {
			return err
		}
		if len(pols) > 0 {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete entity, must delete policies first.")
		}
		if err := noAttached(tx, accountID, "user", name); err != nil {
			return err
		}
		if err := noGroups(tx, accountID, name); err != nil {
			return err
		}
		return tx.Delete(kindUser, nameKey(accountID, name))
	})
}

// CreateAccessKey creates a key for a user and returns it with its secret,
// which is stored only sealed and never returned again.
func (s *Service) CreateAccessKey(ctx context.Context, accountID, userName string) (*AccessKey, string, error) {
	secret := newSecret()
	var key AccessKey
	err := s.update(ctx, func(tx connectfed.Tx) error {
		var u User
		if err := getUser(tx, accountID, userName, &u); err != nil {
			return err
		}
		existing, err := tx.List(kindUserKey, nameKey(accountID, userName)+"/", "", MaxAccessKeysPerUser+1)
		if err != nil {
			return err
		}
		if len(existing) >= MaxAccessKeysPerUser {
			return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser)
		}
		id := awsID("AKIA", 16)
		key = AccessKey{AccountID: accountID, UserName: u.Name, UserID: u.ID, ID: id, Status: "Active", Created: s.now(),
			SealedSecret: s.Sealer.Seal(secret, "accesskey/"+id)}
		if err := connectfed.CreateJSON(tx, kindAccessKey, id, key); err != nil {
			return err
		}
		return tx.Create(kindUserKey, nameKey(accountID, userName)+"/"+id, []byte("{}"))
	})
	if err != nil {
		return nil, "", err
	}
	return &key, secret, nil
}

// ImportAccessKey gives a user a key with a known id and secret (seeding,
// so a CI job knows its keys in advance). An existing key of the same user
// gets the new secret; a key id of another user is EntityAlreadyExists.
func (s *Service) ImportAccessKey(ctx context.Context, accountID, userName, keyID, secret string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var u User
		if err := getUser(tx, accountID, userName, &u); err != nil {
			return err
		}
		var existing AccessKey
		err := connectfed.GetJSON(tx, kindAccessKey, keyID, &existing)
		switch {
		case err == nil && (existing.AccountID != accountID || existing.UserID != u.ID):
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "Access key %s belongs to another user.", keyID)
		case err == nil:
			existing.SealedSecret = s.Sealer.Seal(secret, "accesskey/"+keyID)
			return connectfed.PutJSON(tx, kindAccessKey, keyID, existing)
		case !errors.Is(err, connectfed.ErrNotFound):
			return err
		}
		if strings.HasPrefix(keyID, "ASIA") {
			return iamErr(connectfed.EINVALID, connectfed.ValidationError, "ASIA access key ids are reserved for temporary credentials.")
		}
		if _, err := tx.Get(kindRootKey, keyID); err == nil {
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "Access key %s is a root key.", keyID)
		}
		key := AccessKey{AccountID: accountID, UserName: u.Name, UserID: u.ID, ID: keyID, Status: "Active", Created: s.now(),
			SealedSecret: s.Sealer.Seal(secret, "accesskey/"+keyID)}
		if err := connectfed.CreateJSON(tx, kindAccessKey, keyID, key); err != nil {
			return err
		}
		return tx.Create(kindUserKey, nameKey(accountID, userName)+"/"+keyID, []byte("{}"))
	})
}

// ListAccessKeys lists a user's keys (without secrets).
func (s *Service) ListAccessKeys(ctx context.Context, accountID, userName string) ([]AccessKey, error) {
	var out []AccessKey
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var u User
		if err := getUser(tx, accountID, userName, &u); err != nil {
			return err
		}
		refs, err := tx.List(kindUserKey, nameKey(accountID, userName)+"/", "", 0)
		if err != nil {
			return err
		}
		for _, r := range refs {
			var k AccessKey
			id := r.Key[len(nameKey(accountID, userName))+1:]
			if err := connectfed.GetJSON(tx, kindAccessKey, id, &k); err != nil {
				return err
			}
			out = append(out, k)
		}
		return nil
	})
	return out, err
}

// DeleteAccessKey deletes one of a user's keys.
func (s *Service) DeleteAccessKey(ctx context.Context, accountID, userName, keyID string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var u User
		if err := getUser(tx, accountID, userName, &u); err != nil {
			return err
		}
		err := tx.Delete(kindUserKey, nameKey(accountID, userName)+"/"+keyID)
		if errors.Is(err, connectfed.ErrNotFound) {
			return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The Access Key with id %s cannot be found.", keyID)
		}
		if err != nil {
			return err
		}
		return tx.Delete(kindAccessKey, keyID)
	})
}

// CreateRole creates a role with its trust policy, which must parse.
func (s *Service) CreateRole(ctx context.Context, accountID, name, path, description, trustPolicy string, maxSession int, tags ...connectfed.SessionTag) (*Role, error) {
	trust, err := iam.ParseTrustPolicy(trustPolicy)
	if err != nil {
		return nil, malformed(err)
	}
	if err := checkTags(nil, tags); err != nil {
		return nil, err
	}
	r := &Role{AccountID: accountID, Name: name, ID: awsID("AROA", 17), Path: path, Description: description,
		TrustPolicy: trustPolicy, MaxSessionDuration: maxSession, Created: s.now(), Tags: tags}
	err = s.update(ctx, func(tx connectfed.Tx) error {
		ids, err := principalIDs(tx, accountID, trust)
		if err != nil {
			return err
		}
		r.TrustPrincipalIDs = ids
		err = connectfed.CreateJSON(tx, kindRole, nameKey(accountID, name), r)
		if errors.Is(err, connectfed.ErrExists) {
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "Role with name %s already exists.", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// principalIDs resolves the users and roles of accountID that a policy
// names as principals to their unique ids. A principal that does not exist
// (or exists under another path) is left unbound.
func principalIDs(tx connectfed.Tx, accountID string, p *iam.Policy) (map[string]string, error) {
	var ids map[string]string
	for _, arn := range p.PrincipalARNs() {
		rest, ok := strings.CutPrefix(arn, "arn:aws:iam::"+accountID+":")
		if !ok {
			continue // another account's entity: not known here
		}
		kind, pathName, _ := strings.Cut(rest, "/")
		name := pathName[strings.LastIndexByte(pathName, '/')+1:]
		var stored, id string
		var err error
		switch kind {
		case "user":
			var u User
			if err = getUser(tx, accountID, name, &u); err == nil {
				stored, id = u.ARN(), u.ID
			}
		case "role":
			var r Role
			if err = getRole(tx, accountID, name, &r); err == nil {
				stored, id = r.ARN(), r.ID
			}
		default:
			continue
		}
		if connectfed.ErrorCode(err) == connectfed.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if stored == arn {
			if ids == nil {
				ids = map[string]string{}
			}
			ids[arn] = id
		}
	}
	return ids, nil
}

func malformed(err error) error {
	var me *iam.MalformedPolicyError
	if errors.As(err, &me) {
		return iamErr(connectfed.EINVALID, connectfed.MalformedPolicyDocument, "%s", me.Message)
	}
	return iamErr(connectfed.EINVALID, connectfed.MalformedPolicyDocument, "Syntax errors in policy.")
}

// GetRole returns a role, or NoSuchEntity.
func (s *Service) GetRole(ctx context.Context, accountID, name string) (*Role, error) {
	var r Role
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return getRole(tx, accountID, name, &r) })
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func getRole(tx connectfed.Tx, accountID, name string, r *Role) error {
	err := connectfed.GetJSON(tx, kindRole, nameKey(accountID, name), r)
	if errors.Is(err, connectfed.ErrNotFound) {
		return noSuchRole(name)
	}
	return err
}

// DeleteRole deletes a role that has no inline or attached policies left.
func (s *Service) DeleteRole(ctx context.Context, accountID, name string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var r Role
		if err := getRole(tx, accountID, name, &r); err != nil {
			return err
		}
		pols, err := tx.List(kindPolicy, policyPrefix(accountID, "role", name), "", 1)
		if err != nil {
			return err
		}
		if len(pols) > 0 {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete entity, must delete policies first.")
		}
		if err := noAttached(tx, accountID, "role", name); err != nil {
			return err
		}
		return tx.Delete(kindRole, nameKey(accountID, name))
	})
}

// policyPrefix is the key prefix of one user's or role's inline policies.
func policyPrefix(accountID, owner, name string) string {
	return accountID + "/" + owner + "/" + foldName(name) + "/"
}

type policyRecord struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

// PutPolicy adds or replaces an inline policy of a user ("user") or role
// ("role"). The document must be a valid identity policy.
func (s *Service) PutPolicy(ctx context.Context, accountID, owner, ownerName, policyName, document string) error {
	if _, err := iam.ParseIdentityPolicy(document); err != nil {
		return malformed(err)
	}
	return s.update(ctx, func(tx connectfed.Tx) error {
		if err := getOwner(tx, accountID, owner, ownerName); err != nil {
			return err
		}
		key := policyPrefix(accountID, owner, ownerName) + policyName
		rec := policyRecord{Name: policyName, Document: document}
		err := connectfed.CreateJSON(tx, kindPolicy, key, rec)
		if errors.Is(err, connectfed.ErrExists) {
			return connectfed.PutJSON(tx, kindPolicy, key, rec)
		}
		return err
	})
}

func getOwner(tx connectfed.Tx, accountID, owner, name string) error {
	_, err := getEntity(tx, accountID, owner, name)
	return err
}

// DeletePolicy removes an inline policy.
func (s *Service) DeletePolicy(ctx context.Context, accountID, owner, ownerName, policyName string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		if err := getOwner(tx, accountID, owner, ownerName); err != nil {
			return err
		}
		err := tx.Delete(kindPolicy, policyPrefix(accountID, owner, ownerName)+policyName)
		if errors.Is(err, connectfed.ErrNotFound) {
			return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The %s policy with name %s cannot be found.", owner, policyName)
		}
		return err
	})
}

// ResetAccount deletes an account's IAM users, access keys, roles, inline
// and managed policies and their attachments, and STS sessions, and drops the caches. The account and its root
// keys stay.
func (s *Service) ResetAccount(ctx context.Context, accountID string) error {
	return s.update(ctx, func(tx connectfed.Tx) error { return resetAccount(tx, accountID) })
}

func resetAccount(tx connectfed.Tx, accountID string) error {
	prefix := accountID + "/"
	refs, err := tx.List(kindUserKey, prefix, "", 0)
	if err != nil {
		return err
	}
	for _, r := range refs {
		akid := r.Key[strings.LastIndexByte(r.Key, '/')+1:]
		if err := tx.Delete(kindAccessKey, akid); err != nil && !errors.Is(err, connectfed.ErrNotFound) {
			return err
		}
	}
	for _, kind := range []string{kindUserKey, kindUser, kindRole, kindPolicy, kindManagedPolicy, kindAttached, kindAttachment, kindGroup, kindMember, kindUserGroup} {
		if _, err := tx.DeletePrefix(kind, prefix); err != nil {
			return err
		}
	}
	// Sessions are keyed by access key id; walk them.
	after := ""
	for {
		page, err := tx.List(kindSession, "", after, 1000)
		if err != nil {
			return err
		}
		for _, e := range page {
			var s Session
			if err := json.Unmarshal(e.Value, &s); err != nil {
				return err
			}
			if s.AccountID == accountID {
				if err := tx.Delete(kindSession, e.Key); err != nil {
					return err
				}
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].Key
	}
}
