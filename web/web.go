// Package web serves what a browser sees: the sign-in that a federation
// token's SignInUrl (or a custom agent page's form post) opens, the
// signed-in agent page, and sign-out; and the JSON endpoints a team's own
// backend calls to refresh and to validate tokens.
package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/jsonenc"
	"github.com/connectfed/connectfed/internal/strictjson"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// CookieName is the browser session cookie.
const CookieName = "connectfed_session"

// Handler serves the browser pages and the token endpoints.
type Handler struct {
	Fed    *federation.Service
	Log    *slog.Logger
	Now    func() time.Time
	Events connectfed.EventSink // nil: events are dropped
	// SecureCookies marks cookies Secure (the public URL is https).
	SecureCookies bool
	// Identity verifies SAML responses for POST /saml (nil: no /saml).
	Identity *identity.Service
}

// Register adds the handler's routes to mux.
func (h *Handler) Register(mux interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}) {
	mux.HandleFunc("GET /connect/{instance}/auth/sign-in", h.signInLink)
	mux.HandleFunc("POST /connect/{instance}/auth/sign-in", h.signInForm)
	mux.HandleFunc("GET /connect/{instance}/agent", h.agentPage)
	mux.HandleFunc("POST /connect/{instance}/auth/sign-out", h.signOut)
	mux.HandleFunc("POST /saml", h.samlPost)
	mux.HandleFunc("GET /saml/metadata", h.samlMetadata)
	mux.HandleFunc("POST /connectfed/token/refresh", h.refresh)
	mux.HandleFunc("POST /connectfed/token/validate", h.validate)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// event emits a token or session event about a user of an instance.
func (h *Handler) event(r *http.Request, kind connectfed.EventKind, accountID, instanceID, userID, family string) {
	if h.Events != nil {
		h.Events.Emit(r.Context(), connectfed.Event{Kind: kind, AccountID: accountID, Instance: instanceID,
			Target: userID, Family: family, Source: r.RemoteAddr})
	}
}

func agentPath(instanceID string) string { return "/connect/" + instanceID + "/agent" }

func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		h.Log.Error("render page", "page", name, "err", err)
	}
}

type message struct {
	Title, Message, Class string
}

// tokenFailure renders why a token could not sign in: 401 for a token that
// is not (or no longer) valid, 403 for one that was already used.
func (h *Handler) tokenFailure(w http.ResponseWriter, r *http.Request, err error) {
	status, title, msg := http.StatusUnauthorized, "Sign-in failed", "The sign-in token is not valid."
	switch {
	case errors.Is(err, federation.ErrExpired):
		msg = "The sign-in token has expired. Ask your application for a new one."
	case errors.Is(err, federation.ErrRevoked), errors.Is(err, federation.ErrNoUser):
		msg = "The sign-in token has been revoked."
	case errors.Is(err, federation.ErrSignInUsed):
		status, msg = http.StatusForbidden, "This sign-in link has already been used. Each federation token signs in one browser; get a new token to sign in again."
	case errors.Is(err, federation.ErrWrongInstance):
		msg = "The sign-in token is for another instance."
	case errors.Is(err, federation.ErrMalformed), errors.Is(err, federation.ErrSignature), errors.Is(err, federation.ErrWrongKind):
	case unavailable(err):
		h.Log.Error("sign-in failed", "err", err)
		status, msg = http.StatusServiceUnavailable, "Sign-in is unavailable right now. Try again."
	default:
		h.Log.Error("sign-in failed", "err", err)
		status, msg = http.StatusInternalServerError, "Sign-in failed because of an error in the service."
	}
	h.Log.Info("sign-in refused", "instance", r.PathValue("instance"), "reason", err.Error(), "status", status)
	h.render(w, status, "message.html", message{Title: title, Message: msg, Class: "error"})
}

func (h *Handler) signInLink(w http.ResponseWriter, r *http.Request) {
	h.signIn(w, r, r.URL.Query().Get("token"), "")
}

// signInForm is the form custom agent pages post: credentials (JSON of the
// four Credentials fields) and destination.
func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.render(w, http.StatusBadRequest, "message.html", message{Title: "Sign-in failed", Message: "The sign-in form could not be read.", Class: "error"})
		return
	}
	var creds struct{ AccessToken string }
	if err := strictjson.Decode([]byte(r.PostForm.Get("credentials")), &creds); err != nil || creds.AccessToken == "" {
		h.render(w, http.StatusBadRequest, "message.html", message{Title: "Sign-in failed",
			Message: "The form must carry credentials: the JSON Credentials object that GetFederationToken returned.", Class: "error"})
		return
	}
	h.signIn(w, r, creds.AccessToken, r.PostForm.Get("destination"))
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, token, destination string) {
	sid, ws, _, err := h.Fed.SignIn(r.Context(), token, r.PathValue("instance"))
	if err != nil {
		h.tokenFailure(w, r, err)
		return
	}
	h.setSession(w, r, sid, ws.InstanceID, ws.Expires)
	h.event(r, connectfed.EventSignIn, ws.AccountID, ws.InstanceID, ws.UserID, ws.Family)
	http.Redirect(w, r, safeDestination(ws.InstanceID, destination), http.StatusSeeOther)
}

