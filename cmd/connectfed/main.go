// Command connectfed serves Amazon Connect's identity-federation API, and
// the parts of Connect, IAM and STS around it, to unmodified AWS clients.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/agent"
	"github.com/connectfed/connectfed/audit"
	"github.com/connectfed/connectfed/awsapi"
	"github.com/connectfed/connectfed/ccp"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/events"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/httpchain"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/metrics"
	"github.com/connectfed/connectfed/postgres"
	"github.com/connectfed/connectfed/seal"
	"github.com/connectfed/connectfed/seed"
	"github.com/connectfed/connectfed/sqlite"
	"github.com/connectfed/connectfed/web"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "connectfed:", err)
		os.Exit(1)
	}
}

const usage = `connectfed: Amazon Connect identity federation for AWS clients, without AWS.

Usage:
  connectfed serve [flags]   run the server
  connectfed audit [flags]   print an account's audit trail from the store
  connectfed healthcheck     exit 0 when the local server is ready (for a container's HEALTHCHECK)
  connectfed reset           wipe the caller's account on a running server (signed with $AWS_ACCESS_KEY_ID, default test/test)
  connectfed seed FILE       create what a --seed file declares on a running server, where missing
  connectfed call [flags]    simulate an inbound voice call to an instance (call hangup: the caller hangs up)
  connectfed version         print the version

Run 'connectfed serve -h' for the serve flags.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "audit", "healthcheck", "reset", "seed", "call":
		cmd := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
			"audit": runAudit, "healthcheck": runHealthcheck, "reset": runReset, "seed": runSeed, "call": runCall}[args[0]]
		if err := cmd(ctx, args[1:], stdout, stderr); !errors.Is(err, flag.ErrHelp) {
			return err
		}
		return nil
	case "version":
		fmt.Fprintln(stdout, versionLine())
		return nil
	case "serve":
		tuneGC()
		m := NewMain()
		m.Stdout, m.Stderr = stdout, stderr
		if err := m.ParseFlags(args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigs)
		ctx, stop := context.WithCancel(ctx)
		defer stop()
		if err := m.Run(ctx); err != nil {
			if errors.Is(err, seal.ErrWrongKey) {
				err = fmt.Errorf("%w\n\nThe store holds secrets sealed under another master key than this one (--master-key, %s, or %s). "+
					"Start with the master key the store was created with, or with an empty --data-dir (or database) to start afresh; "+
					"replicas on one PostgreSQL database must all have the same --master-key.",
					err, EnvName("master-key"), filepath.Join(m.DataDir, "master.key"))
			}
			return err
		}
		select {
		case s := <-sigs:
			m.log.Info("shutting down", "signal", s.String())
		case <-ctx.Done():
			m.log.Info("shutting down", "reason", context.Cause(ctx).Error())
		}
		return m.Close()
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// tuneGC trades memory for CPU: a request makes short-lived garbage, and at
// the default GOGC=100 the collector runs so often on a small heap that it
// costs a quarter of the server's CPU under load. GOGC=400 with a soft
// memory limit of 1 GiB (past which the collector works harder rather than
// the heap growing) is the default; GOGC and GOMEMLIMIT in the environment
// win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}

// Version is the module version stamped by the Go toolchain, or "devel".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// versionLine is `connectfed version`: the module and its version, and the
// VCS revision and time the Go toolchain stamped into the binary (go
// install and go build from a git checkout both stamp them).
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "connectfed devel (no build information)"
	}
	line := "connectfed " + Version() + " (" + bi.Main.Path
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line += ", revision " + rev
		if settings["vcs.modified"] == "true" {
			line += " with local changes"
		}
		if t := settings["vcs.time"]; t != "" {
			line += " of " + t
		}
	}
	return line + ", " + bi.GoVersion + ")"
}

// Main is the program: ParseFlags, then Run (which returns once the server
// is ready), then Close. Tests boot the real program through it.
type Main struct {
	Listen    string
	DataDir   string
	PublicURL string
	Config    string
	Store     string
	MasterKey string
	TLSCert   string
	TLSKey    string
	LogFormat string
	LogLevel  string
	// Token lifetimes (Go durations); empty means the config file's value
	// or the default.
	AccessTokenTTL  string
	RefreshTokenTTL string
	MaxConcurrent   string
	MaxPerAccount   string
	BodyTimeout     string
	AuditRetention  string
	GCInterval      string
	Throttle        string
	Seed            string
	Pprof           string
	// TrustedProxies lists the addresses (CIDR or single) of reverse
	// proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.
	TrustedProxies string
	ExplainDenials string
	RingTimeout    string
	// DevelopmentKeys is auto (the development account is on, unless the
	// config turns it off, and refused beyond loopback), on (also beyond
	// loopback: for a container whose port only the host's loopback
	// reaches) or off.
	DevelopmentKeys string

	maxInFlight    int
	maxPerAccount  int
	bodyTimeout    time.Duration
	auditRetention time.Duration
	gcInterval     time.Duration
	trustedProxies []netip.Prefix
	ringTimeout    time.Duration
	// onShutdown runs when the server starts shutting down.
	onShutdown []func()

	Stdout, Stderr io.Writer

	// Now is the clock; tests may replace it before Run.
	Now func() time.Time

	store    connectfed.Store
	keys     *federation.KeyRing
	audit    *audit.Recorder
	logBuf   *logBuffer
	stopBG   context.CancelFunc
	bgDone   chan struct{}
	listener net.Listener
	dirLock  *os.File         // the SQLite data dir's lock, held while serving
	chain    *httpchain.Chain // the middleware chain (its in-flight count)
	http     *http.Server
	done     chan error
	log      *slog.Logger
}

// NewMain returns a Main with defaults.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now}
}

// flagDef is one serve flag, its environment variable and default.
type flagDef struct {
	name, def, help string
	dst             *string
}

// flagKinds are the serve flags that are not strings: their value is still
// kept as text, but it is checked on Set, -h shows the type, and a bool flag
// needs no value.
var flagKinds = map[string]string{"pprof": "bool", "max-concurrent-requests": "int", "max-concurrent-per-account": "int"}

func (m *Main) flagDefs() []flagDef {
	return []flagDef{
		{"listen", "127.0.0.1:4577", "address to listen on (host:port)", &m.Listen},
		{"data-dir", "connectfed-data", "directory for the embedded database and the master key", &m.DataDir},
		{"public-url", "", "base URL clients and browsers reach the server at (default http://<listen address>, with 127.0.0.1 for 0.0.0.0)", &m.PublicURL},
		{"config", "", "YAML or JSON file with accounts, root keys and token lifetimes", &m.Config},
		{"store", "sqlite", "where state lives: sqlite (the embedded database in --data-dir), memory (nothing on disk; gone when the server stops) or a postgres://… URL shared by replicas", &m.Store},
		{"master-key", "", "base64 32-byte key that seals secrets (default: <data-dir>/master.key, created on first start)", &m.MasterKey},
		{"throttle", "", "emulate API quotas: off, or aws (Connect's documented 2 requests/s, burst 5, per account, region and operation); default off, or throttle.mode in --config", &m.Throttle},
		{"seed", "", "YAML or JSON file declaring IAM users, roles, policies, instances and users to create at start where missing", &m.Seed},
		{"pprof", "false", "serve Go's profiler at /debug/pprof/ (unauthenticated: for benchmarks, never on a shared network)", &m.Pprof},
		{"tls-cert", "", "PEM certificate (chain) file: serve HTTPS", &m.TLSCert},
		{"tls-key", "", "PEM private key file for --tls-cert", &m.TLSKey},
		{"log-format", "text", "log format: text or json", &m.LogFormat},
		{"log-level", "info", "log level: debug, info, warn or error", &m.LogLevel},
		{"access-token-ttl", "", "federation access token lifetime (default 1h, or tokens.accessTokenTTL in --config)", &m.AccessTokenTTL},
		{"max-concurrent-requests", "512", "concurrent AWS API requests served at once; more get ThrottlingException (429)", &m.MaxConcurrent},
		{"trusted-proxies", "", "comma-separated addresses or CIDR blocks of reverse proxies whose X-Forwarded-For (aws:SourceIp) and X-Forwarded-Proto (aws:SecureTransport) are believed; default none: the TCP peer is the client", &m.TrustedProxies},
		{"explain-denials", "true", "log why each request was refused AccessDenied (action, resource, principal, deciding statement) at info level: true or false", &m.ExplainDenials},
		{"max-concurrent-per-account", "128", "concurrent AWS API requests of one account (from its key being known to the answer, latency faults included); more get ThrottlingException (429); also the size of the pool browser pages and token endpoints share", &m.MaxPerAccount},
		{"body-timeout", "5s", "time a client has to send a request body once its headers are in; slower ones get 408", &m.BodyTimeout},
		{"development-keys", "auto", "the development account 000000000000 and its published keys test/test: auto (on, and refused beyond loopback), on (also beyond loopback: only for a container whose published port only the host's loopback reaches) or off (as defaultAccount: false)", &m.DevelopmentKeys},
		{"audit-retention", "2160h", "how long audit records are kept (a Go duration; default 90 days, as CloudTrail's event history); 0 keeps them forever", &m.AuditRetention},
		{"gc-interval", "1m", "how often expired entries (used and revoked tokens, browser sessions, STS sessions, audit records past retention) are deleted", &m.GCInterval},
		{"refresh-token-ttl", "", "federation refresh token lifetime (default 12h, or tokens.refreshTokenTTL in --config)", &m.RefreshTokenTTL},
		{"ring-timeout", "20s", "how long a contact rings an agent before it is missed (CCP and contact routing)", &m.RingTimeout},
	}
}

var lookupEnv = os.LookupEnv

// EnvName is the environment variable that sets a flag.
func EnvName(flagName string) string {
	return "CONNECTFED_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseFlags reads flags, falling back to CONNECTFED_<FLAG> variables and
// then to defaults.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("connectfed serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	for _, d := range m.flagDefs() {
		kind := flagKinds[d.name]
		v := &textFlag{dst: d.dst, kind: kind}
		*d.dst = d.def
		if env, ok := os.LookupEnv(EnvName(d.name)); ok {
			if err := v.Set(env); err != nil {
				return fmt.Errorf("%s=%q: %v", EnvName(d.name), env, err)
			}
		}
		help := d.help + " (env " + EnvName(d.name) + ")"
		switch kind {
		case "":
			fs.StringVar(d.dst, d.name, *d.dst, help)
		case "int":
			fs.Var(v, d.name, "the `number` of "+help)
		default:
			fs.Var(v, d.name, help)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	n, err := strconv.Atoi(m.MaxConcurrent)
	if err != nil || n < 1 {
		return fmt.Errorf("--max-concurrent-requests %q: want a positive number", m.MaxConcurrent)
	}
	m.maxInFlight = n
	n, err = strconv.Atoi(m.MaxPerAccount)
	if err != nil || n < 1 {
		return fmt.Errorf("--max-concurrent-per-account %q: want a positive number", m.MaxPerAccount)
	}
	m.maxPerAccount = n
	d, err := time.ParseDuration(m.BodyTimeout)
	if err != nil || d <= 0 {
		return fmt.Errorf("--body-timeout %q: want a positive duration such as 5s", m.BodyTimeout)
	}
	m.bodyTimeout = d
	rt, err := time.ParseDuration(m.RingTimeout)
	if err != nil || rt < time.Second || rt > time.Hour {
		return fmt.Errorf("--ring-timeout %q: want a duration from 1s to 1h", m.RingTimeout)
	}
	m.ringTimeout = rt
	if d, err = time.ParseDuration(m.AuditRetention); err != nil || d < 0 {
		return fmt.Errorf("--audit-retention %q: want a duration such as 2160h, or 0 to keep records forever", m.AuditRetention)
	}
	m.auditRetention = d
	if d, err = time.ParseDuration(m.GCInterval); err != nil || d <= 0 {
		return fmt.Errorf("--gc-interval %q: want a positive duration such as 1m", m.GCInterval)
	}
	m.gcInterval = d
	if m.ExplainDenials != "true" && m.ExplainDenials != "false" {
		return fmt.Errorf("--explain-denials %q: want true or false", m.ExplainDenials)
	}
	m.trustedProxies = nil
	for _, v := range strings.Split(m.TrustedProxies, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return fmt.Errorf("--trusted-proxies %q: want addresses or CIDR blocks", v)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		m.trustedProxies = append(m.trustedProxies, p.Masked())
	}
	switch m.DevelopmentKeys {
	case "auto", "on", "off":
	default:
		return fmt.Errorf("--development-keys %q: want auto, on or off", m.DevelopmentKeys)
	}
	if err := checkListen(m.Listen); err != nil {
		return err
	}
	if m.PublicURL != "" {
		if err := checkPublicURL(m.PublicURL); err != nil {
			return err
		}
	}
	return nil
}

// textFlag is a flag kept as text, checked by its kind on Set.
type textFlag struct {
	dst  *string
	kind string
}

func (f *textFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return *f.dst
}

func (f *textFlag) Set(s string) error {
	switch f.kind {
	case "bool":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("want true or false")
		}
		s = strconv.FormatBool(b)
	case "int":
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			return errors.New("want a positive number")
		}
	}
	*f.dst = s
	return nil
}

// IsBoolFlag lets a bool flag be given without a value (-pprof).
func (f *textFlag) IsBoolFlag() bool { return f.kind == "bool" }

// checkListen refuses a --listen that is not host:port.
func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = fmt.Errorf("port %q is not a number from 0 to 65535", port)
		} else if strings.ContainsAny(host, "/ ") {
			err = fmt.Errorf("host %q is not a host name or IP address", host)
		}
	}
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return fmt.Errorf("--listen %q is not an address: want host:port, such as 127.0.0.1:4577 or 0.0.0.0:4577 (%v)", addr, err)
	}
	return nil
}

// checkPublicURL refuses a --public-url that is not an absolute http(s)
// URL without query or fragment.
func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
	case u.Scheme != "http" && u.Scheme != "https":
		err = errors.New("the scheme must be http or https")
	case u.Host == "":
		err = errors.New("it has no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		err = errors.New("it must not have user info, a query or a fragment")
	}
	if err != nil {
		return fmt.Errorf("--public-url %q is not a base URL such as https://connectfed.example.com: %v", s, err)
	}
	return nil
}

func (m *Main) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", m.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	m.logBuf = newLogBuffer(m.Stderr)
	var h slog.Handler
	switch m.LogFormat {
	case "text":
		h = slog.NewTextHandler(m.logBuf, opts)
	case "json":
		h = slog.NewJSONHandler(m.logBuf, opts)
	default:
		m.logBuf.Close()
		return nil, fmt.Errorf("--log-format %q: want text or json", m.LogFormat)
	}
	return slog.New(flushOnWarn{h, m.logBuf}), nil
}

// isLoopback reports whether a listen address only accepts local
// connections.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Run starts the server in named phases and returns once it serves: resolve
// the configuration (every file and flag read and checked, nothing opened),
// open the state (data dir, master key, store), listen, build the services,
// route, serve. If a phase fails, whatever earlier phases opened is closed.
func (m *Main) Run(ctx context.Context) (err error) {
	if err := m.startLog(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	cfg, err := m.resolveConfig()
	if err != nil {
		return err
	}
	// Listen first: a port in use fails before anything is written.
	if err := m.listen(cfg); err != nil {
		return err
	}
	sealer, err := m.openState(ctx, cfg)
	if err != nil {
		return err
	}
	svc, err := m.buildServices(ctx, cfg, sealer)
	if err != nil {
		return err
	}
	m.serve(m.routes(cfg, svc))
	return nil
}

// settings is the resolved configuration: flags over the config file over
// defaults, every value checked.
type settings struct {
	file           FileConfig
	seed           *seed.File // nil without --seed
	accessTTL      time.Duration
	refreshTTL     time.Duration
	defaultAccount bool // the development account (test/test) is on
	// devKeysAnywhere: --development-keys on, the development account and
	// the published keys work beyond loopback too.
	devKeysAnywhere bool
	tls             *tls.Config // nil: plain HTTP
	throttle        *awsapi.Throttler
}

// startLog builds the logger from --log-level and --log-format.
func (m *Main) startLog() error {
	log, err := m.logger()
	if err != nil {
		return err
	}
	m.log = log
	return nil
}

// resolveConfig reads and checks the config file, the seed file, the TLS
// pair and the flags that override them. It opens nothing.
func (m *Main) resolveConfig() (*settings, error) {
	cfg := &settings{}
	if m.Config != "" {
		c, err := LoadConfig(m.Config)
		if err != nil {
			return nil, err
		}
		cfg.file = *c
	}
	fc := &cfg.file
	if m.AccessTokenTTL != "" {
		fc.Tokens.AccessTokenTTL = m.AccessTokenTTL
	}
	if m.RefreshTokenTTL != "" {
		fc.Tokens.RefreshTokenTTL = m.RefreshTokenTTL
	}
	if errs := fc.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("configuration has %d problem(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	cfg.accessTTL, _ = parseTTL(fc.Tokens.AccessTokenTTL)
	cfg.refreshTTL, _ = parseTTL(fc.Tokens.RefreshTokenTTL)
	if cfg.accessTTL == 0 {
		cfg.accessTTL = federation.DefaultAccessTTL
	}
	if cfg.refreshTTL == 0 {
		cfg.refreshTTL = federation.DefaultRefreshTTL
	}
	if cfg.accessTTL > cfg.refreshTTL {
		return nil, fmt.Errorf("the access token lifetime (%s) must not exceed the refresh token lifetime (%s)", cfg.accessTTL, cfg.refreshTTL)
	}
	cfg.defaultAccount = fc.DefaultAccount == nil || *fc.DefaultAccount
	switch m.DevelopmentKeys {
	case "off":
		cfg.defaultAccount = false
	case "on":
		cfg.defaultAccount, cfg.devKeysAnywhere = true, true
	}
	if cfg.defaultAccount && !isLoopback(m.Listen) && !cfg.devKeysAnywhere {
		return nil, fmt.Errorf("refusing to listen on %s with the default development keys (test/test): listen on loopback, or set defaultAccount: false in --config and declare accounts (or, in a container whose port only the host's loopback reaches, --development-keys on)", m.Listen)
	}
	if m.Seed != "" {
		sf, err := seed.Load(m.Seed)
		if err != nil {
			return nil, err
		}
		cfg.seed = sf
	}
	if (m.TLSCert == "") != (m.TLSKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if m.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(m.TLSCert, m.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		cfg.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	throttle, err := m.throttler(fc.Throttle)
	if err != nil {
		return nil, err
	}
	cfg.throttle = throttle
	return cfg, nil
}

// openState makes the data dir, loads (or creates) the master key and opens
// the store (m.store).
func (m *Main) openState(ctx context.Context, cfg *settings) (*seal.Sealer, error) {
	inMemory := m.Store == "memory" // nothing on disk: no data dir, no master key file
	if !inMemory {
		if err := os.MkdirAll(m.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		if m.Store == "sqlite" || m.Store == "" {
			lock, err := lockDataDir(m.DataDir)
			if err != nil {
				return nil, err
			}
			m.dirLock = lock
		}
	}
	var master []byte
	var err error
	switch {
	case m.MasterKey != "":
		master, err = seal.ParseMasterKey(m.MasterKey)
	case inMemory:
		master = make([]byte, 32)
		_, err = rand.Read(master)
	default:
		master, err = seal.LoadOrCreateMasterKey(filepath.Join(m.DataDir, "master.key"))
	}
	if err != nil {
		return nil, err
	}
	sealer, err := seal.NewSealer(master)
	if err != nil {
		return nil, err
	}
	store, err := m.openStore(ctx)
	if err != nil {
		return nil, err
	}
	m.store = store
	return sealer, nil
}

// listen binds the listen address (m.listener) and settles the public URL,
// which defaults to the bound address.
func (m *Main) listen(cfg *settings) error {
	ln, err := net.Listen("tcp", m.Listen)
	if err != nil {
		return err
	}
	if cfg.tls != nil {
		ln = tls.NewListener(ln, cfg.tls)
	}
	m.listener = ln
	if m.PublicURL == "" {
		scheme := "http://"
		if cfg.tls != nil {
			scheme = "https://"
		}
		addr := ln.Addr().String()
		// Listening on every interface (0.0.0.0, as in a container): a
		// URL with the unspecified address reaches nothing, so say
		// 127.0.0.1 (a port published on the host's loopback).
		if host, port, err := net.SplitHostPort(addr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
		}
		m.PublicURL = scheme + addr
	}
	m.PublicURL = strings.TrimRight(m.PublicURL, "/")
	return nil
}

// services are the domain services and the pieces the routes share.
type services struct {
	sealer   *seal.Sealer
	identity *identity.Service
	connect  *connect.Service
	fed      *federation.Service
	agents   *agent.Service
	hub      *ccp.Hub
	metrics  *metrics.Server
	events   *events.Sink
	creds    credentialPolicy
}

// buildServices makes the services over the store, brings the accounts and
// the seed to their configured state, opens the token key ring and starts
// the audit recorder (m.keys, m.audit).
func (m *Main) buildServices(ctx context.Context, cfg *settings, sealer *seal.Sealer) (*services, error) {
	store := m.store
	ids := &identity.Service{Store: store, Sealer: sealer, Now: m.Now, Log: m.log, ExplainDenials: m.ExplainDenials == "true"}
	if err := m.ensureAccounts(ctx, cfg, ids); err != nil {
		return nil, err
	}
	connectSvc := &connect.Service{Store: store, Now: m.Now}
	if cfg.seed != nil {
		known := map[string]bool{}
		if cfg.defaultAccount {
			known[connectfed.DefaultAccountID] = true
		}
		for _, a := range cfg.file.Accounts {
			known[a.ID] = true
		}
		if err := seed.Apply(ctx, cfg.seed, ids, connectSvc, known); err != nil {
			return nil, err
		}
		m.log.Info("seed applied", "file", m.Seed)
	}
	creds := credentialPolicy{offLoopback: !isLoopback(m.Listen) && !cfg.devKeysAnywhere, devOff: !cfg.defaultAccount}
	if cfg.devKeysAnywhere && !isLoopback(m.Listen) {
		m.log.Warn("development keys enabled beyond loopback (--development-keys on): anyone who reaches "+m.Listen+" can sign with test/test and the published keys",
			"listen", m.Listen)
	}
	creds.report(ctx, m.log, ids)
	keys, err := federation.OpenKeyRing(ctx, store, sealer, m.Now, keyRotation, federation.Retention(cfg.refreshTTL))
	if err != nil {
		return nil, err
	}
	m.keys = keys
	ids.Keys = keys // STS session tokens are sealed under the same ring
	fed := &federation.Service{Store: store, Connect: connectSvc, Authorizer: ids, Keys: keys, Now: m.Now,
		AccessTTL: cfg.accessTTL, RefreshTTL: cfg.refreshTTL, PublicURL: m.PublicURL}
	met := metrics.NewServer()
	m.audit = &audit.Recorder{Store: store, Log: m.log, Retention: m.auditRetention}
	m.audit.Start()
	hub := &ccp.Hub{}
	m.onShutdown = append(m.onShutdown, hub.Close) // open CCP streams end
	agents := &agent.Service{Store: store, Now: m.Now, RingTimeout: m.ringTimeout, Changed: hub.Notify}
	return &services{sealer: sealer, identity: ids, connect: connectSvc, fed: fed, agents: agents, hub: hub, metrics: met,
		events: &events.Sink{Audit: m.audit, Metrics: met, Log: m.log, Now: m.Now}, creds: creds}, nil
}

// ensureAccounts makes the development account and the configured accounts
// exist with their root keys, and removes the development key when the
// development account is off.
func (m *Main) ensureAccounts(ctx context.Context, cfg *settings, ids *identity.Service) error {
	var err error
	if cfg.defaultAccount {
		err = ids.EnsureAccount(ctx, connectfed.Account{ID: connectfed.DefaultAccountID, Name: "development"},
			[]identity.RootKey{{AccessKeyID: connectfed.DefaultAccessKey, SecretAccessKey: connectfed.DefaultSecretKey}})
	} else {
		err = ids.RemoveRootKey(ctx, connectfed.DefaultAccessKey)
	}
	if err != nil {
		return fmt.Errorf("development account: %w", err)
	}
	for _, a := range cfg.file.Accounts {
		keys := make([]identity.RootKey, 0, len(a.RootKeys))
		for _, k := range a.RootKeys {
			keys = append(keys, identity.RootKey{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey})
		}
		if err := ids.EnsureAccount(ctx, connectfed.Account{ID: a.ID, Name: a.Name}, keys); err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
	}
	return nil
}

// routes builds the handler tree: health, readiness, metrics, pprof, the
// web pages and token endpoints, and the AWS API for everything else.
func (m *Main) routes(cfg *settings, svc *services) http.Handler {
	faults := &awsapi.Faults{}
	for _, f := range cfg.file.Faults {
		faults.Add(f)
	}
	api := awsapi.New(awsapi.Config{
		Store:         m.store,
		Identity:      svc.identity,
		Connect:       svc.connect,
		Agents:        svc.agents,
		Federation:    svc.fed,
		Logger:        m.log,
		Now:           m.Now,
		PageKey:       svc.sealer.DeriveKey("pagination"),
		MaxInFlight:   m.maxInFlight,
		MaxPerAccount: m.maxPerAccount,
		BodyTimeout:   m.bodyTimeout,
		Metrics:       svc.metrics,
		Events:        svc.events,
		Throttle:      cfg.throttle,
		Faults:        faults,
		// aws:SourceIp and aws:SecureTransport behind these proxies.
		TrustedProxies: m.trustedProxies,
		Refused:        svc.creds.refused,
		Seed:           seed.API(svc.identity, svc.connect),
	})
	mux := httpchain.NewRoutes()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", m.ready)
	mux.Handle("GET /metrics", svc.metrics.Registry.Handler())
	if m.Pprof == "true" {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	}
	(&web.Handler{
		Fed: svc.fed, Log: m.log, Now: m.Now, SecureCookies: cfg.tls != nil || strings.HasPrefix(m.PublicURL, "https://"),
		Events: svc.events, Identity: svc.identity,
	}).Register(mux)
	(&ccp.Handler{Fed: svc.fed, Connect: svc.connect, Agents: svc.agents, Hub: svc.hub, Log: m.log}).Register(mux)
	mux.Handle("/", api)
	m.chain = &httpchain.Chain{Log: m.log, Metrics: svc.metrics, Now: m.Now}
	return endpoints(m.chain, mux, api, m.maxPerAccount, m.bodyTimeout)
}

// ready answers /readyz: ready means the store answers its health probe.
func (m *Main) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := m.store.Health(ctx)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		m.log.Warn("not ready: store does not answer", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "store unavailable\n")
		return
	}
	io.WriteString(w, "ready\n")
}

// serve starts the HTTP server on m.listener and the background
// maintenance, and logs the ready line.
func (m *Main) serve(h http.Handler) {
	m.http = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	for _, f := range m.onShutdown {
		m.http.RegisterOnShutdown(f)
	}
	m.done = make(chan error, 1)
	go func() { m.done <- m.http.Serve(m.listener) }()
	bg, stop := context.WithCancel(context.Background())
	m.stopBG, m.bgDone = stop, make(chan struct{})
	go m.maintain(bg)
	m.log.Info("connectfed ready", "version", Version(), "listen", m.listener.Addr().String(), "public_url", m.PublicURL, "data_dir", m.DataDir)
	m.logBuf.Flush() // the ready line is what scripts wait for
}

// openStore opens the embedded SQLite database, PostgreSQL, or an
// in-memory store (gone when the process ends).
func (m *Main) openStore(ctx context.Context) (connectfed.Store, error) {
	switch {
	case m.Store == "memory":
		return memory.New(), nil
	case m.Store == "sqlite" || m.Store == "":
		db, err := sqlite.Open(ctx, filepath.Join(m.DataDir, "connectfed.db"))
		if err != nil {
			return nil, fmt.Errorf("open the embedded store: %w", err)
		}
		return db, nil
	case strings.HasPrefix(m.Store, "postgres://") || strings.HasPrefix(m.Store, "postgresql://"):
		if m.MasterKey == "" {
			m.log.Warn("--store is PostgreSQL but --master-key is not set: every replica must share one master key, or they cannot read each other's secrets")
		}
		db, err := postgres.Open(ctx, m.Store)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return db, nil
	}
	return nil, fmt.Errorf("--store %q: want sqlite, memory or a postgres:// URL", m.Store)
}

// throttler builds the quota emulation: "off" disables it; "aws" applies
// Connect's documented quotas plus the config's rates; unset applies just
// the config's rates (none: no throttling).
func (m *Main) throttler(tc ThrottleConfig) (*awsapi.Throttler, error) {
	mode := tc.Mode
	if m.Throttle != "" {
		mode = m.Throttle
	}
	rates := map[string]awsapi.Rate{}
	switch mode {
	case "off":
		return nil, nil
	case "aws":
		for op, r := range awsapi.AWSConnectRates {
			rates[op] = r
		}
	case "":
	default:
		return nil, fmt.Errorf("--throttle %q: want off or aws", mode)
	}
	for op, r := range tc.Rates {
		rates[op] = r
	}
	if len(rates) == 0 {
		return nil, nil
	}
	return &awsapi.Throttler{Rates: rates, Now: m.Now}, nil
}

// keyRotation is how often the token signing key is replaced.
const keyRotation = 24 * time.Hour

// maintain rotates token keys (and reloads keys other replicas made).
func (m *Main) maintain(ctx context.Context) {
	defer close(m.bgDone)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	gc := time.NewTicker(m.gcInterval)
	defer gc.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.keys.Maintain(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("token key maintenance failed", "err", err)
			}
		case <-gc.C:
			m.collectGarbage(ctx)
		}
	}
}

// collectGarbage deletes the entries whose expiry has passed (the store's
// expiry index).
func (m *Main) collectGarbage(ctx context.Context) {
	start := time.Now()
	n, err := connectfed.GarbageCollect(ctx, m.store, m.Now())
	if err != nil && ctx.Err() == nil {
		m.log.Warn("garbage collection failed", "deleted", n, "err", err)
		return
	}
	if n > 0 {
		if m.chain != nil && m.chain.Metrics != nil {
			m.chain.Metrics.ExpiredDeleted.Add(uint64(n))
		}
		m.log.Info("expired entries deleted", "deleted", n, "took_ms", time.Since(start).Milliseconds())
	}
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Close stops accepting, lets in-flight requests finish (bounded) and
// closes the store. It closes whatever Run opened, also after Run failed
// part way, and a second call does nothing.
func (m *Main) Close() error {
	var errs []error
	if m.stopBG != nil {
		m.stopBG()
		<-m.bgDone
		m.stopBG = nil
	}
	if m.http != nil {
		start, inFlight := time.Now(), m.chain.Active()
		pending := m.audit.Pending()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := m.http.Shutdown(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		m.log.Info("drained", "requests_in_flight", inFlight, "requests_cut_off", m.chain.Active(),
			"audit_records_pending", pending, "took_ms", time.Since(start).Milliseconds())
		if err := <-m.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		m.http = nil
	} else if m.listener != nil {
		m.listener.Close() // bound but never served
	}
	if m.audit != nil {
		m.audit.Close()
		m.audit = nil
	}
	if m.store != nil {
		if err := m.store.Close(); err != nil {
			errs = append(errs, err)
		}
		m.store = nil
	}
	if m.dirLock != nil {
		m.dirLock.Close()
		m.dirLock = nil
	}
	if m.logBuf != nil {
		m.logBuf.Close()
		m.logBuf = nil
	}
	return errors.Join(errs...)
}
