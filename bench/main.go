// Command bench measures connectfed under load, next to a bare net/http
// ceiling and moto, and writes BENCHMARKS.md.
//
//	go run ./bench                 # every scenario, 1,000,000 seeded users
//	go run ./bench -h              # flags
//
// It builds the connectfed binary, starts every server it measures as a
// child process on a loopback port with a temporary data dir, seeds state,
// drives each scenario with a closed-loop load generator whose requests are
// each freshly SigV4-signed with aws-sdk-go-v2, reads the server's CPU time
// and memory from /proc, and stops everything at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ceiling-server" {
		if err := ceilingServer(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "ceiling-server:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stopAll()
		os.Exit(1)
	}
}

// Scenario names, in the order they run.
const (
	scCeiling    = "ceiling"
	scGFT        = "GetFederationToken"
	scDescUser   = "DescribeUser"
	scAssumeRole = "AssumeRole"
	scCreateUser = "CreateUser"
	scDescInstCF = "DescribeInstance-connectfed"
	scGFT1M      = "GetFederationToken-1M"
	scMoto       = "moto"
	// Server-bound: wrk replaying one pre-signed request.
	scCeilingWrk  = "ceiling-wrk"
	scGFTWrk      = "GetFederationToken-wrk"
	scDescUserWrk = "DescribeUser-wrk"
	// Open loop at half the peak GetFederationToken rate.
	scOpenCeiling = "open-loop-ceiling"
	scOpenGFT     = "open-loop-GetFederationToken"
	// connectfed on PostgreSQL.
	scGFTPG           = "GetFederationToken-pg"
	scDescUserPG      = "DescribeUser-pg"
	scAssumeRolePG    = "AssumeRole-pg"
	scCreateUserPG    = "CreateUser-pg"
	scGFTPG2          = "GetFederationToken-pg-2replicas"
	scGFTPGBig        = "GetFederationToken-pg-big"
	scCreateUserPGBig = "CreateUser-pg-big"
)

var allScenarios = []string{scCeiling, scGFT, scDescUser, scCeilingWrk, scGFTWrk, scDescUserWrk, scOpenCeiling, scOpenGFT,
	scAssumeRole, scCreateUser, scDescInstCF, scGFT1M, scGFTPG, scDescUserPG, scAssumeRolePG, scCreateUserPG, scGFTPG2, scGFTPGBig, scCreateUserPGBig, scMoto}

var pgScenarioNames = []string{scGFTPG, scDescUserPG, scAssumeRolePG, scCreateUserPG, scGFTPG2, scGFTPGBig, scCreateUserPGBig}

