// Package ccp serves connectfed's Contact Control Panel: the page that
// amazon-connect-streams (connect.core.initCCP) loads in its iframe. The
// page speaks the library's iframe protocol (acknowledge, synchronize,
// agent::update, api_request/api_response, broadcast, master_request) in
// a small script of its own; every decision is made on the server by the
// agent package, reached with the browser session cookie as credential,
// and pushed back with server-sent events.
//
// It is a test double, not Amazon's CCP: no softphone, no audio.
package ccp

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/agent"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/federation"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/ccp.html"))

// CookieName is the browser session cookie (web.CookieName).
const CookieName = "connectfed_session"

// EventsPattern is the route of a CCP's push stream.
const EventsPattern = "GET /connect/{instance}/ccp-v2/events"

// Stream limits: open push streams in all, per account (so one account's
// agents cannot hold every stream the server allows), and per browser
// session (a session's CCP reconnects, and an agent may open a few tabs).
const (
	DefaultMaxStreams = 2048
	MaxAccountStreams = 256
	MaxSessionStreams = 8
)

// Handler serves the CCP.
type Handler struct {
	Fed     *federation.Service
	Connect *connect.Service
	Agents  *agent.Service
	Hub     *Hub
	Log     *slog.Logger
	// Tick is how often an open CCP rechecks its session and the clock
	// (default 1s).
	Tick time.Duration
	// MaxStreams caps open push streams (default DefaultMaxStreams).
	MaxStreams int

	mu        sync.Mutex
	streams   int
	byAccount map[string]int
	bySession map[string]int
	located   sync.Map // instance id → connect.Scope
}

// takeStream reserves a push stream for a session of an account, or says
// no.
func (h *Handler) takeStream(account, session string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	max := h.MaxStreams
	if max <= 0 {
		max = DefaultMaxStreams
	}
	if h.bySession == nil {
		h.bySession, h.byAccount = map[string]int{}, map[string]int{}
	}
	if h.streams >= max || h.byAccount[account] >= MaxAccountStreams || h.bySession[session] >= MaxSessionStreams {
		return false
	}
	h.streams++
	h.byAccount[account]++
	h.bySession[session]++
	return true
}

func (h *Handler) releaseStream(account, session string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.streams--
	if h.byAccount[account]--; h.byAccount[account] <= 0 {
		delete(h.byAccount, account)
	}
	if h.bySession[session]--; h.bySession[session] <= 0 {
		delete(h.bySession, session)
	}
}

// Register adds the CCP's routes to mux.
func (h *Handler) Register(mux interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}) {
	mux.HandleFunc("GET /connect/{instance}/ccp-v2", h.page)
	mux.HandleFunc("GET /connect/{instance}/ccp-v2/{$}", h.page)
	mux.HandleFunc("GET /connect/{instance}/ccp-v2/ccp.js", h.asset("assets/ccp.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /connect/{instance}/ccp-v2/ccp.css", h.asset("assets/ccp.css", "text/css; charset=utf-8"))
	mux.HandleFunc(EventsPattern, h.events)
	mux.HandleFunc("POST /connect/{instance}/ccp-v2/api", h.api)
	mux.HandleFunc("POST /connect/{instance}/ccp-v2/sign-out", h.signOut)
}

func (h *Handler) asset(name, ctype string) http.HandlerFunc {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(b)
	}
}

