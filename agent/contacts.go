package agent

import (
	"context"
	"errors"
	"maps"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// SetUserStatus is PutUserStatus (and the CCP's setState): the agent's
// chosen status. While the agent holds contacts it becomes the next
// status, taking effect when the last contact's work is done; a missed
// contact is cleared by choosing a status.
func (s *Service) SetUserStatus(ctx context.Context, sc connect.Scope, instanceID, userID, statusID string) error {
	return s.update(ctx, sc, instanceID, func(w *world) error {
		if w.users[userID] == nil {
			return notFound("User not found: %s", userID)
		}
		st := w.status(statusID)
		if st == nil {
			return notFound("Agent status not found: %s", statusID)
		}
		if st.State != Enabled {
			return invalidRequest("The agent status %s is disabled.", st.Name)
		}
		a := w.state(userID)
		for _, sl := range append([]Slot(nil), a.Slots...) {
			if sl.State == SlotMissed {
				w.removeSlot(a, sl.ContactID)
			}
		}
		if len(a.Slots) > 0 {
			a.NextStatusID = statusID
		} else {
			a.StatusID, a.Since, a.NextStatusID = statusID, w.now, ""
		}
		w.touchState(a)
		return nil
	})
}

// Flow is a contact flow.
type Flow struct {
	ID, Name, Type string
}

// DefaultFlows are the flows every instance lists, as a new Connect
// instance has them. Routing rule: a contact started on any flow of type
// CONTACT_FLOW waits in the instance's BasicQueue (the default queue of
// the Basic Routing Profile); the other flow types cannot start contacts.
var DefaultFlows = []struct{ Name, Type string }{
	{"Default agent hold", "AGENT_HOLD"},
	{"Default agent transfer", "AGENT_TRANSFER"},
	{"Default agent whisper", "AGENT_WHISPER"},
	{"Default customer hold", "CUSTOMER_HOLD"},
	{"Default customer queue", "CUSTOMER_QUEUE"},
	{"Default customer whisper", "CUSTOMER_WHISPER"},
	{"Default outbound", "OUTBOUND_WHISPER"},
	{"Default queue transfer", "QUEUE_TRANSFER"},
	{"Sample inbound flow (first contact experience)", "CONTACT_FLOW"},
	{"Sample queue customer", "CONTACT_FLOW"},
}

// Flows lists an instance's contact flows, sorted by name.
func (s *Service) Flows(ctx context.Context, sc connect.Scope, instanceID string) (string, []Flow, error) {
	var inst connectfed.Instance
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return connect.InstanceTx(tx, sc, instanceID, &inst) })
	if err != nil {
		return "", nil, err
	}
	return inst.ID, flowsOf(inst.ID), nil
}

