package identity

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// Session is an STS session made by AssumeRole: temporary credentials for
// a role, named by the caller.
type Session struct {
	// Kind is "" for a role session, "user" or "root" for GetSessionToken's.
	Kind        string    `json:"kind,omitempty"`
	UserName    string    `json:"userName,omitempty"`
	UserID      string    `json:"userId,omitempty"`
	AccountID   string    `json:"accountId"`
	AccessKeyID string    `json:"accessKeyId"`
	RoleName    string    `json:"roleName"`
	RoleID      string    `json:"roleId"`
	RolePath    string    `json:"rolePath"`
	SessionName string    `json:"sessionName"`
	Expires     time.Time `json:"expires"`
	Created     time.Time `json:"created"`
	// SealedSecret and SealedToken are set only in sessions stored by an
	// earlier version; sessions are no longer stored.
	SealedSecret string `json:"sealedSecret,omitempty"`
	SealedToken  string `json:"sealedToken,omitempty"`
	// Policy is the inline session policy ("" for none).
	Policy            string                  `json:"policy,omitempty"`
	PolicyARNs        []string                `json:"policyArns,omitempty"`
	Tags              []connectfed.SessionTag `json:"tags,omitempty"`
	TransitiveTagKeys []string                `json:"transitiveTagKeys,omitempty"`
	SourceIdentity    string                  `json:"sourceIdentity,omitempty"`
}

// Principal is the assumed-role principal of the session.
func (s *Session) Principal() *connectfed.Principal {
	return &connectfed.Principal{
		Type:        connectfed.PrincipalAssumedRole,
		AccountID:   s.AccountID,
		ARN:         "arn:aws:sts::" + s.AccountID + ":assumed-role/" + s.RoleName + "/" + s.SessionName,
		UserID:      s.RoleID + ":" + s.SessionName,
		Name:        s.SessionName,
		RoleName:    s.RoleName,
		RolePath:    s.rolePath(),
		RoleID:      s.RoleID,
		AccessKeyID: s.AccessKeyID,
		Session: &connectfed.SessionInfo{Issued: s.Created, Policy: s.Policy, PolicyARNs: s.PolicyARNs, Tags: s.Tags,
			TransitiveTagKeys: s.TransitiveTagKeys, SourceIdentity: s.SourceIdentity},
	}
}

// RoleARN is the ARN of the role the session assumed, with its path.
func (s *Session) RoleARN() string {
	return "arn:aws:iam::" + s.AccountID + ":role" + s.rolePath() + s.RoleName
}

func (s *Session) rolePath() string {
	if s.RolePath == "" {
		return "/"
	}
	return s.RolePath
}