type options struct {
	conns          int
	dur, warmup    time.Duration
	users          int
	cacheDir       string
	out            string
	scenarios      map[string]bool
	noMoto         bool
	profScenario   string
	profSeconds    int
	profDir        string
	pprofOverlay   bool
	serverLogLevel string
	connectfedBin  string
	keep           bool
	startRuns      int
	quietWait      time.Duration
	pgURL          string
	pgUsers        int
	pgPool         int
	openRate       float64
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: go run ./bench [flags]

Benchmarks connectfed: builds it, starts it (and a bare net/http ceiling
server, and moto_server) as child processes on loopback, seeds state, runs
each scenario with freshly SigV4-signed requests, and writes a markdown
report to stdout and to -o.

Scenarios, in order: %s

Flags:
`, strings.Join(allScenarios, ", "))
		fs.PrintDefaults()
	}
	fs.IntVar(&o.conns, "c", 32, "concurrent connections (workers), each with one request in flight")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "measured duration per scenario")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up per scenario before measuring (not recorded)")
	fs.IntVar(&o.users, "users", 1_000_000, "Connect users in the instance of the "+scGFT1M+" scenario")
	fs.StringVar(&o.cacheDir, "cache-dir", filepath.Join(os.TempDir(), "connectfed-bench-1m"),
		"where seeded data dirs are kept and reused (one per -users value: <cache-dir>/users-<n>)")
	fs.StringVar(&o.out, "o", "", "write the report here too (default BENCHMARKS.md in the repository root; - for stdout only)")
	only := fs.String("scenarios", "", "comma-separated scenarios to run (default all)")
	fs.BoolVar(&o.noMoto, "no-moto", false, "skip the moto scenario")
	fs.StringVar(&o.profScenario, "cpuprofile-scenario", "", "fetch a CPU profile from the server during this scenario (GET /debug/pprof/profile)")
	fs.IntVar(&o.profSeconds, "cpuprofile-seconds", 5, "length of the CPU profile, seconds")
	fs.StringVar(&o.profDir, "cpuprofile-dir", os.TempDir(), "where to save the CPU profile (bench-<scenario>.pprof)")
	fs.BoolVar(&o.pprofOverlay, "pprof-overlay", false, "build connectfed with a go build -overlay file that serves net/http/pprof on a second loopback port "+
		"(no source change); -cpuprofile-scenario then fetches from there")
	fs.StringVar(&o.serverLogLevel, "server-log-level", "info", "connectfed --log-level (its log goes to a file in the temp dir)")
	fs.StringVar(&o.connectfedBin, "connectfed-bin", "", "use this connectfed binary instead of building ./cmd/connectfed")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp dir (binaries, data dirs, server logs)")
	fs.IntVar(&o.startRuns, "start-runs", 3, "how many times to start the server on the seeded data dir to time start-to-healthz (median reported)")
	fs.DurationVar(&o.quietWait, "quiet-wait", 60*time.Second, "before each scenario, wait up to this long for the rest of the machine to go quiet "+
		"(under 0.2 busy cores while the servers idle), since another process's CPU use skews the numbers; 0 to not wait")
	defPG := os.Getenv("CONNECTFED_TEST_POSTGRES")
	if defPG == "" {
		defPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	fs.StringVar(&o.pgURL, "pg", defPG, "PostgreSQL server for the *-pg scenarios (a URL to a database the bench may CREATE DATABASE from; "+
		"each run makes its own database and drops it); \"off\" skips them (default $CONNECTFED_TEST_POSTGRES or the local server)")
	fs.IntVar(&o.pgUsers, "pg-users", 100_000, "Connect users in the instance of the "+scGFTPGBig+" scenario (seeded once into a template database, reused)")
	fs.IntVar(&o.pgPool, "pg-pool", 0, "pool_max_conns for connectfed's PostgreSQL pool (0: connectfed's default)")
	fs.Float64Var(&o.openRate, "open-rate", 0, "arrival rate of the open-loop scenarios, requests/s (default half the "+scGFT+" rate measured in this run)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.conns < 1 || o.dur <= 0 || o.warmup < 0 || o.users < 1 || o.startRuns < 1 {
		return nil, errors.New("-c, -d, -users and -start-runs must be positive")
	}
	o.scenarios = map[string]bool{}
	if *only == "" {
		for _, s := range allScenarios {
			o.scenarios[s] = true
		}
	} else {
		for _, s := range strings.Split(*only, ",") {
			s = strings.TrimSpace(s)
			if !contains(allScenarios, s) {
				return nil, fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(allScenarios, ", "))
			}
			o.scenarios[s] = true
		}
	}
	if o.noMoto {
		delete(o.scenarios, scMoto)
	}
	if o.pgURL == "off" {
		for _, s := range pgScenarioNames {
			delete(o.scenarios, s)
		}
	}
	if o.profScenario != "" && !contains(allScenarios, o.profScenario) {
		return nil, fmt.Errorf("-cpuprofile-scenario %q: unknown scenario", o.profScenario)
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// children are stopped on exit and on ^C.
var (
	childrenMu sync.Mutex
	children   []*child
)

func track(c *child) *child {
	childrenMu.Lock()
	children = append(children, c)
	childrenMu.Unlock()
	return c
}

func stopChild(c *child) error {
	if c == nil {
		return nil
	}
	childrenMu.Lock()
	for i, x := range children {
		if x == c {
			children = append(children[:i], children[i+1:]...)
			break
		}
	}
	childrenMu.Unlock()
	return c.stop()
}

func stopAll() {
	childrenMu.Lock()
	cs := children
	children = nil
	childrenMu.Unlock()
	for _, c := range cs {
		c.stop()
	}
}

// run is the whole benchmark.
func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = filepath.Join(root, "BENCHMARKS.md")
	}
	tmp, err := os.MkdirTemp("", "connectfed-bench-")
	if err != nil {
		return err
	}
	cleanup := func() {
		stopAll()
		if !o.keep {
			os.RemoveAll(tmp)
		}
	}
	if o.keep {
		logf("temp dir (kept): %s", tmp)
	}
	defer cleanup()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "\nbench: interrupted; stopping servers")
		cleanup()
		os.Exit(130)
	}()

	b := &bench{o: o, tmp: tmp, root: root, runID: strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
	b.rep.start = time.Now()
	b.rep.cmdline = "go run ./bench " + strings.Join(args, " ")
	b.rep.opts = o
	if err := b.all(); err != nil {
		return err
	}
	md := b.rep.markdown()
	// The analysis (what the profiles showed, what each change bought) is
	// kept by hand in bench/NOTES.md and carried into every report.
	if notes, err := os.ReadFile(filepath.Join(root, "bench", "NOTES.md")); err == nil {
		md += "\n" + string(notes)
	}
	fmt.Println()
	fmt.Print(md)
	if o.out != "-" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
		logf("wrote %s", o.out)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// repoRoot finds the directory of the connectfed go.mod, from the working
// directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module github.com/connectfed/connectfed\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the connectfed module (no go.mod with module github.com/connectfed/connectfed above the working directory)")
		}
		dir = parent
	}
}

type bench struct {
	o     *options
	tmp   string
	root  string
	runID string
	bin   string // connectfed binary
	rep   report
	pprof map[*child]string // side pprof address per connectfed child (-pprof-overlay)
}

// overlaySource is added to package main of cmd/connectfed at build time
// with -pprof-overlay: it serves net/http/pprof on its own loopback port,
// so the server's code and its mux are unchanged.
const overlaySource = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("CONNECTFED_BENCH_PPROF_ADDR"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
`

func (b *bench) build() error {
	if b.o.connectfedBin != "" {
		b.bin = b.o.connectfedBin
		return nil
	}
	b.bin = filepath.Join(b.tmp, "connectfed")
	args := []string{"build", "-o", b.bin}
	if b.o.pprofOverlay {
		src := filepath.Join(b.tmp, "zz_bench_pprof.go")
		if err := os.WriteFile(src, []byte(overlaySource), 0o644); err != nil {
			return err
		}
		ov := filepath.Join(b.tmp, "overlay.json")
		dst := filepath.Join(b.root, "cmd", "connectfed", "zz_bench_pprof.go")
		if err := os.WriteFile(ov, []byte(fmt.Sprintf(`{"Replace":{%q:%q}}`, dst, src)), 0o644); err != nil {
			return err
		}
		args = append(args, "-overlay", ov)
	}
	args = append(args, "./cmd/connectfed")
	start := time.Now()
	cmd := exec.Command("go", args...)
	cmd.Dir = b.root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	logf("built connectfed in %.1fs", time.Since(start).Seconds())
	return nil
}

// startConnectfed starts `connectfed serve` on a free port with dataDir.
func (b *bench) startConnectfed(name, dataDir string, extra ...string) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var env []string
	pprofAddr := ""
	if b.o.pprofOverlay {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		pprofAddr = "127.0.0.1:" + strconv.Itoa(pp)
		env = append(env, "CONNECTFED_BENCH_PPROF_ADDR="+pprofAddr)
	}
	argv := append([]string{b.bin, "serve", "--listen", addr, "--data-dir", dataDir, "--log-level", b.o.serverLogLevel}, extra...)
	c, err := startChild(name, argv, env, addr, filepath.Join(b.tmp, name+".log"), 60*time.Second, healthz)
	if err != nil {
		return nil, err
	}
	if pprofAddr != "" {
		if b.pprof == nil {
			b.pprof = map[*child]string{}
		}
		b.pprof[c] = pprofAddr
	}
	return track(c), nil
}

