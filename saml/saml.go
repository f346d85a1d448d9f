// Package saml verifies SAML 2.0 responses the way AWS sign-in and STS
// AssumeRoleWithSAML do, on top of github.com/crewjam/saml (which checks XML
// signatures with russellhaering/goxmldsig): no canonicalization or
// signature code lives here. It adds what AWS asks of an assertion: the
// audience urn:amazon:webservices, one of the accepted Recipients, and the
// Role, RoleSessionName, SessionDuration and SourceIdentity attributes.
package saml

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	dsig "github.com/russellhaering/goxmldsig"

	cs "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
)

// AWS's fixed names.
const (
	// Audience is the audience AWS requires in an assertion's
	// AudienceRestriction.
	Audience = "urn:amazon:webservices"
	// SignInRecipient is AWS sign-in's ACS URL, the usual Recipient.
	SignInRecipient = "https://signin.aws.amazon.com/saml"

	AttrRole            = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity  = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
)

// MaxAssertionAge is how long after its IssueInstant an assertion is
// accepted (besides its own NotOnOrAfter limits). IdPs give AWS assertions
// five minutes; crewjam/saml's default of 90 seconds would refuse an
// assertion copied by hand into `aws sts assume-role-with-saml`.
const MaxAssertionAge = 5 * time.Minute

func init() { cs.MaxIssueDelay = MaxAssertionAge }

// Metadata is what an IAM SAML provider keeps of its IdP's metadata.
type Metadata struct {
	EntityID   string
	Certs      []*x509.Certificate
	ValidUntil time.Time
	entity     *cs.EntityDescriptor
}

// Error kinds, for the caller to map to AWS errors.
var (
	// ErrMetadata: the metadata document is not usable.
	ErrMetadata = errors.New("saml: invalid metadata")
	// ErrInvalid: the response is malformed, unsigned, badly signed or
	// otherwise not acceptable (InvalidIdentityToken).
	ErrInvalid = errors.New("saml: invalid response")
	// ErrExpired: the assertion's validity has ended (ExpiredTokenException).
	ErrExpired = errors.New("saml: expired")
	// ErrReplayed: the assertion was already used here.
	ErrReplayed = errors.New("saml: assertion already used")
	// ErrRejected: the IdP's response reports a failure (a status other
	// than Success): IDPRejectedClaim.
	ErrRejected = errors.New("saml: the identity provider reported a failure")
)

// ParseMetadata reads an IdP's metadata document: one IDPSSODescriptor with
// at least one signing certificate.
func ParseMetadata(doc []byte) (*Metadata, error) {
	ed, err := samlsp.ParseMetadata(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return nil, fmt.Errorf("%w: no IDPSSODescriptor", ErrMetadata)
	}
	md := &Metadata{EntityID: ed.EntityID, ValidUntil: ed.ValidUntil, entity: ed}
	for _, d := range ed.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, x := range kd.KeyInfo.X509Data.X509Certificates {
				raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(x.Data), ""))
				if err != nil {
					return nil, fmt.Errorf("%w: certificate is not base64", ErrMetadata)
				}
				c, err := x509.ParseCertificate(raw)
				if err != nil {
					return nil, fmt.Errorf("%w: certificate: %v", ErrMetadata, err)
				}
				md.Certs = append(md.Certs, c)
			}
		}
	}
	if md.EntityID == "" {
		return nil, fmt.Errorf("%w: no entityID", ErrMetadata)
	}
	if len(md.Certs) == 0 {
		return nil, fmt.Errorf("%w: no signing certificate", ErrMetadata)
	}
	return md, nil
}

// RolePair is one value of the Role attribute.
type RolePair struct {
	RoleARN     string
	ProviderARN string
}

