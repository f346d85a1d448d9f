package identity

import (
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// Managed policies: customer managed policies stored per account, with up
// to five versions, and the AWS managed policies Connect setups attach,
// built in under arn:aws:iam::aws:policy/…, attachable to users and roles.

var (
	kindManagedPolicy = connectfed.RegisterKind("managedpolicy", "identity") // "<acct>/<folded name>"
	// kindAttached is "<acct>/<user|role>/<folded owner>/<policy id>": the
	// policies attached to a user or role.
	kindAttached = connectfed.RegisterKind("policyattach", "identity")
	// kindAttachment is "<acct>/<policy id>/<user|role>/<folded owner>":
	// the users and roles a policy is attached to.
	kindAttachment = connectfed.RegisterKind("policyentity", "identity")
)

// Quotas AWS applies by default.
const (
	MaxPolicyVersions           = 5
	MaxAttachedPoliciesPerRole  = 10
	MaxAttachedPoliciesPerUser  = 10
	MaxAttachedPoliciesPerGroup = 10
)

// AWSAccount is the account field of an AWS managed policy's ARN.
const AWSAccount = "aws"

// ManagedPolicy is a customer or AWS managed policy.
type ManagedPolicy struct {
	AccountID      string          `json:"accountId"` // AWSAccount for an AWS managed policy
	Name           string          `json:"name"`
	ID             string          `json:"id"`
	Path           string          `json:"path"`
	Description    string          `json:"description,omitempty"`
	Created        time.Time       `json:"created"`
	Updated        time.Time       `json:"updated"`
	DefaultVersion string          `json:"defaultVersion"`
	Versions       []PolicyVersion `json:"versions"`
	NextVersion    int             `json:"nextVersion"`
	// AttachmentCount is filled in on reads: the account's users and roles
	// the policy is attached to.
	AttachmentCount int `json:"-"`
}

// PolicyVersion is one version of a managed policy's document.
type PolicyVersion struct {
	ID       string    `json:"id"`
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
}

// ARN returns the policy's ARN.
func (p *ManagedPolicy) ARN() string {
	return "arn:aws:iam::" + p.AccountID + ":policy" + p.Path + p.Name
}

// IsAWSManaged reports whether AWS owns the policy.
func (p *ManagedPolicy) IsAWSManaged() bool { return p.AccountID == AWSAccount }

// Version returns the version with id, or nil.
func (p *ManagedPolicy) Version(id string) *PolicyVersion {
	for i := range p.Versions {
		if p.Versions[i].ID == id {
			return &p.Versions[i]
		}
	}
	return nil
}

// DefaultDocument is the document of the default version.
func (p *ManagedPolicy) DefaultDocument() string {
	if v := p.Version(p.DefaultVersion); v != nil {
		return v.Document
	}
	return ""
}

//go:embed awspolicies/*.json
var awsPolicyFiles embed.FS

// awsPolicies are the built-in AWS managed policies, by name, with the
// version, creation and update times AWS publishes for them. Their ids are
// derived from their names (AWS's are not all published).
var awsPolicies = func() map[string]*ManagedPolicy {
	meta := []struct {
		name, desc, version, created, updated string
	}{
		{"AdministratorAccess", "Provides full access to AWS services and resources.", "v1", "2015-02-06T18:39:46Z", "2015-02-06T18:39:46Z"},
		{"AmazonConnect_FullAccess", "Full access to Amazon Connect and related resources.", "v4", "2020-11-20T19:54:04Z", "2023-03-07T14:49:25Z"},
		{"AmazonConnectReadOnlyAccess", "Grants permission to view the Amazon Connect instances in your AWS account.", "v4", "2018-10-17T21:00:44Z", "2024-06-19T15:15:08Z"},
		{"AmazonConnectVoiceIDFullAccess", "Provides full access to Amazon Connect Voice ID", "v1", "2021-09-26T19:04:25Z", "2021-09-26T19:04:25Z"},
	}
	out := map[string]*ManagedPolicy{}
	for _, m := range meta {
		doc, err := awsPolicyFiles.ReadFile("awspolicies/" + m.name + ".json")
		if err != nil {
			panic(err)
		}
		if _, err := iam.ParseIdentityPolicy(string(doc)); err != nil {
			panic(m.name + ": " + err.Error())
		}
		created, _ := time.Parse(time.RFC3339, m.created)
		updated, _ := time.Parse(time.RFC3339, m.updated)
		sum := sha256.Sum256([]byte(m.name))
		id := []byte("ANPA")
		for _, b := range sum[:17] {
			id = append(id, base32Alphabet[b&31])
		}
		out[foldName(m.name)] = &ManagedPolicy{AccountID: AWSAccount, Name: m.name, ID: string(id), Path: "/", Description: m.desc,
			Created: created, Updated: updated, DefaultVersion: m.version,
			Versions: []PolicyVersion{{ID: m.version, Document: string(doc), Created: updated}}}
	}
	return out
}()

// AWSManagedPolicyNames lists the built-in AWS managed policies in the
// order of their case-folded names.
func AWSManagedPolicyNames() []string {
	var out []string
	for _, p := range awsPolicies {
		out = append(out, p.Name)
	}
	sort.Slice(out, func(i, j int) bool { return foldName(out[i]) < foldName(out[j]) })
	return out
}

// ParsePolicyARN splits arn:aws:iam::<account|aws>:policy/[path/]name.
func ParsePolicyARN(arn string) (account, path, name string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:iam::")
	if !found {
		return "", "", "", false
	}
	account, res, found := strings.Cut(rest, ":")
	if !found || (account != AWSAccount && !isAccount(account)) {
		return "", "", "", false
	}
	res, found = strings.CutPrefix(res, "policy/")
	if !found || res == "" {
		return "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	if name == "" {
		return "", "", "", false
	}
	return account, path, name, true
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func policyNotFound(arn string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "Policy %s was not found.", arn)
}

func policyNotAttachable(arn string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

// getPolicyByARN finds the policy arn names, as seen from accountID (an
// account sees its own policies and AWS's). A missing policy is
// ErrNotFound.
func getPolicyByARN(tx connectfed.Tx, accountID, arn string) (*ManagedPolicy, error) {
	acct, _, name, ok := ParsePolicyARN(arn)
	if !ok {
		return nil, connectfed.ErrNotFound
	}
	if acct == AWSAccount {
		p, ok := awsPolicies[foldName(name)]
		if !ok || p.ARN() != arn {
			return nil, connectfed.ErrNotFound
		}
		cp := *p
		return &cp, nil
	}
	if acct != accountID {
		return nil, connectfed.ErrNotFound
	}
	var p ManagedPolicy
	if err := connectfed.GetJSON(tx, kindManagedPolicy, nameKey(acct, name), &p); err != nil {
		return nil, err
	}
	if p.ARN() != arn {
		return nil, connectfed.ErrNotFound
	}
	return &p, nil
}

func (s *Service) withPolicy(tx connectfed.Tx, accountID, arn string, notFound func(string) error) (*ManagedPolicy, error) {
	p, err := getPolicyByARN(tx, accountID, arn)
	if errors.Is(err, connectfed.ErrNotFound) {
		return nil, notFound(arn)
	}
	if err != nil {
		return nil, err
	}
	entries, err := tx.List(kindAttachment, accountID+"/"+p.ID+"/", "", 0)
	if err != nil {
		return nil, err
	}
	p.AttachmentCount = len(entries)
	return p, nil
}

// CreatePolicy creates a customer managed policy whose document is
// version v1.
func (s *Service) CreatePolicy(ctx context.Context, accountID, name, path, description, document string) (*ManagedPolicy, error) {
	if _, err := iam.ParseIdentityPolicy(document); err != nil {
		return nil, malformed(err)
	}
	now := s.now()
	p := &ManagedPolicy{AccountID: accountID, Name: name, ID: awsID("ANPA", 17), Path: path, Description: description,
		Created: now, Updated: now, DefaultVersion: "v1", NextVersion: 2,
		Versions: []PolicyVersion{{ID: "v1", Document: document, Created: now}}}
	err := s.update(ctx, func(tx connectfed.Tx) error {
		err := connectfed.CreateJSON(tx, kindManagedPolicy, nameKey(accountID, name), p)
		if errors.Is(err, connectfed.ErrExists) {
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// GetPolicy returns a managed policy by ARN, or NoSuchEntity.
func (s *Service) GetPolicy(ctx context.Context, accountID, arn string) (*ManagedPolicy, error) {
	var p *ManagedPolicy
	err := s.Store.View(ctx, func(tx connectfed.Tx) (err error) {
		p, err = s.withPolicy(tx, accountID, arn, policyNotFound)
		return err
	})
	return p, err
}

// updatePolicy changes a customer managed policy of accountID in place.
func (s *Service) updatePolicy(ctx context.Context, accountID, arn string, fn func(tx connectfed.Tx, p *ManagedPolicy) error) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		p, err := s.customerPolicy(tx, accountID, arn)
		if err != nil {
			return err
		}
		if err := fn(tx, p); err != nil {
			return err
		}
		return connectfed.PutJSON(tx, kindManagedPolicy, nameKey(p.AccountID, p.Name), p)
	})
}

// customerPolicy is the account's customer managed policy arn names, for
// a change: an AWS managed policy cannot be changed (AccessDenied).
func (s *Service) customerPolicy(tx connectfed.Tx, accountID, arn string) (*ManagedPolicy, error) {
	p, err := s.withPolicy(tx, accountID, arn, policyNotFound)
	if err == nil && p.IsAWSManaged() {
		err = iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Cannot modify an AWS managed policy: %s", arn)
	}
	return p, err
}

// DeleteManagedPolicy deletes a customer managed policy that is attached to
// nothing and has no version but its default one (DeleteConflict
// otherwise, as in IAM).
func (s *Service) DeleteManagedPolicy(ctx context.Context, accountID, arn string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		p, err := s.customerPolicy(tx, accountID, arn)
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.Delete(kindManagedPolicy, nameKey(p.AccountID, p.Name))
	})
}

// CreatePolicyVersion adds a version (the default one if setDefault) to a
// customer managed policy; a policy has at most MaxPolicyVersions.
func (s *Service) CreatePolicyVersion(ctx context.Context, accountID, arn, document string, setDefault bool) (*PolicyVersion, error) {
	if _, err := iam.ParseIdentityPolicy(document); err != nil {
		return nil, malformed(err)
	}
	var v PolicyVersion
	err := s.updatePolicy(ctx, accountID, arn, func(tx connectfed.Tx, p *ManagedPolicy) error {
		if len(p.Versions) >= MaxPolicyVersions {
			return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", MaxPolicyVersions)
		}
		now := s.now()
		v = PolicyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Document: document, Created: now}
		p.NextVersion++
		p.Versions = append(p.Versions, v)
		if setDefault {
			p.DefaultVersion, p.Updated = v.ID, now
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func noSuchVersion(arn, id string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, id)
}

// DeletePolicyVersion deletes a version that is not the default one.
func (s *Service) DeletePolicyVersion(ctx context.Context, accountID, arn, versionID string) error {
	return s.updatePolicy(ctx, accountID, arn, func(tx connectfed.Tx, p *ManagedPolicy) error {
		if p.Version(versionID) == nil {
			return noSuchVersion(arn, versionID)
		}
		if versionID == p.DefaultVersion {
			return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete the default version of a policy.")
		}
		kept := p.Versions[:0]
		for _, v := range p.Versions {
			if v.ID != versionID {
				kept = append(kept, v)
			}
		}
		p.Versions = kept
		return nil
	})
}

// SetDefaultPolicyVersion makes a version the one evaluated.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, accountID, arn, versionID string) error {
	return s.updatePolicy(ctx, accountID, arn, func(tx connectfed.Tx, p *ManagedPolicy) error {
		if p.Version(versionID) == nil {
			return noSuchVersion(arn, versionID)
		}
		p.DefaultVersion, p.Updated = versionID, s.now()
		return nil
	})
}

// PolicyScope selects ListPolicies' policies.
type PolicyScope string

// The scopes of ListPolicies.
const (
	ScopeAll   PolicyScope = "All"
	ScopeAWS   PolicyScope = "AWS"
	ScopeLocal PolicyScope = "Local"
)

// ListPolicies returns the managed policies in scope whose path starts
// with pathPrefix (only the attached ones if onlyAttached), AWS's first,
// each group in name order, with their attachment counts.
func (s *Service) ListPolicies(ctx context.Context, accountID string, scope PolicyScope, pathPrefix string, onlyAttached bool) ([]ManagedPolicy, error) {
	var out []ManagedPolicy
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var all []ManagedPolicy
		if scope != ScopeLocal {
			for _, name := range AWSManagedPolicyNames() {
				all = append(all, *awsPolicies[foldName(name)])
			}
		}
		if scope != ScopeAWS {
			local, err := connectfed.ListJSONValues[ManagedPolicy](tx, kindManagedPolicy, accountID+"/")
			if err != nil {
				return err
			}
			all = append(all, local...)
		}
		for _, p := range all {
			if !strings.HasPrefix(p.Path, pathPrefix) {
				continue
			}
			entries, err := tx.List(kindAttachment, accountID+"/"+p.ID+"/", "", 0)
			if err != nil {
				return err
			}
			p.AttachmentCount = len(entries)
			if onlyAttached && p.AttachmentCount == 0 {
				continue
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

type attachedRecord struct {
	PolicyARN  string `json:"policyArn"`
	PolicyName string `json:"policyName"`
	PolicyID   string `json:"policyId"`
}

// AttachedPolicy names a managed policy attached to a user or role.
type AttachedPolicy struct {
	Name, ARN string
}

// PolicyEntity is a user or role a managed policy is attached to.
type PolicyEntity struct {
	Kind string `json:"kind"` // "user", "role" or "group"
	Name string `json:"name"`
	ID   string `json:"id"`
	Path string `json:"path"`
	// Tags are the user's or role's IAM tags (not kept with attachments).
	Tags []connectfed.SessionTag `json:"-"`
}

func ownerKey(accountID, owner, name string) string {
	return accountID + "/" + owner + "/" + foldName(name) + "/"
}

// AttachPolicy attaches a managed policy to a user or role (attaching it
// again changes nothing).
func (s *Service) AttachPolicy(ctx context.Context, accountID, owner, ownerName, arn string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		ent, p, err := attachment(tx, accountID, owner, ownerName, arn)
		if err != nil {
			return err
		}
		key := ownerKey(accountID, owner, ownerName) + p.ID
		if _, err := tx.Get(kindAttached, key); err == nil {
			return nil
		} else if !errors.Is(err, connectfed.ErrNotFound) {
			return err
		}
		n, err := tx.List(kindAttached, ownerKey(accountID, owner, ownerName), "", 0)
		if err != nil {
			return err
		}
		if limit := attachLimit(owner); len(n) >= limit {
			return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for PoliciesPer%s: %d", strings.ToUpper(owner[:1])+owner[1:], limit)
		}
		if err := connectfed.CreateJSON(tx, kindAttached, key, attachedRecord{PolicyARN: p.ARN(), PolicyName: p.Name, PolicyID: p.ID}); err != nil {
			return err
		}
		return connectfed.CreateJSON(tx, kindAttachment, accountID+"/"+p.ID+"/"+owner+"/"+foldName(ownerName), ent)
	})
}

// attachment finds the user or role and the policy of an Attach or Detach.
func attachment(tx connectfed.Tx, accountID, owner, ownerName, arn string) (PolicyEntity, *ManagedPolicy, error) {
	ent, err := getEntity(tx, accountID, owner, ownerName)
	if err != nil {
		return ent, nil, err
	}
	p, err := getPolicyByARN(tx, accountID, arn)
	if errors.Is(err, connectfed.ErrNotFound) {
		return ent, nil, policyNotAttachable(arn)
	}
	return ent, p, err
}

func attachLimit(owner string) int {
	switch owner {
	case "role":
		return MaxAttachedPoliciesPerRole
	case "group":
		return MaxAttachedPoliciesPerGroup
	}
	return MaxAttachedPoliciesPerUser
}

// DetachPolicy detaches a managed policy from a user or role.
func (s *Service) DetachPolicy(ctx context.Context, accountID, owner, ownerName, arn string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		_, p, err := attachment(tx, accountID, owner, ownerName, arn)
		if err != nil {
			return err
		}
		err = tx.Delete(kindAttached, ownerKey(accountID, owner, ownerName)+p.ID)
		if errors.Is(err, connectfed.ErrNotFound) {
			return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "Policy %s was not found.", arn)
		}
		if err != nil {
			return err
		}
		return tx.Delete(kindAttachment, accountID+"/"+p.ID+"/"+owner+"/"+foldName(ownerName))
	})
}

