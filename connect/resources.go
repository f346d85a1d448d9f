package connect

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
)

// The provisioning resources of an instance beyond users: queues, hours of
// operation, routing and security profiles (their create/update/delete),
// user hierarchy groups and structure, and tags on all of them.

var (
	kindHours      = connectfed.RegisterKind("hours", "connect")           // <instance>/<id>
	kindHierGroup  = connectfed.RegisterKind("hierarchygroup", "connect")  // <instance>/<id>
	kindHierStruct = connectfed.RegisterKind("hierarchystruct", "connect") // <instance>/structure
)

func init() { RegisterInstanceKinds(kindHours, kindHierGroup, kindHierStruct) }

// DefaultHours is the hours of operation a new instance gets.
const DefaultHours = "Basic Hours"

// Channels a routing profile routes, as in the model.
var Channels = []string{"VOICE", "CHAT", "TASK", "EMAIL"}

// HoursOfOperation is when a queue takes contacts.
type HoursOfOperation struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	TimeZone     string            `json:"timeZone"`
	Config       []HoursConfig     `json:"config"`
	Tags         map[string]string `json:"tags,omitempty"`
	LastModified time.Time         `json:"lastModified"`
}

// HoursConfig is one day's opening hours.
type HoursConfig struct {
	Day          string `json:"day"`
	StartHours   int    `json:"startHours,omitempty"`
	StartMinutes int    `json:"startMinutes,omitempty"`
	EndHours     int    `json:"endHours,omitempty"`
	EndMinutes   int    `json:"endMinutes,omitempty"`
}

func defaultHours(now time.Time) HoursOfOperation {
	h := HoursOfOperation{ID: connectfed.NewUUID(), Name: DefaultHours, Description: "This is the default hours of operation",
		TimeZone: "America/New_York", LastModified: now}
	for _, d := range []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"} {
		h.Config = append(h.Config, HoursConfig{Day: d})
	}
	return h
}

func defaultRouting(now time.Time, queueID string) connectfed.RoutingProfile {
	rp := connectfed.RoutingProfile{ID: connectfed.NewUUID(), Name: DefaultRoutingProfile, Description: "Default routing profile",
		DefaultQueueID: queueID, IsDefault: true, LastModified: now, AgentAvailabilityTimer: "TIME_SINCE_LAST_ACTIVITY"}
	for _, ch := range []string{"VOICE", "CHAT", "TASK"} {
		c := 1
		if ch == "CHAT" {
			c = 2
		}
		rp.MediaConcurrencies = append(rp.MediaConcurrencies, connectfed.MediaConcurrency{Channel: ch, Concurrency: c})
		rp.Queues = append(rp.Queues, connectfed.RoutingQueueConfig{QueueID: queueID, Channel: ch, Priority: 1})
	}
	return rp
}

// --- generic per-instance records ---

func getChild[T any](tx connectfed.Tx, sc Scope, kind, instanceID, id, what string, v *T) error {
	err := connectfed.GetJSON(tx, kind, childKey(sc, instanceID, id), v)
	if errors.Is(err, connectfed.ErrNotFound) {
		return notFound("%s not found: %s", what, id)
	}
	return err
}

// getOne reads one record of an instance: ResourceNotFoundException names
// the instance or the record.
func getOne[T any](ctx context.Context, s *Service, sc Scope, kind, instanceID, id, what string) (*T, error) {
	var v T
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		return getChild(tx, sc, kind, inst.ID, id, what, &v)
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// updateOne reads a record, lets fn change it and writes it back, in one
// transaction.
func updateOne[T any](ctx context.Context, s *Service, sc Scope, kind, instanceID, id, what string, fn func(tx connectfed.Tx, inst *connectfed.Instance, v *T) error) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		var v T
		if err := getChild(tx, sc, kind, inst.ID, id, what, &v); err != nil {
			return err
		}
		if err := fn(tx, &inst, &v); err != nil {
			return err
		}
		return connectfed.PutJSON(tx, kind, childKey(sc, inst.ID, id), &v)
	})
}