// Assertion is what a verified response says.
type Assertion struct {
	ID        string
	Issuer    string
	Subject   string
	NameIDFmt string
	Recipient string
	// NotOnOrAfter is when the bearer confirmation ends.
	NotOnOrAfter time.Time
	// SessionNotOnOrAfter, when set, bounds the session.
	SessionNotOnOrAfter time.Time
	Roles               []RolePair
	RoleSessionName     string
	SessionDuration     int // 0 when absent
	SourceIdentity      string
	// Attributes are every attribute by Name, for saml: condition keys.
	Attributes map[string][]string
}

// SubjectType is the NameID format as STS reports it: the SAML 2.0 prefix
// dropped ("persistent", "transient"), other formats as they are.
func (a *Assertion) SubjectType() string {
	if f, ok := strings.CutPrefix(a.NameIDFmt, "urn:oasis:names:tc:SAML:2.0:nameid-format:"); ok {
		return f
	}
	return a.NameIDFmt
}

// NameQualifier is STS's hash of issuer, account and provider name:
// base64(sha1(issuer + account + "/" + name)).
func NameQualifier(issuer, accountID, providerName string) string {
	h := sha1.Sum([]byte(issuer + accountID + "/" + providerName))
	return base64.StdEncoding.EncodeToString(h[:])
}

// DecodeResponse base64-decodes a SAMLResponse / SAMLAssertion value.
func DecodeResponse(b64 string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: not base64", ErrInvalid)
	}
	return b, nil
}

// Peek reads the issuer and the Role attribute of a response without
// verifying anything: only to find which provider's certificates to verify
// it with (and, in the browser, which roles to offer). Nothing it returns
// may be trusted before Verify.
func Peek(doc []byte) (issuer string, roles []RolePair, err error) {
	var r struct {
		Issuer    string `xml:"Issuer"`
		Assertion struct {
			Issuer     string `xml:"Issuer"`
			Attributes []struct {
				Name   string   `xml:"Name,attr"`
				Values []string `xml:"AttributeValue"`
			} `xml:"AttributeStatement>Attribute"`
		} `xml:"Assertion"`
	}
	if err := xml.Unmarshal(doc, &r); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	issuer = strings.TrimSpace(r.Assertion.Issuer)
	if issuer == "" {
		issuer = strings.TrimSpace(r.Issuer)
	}
	for _, a := range r.Assertion.Attributes {
		if a.Name == AttrRole {
			for _, v := range a.Values {
				if p, ok := parseRole(v); ok {
					roles = append(roles, p)
				}
			}
		}
	}
	return issuer, roles, nil
}

