// Package connect holds the rules for Amazon Connect resources: instances,
// their default profiles and queue, and users. Wire validation (lengths,
// patterns, enums) is the API layer's job; this package enforces what needs
// the store: existence, uniqueness and cascades.
package connect

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/internal/ttlcache"
)

// Record kinds. Keys are "<account>/<region>/<instance>[/<id>]" so that an
// account's, a region's or an instance's records share a prefix.
var (
	kindInstance      = connectfed.RegisterKind("instance", "connect")
	kindInstanceAlias = connectfed.RegisterKind("instancealias", "connect") // key: "<account>/<region>/<lower-case alias>"
	kindSecurity      = connectfed.RegisterKind("secprofile", "connect")
	kindRouting       = connectfed.RegisterKind("routingprofile", "connect")
	kindQueue         = connectfed.RegisterKind("queue", "connect")
	kindUser          = connectfed.RegisterKind("user", "connect")
	kindUsername      = connectfed.RegisterKind("username", "connect")
)

// DefaultSecurityProfiles are the profiles a new instance gets, as on AWS.
var DefaultSecurityProfiles = []string{"Admin", "Agent", "CallCenterManager", "QualityAnalyst"}

// Default routing profile and queue names of a new instance.
const (
	DefaultRoutingProfile = "Basic Routing Profile"
	DefaultQueue          = "BasicQueue"
)

// Service applies the Connect rules over a Store.
type Service struct {
	Store connectfed.Store
	Now   func() time.Time

	// Reads outside transactions are cached for at most
	// ttlcache.DefaultTTL (500 ms by Now); every write through this Service drops
	// the caches, so this replica never serves its own stale data and other
	// replicas' changes show within that bound.
	instances ttlcache.Cache[string, connectfed.Instance]
	users     ttlcache.Cache[string, connectfed.User]   // by id
	usernames ttlcache.Cache[string, connectfed.User]   // by username
	tags      ttlcache.Cache[string, map[string]string] // by scope and ARN
}

// update runs a write and drops the caches.
func (s *Service) update(ctx context.Context, fn func(connectfed.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	s.Invalidate()
	return err
}

// Invalidate drops every cached read (after a write made outside this
// Service, such as an account reset).
func (s *Service) Invalidate() {
	s.instances.Invalidate()
	s.users.Invalidate()
	s.usernames.Invalidate()
	s.tags.Invalidate()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Scope names the account and region a request acts in.
type Scope struct {
	AccountID string
	Region    string
}

func (sc Scope) prefix() string { return sc.AccountID + "/" + sc.Region + "/" }

func instanceKey(sc Scope, id string) string { return sc.prefix() + id }

func childKey(sc Scope, instanceID, id string) string { return sc.prefix() + instanceID + "/" + id }

// InstanceByAlias returns the id of the instance with this alias, or
// ErrNotFound.
func (s *Service) InstanceByAlias(ctx context.Context, sc Scope, alias string) (string, error) {
	var id string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		return connectfed.GetJSON(tx, kindInstanceAlias, sc.prefix()+strings.ToLower(alias), &id)
	})
	return id, err
}

// InstanceARN is the ARN a call on an instance is authorized on: the ARN
// the caller gave, or the ARN of the id in the scope's account and region.
func InstanceARN(sc Scope, idOrARN string) string {
	if strings.HasPrefix(idOrARN, "arn:") {
		return idOrARN
	}
	return "arn:aws:connect:" + sc.Region + ":" + sc.AccountID + ":instance/" + idOrARN
}

// ResolveInstanceID accepts an instance id or an instance ARN of this scope
// and returns the bare id. Anything else (another account's or region's
// ARN, a malformed one) comes back unchanged: no instance has such an id,
// so the caller sees ResourceNotFoundException naming what it sent, as for
// any unknown instance.
func ResolveInstanceID(sc Scope, idOrARN string) string {
	if !strings.HasPrefix(idOrARN, "arn:") {
		return idOrARN // an id (the common case: no ARN to build)
	}
	want := "arn:aws:connect:" + sc.Region + ":" + sc.AccountID + ":instance/"
	if rest, ok := strings.CutPrefix(idOrARN, want); ok && rest != "" && !strings.Contains(rest, "/") {
		return rest
	}
	return idOrARN
}