// getEntity returns the user, role or group as a PolicyEntity, or NoSuchEntity.
func getEntity(tx connectfed.Tx, accountID, owner, name string) (PolicyEntity, error) {
	switch owner {
	case "user":
		var u User
		err := getUser(tx, accountID, name, &u)
		return PolicyEntity{Kind: owner, Name: u.Name, ID: u.ID, Path: u.Path, Tags: u.Tags}, err
	case "role":
		var r Role
		err := getRole(tx, accountID, name, &r)
		return PolicyEntity{Kind: owner, Name: r.Name, ID: r.ID, Path: r.Path, Tags: r.Tags}, err
	case "group":
		var g Group
		err := getGroup(tx, accountID, name, &g)
		return PolicyEntity{Kind: owner, Name: g.Name, ID: g.ID, Path: g.Path}, err
	}
	return PolicyEntity{}, fmt.Errorf("identity: unknown entity kind %q", owner)
}

// AttachedPolicies lists the managed policies attached to a user or role
// whose path starts with pathPrefix, in attachment key order.
func (s *Service) AttachedPolicies(ctx context.Context, accountID, owner, ownerName, pathPrefix string) ([]AttachedPolicy, error) {
	var out []AttachedPolicy
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		if err := getOwner(tx, accountID, owner, ownerName); err != nil {
			return err
		}
		recs, err := connectfed.ListJSONValues[attachedRecord](tx, kindAttached, ownerKey(accountID, owner, ownerName))
		for _, r := range recs {
			if _, path, _, _ := ParsePolicyARN(r.PolicyARN); strings.HasPrefix(path, pathPrefix) {
				out = append(out, AttachedPolicy{Name: r.PolicyName, ARN: r.PolicyARN})
			}
		}
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out, err
}

