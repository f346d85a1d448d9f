// Package oidc verifies OpenID Connect ID tokens the way STS
// AssumeRoleWithWebIdentity does, on top of github.com/go-jose/go-jose/v4
// (no signature code lives here): the issuer's keys come from its discovery
// document's jwks_uri, are cached, and are fetched again once when a token
// names a key id the cache lacks. Fetches are bounded in time and size.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Algorithms are the signature algorithms AWS accepts for web identity
// tokens: RSA and ECDSA only, so neither "none" nor an HMAC keyed with a
// public key can verify.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

// Errors, for the caller to map to AWS errors.
var (
	// ErrInvalid: malformed token, bad signature, unknown key, wrong
	// issuer or audience (InvalidIdentityToken).
	ErrInvalid = errors.New("oidc: invalid token")
	// ErrExpired: exp has passed (ExpiredTokenException).
	ErrExpired = errors.New("oidc: token expired")
	// ErrCommunication: the issuer's discovery document or keys could not
	// be fetched or read (IDPCommunicationError).
	ErrCommunication = errors.New("oidc: cannot fetch the issuer's keys")
)

// Defaults for Verifier.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultMaxBytes = 512 << 10
	DefaultCacheTTL = time.Hour
	// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
	DefaultLeeway = 5 * time.Minute
	// minRefresh spaces out fetches an unknown kid may cause per issuer,
	// so tokens with made-up key ids cannot make the server hammer an IdP.
	minRefresh = 10 * time.Second
)

// Verifier checks tokens. The zero value is ready to use.
type Verifier struct {
	// Client fetches discovery documents and key sets; nil means a client
	// with Timeout.
	Client   *http.Client
	Timeout  time.Duration
	MaxBytes int64
	CacheTTL time.Duration
	Leeway   time.Duration
	Now      func() time.Time

	mu    sync.Mutex
	cache map[string]*keySet
}

