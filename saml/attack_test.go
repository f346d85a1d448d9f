package saml_test

import (
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/connectfed/connectfed/saml"
	"github.com/connectfed/connectfed/saml/samltest"
)

// Attacks on the XML signature and on the way signed content is read. Each
// must be refused, or else yield only what the IdP signed (never
// "mallory").

const evil = "mallory"

func child(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// makeEvil turns a copy of an assertion into the attacker's: a new ID, no
// signature, and mallory as NameID and RoleSessionName.
func makeEvil(a *etree.Element) *etree.Element {
	e := a.Copy()
	e.CreateAttr("ID", "id-evil")
	if sig := child(e, "Signature"); sig != nil {
		e.RemoveChild(sig)
	}
	for _, n := range e.FindElements(".//NameID") {
		n.SetText(evil + "@example.com")
	}
	for _, at := range e.FindElements(".//Attribute") {
		if at.SelectAttrValue("Name", "") == saml.AttrRoleSessionName {
			for _, v := range at.ChildElements() {
				v.SetText(evil)
			}
		}
	}
	return e
}

func insertAt(parent *etree.Element, index int, el *etree.Element) { parent.InsertChildAt(index, el) }

func indexOf(parent, el *etree.Element) int {
	for i, c := range parent.Child {
		if c == el {
			return i
		}
	}
	return -1
}

// TestSignatureWrapping runs the eight classic XML signature wrapping
// variants (Somorovsky et al., "On Breaking SAML", as SAML Raider names
// them: XSW1-2 on a signed Response, XSW3-8 on a signed Assertion).
func TestSignatureWrapping(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com/metadata")
	base := samltest.Claims{Roles: []string{roleARN + "," + providerARN}, RoleSessionName: "alice", Subject: "alice@example.com"}
	signedResponse := func() *etree.Element {
		c := base
		c.SignResponse = true
		return idp.ResponseElement(t, c)
	}
	signedAssertion := func() (*etree.Element, *etree.Element) {
		c := base
		c.SignAssertion = true
		r := idp.ResponseElement(t, c)
		return r, child(r, "Assertion")
	}
	variants := map[string]func() *etree.Element{
		// XSW1: an evil Response whose Signature holds the original,
		// signed Response.
		"XSW1": func() *etree.Element {
			orig := signedResponse()
			ev := orig.Copy()
			ev.CreateAttr("ID", "id-evil-response")
			a := child(ev, "Assertion")
			ev.RemoveChild(a)
			ev.AddChild(makeEvil(a))
			sig := child(ev, "Signature")
			origCopy := orig.Copy()
			origCopy.RemoveChild(child(origCopy, "Signature"))
			sig.AddChild(origCopy)
			return ev
		},
		// XSW2: as XSW1, the original Response placed before the
		// Signature (detached style).
		"XSW2": func() *etree.Element {
			orig := signedResponse()
			ev := orig.Copy()
			ev.CreateAttr("ID", "id-evil-response")
			a := child(ev, "Assertion")
			ev.RemoveChild(a)
			ev.AddChild(makeEvil(a))
			sig := child(ev, "Signature")
			origCopy := orig.Copy()
			origCopy.RemoveChild(child(origCopy, "Signature"))
			insertAt(ev, indexOf(ev, sig), origCopy)
			return ev
		},
		// XSW3: an evil Assertion before the signed one.
		"XSW3": func() *etree.Element {
			r, a := signedAssertion()
			insertAt(r, indexOf(r, a), makeEvil(a))
			return r
		},
		// XSW4: an evil Assertion wrapping the signed one.
		"XSW4": func() *etree.Element {
			r, a := signedAssertion()
			ev := makeEvil(a)
			r.RemoveChild(a)
			ev.AddChild(a)
			r.AddChild(ev)
			return r
		},
		// XSW5: the signature moved into the evil Assertion, the original
		// appended at the end of the Response.
		"XSW5": func() *etree.Element {
			r, a := signedAssertion()
			ev := makeEvil(a)
			sig := child(a, "Signature").Copy()
			insertAt(ev, 1, sig)
			ev.CreateAttr("ID", a.SelectAttrValue("ID", ""))
			r.RemoveChild(a)
			r.AddChild(ev)
			orig := a.Copy()
			orig.RemoveChild(child(orig, "Signature"))
			r.AddChild(orig)
			return r
		},
		// XSW6: the evil Assertion carries the signature, and the original
		// Assertion sits inside that signature.
		"XSW6": func() *etree.Element {
			r, a := signedAssertion()
			ev := makeEvil(a)
			ev.CreateAttr("ID", a.SelectAttrValue("ID", ""))
			sig := child(a, "Signature").Copy()
			orig := a.Copy()
			orig.RemoveChild(child(orig, "Signature"))
			sig.AddChild(orig)
			insertAt(ev, 1, sig)
			r.RemoveChild(a)
			r.AddChild(ev)
			return r
		},
		// XSW7: the original Assertion hidden in an Extensions element,
		// the evil one in its place.
		"XSW7": func() *etree.Element {
			r, a := signedAssertion()
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(a.Copy())
			insertAt(r, indexOf(r, a), ext)
			ev := makeEvil(a)
			ev.CreateAttr("ID", a.SelectAttrValue("ID", ""))
			r.RemoveChild(a)
			r.AddChild(ev)
			return r
		},
		// XSW8: the original Assertion (without its signature) in an
		// Object inside the signature the evil Assertion carries.
		"XSW8": func() *etree.Element {
			r, a := signedAssertion()
			ev := makeEvil(a)
			ev.CreateAttr("ID", a.SelectAttrValue("ID", ""))
			sig := child(a, "Signature").Copy()
			obj := sig.CreateElement("ds:Object")
			orig := a.Copy()
			orig.RemoveChild(child(orig, "Signature"))
			obj.AddChild(orig)
			insertAt(ev, 1, sig)
			r.RemoveChild(a)
			r.AddChild(ev)
			return r
		},
	}
	for name, build := range variants {
		t.Run(name, func(t *testing.T) {
			doc := samltest.Encode(t, build())
			if raw, _ := saml.DecodeResponse(doc); !strings.Contains(string(raw), evil) {
				t.Fatal("the attack document carries no attacker content")
			}
			a, err := verify(t, idp, doc)
			if err == nil && (strings.Contains(a.Subject, evil) || a.RoleSessionName == evil) {
				t.Fatalf("accepted the attacker's assertion: %+v", a)
			}
			if err == nil {
				t.Logf("accepted, but only the signed content: %s", a.RoleSessionName)
			}
		})
	}
}

// TestSignedContentOnly: what is and is not signed.
func TestSignedContentOnly(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com/metadata")
	base := samltest.Claims{Roles: []string{roleARN + "," + providerARN}, RoleSessionName: "alice", Subject: "alice@example.com"}
	withSign := func(assertion, response bool) samltest.Claims {
		c := base
		c.SignAssertion, c.SignResponse = assertion, response
		return c
	}
	// Unsigned assertion in a signed response, and signed assertion in an
	// unsigned response: both fine, the signature covers the assertion.
	for _, c := range []samltest.Claims{withSign(false, true), withSign(true, false)} {
		if _, err := verify(t, idp, idp.Response(t, c)); err != nil {
			t.Errorf("signed %v/%v: %v", c.SignAssertion, c.SignResponse, err)
		}
	}
	// Nothing signed: the signature is stripped from a signed assertion.
	r := idp.ResponseElement(t, withSign(true, false))
	a := child(r, "Assertion")
	a.RemoveChild(child(a, "Signature"))
	if _, err := verify(t, idp, samltest.Encode(t, r)); err == nil {
		t.Error("accepted a response with no signature at all")
	}
	// A signed response whose assertion was changed after signing.
	r = idp.ResponseElement(t, withSign(false, true))
	child(r, "Assertion").FindElement(".//NameID").SetText(evil)
	if _, err := verify(t, idp, samltest.Encode(t, r)); err == nil {
		t.Error("accepted a response changed after signing")
	}
	// An unsigned evil assertion added to a signed response.
	r = idp.ResponseElement(t, withSign(false, true))
	insertAt(r, indexOf(r, child(r, "Assertion")), makeEvil(child(r, "Assertion")))
	if a, err := verify(t, idp, samltest.Encode(t, r)); err == nil && a.RoleSessionName == evil {
		t.Error("accepted an assertion added to a signed response")
	}
	// A signed assertion with an unsigned evil one after it in an unsigned
	// response.
	r = idp.ResponseElement(t, withSign(true, false))
	r.AddChild(makeEvil(child(r, "Assertion")))
	if a, err := verify(t, idp, samltest.Encode(t, r)); err == nil && a.RoleSessionName == evil {
		t.Error("accepted an unsigned assertion next to a signed one")
	}
}

// TestCommentsAndWhitespace: a comment inside a signed NameID or attribute
// value (invisible to exclusive canonicalization, so the signature still
// verifies) must not cut the value short, and surrounding white space is
// not trimmed away into a valid session name.
func TestCommentsAndWhitespace(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com/metadata")
	c := samltest.Claims{Roles: []string{roleARN + "," + providerARN}, RoleSessionName: "alice", Subject: "alice@example.com"}
	a := idp.Assertion(c)
	el := a.Element()
	nameID := el.FindElement(".//NameID")
	nameID.SetText("")
	nameID.CreateText("alice@example.com")
	nameID.CreateComment("")
	nameID.CreateText(".evil.com")
	for _, at := range el.FindElements(".//Attribute") {
		if at.SelectAttrValue("Name", "") == saml.AttrRoleSessionName {
			v := at.ChildElements()[0]
			v.SetText("")
			v.CreateText("alice")
			v.CreateComment("x")
			v.CreateText("evil")
		}
	}
	signed := idp.Sign(t, el)
	resp := idp.ResponseElement(t, c) // a response shell; its assertion is replaced
	resp.RemoveChild(child(resp, "Assertion"))
	resp.AddChild(signed)
	got, err := verify(t, idp, samltest.Encode(t, resp))
	if err == nil && (got.Subject == "alice@example.com" || got.RoleSessionName == "alice") {
		t.Fatalf("a comment cut the signed value short: subject %q, session %q", got.Subject, got.RoleSessionName)
	}
	if err == nil {
		t.Logf("read as subject %q, session %q", got.Subject, got.RoleSessionName)
	}

	c.RoleSessionName = " alice "
	got, err = verify(t, idp, idp.Response(t, c))
	if err == nil && got.RoleSessionName == "alice" {
		t.Errorf("white space around RoleSessionName was trimmed")
	}
}
