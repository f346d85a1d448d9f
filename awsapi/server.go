// Package awsapi is the wire: it authenticates every request with SigV4,
// routes it by the service in the credential scope (restJson1 for Connect,
// the query protocol for STS and IAM), decodes and validates input, calls
// the domain services, and writes every response and error the way AWS's
// own clients expect.
package awsapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/agent"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/httpchain"
	"github.com/connectfed/connectfed/metrics"
	"github.com/connectfed/connectfed/sigv4"
)

// DefaultMaxBodyBytes caps request bodies; larger ones get 413 and are not
// read further.
const DefaultMaxBodyBytes = 1 << 20

// Config wires a Server.
type Config struct {
	// Store is read directly only for the audit trail.
	Store      connectfed.Store
	Identity   *identity.Service
	Connect    *connect.Service
	Agents     *agent.Service
	Federation *federation.Service
	Logger     *slog.Logger
	Now        func() time.Time
	// PageKey authenticates pagination tokens; replicas must share it.
	PageKey      []byte
	MaxBodyBytes int64
	// MaxInFlight caps concurrent API requests being served (authenticated,
	// body read, not sleeping in a latency fault); past it a request gets
	// ThrottlingException (429) at once. 0 means DefaultMaxInFlight.
	MaxInFlight int
	// MaxPerAccount caps one account's concurrent API requests, from the
	// moment its access key is known (before its body is read) to the
	// answer, latency faults included: one account's load cannot take the
	// capacity others need. 0 means DefaultMaxPerAccount.
	MaxPerAccount int
	// BodyTimeout bounds reading a request body; a client slower than that
	// gets RequestTimeoutException (408). 0 means DefaultBodyTimeout.
	BodyTimeout time.Duration
	Metrics     *metrics.Server
	// Events receives the audit events (writes, token issued, revoked).
	Events connectfed.EventSink
	// Throttle emulates AWS quotas; nil means off.
	Throttle *Throttler
	// Faults are the injected faults (configured and added at run time).
	Faults *Faults
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed for aws:SourceIp and
	// aws:SecureTransport. Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// Refused, when set, refuses credentials as if their key did not
	// exist (published keys off loopback, a disabled account's keys).
	Refused func(accessKeyID, accountID string) bool
	// Seed applies a --seed document (JSON) to an account
	// (POST /connectfed/admin/seed); nil refuses the call.
	Seed func(ctx context.Context, accountID string, doc []byte) error
}

// Defaults of the request limits.
const (
	DefaultMaxInFlight   = 512
	DefaultMaxPerAccount = 128
	DefaultBodyTimeout   = 5 * time.Second
)

// Server serves every AWS protocol on one handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	verifier *sigv4.Verifier
	pager    pager
	inflight chan struct{}
	accounts shares
	chain    *httpchain.Chain
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxPerAccount <= 0 {
		cfg.MaxPerAccount = DefaultMaxPerAccount
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewServer()
	}
	if cfg.Events == nil {
		cfg.Events = connectfed.NopSink{}
	}
	if cfg.Faults == nil {
		cfg.Faults = &Faults{}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pager: pager{key: cfg.PageKey}, inflight: make(chan struct{}, cfg.MaxInFlight),
		accounts: shares{max: cfg.MaxPerAccount}}
	s.chain = &httpchain.Chain{Log: cfg.Logger, Metrics: cfg.Metrics, Now: cfg.Now}
	s.verifier = &sigv4.Verifier{Now: cfg.Now, LookupToken: s.lookup}
	return s
}

func (s *Server) lookup(ctx context.Context, accessKeyID, sessionToken string) (*sigv4.Credential, error) {
	c, err := s.cfg.Identity.CredentialFor(ctx, accessKeyID, sessionToken)
	if err != nil || c == nil {
		return nil, err
	}
	if s.cfg.Refused != nil && s.cfg.Refused(accessKeyID, c.Principal.AccountID) {
		return nil, nil
	}
	return &sigv4.Credential{
		AccessKeyID:  accessKeyID,
		Secret:       c.Secret,
		SessionToken: c.SessionToken,
		Expires:      c.Expires,
		Principal:    c.Principal,
	}, nil
}

