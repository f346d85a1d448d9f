package identity

import (
	"reflect"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
)

// TestLegacyStoredSession: a session stored by an earlier version (random
// token, sealed secret in a record) keeps resolving, with its role check,
// until it expires; a token in the new format cannot claim its access key.
func TestLegacyStoredSession(t *testing.T) {
	ctx := t.Context()
	sealer, err := seal.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := memory.New()
	keys, err := federation.OpenKeyRing(ctx, store, sealer, clock, 24*time.Hour, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Store: store, Sealer: sealer, Now: clock, Keys: keys}
	role, err := s.CreateRole(ctx, "111122223333", "Agent", "/", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, 3600)
	if err != nil {
		t.Fatal(err)
	}
	akid, secret, token := "ASIALEGACYAAAAAAAAAA", "legacy-secret-0123456789012345678901234", "FwoGZXIvYXdzE"+"bGVnYWN5LXRva2VuLWxlZ2FjeS10b2tlbi1sZWdhY3ktdG9rZW4tbGVnYWN5LXRv"
	legacy := Session{AccountID: "111122223333", AccessKeyID: akid, RoleName: "Agent", RoleID: role.ID, RolePath: "/", SessionName: "alice",
		Created: now, Expires: now.Add(time.Hour), SealedSecret: sealer.Seal(secret, "session/"+akid), SealedToken: sealer.Seal(token, "sessiontoken/"+akid)}
	if err := store.Update(ctx, func(tx connectfed.Tx) error {
		return connectfed.CreateJSONExpiring(tx, kindSession, akid, legacy, legacy.Expires)
	}); err != nil {
		t.Fatal(err)
	}

	// A forged new-format token for the legacy key: refused, and not
	// cached in a way that lets the legacy token through with it.
	other, err := s.IssueSession(ctx, role, &SessionPlan{Spec: SessionSpec{SessionName: "x", DurationSeconds: 900}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.CredentialFor(ctx, akid, other.Token); err != nil || c != nil {
		t.Fatalf("another session's token claimed the legacy key: %+v %v", c, err)
	}
	c, err := s.CredentialFor(ctx, akid, token)
	if err != nil || c == nil || c.Secret != secret || c.SessionToken != token || c.Principal.Name != "alice" || !c.Expires.Equal(legacy.Expires) {
		t.Fatalf("legacy session: %+v %v", c, err)
	}
	s.Invalidate()
	if err := s.DeleteRole(ctx, "111122223333", "Agent"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.CredentialFor(ctx, akid, token); err != nil || c != nil {
		t.Errorf("a legacy session of a deleted role resolves: %+v %v", c, err)
	}
}

// TestSessionEncoding: every field of a session survives the token.
func TestSessionEncoding(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)
	in := &Session{AccessKeyID: "ASIAAAAAAAAAAAAAAAAA", AccountID: "111122223333", RoleName: "R", RoleID: "AROAX", RolePath: "/p/",
		SessionName: "alice", Created: now, Expires: now.Add(time.Hour), Policy: `{"Version":"2012-10-17"}`,
		PolicyARNs: []string{"arn:aws:iam::111122223333:policy/a", "arn:aws:iam::aws:policy/b"},
		Tags:       []connectfed.SessionTag{{Key: "k", Value: "v"}, {Key: "é", Value: ""}}, TransitiveTagKeys: []string{"k"}, SourceIdentity: "src"}
	out, ok := decodeSession(encodeSession(in))
	if !ok || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
	b := encodeSession(in)
	for i := 1; i < len(b); i++ {
		if _, ok := decodeSession(b[:i]); ok {
			t.Errorf("a session cut at %d of %d bytes decodes", i, len(b))
		}
	}
	if _, ok := decodeSession(append(b, 0)); ok {
		t.Error("trailing bytes decode")
	}
}
