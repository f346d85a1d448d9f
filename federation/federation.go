// Package federation decides who gets a federation token for which Amazon
// Connect user, and what a token is worth: issue, validation, refresh with
// rotation and reuse detection, and revocation. It is the one place those
// rules live.
//
// A token is self-contained and tamper-evident: version, kind, signing key
// id, a random 128-bit family id, the refresh generation, the expiry, the
// account, region, instance and user it is for, 128 random bits, and an
// HMAC-SHA256 over all of it under a key of the ring. Issuing and checking
// one needs no database write; the store keeps no token, only the sealed
// keys, the revoked families and the used refresh generations.
package federation

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// Default lifetimes.
const (
	DefaultAccessTTL  = time.Hour
	DefaultRefreshTTL = 12 * time.Hour
)

// Record kinds.
var (
	kindRevokedFamily = connectfed.RegisterKind("revokedfamily", "federation")
	kindRefreshUsed   = connectfed.RegisterKind("refreshused", "federation")
)

// Service issues and checks tokens.
type Service struct {
	Store   connectfed.Store
	Connect *connect.Service
	// Authorizer checks the caller's IAM permission in Federate.
	Authorizer Authorizer
	Keys       *KeyRing
	Now        func() time.Time
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// PublicURL is the base of SignInUrl (no trailing slash).
	PublicURL string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) ttls() (time.Duration, time.Duration) {
	a, r := s.AccessTTL, s.RefreshTTL
	if a <= 0 {
		a = DefaultAccessTTL
	}
	if r <= 0 {
		r = DefaultRefreshTTL
	}
	if a > r {
		a = r
	}
	return a, r
}

// Token kinds.
const (
	KindAccess  byte = 'A'
	KindRefresh byte = 'R'
)

const tokenVersion = 1

// Claims is what a token says.
type Claims struct {
	Kind       byte
	Family     [16]byte
	Generation uint32
	Expires    time.Time
	AccountID  string
	Region     string
	InstanceID string
	UserID     string
}

// FamilyID is the family id as text.
func (c *Claims) FamilyID() string { return hex.EncodeToString(c.Family[:]) }

// Tokens is one issue: the four Credentials fields.
type Tokens struct {
	AccessToken    string
	AccessExpires  time.Time
	RefreshToken   string
	RefreshExpires time.Time
	Family         string
}

func (s *Service) encode(c *Claims) string {
	k := s.Keys.current()
	// One buffer: the token's bytes, then their base64 text.
	n := 2 + len(k.idBytes) + len(c.Family) + 4 + 8 + 4 + len(c.AccountID) + len(c.Region) + len(c.InstanceID) + len(c.UserID) + 16 + sha256.Size
	b := make([]byte, 0, n+base64.RawURLEncoding.EncodedLen(n))
	b = append(b, tokenVersion, c.Kind)
	b = append(b, k.idBytes[:]...)
	b = append(b, c.Family[:]...)
	b = binary.BigEndian.AppendUint32(b, c.Generation)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Expires.Unix()))
	for _, f := range []string{c.AccountID, c.Region, c.InstanceID, c.UserID} {
		b = append(b, byte(len(f)))
		b = append(b, f...)
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	b = append(b, nonce[:]...)
	b = k.mac(b, b)
	return string(base64.RawURLEncoding.AppendEncode(b, b)[len(b):])
}

// Token failures. They are distinct for logs and tests; clients are told
// only that the token is not valid.
var (
	ErrMalformed     = errors.New("token is malformed")
	ErrSignature     = errors.New("token signature does not verify")
	ErrExpired       = errors.New("token has expired")
	ErrRevoked       = errors.New("token has been revoked")
	ErrWrongKind     = errors.New("token is of the wrong kind")
	ErrNoUser        = errors.New("the token's user or instance no longer exists")
	ErrReused        = errors.New("refresh token was already used; its family is revoked")
	ErrWrongInstance = errors.New("token is for another instance")
)

// decode checks a token's form and MAC and returns its claims. It does not
// check expiry or revocation.
func (s *Service) decode(ctx context.Context, tok string) (*Claims, error) {
	if len(tok) < 40 || len(tok) > 1024 {
		return nil, ErrMalformed
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok) // Strict: one token, one spelling
	if err != nil || len(b) < 2+8+16+4+8+4+16+32 || b[0] != tokenVersion {
		return nil, ErrMalformed
	}
	body, mac := b[:len(b)-32], b[len(b)-32:]
	var kid [8]byte
	copy(kid[:], b[2:10])
	k, err := s.Keys.lookupOrReload(ctx, kid)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, ErrSignature
	}
	var sum [32]byte
	if !hmac.Equal(k.mac(sum[:0], body), mac) {
		return nil, ErrSignature
	}
	c := &Claims{Kind: b[1]}
	copy(c.Family[:], b[10:26])
	c.Generation = binary.BigEndian.Uint32(b[26:30])
	c.Expires = time.Unix(int64(binary.BigEndian.Uint64(b[30:38])), 0).UTC()
	rest := body[38 : len(body)-16]
	fields := make([]string, 0, 4)
	for i := 0; i < 4; i++ {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return nil, ErrMalformed
		}
		n := int(rest[0])
		fields = append(fields, string(rest[1:1+n]))
		rest = rest[1+n:]
	}
	if len(rest) != 0 {
		return nil, ErrMalformed
	}
	c.AccountID, c.Region, c.InstanceID, c.UserID = fields[0], fields[1], fields[2], fields[3]
	return c, nil
}

