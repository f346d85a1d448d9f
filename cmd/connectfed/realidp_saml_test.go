package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	cs "github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"
	"github.com/crewjam/saml/samlidp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/connectfed/connectfed/saml"
)

// awsAttributes is the IdP-side configuration every IdP needs for AWS:
// the Role and RoleSessionName attributes (here: the IdP's username).
type awsAttributes struct{ role string }

func (a awsAttributes) MakeAssertion(req *cs.IdpAuthnRequest, s *cs.Session) error {
	s.CustomAttributes = append(s.CustomAttributes,
		cs.Attribute{Name: saml.AttrRole, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
			Values: []cs.AttributeValue{{Type: "xs:string", Value: a.role}}},
		cs.Attribute{Name: saml.AttrRoleSessionName, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
			Values: []cs.AttributeValue{{Type: "xs:string", Value: s.UserName}}})
	return cs.DefaultAssertionMaker{}.MakeAssertion(req, s)
}

// startSAMLIdP runs crewjam/saml's samlidp (a SAML IdP with a login form)
// on loopback, with connectfed registered as a service provider from its
// own /saml/metadata, user alice, and an IdP-initiated shortcut "connect"
// whose RelayState names the instance.
func startSAMLIdP(t *testing.T, f *samlFixture, relay string) (idpURL string, metadata []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "samlidp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	cert, err := x509.ParseCertificate(der)
	must(t, err)
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)
	idp, err := samlidp.New(samlidp.Options{URL: *u, Key: key, Certificate: cert, Store: &samlidp.MemoryStore{}, Logger: logger.DefaultLogger})
	must(t, err)
	idp.IDP.AssertionMaker = awsAttributes{role: f.samlRole + "," + f.providerARN}
	ts.Config.Handler = idp

	put := func(path string, body []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, ts.URL+path, bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("PUT %s: %d %s", path, resp.StatusCode, b)
		}
	}
	get := func(u string) []byte {
		t.Helper()
		resp, err := http.Get(u)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", u, resp.StatusCode)
		}
		return b
	}
	put("/services/connectfed", get(f.srv.url+"/saml/metadata"))
	put("/users/alice", []byte(`{"name":"alice","password":"correct horse","email":"alice@example.com"}`))
	put("/shortcuts/connect", []byte(`{"name":"connect","service_provider":"`+saml.Audience+`","relay_state":"`+relay+`"}`))
	return ts.URL, get(ts.URL + "/metadata")
}

// TestSAMLIdPInBrowser: a real SAML IdP that nobody on the project wrote
// (crewjam/saml's samlidp), its login form filled in headless Chromium,
// its assertion posted to /saml, ends on the agent page with a session.
func TestSAMLIdPInBrowser(t *testing.T) {
	ctx := browser(t)
	f := newSAMLFixture(t)
	relay := f.srv.url + "/connect/federate/" + f.instanceID
	idpURL, md := startSAMLIdP(t, f, relay)
	// The provider trusts this IdP: its metadata, as an admin would upload it.
	_, err := iam.NewFromConfig(f.config("test", "test", "")).UpdateSAMLProvider(context.Background(), &iam.UpdateSAMLProviderInput{
		SAMLProviderArn: aws.String(f.providerARN), SAMLMetadataDocument: aws.String(string(md))})
	must(t, err)

	var username, location string
	var cookies []*network.Cookie
	err = chromedp.Run(ctx,
		chromedp.Navigate(idpURL+"/login/connect"),
		chromedp.WaitVisible(`input[name="user"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="user"]`, "alice", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="password"]`, "correct horse", chromedp.ByQuery),
		chromedp.Submit(`input[name="password"]`, chromedp.ByQuery),
		// samlidp's login form only starts an IdP session (it answers with
		// the session); the user then opens the app, as from an IdP portal.
		chromedp.WaitVisible("pre", chromedp.ByQuery),
		chromedp.Navigate(idpURL+"/login/connect"),
		chromedp.WaitVisible("#username", chromedp.ByQuery),
		chromedp.Text("#username", &username, chromedp.ByQuery),
		chromedp.Location(&location),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			cookies, err = network.GetCookies().WithURLs([]string{location}).Do(ctx)
			return err
		}),
	)
	if err != nil {
		t.Fatalf("sign-in through samlidp: %v", err)
	}
	if strings.TrimSpace(username) != "alice" || location != f.srv.url+"/connect/"+f.instanceID+"/agent" {
		t.Errorf("landed on %s as %q", location, username)
	}
	found := false
	for _, c := range cookies {
		found = found || c.Name == "connectfed_session" && c.HTTPOnly
	}
	if !found {
		t.Errorf("no HttpOnly session cookie: %v", cookies)
	}

	// A wrong password at the IdP posts nothing to connectfed.
	err = chromedp.Run(ctx,
		network.ClearBrowserCookies(),
		chromedp.Navigate(idpURL+"/login/connect"),
		chromedp.WaitVisible(`input[name="user"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="user"]`, "alice", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="password"]`, "wrong", chromedp.ByQuery),
		chromedp.Submit(`input[name="password"]`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
		chromedp.WaitVisible(`input[name="user"]`, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	must(t, err)
	if strings.HasPrefix(location, f.srv.url) {
		t.Errorf("a failed IdP login reached connectfed: %s", location)
	}
}
