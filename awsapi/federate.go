package awsapi

import (
	"errors"

	"connectfed"
)

// getFederationToken is GET /user/federate/{InstanceId}: a token for the
// Connect user whose username is the caller's name (the role session name
// of an assumed role, or the IAM user's name).
func (s *Server) getFederationToken(c *call, l []string) (any, error) {
	v := &violations{errType: "InvalidParameterException"}
	checkInstanceID(v, l[0])
	if err := v.err(); err != nil {
		return nil, err
	}
	p := c.principal
	if p.IsRoot() {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, "InvalidRequestException",
			"Provided identity: Principal: %s User: %s cannot be used for federation with Amazon Connect", p.ARN, p.UserID)
	}
	resource := s.instanceARN(c, l[0]) + "/user/" + p.UserID
	if err := s.authorize(c, resource, instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	inst, u, err := s.cfg.Connect.FindUser(c.ctx, c.scope, l[0], p.Name)
	if errors.Is(err, connectfed.ErrNotFound) {
		return nil, connectfed.TypedErrorf(connectfed.ENOTFOUND, "UserNotFoundException",
			"No user with the specified credentials was found in the Amazon Connect instance.")
	}
	if err != nil {
		return nil, err
	}
	if inst.Status != connectfed.InstanceActive {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, "InvalidRequestException", "The instance %s is not active.", inst.ID)
	}
	if inst.IdentityManagementType != connectfed.IdentitySAML {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, "InvalidRequestException",
			"The instance %s is not configured to use SAML for identity management.", inst.ID)
	}
	tok := s.cfg.Federation.Issue(inst, u)
	type credentials struct {
		AccessToken            string
		AccessTokenExpiration  epoch
		RefreshToken           string
		RefreshTokenExpiration epoch
	}
	return struct {
		Credentials credentials
		SignInUrl   string
		UserArn     string
		UserId      string
	}{
		Credentials: credentials{tok.AccessToken, epoch(tok.AccessExpires), tok.RefreshToken, epoch(tok.RefreshExpires)},
		SignInUrl:   s.cfg.Federation.SignInURL(inst.ID, tok.AccessToken),
		UserArn:     u.ARN(),
		UserId:      u.ID,
	}, nil
}