func notFound(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.ENOTFOUND, connectfed.ResourceNotFoundException, format, args...)
}

// instanceNotFound is the message AWS gives for an unknown instance.
func instanceNotFound(id string) error {
	return notFound("Instance not found: %s", id)
}

// CreateInstanceInput is what CreateInstance needs after wire validation.
type CreateInstanceInput struct {
	ID                     string // optional: a fixed id (seeding); default a new UUID
	Alias                  string
	IdentityManagementType string
	DirectoryID            string
	InboundCallsEnabled    bool
	OutboundCallsEnabled   bool
	Tags                   map[string]string
}

// CreateInstance creates an ACTIVE instance with the default security
// profiles, routing profile and queue, all in one transaction. An alias
// already used in the account and region is InvalidRequestException.
func (s *Service) CreateInstance(ctx context.Context, sc Scope, in CreateInstanceInput) (*connectfed.Instance, error) {
	now := s.now()
	inst := &connectfed.Instance{
		AccountID:              sc.AccountID,
		Region:                 sc.Region,
		ID:                     in.ID,
		Alias:                  in.Alias,
		IdentityManagementType: in.IdentityManagementType,
		DirectoryID:            in.DirectoryID,
		InboundCallsEnabled:    in.InboundCallsEnabled,
		OutboundCallsEnabled:   in.OutboundCallsEnabled,
		Status:                 connectfed.InstanceActive,
		Created:                now,
		Tags:                   in.Tags,
	}
	if inst.ID == "" {
		inst.ID = connectfed.NewUUID()
	}
	if inst.Alias == "" {
		// AWS requires an alias unless a directory is given; we derive one
		// from the id so the access URL is always well formed.
		inst.Alias = "instance-" + inst.ID[:8]
	}
	hours := defaultHours(now)
	queue := connectfed.Queue{ID: connectfed.NewUUID(), Name: DefaultQueue, Description: "The default queue",
		HoursOfOperationID: hours.ID, Status: "ENABLED", LastModified: now}
	routing := defaultRouting(now, queue.ID)
	err := s.update(ctx, func(tx connectfed.Tx) error {
		if in.Alias != "" {
			if err := tx.Create(kindInstanceAlias, sc.prefix()+strings.ToLower(in.Alias), []byte(`"`+inst.ID+`"`)); err != nil {
				if errors.Is(err, connectfed.ErrExists) {
					// CreateInstance models no conflict error; AWS reports a
					// taken alias as an invalid request.
					return connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.InvalidRequestException,
						"Invalid Input. Instance alias is already used.")
				}
				return err
			}
		}
		if err := connectfed.CreateJSON(tx, kindInstance, instanceKey(sc, inst.ID), inst); err != nil {
			return err
		}
		for _, name := range DefaultSecurityProfiles {
			p := connectfed.SecurityProfile{ID: connectfed.NewUUID(), Name: name, LastModified: now}
			if err := connectfed.CreateJSON(tx, kindSecurity, childKey(sc, inst.ID, p.ID), p); err != nil {
				return err
			}
		}
		if err := connectfed.CreateJSON(tx, kindHours, childKey(sc, inst.ID, hours.ID), hours); err != nil {
			return err
		}
		if err := connectfed.CreateJSON(tx, kindQueue, childKey(sc, inst.ID, queue.ID), queue); err != nil {
			return err
		}
		return connectfed.CreateJSON(tx, kindRouting, childKey(sc, inst.ID, routing.ID), routing)
	})
	if err != nil {
		return nil, err
	}
	return inst, nil
}

// GetInstance returns an instance of the scope, or ResourceNotFoundException.
func (s *Service) GetInstance(ctx context.Context, sc Scope, id string) (*connectfed.Instance, error) {
	key := instanceKey(sc, id)
	if inst, ok := s.instances.Get(key, s.now()); ok {
		return &inst, nil
	}
	gen := s.instances.Generation()
	var inst connectfed.Instance
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		return getInstance(tx, sc, id, &inst)
	})
	if err != nil {
		return nil, err
	}
	s.instances.Put(key, inst, gen, s.now())
	return &inst, nil
}