// nameTaken tells whether another record of kind in the instance has this
// name (case-sensitively, as Connect compares them).
func nameTaken(tx connectfed.Tx, sc Scope, kind, instanceID, name, exceptID string) (bool, error) {
	entries, err := tx.List(kind, childKey(sc, instanceID, ""), "", 0)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		var r struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := decode(e, &r); err != nil {
			return false, err
		}
		if r.Name == name && r.ID != exceptID {
			return true, nil
		}
	}
	return false, nil
}

func duplicate(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.DuplicateResourceException, format, args...)
}

func inUse(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.ResourceInUseException, format, args...)
}

// createChild creates a named record of an instance, refusing a name taken
// by another record of its kind.
func createChild(ctx context.Context, s *Service, sc Scope, kind, instanceID, id, name, what string, v any, check func(tx connectfed.Tx, inst *connectfed.Instance) error) (*connectfed.Instance, error) {
	var inst connectfed.Instance
	err := s.update(ctx, func(tx connectfed.Tx) error {
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		if taken, err := nameTaken(tx, sc, kind, inst.ID, name, ""); err != nil {
			return err
		} else if taken {
			return duplicate("%s with name %s already exists.", what, name)
		}
		if check != nil {
			if err := check(tx, &inst); err != nil {
				return err
			}
		}
		return connectfed.CreateJSON(tx, kind, childKey(sc, inst.ID, id), v)
	})
	if err != nil {
		return nil, err
	}
	return &inst, nil
}

// --- queues and hours ---

// CreateQueue creates a STANDARD queue; its hours of operation must exist.
func (s *Service) CreateQueue(ctx context.Context, sc Scope, instanceID string, q connectfed.Queue) (*connectfed.Queue, error) {
	q.ID = connectfed.NewUUID()
	q.LastModified = s.now()
	_, err := createChild(ctx, s, sc, kindQueue, instanceID, q.ID, q.Name, "Queue", &q, func(tx connectfed.Tx, inst *connectfed.Instance) error {
		var h HoursOfOperation
		return getChild(tx, sc, kindHours, inst.ID, q.HoursOfOperationID, "Hours of operation", &h)
	})
	if err != nil {
		return nil, err
	}
	return &q, nil
}

// GetQueue returns a queue.
func (s *Service) GetQueue(ctx context.Context, sc Scope, instanceID, id string) (*connectfed.Queue, error) {
	return getOne[connectfed.Queue](ctx, s, sc, kindQueue, instanceID, id, "Queue")
}

// ListQueues lists an instance's queues, ordered by id.
func (s *Service) ListQueues(ctx context.Context, sc Scope, instanceID, after string, limit int) ([]connectfed.Queue, string, error) {
	return listChildren[connectfed.Queue](ctx, s, sc, kindQueue, instanceID, after, limit)
}

// UpdateQueue changes a queue: a new name must not be another queue's.
func (s *Service) UpdateQueue(ctx context.Context, sc Scope, instanceID, id string, fn func(*connectfed.Queue)) error {
	return updateOne(ctx, s, sc, kindQueue, instanceID, id, "Queue", func(tx connectfed.Tx, inst *connectfed.Instance, q *connectfed.Queue) error {
		fn(q)
		if taken, err := nameTaken(tx, sc, kindQueue, inst.ID, q.Name, q.ID); err != nil {
			return err
		} else if taken {
			return duplicate("Queue with name %s already exists.", q.Name)
		}
		q.LastModified = s.now()
		return nil
	})
}

// GetHours returns an hours of operation.
func (s *Service) GetHours(ctx context.Context, sc Scope, instanceID, id string) (*HoursOfOperation, error) {
	return getOne[HoursOfOperation](ctx, s, sc, kindHours, instanceID, id, "Hours of operation")
}

// ListHours lists an instance's hours of operation.
func (s *Service) ListHours(ctx context.Context, sc Scope, instanceID, after string, limit int) ([]HoursOfOperation, string, error) {
	return listChildren[HoursOfOperation](ctx, s, sc, kindHours, instanceID, after, limit)
}

