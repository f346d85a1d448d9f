package federation_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/seal"
	"github.com/connectfed/connectfed/sqlite"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	store connectfed.Store
	sealr *seal.Sealer
	clock *fakeClock
	fed   *federation.Service
	user  *connectfed.User
	inst  *connectfed.Instance
}

func newEnv(t testing.TB, path string) *env {
	t.Helper()
	ctx := context.Background()
	if path == "" {
		path = filepath.Join(t.TempDir(), "db.sqlite")
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, _ := seal.NewSealer(make([]byte, 32))
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cs := &connect.Service{Store: db, Now: clk.Now}
	sc := connect.Scope{AccountID: "000000000000", Region: "us-east-1"}
	inst, err := cs.CreateInstance(ctx, sc, connect.CreateInstanceInput{Alias: "k", IdentityManagementType: "SAML"})
	if err != nil {
		t.Fatal(err)
	}
	profiles, _, err := cs.ListSecurityProfiles(ctx, sc, inst.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	routing, _, err := cs.ListRoutingProfiles(ctx, sc, inst.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	u, err := cs.CreateUser(ctx, sc, inst.ID, connect.CreateUserInput{Username: "alice", SecurityProfileIDs: []string{profiles[0].ID}, RoutingProfileID: routing[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: db, sealr: s, clock: clk, user: u, inst: inst}
	e.fed = e.service(t)
	e.fed.Connect = cs
	return e
}

// service opens a key ring (rotation daily, retention 12h) and a service
// over the env's store, as a replica or a restart would.
func (e *env) service(t testing.TB) *federation.Service {
	t.Helper()
	kr, err := federation.OpenKeyRing(context.Background(), e.store, e.sealr, e.clock.Now, 24*time.Hour, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &federation.Service{Store: e.store, Connect: &connect.Service{Store: e.store, Now: e.clock.Now}, Keys: kr, Now: e.clock.Now,
		AccessTTL: time.Hour, RefreshTTL: 12 * time.Hour}
}

func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	tokA := e.fed.Issue(e.user)
	if e.fed.Keys.Size() != 1 {
		t.Fatalf("ring has %d keys, want 1", e.fed.Keys.Size())
	}
	// Within the rotation period nothing changes, however often it runs,
	// and a second replica opening the ring makes no key of its own.
	e.clock.Add(23 * time.Hour)
	other := e.service(t)
	if err := e.fed.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if e.fed.Keys.Size() != 1 || other.Keys.Size() != 1 {
		t.Fatalf("rotated early: %d / %d keys", e.fed.Keys.Size(), other.Keys.Size())
	}
	// Past it, one new key signs; the old one still verifies.
	e.clock.Add(2 * time.Hour)
	if err := e.fed.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if e.fed.Keys.Size() != 2 || other.Keys.Size() != 2 {
		t.Fatalf("after rotation: %d / %d keys, want 2 (one rotation, not one per replica)", e.fed.Keys.Size(), other.Keys.Size())
	}
	tokB := e.fed.Issue(e.user)
	// Both replicas validate both the old-key token (its refresh token is
	// still live) and the new one.
	for _, svc := range []*federation.Service{e.fed, other} {
		if _, err := svc.Validate(ctx, tokA.RefreshToken, federation.KindRefresh); err != nil {
			// tokA's refresh expired at +12h; by now (+25h) it is expired.
			if !errors.Is(err, federation.ErrExpired) {
				t.Errorf("old-key token: %v", err)
			}
		}
		if _, err := svc.Validate(ctx, tokB.AccessToken, federation.KindAccess); err != nil {
			t.Errorf("new-key token: %v", err)
		}
	}
	// Once the old key's tokens are all expired it is pruned, and its
	// tokens fail on the signature.
	e.clock.Add(24*time.Hour + 12*time.Hour)
	if err := e.fed.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fed.Validate(ctx, tokA.RefreshToken, federation.KindRefresh); !errors.Is(err, federation.ErrSignature) {
		t.Errorf("token of a pruned key: %v, want ErrSignature", err)
	}
}

// TestReplicaLearnsNewKey: a token signed with a key another replica just
// made validates at once, without waiting for maintenance.
func TestReplicaLearnsNewKey(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	other := e.service(t)
	e.clock.Add(25 * time.Hour)
	if err := e.fed.Keys.Maintain(ctx); err != nil { // e rotates; other has not reloaded
		t.Fatal(err)
	}
	tok := e.fed.Issue(e.user)
	if _, err := other.Validate(ctx, tok.AccessToken, federation.KindAccess); err != nil {
		t.Fatalf("other replica: %v", err)
	}
}

func TestOldKeyValidatesUntilExpiry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	e.clock.Add(23 * time.Hour) // the first key is 23h old
	tok := e.fed.Issue(e.user)
	e.clock.Add(2 * time.Hour) // rotate
	if err := e.fed.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	// The token (refresh expiry at +35h) outlives its key's signing period;
	// it still refreshes under the new key.
	e.clock.Add(9 * time.Hour)
	newTok, _, err := e.fed.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh with an old-key token: %v", err)
	}
	if _, err := e.fed.Validate(ctx, newTok.AccessToken, federation.KindAccess); err != nil {
		t.Errorf("refreshed token: %v", err)
	}
}

func TestRestartKeepsKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	e := newEnv(t, path)
	tok := e.fed.Issue(e.user)
	e.store.Close()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e.store = db
	fed := e.service(t)
	if _, err := fed.Validate(ctx, tok.AccessToken, federation.KindAccess); err != nil {
		t.Fatalf("token after restart: %v", err)
	}
	// A different master key cannot open the ring.
	wrong, _ := seal.NewSealer(append(make([]byte, 31), 1))
	if _, err := federation.OpenKeyRing(ctx, db, wrong, e.clock.Now, 24*time.Hour, 12*time.Hour); err == nil {
		t.Error("a wrong master key opened the key ring")
	}
}

func TestTamperedTokens(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	// A user id whose length leaves padding bits in the token's last
	// base64 character: changing those bits must not give a second
	// spelling of a valid token.
	e.user.ID += "x"
	tok := e.fed.Issue(e.user)
	for i := 0; i < len(tok.AccessToken); i++ {
		b := []byte(tok.AccessToken)
		b[i] = map[bool]byte{true: 'B', false: 'A'}[b[i] == 'A']
		if _, err := e.fed.Inspect(ctx, string(b)); err == nil {
			t.Errorf("token altered at %d verifies", i)
		}
	}
	if _, err := e.fed.Inspect(ctx, tok.AccessToken); err != nil {
		t.Fatalf("the untouched token does not verify: %v", err)
	}
	// Flip only the lowest (padding) bit of the last base64 character.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok.AccessToken[len(tok.AccessToken)-1])
	respelled := tok.AccessToken[:len(tok.AccessToken)-1] + string(alphabet[last^1])
	if _, err := e.fed.Inspect(ctx, respelled); err == nil {
		t.Error("a second spelling of the token (padding bits changed) verifies")
	}
	if _, err := e.fed.Validate(ctx, tok.AccessToken[:len(tok.AccessToken)-4], federation.KindAccess); err == nil {
		t.Error("truncated token validates")
	}
	if _, err := e.fed.Validate(ctx, tok.AccessToken+"AAAA", federation.KindAccess); err == nil {
		t.Error("extended token validates")
	}
}

// TestKeyRingOutageIsNotAnInvalidToken: a token signed by a key this
// replica has not loaded yet, while the store is down, is an outage
// (ErrUnavailable, so 503), not an invalid token (401).
func TestKeyRingOutageIsNotAnInvalidToken(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	other := e.service(t)
	e.clock.Add(25 * time.Hour)
	if err := e.fed.Keys.Maintain(ctx); err != nil { // e rotates; other has not reloaded
		t.Fatal(err)
	}
	tok := e.fed.Issue(e.user)
	e.store.Close()
	for i := 0; i < 2; i++ { // the second within the reload interval
		_, err := other.Validate(ctx, tok.AccessToken, federation.KindAccess)
		if errors.Is(err, federation.ErrSignature) || connectfed.ErrorCode(err) != connectfed.EUNAVAILABLE {
			t.Errorf("attempt %d: %v, want the store's ErrUnavailable", i+1, err)
		}
	}
}
