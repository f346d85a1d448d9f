// Package connectfedtest starts a connectfed for one Go test, in the
// spirit of net/http/httptest: a real server on a loopback port, with an
// in-memory store, stopped when the test ends.
//
//	func TestSignIn(t *testing.T) {
//		srv := connectfedtest.New(t)
//		inst := srv.Instance("my-contact-center")
//		agent := srv.Agent(inst, "alice")
//		out, err := connect.NewFromConfig(agent.Config).GetFederationToken(ctx,
//			&connect.GetFederationTokenInput{InstanceId: aws.String(inst.ID)})
//		...
//	}
//
// The server answers the AWS API (Connect, IAM, STS) with SigV4 and IAM
// policy evaluation, the sign-in pages, the token endpoints, /saml and the
// CCP, as `connectfed serve --store memory` does, built from the same
// packages (TestSameAssembly in cmd/connectfed keeps the two in step).
// What it leaves out: the request limits and the access log.
// Every server is separate: parallel tests each get their own.
package connectfedtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/agent"
	"github.com/connectfed/connectfed/audit"
	"github.com/connectfed/connectfed/awsapi"
	"github.com/connectfed/connectfed/ccp"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/events"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/sdkhttp"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/metrics"
	"github.com/connectfed/connectfed/seal"
	"github.com/connectfed/connectfed/seed"
	"github.com/connectfed/connectfed/web"
)

// The development account every server has, with its root keys.
const (
	AccountID       = connectfed.DefaultAccountID // 000000000000
	AccessKeyID     = connectfed.DefaultAccessKey // test
	SecretAccessKey = connectfed.DefaultSecretKey // test
	Region          = connectfed.DefaultRegion    // us-east-1
)

// Server is a running connectfed.
type Server struct {
	// URL is the endpoint of every service (http://127.0.0.1:port): the
	// AWS clients' BaseEndpoint, the base of SignInUrl and the token
	// endpoints.
	URL string
	// Region is the region clients sign for (us-east-1).
	Region string

	t         testing.TB
	store     *memory.Store
	ids       *identity.Service
	connect   *connect.Service
	audit     *audit.Recorder
	http      *http.Server
	done      chan error
	closeOnce sync.Once
	// fedBackend is the IAM side of the federation walkthrough, made by the
	// first Agent.
	fedBackend backend
}

type options struct {
	log        io.Writer
	now        func() time.Time
	accessTTL  time.Duration
	refreshTTL time.Duration
	seeds      []string
}

// Option configures New.
type Option func(*options)

// WithLog writes the server's log (text, debug level) to w. By default the
// log is discarded, or written to stderr when tests run with -v and
// CONNECTFEDTEST_LOG=1.
func WithLog(w io.Writer) Option { return func(o *options) { o.log = w } }

// WithClock replaces the server's clock (token expiry, STS sessions,
// signature times), to test expiry without waiting. SigV4 signatures are
// checked against it too, with AWS's 15 minutes of allowed skew: move it
// further only for what is not signed (the sign-in pages and the token
// endpoints), or sign with the same clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithTokenLifetimes sets the federation access and refresh token
// lifetimes (default 1h and 12h).
func WithTokenLifetimes(access, refresh time.Duration) Option {
	return func(o *options) { o.accessTTL, o.refreshTTL = access, refresh }
}

// WithSeed applies a seed document (the YAML or JSON of `connectfed serve
// --seed`) before New returns.
func WithSeed(doc string) Option { return func(o *options) { o.seeds = append(o.seeds, doc) } }

// New starts a server for t on a loopback port and stops it when t ends.
// It fails t if the server cannot start.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{now: time.Now, accessTTL: federation.DefaultAccessTTL, refreshTTL: federation.DefaultRefreshTTL, log: io.Discard}
	if testing.Verbose() && os.Getenv("CONNECTFEDTEST_LOG") == "1" {
		o.log = os.Stderr
	}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := start(o)
	if err != nil {
		t.Fatalf("connectfedtest: %v", err)
	}
	s.t = t
	t.Cleanup(s.Close)
	for _, doc := range o.seeds {
		s.Seed(doc)
	}
	return s
}