func (b *bench) all() error {
	o := b.o
	if err := b.build(); err != nil {
		return err
	}
	ctx := context.Background()

	// Seed (or reuse) the big data dir first, before any server runs.
	var seedDir string
	var meta seedMeta
	if o.scenarios[scGFT1M] {
		logf("seeded data dir for %d users: %s", o.users, filepath.Join(o.cacheDir, fmt.Sprintf("users-%d", o.users)))
		var seeded bool
		var err error
		seedDir, meta, seeded, err = cachedSeed(ctx, o.cacheDir, o.users, os.Stderr)
		if err != nil {
			return fmt.Errorf("seed %d users: %w", o.users, err)
		}
		b.rep.seed = &seedInfo{users: o.users, dir: seedDir, seeded: seeded, seconds: meta.SeedSeconds, seededAt: meta.SeededAt}
		if seeded {
			logf("seeded %d users in %.1fs", o.users, meta.SeedSeconds)
		} else {
			logf("reusing cached data dir (seeded %s in %.1fs)", meta.SeededAt.Format(time.RFC3339), meta.SeedSeconds)
		}
		b.rep.seed.bytes = dirSize(seedDir)
	}

	needMain := false
	for _, s := range []string{scCeiling, scGFT, scDescUser, scAssumeRole, scCreateUser, scDescInstCF, scMoto,
		scCeilingWrk, scGFTWrk, scDescUserWrk, scOpenCeiling, scOpenGFT} {
		needMain = needMain || o.scenarios[s]
	}
	if needMain {
		if err := b.mainServer(ctx); err != nil {
			return err
		}
	}
	if o.scenarios[scGFT1M] {
		if err := b.bigServer(ctx, seedDir, meta); err != nil {
			return err
		}
	}
	pg := false
	for _, s := range pgScenarioNames {
		pg = pg || o.scenarios[s]
	}
	if pg {
		if err := b.pgScenarios(ctx); err != nil {
			return err
		}
	}
	if o.scenarios[scMoto] {
		if err := b.motoScenario(ctx); err != nil {
			return err
		}
	}
	return nil
}

