package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/connectfed/connectfed/oidc"
)

// testIssuer serves a discovery document and a key set.
type testIssuer struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	kid      string
	jwks     atomic.Value // func(w, r)
	fetches  atomic.Int32
	extraKey *jose.JSONWebKey
}

func newIssuer(t *testing.T) *testIssuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &testIssuer{key: key, kid: "k1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
	})
	is.jwks.Store(func(w http.ResponseWriter, r *http.Request) {
		keys := []jose.JSONWebKey{{Key: &is.key.PublicKey, KeyID: is.kid, Algorithm: "RS256", Use: "sig"}}
		if is.extraKey != nil {
			keys = append(keys, *is.extraKey)
		}
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: keys})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		is.jwks.Load().(func(http.ResponseWriter, *http.Request))(w, r)
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *testIssuer) sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (is *testIssuer) claims(mod func(map[string]any)) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": is.srv.URL, "sub": "alice", "aud": "agent-desktop", "exp": now.Add(10 * time.Minute).Unix(),
		"iat": now.Unix(), "nbf": now.Unix(), "amr": []string{"pwd", "mfa"}}
	if mod != nil {
		mod(c)
	}
	return c
}

func (is *testIssuer) token(t *testing.T, mod func(map[string]any)) string {
	return is.sign(t, jose.RS256, is.key, is.kid, is.claims(mod))
}

func TestVerify(t *testing.T) {
	is := newIssuer(t)
	v := &oidc.Verifier{}
	ctx := context.Background()
	c, err := v.Verify(ctx, is.srv.URL, is.token(t, nil), []string{"other", "agent-desktop"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "alice" || c.Audience != "agent-desktop" || strings.Join(c.AMR, ",") != "pwd,mfa" || c.Issuer != is.srv.URL {
		t.Errorf("%+v", c)
	}
	// Keys are cached: a second token costs no fetch.
	if _, err := v.Verify(ctx, is.srv.URL, is.token(t, func(m map[string]any) { m["aud"] = []string{"x", "agent-desktop"} }), []string{"agent-desktop"}); err != nil {
		t.Fatal(err)
	}
	if n := is.fetches.Load(); n != 1 {
		t.Errorf("%d key fetches, want 1", n)
	}
	if iss, err := oidc.UnverifiedIssuer(is.token(t, nil)); err != nil || iss != is.srv.URL {
		t.Errorf("UnverifiedIssuer = %q %v", iss, err)
	}
}

// TestKeyRotation: a token with a new kid makes one refetch.
func TestKeyRotation(t *testing.T) {
	is := newIssuer(t)
	now := time.Now()
	v := &oidc.Verifier{Now: func() time.Time { return now }}
	ctx := context.Background()
	if _, err := v.Verify(ctx, is.srv.URL, is.token(t, nil), []string{"agent-desktop"}); err != nil {
		t.Fatal(err)
	}
	key2, _ := rsa.GenerateKey(rand.Reader, 2048)
	is.extraKey = &jose.JSONWebKey{Key: &key2.PublicKey, KeyID: "k2", Algorithm: "RS256", Use: "sig"}
	now = now.Add(time.Minute)
	tok := is.sign(t, jose.RS256, key2, "k2", is.claims(nil))
	if _, err := v.Verify(ctx, is.srv.URL, tok, []string{"agent-desktop"}); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if n := is.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
	// Unknown kids right after a fetch do not fetch again.
	for i := 0; i < 5; i++ {
		tok := is.sign(t, jose.RS256, key2, "nope", is.claims(nil))
		if _, err := v.Verify(ctx, is.srv.URL, tok, []string{"agent-desktop"}); !errors.Is(err, oidc.ErrInvalid) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := is.fetches.Load(); n != 2 {
		t.Errorf("%d fetches after unknown kids, want 2", n)
	}
}

func TestVerifyRefuses(t *testing.T) {
	is := newIssuer(t)
	ctx := context.Background()
	pubDER, _ := x509.MarshalPKIXPublicKey(&is.key.PublicKey)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	header := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
	body, _ := json.Marshal(is.claims(nil))
	none := header(`{"alg":"none","kid":"k1"}`) + "." + base64.RawURLEncoding.EncodeToString(body) + "."
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"alg none", none, oidc.ErrInvalid},
		{"HS256 keyed with the public key (RS/HS confusion)", is.sign(t, jose.HS256, pubDER, "k1", is.claims(nil)), oidc.ErrInvalid},
		{"signed by another key, same kid", is.sign(t, jose.RS256, otherRSA, "k1", is.claims(nil)), oidc.ErrInvalid},
		{"ES256 by a key not in the set", is.sign(t, jose.ES256, ecKey, "k1", is.claims(nil)), oidc.ErrInvalid},
		{"unknown kid", is.sign(t, jose.RS256, is.key, "zzz", is.claims(nil)), oidc.ErrInvalid},
		{"expired", is.token(t, func(m map[string]any) { m["exp"] = time.Now().Add(-10 * time.Minute).Unix() }), oidc.ErrExpired},
		{"no exp", is.token(t, func(m map[string]any) { delete(m, "exp") }), oidc.ErrInvalid},
		{"not yet valid", is.token(t, func(m map[string]any) { m["nbf"] = time.Now().Add(time.Hour).Unix() }), oidc.ErrInvalid},
		{"issued in the future", is.token(t, func(m map[string]any) { m["iat"] = time.Now().Add(time.Hour).Unix() }), oidc.ErrInvalid},
		{"wrong audience", is.token(t, func(m map[string]any) { m["aud"] = "someone-else" }), oidc.ErrInvalid},
		{"wrong issuer", is.token(t, func(m map[string]any) { m["iss"] = "https://evil.example.com" }), oidc.ErrInvalid},
		{"garbage", "a.b.c", oidc.ErrInvalid},
		{"tampered payload", func() string {
			p := strings.Split(is.token(t, nil), ".")
			c := is.claims(func(m map[string]any) { m["sub"] = "mallory" })
			b, _ := json.Marshal(c)
			return p[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + p[2]
		}(), oidc.ErrInvalid},
	}
	v := &oidc.Verifier{}
	for _, c := range cases {
		if _, err := v.Verify(ctx, is.srv.URL, c.token, []string{"agent-desktop"}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestBadKeyEndpoints: a JWKS endpoint that hangs, answers junk, too much
// or an error fails fast with ErrCommunication.
func TestBadKeyEndpoints(t *testing.T) {
	ctx := context.Background()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}},
		{"junk", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>not json")) }},
		{"huge", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[` + strings.Repeat(" ", 2<<20)))
		}},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }},
		{"empty set", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[]}`)) }},
	}
	for _, c := range cases {
		is := newIssuer(t)
		is.jwks.Store(c.handler)
		v := &oidc.Verifier{Timeout: 300 * time.Millisecond}
		start := time.Now()
		_, err := v.Verify(ctx, is.srv.URL, is.token(t, nil), []string{"agent-desktop"})
		if !errors.Is(err, oidc.ErrCommunication) {
			t.Errorf("%s: %v", c.name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", c.name, d)
		}
	}
	// An issuer that cannot be reached at all.
	v := &oidc.Verifier{Timeout: 300 * time.Millisecond}
	is := newIssuer(t)
	tok := is.token(t, nil)
	is.srv.Close()
	if _, err := v.Verify(ctx, is.srv.URL, tok, []string{"agent-desktop"}); !errors.Is(err, oidc.ErrCommunication) {
		t.Errorf("unreachable: %v", err)
	}
}