// --- routing profiles ---

func checkQueues(tx connectfed.Tx, sc Scope, instanceID string, ids ...string) error {
	for _, id := range ids {
		var q connectfed.Queue
		if err := getChild(tx, sc, kindQueue, instanceID, id, "Queue", &q); err != nil {
			return err
		}
	}
	return nil
}

// CreateRoutingProfile creates a routing profile; its queues must exist.
func (s *Service) CreateRoutingProfile(ctx context.Context, sc Scope, instanceID string, rp connectfed.RoutingProfile) (*connectfed.RoutingProfile, error) {
	rp.ID = connectfed.NewUUID()
	rp.LastModified = s.now()
	_, err := createChild(ctx, s, sc, kindRouting, instanceID, rp.ID, rp.Name, "Routing profile", &rp, func(tx connectfed.Tx, inst *connectfed.Instance) error {
		ids := []string{rp.DefaultQueueID}
		for _, q := range rp.Queues {
			ids = append(ids, q.QueueID)
		}
		return checkQueues(tx, sc, inst.ID, ids...)
	})
	if err != nil {
		return nil, err
	}
	return &rp, nil
}

// GetRoutingProfile returns a routing profile.
func (s *Service) GetRoutingProfile(ctx context.Context, sc Scope, instanceID, id string) (*connectfed.RoutingProfile, error) {
	return getOne[connectfed.RoutingProfile](ctx, s, sc, kindRouting, instanceID, id, "Routing profile")
}

// RoutingProfileUsers counts the users of a routing profile.
func (s *Service) RoutingProfileUsers(ctx context.Context, sc Scope, instanceID, id string) (int, error) {
	n := 0
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		users, err := connectfed.ListJSONValues[connectfed.User](tx, kindUser, childKey(sc, ResolveInstanceID(sc, instanceID), ""))
		for _, u := range users {
			if u.RoutingProfileID == id {
				n++
			}
		}
		return err
	})
	return n, err
}

// UpdateRoutingProfile changes a routing profile. fn may return an error
// to refuse the change; queues it then names must exist and a new name must
// be free.
func (s *Service) UpdateRoutingProfile(ctx context.Context, sc Scope, instanceID, id string, fn func(*connectfed.RoutingProfile) error) error {
	return updateOne(ctx, s, sc, kindRouting, instanceID, id, "Routing profile", func(tx connectfed.Tx, inst *connectfed.Instance, rp *connectfed.RoutingProfile) error {
		if err := fn(rp); err != nil {
			return err
		}
		ids := []string{rp.DefaultQueueID}
		for _, q := range rp.Queues {
			ids = append(ids, q.QueueID)
		}
		if err := checkQueues(tx, sc, inst.ID, ids...); err != nil {
			return err
		}
		if taken, err := nameTaken(tx, sc, kindRouting, inst.ID, rp.Name, rp.ID); err != nil {
			return err
		} else if taken {
			return duplicate("Routing profile with name %s already exists.", rp.Name)
		}
		rp.LastModified = s.now()
		return nil
	})
}

// DeleteRoutingProfile deletes a routing profile no user has and that is
// not the instance's default.
func (s *Service) DeleteRoutingProfile(ctx context.Context, sc Scope, instanceID, id string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		var rp connectfed.RoutingProfile
		if err := getChild(tx, sc, kindRouting, inst.ID, id, "Routing profile", &rp); err != nil {
			return err
		}
		if rp.IsDefault {
			return invalidRequest("The default routing profile cannot be deleted.")
		}
		users, err := connectfed.ListJSONValues[connectfed.User](tx, kindUser, childKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.RoutingProfileID == id {
				return inUse("Routing profile %s is assigned to users and cannot be deleted.", id)
			}
		}
		return tx.Delete(kindRouting, childKey(sc, inst.ID, id))
	})
}

// --- security profiles ---

