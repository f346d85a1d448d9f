package web

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/saml"
)

// The SAML browser path: what AWS sign-in (https://signin.aws.amazon.com/saml)
// does when an IdP posts an assertion, followed by what the Connect console's
// /connect/federate/<instanceId> does. POST <public-url>/saml with
// SAMLResponse and RelayState: the assertion is verified and accepted once,
// the role is chosen (a chooser page when the assertion offers several), the
// role session is made as AssumeRoleWithSAML makes it, and when RelayState
// names a Connect instance the session federates into it through
// federation.Federate (the rules of GetFederationToken) and the browser is
// signed in and sent to the destination. Any failure is a page with AWS's
// wording, and nothing is started.

// maxSAMLForm bounds the form (a base64 response is at most 100,000
// characters in STS; the rest is small).
const maxSAMLForm = 256 << 10

var (
	consoleRelayRE = regexp.MustCompile(`^https://([a-z]{2}(?:-[a-z]+){1,2}-[0-9])\.console\.aws\.amazon\.com/connect/federate/([^/?#]+)/?(?:\?(.*))?$`)
	localRelayRE   = regexp.MustCompile(`^/connect/federate/([^/?#]+)/?(?:\?(.*))?$`)
)

// relayTarget is the Connect instance a RelayState names, and where to go.
type relayTarget struct {
	Region, InstanceID, Destination string
}