// safeDestination keeps redirects on connectfed's own pages: the agent page
// of the instance, its CCP ("/ccp-v2" and "/connect/ccp-v2", where real
// custom pages send agents, map to it), or another path under the
// instance's own prefix. Anything else (an absolute URL, "//host",
// backslashes, dot segments) goes to the agent page.
func safeDestination(instanceID, dest string) string {
	home := agentPath(instanceID)
	switch strings.TrimSuffix(dest, "/") {
	case "", home:
		return home
	case "/ccp-v2", "/connect/ccp-v2":
		return "/connect/" + instanceID + "/ccp-v2"
	}
	prefix := "/connect/" + instanceID + "/"
	if !strings.HasPrefix(dest, prefix) || strings.ContainsAny(dest, "\\\r\n\t ") || strings.Contains(dest, "//") ||
		strings.Contains(dest, "/..") || strings.Contains(dest, "/./") || strings.Contains(dest, "%") {
		return home
	}
	return dest
}

type agentData struct {
	Title, Username, Name, UserID, Alias, InstanceID, AccountID, Region string
	Ends, EndsISO, SignOutURL, CSRF                                     string
}

func (h *Handler) agentPage(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.session(r)
	if err != nil {
		h.signedOut(w, r, http.StatusUnauthorized, "You are not signed in", "There is no session in this browser for this instance. Open a SignInUrl to sign in.")
		return
	}
	name := ""
	if info := id.User.IdentityInfo; info != nil {
		name = strings.TrimSpace(info.FirstName + " " + info.LastName)
	}
	h.render(w, http.StatusOK, "agent.html", agentData{
		Title: "Signed in", Username: id.User.Username, Name: name, UserID: id.User.ID, Alias: id.Instance.Alias,
		InstanceID: id.Instance.ID, AccountID: id.Instance.AccountID, Region: id.Instance.Region,
		Ends: ws.Expires.UTC().Format("2006-01-02 15:04:05 UTC"), EndsISO: ws.Expires.UTC().Format(time.RFC3339),
		SignOutURL: "/connect/" + ws.InstanceID + "/auth/sign-out", CSRF: ws.CSRF,
	})
}

func (h *Handler) session(r *http.Request) (*federation.WebSession, *federation.Identity, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil, nil, err
	}
	ws, id, err := h.Fed.Session(r.Context(), c.Value)
	if err != nil {
		return nil, nil, err
	}
	if ws.InstanceID != r.PathValue("instance") {
		return nil, nil, federation.ErrMalformed
	}
	return ws, id, nil
}

func (h *Handler) signedOut(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/connect/" + r.PathValue("instance") + "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.SecureCookies || r.TLS != nil})
	h.render(w, status, "message.html", message{Title: title, Message: msg})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	ws, _, err := h.session(r)
	if err == nil {
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(ws.CSRF)) != 1 {
			h.render(w, http.StatusForbidden, "message.html", message{Title: "Sign-out refused", Message: "The sign-out form is stale. Reload the page and try again.", Class: "error"})
			return
		}
		c, _ := r.Cookie(CookieName)
		if err := h.Fed.SignOut(r.Context(), c.Value); err != nil {
			h.Log.Error("sign-out", "err", err)
			status := http.StatusInternalServerError
			if unavailable(err) {
				status = http.StatusServiceUnavailable
			}
			h.render(w, status, "message.html", message{Title: "Sign-out failed", Message: "Try again.", Class: "error"})
			return
		}
		h.event(r, connectfed.EventSignOut, ws.AccountID, ws.InstanceID, ws.UserID, ws.Family)
	}
	h.signedOut(w, r, http.StatusOK, "Signed out", "The session in this browser has ended.")
}