// CreateSecurityProfile creates a security profile.
func (s *Service) CreateSecurityProfile(ctx context.Context, sc Scope, instanceID string, p connectfed.SecurityProfile) (*connectfed.SecurityProfile, error) {
	p.ID = connectfed.NewUUID()
	p.LastModified = s.now()
	if _, err := createChild(ctx, s, sc, kindSecurity, instanceID, p.ID, p.Name, "Security profile", &p, nil); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetSecurityProfile returns a security profile.
func (s *Service) GetSecurityProfile(ctx context.Context, sc Scope, instanceID, id string) (*connectfed.SecurityProfile, error) {
	return getOne[connectfed.SecurityProfile](ctx, s, sc, kindSecurity, instanceID, id, "Security profile")
}

// UpdateSecurityProfile changes a security profile.
func (s *Service) UpdateSecurityProfile(ctx context.Context, sc Scope, instanceID, id string, fn func(*connectfed.SecurityProfile)) error {
	return updateOne(ctx, s, sc, kindSecurity, instanceID, id, "Security profile", func(_ connectfed.Tx, _ *connectfed.Instance, p *connectfed.SecurityProfile) error {
		fn(p)
		p.LastModified = s.now()
		return nil
	})
}

// DeleteSecurityProfile deletes a security profile no user has.
func (s *Service) DeleteSecurityProfile(ctx context.Context, sc Scope, instanceID, id string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		var p connectfed.SecurityProfile
		if err := getChild(tx, sc, kindSecurity, inst.ID, id, "Security profile", &p); err != nil {
			return err
		}
		users, err := connectfed.ListJSONValues[connectfed.User](tx, kindUser, childKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		for _, u := range users {
			for _, sp := range u.SecurityProfileIDs {
				if sp == id {
					return inUse("Security profile %s is assigned to users and cannot be deleted.", id)
				}
			}
		}
		return tx.Delete(kindSecurity, childKey(sc, inst.ID, id))
	})
}

// --- tags ---

// taggable maps the resource type of a Connect ARN
// (instance/<id>/<type>/<id>) to the record kind holding it; "" is the
// instance itself. Every such record keeps its tags under "tags".
var taggable = map[string]string{
	"agent":            kindUser,
	"security-profile": kindSecurity,
	"routing-profile":  kindRouting,
	"queue":            kindQueue,
	"agent-group":      kindHierGroup,
	"operating-hours":  kindHours,
}

// VirtualHook lets a package whose resources exist before they are stored
// (defaults kept virtual until the first write) take part in tagging: it
// tells whether resource id of the instance exists only virtually, and when
// write is set stores it (and whatever must be stored with it) so tags can
// be written to its record.
type VirtualHook func(tx connectfed.Tx, sc Scope, instanceID, id string, write bool) (bool, error)

var virtualHooks = map[string]VirtualHook{}

// RegisterTaggable declares that ARNs of resource type arnType name records
// of kind (keyed by ChildKey, tags under "tags"), so TagResource and
// aws:ResourceTag work on them; hook may be nil. Call it from an init
// function.
func RegisterTaggable(arnType, kind string, hook VirtualHook) {
	taggable[arnType] = kind
	if hook != nil {
		virtualHooks[arnType] = hook
	}
}

// ErrNotTaggable is returned for a well-formed ARN of this scope whose
// resource type has no tags here.
var ErrNotTaggable = errors.New("resource type not taggable")

// resolveARN finds the record an ARN of this scope names. A malformed ARN
// is InvalidParameterException; one of another account or region, or of a
// missing resource, ResourceNotFoundException.
func resolveARN(tx connectfed.Tx, sc Scope, arn string, write bool) (kind, key string, virtual bool, err error) {
	kind, key, err = parseARN(sc, arn)
	if err != nil {
		return "", "", false, err
	}
	if _, err := tx.Get(kind, key); err != nil {
		if !errors.Is(err, connectfed.ErrNotFound) {
			return "", "", false, err
		}
		res := strings.Split(strings.TrimPrefix(strings.SplitN(arn, ":", 6)[5], "instance/"), "/")
		if len(res) == 3 {
			if hook := virtualHooks[res[1]]; hook != nil {
				ok, err := hook(tx, sc, res[0], res[2], write)
				if err != nil {
					return "", "", false, err
				}
				if ok {
					return kind, key, !write, nil
				}
			}
		}
		return "", "", false, notFound("Resource not found: %s", arn)
	}
	return kind, key, false, nil
}

