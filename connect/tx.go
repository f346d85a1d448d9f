package connect

import (
	"context"
	"errors"
	"strings"

	"github.com/connectfed/connectfed"
)

// Reads inside a caller's transaction, for packages whose records hang on
// an instance (agent state, contacts) and must see the instance, its users
// and profiles in the same snapshot as their own records.

// InstanceTx reads an instance, or ResourceNotFoundException.
func InstanceTx(tx connectfed.Tx, sc Scope, id string, inst *connectfed.Instance) error {
	return getInstance(tx, sc, id, inst)
}

// UserTx reads a user of an instance, or ResourceNotFoundException.
func UserTx(tx connectfed.Tx, sc Scope, instanceID, userID string, u *connectfed.User) error {
	err := connectfed.GetJSON(tx, kindUser, childKey(sc, instanceID, userID), u)
	if errors.Is(err, connectfed.ErrNotFound) {
		return notFound("User not found: %s", userID)
	}
	return err
}

// UsersTx lists every user of an instance.
func UsersTx(tx connectfed.Tx, sc Scope, instanceID string) ([]connectfed.User, error) {
	return connectfed.ListJSONValues[connectfed.User](tx, kindUser, childKey(sc, instanceID, ""))
}

// RoutingProfileTx reads a routing profile, or ResourceNotFoundException.
func RoutingProfileTx(tx connectfed.Tx, sc Scope, instanceID, id string, p *connectfed.RoutingProfile) error {
	err := connectfed.GetJSON(tx, kindRouting, childKey(sc, instanceID, id), p)
	if errors.Is(err, connectfed.ErrNotFound) {
		return notFound("Routing profile not found: %s", id)
	}
	return err
}

// QueueTx reads a queue, or ResourceNotFoundException.
func QueueTx(tx connectfed.Tx, sc Scope, instanceID, id string, q *connectfed.Queue) error {
	err := connectfed.GetJSON(tx, kindQueue, childKey(sc, instanceID, id), q)
	if errors.Is(err, connectfed.ErrNotFound) {
		return notFound("Queue not found: %s", id)
	}
	return err
}

// QueuesTx lists every queue of an instance.
func QueuesTx(tx connectfed.Tx, sc Scope, instanceID string) ([]connectfed.Queue, error) {
	return connectfed.ListJSONValues[connectfed.Queue](tx, kindQueue, childKey(sc, instanceID, ""))
}

// ChildKey is the key of a record that belongs to an instance:
// "<account>/<region>/<instance>/<id>". Other packages key their
// per-instance records this way so DeleteInstance and ResetAccount can
// remove them by prefix.
func ChildKey(sc Scope, instanceID, id string) string { return childKey(sc, instanceID, id) }

// extraKinds are record kinds of other packages keyed by ChildKey; they go
// with their instance (DeleteInstance) and account (ResetAccount).
var extraKinds []string

// RegisterInstanceKinds declares record kinds keyed by ChildKey. Call it
// from an init function.
func RegisterInstanceKinds(kinds ...string) { extraKinds = append(extraKinds, kinds...) }

// LocateInstance finds the account and region of an instance from its id
// alone (ids are UUIDs, unique across accounts): for a browser that opens
// an instance's page without a session yet. It reads every instance, so it
// is for rare requests; ErrNotFound when there is none.
func (s *Service) LocateInstance(ctx context.Context, id string) (Scope, error) {
	var sc Scope
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		list, err := tx.List(kindInstance, "", "", 0)
		if err != nil {
			return err
		}
		for _, e := range list {
			parts := strings.Split(e.Key, "/")
			if len(parts) == 3 && parts[2] == id {
				sc = Scope{AccountID: parts[0], Region: parts[1]}
				return nil
			}
		}
		return connectfed.ErrNotFound
	})
	return sc, err
}