type keySet struct {
	keys    jose.JSONWebKeySet
	fetched time.Time
	err     error
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Claims are what a verified token says.
type Claims struct {
	Issuer   string
	Subject  string
	Audience string // the audience that matched
	AMR      []string
	Expiry   time.Time
	Raw      map[string]any
}

// UnverifiedIssuer reads "iss" without verifying anything, to find the
// provider whose keys verify the token.
func UnverifiedIssuer(token string) (string, error) {
	t, err := jwt.ParseSigned(token, Algorithms)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var c jwt.Claims
	if err := t.UnsafeClaimsWithoutVerification(&c); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Issuer == "" {
		return "", fmt.Errorf("%w: no iss claim", ErrInvalid)
	}
	return c.Issuer, nil
}

// Verify checks token's signature with issuer's keys, its issuer, that its
// aud names one of audiences, and exp, nbf and iat.
func (v *Verifier) Verify(ctx context.Context, issuer, token string, audiences []string) (*Claims, error) {
	t, err := jwt.ParseSigned(token, Algorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(t.Headers) != 1 {
		return nil, fmt.Errorf("%w: one signature expected", ErrInvalid)
	}
	kid := t.Headers[0].KeyID
	keys, err := v.keys(ctx, issuer, kid)
	if err != nil {
		return nil, err
	}
	var std jwt.Claims
	raw := map[string]any{}
	verified := false
	for _, k := range keys {
		if err := t.Claims(k.Key, &std, &raw); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, fmt.Errorf("%w: the signature does not verify with the issuer's keys", ErrInvalid)
	}
	if std.Issuer != issuer {
		return nil, fmt.Errorf("%w: iss is not %s", ErrInvalid, issuer)
	}
	if std.Expiry == nil {
		return nil, fmt.Errorf("%w: no exp claim", ErrInvalid)
	}
	leeway := v.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}
	now := v.now()
	switch err := std.ValidateWithLeeway(jwt.Expected{Time: now}, leeway); {
	case errors.Is(err, jwt.ErrExpired):
		return nil, fmt.Errorf("%w: current date/time %s must be before the expiration date/time %s", ErrExpired,
			now.UTC().Format(time.RFC3339), std.Expiry.Time().UTC().Format(time.RFC3339))
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out := &Claims{Issuer: std.Issuer, Subject: std.Subject, Expiry: std.Expiry.Time(), Raw: raw}
	for _, a := range std.Audience {
		for _, want := range audiences {
			if a == want && out.Audience == "" {
				out.Audience = a
			}
		}
	}
	if out.Audience == "" {
		return nil, fmt.Errorf("%w: Incorrect token audience", ErrInvalid)
	}
	switch amr := raw["amr"].(type) {
	case string:
		out.AMR = []string{amr}
	case []any:
		for _, x := range amr {
			if s, ok := x.(string); ok {
				out.AMR = append(out.AMR, s)
			}
		}
	}
	return out, nil
}

// keys returns the issuer's keys that may have signed a token with kid
// (all of them when kid is empty), fetching the key set when it is not
// cached, is stale, or lacks kid.
func (v *Verifier) keys(ctx context.Context, issuer, kid string) ([]jose.JSONWebKey, error) {
	ttl := v.CacheTTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	v.mu.Lock()
	ks := v.cache[issuer]
	v.mu.Unlock()
	now := v.now()
	fresh := ks != nil && now.Sub(ks.fetched) < ttl
	if fresh && ks.err == nil {
		if found := pick(ks.keys, kid); len(found) > 0 {
			return found, nil
		}
	}
	if fresh && now.Sub(ks.fetched) < minRefresh {
		// Fetched moments ago: do not fetch again for an unknown kid.
		if ks.err != nil {
			return nil, ks.err
		}
		return nil, fmt.Errorf("%w: no key with kid %q", ErrInvalid, kid)
	}
	set, err := v.fetch(ctx, issuer)
	v.mu.Lock()
	if v.cache == nil {
		v.cache = map[string]*keySet{}
	}
	if len(v.cache) > 1000 {
		clear(v.cache)
	}
	if err != nil && ks != nil && ks.err == nil && fresh {
		// Keep serving the keys we have; the fetch was for a new kid.
		v.mu.Unlock()
		return nil, err
	}
	v.cache[issuer] = &keySet{keys: set, fetched: now, err: err}
	v.mu.Unlock()
	if err != nil {
		return nil, err
	}
	found := pick(set, kid)
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: no key with kid %q", ErrInvalid, kid)
	}
	return found, nil
}

func pick(set jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range set.Keys {
		if (kid == "" || k.KeyID == kid) && k.Valid() && k.IsPublic() && (k.Use == "" || k.Use == "sig") {
			out = append(out, k)
		}
	}
	return out
}

func (v *Verifier) fetch(ctx context.Context, issuer string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return set, err
	}
	if disc.Issuer != issuer {
		return set, fmt.Errorf("%w: the discovery document's issuer %q is not %q", ErrCommunication, disc.Issuer, issuer)
	}
	u, err := url.Parse(disc.JWKSURI)
	iu, _ := url.Parse(issuer)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && iu != nil && iu.Scheme == "http") {
		return set, fmt.Errorf("%w: jwks_uri %q is not usable", ErrCommunication, disc.JWKSURI)
	}
	if err := v.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return set, err
	}
	if len(set.Keys) == 0 {
		return set, fmt.Errorf("%w: the key set is empty", ErrCommunication)
	}
	return set, nil
}

func (v *Verifier) getJSON(ctx context.Context, u string, dst any) error {
	timeout := v.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	max := v.MaxBytes
	if max == 0 {
		max = DefaultMaxBytes
	}
	client := v.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCommunication, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCommunication, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: status %d", ErrCommunication, u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCommunication, err)
	}
	if int64(len(b)) > max {
		return fmt.Errorf("%w: GET %s: more than %d bytes", ErrCommunication, u, max)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("%w: GET %s: %v", ErrCommunication, u, err)
	}
	return nil
}
