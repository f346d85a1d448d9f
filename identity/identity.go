// Package identity keeps who may call the server: accounts and their root
// keys, IAM users, access keys, roles and their inline policies, and STS
// sessions. It turns an access key id into the credential SigV4 needs and
// decides, through the iam package's policy evaluation, whether a principal
// may perform an action on a resource.
package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/internal/ttlcache"
	"github.com/connectfed/connectfed/oidc"
	"github.com/connectfed/connectfed/seal"
)

// Record kinds kept by this package.
var (
	kindAccount = connectfed.RegisterKind("account", "identity")
	kindRootKey = connectfed.RegisterKind("rootkey", "identity")
)

// Service is the identity store and authorizer.
type Service struct {
	Store  connectfed.Store
	Sealer *seal.Sealer
	Now    func() time.Time
	// Log receives one line at info level for every refused authorization
	// (action, resource, principal, and the statement that denied it or
	// that none allowed it), when ExplainDenials is set. Nil: no lines.
	Log            *slog.Logger
	ExplainDenials bool
	// MaxKeyLookups bounds the concurrent store reads for access key ids
	// found in neither the credential cache nor the unknown-key cache:
	// anyone can send such a request (no credential is needed to name an
	// id), so a flood of made-up ids must not take every store connection
	// from signed callers. Further lookups wait (holding no store
	// connection and no serving slot) until their request ends. Zero means
	// DefaultKeyLookups.
	MaxKeyLookups int
	// OIDC verifies web identity tokens; nil means one made on first use
	// with this Service's clock.
	OIDC     *oidc.Verifier
	oidcOnce sync.Once
	// Keys seals STS session tokens (the token key ring every replica
	// shares); AssumeRole and its SAML and web identity variants need it.
	Keys SessionKeys

	cache policyCache
	// creds and principalPolicies spare the hot path its store reads: a
	// cached entry is at most ttlcache.DefaultTTL (500 ms by Now) old, and
	// any IAM write on this replica drops them all, so this replica never
	// serves its own stale data and other replicas' changes show within
	// that bound.
	creds ttlcache.Cache[string, *Credential]
	// unknown remembers access key ids the store does not have, so that
	// requests signed with one (a deleted key, a typo in a CI secret, a
	// flood of made-up ids) cost one store read per id per DefaultTTL, not
	// one each. Same bound and invalidation as creds: a key created on this
	// replica works at once, one created on another replica within 500 ms.
	// Its own map (swept of expired ids as it grows, at most
	// ttlcache.DefaultMax), so a flood of made-up ids never pushes real
	// credentials out of creds.
	unknown ttlcache.Cache[string, struct{}]
	// keyLookups holds a token for each store read of a long-term key id
	// in neither cache (see MaxKeyLookups); keyLookupsWaiting counts the
	// requests queued for one.
	keyLookups        chan struct{}
	keyLookupsOnce    sync.Once
	keyLookupsWaiting atomic.Int64
	principalPolicies ttlcache.Cache[string, *policySet]
	roles             ttlcache.Cache[string, *Role] // AssumeRole and session checks
}

// DefaultKeyLookups is MaxKeyLookups when unset: half of SQLite's
// smallest reader pool (4 connections), so made-up key ids can hold at most
// two store connections; at about 0.1 ms (SQLite) to 1 ms (PostgreSQL) per
// lookup that is still 2,000 to 20,000 first lookups of real keys a second.
const DefaultKeyLookups = 2

