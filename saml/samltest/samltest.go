// Package samltest makes SAML identity provider metadata and signed
// responses for tests, with crewjam/saml's schema types and goxmldsig's
// signer, and lets a test tamper with the XML afterwards (for signature
// wrapping and similar attacks).
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"math/big"
	"testing"
	"time"

	"github.com/beevik/etree"
	cs "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/connectfed/connectfed/saml"
)

// IdP is a test identity provider: a key, its certificate and an entity id.
type IdP struct {
	EntityID string
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate
}

// New makes an IdP with a fresh 2048-bit key.
func New(t testing.TB, entityID string) *IdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: entityID},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &IdP{EntityID: entityID, Key: key, Cert: cert}
}

// Metadata is the IdP's metadata document (longer than IAM's 1000-character
// minimum).
func (idp *IdP) Metadata() string {
	cert := base64.StdEncoding.EncodeToString(idp.Cert.Raw)
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + xmlEscape(idp.EntityID) + `">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`
}

func xmlEscape(s string) string {
	var b []byte
	w := &byteWriter{&b}
	xml.EscapeText(w, []byte(s))
	return string(b)
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }

// Claims are what an assertion says; zero fields get working defaults.
type Claims struct {
	ID              string
	Subject         string // NameID
	NameIDFormat    string
	Recipient       string // default saml.SignInRecipient
	Audience        string // default saml.Audience
	Roles           []string
	RoleSessionName string
	SessionDuration string
	SourceIdentity  string
	Extra           map[string][]string
	IssueInstant    time.Time     // default now
	Lifetime        time.Duration // NotOnOrAfter - IssueInstant; default 5m
	NotBefore       time.Time     // Conditions NotBefore; default IssueInstant
	Issuer          string        // default the IdP's entity id
	// Status is the response's top-level StatusCode (default Success).
	Status string
	// SignAssertion and SignResponse choose what is signed (both false
	// means SignAssertion).
	SignAssertion, SignResponse bool
}

// Assertion builds the (unsigned) assertion for c.
func (idp *IdP) Assertion(c Claims) *cs.Assertion {
	now := c.IssueInstant
	if now.IsZero() {
		now = time.Now().UTC()
	}
	if c.Lifetime == 0 {
		c.Lifetime = 5 * time.Minute
	}
	if c.Recipient == "" {
		c.Recipient = saml.SignInRecipient
	}
	if c.Audience == "" {
		c.Audience = saml.Audience
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if c.Subject == "" {
		c.Subject = "user@example.com"
	}
	if c.NameIDFormat == "" {
		c.NameIDFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	}
	if c.Issuer == "" {
		c.Issuer = idp.EntityID
	}
	nb := c.NotBefore
	if nb.IsZero() {
		nb = now
	}
	var attrs []cs.Attribute
	add := func(name string, vals ...string) {
		a := cs.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}
		for _, v := range vals {
			a.Values = append(a.Values, cs.AttributeValue{Type: "xs:string", Value: v})
		}
		attrs = append(attrs, a)
	}
	if len(c.Roles) > 0 {
		add(saml.AttrRole, c.Roles...)
	}
	if c.RoleSessionName != "" {
		add(saml.AttrRoleSessionName, c.RoleSessionName)
	}
	if c.SessionDuration != "" {
		add(saml.AttrSessionDuration, c.SessionDuration)
	}
	if c.SourceIdentity != "" {
		add(saml.AttrSourceIdentity, c.SourceIdentity)
	}
	for k, v := range c.Extra {
		add(k, v...)
	}
	return &cs.Assertion{
		ID: c.ID, IssueInstant: now, Version: "2.0",
		Issuer: cs.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: c.Issuer},
		Subject: &cs.Subject{
			NameID: &cs.NameID{Format: c.NameIDFormat, Value: c.Subject},
			SubjectConfirmations: []cs.SubjectConfirmation{{Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &cs.SubjectConfirmationData{NotOnOrAfter: now.Add(c.Lifetime), Recipient: c.Recipient}}},
		},
		Conditions: &cs.Conditions{NotBefore: nb, NotOnOrAfter: now.Add(c.Lifetime),
			AudienceRestrictions: []cs.AudienceRestriction{{Audience: cs.Audience{Value: c.Audience}}}},
		AuthnStatements: []cs.AuthnStatement{{AuthnInstant: now, SessionIndex: newID(),
			AuthnContext: cs.AuthnContext{AuthnContextClassRef: &cs.AuthnContextClassRef{Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}}}},
		AttributeStatements: []cs.AttributeStatement{{Attributes: attrs}},
	}
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "id" + base64.RawURLEncoding.EncodeToString(b)
}

func (idp *IdP) signer() *dsig.SigningContext {
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore{PrivateKey: idp.Key, Certificate: [][]byte{idp.Cert.Raw}})
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	return ctx
}

// Sign returns el with an enveloped signature.
func (idp *IdP) Sign(t testing.TB, el *etree.Element) *etree.Element {
	t.Helper()
	signed, err := idp.signer().SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// ResponseElement builds the Response for c, signed as c asks.
func (idp *IdP) ResponseElement(t testing.TB, c Claims) *etree.Element {
	t.Helper()
	a := idp.Assertion(c)
	if !c.SignAssertion && !c.SignResponse {
		c.SignAssertion = true
	}
	if c.SignAssertion {
		signed := idp.Sign(t, a.Element())
		a.Signature = signed.Child[len(signed.Child)-1].(*etree.Element)
	}
	recipient := a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient
	resp := &cs.Response{ID: newID(), Version: "2.0", IssueInstant: a.IssueInstant, Destination: recipient,
		Issuer: &cs.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: a.Issuer.Value},
		Status: cs.Status{StatusCode: cs.StatusCode{Value: cs.StatusSuccess}}, Assertion: a}
	if c.Status != "" {
		resp.Status.StatusCode.Value = c.Status
	}
	if c.SignResponse {
		signed := idp.Sign(t, resp.Element())
		resp.Signature = signed.Child[len(signed.Child)-1].(*etree.Element)
	}
	return resp.Element()
}

// Encode serializes a response element and base64-encodes it, as IdPs post
// it.
func Encode(t testing.TB, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Response is ResponseElement, encoded.
func (idp *IdP) Response(t testing.TB, c Claims) string {
	t.Helper()
	return Encode(t, idp.ResponseElement(t, c))
}
