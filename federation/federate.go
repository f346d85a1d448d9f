package federation

import (
	"context"
	"errors"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// Authorizer decides whether a principal may perform an IAM action on a
// resource (identity.Service is one).
type Authorizer interface {
	Authorize(ctx context.Context, p *connectfed.Principal, action, resource string, conditions map[string][]string) error
}

// Grant is a token family issued to a Connect user.
type Grant struct {
	Instance  *connectfed.Instance
	User      *connectfed.User
	Tokens    *Tokens
	SignInURL string
}

// FederateAction is the IAM action a caller needs to federate.
const FederateAction = "connect:GetFederationToken"

// Resource is the ARN federation is authorized on: the user's federation
// resource, instance/<id>/user/<caller's aws:userid>, in the ARN the caller
// gave for the instance or in the scope's account and region.
func Resource(sc connect.Scope, instanceID string, p *connectfed.Principal) string {
	return connect.InstanceARN(sc, instanceID) + "/user/" + p.UserID
}

// Federate is the rule of GetFederationToken, for every path that signs an
// agent in (the REST call, the SAML browser path, the CCP): an account's
// root cannot federate; the caller must be allowed FederateAction on
// Resource; the Connect user is the one whose username is the caller's name
// (the role session name, or the IAM user's name); the instance must be
// active and use SAML for identity management. It then issues a new token
// family, writing nothing.
//
// Errors (connectfed.Error): InvalidRequestException for root, an inactive
// or non-SAML instance; AccessDeniedException from the Authorizer;
// ResourceNotFoundException for the instance; UserNotFoundException when it
// has no user of the caller's name.
func (s *Service) Federate(ctx context.Context, p *connectfed.Principal, sc connect.Scope, instanceID string) (*Grant, error) {
	if p.IsRoot() {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException,
			"Provided identity: Principal: %s User: %s cannot be used for federation with Amazon Connect", p.ARN, p.UserID)
	}
	if s.Authorizer == nil {
		return nil, connectfed.Errorf(connectfed.EINTERNAL, "federation: no Authorizer")
	}
	conditions := map[string][]string{"connect:InstanceId": {connect.ResolveInstanceID(sc, instanceID)}}
	if err := s.Authorizer.Authorize(ctx, p, FederateAction, Resource(sc, instanceID, p), conditions); err != nil {
		return nil, err
	}
	inst, u, err := s.Connect.FindUser(ctx, sc, instanceID, p.Name)
	if errors.Is(err, connectfed.ErrNotFound) {
		return nil, connectfed.TypedErrorf(connectfed.ENOTFOUND, connectfed.UserNotFoundException,
			"No user with the specified credentials was found in the Amazon Connect instance.")
	}
	if err != nil {
		return nil, err
	}
	if inst.Status != connectfed.InstanceActive {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "The instance %s is not active.", inst.ID)
	}
	if inst.IdentityManagementType != connectfed.IdentitySAML {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException,
			"The instance %s is not configured to use SAML for identity management.", inst.ID)
	}
	tok := s.Issue(u)
	return &Grant{Instance: inst, User: u, Tokens: tok, SignInURL: s.SignInURL(inst.ID, tok.AccessToken)}, nil
}
