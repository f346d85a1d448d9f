package saml_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/connectfed/connectfed/saml"
	"github.com/connectfed/connectfed/saml/samltest"
)

const (
	roleARN     = "arn:aws:iam::000000000000:role/ConnectAgent"
	providerARN = "arn:aws:iam::000000000000:saml-provider/TestIdP"
)

var recipients = []string{saml.SignInRecipient, "http://127.0.0.1:4566/saml"}

func verify(t *testing.T, idp *samltest.IdP, b64 string) (*saml.Assertion, error) {
	t.Helper()
	md, err := saml.ParseMetadata([]byte(idp.Metadata()))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := saml.DecodeResponse(b64)
	if err != nil {
		return nil, err
	}
	return saml.Verify(doc, md, saml.Options{AcceptRecipient: func(r string) bool { return slices.Contains(recipients, r) }})
}

func TestVerify(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com/metadata")
	for _, signed := range []struct {
		name             string
		assertion, respn bool
	}{{"assertion signed", true, false}, {"response signed", false, true}, {"both signed", true, true}} {
		t.Run(signed.name, func(t *testing.T) {
			a, err := verify(t, idp, idp.Response(t, samltest.Claims{
				Roles:           []string{providerARN + "," + roleARN, roleARN + "2," + providerARN},
				RoleSessionName: "alice", SessionDuration: "1800", Subject: "alice@example.com",
				SignAssertion: signed.assertion, SignResponse: signed.respn}))
			if err != nil {
				t.Fatal(err)
			}
			if a.RoleSessionName != "alice" || a.SessionDuration != 1800 || a.Subject != "alice@example.com" || a.SubjectType() != "persistent" ||
				a.Issuer != idp.EntityID || a.Recipient != saml.SignInRecipient || len(a.Roles) != 2 ||
				a.Roles[0] != (saml.RolePair{RoleARN: roleARN, ProviderARN: providerARN}) || a.Roles[1].RoleARN != roleARN+"2" {
				t.Fatalf("%+v", a)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com/metadata")
	other := samltest.New(t, "https://idp.example.com/metadata")
	base := samltest.Claims{Roles: []string{roleARN + "," + providerARN}, RoleSessionName: "alice"}
	with := func(f func(*samltest.Claims)) samltest.Claims { c := base; f(&c); return c }
	cases := []struct {
		name string
		resp string
		want error
	}{
		{"certificate not in metadata", other.Response(t, base), saml.ErrInvalid},
		{"expired", idp.Response(t, with(func(c *samltest.Claims) { c.IssueInstant = time.Now().Add(-20 * time.Minute) })), saml.ErrExpired},
		{"not yet valid", idp.Response(t, with(func(c *samltest.Claims) { c.NotBefore = time.Now().Add(10 * time.Minute) })), saml.ErrInvalid},
		{"wrong audience", idp.Response(t, with(func(c *samltest.Claims) { c.Audience = "https://other.example.com" })), saml.ErrInvalid},
		{"wrong recipient", idp.Response(t, with(func(c *samltest.Claims) { c.Recipient = "https://evil.example.com/saml" })), saml.ErrInvalid},
		{"wrong issuer", idp.Response(t, with(func(c *samltest.Claims) { c.Issuer = "https://other.example.com" })), saml.ErrInvalid},
		{"no role", idp.Response(t, with(func(c *samltest.Claims) { c.Roles = nil })), saml.ErrInvalid},
		{"bad session duration", idp.Response(t, with(func(c *samltest.Claims) { c.SessionDuration = "60" })), saml.ErrInvalid},
		{"IdP reports a failure", idp.Response(t, with(func(c *samltest.Claims) {
			c.Status, c.SignResponse = "urn:oasis:names:tc:SAML:2.0:status:Responder", true
		})), saml.ErrRejected},
		{"not base64", "%%%", saml.ErrInvalid},
		{"not xml", "PGE+", saml.ErrInvalid},
	}
	for _, c := range cases {
		_, err := verify(t, idp, c.resp)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
