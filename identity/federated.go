package identity

import (
	"context"
	"errors"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// FederatedInput is a role session asked for by an identity provider's
// user: AssumeRoleWithSAML or AssumeRoleWithWebIdentity, after the caller
// has verified the assertion or token.
type FederatedInput struct {
	// Action is sts:AssumeRoleWithSAML or sts:AssumeRoleWithWebIdentity.
	Action  string
	RoleARN string
	// Provider is the Federated principal: the IAM provider's ARN.
	Provider        string
	SessionName     string
	DurationSeconds int // 0: 3600, or up to the role's maximum for SAML's SessionDuration
	// NotAfter, when set, bounds the session (SAML's SessionNotOnOrAfter).
	NotAfter time.Time
	// Context holds the provider's condition keys (saml:aud, HOST:sub, ...).
	Context map[string][]string
	// Session carries the session policy (Policy, PolicyArns); its
	// SessionName, DurationSeconds and SourceIdentity are set from the
	// fields here.
	Session        SessionSpec
	SourceIdentity string
}

// AssumeRoleFederated makes temporary credentials for a federated user.
// The role's trust policy alone decides (there is no calling AWS identity
// whose policies could add or take away): it must allow Action for the
// Federated principal with the provider's condition keys. An unknown role
// is refused exactly like one whose trust policy says no.
func (s *Service) AssumeRoleFederated(ctx context.Context, in FederatedInput) (*AssumedRole, error) {
	denied := iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Not authorized to perform %s", in.Action)
	roleAcct, roleName, ok := parseRoleARN(in.RoleARN)
	if !ok {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "%s is invalid", in.RoleARN)
	}
	var role Role
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return getRole(tx, roleAcct, roleName, &role) })
	if errors.Is(err, connectfed.ErrNotFound) || connectfed.ErrorCode(err) == connectfed.ENOTFOUND {
		s.explainDenialOf(ctx, in.Provider, in.Action, in.RoleARN, "the role does not exist")
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	if role.ARN() != in.RoleARN {
		s.explainDenialOf(ctx, in.Provider, in.Action, in.RoleARN, "the role does not exist")
		return nil, denied
	}
	trust, err := s.trustPolicy(role.TrustPolicy)
	if err != nil {
		return nil, err
	}
	reqCtx := s.globalContext(ctx)
	reqCtx["aws:FederatedProvider"] = []string{in.Provider}
	for k, v := range in.Context {
		reqCtx[k] = v
	}
	if in.SourceIdentity != "" {
		reqCtx["sts:SourceIdentity"] = []string{in.SourceIdentity}
	}
	reqCtx["sts:RoleSessionName"] = []string{in.SessionName}
	req := &iam.Request{Action: in.Action, Resource: role.ARN(), Context: reqCtx, Principal: &iam.PrincipalInfo{Federated: in.Provider}}
	actions := []string{in.Action}
	if in.SourceIdentity != "" {
		// As for AssumeRole: setting a source identity is its own
		// permission, which the trust policy must grant the provider too.
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		req.Action = action
		if d, dm := iam.Explain(req, trust); d != iam.Allow {
			s.explainDenialOf(ctx, in.Provider, action, role.ARN(), "trust policy of "+role.ARN()+": "+describe(d, dm, []string{"trust policy"}))
			return nil, denied
		}
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = 3600
	}
	if duration > role.MaxSessionDuration {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if !in.NotAfter.IsZero() {
		left := int(in.NotAfter.Sub(s.now()) / time.Second)
		if left <= 0 {
			return nil, iamErr(connectfed.EINVALID, connectfed.ExpiredTokenException, "Token expired: the assertion's SessionNotOnOrAfter %s has passed", in.NotAfter.UTC().Format(time.RFC3339))
		}
		duration = min(duration, left)
	}
	spec := in.Session
	spec.SessionName, spec.DurationSeconds, spec.SourceIdentity = in.SessionName, duration, in.SourceIdentity
	plan, err := PrepareSession(spec, nil)
	if err != nil {
		return nil, err
	}
	return s.IssueSession(ctx, &role, plan)
}
