package identity

import (
	"context"
	"errors"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/oidc"
)

// WebIdentityInput is AssumeRoleWithWebIdentity's request.
type WebIdentityInput struct {
	RoleARN         string
	SessionName     string
	Token           string
	DurationSeconds int
	// Session carries the session policy (Policy, PolicyArns).
	Session SessionSpec
}

// WebIdentityResult is the verified token and the session made from it.
type WebIdentityResult struct {
	Claims   *oidc.Claims
	Provider *OIDCProvider
	Session  *AssumedRole
}

func (s *Service) oidcVerifier() *oidc.Verifier {
	s.oidcOnce.Do(func() {
		if s.OIDC == nil {
			s.OIDC = &oidc.Verifier{Now: s.now}
		}
	})
	return s.OIDC
}

// AssumeRoleWithWebIdentity verifies an OpenID Connect ID token from a
// provider registered in the role's account and makes the role session.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in WebIdentityInput) (*WebIdentityResult, error) {
	roleAcct, _, ok := parseRoleARN(in.RoleARN)
	if !ok {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "%s is invalid", in.RoleARN)
	}
	iss, err := oidc.UnverifiedIssuer(in.Token)
	if err != nil {
		return nil, invalidToken("The ID token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	scheme, rest, err := NormalizeIssuer(iss)
	if err != nil {
		return nil, invalidToken("No OpenIDConnect provider found in your account for %s", truncateStr(iss, 256))
	}
	var p OIDCProvider
	err = s.Store.View(ctx, func(tx connectfed.Tx) error {
		return connectfed.GetJSON(tx, kindOIDCProvider, oidcKey(roleAcct, rest), &p)
	})
	if errors.Is(err, connectfed.ErrNotFound) || err == nil && p.Scheme != scheme {
		return nil, invalidToken("No OpenIDConnect provider found in your account for %s", truncateStr(iss, 256))
	}
	if err != nil {
		return nil, err
	}
	claims, err := s.oidcVerifier().Verify(ctx, iss, in.Token, p.ClientIDs)
	switch {
	case errors.Is(err, oidc.ErrExpired):
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ExpiredTokenException, "Token expired: %s",
			strings.TrimPrefix(err.Error(), oidc.ErrExpired.Error()+": "))
	case errors.Is(err, oidc.ErrCommunication):
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.IDPCommunicationError,
			"Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	case errors.Is(err, oidc.ErrInvalid):
		return nil, invalidToken("%s", strings.TrimPrefix(err.Error(), oidc.ErrInvalid.Error()+": "))
	case err != nil:
		return nil, err
	}
	keys := map[string][]string{
		p.URL + ":aud": {claims.Audience},
		p.URL + ":sub": {claims.Subject},
	}
	if len(claims.AMR) > 0 {
		keys[p.URL+":amr"] = claims.AMR
	}
	out, err := s.AssumeRoleFederated(ctx, FederatedInput{
		Action: "sts:AssumeRoleWithWebIdentity", RoleARN: in.RoleARN, Provider: p.ARN(), SessionName: in.SessionName,
		DurationSeconds: in.DurationSeconds, Context: keys, Session: in.Session,
	})
	if err != nil {
		return nil, err
	}
	return &WebIdentityResult{Claims: claims, Provider: &p, Session: out}, nil
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
