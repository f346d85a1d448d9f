package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/saml/samltest"
)

// postSAML posts a SAML response to /saml as an IdP's auto-submitting form
// does, without following the redirect.
func postSAML(t *testing.T, base string, form url.Values) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/saml", form)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "connectfed_session" && c.Value != "" {
			return c
		}
	}
	return nil
}

// TestSAMLBrowserSignIn: the IdP's post to /saml signs the agent into the
// instance RelayState names, once per assertion.
func TestSAMLBrowserSignIn(t *testing.T) {
	f := newSAMLFixture(t)
	claims := func(session string) samltest.Claims {
		c := f.claims(session)
		c.Recipient = f.srv.url + "/saml"
		return c
	}
	relay := f.srv.url + "/connect/federate/" + f.instanceID + "?destination=%2Fccp-v2"
	resp := f.idp.Response(t, claims("alice"))
	r, body := postSAML(t, f.srv.url, url.Values{"SAMLResponse": {resp}, "RelayState": {relay}})
	// destination=/ccp-v2 lands on the instance's CCP, as on AWS.
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/connect/"+f.instanceID+"/ccp-v2" {
		t.Fatalf("POST /saml: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), body)
	}
	cookie := sessionCookie(r)
	if cookie == nil || !cookie.HttpOnly {
		t.Fatalf("no session cookie: %v", r.Cookies())
	}
	req, _ := http.NewRequest("GET", f.srv.url+"/connect/"+f.instanceID+"/agent", nil)
	req.AddCookie(cookie)
	page, err := http.DefaultClient.Do(req)
	must(t, err)
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(b), "alice") {
		t.Errorf("agent page: %d\n%s", page.StatusCode, b)
	}

	// The same assertion again: refused, no session.
	r, body = postSAML(t, f.srv.url, url.Values{"SAMLResponse": {resp}, "RelayState": {relay}})
	if r.StatusCode != http.StatusBadRequest || sessionCookie(r) != nil || !strings.Contains(body, "already been used") {
		t.Errorf("replay: %d %v\n%s", r.StatusCode, r.Cookies(), body)
	}

	// AWS's console RelayState works too, and the AWS sign-in recipient.
	consoleRelay := "https://us-east-1.console.aws.amazon.com/connect/federate/" + f.instanceID + "?destination=%2Fconnect%2Fccp-v2"
	r, body = postSAML(t, f.srv.url, url.Values{"SAMLResponse": {f.idp.Response(t, f.claims("alice"))}, "RelayState": {consoleRelay}})
	if r.StatusCode != http.StatusSeeOther || sessionCookie(r) == nil {
		t.Errorf("console RelayState: %d\n%s", r.StatusCode, body)
	}

	// Several roles: a chooser, then the chosen one.
	multi := claims("alice")
	multi.Roles = []string{f.roleARN + "," + f.providerARN, f.providerARN + "," + f.samlRole}
	resp = f.idp.Response(t, multi)
	r, body = postSAML(t, f.srv.url, url.Values{"SAMLResponse": {resp}, "RelayState": {relay}})
	if r.StatusCode != 200 || !strings.Contains(body, "Select a role") || !strings.Contains(body, "SAMLAgent") || !strings.Contains(body, "ConnectAgent") || sessionCookie(r) != nil {
		t.Fatalf("chooser: %d\n%s", r.StatusCode, body)
	}
	// ConnectAgent does not trust the provider: refused, nothing started.
	r, body = postSAML(t, f.srv.url, url.Values{"SAMLResponse": {resp}, "RelayState": {relay}, "roleIndex": {"0"}})
	if r.StatusCode != http.StatusForbidden || sessionCookie(r) != nil || !strings.Contains(body, "Not authorized to perform sts:AssumeRoleWithSAML") {
		t.Errorf("untrusted role: %d\n%s", r.StatusCode, body)
	}
	multi.ID = ""
	resp = f.idp.Response(t, multi)
	r, body = postSAML(t, f.srv.url, url.Values{"SAMLResponse": {resp}, "RelayState": {relay}, "roleIndex": {"1"}})
	if r.StatusCode != http.StatusSeeOther || sessionCookie(r) == nil {
		t.Errorf("chosen role: %d\n%s", r.StatusCode, body)
	}

	other := samltest.New(t, f.idp.EntityID)
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"no Connect user of that name", url.Values{"SAMLResponse": {f.idp.Response(t, claims("bob"))}, "RelayState": {relay}}, 404, "No user with the specified credentials"},
		{"signed by another key", url.Values{"SAMLResponse": {other.Response(t, claims("alice"))}, "RelayState": {relay}}, 400, "invalid SAML response"},
		{"RelayState not an instance", url.Values{"SAMLResponse": {f.idp.Response(t, claims("alice"))}, "RelayState": {"https://evil.example.com/"}}, 400, "RelayState"},
		{"unknown instance", url.Values{"SAMLResponse": {f.idp.Response(t, claims("alice"))}, "RelayState": {f.srv.url + "/connect/federate/00000000-0000-4000-8000-000000000000"}}, 403, ""},
		{"no response", url.Values{"RelayState": {relay}}, 400, "did not include"},
		{"junk", url.Values{"SAMLResponse": {"PGZvbz4="}, "RelayState": {relay}}, 400, "invalid SAML response"},
	} {
		r, body := postSAML(t, f.srv.url, c.form)
		if r.StatusCode != c.status || sessionCookie(r) != nil || !strings.Contains(body, c.text) {
			t.Errorf("%s: %d %v\n%s", c.name, r.StatusCode, r.Cookies(), body)
		}
	}
}
