package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/connectfed/connectfed/postgres"
	"github.com/connectfed/connectfed/seal"
)

// PostgreSQL scenarios: connectfed on a database of its own, created for
// the run on the server at -pg and dropped at the end.

// pgAdmin connects to the maintenance database of the -pg server.
func (b *bench) pgAdmin(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, b.o.pgURL)
}

// pgDBURL is the -pg URL with another database name.
func pgDBURL(base, db string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + db
	return u.String(), nil
}

// storeURL is what connectfed gets: the database's URL, with
// pool_max_conns when -pg-pool is set.
func (b *bench) storeURL(dbURL string) string {
	if b.o.pgPool <= 0 {
		return dbURL
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(b.o.pgPool))
	u.RawQuery = q.Encode()
	return u.String()
}

func (b *bench) createDB(ctx context.Context, name, template string) error {
	c, err := b.pgAdmin(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	_, err = c.Exec(ctx, q)
	return err
}

func (b *bench) dropDB(ctx context.Context, name string) {
	c, err := b.pgAdmin(ctx)
	if err != nil {
		logf("drop database %s: %v", name, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		logf("drop database %s: %v", name, err)
	}
}

func (b *bench) dbExists(ctx context.Context, name string) bool {
	c, err := b.pgAdmin(ctx)
	if err != nil {
		return false
	}
	defer c.Close(ctx)
	var n int
	c.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
	return n == 1
}

// startConnectfedPG starts `connectfed serve` on a database.
func (b *bench) startConnectfedPG(name, dbURL, masterKey string) (*child, error) {
	return b.startConnectfed(name, filepath.Join(b.tmp, "data-"+name), "--store", b.storeURL(dbURL), "--master-key", masterKey)
}

func newMasterKey() string {
	k := make([]byte, 32)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// pgProbe measures the CPU of the database server's processes that work
// for one database: its backends (whose process title names the
// database) and autovacuum workers, and the server-wide WAL writer,
// checkpointer and background writer (shared with anything else using the
// server; noise then). Processes found at the end of the window but not at
// its start count with all their CPU.
type pgProbe struct {
	db    string
	start map[int]float64
}

func pgProcs(db string) map[int]float64 {
	out := map[int]float64{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.HasPrefix(string(cmd), "postgres: ") {
			continue
		}
		title := string(cmd)
		shared := strings.Contains(title, "walwriter") || strings.Contains(title, "checkpointer") || strings.Contains(title, "background writer")
		if !shared && !strings.Contains(title, " "+db+" ") && !strings.HasSuffix(strings.TrimRight(title, "\x00 "), " "+db) {
			continue
		}
		if cpu, err := cpuSeconds(pid); err == nil {
			out[pid] = cpu
		}
	}
	return out
}

func (p *pgProbe) begin() { p.start = pgProcs(p.db) }

// end is the database's CPU-seconds since begin.
func (p *pgProbe) end() float64 {
	var total float64
	for pid, cpu := range pgProcs(p.db) {
		total += cpu - p.start[pid] // a new process: all of it
	}
	return max(total, 0)
}

// pgSeedMeta is a seeded template database, described in the cache dir.
type pgSeedMeta struct {
	seedMeta
	MasterKey string `json:"masterKey"`
	Database  string `json:"database"`
}

// cachedPGSeed returns a template database holding n users, seeding it
// first when it is missing. Each run copies it (CREATE DATABASE ...
// TEMPLATE), so the template stays unchanged.
func (b *bench) cachedPGSeed(ctx context.Context, n int, progress io.Writer) (pgSeedMeta, bool, error) {
	metaPath := filepath.Join(b.o.cacheDir, fmt.Sprintf("pg-users-%d.json", n))
	var meta pgSeedMeta
	if raw, err := os.ReadFile(metaPath); err == nil && json.Unmarshal(raw, &meta) == nil &&
		meta.Format == seedFormat && meta.Users == n && b.dbExists(ctx, meta.Database) {
		return meta, false, nil
	}
	name := fmt.Sprintf("cfbench_users_%d", n)
	b.dropDB(ctx, name)
	if err := b.createDB(ctx, name, ""); err != nil {
		return meta, false, err
	}
	dbURL, err := pgDBURL(b.o.pgURL, name)
	if err != nil {
		return meta, false, err
	}
	meta.MasterKey = newMasterKey()
	meta.Database = name
	master, _ := seal.ParseMasterKey(meta.MasterKey)
	sealer, err := seal.NewSealer(master)
	if err != nil {
		return meta, false, err
	}
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return meta, false, err
	}
	meta.seedMeta, err = seedInto(ctx, db, sealer, n, progress)
	db.Close()
	if err != nil {
		b.dropDB(ctx, name)
		return meta, false, err
	}
	if err := os.MkdirAll(b.o.cacheDir, 0o700); err != nil {
		return meta, false, err
	}
	raw, _ := json.MarshalIndent(meta, "", "  ")
	return meta, true, os.WriteFile(metaPath, raw, 0o600)
}

// pgScenarios runs the PostgreSQL scenarios: one replica on an empty
// database (GetFederationToken, DescribeUser, AssumeRole, CreateUser), the
// same database behind two replicas (GetFederationToken), and one replica
// on a copy of the seeded n-user database (GetFederationToken).
func (b *bench) pgScenarios(ctx context.Context) error {
	o := b.o
	name := "cfbench_" + b.runID
	if err := b.createDB(ctx, name, ""); err != nil {
		return fmt.Errorf("PostgreSQL at %s: create database: %w", redactURL(o.pgURL), err)
	}
	defer b.dropDB(ctx, name)
	dbURL, err := pgDBURL(o.pgURL, name)
	if err != nil {
		return err
	}
	key := newMasterKey()
	srv, err := b.startConnectfedPG("connectfed-pg", dbURL, key)
	if err != nil {
		return err
	}
	b.rep.pgStart = &startInfo{readyIn: []time.Duration{srv.readyIn}, idleRSS: srv.idleRSS}
	logf("connectfed on PostgreSQL ready in %v, idle RSS %.1f MiB", srv.readyIn.Round(time.Microsecond), mib(srv.idleRSS))
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
	if _, err := checkGFT(ctx, srv.url(), f); err != nil {
		return err
	}
	probe := &pgProbe{db: name}
	one := []*child{srv}
	if o.scenarios[scGFTPG] {
		b.scenarioOn(scGFTPG, one, probe, b.closedLoop(target{baseURLs: []string{srv.url()}, creds: f.session, service: "connect", region: region,
			next: gftRequest(f.instanceID)}))
	}
	if o.scenarios[scDescUserPG] {
		b.scenarioOn(scDescUserPG, one, probe, b.closedLoop(target{baseURLs: []string{srv.url()}, creds: rootCreds, service: "connect", region: region,
			next: describeUserRequest(f.instanceID, f.fedUserID)}))
	}
	if o.scenarios[scAssumeRolePG] {
		b.scenarioOn(scAssumeRolePG, one, probe, b.closedLoop(target{baseURLs: []string{srv.url()}, creds: f.backend, service: "sts", region: region,
			next: assumeRoleRequest(f.roleARN, f.fedUsername)}))
	}
	if o.scenarios[scCreateUserPG] {
		b.scenarioOn(scCreateUserPG, one, probe, b.closedLoop(target{baseURLs: []string{srv.url()}, creds: rootCreds, service: "connect", region: region,
			next: createUserRequest(f.instanceID, f.agentProfile, f.routing, b.runID+"pg")}))
	}
	if o.scenarios[scGFTPG2] {
		second, err := b.startConnectfedPG("connectfed-pg-2", dbURL, key)
		if err != nil {
			return err
		}
		if _, err := checkGFT(ctx, second.url(), f); err != nil {
			return fmt.Errorf("second replica: %w", err)
		}
		b.scenarioOn(scGFTPG2, []*child{srv, second}, probe, b.closedLoop(target{baseURLs: []string{srv.url(), second.url()}, creds: f.session,
			service: "connect", region: region, next: gftRequest(f.instanceID)}))
		if err := stopChild(second); err != nil {
			logf("connectfed-pg-2: %v", err)
		}
	}
	if err := stopChild(srv); err != nil {
		logf("connectfed-pg: %v", err)
	}

	if !o.scenarios[scGFTPGBig] && !o.scenarios[scCreateUserPGBig] {
		return nil
	}
	logf("seeded PostgreSQL database for %d users", o.pgUsers)
	meta, seeded, err := b.cachedPGSeed(ctx, o.pgUsers, os.Stderr)
	if err != nil {
		return fmt.Errorf("seed %d users on PostgreSQL: %w", o.pgUsers, err)
	}
	b.rep.pgSeed = &seedInfo{users: o.pgUsers, dir: meta.Database, seeded: seeded, seconds: meta.SeedSeconds, seededAt: meta.SeededAt}
	bigName := name + "_big"
	t0 := time.Now()
	if err := b.createDB(ctx, bigName, meta.Database); err != nil {
		return fmt.Errorf("copy the seeded database: %w", err)
	}
	defer b.dropDB(ctx, bigName)
	logf("copied the seeded database in %.1fs", time.Since(t0).Seconds())
	bigURL, err := pgDBURL(o.pgURL, bigName)
	if err != nil {
		return err
	}
	big, err := b.startConnectfedPG("connectfed-pg-big", bigURL, meta.MasterKey)
	if err != nil {
		return err
	}
	b.rep.pgBigStart = &startInfo{readyIn: []time.Duration{big.readyIn}, idleRSS: big.idleRSS}
	bf := &fixture{instanceID: meta.InstanceID, agentProfile: meta.AgentProfile, routing: meta.Routing,
		fedUsername: meta.FedUsername, fedUserID: meta.FedUserID}
	if err := setupFederation(ctx, big.url(), bf); err != nil {
		return err
	}
	if _, err := checkGFT(ctx, big.url(), bf); err != nil {
		return err
	}
	if o.scenarios[scGFTPGBig] {
		b.scenarioOn(scGFTPGBig, []*child{big}, &pgProbe{db: bigName}, b.closedLoop(target{baseURLs: []string{big.url()}, creds: bf.session,
			service: "connect", region: region, next: gftRequest(bf.instanceID)}))
	}
	if o.scenarios[scCreateUserPGBig] {
		b.scenarioOn(scCreateUserPGBig, []*child{big}, &pgProbe{db: bigName}, b.closedLoop(target{baseURLs: []string{big.url()}, creds: rootCreds,
			service: "connect", region: region, next: createUserRequest(bf.instanceID, bf.agentProfile, bf.routing, b.runID+"pgbig")}))
	}
	if err := stopChild(big); err != nil {
		logf("connectfed-pg-big: %v", err)
	}
	return nil
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
