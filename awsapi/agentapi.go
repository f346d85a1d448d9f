package awsapi

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/agent"
	"github.com/connectfed/connectfed/connect"
)

// The contact center operations: agent statuses, the agent's current
// state, approved origins, contact flows and contacts (agent package).
func init() {
	connectRoutes = append(connectRoutes,
		restRoute{"GET", splitPattern("/agent-status/{}"), "ListAgentStatuses", (*Server).listAgentStatuses},
		restRoute{"GET", splitPattern("/agent-status/{}/{}"), "DescribeAgentStatus", (*Server).describeAgentStatus},
		restRoute{"PUT", splitPattern("/agent-status/{}"), "CreateAgentStatus", (*Server).createAgentStatus},
		restRoute{"POST", splitPattern("/agent-status/{}/{}"), "UpdateAgentStatus", (*Server).updateAgentStatus},
		restRoute{"PUT", splitPattern("/users/{}/{}/status"), "PutUserStatus", (*Server).putUserStatus},
		restRoute{"POST", splitPattern("/metrics/userdata/{}"), "GetCurrentUserData", (*Server).getCurrentUserData},
		restRoute{"PUT", splitPattern("/instance/{}/approved-origin"), "AssociateApprovedOrigin", (*Server).associateApprovedOrigin},
		restRoute{"DELETE", splitPattern("/instance/{}/approved-origin"), "DisassociateApprovedOrigin", (*Server).disassociateApprovedOrigin},
		restRoute{"GET", splitPattern("/instance/{}/approved-origins"), "ListApprovedOrigins", (*Server).listApprovedOrigins},
		restRoute{"GET", splitPattern("/contact-flows-summary/{}"), "ListContactFlows", (*Server).listContactFlows},
		restRoute{"PUT", splitPattern("/contact/task"), "StartTaskContact", (*Server).startTaskContact},
		restRoute{"PUT", splitPattern("/contact/chat"), "StartChatContact", (*Server).startChatContact},
		restRoute{"POST", splitPattern("/contact/stop"), "StopContact", (*Server).stopContact},
		restRoute{"GET", splitPattern("/contacts/{}/{}"), "DescribeContact", (*Server).describeContact},
		restRoute{"POST", splitPattern("/contact/attributes"), "UpdateContactAttributes", (*Server).updateContactAttributes},
		restRoute{"GET", splitPattern("/contact/attributes/{}/{}"), "GetContactAttributes", (*Server).getContactAttributes},
		restRoute{"POST", splitPattern("/connectfed/contacts/voice"), "StartVoiceContact", (*Server).startVoiceContact},
	)
}

// pageOf pages a listing held in memory (ordered, small): the items after
// the one the token's cursor names (all of them when it is gone), at most
// limit, and the NextToken of the rest. The token is bound to the
// operation, account, region and instance.
func pageOf[T any](s *Server, c *call, instanceID, token string, list []T, key func(T) string, limit int) ([]T, string, error) {
	listing := c.op + "/" + c.scope.AccountID + "/" + c.scope.Region + "/" + instanceID
	after, err := s.pager.cursor(listing, token, connectfed.InvalidRequestException)
	if err != nil {
		return nil, "", err
	}
	if after != "" {
		list = list[slices.IndexFunc(list, func(x T) bool { return key(x) == after })+1:]
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = key(list[limit-1])
	}
	return list, s.pager.token(listing, next), nil
}

// instanceCall validates an instance id label and authorizes the call on
// resource (relative to the instance ARN; "" is the instance itself).
func (s *Server) instanceCall(c *call, instanceID string, errType connectfed.ErrorType, rest string) error {
	v := &violations{errType: errType}
	checkInstanceID(v, instanceID)
	if err := v.err(); err != nil {
		return err
	}
	res := s.instanceARN(c, instanceID)
	if rest != "" {
		res += "/" + rest
	}
	return s.authorize(c, res, instanceConditions(c, instanceID))
}

func (s *Server) agentStatusARN(c *call, instanceID, id string) string {
	return "arn:aws:connect:" + c.scope.Region + ":" + c.scope.AccountID + ":instance/" + instanceID + "/agent-state/" + id
}