// call is one request as the handlers see it.
type call struct {
	ctx       context.Context
	r         *http.Request
	w         http.ResponseWriter
	info      *httpchain.Info
	id        string
	body      []byte
	principal *connectfed.Principal
	scope     connect.Scope
	service   string
	op        string
	target    string // the resource the call was authorized on
	start     time.Time
	// slot is whether the call holds one of the shared serving slots.
	slot bool
	// req is what ctx tells Authorize about the request (identity.WithRequest).
	req identity.RequestInfo
}

// validRegion is whether s has the form of a region name,
// ^[a-z]{2}(-[a-z]+){1,2}-[0-9]$ (written out: it runs on every request).
func validRegion(s string) bool {
	lower := func(c byte) bool { return 'a' <= c && c <= 'z' }
	if len(s) < 2 || !lower(s[0]) || !lower(s[1]) {
		return false
	}
	groups := 0
	for i := 2; i < len(s); {
		if s[i] != '-' {
			return false
		}
		j := i + 1
		for j < len(s) && lower(s[j]) {
			j++
		}
		if j == i+1 { // no letters: it must be the final "-<digit>"
			return groups >= 1 && groups <= 2 && j == len(s)-1 && '0' <= s[j] && s[j] <= '9'
		}
		groups++
		i = j
	}
	return false
}

// httpDate is t as a Date header, formatted once per second.
func httpDate(t time.Time) string {
	sec := t.Unix()
	if d := lastDate.Load(); d != nil && d.sec == sec {
		return d.text
	}
	d := &formattedDate{sec: sec, text: t.UTC().Format(http.TimeFormat)}
	lastDate.Store(d)
	return d.text
}

type formattedDate struct {
	sec  int64
	text string
}

var lastDate atomic.Pointer[formattedDate]

// ServeHTTP authenticates and dispatches one AWS API request. Outside an
// httpchain (a test serving the API alone) it runs in its own chain.
//
// The order keeps unauthenticated and slow clients off the capacity signed
// callers need: everything the headers can answer (authentication syntax,
// signing time, access key, session token, an oversized Content-Length) is
// answered before the body is read and without taking any slot; the body
// is then read under BodyTimeout while holding only a slot of the
// credential's own account; only a request whose signature verified takes
// one of the MaxInFlight shared slots, and gives it back while it sleeps in
// a latency fault.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	info := httpchain.From(r.Context())
	if info == nil {
		s.chain.Wrap(s).ServeHTTP(rw, r)
		return
	}
	c := &call{ctx: r.Context(), r: r, w: rw, info: info, id: info.ID, start: s.cfg.Now()}
	rw.Header().Set("Date", httpDate(c.start))
	defer s.finishCall(c)

	// Until the credential scope names the service, errors are answered in
	// the protocol guessProtocol reads from the request (only then: it
	// splits and unescapes the path).
	if r.ContentLength > s.cfg.MaxBodyBytes {
		s.writeError(c, guessProtocol(r), tooLarge(s.cfg.MaxBodyBytes))
		return
	}
	if mayBeUnsigned(r) && guessProtocol(r) == protoQuery {
		s.serveUnsignedRequest(c)
		return
	}
	pending, err := s.verifier.Preflight(c.ctx, r)
	if err != nil {
		s.authFailed(c, guessProtocol(r), err)
		return
	}
	claimed := pending.Credential().Principal.(*connectfed.Principal).AccountID
	if !s.accounts.acquire(claimed) {
		s.cfg.Metrics.Throttled.Inc("account")
		s.writeError(c, guessProtocol(r), connectfed.TypedErrorf(connectfed.ETHROTTLED, connectfed.ThrottlingException,
			"Rate exceeded: the account is making its maximum of %d concurrent requests.", s.cfg.MaxPerAccount))
		return
	}
	defer s.accounts.release(claimed)
	body, err := readBody(rw, r, s.cfg.MaxBodyBytes, s.cfg.BodyTimeout)
	if err != nil {
		s.writeError(c, guessProtocol(r), err)
		return
	}
	c.body = body
	res, err := pending.Finish(r, body)
	if err != nil {
		s.authFailed(c, guessProtocol(r), err)
		return
	}
	c.service = res.Service
	info.Service = res.Service
	var proto protocol
	switch res.Service {
	case "connect", "sts", "iam":
		proto = protocolOf(res.Service, protoRestJSON)
	default:
		proto = guessProtocol(r)
	}
	switch {
	case res.Service != "connect" && res.Service != "sts" && res.Service != "iam":
		s.writeError(c, proto, &sigv4.Error{Kind: sigv4.KindSignatureMismatch,
			Message: "Credential should be scoped to correct service: 'connect', 'sts' or 'iam'."})
		return
	case !validRegion(res.Region):
		s.writeError(c, proto, &sigv4.Error{Kind: sigv4.KindSignatureMismatch,
			Message: "Credential should be scoped to a valid region."})
		return
	}
	c.principal = res.Credential.Principal.(*connectfed.Principal)
	info.Account, info.Caller = c.principal.AccountID, c.principal.ARN
	c.scope = connect.Scope{AccountID: c.principal.AccountID, Region: res.Region}
	ip, secure := clientAddr(r, s.cfg.TrustedProxies)
	region := res.Region
	if res.Service == "iam" {
		region = "us-east-1" // IAM is global: AWS's requests to it are in us-east-1
	}
	c.req = identity.RequestInfo{SourceIP: ip, SecureTransport: secure, Region: region}
	c.ctx = identity.WithRequest(c.ctx, &c.req)
	if !s.takeSlot() {
		s.writeError(c, proto, s.busy())
		return
	}
	c.slot = true
	defer func() {
		if c.slot {
			<-s.inflight
		}
	}()
	switch proto {
	case protoRestJSON:
		s.serveConnect(c)
	default:
		s.serveQuery(c)
	}
}