func (s *Service) lookupIAM(tx connectfed.Tx, accessKeyID string) (*Credential, error) {
	if strings.HasPrefix(accessKeyID, "ASIA") {
		// A session stored by an earlier version (random token, sealed
		// secret in the record): honoured, with the same checks, until it
		// expires. New sessions are self-contained (stateless.go).
		var sess Session
		err := connectfed.GetJSON(tx, kindSession, accessKeyID, &sess)
		if errors.Is(err, connectfed.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		secret, err := s.Sealer.Open(sess.SealedSecret, "session/"+accessKeyID)
		if err != nil {
			return nil, err
		}
		token, err := s.Sealer.Open(sess.SealedToken, "sessiontoken/"+accessKeyID)
		if err != nil {
			return nil, err
		}
		// A session belongs to its role's unique id: once the role is
		// deleted (and perhaps made again under the same name, with a new
		// id) the session's credentials are no longer valid.
		var role Role
		err = getRole(tx, sess.AccountID, sess.RoleName, &role)
		if connectfed.ErrorCode(err) == connectfed.ENOTFOUND || err == nil && role.ID != sess.RoleID {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		p := sess.Principal()
		p.Tags = role.Tags
		return &Credential{Secret: secret, SessionToken: token, Expires: sess.Expires, Principal: p}, nil
	}
	var key AccessKey
	err := connectfed.GetJSON(tx, kindAccessKey, accessKeyID, &key)
	if errors.Is(err, connectfed.ErrNotFound) || err == nil && key.Status != "Active" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	secret, err := s.Sealer.Open(key.SealedSecret, "accesskey/"+accessKeyID)
	if err != nil {
		return nil, err
	}
	var u User
	if err := getUser(tx, key.AccountID, key.UserName, &u); err != nil {
		return nil, err
	}
	return &Credential{Secret: secret, Principal: &connectfed.Principal{
		Type:        connectfed.PrincipalUser,
		AccountID:   u.AccountID,
		ARN:         u.ARN(),
		UserID:      u.ID,
		Name:        u.Name,
		AccessKeyID: accessKeyID,
		Tags:        u.Tags,
	}}, nil
}

// AssumeRoleInput is a validated AssumeRole request.
type AssumeRoleInput struct {
	RoleARN string
	SessionSpec
	// ExternalID is sts:ExternalId ("" when not given).
	ExternalID string
}

// AssumedRole is a new session; Secret and Token are returned once.
type AssumedRole struct {
	Session *Session
	Secret  string
	Token   string
	// PackedPolicySize is the percentage of the packed limit that the
	// session policy and tags use (-1 when neither was passed).
	PackedPolicySize int
}

// roleChainLimit is the longest session a role session may ask for.
const roleChainLimit = 3600

// AssumeRole makes temporary credentials for a role. Root may not assume
// roles. The caller needs the role's trust policy to allow it and, unless
// the trust policy names the caller itself in the same account, an
// identity policy allowing sts:AssumeRole on the role; passing session
// tags needs sts:TagSession, and a source identity (given, or kept from a
// calling session) sts:SetSourceIdentity, in the same way. An unknown role
// is reported exactly like a refused one, so callers cannot probe for
// roles.
func (s *Service) AssumeRole(ctx context.Context, caller *connectfed.Principal, in AssumeRoleInput) (*AssumedRole, error) {
	if caller.IsRoot() {
		s.explainDenial(ctx, caller, "sts:AssumeRole", in.RoleARN, "root may not assume roles")
		return nil, iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Roles may not be assumed by root accounts.")
	}
	roleAcct, roleName, ok := parseRoleARN(in.RoleARN)
	if !ok {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "%s is invalid", in.RoleARN)
	}
	var role Role
	rp, err := s.role(ctx, roleAcct, roleName)
	notFound := errors.Is(err, connectfed.ErrNotFound) || connectfed.ErrorCode(err) == connectfed.ENOTFOUND
	if err != nil && !notFound {
		return nil, err
	}
	if rp != nil {
		role = *rp
	}
	keys := in.RequestKeys()
	if in.ExternalID != "" {
		keys["sts:ExternalId"] = []string{in.ExternalID}
	}
	if in.SourceIdentity == "" && caller.Session != nil && caller.Session.SourceIdentity != "" {
		// A role chain carries the source identity into the request.
		keys["sts:SourceIdentity"] = []string{caller.Session.SourceIdentity}
	}
	reqCtx := s.requestContext(ctx, caller, keys)
	actions := []string{"sts:AssumeRole"}
	if in.HasRequestTags() {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != "" || caller.Session != nil && caller.Session.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	if notFound || role.ARN() != in.RoleARN { // missing, or same name with another path or case
		s.explainDenial(ctx, caller, "sts:AssumeRole", in.RoleARN, "the role does not exist")
		return nil, assumeDenied(caller, "sts:AssumeRole", in.RoleARN)
	}
	trust, err := s.trustPolicy(role.TrustPolicy)
	if err != nil {
		return nil, err
	}
	callerInfo := &iam.PrincipalInfo{ARN: caller.ARN, AccountID: caller.AccountID, UserID: caller.UserID}
	for _, action := range actions {
		trustReq := reqCtx.request(action, role.ARN())
		trustReq.Principal, trustReq.PrincipalIDs = callerInfo, role.TrustPrincipalIDs
		td, tm := iam.Explain(trustReq, trust)
		if td != iam.Allow {
			s.explainDenial(ctx, caller, action, role.ARN(), "trust policy of "+role.ARN()+": "+describe(td, tm, []string{"trust policy"}))
			return nil, assumeDenied(caller, action, role.ARN())
		}
		// Same account and the trust policy names this very principal:
		// the trust policy alone grants access, as in IAM. Otherwise the
		// caller's own policies must allow it too. An explicit deny always
		// wins.
		idDecision, why, err := s.decide(ctx, caller, action, role.ARN(), reqCtx)
		if err != nil {
			return nil, err
		}
		if idDecision == iam.ExplicitDeny || idDecision != iam.Allow && !(roleAcct == caller.AccountID && iam.NamesPrincipal(trust, trustReq)) {
			s.explainDenial(ctx, caller, action, role.ARN(), why)
			return nil, assumeDenied(caller, action, role.ARN())
		}
	}
	// Only a caller allowed to assume the role learns its session limits.
	if caller.Type == connectfed.PrincipalAssumedRole && in.DurationSeconds > roleChainLimit {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if in.DurationSeconds > role.MaxSessionDuration {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	plan, err := PrepareSession(in.SessionSpec, caller.Session)
	if connectfed.ErrorCode(err) == connectfed.EFORBIDDEN {
		s.explainDenial(ctx, caller, "sts:SetSourceIdentity", role.ARN(), "a role chain cannot change the source identity")
	}
	if err != nil {
		return nil, err
	}
	return s.IssueSession(ctx, &role, plan)
}

func assumeDenied(caller *connectfed.Principal, action, roleARN string) error {
	return iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, roleARN)
}

// parseRoleARN splits arn:aws:iam::<acct>:role/[path/]<name>.
func parseRoleARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "iam" || parts[3] != "" {
		return "", "", false
	}
	res, found := strings.CutPrefix(parts[5], "role/")
	if !found || res == "" {
		return "", "", false
	}
	name = res[strings.LastIndexByte(res, '/')+1:]
	if len(parts[4]) != 12 || name == "" {
		return "", "", false
	}
	return parts[4], name, true
}

// decide runs the caller's policies for one action with the full request
// context: the identity policies (inline and attached managed policies)
// and, for a session with session policies (inline, managed by ARN, or
// both), those too: the session may do only what both allow; an explicit
// deny in either wins. why explains a refusal for the log.
func (s *Service) decide(ctx context.Context, p *connectfed.Principal, action, resource string, reqCtx condKeys) (d iam.Decision, why string, err error) {
	ps, err := s.policiesOf(ctx, p)
	if err != nil {
		return iam.ImplicitDeny, "", err
	}
	req := reqCtx.request(action, resource)
	// Evaluate decides; Explain (the same decision, with the statements
	// that made it) runs only to describe a refusal.
	explain := func(ps *policySet) string {
		d, matches := iam.Explain(req, ps.policies...)
		return describe(d, matches, ps.names)
	}
	d = iam.Evaluate(req, ps.policies...)
	if p.Session == nil || (p.Session.Policy == "" && len(p.Session.PolicyARNs) == 0) || d == iam.ExplicitDeny {
		if d != iam.Allow {
			why = explain(ps)
		}
		return d, why, nil
	}
	sps, err := s.sessionPolicies(ctx, p)
	if err != nil {
		return iam.ImplicitDeny, "", err
	}
	sd := iam.Evaluate(req, sps.policies...)
	switch {
	case sd == iam.ExplicitDeny:
		return iam.ExplicitDeny, explain(sps), nil
	case d != iam.Allow:
		return d, explain(ps), nil
	case sd != iam.Allow:
		return iam.ImplicitDeny, "identity policies allow it but no session policy does", nil
	}
	return iam.Allow, "", nil
}

// policySet is a principal's policies, parsed, with how the log and the
// simulator name each.
type policySet struct {
	names    []string // for the log: "user policy NAME", "managed policy ARN"
	ids      []string // the simulator's SourcePolicyId: the policy's name
	types    []string // the simulator's SourcePolicyType: user, role, group, user-managed, aws-managed
	policies []*iam.Policy
}

func (ps *policySet) add(name, id, typ string, p *iam.Policy) {
	ps.names = append(ps.names, name)
	ps.ids = append(ps.ids, id)
	ps.types = append(ps.types, typ)
	ps.policies = append(ps.policies, p)
}

func (ps *policySet) merge(o *policySet) {
	for i := range o.policies {
		ps.add(o.names[i], o.ids[i], o.types[i], o.policies[i])
	}
}

// addManaged adds managed policies' default versions.
func (s *Service) addManaged(ps *policySet, mps []*ManagedPolicy) error {
	for _, mp := range mps {
		pol, err := s.identityPolicy(mp.DefaultDocument())
		if err != nil {
			return err
		}
		typ := "user-managed"
		if mp.IsAWSManaged() {
			typ = "aws-managed"
		}
		ps.add("managed policy "+mp.ARN(), mp.Name, typ, pol)
	}
	return nil
}

// policiesOf returns the parsed identity policies of a user or of an
// assumed role's role: inline and attached managed policies and, for a
// user, those of its groups.
func (s *Service) policiesOf(ctx context.Context, p *connectfed.Principal) (*policySet, error) {
	var owner, name string
	switch p.Type {
	case connectfed.PrincipalUser:
		owner, name = "user", p.Name
	case connectfed.PrincipalAssumedRole:
		owner, name = "role", p.RoleName
	default:
		return &policySet{}, nil
	}
	prefix := policyPrefix(p.AccountID, owner, name)
	if ps, ok := s.principalPolicies.Get(prefix, s.now()); ok {
		return ps, nil
	}
	gen := s.principalPolicies.Generation()
	// The entity's own policies, then, for a user, each group's.
	type source struct {
		owner, name string
		inline      []policyRecord
		managed     []*ManagedPolicy
	}
	var sources []source
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		owners := []source{{owner: owner, name: name}}
		if owner == "user" {
			groups, err := groupsOf(tx, p.AccountID, name)
			if err != nil {
				return err
			}
			for _, g := range groups {
				owners = append(owners, source{owner: "group", name: g.Name})
			}
		}
		for _, src := range owners {
			var err error
			if src.inline, err = connectfed.ListJSONValues[policyRecord](tx, kindPolicy, policyPrefix(p.AccountID, src.owner, src.name)); err != nil {
				return err
			}
			if src.managed, err = attachedDocuments(tx, p.AccountID, src.owner, src.name); err != nil {
				return err
			}
			sources = append(sources, src)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ps := &policySet{}
	for _, src := range sources {
		label := src.owner + " policy "
		if src.owner == "group" {
			label = "group " + src.name + " policy "
		}
		for _, r := range src.inline {
			pol, err := s.identityPolicy(r.Document)
			if err != nil {
				return nil, err
			}
			ps.add(label+r.Name, r.Name, src.owner, pol)
		}
		if err := s.addManaged(ps, src.managed); err != nil {
			return nil, err
		}
	}
	s.principalPolicies.Put(prefix, ps, gen, s.now())
	return ps, nil
}

// sessionPolicies returns a session's session policies: the inline one
// and the managed ones its PolicyArns named (a managed policy deleted
// since grants nothing).
func (s *Service) sessionPolicies(ctx context.Context, p *connectfed.Principal) (*policySet, error) {
	ps := &policySet{}
	if p.Session.Policy != "" {
		sp, err := s.identityPolicy(p.Session.Policy)
		if err != nil {
			return nil, err
		}
		ps.add("session policy", "session policy", "none", sp)
	}
	if len(p.Session.PolicyARNs) == 0 {
		return ps, nil
	}
	key := "session\x00" + p.AccountID + "\x00" + strings.Join(p.Session.PolicyARNs, "\x00")
	if cached, ok := s.principalPolicies.Get(key, s.now()); ok {
		ps.merge(cached)
		return ps, nil
	}
	gen := s.principalPolicies.Generation()
	var managed []*ManagedPolicy
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		for _, arn := range p.Session.PolicyARNs {
			mp, err := getPolicyByARN(tx, p.AccountID, arn)
			if errors.Is(err, connectfed.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			managed = append(managed, mp)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	mps := &policySet{}
	if err := s.addManaged(mps, managed); err != nil {
		return nil, err
	}
	s.principalPolicies.Put(key, mps, gen, s.now())
	ps.merge(mps)
	return ps, nil
}

func (s *Service) authorizeIAM(ctx context.Context, p *connectfed.Principal, action, resource string, conditions map[string][]string) error {
	d, why, err := s.decide(ctx, p, action, resource, s.requestContext(ctx, p, conditions))
	if err != nil {
		return err
	}
	if d != iam.Allow {
		s.explainDenial(ctx, p, action, resource, why)
		return Denied(p, action, resource)
	}
	return nil
}

// policyCache keeps parsed policies by kind and document text: a document
// is an immutable value, so a cached parse is never stale.
type policyCache struct {
	mu sync.Mutex
	m  map[string]*iam.Policy
}

const policyCacheMax = 4096

func (s *Service) trustPolicy(doc string) (*iam.Policy, error) {
	return s.cache.get("trust\x00"+doc, doc, iam.ParseTrustPolicy)
}

func (s *Service) identityPolicy(doc string) (*iam.Policy, error) {
	return s.cache.get("identity\x00"+doc, doc, iam.ParseIdentityPolicy)
}

func (c *policyCache) get(key, doc string, parse func(string) (*iam.Policy, error)) (*iam.Policy, error) {
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := parse(doc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= policyCacheMax {
		c.m = map[string]*iam.Policy{}
	}
	c.m[key] = p
	c.mu.Unlock()
	return p, nil
}