// parseARN maps an ARN of this scope to the kind and key of its record.
func parseARN(sc Scope, arn string) (kind, key string, err error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "connect" || !strings.HasPrefix(parts[5], "instance/") {
		return "", "", invalidParam("Invalid resource ARN: %s", arn)
	}
	res := strings.Split(strings.TrimPrefix(parts[5], "instance/"), "/")
	if parts[1] != "aws" || parts[3] != sc.Region || parts[4] != sc.AccountID {
		return "", "", notFound("Resource not found: %s", arn)
	}
	for _, r := range res {
		if r == "" {
			return "", "", invalidParam("Invalid resource ARN: %s", arn)
		}
	}
	switch len(res) {
	case 1:
		kind, key = kindInstance, instanceKey(sc, res[0])
	case 3:
		k, ok := taggable[res[1]]
		if !ok {
			return "", "", invalidParam("Resource type %s does not support tags: %s", res[1], arn)
		}
		kind, key = k, childKey(sc, res[0], res[2])
	default:
		return "", "", invalidParam("Invalid resource ARN: %s", arn)
	}
	return kind, key, nil
}

func readTags(tx connectfed.Tx, kind, key string) (map[string]json.RawMessage, map[string]string, error) {
	b, err := tx.Get(kind, key)
	if err != nil {
		return nil, nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, err
	}
	tags := map[string]string{}
	if t, ok := raw["tags"]; ok {
		if err := json.Unmarshal(t, &tags); err != nil {
			return nil, nil, err
		}
	}
	return raw, tags, nil
}

// ResourceTags returns the tags of the resource an ARN names, or the
// errors of resolveARN. Like instances and users, an answer is cached for
// at most ttlcache.DefaultTTL and dropped on any write through this
// Service (authorization reads them on every call).
func (s *Service) ResourceTags(ctx context.Context, sc Scope, arn string) (map[string]string, error) {
	var tags map[string]string
	if _, _, err := parseARN(sc, arn); err != nil {
		return nil, err
	}
	ck := sc.AccountID + "\x00" + sc.Region + "\x00" + arn
	if t, ok := s.tags.Get(ck, s.now()); ok {
		return maps.Clone(t), nil
	}
	gen := s.tags.Generation()
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		kind, key, virtual, err := resolveARN(tx, sc, arn, false)
		if err != nil || virtual {
			return err
		}
		_, tags, err = readTags(tx, kind, key)
		return err
	})
	if tags == nil && err == nil {
		tags = map[string]string{}
	}
	if err == nil {
		s.tags.Put(ck, maps.Clone(tags), gen, s.now())
	}
	return tags, err
}

// MaxTags is how many tags a Connect resource holds.
const MaxTags = 50

// RetagResource adds tags (replacing the values of keys it has) and removes
// keys, in one transaction.
func (s *Service) RetagResource(ctx context.Context, sc Scope, arn string, add map[string]string, remove []string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		kind, key, _, err := resolveARN(tx, sc, arn, true)
		if err != nil {
			return err
		}
		raw, tags, err := readTags(tx, kind, key)
		if err != nil {
			return err
		}
		for k, v := range add {
			tags[k] = v
		}
		for _, k := range remove {
			delete(tags, k)
		}
		if len(tags) > MaxTags {
			return invalidParam("A resource can have at most %d tags.", MaxTags)
		}
		if len(tags) == 0 {
			delete(raw, "tags")
		} else {
			b, _ := json.Marshal(tags)
			raw["tags"] = b
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return err
		}
		return tx.Put(kind, key, b)
	})
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