// PolicyEntities lists the users and roles of accountID that a managed
// policy is attached to.
func (s *Service) PolicyEntities(ctx context.Context, accountID, arn string) ([]PolicyEntity, error) {
	var out []PolicyEntity
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		p, err := s.withPolicy(tx, accountID, arn, policyNotFound)
		if err != nil {
			return err
		}
		out, err = connectfed.ListJSONValues[PolicyEntity](tx, kindAttachment, accountID+"/"+p.ID+"/")
		return err
	})
	return out, err
}

// attachedDocuments returns the default documents of the managed policies
// attached to a user or role, with their names and ARNs.
func attachedDocuments(tx connectfed.Tx, accountID, owner, ownerName string) ([]*ManagedPolicy, error) {
	recs, err := connectfed.ListJSONValues[attachedRecord](tx, kindAttached, ownerKey(accountID, owner, ownerName))
	if err != nil {
		return nil, err
	}
	out := make([]*ManagedPolicy, 0, len(recs))
	for _, r := range recs {
		p, err := getPolicyByARN(tx, accountID, r.PolicyARN)
		if errors.Is(err, connectfed.ErrNotFound) {
			continue // deleted since (DeletePolicy refuses while attached)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// noAttached is DeleteConflict when a user or role has managed policies.
func noAttached(tx connectfed.Tx, accountID, owner, ownerName string) error {
	e, err := tx.List(kindAttached, ownerKey(accountID, owner, ownerName), "", 1)
	if err == nil && len(e) > 0 {
		return iamErr(connectfed.ECONFLICT, connectfed.DeleteConflict, "Cannot delete entity, must detach all policies first.")
	}
	return err
}