// Issue makes a new token family for a user: an access token and a refresh
// token. It writes nothing.
func (s *Service) Issue(u *connectfed.User) *Tokens {
	var fam [16]byte
	rand.Read(fam[:])
	return s.issue(fam, 0, u, time.Time{})
}

func (s *Service) issue(fam [16]byte, gen uint32, u *connectfed.User, refreshExpires time.Time) *Tokens {
	now := s.now()
	accessTTL, refreshTTL := s.ttls()
	if refreshExpires.IsZero() {
		refreshExpires = now.Add(refreshTTL).Truncate(time.Second)
	}
	accessExpires := now.Add(accessTTL).Truncate(time.Second)
	if accessExpires.After(refreshExpires) {
		accessExpires = refreshExpires
	}
	c := Claims{Family: fam, Generation: gen, AccountID: u.AccountID, Region: u.Region, InstanceID: u.InstanceID, UserID: u.ID}
	c.Kind, c.Expires = KindAccess, accessExpires
	access := s.encode(&c)
	c.Kind, c.Expires = KindRefresh, refreshExpires
	refresh := s.encode(&c)
	return &Tokens{AccessToken: access, AccessExpires: accessExpires, RefreshToken: refresh, RefreshExpires: refreshExpires, Family: hex.EncodeToString(fam[:])}
}

// SignInURL is where a browser signs the user in with an access token.
func (s *Service) SignInURL(instanceID, accessToken string) string {
	return s.PublicURL + "/connect/" + instanceID + "/auth/sign-in?token=" + accessToken
}

// Identity is whose a valid token is.
type Identity struct {
	Claims   *Claims
	User     *connectfed.User
	Instance *connectfed.Instance
}

// Validate checks a token of the given kind: form, MAC, expiry, revoked
// family, and that its user and instance still exist (so deleting either
// invalidates every token at once).
func (s *Service) Validate(ctx context.Context, tok string, kind byte) (*Identity, error) {
	c, err := s.decode(ctx, tok)
	if err != nil {
		return nil, err
	}
	if c.Kind != kind {
		return nil, ErrWrongKind
	}
	if !s.now().Before(c.Expires) {
		return nil, ErrExpired
	}
	return s.check(ctx, c)
}

func (s *Service) check(ctx context.Context, c *Claims) (*Identity, error) {
	var revoked bool
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		_, err := tx.Get(kindRevokedFamily, c.FamilyID())
		if err == nil {
			revoked = true
			return nil
		}
		if errors.Is(err, connectfed.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, ErrRevoked
	}
	sc := connect.Scope{AccountID: c.AccountID, Region: c.Region}
	inst, err := s.Connect.GetInstance(ctx, sc, c.InstanceID)
	if connectfed.ErrorCode(err) == connectfed.ENOTFOUND {
		return nil, ErrNoUser
	}
	if err != nil {
		return nil, err
	}
	u, err := s.Connect.GetUser(ctx, sc, c.InstanceID, c.UserID)
	if connectfed.ErrorCode(err) == connectfed.ENOTFOUND {
		return nil, ErrNoUser
	}
	if err != nil {
		return nil, err
	}
	return &Identity{Claims: c, User: u, Instance: inst}, nil
}

type revokedRecord struct {
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires"`
}

// Refresh exchanges a refresh token for a new access token and a new
// refresh token of the same family (rotation; the family's absolute expiry
// does not move). A refresh token works once: presenting a used one revokes
// the whole family and returns ErrReused.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, *Identity, error) {
	id, err := s.Validate(ctx, refreshToken, KindRefresh)
	if err != nil {
		return nil, nil, err
	}
	c := id.Claims
	now := s.now()
	reused := false
	err = s.Store.Update(ctx, func(tx connectfed.Tx) error {
		reused = false
		key := c.FamilyID() + "/" + itoa(c.Generation)
		err := connectfed.CreateExpiring(tx, kindRefreshUsed, key, []byte(`{"expires":"`+c.Expires.Format(time.RFC3339)+`"}`), c.Expires)
		if errors.Is(err, connectfed.ErrExists) {
			reused = true
			return s.revokeFamily(tx, c, "refresh token reuse", now)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if reused {
		return nil, id, ErrReused
	}
	return s.issue(c.Family, c.Generation+1, id.User, c.Expires), id, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func itoa(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// revokeFamily records a family's revocation until no token of the family
// can still be valid: a refresh token's expiry is its family's; an access
// token only bounds its family by the refresh lifetime (the signing key
// that signed any of its tokens is dropped by then too).
func (s *Service) revokeFamily(tx connectfed.Tx, c *Claims, reason string, now time.Time) error {
	until := c.Expires
	if c.Kind != KindRefresh {
		_, refreshTTL := s.ttls()
		until = maxTime(until, now.Add(refreshTTL))
	}
	err := connectfed.CreateJSONExpiring(tx, kindRevokedFamily, c.FamilyID(), revokedRecord{Reason: reason, At: now, Expires: c.Expires}, until)
	if errors.Is(err, connectfed.ErrExists) {
		return nil
	}
	return err
}

// Inspect checks a token's form and MAC (not expiry or revocation) and
// returns its claims.
func (s *Service) Inspect(ctx context.Context, tok string) (*Claims, error) {
	return s.decode(ctx, tok)
}

// RevokeFamily revokes every token of a token's family.
func (s *Service) RevokeFamily(ctx context.Context, c *Claims, reason string) error {
	now := s.now()
	return s.Store.Update(ctx, func(tx connectfed.Tx) error { return s.revokeFamily(tx, c, reason, now) })
}
