package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/seal"
	"github.com/connectfed/connectfed/sqlite"
)

// seedFormat changes when what seedUsers writes changes, so that an old
// cache is seeded again rather than reused.
const seedFormat = 1

// seedMeta describes a seeded data dir; it is written last, so a dir
// without it is incomplete.
type seedMeta struct {
	Format       int       `json:"format"`
	Users        int       `json:"users"`
	InstanceID   string    `json:"instanceId"`
	FedUsername  string    `json:"fedUsername"`
	FedUserID    string    `json:"fedUserId"`
	AgentProfile string    `json:"agentProfile"`
	Routing      string    `json:"routingProfile"`
	SeededAt     time.Time `json:"seededAt"`
	SeedSeconds  float64   `json:"seedSeconds"`
}

const seedMetaFile = "bench-seed.json"

// seedBatch is how many users go in one CreateUsers transaction.
const seedBatch = 5000

func seedUsername(i int) string { return fmt.Sprintf("agent-%07d", i) }

// cachedSeed returns the seeded data dir for n users under cacheDir,
// seeding it first when it is missing or stale. It reports whether it
// seeded, and how long that took.
func cachedSeed(ctx context.Context, cacheDir string, n int, progress io.Writer) (dir string, meta seedMeta, seeded bool, err error) {
	dir = filepath.Join(cacheDir, fmt.Sprintf("users-%d", n))
	if b, err := os.ReadFile(filepath.Join(dir, seedMetaFile)); err == nil {
		if json.Unmarshal(b, &meta) == nil && meta.Format == seedFormat && meta.Users == n {
			if _, err := os.Stat(filepath.Join(dir, "connectfed.db")); err == nil {
				return dir, meta, false, nil
			}
		}
		fmt.Fprintf(progress, "cached data dir %s is stale or incomplete; seeding again\n", dir)
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return "", meta, false, err
	}
	// Seed next to the cache and rename into place, so that an interrupted
	// seed never looks like a cache (and clear what an interrupted one left).
	if old, _ := filepath.Glob(filepath.Join(cacheDir, "seeding-*")); len(old) > 0 {
		for _, d := range old {
			os.RemoveAll(d)
		}
	}
	tmp, err := os.MkdirTemp(cacheDir, "seeding-")
	if err != nil {
		return "", meta, false, err
	}
	defer os.RemoveAll(tmp)
	meta, err = seedUsers(ctx, tmp, n, progress)
	if err != nil {
		return "", meta, false, err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", meta, false, err
	}
	return dir, meta, true, nil
}

// seedUsers writes, straight into a data dir as `connectfed serve` would
// find it, the development account, a SAML instance and n Connect users
// (agent-0000000 ...), in CreateUsers transactions of seedBatch users. The
// user the benchmark federates as is the one in the middle.
func seedUsers(ctx context.Context, dir string, n int, progress io.Writer) (seedMeta, error) {
	master, err := seal.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		return seedMeta{}, err
	}
	sealer, err := seal.NewSealer(master)
	if err != nil {
		return seedMeta{}, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "connectfed.db"))
	if err != nil {
		return seedMeta{}, err
	}
	defer db.Close()
	meta, err := seedInto(ctx, db, sealer, n, progress)
	if err != nil {
		return meta, err
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		return meta, err
	}
	b, _ := json.MarshalIndent(meta, "", "  ")
	return meta, os.WriteFile(filepath.Join(dir, seedMetaFile), b, 0o600)
}

// seedInto writes the development account, a SAML instance and n users
// into a store.
func seedInto(ctx context.Context, db connectfed.Store, sealer *seal.Sealer, n int, progress io.Writer) (seedMeta, error) {
	start := time.Now()
	meta := seedMeta{Format: seedFormat, Users: n}
	if n < 1 {
		return meta, errors.New("need at least one user")
	}
	ids := &identity.Service{Store: db, Sealer: sealer}
	if err := ids.EnsureAccount(ctx, connectfed.Account{ID: connectfed.DefaultAccountID, Name: "development"},
		[]identity.RootKey{{AccessKeyID: connectfed.DefaultAccessKey, SecretAccessKey: connectfed.DefaultSecretKey}}); err != nil {
		return meta, err
	}
	cs := &connect.Service{Store: db}
	sc := connect.Scope{AccountID: connectfed.DefaultAccountID, Region: connectfed.DefaultRegion}
	inst, err := cs.CreateInstance(ctx, sc, connect.CreateInstanceInput{
		Alias: fmt.Sprintf("bench-%d", n), IdentityManagementType: connectfed.IdentitySAML,
		InboundCallsEnabled: true, OutboundCallsEnabled: true,
	})
	if err != nil {
		return meta, err
	}
	meta.InstanceID = inst.ID
	sps, _, err := cs.ListSecurityProfiles(ctx, sc, inst.ID, "", 100)
	if err != nil {
		return meta, err
	}
	for _, p := range sps {
		if p.Name == "Agent" {
			meta.AgentProfile = p.ID
		}
	}
	rps, _, err := cs.ListRoutingProfiles(ctx, sc, inst.ID, "", 100)
	if err != nil {
		return meta, err
	}
	if meta.AgentProfile == "" || len(rps) == 0 {
		return meta, errors.New("the new instance has no Agent security profile or no routing profile")
	}
	meta.Routing = rps[0].ID
	fedIndex := n / 2
	meta.FedUsername = seedUsername(fedIndex)

	ins := make([]connect.CreateUserInput, 0, seedBatch)
	lastReport := time.Now()
	for i := 0; i < n; {
		ins = ins[:0]
		for ; i < n && len(ins) < seedBatch; i++ {
			name := seedUsername(i)
			ins = append(ins, connect.CreateUserInput{
				Username: name,
				IdentityInfo: &connectfed.UserIdentityInfo{
					FirstName: "Agent", LastName: fmt.Sprintf("%07d", i), Email: name + "@example.com",
				},
				PhoneConfig:        connectfed.UserPhoneConfig{PhoneType: "SOFT_PHONE"},
				SecurityProfileIDs: []string{meta.AgentProfile},
				RoutingProfileID:   meta.Routing,
			})
		}
		users, err := cs.CreateUsers(ctx, sc, inst.ID, ins)
		if err != nil {
			return meta, fmt.Errorf("create users %d..%d: %w", i-len(ins), i-1, err)
		}
		for _, u := range users {
			if u.Username == meta.FedUsername {
				meta.FedUserID = u.ID
			}
		}
		if time.Since(lastReport) > 10*time.Second || i == n {
			el := time.Since(start)
			fmt.Fprintf(progress, "  seeded %d/%d users in %.1fs (%.0f users/s)\n", i, n, el.Seconds(), float64(i)/el.Seconds())
			lastReport = time.Now()
		}
	}
	meta.SeededAt = time.Now().UTC()
	meta.SeedSeconds = time.Since(start).Seconds()
	return meta, nil
}

// copyDataDir copies a seeded data dir (regular files only) so that a run
// never changes the cache.
func copyDataDir(src, dst string) (int64, error) {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		n, err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return 0, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}
