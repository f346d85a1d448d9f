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
	AccountID    string    `json:"accountId"`
	AccessKeyID  string    `json:"accessKeyId"`
	RoleName     string    `json:"roleName"`
	RoleID       string    `json:"roleId"`
	RolePath     string    `json:"rolePath"`
	SessionName  string    `json:"sessionName"`
	Expires      time.Time `json:"expires"`
	Created      time.Time `json:"created"`
	SealedSecret string    `json:"sealedSecret"`
	SealedToken  string    `json:"sealedToken"`
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
		return &Credential{Secret: secret, SessionToken: token, Expires: sess.Expires, Principal: sess.Principal()}, nil
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
	}}, nil
}

// AssumeRoleInput is a validated AssumeRole request.
type AssumeRoleInput struct {
	RoleARN         string
	SessionName     string
	DurationSeconds int
}

// AssumedRole is AssumeRole's result; Secret and Token are returned once.
type AssumedRole struct {
	Session *Session
	Secret  string
	Token   string
}

// roleChainLimit is the longest session a role session may ask for.
const roleChainLimit = 3600

// AssumeRole makes temporary credentials for a role. Root may not assume
// roles. The caller needs the role's trust policy to allow it and, unless
// the trust policy names the caller itself in the same account, an
// identity policy allowing sts:AssumeRole on the role. An unknown role is
// reported exactly like a refused one, so callers cannot probe for roles.
func (s *Service) AssumeRole(ctx context.Context, caller *connectfed.Principal, in AssumeRoleInput) (*AssumedRole, error) {
	if caller.IsRoot() {
		return nil, iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Roles may not be assumed by root accounts.")
	}
	denied := iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied,
		"User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, in.RoleARN)
	roleAcct, roleName, ok := parseRoleARN(in.RoleARN)
	if !ok {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "%s is invalid", in.RoleARN)
	}
	var role Role
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return getRole(tx, roleAcct, roleName, &role) })
	if errors.Is(err, connectfed.ErrNotFound) || connectfed.ErrorCode(err) == connectfed.ENOTFOUND {
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	if role.ARN() != in.RoleARN {
		return nil, denied // same name, different path or case
	}
	trust, err := s.trustPolicy(role.TrustPolicy)
	if err != nil {
		return nil, err
	}
	callerInfo := &iam.PrincipalInfo{ARN: caller.ARN, AccountID: caller.AccountID, UserID: caller.UserID}
	trustReq := &iam.Request{Action: "sts:AssumeRole", Resource: role.ARN(), Context: principalContext(caller), Principal: callerInfo}
	if iam.Evaluate(trustReq, trust) != iam.Allow {
		return nil, denied
	}
	// Same account and the trust policy names this very principal: the
	// trust policy alone grants access, as in IAM. Otherwise the caller's
	// own policies must allow it too. An explicit deny always wins.
	idDecision, err := s.evaluate(ctx, caller, "sts:AssumeRole", role.ARN(), nil)
	if err != nil {
		return nil, err
	}
	if idDecision == iam.ExplicitDeny {
		return nil, denied
	}
	if idDecision != iam.Allow && !(roleAcct == caller.AccountID && iam.NamesPrincipal(trust, trustReq)) {
		return nil, denied
	}
	// Only a caller allowed to assume the role learns its session limits.
	if caller.Type == connectfed.PrincipalAssumedRole && in.DurationSeconds > roleChainLimit {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if in.DurationSeconds > role.MaxSessionDuration {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	now := s.now()
	akid := awsID("ASIA", 16)
	secret, token := newSecret(), newSessionToken()
	sess := &Session{
		AccountID: role.AccountID, AccessKeyID: akid, RoleName: role.Name, RoleID: role.ID, RolePath: role.Path,
		SessionName: in.SessionName, Created: now, Expires: now.Add(time.Duration(in.DurationSeconds) * time.Second),
		SealedSecret: s.Sealer.Seal(secret, "session/"+akid), SealedToken: s.Sealer.Seal(token, "sessiontoken/"+akid),
	}
	err = s.Store.Update(ctx, func(tx connectfed.Tx) error { return connectfed.CreateJSON(tx, kindSession, akid, sess) }) // a new key: nothing cached goes stale
	if err != nil {
		return nil, err
	}
	return &AssumedRole{Session: sess, Secret: secret, Token: token}, nil
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

// principalContext is the aws: condition keys a principal brings.
func principalContext(p *connectfed.Principal) map[string][]string {
	ctx := map[string][]string{
		"aws:userid":           {p.UserID},
		"aws:PrincipalAccount": {p.AccountID},
		"aws:PrincipalArn":     {p.ARN},
		"aws:PrincipalType":    {string(p.Type)},
	}
	switch p.Type {
	case connectfed.PrincipalUser:
		ctx["aws:username"] = []string{p.Name}
	case connectfed.PrincipalAssumedRole:
		// The role's ARN with its path, as AWS sets it (the pattern
		// role/aws-reserved/sso.amazonaws.com/* depends on the path).
		path := p.RolePath
		if path == "" {
			path = "/"
		}
		ctx["aws:PrincipalArn"] = []string{"arn:aws:iam::" + p.AccountID + ":role" + path + p.RoleName}
	}
	return ctx
}

// evaluate runs the caller's identity policies for one action.
func (s *Service) evaluate(ctx context.Context, p *connectfed.Principal, action, resource string, conditions map[string][]string) (iam.Decision, error) {
	policies, err := s.policiesOf(ctx, p)
	if err != nil {
		return iam.ImplicitDeny, err
	}
	reqCtx := principalContext(p)
	for k, v := range conditions {
		reqCtx[k] = v
	}
	reqCtx["aws:CurrentTime"] = []string{s.now().Format(time.RFC3339)}
	return iam.Evaluate(&iam.Request{Action: action, Resource: resource, Context: reqCtx}, policies...), nil
}

// policiesOf returns the parsed inline policies of a user or of an
// assumed role's role.
func (s *Service) policiesOf(ctx context.Context, p *connectfed.Principal) ([]*iam.Policy, error) {
	var prefix string
	switch p.Type {
	case connectfed.PrincipalUser:
		prefix = policyPrefix(p.AccountID, "user", p.Name)
	case connectfed.PrincipalAssumedRole:
		prefix = policyPrefix(p.AccountID, "role", p.RoleName)
	default:
		return nil, nil
	}
	if pols, ok := s.principalPolicies.Get(prefix); ok {
		return pols, nil
	}
	gen := s.principalPolicies.Generation()
	var docs []string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		entries, err := connectfed.ListJSONValues[policyRecord](tx, kindPolicy, prefix)
		for _, e := range entries {
			docs = append(docs, e.Document)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	policies := make([]*iam.Policy, 0, len(docs))
	for _, d := range docs {
		pol, err := s.identityPolicy(d)
		if err != nil {
			return nil, err
		}
		policies = append(policies, pol)
	}
	s.principalPolicies.Put(prefix, policies, gen)
	return policies, nil
}

func (s *Service) authorizeIAM(ctx context.Context, p *connectfed.Principal, action, resource string, conditions map[string][]string) error {
	d, err := s.evaluate(ctx, p, action, resource, conditions)
	if err != nil {
		return err
	}
	if d != iam.Allow {
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
