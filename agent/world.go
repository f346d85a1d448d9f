package agent

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// Status is an agent status (Connect's AgentStatus).
type Status struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	Type         string            `json:"type"`  // ROUTABLE, CUSTOM, OFFLINE
	State        string            `json:"state"` // ENABLED, DISABLED
	DisplayOrder int               `json:"displayOrder,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	LastModified time.Time         `json:"lastModified"`
}

// Agent status types and states, as in the Connect model.
const (
	TypeRoutable = "ROUTABLE"
	TypeCustom   = "CUSTOM"
	TypeOffline  = "OFFLINE"
	Enabled      = "ENABLED"
	Disabled     = "DISABLED"
)

// State is one agent's current state: the status they chose and the
// contacts they hold (their slots).
type State struct {
	UserID       string    `json:"userId"`
	StatusID     string    `json:"statusId"`
	Since        time.Time `json:"since"`
	NextStatusID string    `json:"nextStatusId,omitempty"`
	Slots        []Slot    `json:"slots,omitempty"`
}

// Slot is a contact as one agent sees it.
type Slot struct {
	ContactID string    `json:"contactId"`
	State     string    `json:"state"` // connecting, incoming, connected, ended (after contact work), error (missed)
	Since     time.Time `json:"since"`
	// ACWUntil ends after contact work; zero means no limit.
	ACWUntil time.Time `json:"acwUntil,omitzero"`
}

// Slot states: the CCP's contact state types.
const (
	SlotConnecting = "connecting" // an offered voice contact
	SlotIncoming   = "incoming"   // an offered chat or task
	SlotConnected  = "connected"
	SlotEnded      = "ended" // after contact work
	SlotMissed     = "error"
)

func (sl *Slot) offered() bool { return sl.State == SlotConnecting || sl.State == SlotIncoming }

// Contact is a customer contact.
type Contact struct {
	ID               string            `json:"id"`
	Channel          string            `json:"channel"`          // VOICE, CHAT, TASK
	InitiationMethod string            `json:"initiationMethod"` // INBOUND, API
	Name             string            `json:"name,omitempty"`
	Description      string            `json:"description,omitempty"`
	Attributes       map[string]string `json:"attributes,omitempty"`
	References       map[string]Ref    `json:"references,omitempty"`
	FlowID           string            `json:"flowId,omitempty"`
	QueueID          string            `json:"queueId"`
	TargetAgentID    string            `json:"targetAgentId,omitempty"`
	AgentID          string            `json:"agentId,omitempty"`
	State            string            `json:"state"` // QUEUED, OFFERED, CONNECTED, ENDED
	Customer         Endpoint          `json:"customer"`
	System           Endpoint          `json:"system"`
	Passed           []string          `json:"passed,omitempty"` // agents that missed or rejected it
	DisconnectReason string            `json:"disconnectReason,omitempty"`
	ParticipantID    string            `json:"participantId,omitempty"`
	AgentConnection  string            `json:"agentConnection"`
	CustomerConn     string            `json:"customerConnection"`

	Initiated    time.Time `json:"initiated"`
	Enqueued     time.Time `json:"enqueued,omitzero"`
	RingStart    time.Time `json:"ringStart,omitzero"`
	Connected    time.Time `json:"connected,omitzero"`
	Disconnected time.Time `json:"disconnected,omitzero"`
	ACWStart     time.Time `json:"acwStart,omitzero"`
	ACWEnd       time.Time `json:"acwEnd,omitzero"`
	LastUpdate   time.Time `json:"lastUpdate"`
}

// Ref is a task reference.
type Ref struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Endpoint is a contact's customer or system endpoint.
type Endpoint struct {
	Type        string `json:"type,omitempty"` // TELEPHONE_NUMBER, …
	Address     string `json:"address,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// Contact states.
const (
	ContactQueued    = "QUEUED"
	ContactOffered   = "OFFERED"
	ContactConnected = "CONNECTED"
	ContactEnded     = "ENDED"
)