// parseRelayState reads AWS's console form
// https://<region>.console.aws.amazon.com/connect/federate/<id>?destination=…
// and connectfed's own <public-url>/connect/federate/<id>?destination=…
// (the path alone also works). ok is false for anything else.
func parseRelayState(relay, publicURL string) (relayTarget, bool) {
	var t relayTarget
	var query string
	if m := consoleRelayRE.FindStringSubmatch(relay); m != nil {
		t.Region, t.InstanceID, query = m[1], m[2], m[3]
	} else {
		rest := relay
		if publicURL != "" && strings.HasPrefix(relay, publicURL+"/") {
			rest = relay[len(publicURL):]
		}
		m := localRelayRE.FindStringSubmatch(rest)
		if m == nil {
			return t, false
		}
		t.Region, t.InstanceID, query = connectfed.DefaultRegion, m[1], m[2]
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return t, false
	}
	if r := q.Get("region"); r != "" && t.Region == connectfed.DefaultRegion && regionRE.MatchString(r) {
		t.Region = r
	}
	t.Destination = q.Get("destination")
	return t, t.InstanceID != ""
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+){1,2}-[0-9]$`)

type roleChoice struct {
	Index                int
	RoleARN, ProviderARN string
	RoleName, Account    string
}

type chooserData struct {
	Title        string
	SAMLResponse string
	RelayState   string
	Roles        []roleChoice
}

// samlFailure renders a refused sign-in and starts nothing.
func (h *Handler) samlFailure(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil {
		h.Log.Info("SAML sign-in refused", "status", status, "reason", err.Error(), "source", r.RemoteAddr)
	}
	h.render(w, status, "message.html", message{Title: "Error", Message: msg, Class: "error"})
}

// errorStatus is the page status for a domain error.
func errorStatus(err error) int {
	var e *connectfed.Error
	if errors.As(err, &e) {
		if st := e.Type.Status(); st != 0 {
			return st
		}
		switch e.Code {
		case connectfed.ENOTFOUND:
			return http.StatusNotFound
		case connectfed.EFORBIDDEN:
			return http.StatusForbidden
		case connectfed.EINVALID:
			return http.StatusBadRequest
		case connectfed.ETHROTTLED:
			return http.StatusTooManyRequests
		}
	}
	return http.StatusServiceUnavailable
}

func (h *Handler) samlPost(w http.ResponseWriter, r *http.Request) {
	if h.Identity == nil {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil {
		h.samlFailure(w, r, http.StatusBadRequest, "Your request included an invalid SAML response.", err)
		return
	}
	resp, relay := r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState")
	if resp == "" {
		h.samlFailure(w, r, http.StatusBadRequest, "Your request did not include a SAML response.", nil)
		return
	}
	doc, err := saml.DecodeResponse(resp)
	if err != nil {
		h.samlFailure(w, r, http.StatusBadRequest, "Your request included an invalid SAML response.", err)
		return
	}
	target, isConnect := parseRelayState(relay, h.Fed.PublicURL)
	if !isConnect {
		// connectfed has no console to land in: refuse before the
		// assertion is looked at, so it is not used up.
		h.samlFailure(w, r, http.StatusBadRequest,
			"The RelayState does not name an Amazon Connect instance: use https://<region>.console.aws.amazon.com/connect/federate/<instanceId> or "+h.Fed.PublicURL+"/connect/federate/<instanceId>.", nil)
		return
	}
	// The roles on offer are read before verification only to choose
	// one; the choice is checked against the verified assertion.
	_, roles, err := saml.Peek(doc)
	if err != nil || len(roles) == 0 {
		h.samlFailure(w, r, http.StatusBadRequest, "Your request included an invalid SAML response. The response has no valid Role attribute.", err)
		return
	}
	var chosen saml.RolePair
	switch {
	case r.PostForm.Has("roleIndex"):
		i, err := strconv.Atoi(r.PostForm.Get("roleIndex"))
		if err != nil || i < 0 || i >= len(roles) {
			h.samlFailure(w, r, http.StatusBadRequest, "Select a role to sign in with.", err)
			return
		}
		chosen = roles[i]
	case len(roles) == 1:
		chosen = roles[0]
	default:
		// Several roles: verify first (without using the assertion up),
		// so the chooser is only shown for a genuine assertion.
		if _, _, err := h.Identity.VerifySAML(r.Context(), roles[0].ProviderARN, resp, h.acceptRecipient, saml.Options{}); err != nil {
			h.samlFailure(w, r, errorStatus(err), "Your request included an invalid SAML response.", err)
			return
		}
		data := chooserData{Title: "Select a role", SAMLResponse: resp, RelayState: relay}
		for i, p := range roles {
			name := p.RoleARN[strings.LastIndexByte(p.RoleARN, '/')+1:]
			acct := ""
			if parts := strings.SplitN(p.RoleARN, ":", 6); len(parts) == 6 {
				acct = parts[4]
			}
			data.Roles = append(data.Roles, roleChoice{Index: i, RoleARN: p.RoleARN, ProviderARN: p.ProviderARN, RoleName: name, Account: acct})
		}
		h.render(w, http.StatusOK, "roles.html", data)
		return
	}

	res, err := h.Identity.AssumeRoleWithSAML(r.Context(), identity.SAMLInput{
		RoleARN: chosen.RoleARN, ProviderARN: chosen.ProviderARN, Response: resp, AcceptRecipient: h.acceptRecipient,
		Replay: saml.Options{Replay: h.Identity.SAMLReplayCache(r.Context())},
	})
	if err != nil {
		msg := "Your request included an invalid SAML response."
		var e *connectfed.Error
		if errors.As(err, &e) {
			switch e.Type {
			case connectfed.AccessDenied:
				msg = "Not authorized to perform sts:AssumeRoleWithSAML"
			case connectfed.ExpiredTokenException:
				msg = "Your request included an expired SAML response."
			case connectfed.ValidationError:
				msg = e.Message
			}
			if strings.Contains(e.Message, "already been used") {
				msg = "This SAML response has already been used. Sign in again through your identity provider."
			}
		}
		h.samlFailure(w, r, errorStatus(err), msg, err)
		return
	}
	p := res.Session.Session.Principal()
	sc := connect.Scope{AccountID: p.AccountID, Region: target.Region}
	grant, err := h.Fed.Federate(r.Context(), p, sc, target.InstanceID)
	if err != nil {
		msg := "Sign-in failed."
		var e *connectfed.Error
		if errors.As(err, &e) && e.Code != connectfed.EINTERNAL && e.Code != connectfed.EUNAVAILABLE {
			msg = e.Message
		}
		h.samlFailure(w, r, errorStatus(err), msg, err)
		return
	}
	sid, ws, _, err := h.Fed.SignIn(r.Context(), grant.Tokens.AccessToken, grant.Instance.ID)
	if err != nil {
		h.samlFailure(w, r, http.StatusServiceUnavailable, "Sign-in is unavailable right now. Try again.", err)
		return
	}
	h.setSession(w, r, sid, ws.InstanceID, ws.Expires)
	h.event(r, connectfed.EventSignIn, ws.AccountID, ws.InstanceID, ws.UserID, ws.Family)
	http.Redirect(w, r, safeDestination(ws.InstanceID, target.Destination), http.StatusSeeOther)
}

func (h *Handler) acceptRecipient(rcpt string) bool {
	return identity.AcceptSAMLRecipient(h.Fed.PublicURL, rcpt)
}

func (h *Handler) setSession(w http.ResponseWriter, r *http.Request, sid, instanceID string, expires time.Time) {
	maxAge := int(time.Until(expires).Seconds())
	cookie := &http.Cookie{
		Name: CookieName, Value: sid, Path: "/connect/" + instanceID + "/",
		Expires: expires, MaxAge: max(maxAge, 1), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.SecureCookies || r.TLS != nil,
	}
	if r.Header.Get("Sec-Fetch-Dest") == "iframe" {
		// Signing in inside a frame (an agent desktop embedding the CCP):
		// a browser that blocks third-party cookies keeps only a
		// partitioned (CHIPS) cookie there, which must be SameSite=None
		// and Secure. Browsers treat http://localhost and 127.0.0.1 as
		// secure, so this works without TLS on loopback.
		cookie.SameSite, cookie.Secure, cookie.Partitioned = http.SameSiteNoneMode, true, true
	}
	http.SetCookie(w, cookie)
}

// samlMetadata serves connectfed's service provider metadata, to give an
// IdP in place of AWS's own (https://signin.aws.amazon.com/static/saml-metadata.xml):
// the same entity ID, urn:amazon:webservices, with <public-url>/saml as the
// assertion consumer service, and the two attributes AWS requires.
func (h *Handler) samlMetadata(w http.ResponseWriter, r *http.Request) {
	var acs strings.Builder
	xml.EscapeText(&acs, []byte(h.Fed.PublicURL+"/saml"))
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + saml.Audience + `">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + acs.String() + `"/>
    <md:AttributeConsumingService index="1">
      <md:ServiceName xml:lang="en">connectfed</md:ServiceName>
      <md:RequestedAttribute isRequired="true" Name="` + saml.AttrRole + `" FriendlyName="RoleEntitlement"/>
      <md:RequestedAttribute isRequired="true" Name="` + saml.AttrRoleSessionName + `" FriendlyName="RoleSessionName"/>
    </md:AttributeConsumingService>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`))
}
