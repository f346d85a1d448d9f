package saml_test

import (
	"encoding/base64"
	"testing"

	"github.com/connectfed/connectfed/saml"
	"github.com/connectfed/connectfed/saml/samltest"
)

// FuzzVerify: no input makes Peek or Verify panic, and nothing but a
// response signed by the metadata's key verifies.
func FuzzVerify(f *testing.F) {
	idp := samltest.New(f, "https://idp.example.com/metadata")
	md, err := saml.ParseMetadata([]byte(idp.Metadata()))
	if err != nil {
		f.Fatal(err)
	}
	claims := samltest.Claims{Roles: []string{roleARN + "," + providerARN}, RoleSessionName: "alice"}
	for _, c := range []samltest.Claims{claims, func() samltest.Claims { c := claims; c.SignResponse = true; return c }()} {
		b, _ := base64.StdEncoding.DecodeString(idp.Response(f, c))
		f.Add(b)
	}
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Add([]byte{})
	accept := func(string) bool { return true }
	f.Fuzz(func(t *testing.T, doc []byte) {
		saml.Peek(doc)
		a, err := saml.Verify(doc, md, saml.Options{AcceptRecipient: accept})
		if err == nil && a == nil {
			t.Fatal("Verify returned neither an assertion nor an error")
		}
	})
}