// mainServer runs the scenarios on a fresh connectfed (and the ceiling,
// whose response body is a real GetFederationToken answer from it).
func (b *bench) mainServer(ctx context.Context) error {
	o := b.o
	dataDir := filepath.Join(b.tmp, "data-main")
	srv, err := b.startConnectfed("connectfed", dataDir)
	if err != nil {
		return err
	}
	b.rep.mainStart = &startInfo{readyIn: []time.Duration{srv.readyIn}, idleRSS: srv.idleRSS}
	logf("connectfed ready in %v, idle RSS %.1f MiB", srv.readyIn.Round(time.Microsecond), mib(srv.idleRSS))

	f, err := createInstance(ctx, srv.url(), "bench")
	if err != nil {
		return err
	}
	f.fedUsername = "alice"
	if f.fedUserID, err = createConnectUser(ctx, srv.url(), f, f.fedUsername); err != nil {
		return err
	}
	if err := setupFederation(ctx, srv.url(), f); err != nil {
		return err
	}
	gftBody, err := checkGFT(ctx, srv.url(), f)
	if err != nil {
		return err
	}
	b.rep.gftBytes = len(gftBody)

	var ceil *child
	if o.scenarios[scCeiling] || o.scenarios[scCeilingWrk] || o.scenarios[scOpenCeiling] {
		bodyFile := filepath.Join(b.tmp, "ceiling-body.json")
		if err := os.WriteFile(bodyFile, gftBody, 0o644); err != nil {
			return err
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		ceil, err = startChild("ceiling", []string{self, "ceiling-server", "-listen", addr, "-body", bodyFile}, nil,
			addr, filepath.Join(b.tmp, "ceiling.log"), 30*time.Second, healthz)
		if err != nil {
			return err
		}
		track(ceil)
		defer func() {
			if err := stopChild(ceil); err != nil {
				logf("ceiling server: %v", err)
			}
		}()
	}
	// The same signed GetFederationToken requests go to the ceiling, which
	// ignores the signature.
	gftTo := func(c *child) target {
		return target{baseURLs: []string{c.url()}, creds: f.session, service: "connect", region: region, next: gftRequest(f.instanceID)}
	}
	duTo := func(c *child) target {
		return target{baseURLs: []string{c.url()}, creds: rootCreds, service: "connect", region: region, next: describeUserRequest(f.instanceID, f.fedUserID)}
	}
	if o.scenarios[scCeiling] {
		b.scenario(scCeiling, ceil, gftTo(ceil))
	}
	var gft *result
	if o.scenarios[scGFT] {
		gft = b.scenario(scGFT, srv, gftTo(srv))
	}
	if o.scenarios[scDescUser] {
		b.scenario(scDescUser, srv, duTo(srv))
	}
	if o.scenarios[scCeilingWrk] {
		b.scenarioOn(scCeilingWrk, []*child{ceil}, nil, b.wrkLoad(gftTo(ceil)))
	}
	if o.scenarios[scGFTWrk] {
		b.scenarioOn(scGFTWrk, []*child{srv}, nil, b.wrkLoad(gftTo(srv)))
	}
	if o.scenarios[scDescUserWrk] {
		b.scenarioOn(scDescUserWrk, []*child{srv}, nil, b.wrkLoad(duTo(srv)))
	}
	rate := o.openRate
	if rate <= 0 && gft != nil && gft.load != nil {
		rate = gft.load.rps() / 2
	}
	for _, x := range []struct {
		name string
		c    *child
	}{{scOpenCeiling, ceil}, {scOpenGFT, srv}} {
		if !o.scenarios[x.name] {
			continue
		}
		if rate <= 0 {
			b.rep.add(&result{name: x.name, server: x.c.name, skipped: "no rate: run " + scGFT + " too, or pass -open-rate"})
			continue
		}
		b.scenarioOn(x.name, []*child{x.c}, nil, b.openLoop(gftTo(x.c), rate))
	}
	if o.scenarios[scAssumeRole] {
		b.scenario(scAssumeRole, srv, target{baseURLs: []string{srv.url()}, creds: f.backend, service: "sts", region: region,
			next: assumeRoleRequest(f.roleARN, f.fedUsername)})
	}
	if o.scenarios[scCreateUser] {
		b.scenario(scCreateUser, srv, target{baseURLs: []string{srv.url()}, creds: rootCreds, service: "connect", region: region,
			next: createUserRequest(f.instanceID, f.agentProfile, f.routing, b.runID)})
	}
	if o.scenarios[scDescInstCF] || o.scenarios[scMoto] {
		// moto's comparison needs this one.
		b.scenario(scDescInstCF, srv, target{baseURLs: []string{srv.url()}, creds: rootCreds, service: "connect", region: region,
			next: describeInstanceRequest(f.instanceID)})
	}
	if err := stopChild(srv); err != nil {
		logf("connectfed: %v", err)
	}
	return nil
}

// checkGFT federates once through the load generator's request path and
// returns the response body.
func checkGFT(ctx context.Context, base string, f *fixture) ([]byte, error) {
	status, body, err := signedDo(ctx, base, f.session, "connect", gftRequest(f.instanceID)(0, 0))
	if err != nil {
		return nil, err
	}
	if status != 200 || !strings.Contains(string(body), f.fedUserID) {
		return nil, fmt.Errorf("GetFederationToken: HTTP %d: %s", status, body)
	}
	return body, nil
}

// bigServer runs GetFederationToken-1M on a copy of the seeded data dir.
func (b *bench) bigServer(ctx context.Context, seedDir string, meta seedMeta) error {
	dataDir := filepath.Join(b.tmp, "data-1m")
	t0 := time.Now()
	n, err := copyDataDir(seedDir, dataDir)
	if err != nil {
		return fmt.Errorf("copy the seeded data dir: %w", err)
	}
	logf("copied the seeded data dir (%.0f MiB) in %.1fs", mib(n), time.Since(t0).Seconds())

	st := &startInfo{}
	var srv *child
	for i := 0; i < b.o.startRuns; i++ {
		srv, err = b.startConnectfed("connectfed-1m", dataDir)
		if err != nil {
			return err
		}
		st.readyIn = append(st.readyIn, srv.readyIn)
		st.idleRSS = srv.idleRSS
		logf("connectfed (%d users) ready in %v, idle RSS %.1f MiB", meta.Users, srv.readyIn.Round(time.Microsecond), mib(srv.idleRSS))
		if i < b.o.startRuns-1 {
			if err := stopChild(srv); err != nil {
				return err
			}
		}
	}
	b.rep.bigStart = st

	f := &fixture{instanceID: meta.InstanceID, agentProfile: meta.AgentProfile, routing: meta.Routing,
		fedUsername: meta.FedUsername, fedUserID: meta.FedUserID}
	if err := setupFederation(ctx, srv.url(), f); err != nil {
		return err
	}
	if _, err := checkGFT(ctx, srv.url(), f); err != nil {
		return err
	}
	b.scenario(scGFT1M, srv, target{baseURLs: []string{srv.url()}, creds: f.session, service: "connect", region: region,
		next: gftRequest(f.instanceID)})
	if err := stopChild(srv); err != nil {
		logf("connectfed-1m: %v", err)
	}
	return nil
}

func (b *bench) motoScenario(ctx context.Context) error {
	m, reason, err := startMoto(b.tmp)
	if err != nil {
		return err
	}
	if reason != "" {
		b.rep.add(&result{name: scMoto, skipped: reason})
		logf("moto skipped: %s", reason)
		return nil
	}
	track(m)
	defer stopChild(m)
	b.rep.motoStart = m.readyIn
	id, err := motoInstance(ctx, m.url())
	if err != nil {
		b.rep.add(&result{name: scMoto, skipped: err.Error()})
		logf("moto skipped: %v", err)
		return nil
	}
	b.scenario(scMoto, m, target{baseURLs: []string{m.url()}, creds: rootCreds, service: "connect", region: region,
		next: describeInstanceRequest(id)})
	return nil
}

// result is one scenario's measurements.
type result struct {
	name       string
	server     string
	skipped    string
	load       *loadResult
	serverCPU  float64
	peakRSS    int64
	rssAfter   int64
	peakIsLife bool // VmHWM could not be reset: the peak is the process's lifetime peak
	notes      []string
	replicas   int
	hasDB      bool    // connectfed on PostgreSQL: dbCPU is measured
	dbCPU      float64 // the database server's CPU-seconds in the window
}

// runner drives one scenario's load; onStart and onEnd run when the
// measured window starts and ends.
type runner func(onStart, onEnd func()) (*loadResult, error)

// closedLoop is the default load: -c workers, one request in flight each.
func (b *bench) closedLoop(t target) runner {
	return func(onStart, onEnd func()) (*loadResult, error) {
		return runLoad(t, b.o.conns, b.o.warmup, b.o.dur, onStart, onEnd)
	}
}

// scenario runs one closed-loop scenario against srv and records the result.
func (b *bench) scenario(name string, srv *child, t target) *result {
	return b.scenarioOn(name, []*child{srv}, nil, b.closedLoop(t))
}

// scenarioOn runs one scenario against srvs (their CPU is added up, their
// memory is the largest), measuring the database's CPU too when probe is
// set, and records the result.
func (b *bench) scenarioOn(name string, srvs []*child, probe *pgProbe, run runner) *result {
	names := make([]string, len(srvs))
	for i, s := range srvs {
		names[i] = s.name
	}
	r := &result{name: name, server: strings.Join(names, " + "), replicas: len(srvs), hasDB: probe != nil}
	if b.o.quietWait > 0 {
		if busy, waited, quiet := waitQuiet(b.o.quietWait); !quiet {
			r.notes = append(r.notes, fmt.Sprintf("the machine was not quiet before this scenario: %.2f busy cores after waiting %v", busy, waited.Round(time.Second)))
		} else if waited > time.Second {
			logf("waited %v for the machine to go quiet", waited.Round(time.Second))
		}
	}
	logf("scenario %s: %d connections, %v warm-up, %v measured", name, b.o.conns, b.o.warmup, b.o.dur)
	var cpu0, cpu1 float64
	var profWG sync.WaitGroup
	cpuAll := func() float64 {
		var t float64
		for _, s := range srvs {
			c, _ := cpuSeconds(s.pid())
			t += c
		}
		return t
	}
	onStart := func() {
		for _, s := range srvs {
			r.peakIsLife = !resetPeakRSS(s.pid()) || r.peakIsLife
		}
		if probe != nil {
			probe.begin()
		}
		cpu0 = cpuAll()
		if b.o.profScenario == name {
			profWG.Add(1)
			go func() {
				defer profWG.Done()
				r.notes = append(r.notes, b.fetchProfile(name, srvs[0]))
			}()
		}
	}
	onEnd := func() {
		cpu1 = cpuAll()
		if probe != nil {
			r.dbCPU = probe.end()
		}
	}
	lr, err := run(onStart, onEnd)
	profWG.Wait()
	if err != nil {
		r.skipped = err.Error()
		b.rep.add(r)
		logf("  %s: %v", name, err)
		return r
	}
	r.load = lr
	r.serverCPU = cpu1 - cpu0
	for _, s := range srvs {
		rss, peak, _ := memStatus(s.pid())
		r.rssAfter, r.peakRSS = max(r.rssAfter, rss), max(r.peakRSS, peak)
		if !s.alive() {
			r.notes = append(r.notes, s.name+" exited during the scenario: "+tail(s.logPath, 500))
		}
	}
	if lr.dials > 2*int64(b.o.conns) {
		r.notes = append(r.notes, fmt.Sprintf("%d connections opened for %d workers: the server closed keep-alive connections", lr.dials, b.o.conns))
	}
	b.rep.add(r)
	db := ""
	if probe != nil {
		db = fmt.Sprintf(", database %.3f CPU-s/1k", perK(r.dbCPU, lr))
	}
	logf("  %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, %d errors, server %.3f CPU-s/1k%s, client %.3f CPU-s/1k, other load %.2f cores, peak RSS %.1f MiB, %d conns opened",
		name, lr.rps(), ms(lr.pct(50)), ms(lr.pct(99)), ms(lr.pct(99.9)), lr.errors,
		perK(r.serverCPU, lr), db, perK(lr.clientCPU, lr), r.otherLoad(), mib(r.peakRSS), lr.dials)
	for _, e := range lr.errorSamp {
		logf("  error: %s", e)
	}
	return r
}

// waitQuiet waits, up to max, until the machine's busy CPU over half a
// second is under 0.2 cores. The benchmark's servers are idle between
// scenarios, so that busy CPU is other processes'.
func waitQuiet(maxWait time.Duration) (busy float64, waited time.Duration, quiet bool) {
	start := time.Now()
	for {
		b0, t0 := machineBusy(), time.Now()
		time.Sleep(500 * time.Millisecond)
		busy = (machineBusy() - b0) / time.Since(t0).Seconds()
		waited = time.Since(start)
		if busy < 0.2 {
			return busy, waited, true
		}
		if waited >= maxWait {
			return busy, waited, false
		}
	}
}

// fetchProfile saves a CPU profile of srv taken during the scenario.
func (b *bench) fetchProfile(name string, srv *child) string {
	base := srv.url()
	if pp, ok := b.pprof[srv]; ok {
		base = "http://" + pp
	}
	u := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, b.o.profSeconds)
	client := &http.Client{Timeout: time.Duration(b.o.profSeconds+30) * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		return fmt.Sprintf("CPU profile: GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		hint := ""
		if resp.StatusCode == 404 || resp.StatusCode == 403 {
			hint = " (the server exposes no pprof endpoint; -pprof-overlay adds one without a source change)"
		}
		return fmt.Sprintf("CPU profile: GET %s: HTTP %d%s: %s", u, resp.StatusCode, hint, msg)
	}
	path := filepath.Join(b.o.profDir, "bench-"+name+".pprof")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return "CPU profile: " + err.Error()
	}
	logf("  saved a %ds CPU profile of %s to %s (go tool pprof -top %s %s)", b.o.profSeconds, srv.name, path, b.bin, path)
	return fmt.Sprintf("CPU profile (%d s) saved to %s", b.o.profSeconds, path)
}

// otherLoad is how many cores processes other than the server and the load
// generator kept busy during the measured window: noise on a shared machine.
func (r *result) otherLoad() float64 {
	l := r.load
	if l == nil || l.elapsed <= 0 {
		return 0
	}
	return max(0, l.busyCPU-r.serverCPU-l.clientCPU-r.dbCPU) / l.elapsed.Seconds()
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func perK(cpu float64, lr *loadResult) float64 {
	n := lr.ok + lr.errors
	if n == 0 {
		return 0
	}
	return cpu / float64(n) * 1000
}

func dirSize(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