// update runs a write and drops the caches.
func (s *Service) update(ctx context.Context, fn func(connectfed.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	s.Invalidate()
	return err
}

// Invalidate drops every cached credential and policy (after a write made
// outside this Service, such as an account reset).
func (s *Service) Invalidate() {
	s.creds.Invalidate()
	s.unknown.Invalidate()
	s.principalPolicies.Invalidate()
	s.roles.Invalidate()
}

// role reads a role through the roles cache (same bound as creds). The
// result is shared: callers must not change it.
func (s *Service) role(ctx context.Context, accountID, name string) (*Role, error) {
	key := nameKey(accountID, name)
	if r, ok := s.roles.Get(key, s.now()); ok {
		return r, nil
	}
	gen := s.roles.Generation()
	r := &Role{}
	if err := s.Store.View(ctx, func(tx connectfed.Tx) error { return getRole(tx, accountID, name, r) }); err != nil {
		return nil, err
	}
	s.roles.Put(key, r, gen, s.now())
	return r, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RootKey is an account's root access key pair as configured.
type RootKey struct {
	AccessKeyID     string
	SecretAccessKey string
}

type rootKeyRecord struct {
	AccountID    string    `json:"accountId"`
	SealedSecret string    `json:"sealedSecret"`
	Created      time.Time `json:"created"`
}

// EnsureAccount makes the account and its root keys exist as configured.
// The configuration is the source of truth for root keys: a key whose
// secret changed is resealed; a key id that belongs to another account is
// an error.
func (s *Service) EnsureAccount(ctx context.Context, acct connectfed.Account, keys []RootKey) error {
	now := s.now()
	return s.update(ctx, func(tx connectfed.Tx) error {
		var existing connectfed.Account
		err := connectfed.GetJSON(tx, kindAccount, acct.ID, &existing)
		switch {
		case errors.Is(err, connectfed.ErrNotFound):
			acct.Created = now
			if err := connectfed.CreateJSON(tx, kindAccount, acct.ID, acct); err != nil {
				return err
			}
		case err != nil:
			return err
		case existing.Name != acct.Name:
			existing.Name = acct.Name
			if err := connectfed.PutJSON(tx, kindAccount, acct.ID, existing); err != nil {
				return err
			}
		}
		for _, k := range keys {
			var rec rootKeyRecord
			err := connectfed.GetJSON(tx, kindRootKey, k.AccessKeyID, &rec)
			switch {
			case errors.Is(err, connectfed.ErrNotFound):
				rec = rootKeyRecord{AccountID: acct.ID, SealedSecret: s.Sealer.Seal(k.SecretAccessKey, "rootkey/"+k.AccessKeyID), Created: now}
				if err := connectfed.CreateJSON(tx, kindRootKey, k.AccessKeyID, rec); err != nil {
					return err
				}
			case err != nil:
				return err
			case rec.AccountID != acct.ID:
				return fmt.Errorf("root access key %s already belongs to account %s", k.AccessKeyID, rec.AccountID)
			default:
				old, err := s.Sealer.Open(rec.SealedSecret, "rootkey/"+k.AccessKeyID)
				if err == nil && subtle.ConstantTimeCompare([]byte(old), []byte(k.SecretAccessKey)) == 1 {
					continue
				}
				rec.SealedSecret = s.Sealer.Seal(k.SecretAccessKey, "rootkey/"+k.AccessKeyID)
				if err := connectfed.PutJSON(tx, kindRootKey, k.AccessKeyID, rec); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// RemoveRootKey deletes a root key (used when the development account is
// switched off). A missing key is not an error.
func (s *Service) RemoveRootKey(ctx context.Context, accessKeyID string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		err := tx.Delete(kindRootKey, accessKeyID)
		if errors.Is(err, connectfed.ErrNotFound) {
			return nil
		}
		return err
	})
}

// Credential is what SigV4 verification needs for one access key.
type Credential struct {
	Secret       string
	SessionToken string
	Expires      time.Time
	Principal    *connectfed.Principal
	// keys are Principal's condition keys (principalContext), made once
	// when the credential is cached and shared by its requests.
	keys map[string][]string
}

// Credential finds the credential for a long-term access key id (or a
// session issued before session tokens were self-contained). It returns
// (nil, nil) for an unknown key.
func (s *Service) Credential(ctx context.Context, accessKeyID string) (*Credential, error) {
	return s.CredentialFor(ctx, accessKeyID, "")
}

// CredentialFor finds the credential for an access key id and the session
// token the request carries ("" for none): a self-contained session token
// resolves without the store holding the session. It returns (nil, nil)
// for an unknown key or a token that is not valid for it. A cached
// credential is returned as it is: the SigV4 verifier compares the token.
func (s *Service) CredentialFor(ctx context.Context, accessKeyID, sessionToken string) (*Credential, error) {
	if c, ok := s.creds.Get(accessKeyID, s.now()); ok {
		return c, nil
	}
	gen := s.creds.Generation()
	var cred *Credential
	var err error
	if strings.HasPrefix(accessKeyID, "ASIA") && isSessionToken(sessionToken) {
		cred, err = s.sessionCredential(ctx, accessKeyID, sessionToken)
	} else {
		if _, ok := s.unknown.Get(accessKeyID, s.now()); ok {
			return nil, nil
		}
		if err := s.acquireKeyLookup(ctx); err != nil {
			return nil, err
		}
		defer s.releaseKeyLookup()
		// Requests for the same id queue together: once the first has
		// read it, the rest are answered from a cache.
		if c, ok := s.creds.Get(accessKeyID, s.now()); ok {
			return c, nil
		}
		if _, ok := s.unknown.Get(accessKeyID, s.now()); ok {
			return nil, nil
		}
		gen = s.creds.Generation()
		unknownGen := s.unknown.Generation()
		err = s.Store.View(ctx, func(tx connectfed.Tx) error {
			var err error
			cred, err = s.lookup(tx, accessKeyID)
			return err
		})
		if err == nil && cred == nil {
			s.unknown.Put(accessKeyID, struct{}{}, unknownGen, s.now())
		}
	}
	if err == nil && cred != nil {
		cred.keys = principalContext(cred.Principal)
		s.creds.Put(accessKeyID, cred, gen, s.now())
	}
	return cred, err
}

// acquireKeyLookup waits for one of MaxKeyLookups store reads, or for ctx
// to end.
func (s *Service) acquireKeyLookup(ctx context.Context) error {
	s.keyLookupsOnce.Do(func() {
		n := s.MaxKeyLookups
		if n <= 0 {
			n = DefaultKeyLookups
		}
		s.keyLookups = make(chan struct{}, n)
	})
	select {
	case s.keyLookups <- struct{}{}:
		return nil
	default:
	}
	s.keyLookupsWaiting.Add(1)
	defer s.keyLookupsWaiting.Add(-1)
	select {
	case s.keyLookups <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) releaseKeyLookup() { <-s.keyLookups }

func (s *Service) lookup(tx connectfed.Tx, accessKeyID string) (*Credential, error) {
	var rec rootKeyRecord
	err := connectfed.GetJSON(tx, kindRootKey, accessKeyID, &rec)
	if err == nil {
		secret, err := s.Sealer.Open(rec.SealedSecret, "rootkey/"+accessKeyID)
		if err != nil {
			return nil, fmt.Errorf("root key %s: %w", accessKeyID, err)
		}
		return &Credential{Secret: secret, Principal: RootPrincipal(rec.AccountID, accessKeyID)}, nil
	}
	if !errors.Is(err, connectfed.ErrNotFound) {
		return nil, err
	}
	return s.lookupIAM(tx, accessKeyID)
}

// RootPrincipal is the principal of an account's root identity.
func RootPrincipal(accountID, accessKeyID string) *connectfed.Principal {
	return &connectfed.Principal{
		Type:        connectfed.PrincipalRoot,
		AccountID:   accountID,
		ARN:         "arn:aws:iam::" + accountID + ":root",
		UserID:      accountID,
		AccessKeyID: accessKeyID,
	}
}

// Authorize decides whether p may perform action on resource. conditions
// are the request's condition keys beyond the principal's own (for example
// connect:InstanceId). A denial is AccessDeniedException with AWS's message.
func (s *Service) Authorize(ctx context.Context, p *connectfed.Principal, action, resource string, conditions map[string][]string) error {
	if why := sessionTokenRefusal(p, action); why != "" {
		s.explainDenial(ctx, p, action, resource, why)
		return Denied(p, action, resource)
	}
	if p.IsRoot() {
		if resource == "*" || arnAccount(resource) == p.AccountID {
			return nil
		}
		if arnAccount(resource) == AWSAccount && (strings.HasPrefix(action, "iam:Get") || strings.HasPrefix(action, "iam:List")) {
			return nil // AWS managed policies are readable by every account
		}
		s.explainDenial(ctx, p, action, resource, "root acts only on its own account's resources")
		return Denied(p, action, resource)
	}
	return s.authorizeIAM(ctx, p, action, resource, conditions)
}

// Denied is the AccessDeniedException AWS returns for a refused action.
func Denied(p *connectfed.Principal, action, resource string) error {
	return connectfed.TypedErrorf(connectfed.EFORBIDDEN, connectfed.AccessDeniedException,
		"User: %s is not authorized to perform: %s on resource: %s", p.ARN, action, resource)
}

// arnAccount returns the account field of an ARN ("" if it has none).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
