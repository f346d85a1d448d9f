package awsapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/saml"
)

// AssumeRoleWithSAML and AssumeRoleWithWebIdentity: STS calls a federated
// user makes without AWS credentials. Their proof is the assertion or the
// token, so they are served unsigned (a signature, when a client sends
// one anyway, is ignored, as the caller's AWS identity plays no part).

var unsignedSTS = map[string]queryOp{
	"AssumeRoleWithSAML":        (*Server).assumeRoleWithSAML,
	"AssumeRoleWithWebIdentity": (*Server).assumeRoleWithWebIdentity,
}

// unsignedShare is the key under which every unsigned call shares one
// account's concurrency: whoever sends them, they cannot take more of the
// server than one account may.
const unsignedShare = "unsigned"

// mayBeUnsigned tells a request that carries no SigV4 authentication at
// all (no Authorization header, no presigned query), so may be one of the
// unsigned STS calls. Anything else goes through SigV4 as usual.
func mayBeUnsigned(r *http.Request) bool {
	return r.Header.Get("Authorization") == "" && !r.URL.Query().Has("X-Amz-Signature") && !r.URL.Query().Has("X-Amz-Credential")
}

// serveUnsignedRequest reads the body of an unauthenticated query-protocol
// request under the unsigned share and serves it if it is an unsigned STS
// call; otherwise it fails authentication as any unsigned request does.
func (s *Server) serveUnsignedRequest(c *call) {
	if !s.accounts.acquire(unsignedShare) {
		s.cfg.Metrics.Throttled.Inc("account")
		s.writeError(c, protoQuery, connectfed.TypedErrorf(connectfed.ETHROTTLED, connectfed.Throttling,
			"Rate exceeded: unauthenticated calls are at their maximum of %d concurrent requests.", s.cfg.MaxPerAccount))
		return
	}
	defer s.accounts.release(unsignedShare)
	body, err := readBody(c.w, c.r, s.cfg.MaxBodyBytes, s.cfg.BodyTimeout)
	if err != nil {
		s.writeError(c, protoQuery, err)
		return
	}
	c.body = body
	action := unsignedAction(c.r, body)
	if action == "" {
		_, err := s.verifier.Preflight(c.ctx, c.r)
		s.authFailed(c, protoQuery, err)
		return
	}
	if !s.takeSlot() {
		s.writeError(c, protoQuery, s.busy())
		return
	}
	c.slot = true
	defer func() {
		if c.slot {
			<-s.inflight
		}
	}()
	ip, secure := clientAddr(c.r, s.cfg.TrustedProxies)
	c.ctx = identity.WithRequest(c.ctx, &identity.RequestInfo{SourceIP: ip, SecureTransport: secure})
	s.serveUnsigned(c, action)
}

// unsignedAction returns the action of an STS request that needs no
// signature, or "".
func unsignedAction(r *http.Request, body []byte) string {
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			return ""
		}
		raw = string(body)
	}
	if !strings.Contains(raw, "Action=AssumeRoleWith") {
		return ""
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return ""
	}
	a := vals.Get("Action")
	if _, ok := unsignedSTS[a]; ok {
		return a
	}
	return ""
}

// serveUnsigned serves an unsigned STS call. The "principal" of the call
// is the identity provider, in the role's account (for quotas, faults and
// the audit trail).
func (s *Server) serveUnsigned(c *call, action string) {
	c.service = "sts"
	p, err := queryParams(c)
	if err != nil {
		s.writeError(c, protoQuery, err)
		return
	}
	if v := p.Get("Version"); v != queryVersion["sts"] {
		s.writeError(c, protoQuery, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidAction,
			"Could not find operation %s for version %s", action, truncate(v, 32)))
		return
	}
	c.op = action
	acct := connectfed.DefaultAccountID
	if parts := strings.SplitN(p.Get("RoleArn"), ":", 6); len(parts) == 6 && len(parts[4]) == 12 {
		acct = parts[4]
	}
	typ, who := connectfed.PrincipalType("WebIdentityUser"), p.Get("ProviderId")
	if action == "AssumeRoleWithSAML" {
		typ, who = "SAMLUser", p.Get("PrincipalArn")
	}
	c.principal = &connectfed.Principal{Type: typ, AccountID: acct, ARN: truncate(who, 2048)}
	c.info.Service, c.info.Account, c.info.Caller = "sts", acct, c.principal.ARN
	c.scope.AccountID, c.scope.Region = acct, connectfed.DefaultRegion
	if err := s.gate(c); err != nil {
		s.writeError(c, protoQuery, err)
		return
	}
	out, err := unsignedSTS[action](s, c, p)
	if err != nil {
		s.writeError(c, protoQuery, err)
		return
	}
	writeXML(c, http.StatusOK, out)
}

type stsCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type stsAssumedRoleUser struct {
	AssumedRoleId string
	Arn           string
}

// durationParam reads DurationSeconds (0 when absent).
func durationParam(v *violations, p url.Values) int {
	if !p.Has("DurationSeconds") {
		return 0
	}
	n, err := strconv.Atoi(p.Get("DurationSeconds"))
	switch {
	case err != nil:
		v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must be an integer")
	case n < 900:
		v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must have value greater than or equal to 900")
	case n > 43200:
		v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must have value less than or equal to 43200")
	}
	return n
}