// world is one instance's agents and live contacts, read in one
// transaction, changed in memory and written back by save.
type world struct {
	s    *Service
	tx   connectfed.Tx
	sc   connect.Scope
	inst connectfed.Instance
	now  time.Time

	statuses       []Status
	statusesStored bool
	users          map[string]*connectfed.User
	states         map[string]*State
	storedStates   map[string]bool
	contacts       map[string]*Contact // live contacts (queued, offered, connected, or in someone's after contact work)

	dirtyStates   map[string]bool
	dirtyContacts map[string]bool
	newContacts   map[string]bool
}

func (s *Service) load(tx connectfed.Tx, sc connect.Scope, instanceID string) (*world, error) {
	w := &world{s: s, tx: tx, sc: sc, now: s.now(), users: map[string]*connectfed.User{}, states: map[string]*State{},
		storedStates: map[string]bool{}, contacts: map[string]*Contact{}, dirtyStates: map[string]bool{},
		dirtyContacts: map[string]bool{}, newContacts: map[string]bool{}}
	if err := connect.InstanceTx(tx, sc, instanceID, &w.inst); err != nil {
		return nil, err
	}
	var err error
	w.statuses, err = connectfed.ListJSONValues[Status](tx, kindStatus, w.key(""))
	if err != nil {
		return nil, err
	}
	w.statusesStored = len(w.statuses) > 0
	if !w.statusesStored {
		w.statuses = defaultStatuses(w.inst.ID, w.inst.Created)
	}
	users, err := connect.UsersTx(tx, sc, w.inst.ID)
	if err != nil {
		return nil, err
	}
	for i := range users {
		w.users[users[i].ID] = &users[i]
	}
	states, err := connectfed.ListJSONValues[State](tx, kindState, w.key(""))
	if err != nil {
		return nil, err
	}
	for i := range states {
		st := states[i]
		w.states[st.UserID] = &st
		w.storedStates[st.UserID] = true
	}
	live, err := tx.List(kindLive, w.key(""), "", 0)
	if err != nil {
		return nil, err
	}
	for _, e := range live {
		id := e.Key[strings.LastIndexByte(e.Key, '/')+1:]
		var c Contact
		if err := connectfed.GetJSON(tx, kindCont, w.key(id), &c); err != nil {
			return nil, err
		}
		w.contacts[id] = &c
	}
	return w, nil
}

func (w *world) key(id string) string { return connect.ChildKey(w.sc, w.inst.ID, id) }

func defaultStatuses(instanceID string, created time.Time) []Status {
	return []Status{
		{ID: deterministicID(instanceID, "agentstatus", "Available"), Name: "Available", Type: TypeRoutable, State: Enabled, DisplayOrder: 1, LastModified: created},
		{ID: deterministicID(instanceID, "agentstatus", "Offline"), Name: "Offline", Type: TypeOffline, State: Enabled, DisplayOrder: 2, LastModified: created},
	}
}

func (w *world) status(id string) *Status {
	for i := range w.statuses {
		if w.statuses[i].ID == id {
			return &w.statuses[i]
		}
	}
	return nil
}

func (w *world) offline() *Status {
	for i := range w.statuses {
		if w.statuses[i].Type == TypeOffline {
			return &w.statuses[i]
		}
	}
	return &w.statuses[0]
}

// state returns a user's state; a user who never had one is Offline since
// the user was last changed.
func (w *world) state(userID string) *State {
	if st, ok := w.states[userID]; ok {
		if w.status(st.StatusID) == nil {
			st.StatusID = w.offline().ID // the status was removed from under it
		}
		return st
	}
	since := w.inst.Created
	if u := w.users[userID]; u != nil {
		since = u.LastModified
	}
	st := &State{UserID: userID, StatusID: w.offline().ID, Since: since}
	w.states[userID] = st
	return st
}

func (w *world) touchState(st *State) { w.dirtyStates[st.UserID] = true }

func (w *world) touchContact(c *Contact) {
	c.LastUpdate = w.now
	w.dirtyContacts[c.ID] = true
}