// session returns the caller's live session for the instance in the path.
func (h *Handler) session(r *http.Request) (*federation.WebSession, *federation.Identity, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil, nil, federation.ErrSignedOut
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

var phoneRE = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// locate finds an instance's account and region for a browser without a
// session. Instance ids are UUIDs (anything else is no instance, at no
// cost); a found instance is remembered, since it never moves.
func (h *Handler) locate(ctx context.Context, instanceID string) connect.Scope {
	if !uuidRE.MatchString(instanceID) {
		return connect.Scope{}
	}
	if sc, ok := h.located.Load(instanceID); ok {
		return sc.(connect.Scope)
	}
	sc, err := h.Connect.LocateInstance(ctx, instanceID)
	if err != nil {
		return connect.Scope{}
	}
	h.located.Store(instanceID, sc)
	return sc
}

// frameAncestors is the CSP source list of the origins that may embed the
// instance's CCP: its approved origins (and connectfed itself).
func (h *Handler) frameAncestors(ctx context.Context, sc connect.Scope, instanceID string) ([]string, string) {
	origins, err := h.Agents.Origins(ctx, sc, instanceID)
	if err != nil {
		return nil, "'none'"
	}
	return origins, strings.Join(append([]string{"'self'"}, origins...), " ")
}

type pageData struct {
	SignedIn               bool
	Name, Username, UserID string
	InstanceID, Alias      string
	Base, CSRF, Origins    string
	Ends                   string
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	instanceID := r.PathValue("instance")
	ws, id, err := h.session(r)
	var sc connect.Scope
	if err == nil {
		sc = connect.Scope{AccountID: ws.AccountID, Region: ws.Region}
	} else {
		sc = h.locate(r.Context(), instanceID)
	}
	origins, ancestors := []string(nil), "'none'"
	if sc.AccountID != "" {
		origins, ancestors = h.frameAncestors(r.Context(), sc, instanceID)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors "+ancestors)
	data := pageData{Base: "/connect/" + instanceID + "/ccp-v2", InstanceID: instanceID}
	status := http.StatusOK
	if ws == nil {
		// No session: the page says so and never acknowledges, so the
		// library takes its normal path (ack_timeout → loginUrl popup, or
		// the host signs in inside the iframe).
		status = http.StatusUnauthorized
	} else {
		u := id.User
		name := u.Username
		if info := u.IdentityInfo; info != nil && strings.TrimSpace(info.FirstName+" "+info.LastName) != "" {
			name = strings.TrimSpace(info.FirstName + " " + info.LastName)
		}
		ob, _ := json.Marshal(append([]string{}, origins...)) // [] when there are none
		data = pageData{SignedIn: true, Name: name, Username: u.Username, UserID: u.ID, InstanceID: id.Instance.ID, Alias: id.Instance.Alias,
			Base: data.Base, CSRF: ws.CSRF, Origins: string(ob), Ends: ws.Expires.UTC().Format(time.RFC3339)}
	}
	w.WriteHeader(status)
	if err := page.Execute(w, data); err != nil {
		h.Log.Error("render ccp", "err", err)
	}
}

// sameOrigin refuses requests a page of another origin could forge: the
// API and sign-out need the session's CSRF token in a header (which a
// cross-origin page cannot send without a CORS preflight connectfed never
// grants) and, when the browser says, a same-origin request.
func sameOrigin(r *http.Request, ws *federation.WebSession) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Connectfed-CSRF")), []byte(ws.CSRF)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// apiError is what the library's failure callback receives.
type apiError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func sessionFailure(err error) (int, apiError) {
	switch {
	case errors.Is(err, federation.ErrSignedOut):
		return http.StatusUnauthorized, apiError{"terminated", "The session was signed out."}
	case errors.Is(err, federation.ErrExpired), errors.Is(err, federation.ErrRevoked), errors.Is(err, federation.ErrNoUser),
		errors.Is(err, federation.ErrMalformed):
		return http.StatusUnauthorized, apiError{"auth_fail", "The session has expired or was revoked."}
	}
	return http.StatusServiceUnavailable, apiError{"unavailable", "The service is unavailable. Try again."}
}

// api runs one client method of the library: {"method", "params"} →
// {"data"} or {"err": {"type", "message"}}.
func (h *Handler) api(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.session(r)
	if err != nil {
		status, e := sessionFailure(err)
		writeJSON(w, status, map[string]any{"err": e})
		return
	}
	if !sameOrigin(r, ws) {
		writeJSON(w, http.StatusForbidden, map[string]any{"err": apiError{"forbidden", "Cross-origin request refused."}})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"err": apiError{"too_large", "The request is too large."}})
		return
	}
	var in struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Method == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"err": apiError{"bad_request", "The body must be {\"method\": …, \"params\": …}."}})
		return
	}
	sc := connect.Scope{AccountID: ws.AccountID, Region: ws.Region}
	data, err := h.call(r.Context(), sc, ws.InstanceID, id.User, in.Method, in.Params)
	if err != nil {
		var ae *apiError
		var ce *connectfed.Error
		switch {
		case errors.As(err, &ae):
			writeJSON(w, http.StatusOK, map[string]any{"err": ae})
		case errors.Is(err, agent.ErrNoContact):
			writeJSON(w, http.StatusOK, map[string]any{"err": apiError{"ContactNotFoundException", err.Error()}})
		case errors.As(err, &ce) && ce.Code != connectfed.EINTERNAL && ce.Code != connectfed.EUNAVAILABLE:
			typ := ce.Code
			if ce.Type != connectfed.NoErrorType {
				typ = ce.Type.String()
			}
			writeJSON(w, http.StatusOK, map[string]any{"err": apiError{typ, ce.Message}})
		default:
			h.Log.Error("ccp api", "method", in.Method, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]any{"err": apiError{"InternalServiceException", "The request failed. Try again."}})
		}
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// Methods the CCP implements (connect.ClientMethods of the library), and
// those it answers with success without doing anything because they only
// carry telemetry. Every other method is refused with UnsupportedOperation:
// they need telephony (hold, transfer, conference, outbound calls, DTMF,
// mute) that connectfed does not emulate.
var (
	Implemented = []string{"getAgentSnapshot", "putAgentState", "getAgentStates", "getDialableCountryCodes",
		"getRoutingProfileQueues", "getAgentPermissions", "getAgentConfiguration", "updateAgentConfiguration",
		"acceptContact", "rejectContact", "destroyContact", "destroyConnection", "clearContact", "completeContact",
		"updateContactAttributes", "getEndpoints"}
	Acknowledged = []string{"sendClientLogs", "sendSoftphoneCallReport", "sendSoftphoneCallMetrics", "notifyContactIssue"}
)