func flowsOf(instanceID string) []Flow {
	out := make([]Flow, 0, len(DefaultFlows))
	for _, f := range DefaultFlows {
		out = append(out, Flow{ID: deterministicID(instanceID, "flow", f.Name), Name: f.Name, Type: f.Type})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ContactInput starts a contact.
type ContactInput struct {
	Channel          string // VOICE, CHAT, TASK
	InitiationMethod string // INBOUND (voice), API
	FlowID           string // a CONTACT_FLOW flow; or
	QueueID          string // a queue of the instance (connectfed's voice simulation); or neither: BasicQueue
	TargetAgentID    string // offer only to this agent
	Name             string
	Description      string
	Attributes       map[string]string
	References       map[string]Ref
	Customer         Endpoint
	System           Endpoint
	ParticipantID    string
}

// MaxLiveContacts caps an instance's live contacts (waiting, ringing,
// connected or in after contact work), as Connect's quotas of concurrent
// calls, chats and tasks per instance do: every change to an instance
// reads them all, so without a cap a caller could make each request of
// the instance slower without end. StartContact beyond it is refused with
// ErrTooManyContacts.
const MaxLiveContacts = 500

// ErrTooManyContacts refuses a contact past MaxLiveContacts.
var ErrTooManyContacts = connectfed.TypedErrorf(connectfed.EINVALID, connectfed.LimitExceededException,
	"The instance already has %d active contacts, connectfed's quota; stop some first.", MaxLiveContacts)

// StartContact creates a contact that waits in its queue and is offered to
// an agent as soon as one is routable.
func (s *Service) StartContact(ctx context.Context, sc connect.Scope, instanceID string, in ContactInput) (*Contact, error) {
	var out Contact
	err := s.update(ctx, sc, instanceID, func(w *world) error {
		if len(w.contacts) >= MaxLiveContacts {
			return ErrTooManyContacts
		}
		queue := in.QueueID
		if in.FlowID != "" {
			ok := false
			for _, f := range flowsOf(w.inst.ID) {
				if f.ID == in.FlowID {
					if f.Type != "CONTACT_FLOW" {
						return invalidRequest("The contact flow %s is of type %s and cannot start a contact.", f.Name, f.Type)
					}
					ok = true
				}
			}
			if !ok {
				return notFound("Contact flow not found: %s", in.FlowID)
			}
		}
		if in.TargetAgentID != "" && w.users[in.TargetAgentID] == nil {
			return notFound("User not found: %s", in.TargetAgentID)
		}
		if queue == "" {
			qs, err := connect.QueuesTx(w.tx, w.sc, w.inst.ID)
			if err != nil {
				return err
			}
			for _, q := range qs {
				if q.Name == connect.DefaultQueue {
					queue = q.ID
				}
			}
			if queue == "" && len(qs) > 0 {
				queue = qs[0].ID
			}
		} else {
			var q connectfed.Queue
			if err := connect.QueueTx(w.tx, w.sc, w.inst.ID, queue, &q); err != nil {
				return err
			}
		}
		c := &Contact{
			ID: connectfed.NewUUID(), Channel: in.Channel, InitiationMethod: in.InitiationMethod, Name: in.Name,
			Description: in.Description, Attributes: in.Attributes, References: in.References, FlowID: in.FlowID,
			QueueID: queue, TargetAgentID: in.TargetAgentID, State: ContactQueued, Customer: in.Customer, System: in.System,
			ParticipantID: in.ParticipantID, CustomerConn: connectfed.NewUUID(), Initiated: w.now, Enqueued: w.now,
		}
		w.addContact(c)
		out = *c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ErrContactNotFound is StopContact's answer for a contact that does not
// exist or is no longer active.
func contactNotFound(id string) error {
	return connectfed.TypedErrorf(connectfed.ENOTFOUND, connectfed.ContactNotFoundException, "Contact not found or not active: %s", id)
}

// StopContact ends a contact from the backend (or the simulated caller
// hanging up): a waiting or ringing contact just ends; a connected one
// puts its agent into after contact work.
func (s *Service) StopContact(ctx context.Context, sc connect.Scope, instanceID, contactID, reason string) error {
	return s.update(ctx, sc, instanceID, func(w *world) error {
		c, err := w.contact(contactID)
		if isNotFound(err) || err == nil && c.State == ContactEnded {
			return contactNotFound(contactID)
		}
		if err != nil {
			return err
		}
		w.disconnect(c, reason)
		return nil
	})
}

// DescribeContact returns a contact of the instance.
func (s *Service) DescribeContact(ctx context.Context, sc connect.Scope, instanceID, contactID string) (*Contact, string, error) {
	var out Contact
	var id string
	err := s.view(ctx, sc, instanceID, func(w *world) error {
		id = w.inst.ID
		c, err := w.contact(contactID)
		if isNotFound(err) {
			return notFound("Contact not found: %s", contactID)
		}
		if err != nil {
			return err
		}
		out = *c
		return nil
	})
	return &out, id, err
}

// MaxAttributesSize is the most characters (keys and values) a contact's
// attributes may hold in all, as Connect's 32 KB per contact: an update
// that would make them larger is refused whole.
const MaxAttributesSize = 32 * 1024

// UpdateAttributes merges attributes into a contact (an empty value
// removes the key, as Connect does).
func (s *Service) UpdateAttributes(ctx context.Context, sc connect.Scope, instanceID, contactID string, attrs map[string]string) error {
	return s.updateAttributes(ctx, sc, instanceID, "", contactID, attrs)
}

// UpdateAgentAttributes is UpdateAttributes from an agent's CCP: only a
// contact the agent holds (offered, connected, in after contact work or
// missed) can be changed.
func (s *Service) UpdateAgentAttributes(ctx context.Context, sc connect.Scope, instanceID, userID, contactID string, attrs map[string]string) error {
	return s.updateAttributes(ctx, sc, instanceID, userID, contactID, attrs)
}

func (s *Service) updateAttributes(ctx context.Context, sc connect.Scope, instanceID, userID, contactID string, attrs map[string]string) error {
	return s.update(ctx, sc, instanceID, func(w *world) error {
		if userID != "" && w.slot(w.state(userID), contactID) == nil {
			return ErrNoContact
		}
		c, err := w.contact(contactID)
		if isNotFound(err) {
			return notFound("Contact not found: %s", contactID)
		}
		if err != nil {
			return err
		}
		merged := maps.Clone(c.Attributes)
		if merged == nil {
			merged = map[string]string{}
		}
		for k, v := range attrs {
			if k == "" {
				return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException, "An attribute key must not be empty.")
			}
			if v == "" {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		size := 0
		for k, v := range merged {
			size += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
		}
		if size > MaxAttributesSize {
			return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException,
				"The contact's attributes would hold %d characters; at most %d are allowed in total.", size, MaxAttributesSize)
		}
		c.Attributes = merged
		w.touchContact(c)
		return nil
	})
}

// Attributes returns a contact's attributes.
func (s *Service) Attributes(ctx context.Context, sc connect.Scope, instanceID, contactID string) (map[string]string, error) {
	c, _, err := s.DescribeContact(ctx, sc, instanceID, contactID)
	if err != nil {
		return nil, err
	}
	return maps.Clone(c.Attributes), nil
}

// UserData is one agent in GetCurrentUserData.
type UserData struct {
	User           *connectfed.User
	RoutingProfile string
	Status         Status
	StatusSince    time.Time
	NextStatus     string
	Contacts       []UserContact
}

// UserContact is a contact as GetCurrentUserData shows it.
type UserContact struct {
	Contact    Contact
	AgentState string // INCOMING, CONNECTING, CONNECTED, ENDED, MISSED
	Since      time.Time
}

// UserFilter selects agents for GetCurrentUserData.
type UserFilter struct {
	Agents, Queues, RoutingProfiles []string
	ContactStates                   []string
}

// CurrentUserData reports agents' statuses and contacts.
func (s *Service) CurrentUserData(ctx context.Context, sc connect.Scope, instanceID string, f UserFilter) (string, []UserData, error) {
	var out []UserData
	var id string
	err := s.view(ctx, sc, instanceID, func(w *world) error {
		id = w.inst.ID
		ids := make([]string, 0, len(w.users))
		for id := range w.users {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, uid := range ids {
			u := w.users[uid]
			match := len(f.Agents) == 0 && len(f.Queues) == 0 && len(f.RoutingProfiles) == 0
			for _, a := range f.Agents {
				match = match || a == uid
			}
			for _, p := range f.RoutingProfiles {
				match = match || p == u.RoutingProfileID
			}
			for _, q := range f.Queues {
				for _, uq := range w.queuesOf(u) {
					match = match || q == uq
				}
			}
			if !match {
				continue
			}
			st := w.state(uid)
			d := UserData{User: u, RoutingProfile: u.RoutingProfileID, Status: *w.status(st.StatusID), StatusSince: st.Since}
			if ns := w.status(st.NextStatusID); ns != nil {
				d.NextStatus = ns.Name
			}
			for _, sl := range st.Slots {
				c := w.contacts[sl.ContactID]
				if c == nil {
					continue
				}
				state := map[string]string{SlotConnecting: "CONNECTING", SlotIncoming: "INCOMING", SlotConnected: "CONNECTED", SlotEnded: "ENDED", SlotMissed: "MISSED"}[sl.State]
				if len(f.ContactStates) > 0 {
					ok := false
					for _, cs := range f.ContactStates {
						ok = ok || cs == state
					}
					if !ok {
						continue
					}
				}
				d.Contacts = append(d.Contacts, UserContact{Contact: *c, AgentState: state, Since: sl.Since})
			}
			out = append(out, d)
		}
		return nil
	})
	return id, out, err
}

// --- what the CCP does ---

// ErrNotOffered etc. are refusals of a CCP action, shown to the page.
var (
	ErrNoContact = errors.New("the contact is not (or no longer) with this agent")
)

// Accept connects an offered contact.
func (s *Service) Accept(ctx context.Context, sc connect.Scope, instanceID, userID, contactID string) error {
	return s.update(ctx, sc, instanceID, func(w *world) error {
		a := w.state(userID)
		sl := w.slot(a, contactID)
		c := w.contacts[contactID]
		if sl == nil || !sl.offered() || c == nil || c.AgentID != userID {
			return ErrNoContact
		}
		w.accept(a, c)
		return nil
	})
}

// Reject declines an offered contact; it goes back to its queue for
// another agent.
func (s *Service) Reject(ctx context.Context, sc connect.Scope, instanceID, userID, contactID string) error {
	return s.update(ctx, sc, instanceID, func(w *world) error {
		a := w.state(userID)
		sl := w.slot(a, contactID)
		c := w.contacts[contactID]
		if sl == nil || !sl.offered() || c == nil {
			return ErrNoContact
		}
		w.removeSlot(a, contactID)
		w.requeue(c, userID)
		return nil
	})
}

// Hangup ends the agent's contact (connection.destroy()): connected →
// after contact work; offered → rejected.
func (s *Service) Hangup(ctx context.Context, sc connect.Scope, instanceID, userID, contactID string) error {
	return s.update(ctx, sc, instanceID, func(w *world) error {
		a := w.state(userID)
		sl := w.slot(a, contactID)
		c := w.contacts[contactID]
		if sl == nil || c == nil {
			return ErrNoContact
		}
		switch {
		case sl.offered():
			w.removeSlot(a, contactID)
			w.requeue(c, userID)
		case sl.State == SlotConnected:
			w.disconnect(c, "AGENT_DISCONNECT")
		}
		return nil
	})
}

// Clear ends after contact work (contact.clear(), complete()), or clears
// a missed contact.
func (s *Service) Clear(ctx context.Context, sc connect.Scope, instanceID, userID, contactID string) error {
	return s.update(ctx, sc, instanceID, func(w *world) error {
		a := w.state(userID)
		sl := w.slot(a, contactID)
		if sl == nil {
			return ErrNoContact
		}
		if sl.State == SlotConnected || sl.offered() {
			if c := w.contacts[contactID]; c != nil {
				if sl.offered() {
					w.removeSlot(a, contactID)
					w.requeue(c, userID)
					return nil
				}
				w.disconnect(c, "AGENT_DISCONNECT")
			}
		}
		w.finishACW(a, contactID)
		return nil
	})
}

// flowTagHook lets TagResource and aws:ResourceTag see an instance's
// contact flows: a flow exists when the instance lists it; its tag record
// is stored on the first tag write.
func flowTagHook(tx connectfed.Tx, sc connect.Scope, instanceID, id string, write bool) (bool, error) {
	var inst connectfed.Instance
	if err := connect.InstanceTx(tx, sc, instanceID, &inst); err != nil {
		return false, nil
	}
	found := false
	for _, f := range flowsOf(inst.ID) {
		found = found || f.ID == id
	}
	if !found || !write {
		return found, nil
	}
	return true, connectfed.CreateJSON(tx, kindFlowTags, connect.ChildKey(sc, inst.ID, id), map[string]string{"id": id})
}