// federatedParams validates the members both calls share. Their session
// takes a Policy and PolicyArns (session tags and a source identity come
// from the assertion or token, not from parameters).
func federatedParams(v *violations, p url.Values) (roleARN string, duration int, spec identity.SessionSpec) {
	roleARN = p.Get("RoleArn")
	v.required("roleArn", p.Has("RoleArn"))
	v.length("roleArn", roleARN, false, 20, 2048)
	duration = durationParam(v, p)
	var all identity.SessionSpec
	sessionInputs(v, p, &all)
	return roleARN, duration, identity.SessionSpec{Policy: all.Policy, PolicyARNs: all.PolicyARNs}
}

// AcceptSAMLRecipient tells the Recipients connectfed takes (see
// identity.AcceptSAMLRecipient).
func (s *Server) AcceptSAMLRecipient(r string) bool {
	public := ""
	if s.cfg.Federation != nil {
		public = s.cfg.Federation.PublicURL
	}
	return identity.AcceptSAMLRecipient(public, r)
}

func (s *Server) assumeRoleWithSAML(c *call, p url.Values) (any, error) {
	v := &violations{errType: connectfed.ValidationError}
	roleARN, duration, spec := federatedParams(v, p)
	providerARN := p.Get("PrincipalArn")
	v.required("principalArn", p.Has("PrincipalArn"))
	v.length("principalArn", providerARN, false, 20, 2048)
	assertion := p.Get("SAMLAssertion")
	v.required("sAMLAssertion", p.Has("SAMLAssertion"))
	v.length("sAMLAssertion", assertion, true, 4, 100000)
	if err := v.err(); err != nil {
		return nil, err
	}
	c.target = roleARN
	res, err := s.cfg.Identity.AssumeRoleWithSAML(c.ctx, identity.SAMLInput{RoleARN: roleARN, ProviderARN: providerARN, Response: assertion,
		DurationSeconds: duration, Session: spec, AcceptRecipient: s.AcceptSAMLRecipient})
	if err != nil {
		return nil, err
	}
	sess, a := res.Session.Session, res.Assertion
	pr := sess.Principal()
	acct, name, _ := identity.ParseSAMLProviderARN(providerARN)
	return respond(c, struct {
		XMLName          xml.Name `xml:"AssumeRoleWithSAMLResult"`
		Credentials      stsCredentials
		AssumedRoleUser  stsAssumedRoleUser
		PackedPolicySize *int `xml:",omitempty"`
		Subject          string
		SubjectType      string
		Issuer           string
		Audience         string
		NameQualifier    string
		SourceIdentity   string `xml:",omitempty"`
	}{
		Credentials:     stsCredentials{sess.AccessKeyID, res.Session.Secret, res.Session.Token, isoTime(sess.Expires)},
		AssumedRoleUser: stsAssumedRoleUser{pr.UserID, pr.ARN}, PackedPolicySize: packedSize(res.Session),
		Subject: a.Subject, SubjectType: a.SubjectType(), Issuer: a.Issuer, Audience: a.Recipient,
		NameQualifier: saml.NameQualifier(a.Issuer, acct, name), SourceIdentity: a.SourceIdentity,
	}), nil
}

func (s *Server) assumeRoleWithWebIdentity(c *call, p url.Values) (any, error) {
	v := &violations{errType: connectfed.ValidationError}
	roleARN, duration, spec := federatedParams(v, p)
	name := p.Get("RoleSessionName")
	v.required("roleSessionName", p.Has("RoleSessionName"))
	v.length("roleSessionName", name, false, 2, 64)
	v.pattern("roleSessionName", name, false, sessionNameRE, `[\w+=,.@-]*`)
	token := p.Get("WebIdentityToken")
	v.required("webIdentityToken", p.Has("WebIdentityToken"))
	v.length("webIdentityToken", token, true, 4, 20000)
	if p.Has("ProviderId") {
		// OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com
		// are not emulated; OpenID Connect ID tokens need no ProviderId.
		v.add("providerId", p.Get("ProviderId"), false, "Only OpenID Connect ID tokens are supported by this server; omit ProviderId")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c.target = roleARN
	res, err := s.cfg.Identity.AssumeRoleWithWebIdentity(c.ctx, identity.WebIdentityInput{RoleARN: roleARN, SessionName: name, Token: token,
		DurationSeconds: duration, Session: spec})
	if err != nil {
		return nil, err
	}
	c.principal.ARN = res.Provider.ARN()
	sess := res.Session.Session
	pr := sess.Principal()
	return respond(c, struct {
		XMLName                     xml.Name `xml:"AssumeRoleWithWebIdentityResult"`
		Credentials                 stsCredentials
		SubjectFromWebIdentityToken string
		AssumedRoleUser             stsAssumedRoleUser
		PackedPolicySize            *int `xml:",omitempty"`
		Provider                    string
		Audience                    string
	}{
		PackedPolicySize:            packedSize(res.Session),
		Credentials:                 stsCredentials{sess.AccessKeyID, res.Session.Secret, res.Session.Token, isoTime(sess.Expires)},
		SubjectFromWebIdentityToken: res.Claims.Subject,
		AssumedRoleUser:             stsAssumedRoleUser{pr.UserID, pr.ARN},
		Provider:                    res.Claims.Issuer,
		Audience:                    res.Claims.Audience,
	}), nil
}

func packedSize(out *identity.AssumedRole) *int {
	if out.PackedPolicySize >= 0 {
		return &out.PackedPolicySize
	}
	return nil
}