// authFailed answers a request whose authentication failed, in the
// protocol of the service its credential scope names when it can be read.
func (s *Server) authFailed(c *call, proto protocol, err error) {
	info, serr := sigv4.Scope(c.r)
	if serr == nil {
		c.service = info.Service
		proto = protocolOf(info.Service, proto)
	}
	s.logAuthFailure(c, info, err)
	s.writeError(c, proto, err)
}

// logAuthFailure says at debug level why a request failed authentication
// (the client only gets AWS's generic message).
func (s *Server) logAuthFailure(c *call, info sigv4.ScopeInfo, err error) {
	if !s.log.Enabled(c.ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("request_id", c.id), slog.String("reason", err.Error())}
	var se *sigv4.Error
	if errors.As(err, &se) && se.Detail != "" {
		attrs = append(attrs, slog.String("detail", se.Detail))
	}
	if info.AccessKeyID != "" {
		attrs = append(attrs, slog.String("access_key", info.AccessKeyID),
			slog.String("scope", info.Date+"/"+info.Region+"/"+info.Service))
	}
	s.log.LogAttrs(c.ctx, slog.LevelDebug, "authentication failed", attrs...)
}

func (s *Server) takeSlot() bool {
	select {
	case s.inflight <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *Server) busy() error {
	s.cfg.Metrics.Throttled.Inc("concurrency")
	return connectfed.TypedErrorf(connectfed.ETHROTTLED, connectfed.ThrottlingException,
		"Rate exceeded: the server is handling its maximum of %d concurrent requests.", s.cfg.MaxInFlight)
}

type protocol int

// protocolOf is the protocol a service speaks (guess for unknown ones).
func protocolOf(service string, guess protocol) protocol {
	switch service {
	case "connect":
		return protoRestJSON
	case "sts", "iam":
		return protoQuery
	}
	return guess
}

const (
	protoRestJSON protocol = iota
	protoQuery
)

// guessProtocol picks the error format for a request whose credential
// scope cannot be read: by route first (a path of a Connect operation is
// answered in restJson1 whatever its method, content type or query), then
// form posts and Action queries are the query protocol (STS, IAM), and
// everything else is restJson1.
func guessProtocol(r *http.Request) protocol {
	if rt, _, otherMethod := matchRest(connectRoutes, r.Method, r.URL.EscapedPath()); rt != nil || otherMethod {
		return protoRestJSON
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return protoQuery
	}
	if r.URL.Query().Has("Action") {
		return protoQuery
	}
	return protoRestJSON
}

// readBody reads the body, at most max bytes, within timeout (on a real
// connection; in-process requests have no deadline to set).
func readBody(w http.ResponseWriter, r *http.Request, max int64, timeout time.Duration) ([]byte, error) {
	if r.ContentLength == 0 {
		return nil, nil
	}
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err == nil && deadline {
		rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		// The rest of the body is not worth waiting for.
		w.Header().Set("Connection", "close")
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(max)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.RequestTimeoutException,
				"The request body was not received within %s.", timeout)
		}
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.SerializationException, "The request body could not be read.")
	}
	return b, nil
}

func tooLarge(max int64) error {
	return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.RequestEntityTooLargeException,
		"Request body exceeds the limit of %s bytes.", strconv.FormatInt(max, 10))
}