type agentStatusSummaryJSON struct {
	Id                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Name               string `json:"Name"`
	Type               string `json:"Type"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func (s *Server) listAgentStatuses(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	limit := queryInt(c, "maxResults", 100, 1, 1000, v)
	types := c.r.URL.Query()["AgentStatusTypes"]
	for _, t := range types {
		v.enum("agentStatusTypes", t, agent.TypeRoutable, agent.TypeCustom, agent.TypeOffline)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0])+"/agent-state/*", instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	id, list, err := s.cfg.Agents.ListStatuses(c.ctx, c.scope, l[0])
	if err != nil {
		return nil, err
	}
	if len(types) > 0 {
		list = slices.DeleteFunc(list, func(st agent.Status) bool { return !slices.Contains(types, st.Type) })
	}
	list, next, err := pageOf(s, c, id, c.r.URL.Query().Get("nextToken"), list, func(st agent.Status) string { return st.ID }, limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		AgentStatusSummaryList []agentStatusSummaryJSON
		NextToken              string `json:",omitempty"`
	}{AgentStatusSummaryList: []agentStatusSummaryJSON{}, NextToken: next}
	for _, st := range list {
		out.AgentStatusSummaryList = append(out.AgentStatusSummaryList, agentStatusSummaryJSON{
			Id: st.ID, Arn: s.agentStatusARN(c, id, st.ID), Name: st.Name, Type: st.Type,
			LastModifiedTime: epoch(st.LastModified), LastModifiedRegion: c.scope.Region,
		})
	}
	return out, nil
}

func (s *Server) describeAgentStatus(c *call, l []string) (any, error) {
	if err := s.instanceCall(c, l[0], connectfed.InvalidParameterException, "agent-state/"+l[1]); err != nil {
		return nil, err
	}
	st, err := s.cfg.Agents.DescribeStatus(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	type statusJSON struct {
		AgentStatusARN     string            `json:"AgentStatusARN"`
		AgentStatusId      string            `json:"AgentStatusId"`
		Name               string            `json:"Name"`
		Description        string            `json:"Description,omitempty"`
		Type               string            `json:"Type"`
		DisplayOrder       int               `json:"DisplayOrder,omitempty"`
		State              string            `json:"State"`
		Tags               map[string]string `json:"Tags,omitempty"`
		LastModifiedTime   epoch             `json:"LastModifiedTime"`
		LastModifiedRegion string            `json:"LastModifiedRegion"`
	}
	id := connect.ResolveInstanceID(c.scope, l[0])
	return struct{ AgentStatus statusJSON }{statusJSON{
		AgentStatusARN: s.agentStatusARN(c, id, st.ID), AgentStatusId: st.ID, Name: st.Name, Description: st.Description,
		Type: st.Type, DisplayOrder: st.DisplayOrder, State: st.State, Tags: st.Tags,
		LastModifiedTime: epoch(st.LastModified), LastModifiedRegion: c.scope.Region,
	}}, nil
}

type agentStatusBody struct {
	Name             *string
	Description      *string
	State            *string
	DisplayOrder     *int
	ResetOrderNumber *bool
	Tags             map[string]string
}

func (b *agentStatusBody) check(v *violations, create bool) {
	if create {
		v.required("name", b.Name != nil)
		v.required("state", b.State != nil)
	}
	if b.Name != nil {
		v.length("name", *b.Name, false, 1, 127)
	}
	if b.Description != nil {
		min := 0
		if create {
			min = 1
		}
		v.length("description", *b.Description, false, min, 250)
	}
	if b.State != nil {
		v.enum("state", *b.State, agent.Enabled, agent.Disabled)
	}
	if b.DisplayOrder != nil && (*b.DisplayOrder < 1 || *b.DisplayOrder > 50) {
		v.add("displayOrder", "", false, "Member must have value between 1 and 50")
	}
	checkTags(v, b.Tags)
}

func (s *Server) createAgentStatus(c *call, l []string) (any, error) {
	var in agentStatusBody
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	in.check(v, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0])+"/agent-state/*", withRequestTags(instanceConditions(c, l[0]), in.Tags)); err != nil {
		return nil, err
	}
	st, err := s.cfg.Agents.CreateStatus(c.ctx, c.scope, l[0], agent.StatusInput{Name: in.Name, Description: in.Description, State: in.State, DisplayOrder: in.DisplayOrder, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return struct{ AgentStatusARN, AgentStatusId string }{s.agentStatusARN(c, connect.ResolveInstanceID(c.scope, l[0]), st.ID), st.ID}, nil
}

func (s *Server) updateAgentStatus(c *call, l []string) (any, error) {
	var in agentStatusBody
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	in.Tags = nil // not a member of UpdateAgentStatus: ignored, as unknown members are
	in.check(v, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0])+"/agent-state/"+l[1], instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	return nil, s.cfg.Agents.UpdateStatus(c.ctx, c.scope, l[0], l[1], agent.StatusInput{
		Name: in.Name, Description: in.Description, State: in.State, DisplayOrder: in.DisplayOrder,
		ResetOrder: in.ResetOrderNumber != nil && *in.ResetOrderNumber,
	})
}

func (s *Server) putUserStatus(c *call, l []string) (any, error) {
	var in struct{ AgentStatusId *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	v.required("agentStatusId", in.AgentStatusId != nil)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0])+"/agent/"+l[1], instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	return struct{}{}, s.cfg.Agents.SetUserStatus(c.ctx, c.scope, l[0], l[1], *in.AgentStatusId)
}

type refJSON struct {
	Id  string `json:"Id"`
	Arn string `json:"Arn"`
}

func (s *Server) getCurrentUserData(c *call, l []string) (any, error) {
	var in struct {
		Filters *struct {
			Queues              []string
			ContactFilter       *struct{ ContactStates []string }
			RoutingProfiles     []string
			Agents              []string
			UserHierarchyGroups []string
		}
		NextToken  *string
		MaxResults *int
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	v.required("filters", in.Filters != nil)
	limit := 100
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			v.add("maxResults", "", false, "Member must have value between 1 and 100")
		}
		limit = *in.MaxResults
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	f := in.Filters
	if len(f.Queues)+len(f.RoutingProfiles)+len(f.Agents)+len(f.UserHierarchyGroups) == 0 {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException,
			"At least one filter of Queues, RoutingProfiles, Agents or UserHierarchyGroups is required.")
	}
	if err := s.authorize(c, s.instanceARN(c, l[0]), instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	uf := agent.UserFilter{Agents: f.Agents, Queues: f.Queues, RoutingProfiles: f.RoutingProfiles}
	if f.ContactFilter != nil {
		uf.ContactStates = f.ContactFilter.ContactStates
	}
	if len(f.UserHierarchyGroups) > 0 && len(uf.Agents)+len(uf.Queues)+len(uf.RoutingProfiles) == 0 {
		uf.Agents = []string{"\x00none"} // connectfed keeps no hierarchy groups: nobody matches
	}
	id, list, err := s.cfg.Agents.CurrentUserData(c.ctx, c.scope, l[0], uf)
	if err != nil {
		return nil, err
	}
	total := len(list)
	list, next, err := pageOf(s, c, id, deref(in.NextToken), list, func(d agent.UserData) string { return d.User.ID }, limit)
	if err != nil {
		return nil, err
	}
	type contactJSON struct {
		ContactId                 string `json:"ContactId"`
		Channel                   string `json:"Channel"`
		InitiationMethod          string `json:"InitiationMethod"`
		AgentContactState         string `json:"AgentContactState"`
		StateStartTimestamp       epoch  `json:"StateStartTimestamp"`
		ConnectedToAgentTimestamp *epoch `json:"ConnectedToAgentTimestamp,omitempty"`
		Queue                     refJSON
	}
	type userDataJSON struct {
		User   refJSON
		Status struct {
			StatusStartTimestamp  epoch
			StatusArn, StatusName string
		}
		RoutingProfile          refJSON
		AvailableSlotsByChannel map[string]int
		MaxSlotsByChannel       map[string]int
		ActiveSlotsByChannel    map[string]int
		Contacts                []contactJSON
		NextStatus              string `json:",omitempty"`
	}
	out := struct {
		UserDataList          []userDataJSON
		NextToken             string `json:",omitempty"`
		ApproximateTotalCount int64
	}{UserDataList: []userDataJSON{}, NextToken: next, ApproximateTotalCount: int64(total)}
	base := "arn:aws:connect:" + c.scope.Region + ":" + c.scope.AccountID + ":instance/" + id + "/"
	for _, d := range list {
		u := userDataJSON{User: refJSON{d.User.ID, d.User.ARN()}, RoutingProfile: refJSON{d.RoutingProfile, base + "routing-profile/" + d.RoutingProfile},
			MaxSlotsByChannel: map[string]int{"VOICE": 1, "CHAT": 1, "TASK": 1}, Contacts: []contactJSON{}, NextStatus: d.NextStatus}
		u.Status.StatusStartTimestamp, u.Status.StatusArn, u.Status.StatusName = epoch(d.StatusSince), base+"agent-state/"+d.Status.ID, d.Status.Name
		active := map[string]int{"VOICE": 0, "CHAT": 0, "TASK": 0}
		for _, uc := range d.Contacts {
			cj := contactJSON{ContactId: uc.Contact.ID, Channel: uc.Contact.Channel, InitiationMethod: uc.Contact.InitiationMethod,
				AgentContactState: uc.AgentState, StateStartTimestamp: epoch(uc.Since), Queue: refJSON{uc.Contact.QueueID, base + "queue/" + uc.Contact.QueueID}}
			if !uc.Contact.Connected.IsZero() {
				e := epoch(uc.Contact.Connected)
				cj.ConnectedToAgentTimestamp = &e
			}
			u.Contacts = append(u.Contacts, cj)
			active[uc.Contact.Channel]++
		}
		u.ActiveSlotsByChannel = active
		u.AvailableSlotsByChannel = map[string]int{}
		busy := len(d.Contacts) > 0
		for ch := range u.MaxSlotsByChannel {
			if !busy && d.Status.Type == agent.TypeRoutable {
				u.AvailableSlotsByChannel[ch] = 1
			} else {
				u.AvailableSlotsByChannel[ch] = 0
			}
		}
		out.UserDataList = append(out.UserDataList, u)
	}
	return out, nil
}

// --- approved origins ---

func (s *Server) associateApprovedOrigin(c *call, l []string) (any, error) {
	var in struct{ Origin, ClientToken *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	v.required("origin", in.Origin != nil)
	if in.Origin != nil {
		v.length("origin", *in.Origin, false, 0, 267)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0]), instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	return nil, s.cfg.Agents.AssociateOrigin(c.ctx, c.scope, l[0], *in.Origin)
}

func (s *Server) disassociateApprovedOrigin(c *call, l []string) (any, error) {
	q := c.r.URL.Query()
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	v.required("origin", q.Has("origin"))
	v.length("origin", q.Get("origin"), false, 0, 267)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0]), instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	return nil, s.cfg.Agents.DisassociateOrigin(c.ctx, c.scope, l[0], q.Get("origin"))
}

func (s *Server) listApprovedOrigins(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	limit := queryInt(c, "maxResults", 25, 1, 25, v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0]), instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	list, err := s.cfg.Agents.Origins(c.ctx, c.scope, l[0])
	if err != nil {
		return nil, err
	}
	list, next, err := pageOf(s, c, connect.ResolveInstanceID(c.scope, l[0]), c.r.URL.Query().Get("nextToken"), list, func(o string) string { return o }, limit)
	if err != nil {
		return nil, err
	}
	return struct {
		Origins   []string
		NextToken string `json:",omitempty"`
	}{append([]string{}, list...), next}, nil
}

// --- contact flows and contacts ---

func (s *Server) listContactFlows(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	limit := queryInt(c, "maxResults", 100, 1, 1000, v)
	types := c.r.URL.Query()["contactFlowTypes"]
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0])+"/contact-flow/*", instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	id, flows, err := s.cfg.Agents.Flows(c.ctx, c.scope, l[0])
	if err != nil {
		return nil, err
	}
	if len(types) > 0 {
		flows = slices.DeleteFunc(flows, func(f agent.Flow) bool { return !slices.Contains(types, f.Type) })
	}
	flows, next, err := pageOf(s, c, id, c.r.URL.Query().Get("nextToken"), flows, func(f agent.Flow) string { return f.ID }, limit)
	if err != nil {
		return nil, err
	}
	type flowJSON struct {
		Id, Arn, Name, ContactFlowType, ContactFlowState, ContactFlowStatus string
	}
	out := struct {
		ContactFlowSummaryList []flowJSON
		NextToken              string `json:",omitempty"`
	}{ContactFlowSummaryList: []flowJSON{}, NextToken: next}
	for _, f := range flows {
		out.ContactFlowSummaryList = append(out.ContactFlowSummaryList, flowJSON{f.ID, s.instanceARN(c, id) + "/contact-flow/" + f.ID, f.Name, f.Type, "ACTIVE", "PUBLISHED"})
	}
	return out, nil
}

// checkAttributes applies Connect's limits on contact attributes: keys
// 1..32767 characters, all of them at most 32 KB together.
func checkAttributes(v *violations, attrs map[string]string) {
	size := 0
	for k, val := range attrs {
		if k == "" {
			v.add("attributes.key", k, false, "Member must have length greater than or equal to 1")
		}
		size += utf8.RuneCountInString(k) + utf8.RuneCountInString(val)
	}
	if size > 32*1024 {
		v.list = append(v.list, "Attributes must not exceed 32768 characters in total")
	}
}

var contactIDRE = regexp.MustCompile(`^[a-zA-Z0-9-]{1,256}$`)

func (s *Server) startTaskContact(c *call, _ []string) (any, error) {
	var in struct {
		InstanceId, PreviousContactId, ContactFlowId, Name, Description, ClientToken *string
		TaskTemplateId, QuickConnectId, RelatedContactId                             *string
		Attributes                                                                   map[string]string
		References                                                                   map[string]struct{ Value, Type, Status, StatusReason *string }
		ScheduledTime                                                                *float64
		SegmentAttributes                                                            map[string]any
		Attachments                                                                  []any
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("instanceId", in.InstanceId != nil)
	v.required("name", in.Name != nil)
	if in.InstanceId != nil {
		checkInstanceID(v, *in.InstanceId)
	}
	if in.Name != nil {
		v.length("name", *in.Name, false, 0, 1024)
	}
	if in.Description != nil {
		v.length("description", *in.Description, false, 0, 4096)
	}
	checkAttributes(v, in.Attributes)
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.ContactFlowId == nil {
		if in.QuickConnectId != nil || in.TaskTemplateId != nil {
			return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "connectfed starts tasks on a contact flow only: give ContactFlowId.")
		}
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "One of ContactFlowId, QuickConnectId or TaskTemplateId is required.")
	}
	if err := s.authorize(c, s.instanceARN(c, *in.InstanceId)+"/contact-flow/"+*in.ContactFlowId, instanceConditions(c, *in.InstanceId)); err != nil {
		return nil, err
	}
	refs := map[string]agent.Ref{}
	for k, r := range in.References {
		refs[k] = agent.Ref{Type: deref(r.Type), Value: deref(r.Value)}
	}
	ct, err := s.cfg.Agents.StartContact(c.ctx, c.scope, *in.InstanceId, agent.ContactInput{
		Channel: "TASK", InitiationMethod: "API", FlowID: *in.ContactFlowId, Name: *in.Name, Description: deref(in.Description),
		Attributes: maps.Clone(in.Attributes), References: refs,
	})
	if errors.Is(err, agent.ErrTooManyContacts) {
		// StartTaskContact's model names this quota error.
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ServiceQuotaExceededException, "%s", agent.ErrTooManyContacts.Message)
	}
	if err != nil {
		return nil, err
	}
	return struct{ ContactId string }{ct.ID}, nil
}

func (s *Server) startChatContact(c *call, _ []string) (any, error) {
	var in struct {
		InstanceId, ContactFlowId, ClientToken, RelatedContactId, CustomerId *string
		Attributes                                                           map[string]string
		ParticipantDetails                                                   *struct{ DisplayName *string }
		ParticipantConfiguration                                             map[string]any
		InitialMessage                                                       *struct{ ContentType, Content *string }
		ChatDurationInMinutes                                                *int
		SupportedMessagingContentTypes                                       []string
		PersistentChat                                                       map[string]any
		SegmentAttributes                                                    map[string]any
		DisconnectOnCustomerExit                                             []string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("instanceId", in.InstanceId != nil)
	v.required("contactFlowId", in.ContactFlowId != nil)
	v.required("participantDetails", in.ParticipantDetails != nil)
	if in.InstanceId != nil {
		checkInstanceID(v, *in.InstanceId)
	}
	if in.ParticipantDetails != nil {
		v.required("participantDetails.displayName", in.ParticipantDetails.DisplayName != nil)
		if in.ParticipantDetails.DisplayName != nil {
			v.length("participantDetails.displayName", *in.ParticipantDetails.DisplayName, false, 1, 256)
		}
	}
	if in.ChatDurationInMinutes != nil && (*in.ChatDurationInMinutes < 60 || *in.ChatDurationInMinutes > 10080) {
		v.add("chatDurationInMinutes", "", false, "Member must have value between 60 and 10080")
	}
	checkAttributes(v, in.Attributes)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, *in.InstanceId)+"/contact-flow/"+*in.ContactFlowId, instanceConditions(c, *in.InstanceId)); err != nil {
		return nil, err
	}
	participant := connectfed.NewUUID()
	ct, err := s.cfg.Agents.StartContact(c.ctx, c.scope, *in.InstanceId, agent.ContactInput{
		Channel: "CHAT", InitiationMethod: "API", FlowID: *in.ContactFlowId, Attributes: maps.Clone(in.Attributes),
		Customer: agent.Endpoint{DisplayName: deref(in.ParticipantDetails.DisplayName)}, ParticipantID: participant,
	})
	if err != nil {
		return nil, err
	}
	// The participant token is an opaque placeholder: connectfed has no
	// participant service (no chat messages are carried).
	return struct{ ContactId, ParticipantId, ParticipantToken string }{ct.ID, participant, "connectfed-" + connectfed.NewUUID()}, nil
}

func (s *Server) stopContact(c *call, _ []string) (any, error) {
	var in struct {
		ContactId, InstanceId *string
		DisconnectReason      *struct{ Code *string }
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("contactId", in.ContactId != nil)
	v.required("instanceId", in.InstanceId != nil)
	if in.ContactId != nil {
		v.length("contactId", *in.ContactId, false, 1, 256)
	}
	if in.InstanceId != nil {
		checkInstanceID(v, *in.InstanceId)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, *in.InstanceId)+"/contact/"+*in.ContactId, instanceConditions(c, *in.InstanceId)); err != nil {
		return nil, err
	}
	reason := "API"
	if in.DisconnectReason != nil && in.DisconnectReason.Code != nil {
		reason = *in.DisconnectReason.Code
	}
	return struct{}{}, s.cfg.Agents.StopContact(c.ctx, c.scope, *in.InstanceId, *in.ContactId, reason)
}

func (s *Server) describeContact(c *call, l []string) (any, error) {
	if err := s.instanceCall(c, l[0], connectfed.InvalidParameterException, "contact/"+l[1]); err != nil {
		return nil, err
	}
	ct, id, err := s.cfg.Agents.DescribeContact(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	base := "arn:aws:connect:" + c.scope.Region + ":" + c.scope.AccountID + ":instance/" + id
	type endpointJSON struct{ Type, Address, DisplayName string }
	type agentInfoJSON struct {
		Id                             string `json:"Id"`
		AcceptedByAgentTimestamp       *epoch `json:",omitempty"`
		ConnectedToAgentTimestamp      *epoch `json:",omitempty"`
		AfterContactWorkStartTimestamp *epoch `json:",omitempty"`
		AfterContactWorkEndTimestamp   *epoch `json:",omitempty"`
	}
	ts := func(t time.Time) *epoch {
		if t.IsZero() {
			return nil
		}
		e := epoch(t)
		return &e
	}
	out := struct {
		Arn              string
		Id               string
		InitialContactId string
		InitiationMethod string
		Name             string `json:",omitempty"`
		Description      string `json:",omitempty"`
		Channel          string
		QueueInfo        *struct {
			Id               string
			EnqueueTimestamp epoch
		}
		AgentInfo           *agentInfoJSON `json:",omitempty"`
		InitiationTimestamp epoch
		DisconnectTimestamp *epoch `json:",omitempty"`
		LastUpdateTimestamp epoch
		RingStartTimestamp  *epoch        `json:",omitempty"`
		CustomerEndpoint    *endpointJSON `json:",omitempty"`
		DisconnectReason    string        `json:",omitempty"`
		Attributes          map[string]string
	}{
		Arn: base + "/contact/" + ct.ID, Id: ct.ID, InitialContactId: ct.ID, InitiationMethod: ct.InitiationMethod,
		Name: ct.Name, Description: ct.Description, Channel: ct.Channel,
		QueueInfo: &struct {
			Id               string
			EnqueueTimestamp epoch
		}{ct.QueueID, epoch(ct.Enqueued)},
		InitiationTimestamp: epoch(ct.Initiated), DisconnectTimestamp: ts(ct.Disconnected), LastUpdateTimestamp: epoch(ct.LastUpdate),
		RingStartTimestamp: ts(ct.RingStart), DisconnectReason: ct.DisconnectReason, Attributes: ct.Attributes,
	}
	if out.Attributes == nil {
		out.Attributes = map[string]string{}
	}
	if ct.Customer.Address != "" || ct.Customer.DisplayName != "" {
		out.CustomerEndpoint = &endpointJSON{ct.Customer.Type, ct.Customer.Address, ct.Customer.DisplayName}
	}
	if ct.AgentID != "" {
		out.AgentInfo = &agentInfoJSON{Id: ct.AgentID, AcceptedByAgentTimestamp: ts(ct.Connected), ConnectedToAgentTimestamp: ts(ct.Connected),
			AfterContactWorkStartTimestamp: ts(ct.ACWStart), AfterContactWorkEndTimestamp: ts(ct.ACWEnd)}
	}
	return struct{ Contact any }{out}, nil
}

func (s *Server) updateContactAttributes(c *call, _ []string) (any, error) {
	var in struct {
		InitialContactId, InstanceId *string
		Attributes                   map[string]string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("initialContactId", in.InitialContactId != nil)
	v.required("instanceId", in.InstanceId != nil)
	v.required("attributes", in.Attributes != nil)
	if in.InstanceId != nil {
		checkInstanceID(v, *in.InstanceId)
	}
	if in.InitialContactId != nil {
		v.length("initialContactId", *in.InitialContactId, false, 1, 256)
	}
	checkAttributes(v, in.Attributes)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, *in.InstanceId)+"/contact/"+*in.InitialContactId, instanceConditions(c, *in.InstanceId)); err != nil {
		return nil, err
	}
	return struct{}{}, s.cfg.Agents.UpdateAttributes(c.ctx, c.scope, *in.InstanceId, *in.InitialContactId, in.Attributes)
}

func (s *Server) getContactAttributes(c *call, l []string) (any, error) {
	if err := s.instanceCall(c, l[0], connectfed.InvalidRequestException, "contact/"+l[1]); err != nil {
		return nil, err
	}
	attrs, err := s.cfg.Agents.Attributes(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	if attrs == nil {
		attrs = map[string]string{}
	}
	return struct{ Attributes map[string]string }{attrs}, nil
}

// startVoiceContact is connectfed's own operation (signed for service
// "connect"; Connect has no API that simulates a caller):
// POST /connectfed/contacts/voice {"InstanceId", "CustomerPhoneNumber",
// "QueueId"?, "UserId"?, "Attributes"?} → {"ContactId"}. The contact
// rings the agent named by UserId, or waits in QueueId (default
// BasicQueue). The simulated caller hangs up with StopContact.
// Authorized as connect:StartVoiceContact on the instance's
// contact/* resource.
func (s *Server) startVoiceContact(c *call, _ []string) (any, error) {
	var in struct {
		InstanceId, CustomerPhoneNumber, QueueId, UserId *string
		Attributes                                       map[string]string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("instanceId", in.InstanceId != nil)
	v.required("customerPhoneNumber", in.CustomerPhoneNumber != nil)
	if in.InstanceId != nil {
		checkInstanceID(v, *in.InstanceId)
	}
	if in.CustomerPhoneNumber != nil {
		v.pattern("customerPhoneNumber", *in.CustomerPhoneNumber, false, phoneRE, `\+[1-9]\d{1,14}$`)
	}
	if in.QueueId != nil && !contactIDRE.MatchString(*in.QueueId) {
		v.add("queueId", *in.QueueId, false, "Member must be a queue id")
	}
	if in.UserId != nil && !contactIDRE.MatchString(*in.UserId) {
		v.add("userId", *in.UserId, false, "Member must be a user id")
	}
	checkAttributes(v, in.Attributes)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, *in.InstanceId)+"/contact/*", instanceConditions(c, *in.InstanceId)); err != nil {
		return nil, err
	}
	ct, err := s.cfg.Agents.StartContact(c.ctx, c.scope, *in.InstanceId, agent.ContactInput{
		Channel: "VOICE", InitiationMethod: "INBOUND", QueueID: deref(in.QueueId), TargetAgentID: deref(in.UserId),
		Attributes: maps.Clone(in.Attributes), Customer: agent.Endpoint{Type: "TELEPHONE_NUMBER", Address: *in.CustomerPhoneNumber},
	})
	if err != nil {
		return nil, err
	}
	return struct{ ContactId string }{ct.ID}, nil
}
