package agent

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// AgentData is what the CCP pushes to amazon-connect-streams as
// agent::update: {snapshot, configuration}, shaped as the library's worker
// sends it (worker.js ClientEngine.updateAgent). Every timestamp is
// milliseconds since the epoch in a field whose name ends in "timestamp"
// (any case); the CCP page turns those into Date objects.
type AgentData struct {
	Snapshot      map[string]any `json:"snapshot"`
	Configuration map[string]any `json:"configuration"`
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// AgentView returns an agent's data as the CCP shows it. When a
// clock-driven transition of the instance was due, it is written first (so
// the other agents' CCPs and the API see it too).
func (s *Service) AgentView(ctx context.Context, sc connect.Scope, instanceID, userID string) (*AgentData, error) {
	for try := 0; ; try++ {
		var out *AgentData
		due := false
		err := s.view(ctx, sc, instanceID, func(w *world) error {
			u := w.users[userID]
			if u == nil {
				return notFound("User not found: %s", userID)
			}
			due = len(w.dirtyStates)+len(w.dirtyContacts) > 0
			out = w.agentData(u)
			return nil
		})
		if err != nil || !due || try == 2 {
			return out, err
		}
		if err := s.update(ctx, sc, instanceID, nil); err != nil {
			return nil, err
		}
	}
}

func (w *world) arn(rest string) string {
	return "arn:aws:connect:" + w.sc.Region + ":" + w.sc.AccountID + ":instance/" + w.inst.ID + "/" + rest
}

func ccpType(statusType string) string {
	switch statusType {
	case TypeRoutable:
		return "routable"
	case TypeOffline:
		return "offline"
	}
	return "not_routable"
}

func (w *world) queueRef(id string) map[string]any {
	var q connectfed.Queue
	name := ""
	if err := connect.QueueTx(w.tx, w.sc, w.inst.ID, id, &q); err == nil {
		name = q.Name
	}
	arn := w.arn("queue/" + id)
	return map[string]any{"queueARN": arn, "queueId": arn, "name": name}
}

func (w *world) agentData(u *connectfed.User) *AgentData {
	st := w.state(u.ID)
	status := w.status(st.StatusID)

	var p connectfed.RoutingProfile
	connect.RoutingProfileTx(w.tx, w.sc, w.inst.ID, u.RoutingProfileID, &p)
	rpARN := w.arn("routing-profile/" + p.ID)
	queues := []map[string]any{}
	if p.DefaultQueueID != "" {
		queues = append(queues, w.queueRef(p.DefaultQueueID))
	}
	var def map[string]any
	if len(queues) > 0 {
		def = queues[0]
	}
	var agentStates []map[string]any
	for _, x := range w.statuses {
		if x.State == Enabled {
			agentStates = append(agentStates, map[string]any{"agentStateARN": w.arn("agent-state/" + x.ID), "type": ccpType(x.Type), "name": x.Name})
		}
	}
	name := u.Username
	if info := u.IdentityInfo; info != nil && strings.TrimSpace(info.FirstName+" "+info.LastName) != "" {
		name = strings.TrimSpace(info.FirstName + " " + info.LastName)
	}
	config := map[string]any{
		"name": name, "username": u.Username, "agentARN": u.ARN(),
		"softphoneEnabled": u.PhoneConfig.PhoneType != "DESK_PHONE", "softphoneAutoAccept": u.PhoneConfig.AutoAccept,
		"extension": u.PhoneConfig.DeskPhoneNumber,
		"routingProfile": map[string]any{
			"name": p.Name, "routingProfileARN": rpARN, "routingProfileId": rpARN,
			"defaultOutboundQueue": def, "queues": queues,
			"channelConcurrencyMap": map[string]int{"VOICE": 1, "CHAT": 1, "TASK": 1},
		},
		"agentStates":       agentStates,
		"permissions":       []string{},
		"dialableCountries": []string{"us"},
		"agentPreferences":  map[string]any{},
	}

	// The agent's state: an overlay while it holds contacts, else the
	// status it chose.
	state := map[string]any{"agentStateARN": w.arn("agent-state/" + status.ID), "type": ccpType(status.Type), "name": status.Name, "startTimestamp": ms(st.Since)}
	overlay := func(name, typ string, since time.Time) {
		state = map[string]any{"agentStateARN": nil, "type": typ, "name": name, "startTimestamp": ms(since)}
	}
	for _, pick := range []struct{ slot, name, typ string }{
		{SlotMissed, "MissedCallAgent", "error"},
		{SlotConnected, "Busy", "system"},
		{SlotConnecting, "PendingBusy", "system"},
		{SlotIncoming, "PendingBusy", "system"},
		{SlotEnded, "AfterCallWork", "system"},
	} {
		if sl := firstSlot(st, pick.slot); sl != nil {
			overlay(pick.name, pick.typ, sl.Since)
			break
		}
	}
	var next any
	if ns := w.status(st.NextStatusID); ns != nil {
		next = map[string]any{"agentStateARN": w.arn("agent-state/" + ns.ID), "type": ccpType(ns.Type), "name": ns.Name, "startTimestamp": ms(w.now)}
	}
	contacts := []map[string]any{}
	for _, sl := range st.Slots {
		c := w.contacts[sl.ContactID]
		if c == nil {
			continue
		}
		contacts = append(contacts, w.ccpContact(c, &sl))
	}
	sort.SliceStable(contacts, func(i, j int) bool {
		return contacts[i]["state"].(map[string]any)["timestamp"].(int64) < contacts[j]["state"].(map[string]any)["timestamp"].(int64)
	})
	snapshot := map[string]any{
		"state": state, "nextState": next,
		"agentAvailabilityState": map[string]any{"state": status.Name, "timeStamp": ms(st.Since)},
		"contacts":               contacts,
		"snapshotTimestamp":      ms(w.now),
	}
	return &AgentData{Snapshot: snapshot, Configuration: config}
}

func firstSlot(st *State, state string) *Slot {
	for i := range st.Slots {
		if st.Slots[i].State == state {
			return &st.Slots[i]
		}
	}
	return nil
}

func (w *world) ccpContact(c *Contact, sl *Slot) map[string]any {
	attrs := map[string]any{}
	for k, v := range c.Attributes {
		attrs[k] = map[string]string{"name": k, "value": v}
	}
	agentConn := map[string]string{SlotConnecting: "connecting", SlotIncoming: "connecting", SlotConnected: "connected", SlotEnded: "disconnected", SlotMissed: "disconnected"}[sl.State]
	custState := "connected"
	custTime := c.Initiated
	if c.State == ContactEnded {
		custState, custTime = "disconnected", c.Disconnected
	}
	typ := strings.ToLower(c.Channel)
	customer := map[string]any{"type": "phone_number", "phoneNumber": c.Customer.Address, "name": c.Customer.DisplayName, "agentLogin": nil, "endpointARN": nil, "queue": nil}
	if c.Channel != "VOICE" {
		customer = map[string]any{"type": "phone_number", "phoneNumber": nil, "name": c.Customer.DisplayName, "agentLogin": nil, "endpointARN": nil, "queue": nil}
	}
	refs := map[string]any{}
	for k, r := range c.References {
		refs[k] = map[string]string{"type": r.Type, "value": r.Value}
	}
	state := map[string]any{"type": sl.State, "timestamp": ms(sl.Since)}
	return map[string]any{
		"contactId": c.ID, "initialContactId": c.ID, "type": typ,
		"state": state, "status": state,
		"queue": w.queueRef(c.QueueID), "queueTimestamp": ms(c.Enqueued),
		"attributes": attrs, "name": nilIfEmpty(c.Name), "description": nilIfEmpty(c.Description),
		"initiationMethod": strings.ToLower(c.InitiationMethod), "references": refs,
		"contactDuration": "0", "channelContext": nil,
		"contactFeatures": map[string]any{"attachmentsEnabled": nil, "messagingMarkdownEnabled": nil, "multiPartyConferenceEnabled": false},
		"connections": []map[string]any{
			{
				"connectionId": c.AgentConnection, "type": "agent", "initial": false, "mute": false,
				"state":              map[string]any{"type": agentConn, "timestamp": ms(sl.Since)},
				"endpoint":           map[string]any{"type": "agent", "phoneNumber": nil, "name": nil, "agentLogin": nil, "endpointARN": nil, "queue": nil},
				"softphoneMediaInfo": nil, "chatMediaInfo": nil, "monitoringInfo": nil, "quickConnectName": nil,
			},
			{
				"connectionId": c.CustomerConn, "type": "inbound", "initial": true, "mute": false,
				"state":    map[string]any{"type": custState, "timestamp": ms(custTime)},
				"endpoint": customer, "softphoneMediaInfo": nil, "chatMediaInfo": nil, "monitoringInfo": nil, "quickConnectName": nil,
			},
		},
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