func (w *world) save() error {
	// Default statuses stay virtual until one is written: a state refers
	// to them by their deterministic ids.
	for id := range w.dirtyStates {
		st := w.states[id]
		if w.storedStates[id] {
			if err := connectfed.PutJSON(w.tx, kindState, w.key(id), st); err != nil {
				return err
			}
			continue
		}
		if err := connectfed.CreateJSON(w.tx, kindState, w.key(id), st); err != nil {
			return err
		}
	}
	for id := range w.dirtyContacts {
		c := w.contacts[id]
		var err error
		if w.newContacts[id] {
			err = connectfed.CreateJSON(w.tx, kindCont, w.key(id), c)
			if err == nil {
				err = w.tx.Create(kindLive, w.key(id), []byte("{}"))
			}
		} else {
			err = connectfed.PutJSON(w.tx, kindCont, w.key(id), c)
		}
		if err != nil {
			return err
		}
		if !w.live(c) {
			if err := w.tx.Delete(kindLive, w.key(id)); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// live: the contact still waits, rings, talks, or sits in an agent's
// after contact work.
func (w *world) live(c *Contact) bool {
	if c.State != ContactEnded {
		return true
	}
	return c.AgentID != "" && c.ACWEnd.IsZero()
}

// --- the transitions ---

// advance applies what the clock made due.
func (w *world) advance() {
	ring := w.s.ringTimeout()
	for _, id := range w.stateIDs() {
		st := w.states[id]
		for i := 0; i < len(st.Slots); i++ {
			sl := &st.Slots[i]
			c := w.contacts[sl.ContactID]
			switch {
			case sl.offered() && c != nil && !w.now.Before(c.RingStart.Add(ring)):
				w.miss(st, sl, c)
			case sl.State == SlotEnded && !sl.ACWUntil.IsZero() && !w.now.Before(sl.ACWUntil):
				w.finishACW(st, sl.ContactID)
				i--
			}
		}
	}
}

func (w *world) stateIDs() []string {
	ids := make([]string, 0, len(w.states))
	for id := range w.states {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// miss: the agent did not accept in time. The agent goes to the missed
// state (as Connect's MissedCallAgent) and keeps the contact in its error
// state until it clears it or picks a status; the contact goes back to its
// queue for another agent.
func (w *world) miss(st *State, sl *Slot, c *Contact) {
	sl.State, sl.Since = SlotMissed, w.now
	w.touchState(st)
	w.requeue(c, st.UserID)
}

func (w *world) requeue(c *Contact, userID string) {
	c.State, c.AgentID, c.RingStart = ContactQueued, "", time.Time{}
	if !slices.Contains(c.Passed, userID) {
		c.Passed = append(c.Passed, userID)
	}
	w.touchContact(c)
}

// finishACW removes an ended contact from the agent's slots; when the
// agent holds nothing more, a status chosen meanwhile takes effect.
func (w *world) finishACW(st *State, contactID string) {
	w.removeSlot(st, contactID)
	if c := w.contacts[contactID]; c != nil && c.AgentID == st.UserID && c.ACWEnd.IsZero() && c.State == ContactEnded {
		c.ACWEnd = w.now
		w.touchContact(c)
	}
}

func (w *world) removeSlot(st *State, contactID string) {
	st.Slots = slices.DeleteFunc(st.Slots, func(sl Slot) bool { return sl.ContactID == contactID })
	if len(st.Slots) == 0 && st.NextStatusID != "" {
		st.StatusID, st.Since, st.NextStatusID = st.NextStatusID, w.now, ""
	}
	w.touchState(st)
}

func (w *world) slot(st *State, contactID string) *Slot {
	for i := range st.Slots {
		if st.Slots[i].ContactID == contactID {
			return &st.Slots[i]
		}
	}
	return nil
}

// routable: the agent chose a routable status and holds no contact.
func (w *world) routable(userID string) bool {
	st := w.state(userID)
	s := w.status(st.StatusID)
	return s != nil && s.Type == TypeRoutable && len(st.Slots) == 0 && st.NextStatusID == ""
}

// queuesOf lists the queues a user's routing profile serves (connectfed's
// routing profiles have one queue: their default queue).
func (w *world) queuesOf(u *connectfed.User) []string {
	var p connectfed.RoutingProfile
	if err := connect.RoutingProfileTx(w.tx, w.sc, w.inst.ID, u.RoutingProfileID, &p); err != nil {
		return nil
	}
	return []string{p.DefaultQueueID}
}

// route offers waiting contacts, oldest first, to routable agents whose
// routing profile serves the contact's queue, the longest idle first.
func (w *world) route() {
	var queued []*Contact
	for _, c := range w.contacts {
		if c.State == ContactQueued {
			queued = append(queued, c)
		}
	}
	if len(queued) == 0 {
		return
	}
	sort.Slice(queued, func(i, j int) bool {
		if !queued[i].Enqueued.Equal(queued[j].Enqueued) {
			return queued[i].Enqueued.Before(queued[j].Enqueued)
		}
		return queued[i].ID < queued[j].ID
	})
	userIDs := make([]string, 0, len(w.users))
	for id := range w.users {
		userIDs = append(userIDs, id)
	}
	sort.Strings(userIDs)
	serves := map[string][]string{}
	for _, c := range queued {
		var best *State
		for _, id := range userIDs {
			if c.TargetAgentID != "" && c.TargetAgentID != id || slices.Contains(c.Passed, id) || !w.routable(id) {
				continue
			}
			q, ok := serves[id]
			if !ok {
				q = w.queuesOf(w.users[id])
				serves[id] = q
			}
			if c.TargetAgentID == "" && !slices.Contains(q, c.QueueID) {
				continue
			}
			st := w.state(id)
			if best == nil || st.Since.Before(best.Since) {
				best = st
			}
		}
		if best != nil {
			w.offer(best, c)
		}
	}
}

func (w *world) offer(st *State, c *Contact) {
	state := SlotIncoming
	if c.Channel == "VOICE" {
		state = SlotConnecting
	}
	st.Slots = append(st.Slots, Slot{ContactID: c.ID, State: state, Since: w.now})
	c.State, c.AgentID, c.RingStart = ContactOffered, st.UserID, w.now
	c.AgentConnection = connectfed.NewUUID()
	w.touchState(st)
	w.touchContact(c)
	if u := w.users[st.UserID]; u != nil && u.PhoneConfig.AutoAccept {
		w.accept(st, c)
	}
}

func (w *world) accept(st *State, c *Contact) {
	sl := w.slot(st, c.ID)
	sl.State, sl.Since = SlotConnected, w.now
	c.State, c.Connected = ContactConnected, w.now
	w.touchState(st)
	w.touchContact(c)
}

// disconnect ends a contact wherever it is. reason is the model's
// DisconnectReason (AGENT_DISCONNECT, CUSTOMER_DISCONNECT, API, …).
func (w *world) disconnect(c *Contact, reason string) {
	switch c.State {
	case ContactQueued:
	case ContactOffered:
		if st, ok := w.states[c.AgentID]; ok {
			w.removeSlot(st, c.ID)
		}
		c.AgentID = ""
	case ContactConnected:
		if st, ok := w.states[c.AgentID]; ok {
			if sl := w.slot(st, c.ID); sl != nil {
				sl.State, sl.Since = SlotEnded, w.now
				if u := w.users[st.UserID]; u != nil && u.PhoneConfig.AfterContactWorkTimeLimit > 0 {
					sl.ACWUntil = w.now.Add(time.Duration(u.PhoneConfig.AfterContactWorkTimeLimit) * time.Second)
				}
				w.touchState(st)
			}
		}
		c.ACWStart = w.now
	}
	c.State, c.Disconnected, c.DisconnectReason = ContactEnded, w.now, reason
	w.touchContact(c)
}

func (w *world) addContact(c *Contact) {
	w.contacts[c.ID] = c
	w.newContacts[c.ID] = true
	w.touchContact(c)
}

// contact reads a contact of the instance, live or not.
func (w *world) contact(id string) (*Contact, error) {
	if c, ok := w.contacts[id]; ok {
		return c, nil
	}
	var c Contact
	b, err := w.tx.Get(kindCont, w.key(id))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	w.contacts[id] = &c
	return &c, nil
}