func getInstance(tx connectfed.Tx, sc Scope, id string, inst *connectfed.Instance) error {
	err := connectfed.GetJSON(tx, kindInstance, instanceKey(sc, ResolveInstanceID(sc, id)), inst)
	if errors.Is(err, connectfed.ErrNotFound) {
		return instanceNotFound(id)
	}
	return err
}

// ListInstances returns up to limit instances after the cursor, and the
// cursor for the next page ("" when there is none).
func (s *Service) ListInstances(ctx context.Context, sc Scope, after string, limit int) ([]connectfed.Instance, string, error) {
	var out []connectfed.Instance
	var next string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var err error
		out, next, err = listPage[connectfed.Instance](tx, kindInstance, sc.prefix(), after, limit)
		return err
	})
	return out, next, err
}

// listPage reads one page and tells whether another follows by asking for
// one entry more than the page holds.
func listPage[T any](tx connectfed.Tx, kind, prefix, after string, limit int) ([]T, string, error) {
	entries, err := tx.List(kind, prefix, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = entries[limit-1].Key
	}
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		var v T
		if err := decode(e, &v); err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, next, nil
}

// DeleteInstance deletes an instance with its users, profiles and queues.
// It returns the instance as it was, so callers can revoke what hung on it.
func (s *Service) DeleteInstance(ctx context.Context, sc Scope, id string) (*connectfed.Instance, error) {
	var inst connectfed.Instance
	err := s.update(ctx, func(tx connectfed.Tx) error {
		if err := getInstance(tx, sc, id, &inst); err != nil {
			return err
		}
		children := sc.prefix() + inst.ID + "/"
		for _, kind := range append([]string{kindUser, kindUsername, kindSecurity, kindRouting, kindQueue}, extraKinds...) {
			if _, err := tx.DeletePrefix(kind, children); err != nil {
				return err
			}
		}
		if inst.Alias != "" {
			// Derived aliases were never reserved; ignore their absence.
			if err := tx.Delete(kindInstanceAlias, sc.prefix()+strings.ToLower(inst.Alias)); err != nil && !errors.Is(err, connectfed.ErrNotFound) {
				return err
			}
		}
		return tx.Delete(kindInstance, instanceKey(sc, inst.ID))
	})
	if err != nil {
		return nil, err
	}
	return &inst, nil
}

// ListSecurityProfiles lists an instance's security profiles.
func (s *Service) ListSecurityProfiles(ctx context.Context, sc Scope, instanceID, after string, limit int) ([]connectfed.SecurityProfile, string, error) {
	return listChildren[connectfed.SecurityProfile](ctx, s, sc, kindSecurity, instanceID, after, limit)
}

// ListRoutingProfiles lists an instance's routing profiles.
func (s *Service) ListRoutingProfiles(ctx context.Context, sc Scope, instanceID, after string, limit int) ([]connectfed.RoutingProfile, string, error) {
	return listChildren[connectfed.RoutingProfile](ctx, s, sc, kindRouting, instanceID, after, limit)
}

func listChildren[T any](ctx context.Context, s *Service, sc Scope, kind, instanceID, after string, limit int) ([]T, string, error) {
	var out []T
	var next string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		var err error
		out, next, err = listPage[T](tx, kind, sc.prefix()+inst.ID+"/", after, limit)
		return err
	})
	return out, next, err
}

// hashPassword keeps a CONNECT_MANAGED user's password only as a salted
// PBKDF2 hash.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, pw, salt, 100_000, 32)
	if err != nil {
		return "", err
	}
	return "pbkdf2-sha256$100000$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key), nil
}

// ResetAccount deletes every Connect resource of an account, in every
// region, and drops the caches.
func (s *Service) ResetAccount(ctx context.Context, accountID string) error {
	return s.update(ctx, func(tx connectfed.Tx) error { return resetAccount(tx, accountID) })
}

func resetAccount(tx connectfed.Tx, accountID string) error {
	for _, kind := range append([]string{kindUser, kindUsername, kindSecurity, kindRouting, kindQueue, kindInstanceAlias, kindInstance}, extraKinds...) {
		if _, err := tx.DeletePrefix(kind, accountID+"/"); err != nil {
			return err
		}
	}
	return nil
}