// --- JSON endpoints ---

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeJSONError writes a restJson1-style error. The status is explicit: the
// token endpoints answer token errors 401 as OAuth does, and an outage 503.
func writeJSONError(w http.ResponseWriter, status int, typ connectfed.ErrorType, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ.String())
	writeJSON(w, status, map[string]string{"Message": msg})
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
	if err != nil {
		writeJSONError(w, http.StatusRequestEntityTooLarge, connectfed.RequestEntityTooLargeException, "The request body is too large.")
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		writeJSONError(w, http.StatusBadRequest, connectfed.SerializationException, "The request body must be a JSON object.")
		return false
	}
	if err := strictjson.Decode(b, v); err != nil {
		writeJSONError(w, http.StatusBadRequest, connectfed.SerializationException, err.Error())
		return false
	}
	return true
}

// epoch writes a time as restJson1 does (whole seconds here: token
// expiries are).
type epoch = jsonenc.Epoch

type credentialsJSON struct {
	AccessToken            string
	AccessTokenExpiration  epoch
	RefreshToken           string
	RefreshTokenExpiration epoch
}

// refresh exchanges a refresh token for new tokens:
// POST /connectfed/token/refresh {"RefreshToken": "..."} → {"Credentials": {...}}.
func (h *Handler) refresh(w http.ResponseWriter, r *http.Request) {
	var in struct{ RefreshToken string }
	if !readJSON(w, r, &in) {
		return
	}
	tok, id, err := h.Fed.Refresh(r.Context(), in.RefreshToken)
	switch {
	case errors.Is(err, federation.ErrReused):
		c := id.Claims
		h.event(r, connectfed.EventRefreshReuse, c.AccountID, c.InstanceID, c.UserID, c.FamilyID())
		writeJSONError(w, http.StatusUnauthorized, connectfed.RefreshTokenReusedException, "The refresh token was already used. Every token of its family has been revoked.")
		return
	case err != nil:
		h.tokenJSONFailure(w, err)
		return
	}
	c := id.Claims
	h.event(r, connectfed.EventTokenRefreshed, c.AccountID, c.InstanceID, c.UserID, c.FamilyID())
	writeJSON(w, http.StatusOK, map[string]any{"Credentials": credentialsJSON{tok.AccessToken, epoch(tok.AccessExpires), tok.RefreshToken, epoch(tok.RefreshExpires)}})
}

func (h *Handler) tokenJSONFailure(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, federation.ErrExpired):
		writeJSONError(w, http.StatusUnauthorized, connectfed.ExpiredTokenException, "The token has expired.")
	case errors.Is(err, federation.ErrRevoked), errors.Is(err, federation.ErrNoUser):
		writeJSONError(w, http.StatusUnauthorized, connectfed.RevokedTokenException, "The token has been revoked.")
	case errors.Is(err, federation.ErrMalformed), errors.Is(err, federation.ErrSignature), errors.Is(err, federation.ErrWrongKind):
		writeJSONError(w, http.StatusUnauthorized, connectfed.InvalidTokenException, "The token is not valid.")
	case unavailable(err):
		h.Log.Error("token endpoint failed", "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, connectfed.InternalServiceException, "The service is temporarily unavailable. Try again later.")
	default:
		h.Log.Error("token endpoint failed", "err", err)
		writeJSONError(w, http.StatusInternalServerError, connectfed.InternalServiceException, "Request processing failed because of an error or failure with the service.")
	}
}

// unavailable tells an outage (the store cannot be reached, or the request
// ran out of time waiting for it: 503, worth retrying) from an internal
// error (500).
func unavailable(err error) bool {
	return connectfed.ErrorCode(err) == connectfed.EUNAVAILABLE || errors.Is(err, context.DeadlineExceeded)
}

// validate tells a backend whose an access token is:
// POST /connectfed/token/validate {"AccessToken": "..."}. As in OAuth token
// introspection, a token that is not valid is 200 {"Active": false}.
func (h *Handler) validate(w http.ResponseWriter, r *http.Request) {
	var in struct{ AccessToken string }
	if !readJSON(w, r, &in) {
		return
	}
	id, err := h.Fed.Validate(r.Context(), in.AccessToken, federation.KindAccess)
	if err != nil {
		if !isTokenError(err) {
			h.tokenJSONFailure(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"Active": false})
		return
	}
	u, inst := id.User, id.Instance
	writeJSON(w, http.StatusOK, map[string]any{
		"Active": true, "UserId": u.ID, "Username": u.Username, "UserArn": u.ARN(),
		"InstanceId": inst.ID, "InstanceArn": inst.ARN(), "InstanceAlias": inst.Alias,
		"AccountId": inst.AccountID, "Region": inst.Region, "Expiration": epoch(id.Claims.Expires),
	})
}

func isTokenError(err error) bool {
	for _, e := range []error{federation.ErrMalformed, federation.ErrSignature, federation.ErrWrongKind, federation.ErrExpired, federation.ErrRevoked, federation.ErrNoUser} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
