package awsapi

import (
	"errors"
	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/internal/jsonenc"
)

// getFederationToken is GET /user/federate/{InstanceId}: the wire around
// federation.Service.Federate, which holds the rules (who may federate, as
// which user, on which instance).
func (s *Server) getFederationToken(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	if err := v.err(); err != nil {
		return nil, err
	}
	p := c.principal
	// c.target stays empty: it names the resource of a write's audit
	// event, and this call sends its own event (token issued).
	g, err := s.cfg.Federation.Federate(c.ctx, p, c.scope, l[0])
	if err != nil {
		return nil, err
	}
	inst, u, tok := g.Instance, g.User, g.Tokens
	s.cfg.Events.Emit(c.ctx, connectfed.Event{Kind: connectfed.EventTokenIssued, RequestID: c.id, AccountID: inst.AccountID,
		Instance: inst.ID, Target: u.ID, Family: tok.Family, Caller: p.ARN, Source: c.r.RemoteAddr})
	// Encoded by hand into a pooled buffer: this is the hot path, and the
	// shape is fixed.
	buf := getJSONBuf()
	b := *buf
	b = append(b, `{"Credentials":{"AccessToken":`...)
	b = jsonenc.AppendString(b, tok.AccessToken)
	b = append(b, `,"AccessTokenExpiration":`...)
	b = jsonenc.AppendEpoch(b, tok.AccessExpires)
	b = append(b, `,"RefreshToken":`...)
	b = jsonenc.AppendString(b, tok.RefreshToken)
	b = append(b, `,"RefreshTokenExpiration":`...)
	b = jsonenc.AppendEpoch(b, tok.RefreshExpires)
	b = append(b, `},"SignInUrl":`...)
	b = jsonenc.AppendString(b, g.SignInURL)
	b = append(b, `,"UserArn":`...)
	b = jsonenc.AppendString(b, u.ARN())
	b = append(b, `,"UserId":`...)
	b = jsonenc.AppendString(b, u.ID)
	*buf = append(b, '}')
	return pooledJSON{buf}, nil
}

// revokeFederationToken is connectfed's own operation (signed for service
// "connect"): POST /connectfed/token/revoke {"Token": "<access or refresh
// token>"} revokes the token's whole family. It is authorized as
// connect:RevokeFederationToken on the token's user ARN; a token of another
// account, or one that does not verify, is InvalidParameterException, so
// the answer reveals nothing about tokens the caller cannot see.
func (s *Server) revokeFederationToken(c *call, _ []string) (any, error) {
	var in struct{ Token *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("token", in.Token != nil)
	if err := v.err(); err != nil {
		return nil, err
	}
	invalid := connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException, "The token is not valid.")
	claims, err := s.cfg.Federation.Inspect(c.ctx, *in.Token)
	if err != nil && !errors.Is(err, federation.ErrMalformed) && !errors.Is(err, federation.ErrSignature) {
		return nil, err // an outage reading the key ring is not an invalid token
	}
	if err != nil || claims.AccountID != c.principal.AccountID {
		return nil, invalid
	}
	resource := "arn:aws:connect:" + claims.Region + ":" + claims.AccountID + ":instance/" + claims.InstanceID + "/agent/" + claims.UserID
	if err := s.cfg.Identity.Authorize(c.ctx, c.principal, "connect:"+c.op, resource,
		map[string][]string{"connect:InstanceId": {claims.InstanceID}}); err != nil {
		return nil, err
	}
	if err := s.cfg.Federation.RevokeFamily(c.ctx, claims, "revoked by "+c.principal.ARN); err != nil {
		return nil, err
	}
	s.cfg.Events.Emit(c.ctx, connectfed.Event{Kind: connectfed.EventTokenRevoked, RequestID: c.id, AccountID: claims.AccountID,
		Instance: claims.InstanceID, Target: claims.UserID, Family: claims.FamilyID(), Caller: c.principal.ARN, Source: c.r.RemoteAddr})
	return struct{ FamilyId string }{claims.FamilyID()}, nil
}