func start(o options) (*Server, error) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(o.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	master := make([]byte, 32)
	rand.Read(master)
	sealer, err := seal.NewSealer(master)
	if err != nil {
		return nil, err
	}
	store := memory.New()
	ids := &identity.Service{Store: store, Sealer: sealer, Now: o.now, Log: log, ExplainDenials: true}
	if err := ids.EnsureAccount(ctx, connectfed.Account{ID: AccountID, Name: "development"},
		[]identity.RootKey{{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}}); err != nil {
		return nil, err
	}
	cs := &connect.Service{Store: store, Now: o.now}
	keys, err := federation.OpenKeyRing(ctx, store, sealer, o.now, 24*time.Hour, federation.Retention(o.refreshTTL))
	if err != nil {
		return nil, err
	}
	ids.Keys = keys
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	fed := &federation.Service{Store: store, Connect: cs, Authorizer: ids, Keys: keys, Now: o.now,
		AccessTTL: o.accessTTL, RefreshTTL: o.refreshTTL, PublicURL: url}
	met := metrics.NewServer()
	rec := &audit.Recorder{Store: store, Log: log}
	rec.Start()
	sink := &events.Sink{Audit: rec, Metrics: met, Log: log, Now: o.now}
	hub := &ccp.Hub{}
	agents := &agent.Service{Store: store, Now: o.now, Changed: hub.Notify}
	api := awsapi.New(awsapi.Config{
		Store: store, Identity: ids, Connect: cs, Agents: agents, Federation: fed, Logger: log, Now: o.now,
		PageKey: sealer.DeriveKey("pagination"), Metrics: met, Events: sink, Faults: &awsapi.Faults{},
		Seed: seed.API(ids, cs),
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ready\n") })
	mux.Handle("GET /metrics", met.Registry.Handler())
	(&web.Handler{Fed: fed, Log: log, Now: o.now, Events: sink, Identity: ids}).Register(mux)
	(&ccp.Handler{Fed: fed, Connect: cs, Agents: agents, Hub: hub, Log: log}).Register(mux)
	mux.Handle("/", api)
	s := &Server{URL: url, Region: Region, store: store, ids: ids, connect: cs, audit: rec,
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1)}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// Close stops the server at once (New's cleanup calls it at the end of the
// test; calling it earlier is fine).
func (s *Server) Close() {
	s.closeOnce.Do(s.close)
}

func (s *Server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		s.t.Errorf("connectfedtest: shutdown: %v", err)
	}
	<-s.done
	s.audit.Close()
	s.store.Close()
}

// Config is an aws-sdk-go-v2 configuration for this server with the
// development account's root keys: pass it to connect.NewFromConfig,
// iam.NewFromConfig, sts.NewFromConfig.
func (s *Server) Config() aws.Config {
	return s.ConfigFor(aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey})
}

// ConfigFor is Config with other credentials (an IAM user's keys, or
// temporary credentials with their session token).
func (s *Server) ConfigFor(c aws.Credentials) aws.Config {
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   sdkhttp.New(), // see sdkhttp.Client: a fast answer must not close its own connection
	}
}

// Seed applies a seed document (the YAML or JSON of `connectfed serve
// --seed`; accounts other than the development account are refused) and
// fails the test if it does not apply.
func (s *Server) Seed(doc string) {
	s.t.Helper()
	f, err := seed.Parse([]byte(doc))
	if err == nil {
		err = seed.Apply(context.Background(), f, s.ids, s.connect, map[string]bool{AccountID: true})
	}
	if err != nil {
		s.t.Fatalf("connectfedtest: seed: %v", err)
	}
}

// uniqueSuffix makes names that do not collide within one server.
func uniqueSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
