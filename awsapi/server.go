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
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
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
	Federation *federation.Service
	Logger     *slog.Logger
	Now        func() time.Time
	// PageKey authenticates pagination tokens; replicas must share it.
	PageKey      []byte
	MaxBodyBytes int64
	// MaxInFlight caps concurrent API requests; past it a request gets
	// ThrottlingException (429) at once. 0 means DefaultMaxInFlight.
	MaxInFlight int
	Metrics     *metrics.Server
	// Events receives federation events (token issued, revoked, ...).
	Events func(ctx context.Context, event string, attrs ...any)
	// Throttle emulates AWS quotas; nil means off.
	Throttle *Throttler
	// Faults are the injected faults (configured and added at run time).
	Faults *Faults
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed for aws:SourceIp and
	// aws:SecureTransport. Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
}

// DefaultMaxInFlight is the default cap on concurrent API requests.
const DefaultMaxInFlight = 512

// Server serves every AWS protocol on one handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	verifier *sigv4.Verifier
	pager    pager
	inflight chan struct{}
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
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewServer()
	}
	if cfg.Events == nil {
		cfg.Events = func(context.Context, string, ...any) {}
	}
	if cfg.Faults == nil {
		cfg.Faults = &Faults{}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pager: pager{key: cfg.PageKey}, inflight: make(chan struct{}, cfg.MaxInFlight)}
	s.verifier = &sigv4.Verifier{Now: cfg.Now, Lookup: s.lookup}
	return s
}

func (s *Server) lookup(ctx context.Context, accessKeyID string) (*sigv4.Credential, error) {
	c, err := s.cfg.Identity.Credential(ctx, accessKeyID)
	if err != nil || c == nil {
		return nil, err
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
	w         *statusWriter
	id        string
	body      []byte
	principal *connectfed.Principal
	scope     connect.Scope
	service   string
	op        string
	target    string // the resource the call was authorized on
	start     time.Time
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status  int
	errType string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+){1,2}-[0-9]$`)

// ServeHTTP authenticates and dispatches one AWS API request.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	c := &call{ctx: r.Context(), r: r, w: &statusWriter{ResponseWriter: rw}, id: connectfed.NewUUID(), start: s.cfg.Now()}
	h := rw.Header()
	h.Set("x-amzn-RequestId", c.id)
	h.Set("Date", c.start.UTC().Format(http.TimeFormat))
	defer s.logCall(c)

	proto := guessProtocol(r)
	select {
	case s.inflight <- struct{}{}:
		defer func() { <-s.inflight }()
	default:
		s.cfg.Metrics.Throttled.Inc("concurrency")
		s.writeError(c, proto, connectfed.TypedErrorf(connectfed.ETHROTTLED, connectfed.ThrottlingException,
			"Rate exceeded: the server is handling its maximum of %d concurrent requests.", s.cfg.MaxInFlight))
		return
	}
	body, err := readBody(rw, r, s.cfg.MaxBodyBytes)
	if err != nil {
		s.writeError(c, proto, err)
		return
	}
	c.body = body

	// Verify parses the credential scope once; only a failure needs it
	// read again, to answer in the right protocol.
	res, err := s.verifier.Verify(c.ctx, r, body)
	if err != nil {
		if info, serr := sigv4.Scope(r); serr == nil {
			c.service = info.Service
			proto = protocolOf(info.Service, proto)
		}
		s.writeError(c, proto, err)
		return
	}
	c.service = res.Service
	proto = protocolOf(res.Service, proto)
	switch {
	case res.Service != "connect" && res.Service != "sts" && res.Service != "iam":
		s.writeError(c, proto, &sigv4.Error{Kind: sigv4.KindSignatureMismatch,
			Message: "Credential should be scoped to correct service: 'connect', 'sts' or 'iam'."})
		return
	case !regionRE.MatchString(res.Region):
		s.writeError(c, proto, &sigv4.Error{Kind: sigv4.KindSignatureMismatch,
			Message: "Credential should be scoped to a valid region."})
		return
	}
	c.principal = res.Credential.Principal.(*connectfed.Principal)
	c.scope = connect.Scope{AccountID: c.principal.AccountID, Region: res.Region}
	ip, secure := clientAddr(r, s.cfg.TrustedProxies)
	c.ctx = identity.WithRequest(c.ctx, &identity.RequestInfo{SourceIP: ip, SecureTransport: secure, Region: res.Region})
	switch proto {
	case protoRestJSON:
		s.serveConnect(c)
	default:
		s.serveQuery(c)
	}
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

func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(max)
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
	c.w.errType = we.Type
	if proto == protoQuery {
		writeQueryError(c, we)
	} else {
		writeRestError(c, we)
	}
}

func (s *Server) logCall(c *call) {
	if c.w.status == 0 {
		c.w.status = http.StatusOK
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("request_id", c.id), slog.String("service", c.service), slog.String("op", c.op),
		slog.Int("status", c.w.status), slog.Float64("latency_ms", float64(s.cfg.Now().Sub(c.start).Microseconds())/1000))
	if c.principal != nil {
		attrs = append(attrs, slog.String("account", c.principal.AccountID), slog.String("caller", c.principal.ARN))
	}
	if c.w.errType != "" {
		attrs = append(attrs, slog.String("error", c.w.errType))
	}
	s.log.LogAttrs(c.ctx, slog.LevelInfo, "request", attrs...)
	op := c.op
	if op == "" {
		op = "unknown"
	}
	service := c.service
	if service == "" {
		service = "unknown"
	}
	s.cfg.Metrics.Requests.Inc(service, op, c.w.errType)
	if c.w.status == http.StatusOK && isWrite(op) {
		s.cfg.Events(c.ctx, op, "request_id", c.id, "account", c.principal.AccountID, "caller", c.principal.ARN,
			"target", c.target, "source", c.r.RemoteAddr)
	}
	s.cfg.Metrics.Latency.Observe(s.cfg.Now().Sub(c.start).Seconds(), service, op)
}

// isWrite tells which operations change state and so go to the audit
// trail. (GetFederationToken and token revocation send their own events.)
func isWrite(op string) bool {
	for _, p := range []string{"Create", "Delete", "Update", "Put", "AssumeRole", "ResetAccount", "PutFault", "DeleteFaults"} {
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
	fired, err := s.cfg.Faults.apply(c.ctx, c.principal.AccountID, c.service, c.op)
	if fired != nil {
		s.cfg.Metrics.FaultsInjected.Inc(c.op, fired.ErrorCode)
		s.log.Info("fault injected", "request_id", c.id, "fault", fired.ID, "op", c.op, "error", fired.ErrorCode)
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
