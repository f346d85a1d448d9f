// Package agent is the contact center at work: agent statuses, each agent's
// current state, contacts and how they are routed, and the approved
// origins that may embed the Contact Control Panel. It is one state
// machine over the Store, shared by the Connect API (PutUserStatus,
// StartTaskContact, StopContact, GetCurrentUserData, …) and the CCP
// (setState, accept, hang up), so both always see the same agent.
//
// Time-driven transitions (a contact that rings too long is missed; after
// contact work ends after the user's AfterContactWorkTimeLimit) are applied
// lazily: every read and write applies what is due first, and AgentView
// (which the CCP's push loop calls about once a second) also makes it
// durable; nothing depends on a timer surviving a restart.
package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// Record kinds, keyed by connect.ChildKey so they go with their instance.
var (
	kindStatus = connectfed.RegisterKind("agentstatus", "agent")    // <instance>/<status id>
	kindState  = connectfed.RegisterKind("agentstate", "agent")     // <instance>/<user id>
	kindOrigin = connectfed.RegisterKind("approvedorigin", "agent") // <instance>/<origin>
	kindCont   = connectfed.RegisterKind("contact", "agent")        // <instance>/<contact id>
	// kindLive indexes the live contacts of an instance, so loading a
	// world does not read every contact the instance ever had.
	kindLive = connectfed.RegisterKind("livecontact", "agent")

	// kindFlowTags holds the tags of a contact flow (the flows themselves
	// are derived from the instance): {"id": …, "tags": {…}}.
	kindFlowTags = connectfed.RegisterKind("contactflowtags", "agent") // <instance>/<flow id>
)

func init() {
	connect.RegisterInstanceKinds(kindStatus, kindState, kindOrigin, kindCont, kindLive)
	connect.RegisterTaggable("agent-state", kindStatus, defaultStatusHook)
	connect.RegisterInstanceKinds(kindFlowTags)
	connect.RegisterTaggable("contact-flow", kindFlowTags, flowTagHook)
}

// DefaultRingTimeout is how long a contact is offered to an agent before
// it counts as missed.
const DefaultRingTimeout = 20 * time.Second

// Service applies the rules over a Store.
type Service struct {
	Store connectfed.Store
	Now   func() time.Time
	// RingTimeout is how long an offered contact rings (0: the default).
	RingTimeout time.Duration
	// Changed is called after a write that may change what agents of an
	// instance see (key: "<account>/<region>/<instance>"). The CCP's push
	// loop listens to it.
	Changed func(instanceKey string)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) ringTimeout() time.Duration {
	if s.RingTimeout > 0 {
		return s.RingTimeout
	}
	return DefaultRingTimeout
}

// InstanceKey names an instance for Changed.
func InstanceKey(sc connect.Scope, instanceID string) string {
	return sc.AccountID + "/" + sc.Region + "/" + instanceID
}

func (s *Service) changed(sc connect.Scope, instanceID string) {
	if s.Changed != nil {
		s.Changed(InstanceKey(sc, instanceID))
	}
}

// update runs a write on one instance: the instance must exist, the
// clock-driven transitions are applied first, then fn, then routing.
func (s *Service) update(ctx context.Context, sc connect.Scope, instanceID string, fn func(w *world) error) error {
	var id string
	err := s.Store.Update(ctx, func(tx connectfed.Tx) error {
		w, err := s.load(tx, sc, instanceID)
		if err != nil {
			return err
		}
		id = w.inst.ID
		// What is due first, and the routing it makes possible: a view
		// (which writes nothing) may already have shown an agent the
		// offer this write acts on.
		w.advance()
		w.route()
		if fn != nil {
			if err := fn(w); err != nil {
				return err
			}
		}
		w.route()
		return w.save()
	})
	if err == nil && id != "" {
		s.changed(sc, id)
	}
	return err
}

// view reads one instance's world without writing; clock-driven
// transitions are applied to the copy read, so what is shown is current
// even before a write makes it durable.
func (s *Service) view(ctx context.Context, sc connect.Scope, instanceID string, fn func(w *world) error) error {
	return s.Store.View(ctx, func(tx connectfed.Tx) error {
		w, err := s.load(tx, sc, instanceID)
		if err != nil {
			return err
		}
		w.advance()
		w.route()
		return fn(w)
	})
}

// deterministicID makes the id of a default resource of an instance (an
// agent status, a contact flow) from the instance id and its name, so
// every replica and every restart agrees on it without storing it.
func deterministicID(instanceID, kind, name string) string {
	h := sha256.Sum256([]byte(instanceID + "\x00" + kind + "\x00" + name))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func notFound(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.ENOTFOUND, connectfed.ResourceNotFoundException, format, args...)
}

func invalidRequest(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, format, args...)
}

func isNotFound(err error) bool { return errors.Is(err, connectfed.ErrNotFound) }