var recipientRE = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?SubjectConfirmationData\b[^>]*\bRecipient\s*=\s*["']([^"']*)["']`)

// Options are the checks Verify makes beyond the signature.
type Options struct {
	// AcceptRecipient tells the accepted SubjectConfirmationData Recipients
	// (and Response Destinations).
	AcceptRecipient func(string) bool
	// Now is the verification time; zero means time.Now.
	Now time.Time
	// Replay, when set, records each accepted assertion ID until it
	// expires and refuses one seen before.
	Replay cs.AssertionReplayCache
}

// Verify checks a decoded response against the provider's metadata: the
// XML signature of the response or of its assertion (with the metadata's
// certificates only), issuer, status, audience, one bearer confirmation for
// an accepted recipient that has not expired, and the conditions' validity.
// It returns what the signed content says, never what surrounds it.
func Verify(doc []byte, md *Metadata, opt Options) (*Assertion, error) {
	// The Recipient to expect: the one the document names, if it is
	// accepted. crewjam/saml then checks it again on the signed content.
	recipient := ""
	if m := recipientRE.FindSubmatch(doc); m != nil && opt.AcceptRecipient != nil && opt.AcceptRecipient(string(m[1])) {
		recipient = string(m[1])
	}
	if recipient == "" {
		return nil, fmt.Errorf("%w: the SubjectConfirmationData Recipient is not one this server accepts", ErrInvalid)
	}
	acs, err := url.Parse(recipient)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", ErrInvalid, err)
	}
	sp := &cs.ServiceProvider{
		EntityID:          Audience,
		AcsURL:            *acs,
		IDPMetadata:       md.entity,
		AllowIDPInitiated: true,
		ReplayCache:       opt.Replay,
	}
	if !opt.Now.IsZero() {
		sp.Clock = dsig.NewFakeClockAt(opt.Now)
	}
	a, err := sp.ParseXMLResponse(doc, nil, *acs)
	if err != nil {
		var bad cs.ErrBadStatus
		switch {
		case errors.As(err, &bad):
			return nil, fmt.Errorf("%w: status %s", ErrRejected, bad.Status)
		case errors.Is(err, cs.ErrAssertionReplayed):
			return nil, fmt.Errorf("%w: %v", ErrReplayed, privateErr(err))
		case errors.Is(err, cs.ErrExpired) && !errors.Is(err, cs.ErrInvalidSignature):
			return nil, fmt.Errorf("%w: %v", ErrExpired, privateErr(err))
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, privateErr(err))
	}
	out := &Assertion{ID: a.ID, Issuer: a.Issuer.Value, Recipient: recipient, Attributes: map[string][]string{}}
	if a.Subject == nil || a.Subject.NameID == nil {
		return nil, fmt.Errorf("%w: the assertion has no NameID", ErrInvalid)
	}
	out.Subject, out.NameIDFmt = a.Subject.NameID.Value, a.Subject.NameID.Format
	for _, sc := range a.Subject.SubjectConfirmations {
		if d := sc.SubjectConfirmationData; d != nil && d.Recipient == recipient && d.NotOnOrAfter.After(out.NotOnOrAfter) {
			out.NotOnOrAfter = d.NotOnOrAfter
		}
	}
	for _, as := range a.AuthnStatements {
		if as.SessionNotOnOrAfter != nil && (out.SessionNotOnOrAfter.IsZero() || as.SessionNotOnOrAfter.Before(out.SessionNotOnOrAfter)) {
			out.SessionNotOnOrAfter = *as.SessionNotOnOrAfter
		}
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				out.Attributes[at.Name] = append(out.Attributes[at.Name], v.Value)
			}
		}
	}
	for _, v := range out.Attributes[AttrRole] {
		p, ok := parseRole(v)
		if !ok {
			return nil, fmt.Errorf("%w: a Role attribute value is not a role ARN and a provider ARN", ErrInvalid)
		}
		out.Roles = append(out.Roles, p)
	}
	if len(out.Roles) == 0 {
		return nil, fmt.Errorf("%w: the assertion has no %s attribute", ErrInvalid, AttrRole)
	}
	if v := out.Attributes[AttrRoleSessionName]; len(v) > 0 {
		out.RoleSessionName = v[0]
	}
	if v := out.Attributes[AttrSessionDuration]; len(v) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 900 || n > 43200 {
			return nil, fmt.Errorf("%w: SessionDuration must be a number of seconds from 900 to 43200", ErrInvalid)
		}
		out.SessionDuration = n
	}
	if v := out.Attributes[AttrSourceIdentity]; len(v) > 0 {
		out.SourceIdentity = v[0]
	}
	return out, nil
}

func privateErr(err error) error {
	var ire *cs.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		return ire.PrivateErr
	}
	return err
}

// parseRole reads "role-arn,provider-arn" in either order.
func parseRole(v string) (RolePair, bool) {
	a, b, ok := strings.Cut(strings.TrimSpace(v), ",")
	if !ok {
		return RolePair{}, false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	isRole := func(s string) bool { return strings.HasPrefix(s, "arn:aws:iam::") && strings.Contains(s, ":role/") }
	isProv := func(s string) bool {
		return strings.HasPrefix(s, "arn:aws:iam::") && strings.Contains(s, ":saml-provider/")
	}
	switch {
	case isRole(a) && isProv(b):
		return RolePair{RoleARN: a, ProviderARN: b}, true
	case isProv(a) && isRole(b):
		return RolePair{RoleARN: b, ProviderARN: a}, true
	}
	return RolePair{}, false
}