func (h *Handler) call(ctx context.Context, sc connect.Scope, instanceID string, u *connectfed.User, method string, raw json.RawMessage) (any, error) {
	var p struct {
		State *struct {
			AgentStateARN string `json:"agentStateARN"`
		} `json:"state"`
		ContactID     string            `json:"contactId"`
		ConnectionID  string            `json:"connectionId"`
		Attributes    map[string]string `json:"attributes"`
		Configuration *struct {
			SoftphoneEnabled    *bool   `json:"softphoneEnabled"`
			SoftphoneAutoAccept *bool   `json:"softphoneAutoAccept"`
			Extension           *string `json:"extension"`
		} `json:"configuration"`
	}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &p); err != nil && !isAcknowledged(method) {
			return nil, &apiError{"InvalidParameterException", "The params could not be read."}
		}
	}
	view := func() (*agent.AgentData, error) { return h.Agents.AgentView(ctx, sc, instanceID, u.ID) }
	switch method {
	case "getAgentSnapshot":
		d, err := view()
		if err != nil {
			return nil, err
		}
		return map[string]any{"snapshot": d.Snapshot}, nil
	case "getAgentConfiguration":
		d, err := view()
		if err != nil {
			return nil, err
		}
		return map[string]any{"configuration": d.Configuration}, nil
	case "getAgentStates":
		d, err := view()
		if err != nil {
			return nil, err
		}
		return map[string]any{"states": d.Configuration["agentStates"]}, nil
	case "getRoutingProfileQueues":
		d, err := view()
		if err != nil {
			return nil, err
		}
		return map[string]any{"queues": d.Configuration["routingProfile"].(map[string]any)["queues"]}, nil
	case "getAgentPermissions":
		return map[string]any{"permissions": []string{}}, nil
	case "getDialableCountryCodes":
		return map[string]any{"countryCodes": []string{"us"}}, nil
	case "getEndpoints":
		return map[string]any{"endpoints": []any{}, "addresses": []any{}, "nextToken": nil}, nil
	case "putAgentState":
		if p.State == nil {
			return nil, &apiError{"InvalidParameterException", "params.state is required."}
		}
		i := strings.LastIndex(p.State.AgentStateARN, "/agent-state/")
		if i < 0 {
			return nil, &apiError{"InvalidParameterException", "params.state.agentStateARN is not an agent state ARN."}
		}
		return nil, h.Agents.SetUserStatus(ctx, sc, instanceID, u.ID, p.State.AgentStateARN[i+len("/agent-state/"):])
	case "updateAgentConfiguration":
		if p.Configuration == nil {
			return nil, &apiError{"InvalidParameterException", "params.configuration is required."}
		}
		pc := u.PhoneConfig
		if c := p.Configuration; c.SoftphoneEnabled != nil {
			pc.PhoneType = map[bool]string{true: "SOFT_PHONE", false: "DESK_PHONE"}[*c.SoftphoneEnabled]
		}
		if c := p.Configuration; c.SoftphoneAutoAccept != nil {
			pc.AutoAccept = *c.SoftphoneAutoAccept
		}
		if c := p.Configuration; c.Extension != nil {
			// As UpdateUserPhoneConfig checks DeskPhoneNumber: the CCP is
			// no way around the API's validation.
			if *c.Extension != "" && !phoneRE.MatchString(*c.Extension) {
				return nil, &apiError{"InvalidParameterException", "params.configuration.extension must be a phone number in E.164 format (+ and up to 15 digits)."}
			}
			pc.DeskPhoneNumber = *c.Extension
		}
		if pc.PhoneType == "DESK_PHONE" && pc.DeskPhoneNumber == "" {
			return nil, &apiError{"InvalidParameterException", "A desk phone needs an extension."}
		}
		if err := h.Connect.UpdateUser(ctx, sc, instanceID, u.ID, connect.UserChange{PhoneConfig: &pc}); err != nil {
			return nil, err
		}
		h.Hub.Notify(agent.InstanceKey(sc, instanceID))
		return nil, nil
	case "acceptContact":
		return nil, h.Agents.Accept(ctx, sc, instanceID, u.ID, p.ContactID)
	case "rejectContact":
		return nil, h.Agents.Reject(ctx, sc, instanceID, u.ID, p.ContactID)
	case "destroyContact", "destroyConnection":
		return nil, h.Agents.Hangup(ctx, sc, instanceID, u.ID, p.ContactID)
	case "clearContact", "completeContact":
		return nil, h.Agents.Clear(ctx, sc, instanceID, u.ID, p.ContactID)
	case "updateContactAttributes":
		return nil, h.Agents.UpdateAgentAttributes(ctx, sc, instanceID, u.ID, p.ContactID, p.Attributes)
	}
	if isAcknowledged(method) {
		return nil, nil
	}
	return nil, &apiError{"UnsupportedOperation", fmt.Sprintf("connectfed's CCP does not implement %s: it emulates no telephony (hold, transfer, conference, outbound calls, DTMF, mute, media).", method)}
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func isAcknowledged(method string) bool {
	for _, m := range Acknowledged {
		if m == method {
			return true
		}
	}
	return false
}

