package identity

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/saml"
)

func invalidToken(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidIdentityToken, format, args...)
}

var regionalSignIn = regexp.MustCompile(`^https://[a-z]{2}(-[a-z]+){1,2}-[0-9]\.signin\.aws\.amazon\.com/saml$`)

// AcceptSAMLRecipient tells the Recipients connectfed takes: AWS sign-in's
// (global and regional) and its own <publicURL>/saml.
func AcceptSAMLRecipient(publicURL, r string) bool {
	return r == saml.SignInRecipient || regionalSignIn.MatchString(r) || (publicURL != "" && r == publicURL+"/saml")
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// SAMLInput is AssumeRoleWithSAML's request (or the browser's post).
type SAMLInput struct {
	RoleARN, ProviderARN string
	// Response is the base64 SAML response.
	Response        string
	DurationSeconds int
	// Session carries the session policy (Policy, PolicyArns).
	Session SessionSpec
	// AcceptRecipient tells the accepted Recipients.
	AcceptRecipient func(string) bool
	// Replay, when set, refuses an assertion already used (the browser
	// endpoint). The STS API accepts an assertion again until it expires,
	// as tools that assume several roles with one assertion expect.
	Replay saml.Options
}

// SAMLResult is a verified assertion and the session made from it.
type SAMLResult struct {
	Assertion *saml.Assertion
	Provider  *SAMLProvider
	Session   *AssumedRole
}

// VerifySAML checks a base64 SAML response against the provider's
// metadata (see saml.Verify).
func (s *Service) VerifySAML(ctx context.Context, providerARN, response string, acceptRecipient func(string) bool, replay saml.Options) (*saml.Assertion, *SAMLProvider, error) {
	sp, err := s.GetSAMLProvider(ctx, providerARN)
	if code := connectfed.ErrorCode(err); code == connectfed.ENOTFOUND || code == connectfed.EINVALID {
		return nil, nil, invalidToken("Specified provider doesn't exist.")
	}
	if err != nil {
		return nil, nil, err
	}
	md, err := saml.ParseMetadata([]byte(sp.Metadata))
	if err != nil {
		return nil, nil, err
	}
	doc, err := saml.DecodeResponse(response)
	if err != nil {
		return nil, nil, invalidToken("Invalid base64 SAMLResponse")
	}
	opt := replay
	opt.AcceptRecipient = acceptRecipient
	opt.Now = s.now()
	a, err := saml.Verify(doc, md, opt)
	switch {
	case errors.Is(err, saml.ErrExpired):
		return nil, nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ExpiredTokenException, "Token expired")
	case errors.Is(err, saml.ErrRejected):
		return nil, nil, connectfed.TypedErrorf(connectfed.EFORBIDDEN, connectfed.IDPRejectedClaim,
			"The identity provider reported that authentication failed: %s", samlReason(err))
	case errors.Is(err, saml.ErrReplayed):
		return nil, nil, invalidToken("The SAML assertion has already been used.")
	case err != nil:
		return nil, nil, invalidToken("Invalid SAML response: %s", samlReason(err))
	}
	return a, sp, nil
}

// AssumeRoleWithSAML verifies the response and makes the role session
// for the (role, provider) pair the caller chose, which the assertion's
// Role attribute must list.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, in SAMLInput) (*SAMLResult, error) {
	a, sp, err := s.VerifySAML(ctx, in.ProviderARN, in.Response, in.AcceptRecipient, in.Replay)
	if err != nil {
		return nil, err
	}
	found := false
	for _, r := range a.Roles {
		found = found || r.RoleARN == in.RoleARN && r.ProviderARN == in.ProviderARN
	}
	if !found {
		s.explainDenialOf(ctx, in.ProviderARN, "sts:AssumeRoleWithSAML", in.RoleARN, "the assertion's Role attribute does not list this role and provider")
		return nil, connectfed.TypedErrorf(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML")
	}
	if provAcct, _, _ := ParseSAMLProviderARN(in.ProviderARN); provAcct != arnAccount(in.RoleARN) {
		// IAM providers serve their own account's roles only.
		s.explainDenialOf(ctx, in.ProviderARN, "sts:AssumeRoleWithSAML", in.RoleARN, "the provider is in another account than the role")
		return nil, connectfed.TypedErrorf(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML")
	}
	if a.RoleSessionName == "" {
		return nil, invalidToken("The SAML assertion has no RoleSessionName attribute.")
	}
	if !sessionNameRE.MatchString(a.RoleSessionName) {
		return nil, invalidToken("RoleSessionName in the SAML assertion must be 2 to 64 characters of [\\w+=,.@-].")
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = a.SessionDuration
	}
	acct, name, _ := ParseSAMLProviderARN(in.ProviderARN)
	keys := map[string][]string{
		"saml:aud":           {a.Recipient},
		"saml:sub":           {a.Subject},
		"saml:sub_type":      {a.SubjectType()},
		"saml:iss":           {a.Issuer},
		"saml:namequalifier": {saml.NameQualifier(a.Issuer, acct, name)},
		"saml:doc":           {acct + "/" + name},
	}
	for k, v := range samlAttributeKeys(a.Attributes) {
		if _, taken := keys[k]; !taken {
			keys[k] = v
		}
	}
	out, err := s.AssumeRoleFederated(ctx, FederatedInput{
		Action: "sts:AssumeRoleWithSAML", RoleARN: in.RoleARN, Provider: in.ProviderARN, SessionName: a.RoleSessionName,
		DurationSeconds: duration, NotAfter: a.SessionNotOnOrAfter, Context: keys, Session: in.Session, SourceIdentity: a.SourceIdentity,
	})
	if err != nil {
		return nil, err
	}
	return &SAMLResult{Assertion: a, Provider: sp, Session: out}, nil
}

// samlReason is the part of a verification failure worth telling the
// caller: which check failed, never the document.
func samlReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}

// samlAttributeOIDs names the attributes AWS turns into saml: keys.
var samlAttributeOIDs = map[string]string{
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  "saml:edupersonaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  "saml:edupersonprincipalname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.7":  "saml:edupersonentitlement",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":  "saml:edupersonscopedaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "saml:edupersontargetedid",
	"urn:oid:2.5.4.3":                   "saml:cn",
	"urn:oid:0.9.2342.19200300.100.1.1": "saml:uid",
	"urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
	"urn:oid:2.5.4.42":                  "saml:givenName",
	"urn:oid:2.5.4.4":                   "saml:sn",
	"urn:oid:2.16.840.1.113730.3.1.241": "saml:displayName",
	"urn:oid:2.5.4.10":                  "saml:organizationName",
}

var plainAttrName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// samlAttributeKeys maps assertion attributes to condition keys: the
// eduPerson/X.500 OIDs AWS documents, and any attribute with a plain name
// (such as "mail") as saml:<name>.
func samlAttributeKeys(attrs map[string][]string) map[string][]string {
	out := map[string][]string{}
	for name, vals := range attrs {
		if k, ok := samlAttributeOIDs[name]; ok {
			out[k] = vals
		} else if plainAttrName.MatchString(name) {
			out["saml:"+name] = vals
		}
	}
	return out
}
