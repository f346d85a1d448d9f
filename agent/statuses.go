package agent

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// MaxStatuses is the quota of agent statuses per instance (Connect's
// default "Agent statuses per instance").
const MaxStatuses = 50

// ListStatuses returns an instance's agent statuses ordered by display
// order, then name. A new instance has Available (ROUTABLE) and Offline
// (OFFLINE).
func (s *Service) ListStatuses(ctx context.Context, sc connect.Scope, instanceID string) (string, []Status, error) {
	var out []Status
	var id string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := connect.InstanceTx(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		id = inst.ID
		var err error
		out, err = listStatuses(tx, sc, &inst)
		return err
	})
	return id, out, err
}

func listStatuses(tx connectfed.Tx, sc connect.Scope, inst *connectfed.Instance) ([]Status, error) {
	out, err := connectfed.ListJSONValues[Status](tx, kindStatus, connect.ChildKey(sc, inst.ID, ""))
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		out = defaultStatuses(inst.ID, inst.Created)
	}
	sortStatuses(out)
	return out, nil
}

func sortStatuses(out []Status) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].DisplayOrder, out[j].DisplayOrder
		if a == 0 {
			a = 1 << 20
		}
		if b == 0 {
			b = 1 << 20
		}
		if a != b {
			return a < b
		}
		return out[i].Name < out[j].Name
	})
}

// DescribeStatus returns one agent status.
func (s *Service) DescribeStatus(ctx context.Context, sc connect.Scope, instanceID, statusID string) (*Status, error) {
	_, list, err := s.ListStatuses(ctx, sc, instanceID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == statusID {
			return &list[i], nil
		}
	}
	return nil, notFound("Agent status not found: %s", statusID)
}

// StatusInput is CreateAgentStatus's or UpdateAgentStatus's fields; nil
// means unchanged.
type StatusInput struct {
	Name         *string
	Description  *string
	State        *string
	DisplayOrder *int
	ResetOrder   bool
	Tags         map[string]string
}