// events pushes the agent's data as server-sent events: "agent" with the
// agent::update payload whenever it changes (checked on every change made
// on this replica and once per Tick), then "auth_fail" when the session
// expires or its tokens are revoked, or "terminated" when it is signed
// out, after which the stream ends.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.session(r)
	if err != nil {
		status, e := sessionFailure(err)
		writeJSON(w, status, map[string]any{"err": e})
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		writeJSON(w, http.StatusForbidden, map[string]any{"err": apiError{"forbidden", "Cross-origin request refused."}})
		return
	}
	c, _ := r.Cookie(CookieName)
	if !h.takeStream(ws.AccountID, ws.Family) {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"err": apiError{"throttled", "Too many open CCP streams."}})
		return
	}
	defer h.releaseStream(ws.AccountID, ws.Family)
	sc := connect.Scope{AccountID: ws.AccountID, Region: ws.Region}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	wake, closed, stop := h.Hub.subscribe(agent.InstanceKey(sc, ws.InstanceID))
	defer stop()
	tick := h.Tick
	if tick <= 0 {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	send := func(event string, data []byte) bool {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	var last []byte
	lastBeat := time.Now()
	for {
		d, err := h.Agents.AgentView(r.Context(), sc, ws.InstanceID, id.User.ID)
		if err != nil && r.Context().Err() == nil {
			h.Log.Warn("ccp agent view", "err", err)
		}
		if err == nil {
			b, _ := json.Marshal(d)
			// snapshotTimestamp changes every time; compare without it.
			key := withoutTimestamp(d)
			if string(key) != string(last) {
				if !send("agent", b) {
					return
				}
				last, lastBeat = key, time.Now()
			}
		}
		if time.Since(lastBeat) > 15*time.Second {
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			lastBeat = time.Now()
		}
		select {
		case <-r.Context().Done():
			return
		case <-closed:
			return
		case <-wake:
		case <-t.C:
		}
		if _, _, err := h.Fed.Session(r.Context(), c.Value); err != nil {
			if r.Context().Err() != nil {
				return
			}
			_, e := sessionFailure(err)
			if e.Type == "unavailable" {
				continue
			}
			b, _ := json.Marshal(e)
			send(e.Type, b)
			return
		}
	}
}

func withoutTimestamp(d *agent.AgentData) []byte {
	ts := d.Snapshot["snapshotTimestamp"]
	delete(d.Snapshot, "snapshotTimestamp")
	b, _ := json.Marshal(d)
	d.Snapshot["snapshotTimestamp"] = ts
	return b
}

// signOut ends the session from the CCP (the page then tells the library
// "terminated").
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	ws, _, err := h.session(r)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"data": nil})
		return
	}
	if !sameOrigin(r, ws) {
		writeJSON(w, http.StatusForbidden, map[string]any{"err": apiError{"forbidden", "Cross-origin request refused."}})
		return
	}
	c, _ := r.Cookie(CookieName)
	if err := h.Fed.SignOut(r.Context(), c.Value); err != nil {
		h.Log.Error("ccp sign-out", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"err": apiError{"unavailable", "Sign-out failed. Try again."}})
		return
	}
	h.Hub.Notify(agent.InstanceKey(connect.Scope{AccountID: ws.AccountID, Region: ws.Region}, ws.InstanceID))
	writeJSON(w, http.StatusOK, map[string]any{"data": nil})
}