func (s *Server) writeError(c *call, proto protocol, err error) {
	var we wireError
	if proto == protoQuery {
		we = resolveQuery(c.service, err)
	} else {
		we = resolveRest(err)
	}
	if we.Internal {
		s.log.Error("request failed", "request_id", c.id, "op", c.op, "err", err)
	}
	c.info.ErrType = we.Type
	if proto == protoQuery {
		writeQueryError(c, we)
	} else {
		writeRestError(c, we)
	}
}

// finishCall completes the request's Info and sends the audit event of a
// successful write; the chain writes the access log and the metrics.
func (s *Server) finishCall(c *call) {
	// The service is a metric label: only the services served, never the
	// name a caller wrote in its credential scope.
	c.info.Service, c.info.Op = c.service, c.op
	switch c.service {
	case "connect", "sts", "iam":
	default:
		c.info.Service = "unknown"
	}
	if (c.info.Status == 0 || c.info.Status == http.StatusOK) && c.info.ErrType == "" && isWrite(c.op) && c.principal != nil {
		s.cfg.Events.Emit(c.ctx, connectfed.Event{Kind: connectfed.EventWrite, Op: c.op, RequestID: c.id,
			AccountID: c.principal.AccountID, Caller: c.principal.ARN, Target: c.target, Source: c.r.RemoteAddr})
	}
}

// isWrite tells which operations change state and so go to the audit
// trail. (GetFederationToken and token revocation send their own events.)
func isWrite(op string) bool {
	for _, p := range []string{"Create", "Delete", "Update", "Put", "AddClientID", "RemoveClientID", "AssumeRole", "ResetAccount", "PutFault", "DeleteFaults", "Start", "Stop", "Associate", "Disassociate", "ApplySeed", "TagResource", "UntagResource", "Attach", "Detach", "SetDefault", "AddUserToGroup", "RemoveUserFromGroup", "TagUser", "TagRole", "UntagUser", "UntagRole", "GetSessionToken"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// gate applies injected faults and emulated quotas to an authenticated call
// whose operation is known. connectfed's own admin calls are exempt, so a
// fault on "*" can always be removed.
func (s *Server) gate(c *call) error {
	if strings.HasPrefix(c.r.URL.Path, "/connectfed/admin/") {
		return nil
	}
	fired, delay, err := s.cfg.Faults.apply(c.principal.AccountID, c.service, c.op)
	if fired != nil {
		s.cfg.Metrics.FaultsInjected.Inc(c.op, fired.ErrorCode)
		s.log.Info("fault injected", "request_id", c.id, "fault", fired.ID, "op", c.op, "error", fired.ErrorCode)
	}
	if delay > 0 {
		// A fault's latency holds only the account's own share, never a
		// shared slot.
		if c.slot {
			<-s.inflight
			c.slot = false
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return c.ctx.Err()
		}
		if !s.takeSlot() {
			return s.busy()
		}
		c.slot = true
	}
	if err != nil {
		return err
	}
	if s.cfg.Throttle != nil && !s.cfg.Throttle.Allow(c.principal.AccountID, c.scope.Region, c.service, c.op) {
		s.cfg.Metrics.Throttled.Inc("quota")
		return connectfed.TypedErrorf(connectfed.ETHROTTLED, connectfed.ThrottlingException, "Rate exceeded")
	}
	return nil
}

// clientAddr is the client's address (aws:SourceIp) and whether it used
// TLS (aws:SecureTransport). The TCP peer is the client unless it is a
// trusted proxy: then X-Forwarded-For is read from the right, skipping
// trusted proxies, and the first other address is the client (all of them
// trusted: the leftmost); X-Forwarded-Proto's last value says whether the
// client used https. An unparsable X-Forwarded-For entry stops the walk at
// the last trusted hop.
func clientAddr(r *http.Request, trusted []netip.Prefix) (string, bool) {
	secure := r.TLS != nil
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return "", secure
	}
	peer := ap.Addr().Unmap()
	if !inPrefixes(peer, trusted) {
		return peer.String(), secure
	}
	client := peer
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap().WithZone("")
		if !inPrefixes(client, trusted) {
			break
		}
	}
	if protos := r.Header.Values("X-Forwarded-Proto"); len(protos) > 0 {
		last := protos[len(protos)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		secure = strings.EqualFold(strings.TrimSpace(last), "https")
	}
	return client.String(), secure
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