// writeStatuses stores the defaults first when the instance still has
// only the virtual ones, then applies fn to the list.
func (s *Service) writeStatuses(ctx context.Context, sc connect.Scope, instanceID string, fn func(inst *connectfed.Instance, list []Status) (*Status, bool, error)) (*Status, error) {
	var out *Status
	var inst connectfed.Instance
	err := s.Store.Update(ctx, func(tx connectfed.Tx) error {
		if err := connect.InstanceTx(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		list, err := connectfed.ListJSONValues[Status](tx, kindStatus, connect.ChildKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		stored := map[string]bool{}
		for _, st := range list {
			stored[st.ID] = true
		}
		if len(list) == 0 {
			list = defaultStatuses(inst.ID, inst.Created)
		}
		st, created, err := fn(&inst, list)
		if err != nil {
			return err
		}
		out = st
		if created {
			list = append(list, *st)
		}
		for _, x := range list {
			if stored[x.ID] && x.ID != st.ID {
				continue
			}
			var err error
			if stored[x.ID] {
				err = connectfed.PutJSON(tx, kindStatus, connect.ChildKey(sc, inst.ID, x.ID), x)
			} else {
				err = connectfed.CreateJSON(tx, kindStatus, connect.ChildKey(sc, inst.ID, x.ID), x)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.changed(sc, inst.ID)
	return out, nil
}

// CreateStatus adds a CUSTOM agent status. Names are unique in the
// instance (DuplicateResourceException).
func (s *Service) CreateStatus(ctx context.Context, sc connect.Scope, instanceID string, in StatusInput) (*Status, error) {
	return s.writeStatuses(ctx, sc, instanceID, func(inst *connectfed.Instance, list []Status) (*Status, bool, error) {
		if len(list) >= MaxStatuses {
			return nil, false, connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.LimitExceededException,
				"The quota of %d agent statuses for this instance has been reached.", MaxStatuses)
		}
		for _, x := range list {
			if strings.EqualFold(x.Name, *in.Name) {
				return nil, false, connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.DuplicateResourceException, "Agent status with name %s already exists.", *in.Name)
			}
		}
		st := &Status{ID: connectfed.NewUUID(), Name: *in.Name, Type: TypeCustom, State: *in.State, Tags: in.Tags, LastModified: s.now()}
		if in.Description != nil {
			st.Description = *in.Description
		}
		if in.DisplayOrder != nil {
			st.DisplayOrder = *in.DisplayOrder
		}
		return st, true, nil
	})
}

// UpdateStatus changes an agent status. The Offline status cannot be
// disabled (a status an agent always can reach); a duplicate name is
// DuplicateResourceException.
func (s *Service) UpdateStatus(ctx context.Context, sc connect.Scope, instanceID, statusID string, in StatusInput) error {
	_, err := s.writeStatuses(ctx, sc, instanceID, func(inst *connectfed.Instance, list []Status) (*Status, bool, error) {
		var st *Status
		for i := range list {
			if list[i].ID == statusID {
				st = &list[i]
			}
		}
		if st == nil {
			return nil, false, notFound("Agent status not found: %s", statusID)
		}
		if in.Name != nil {
			for _, x := range list {
				if x.ID != statusID && strings.EqualFold(x.Name, *in.Name) {
					return nil, false, connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.DuplicateResourceException, "Agent status with name %s already exists.", *in.Name)
				}
			}
			st.Name = *in.Name
		}
		if in.State != nil {
			if st.Type != TypeCustom && *in.State == Disabled {
				return nil, false, invalidRequest("The %s agent status cannot be disabled.", st.Name)
			}
			st.State = *in.State
		}
		if in.Description != nil {
			st.Description = *in.Description
		}
		if in.DisplayOrder != nil {
			st.DisplayOrder = *in.DisplayOrder
		}
		if in.ResetOrder {
			st.DisplayOrder = 0
		}
		st.LastModified = s.now()
		return st, false, nil
	})
	return err
}

// --- approved origins ---

// MaxOrigins is the quota of approved origins per instance.
const MaxOrigins = 25

// NormalizeOrigin checks that an origin is scheme://host[:port] (http or
// https, nothing after the authority) and returns it in canonical form.
// "http://localhost:3000/" is accepted as "http://localhost:3000".
func NormalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.ContainsAny(u.Host, " *;'\"") {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return u.Scheme + "://" + host, true
}

type originRecord struct {
	Origin string `json:"origin"`
}

// AssociateOrigin approves an origin to embed the instance's CCP.
// Associating one already approved is a no-op, as on AWS.
func (s *Service) AssociateOrigin(ctx context.Context, sc connect.Scope, instanceID, origin string) error {
	o, ok := NormalizeOrigin(origin)
	if !ok {
		return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException,
			"Origin %q is not valid: use scheme://host[:port], e.g. https://agents.example.com or http://localhost:3000.", origin)
	}
	var id string
	err := s.Store.Update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := connect.InstanceTx(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		id = inst.ID
		list, err := tx.List(kindOrigin, connect.ChildKey(sc, inst.ID, ""), "", 0)
		if err != nil {
			return err
		}
		for _, e := range list {
			if strings.HasSuffix(e.Key, "/"+o) {
				return nil
			}
		}
		if len(list) >= MaxOrigins {
			return connectfed.TypedErrorf(connectfed.ECONFLICT, connectfed.ServiceQuotaExceededException,
				"The quota of %d approved origins for this instance has been reached.", MaxOrigins)
		}
		return connectfed.CreateJSON(tx, kindOrigin, connect.ChildKey(sc, inst.ID, o), originRecord{o})
	})
	if err == nil {
		s.changed(sc, id)
	}
	return err
}

// DisassociateOrigin removes an approved origin; removing one that is not
// approved is a no-op.
func (s *Service) DisassociateOrigin(ctx context.Context, sc connect.Scope, instanceID, origin string) error {
	o, ok := NormalizeOrigin(origin)
	return s.Store.Update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := connect.InstanceTx(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		if !ok {
			return nil
		}
		err := tx.Delete(kindOrigin, connect.ChildKey(sc, inst.ID, o))
		if errors.Is(err, connectfed.ErrNotFound) {
			return nil
		}
		return err
	})
}

// Origins lists an instance's approved origins, sorted.
func (s *Service) Origins(ctx context.Context, sc connect.Scope, instanceID string) ([]string, error) {
	var out []string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := connect.InstanceTx(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		list, err := connectfed.ListJSONValues[originRecord](tx, kindOrigin, connect.ChildKey(sc, inst.ID, ""))
		for _, r := range list {
			out = append(out, r.Origin)
		}
		return err
	})
	sort.Strings(out)
	return out, err
}

// defaultStatusHook lets TagResource and aws:ResourceTag see the default
// statuses of an instance that has only the virtual ones: a tag write
// stores them first, as any other status write does.
func defaultStatusHook(tx connectfed.Tx, sc connect.Scope, instanceID, id string, write bool) (bool, error) {
	var inst connectfed.Instance
	if err := connect.InstanceTx(tx, sc, instanceID, &inst); err != nil {
		return false, nil
	}
	stored, err := connectfed.ListJSONValues[Status](tx, kindStatus, connect.ChildKey(sc, inst.ID, ""))
	if err != nil || len(stored) > 0 {
		return false, err
	}
	defs := defaultStatuses(inst.ID, inst.Created)
	found := false
	for _, d := range defs {
		found = found || d.ID == id
	}
	if !found || !write {
		return found, nil
	}
	for _, d := range defs {
		if err := connectfed.CreateJSON(tx, kindStatus, connect.ChildKey(sc, inst.ID, d.ID), d); err != nil {
			return false, err
		}
	}
	return true, nil
}
