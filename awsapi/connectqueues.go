package awsapi

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// Queues, hours of operation, routing profiles and security profiles.
func init() {
	connectRoutes = append(connectRoutes,
		restRoute{"PUT", splitPattern("/queues/{}"), "CreateQueue", (*Server).createQueue},
		restRoute{"GET", splitPattern("/queues/{}/{}"), "DescribeQueue", (*Server).describeQueue},
		restRoute{"GET", splitPattern("/queues-summary/{}"), "ListQueues", (*Server).listQueues},
		restRoute{"POST", splitPattern("/queues/{}/{}/name"), "UpdateQueueName", (*Server).updateQueueName},
		restRoute{"POST", splitPattern("/queues/{}/{}/status"), "UpdateQueueStatus", (*Server).updateQueueStatus},
		restRoute{"GET", splitPattern("/hours-of-operations-summary/{}"), "ListHoursOfOperations", (*Server).listHoursOfOperations},
		restRoute{"GET", splitPattern("/hours-of-operations/{}/{}"), "DescribeHoursOfOperation", (*Server).describeHoursOfOperation},
		restRoute{"PUT", splitPattern("/routing-profiles/{}"), "CreateRoutingProfile", (*Server).createRoutingProfile},
		restRoute{"GET", splitPattern("/routing-profiles/{}/{}"), "DescribeRoutingProfile", (*Server).describeRoutingProfile},
		restRoute{"DELETE", splitPattern("/routing-profiles/{}/{}"), "DeleteRoutingProfile", (*Server).deleteRoutingProfile},
		restRoute{"POST", splitPattern("/routing-profiles/{}/{}/name"), "UpdateRoutingProfileName", (*Server).updateRoutingProfileName},
		restRoute{"POST", splitPattern("/routing-profiles/{}/{}/concurrency"), "UpdateRoutingProfileConcurrency", (*Server).updateRoutingProfileConcurrency},
		restRoute{"POST", splitPattern("/routing-profiles/{}/{}/default-outbound-queue"), "UpdateRoutingProfileDefaultOutboundQueue", (*Server).updateRoutingProfileDefaultOutboundQueue},
		restRoute{"POST", splitPattern("/routing-profiles/{}/{}/associate-queues"), "AssociateRoutingProfileQueues", (*Server).associateRoutingProfileQueues},
		restRoute{"POST", splitPattern("/routing-profiles/{}/{}/disassociate-queues"), "DisassociateRoutingProfileQueues", (*Server).disassociateRoutingProfileQueues},
		restRoute{"GET", splitPattern("/routing-profiles/{}/{}/queues"), "ListRoutingProfileQueues", (*Server).listRoutingProfileQueues},
		restRoute{"PUT", splitPattern("/security-profiles/{}"), "CreateSecurityProfile", (*Server).createSecurityProfile},
		restRoute{"GET", splitPattern("/security-profiles/{}/{}"), "DescribeSecurityProfile", (*Server).describeSecurityProfile},
		restRoute{"POST", splitPattern("/security-profiles/{}/{}"), "UpdateSecurityProfile", (*Server).updateSecurityProfile},
		restRoute{"DELETE", splitPattern("/security-profiles/{}/{}"), "DeleteSecurityProfile", (*Server).deleteSecurityProfile},
		restRoute{"GET", splitPattern("/security-profiles-permissions/{}/{}"), "ListSecurityProfilePermissions", (*Server).listSecurityProfilePermissions},
	)
}

// onInstance validates an instance label and authorizes the call on the
// instance ARN, with the tags the request sets.
func (s *Server) onInstance(c *call, instanceID string, v *violations, tags map[string]string) error {
	checkInstanceID(v, instanceID)
	if err := v.err(); err != nil {
		return err
	}
	return s.authorize(c, s.instanceARN(c, instanceID), withRequestTags(instanceConditions(c, instanceID), tags))
}

// onNew validates an instance label and authorizes a Create on the new
// resource's ARN pattern, instance/<id>/<kind>/* (the resource type the
// Service Authorization Reference gives Connect's Create actions), with
// the tags the request sets.
func (s *Server) onNew(c *call, instanceID, kind string, v *violations, tags map[string]string) error {
	checkInstanceID(v, instanceID)
	if err := v.err(); err != nil {
		return err
	}
	return s.authorize(c, s.childARN(c, instanceID, kind, "*"), withRequestTags(instanceConditions(c, instanceID), tags))
}

// onChild validates an instance label and a resource id label and
// authorizes the call on the resource's ARN.
func (s *Server) onChild(c *call, l []string, kind, member string, v *violations) error {
	checkInstanceID(v, l[0])
	v.length(member, l[1], false, 1, 500)
	v.utf8(member, l[1])
	if err := v.err(); err != nil {
		return err
	}
	return s.authorize(c, s.childARN(c, l[0], kind, l[1]), instanceConditions(c, l[0]))
}

func checkName(v *violations, member string, p *string, required bool, max int) {
	if required {
		v.required(member, p != nil)
	}
	if p != nil {
		v.length(member, *p, false, 1, max)
		v.utf8(member, *p)
	}
}

func checkDescription(v *violations, member string, p *string, min, max int) {
	if p != nil {
		v.length(member, *p, false, min, max)
		v.utf8(member, *p)
	}
}

// --- queues ---

type outboundCallerJSON struct {
	OutboundCallerIdName     *string `json:",omitempty"`
	OutboundCallerIdNumberId *string `json:",omitempty"`
	OutboundFlowId           *string `json:",omitempty"`
}

type queueJSON struct {
	Name                 string
	QueueArn             string
	QueueId              string
	Description          string              `json:",omitempty"`
	OutboundCallerConfig *outboundCallerJSON `json:",omitempty"`
	HoursOfOperationId   string              `json:",omitempty"`
	MaxContacts          *int64              `json:",omitempty"`
	Status               string
	Tags                 map[string]string `json:",omitempty"`
	LastModifiedTime     epoch
	LastModifiedRegion   string
}

func queueStatus(q *connectfed.Queue) string {
	if q.Status == "" {
		return "ENABLED"
	}
	return q.Status
}

func (s *Server) createQueue(c *call, l []string) (any, error) {
	var in struct {
		Name                 *string
		Description          *string
		OutboundCallerConfig *outboundCallerJSON
		OutboundEmailConfig  *struct{ OutboundEmailAddressId *string }
		HoursOfOperationId   *string
		MaxContacts          *int64
		QuickConnectIds      []string
		EmailAddressesConfig []struct{ EmailAddressId *string }
		Tags                 map[string]string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkName(v, "name", in.Name, true, 127)
	checkDescription(v, "description", in.Description, 1, 250)
	v.required("hoursOfOperationId", in.HoursOfOperationId != nil)
	if in.MaxContacts != nil && *in.MaxContacts < 0 {
		v.add("maxContacts", strconv.FormatInt(*in.MaxContacts, 10), false, "Member must have value greater than or equal to 0")
	}
	if in.QuickConnectIds != nil && (len(in.QuickConnectIds) < 1 || len(in.QuickConnectIds) > 50) {
		v.add("quickConnectIds", "", false, "Member must have length less than or equal to 50 and greater than or equal to 1")
	}
	oc := checkOutboundCaller(v, in.OutboundCallerConfig)
	checkTags(v, in.Tags)
	if err := s.onNew(c, l[0], "queue", v, in.Tags); err != nil {
		return nil, err
	}
	// connectfed has no quick connects, phone numbers or email addresses:
	// any id of one names a resource that does not exist.
	switch {
	case len(in.QuickConnectIds) > 0:
		return nil, notFoundErr("Quick connect not found: %s", in.QuickConnectIds[0])
	case oc != nil && oc.IDNumberID != "":
		return nil, notFoundErr("Phone number not found: %s", oc.IDNumberID)
	case in.OutboundEmailConfig != nil && in.OutboundEmailConfig.OutboundEmailAddressId != nil:
		return nil, notFoundErr("Email address not found: %s", *in.OutboundEmailConfig.OutboundEmailAddressId)
	case len(in.EmailAddressesConfig) > 0:
		return nil, notFoundErr("Email address not found: %s", deref(in.EmailAddressesConfig[0].EmailAddressId))
	}
	q, err := s.cfg.Connect.CreateQueue(c.ctx, c.scope, l[0], connectfed.Queue{
		Name: *in.Name, Description: deref(in.Description), HoursOfOperationID: *in.HoursOfOperationId,
		MaxContacts: in.MaxContacts, Status: "ENABLED", OutboundCaller: oc, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct{ QueueArn, QueueId string }{s.childARN(c, l[0], "queue", q.ID), q.ID}, nil
}

func notFoundErr(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.ENOTFOUND, connectfed.ResourceNotFoundException, format, args...)
}

func checkOutboundCaller(v *violations, in *outboundCallerJSON) *connectfed.OutboundCaller {
	if in == nil {
		return nil
	}
	checkDescription(v, "outboundCallerConfig.outboundCallerIdName", in.OutboundCallerIdName, 1, 255)
	checkDescription(v, "outboundCallerConfig.outboundFlowId", in.OutboundFlowId, 0, 500)
	return &connectfed.OutboundCaller{IDName: deref(in.OutboundCallerIdName), IDNumberID: deref(in.OutboundCallerIdNumberId), FlowID: deref(in.OutboundFlowId)}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) describeQueue(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "queue", "queueId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	q, err := s.cfg.Connect.GetQueue(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	out := queueJSON{
		Name: q.Name, QueueArn: s.childARN(c, l[0], "queue", q.ID), QueueId: q.ID, Description: q.Description,
		HoursOfOperationId: q.HoursOfOperationID, MaxContacts: q.MaxContacts, Status: queueStatus(q), Tags: q.Tags,
		LastModifiedTime: epoch(q.LastModified), LastModifiedRegion: c.scope.Region,
	}
	if oc := q.OutboundCaller; oc != nil {
		out.OutboundCallerConfig = &outboundCallerJSON{optional(oc.IDName), optional(oc.IDNumberID), optional(oc.FlowID)}
	}
	return struct{ Queue queueJSON }{out}, nil
}

func (s *Server) listQueues(c *call, l []string) (any, error) {
	types := c.r.URL.Query()["queueTypes"]
	v := &violations{errType: connectfed.InvalidParameterException}
	if len(types) > 2 {
		v.add("queueTypes", "", false, "Member must have length less than or equal to 2")
	}
	for _, t := range types {
		v.enum("queueTypes.member", t, "STANDARD", "AGENT")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	inst, after, limit, listing, err := s.listArgs(c, l[0])
	if err != nil {
		return nil, err
	}
	type summary struct {
		Id, Arn, Name, QueueType string
		LastModifiedTime         epoch
		LastModifiedRegion       string
	}
	out := struct {
		QueueSummaryList []summary
		NextToken        string `json:",omitempty"`
	}{QueueSummaryList: []summary{}}
	if len(types) > 0 && !slices.Contains(types, "STANDARD") {
		// connectfed's queues are all STANDARD; agent queues are not kept.
		if _, err := s.cfg.Connect.GetInstance(c.ctx, c.scope, inst); err != nil {
			return nil, err
		}
		return out, nil
	}
	list, last, err := s.cfg.Connect.ListQueues(c.ctx, c.scope, inst, after, limit)
	if err != nil {
		return nil, err
	}
	out.NextToken = s.pager.token(listing, last)
	for _, q := range list {
		out.QueueSummaryList = append(out.QueueSummaryList, summary{q.ID, s.childARN(c, inst, "queue", q.ID), q.Name, "STANDARD", epoch(q.LastModified), c.scope.Region})
	}
	return out, nil
}

func (s *Server) updateQueueName(c *call, l []string) (any, error) {
	var in struct{ Name, Description *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkName(v, "name", in.Name, false, 127)
	checkDescription(v, "description", in.Description, 1, 250)
	if err := s.onChild(c, l, "queue", "queueId", v); err != nil {
		return nil, err
	}
	if in.Name == nil && in.Description == nil {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "Either Name or Description must be provided.")
	}
	return nil, s.cfg.Connect.UpdateQueue(c.ctx, c.scope, l[0], l[1], func(q *connectfed.Queue) {
		if in.Name != nil {
			q.Name = *in.Name
		}
		if in.Description != nil {
			q.Description = *in.Description
		}
	})
}

func (s *Server) updateQueueStatus(c *call, l []string) (any, error) {
	var in struct{ Status *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("status", in.Status != nil)
	if in.Status != nil {
		v.enum("status", *in.Status, "ENABLED", "DISABLED")
	}
	if err := s.onChild(c, l, "queue", "queueId", v); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.UpdateQueue(c.ctx, c.scope, l[0], l[1], func(q *connectfed.Queue) { q.Status = *in.Status })
}

// --- hours of operation ---

func (s *Server) listHoursOfOperations(c *call, l []string) (any, error) {
	inst, after, limit, listing, err := s.listArgs(c, l[0])
	if err != nil {
		return nil, err
	}
	list, last, err := s.cfg.Connect.ListHours(c.ctx, c.scope, inst, after, limit)
	if err != nil {
		return nil, err
	}
	type summary struct {
		Id, Arn, Name      string
		LastModifiedTime   epoch
		LastModifiedRegion string
	}
	out := struct {
		HoursOfOperationSummaryList []summary
		NextToken                   string `json:",omitempty"`
	}{HoursOfOperationSummaryList: []summary{}, NextToken: s.pager.token(listing, last)}
	for _, h := range list {
		out.HoursOfOperationSummaryList = append(out.HoursOfOperationSummaryList,
			summary{h.ID, s.childARN(c, inst, "operating-hours", h.ID), h.Name, epoch(h.LastModified), c.scope.Region})
	}
	return out, nil
}

func (s *Server) describeHoursOfOperation(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "operating-hours", "hoursOfOperationId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	h, err := s.cfg.Connect.GetHours(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	type slice struct{ Hours, Minutes int }
	type config struct {
		Day                string
		StartTime, EndTime slice
	}
	out := struct {
		HoursOfOperationId, HoursOfOperationArn, Name string
		Description                                   string `json:",omitempty"`
		TimeZone                                      string
		Config                                        []config
		Tags                                          map[string]string `json:",omitempty"`
		LastModifiedTime                              epoch
		LastModifiedRegion                            string
	}{HoursOfOperationId: h.ID, HoursOfOperationArn: s.childARN(c, l[0], "operating-hours", h.ID), Name: h.Name,
		Description: h.Description, TimeZone: h.TimeZone, Config: []config{}, Tags: h.Tags,
		LastModifiedTime: epoch(h.LastModified), LastModifiedRegion: c.scope.Region}
	for _, d := range h.Config {
		out.Config = append(out.Config, config{d.Day, slice{d.StartHours, d.StartMinutes}, slice{d.EndHours, d.EndMinutes}})
	}
	return struct{ HoursOfOperation any }{out}, nil
}

// --- routing profiles ---

type queueRefJSON struct {
	QueueId *string
	Channel *string
}

type queueConfigJSON struct {
	QueueReference *queueRefJSON
	Priority       *int
	Delay          *int
}

type mediaConcurrencyJSON struct {
	Channel              *string
	Concurrency          *int
	CrossChannelBehavior *struct{ BehaviorType *string } `json:",omitempty"`
}

func checkQueueRef(v *violations, member string, r *queueRefJSON) (string, string) {
	v.required(member, r != nil)
	if r == nil {
		return "", ""
	}
	v.required(member+".queueId", r.QueueId != nil)
	v.required(member+".channel", r.Channel != nil)
	if r.Channel != nil {
		v.enum(member+".channel", *r.Channel, connect.Channels...)
	}
	return deref(r.QueueId), deref(r.Channel)
}

func checkQueueConfigs(v *violations, member string, in []queueConfigJSON) []connectfed.RoutingQueueConfig {
	if in == nil {
		return nil
	}
	if len(in) < 1 || len(in) > 10 {
		v.add(member, "", false, "Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	var out []connectfed.RoutingQueueConfig
	for _, qc := range in {
		id, ch := checkQueueRef(v, member+".member.queueReference", qc.QueueReference)
		v.required(member+".member.priority", qc.Priority != nil)
		v.required(member+".member.delay", qc.Delay != nil)
		p, d := 0, 0
		if qc.Priority != nil {
			p = *qc.Priority
			if p < 1 || p > 99 {
				v.add(member+".member.priority", strconv.Itoa(p), false, "Member must have value less than or equal to 99 and greater than or equal to 1")
			}
		}
		if qc.Delay != nil {
			d = *qc.Delay
			if d < 0 || d > 9999 {
				v.add(member+".member.delay", strconv.Itoa(d), false, "Member must have value less than or equal to 9999 and greater than or equal to 0")
			}
		}
		out = append(out, connectfed.RoutingQueueConfig{QueueID: id, Channel: ch, Priority: p, Delay: d})
	}
	return out
}

func checkConcurrencies(v *violations, in []mediaConcurrencyJSON, present bool) []connectfed.MediaConcurrency {
	v.required("mediaConcurrencies", present)
	var out []connectfed.MediaConcurrency
	for _, m := range in {
		v.required("mediaConcurrencies.member.channel", m.Channel != nil)
		v.required("mediaConcurrencies.member.concurrency", m.Concurrency != nil)
		mc := connectfed.MediaConcurrency{Channel: deref(m.Channel)}
		if m.Channel != nil {
			v.enum("mediaConcurrencies.member.channel", *m.Channel, connect.Channels...)
		}
		if m.Concurrency != nil {
			mc.Concurrency = *m.Concurrency
			if mc.Concurrency < 1 || mc.Concurrency > 10 {
				v.add("mediaConcurrencies.member.concurrency", strconv.Itoa(mc.Concurrency), false, "Member must have value less than or equal to 10 and greater than or equal to 1")
			}
		}
		if m.CrossChannelBehavior != nil {
			v.required("mediaConcurrencies.member.crossChannelBehavior.behaviorType", m.CrossChannelBehavior.BehaviorType != nil)
			if bt := m.CrossChannelBehavior.BehaviorType; bt != nil {
				v.enum("mediaConcurrencies.member.crossChannelBehavior.behaviorType", *bt, "ROUTE_CURRENT_CHANNEL_ONLY", "ROUTE_ANY_CHANNEL")
				mc.CrossChannel = *bt
			}
		}
		out = append(out, mc)
	}
	return out
}

// concurrencyRules are Connect's rules on a set of media concurrencies
// beyond the model's: each channel once, and voice one at a time.
func concurrencyRules(list []connectfed.MediaConcurrency) error {
	seen := map[string]bool{}
	for _, m := range list {
		if seen[m.Channel] {
			return invalidParamErr("Channel %s appears more than once in MediaConcurrencies.", m.Channel)
		}
		seen[m.Channel] = true
		if m.Channel == "VOICE" && m.Concurrency != 1 {
			return invalidParamErr("The concurrency for VOICE must be 1.")
		}
	}
	return nil
}

func invalidParamErr(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException, format, args...)
}

func invalidRequestErr(format string, args ...any) error {
	return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, format, args...)
}

// mergeQueues adds queue configs to a profile; a queue already taking the
// channel is refused.
func mergeQueues(rp *connectfed.RoutingProfile, add []connectfed.RoutingQueueConfig) error {
	for _, a := range add {
		for _, q := range rp.Queues {
			if q.QueueID == a.QueueID && q.Channel == a.Channel {
				return invalidRequestErr("Queue %s is already associated with the routing profile for channel %s.", a.QueueID, a.Channel)
			}
		}
		rp.Queues = append(rp.Queues, a)
	}
	return nil
}

func (s *Server) createRoutingProfile(c *call, l []string) (any, error) {
	var in struct {
		Name                         *string
		Description                  *string
		DefaultOutboundQueueId       *string
		QueueConfigs                 []queueConfigJSON
		ManualAssignmentQueueConfigs []struct{ QueueReference *queueRefJSON }
		MediaConcurrencies           []mediaConcurrencyJSON
		Tags                         map[string]string
		AgentAvailabilityTimer       *string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkName(v, "name", in.Name, true, 127)
	v.required("description", in.Description != nil)
	checkDescription(v, "description", in.Description, 1, 250)
	v.required("defaultOutboundQueueId", in.DefaultOutboundQueueId != nil)
	queues := checkQueueConfigs(v, "queueConfigs", in.QueueConfigs)
	media := checkConcurrencies(v, in.MediaConcurrencies, in.MediaConcurrencies != nil)
	if in.AgentAvailabilityTimer != nil {
		v.enum("agentAvailabilityTimer", *in.AgentAvailabilityTimer, "TIME_SINCE_LAST_ACTIVITY", "TIME_SINCE_LAST_INBOUND")
	}
	checkTags(v, in.Tags)
	if err := s.onNew(c, l[0], "routing-profile", v, in.Tags); err != nil {
		return nil, err
	}
	if in.ManualAssignmentQueueConfigs != nil {
		return nil, invalidRequestErr("ManualAssignmentQueueConfigs is not supported.")
	}
	if err := concurrencyRules(media); err != nil {
		return nil, err
	}
	rp := connectfed.RoutingProfile{Name: *in.Name, Description: *in.Description, DefaultQueueID: *in.DefaultOutboundQueueId,
		MediaConcurrencies: media, AgentAvailabilityTimer: deref(in.AgentAvailabilityTimer), Tags: in.Tags}
	if rp.AgentAvailabilityTimer == "" {
		rp.AgentAvailabilityTimer = "TIME_SINCE_LAST_ACTIVITY"
	}
	if err := mergeQueues(&rp, queues); err != nil {
		return nil, err
	}
	out, err := s.cfg.Connect.CreateRoutingProfile(c.ctx, c.scope, l[0], rp)
	if err != nil {
		return nil, err
	}
	return struct{ RoutingProfileArn, RoutingProfileId string }{s.childARN(c, l[0], "routing-profile", out.ID), out.ID}, nil
}

func (s *Server) describeRoutingProfile(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "routing-profile", "routingProfileId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	rp, err := s.cfg.Connect.GetRoutingProfile(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	users, err := s.cfg.Connect.RoutingProfileUsers(c.ctx, c.scope, l[0], rp.ID)
	if err != nil {
		return nil, err
	}
	type behavior struct{ BehaviorType string }
	type media struct {
		Channel              string
		Concurrency          int
		CrossChannelBehavior *behavior `json:",omitempty"`
	}
	out := struct {
		InstanceId, Name, RoutingProfileArn, RoutingProfileId, Description string
		MediaConcurrencies                                                 []media
		DefaultOutboundQueueId                                             string
		Tags                                                               map[string]string `json:",omitempty"`
		NumberOfAssociatedQueues                                           int64
		NumberOfAssociatedManualAssignmentQueues                           int64
		NumberOfAssociatedUsers                                            int64
		AgentAvailabilityTimer                                             string `json:",omitempty"`
		LastModifiedTime                                                   epoch
		LastModifiedRegion                                                 string
		IsDefault                                                          bool
		AssociatedQueueIds                                                 []string
		AssociatedManualAssignmentQueueIds                                 []string
	}{InstanceId: connect.ResolveInstanceID(c.scope, l[0]), Name: rp.Name, RoutingProfileArn: s.childARN(c, l[0], "routing-profile", rp.ID),
		RoutingProfileId: rp.ID, Description: rp.Description, MediaConcurrencies: []media{}, DefaultOutboundQueueId: rp.DefaultQueueID,
		Tags: rp.Tags, NumberOfAssociatedQueues: int64(len(rp.Queues)), NumberOfAssociatedUsers: int64(users),
		AgentAvailabilityTimer: rp.AgentAvailabilityTimer, LastModifiedTime: epoch(rp.LastModified), LastModifiedRegion: c.scope.Region,
		IsDefault: rp.IsDefault, AssociatedQueueIds: []string{}, AssociatedManualAssignmentQueueIds: []string{}}
	for _, m := range rp.MediaConcurrencies {
		mj := media{Channel: m.Channel, Concurrency: m.Concurrency}
		if m.CrossChannel != "" {
			mj.CrossChannelBehavior = &behavior{m.CrossChannel}
		}
		out.MediaConcurrencies = append(out.MediaConcurrencies, mj)
	}
	for _, q := range rp.Queues {
		if !slices.Contains(out.AssociatedQueueIds, q.QueueID) {
			out.AssociatedQueueIds = append(out.AssociatedQueueIds, q.QueueID)
		}
	}
	return struct{ RoutingProfile any }{out}, nil
}

func (s *Server) updateRouting(c *call, l []string, v *violations, fn func(*connectfed.RoutingProfile) error) (any, error) {
	if err := s.onChild(c, l, "routing-profile", "routingProfileId", v); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.UpdateRoutingProfile(c.ctx, c.scope, l[0], l[1], fn)
}

// updateRoutingQueues is updateRouting for the calls that name queues:
// they are authorized on the routing profile and on each queue's ARN, as
// the Service Authorization Reference lists both resource types.
func (s *Server) updateRoutingQueues(c *call, l []string, v *violations, queueIDs []string, fn func(*connectfed.RoutingProfile) error) (any, error) {
	if err := s.onChild(c, l, "routing-profile", "routingProfileId", v); err != nil {
		return nil, err
	}
	for _, q := range queueIDs {
		if err := s.authorize(c, s.childARN(c, l[0], "queue", q), instanceConditions(c, l[0])); err != nil {
			return nil, err
		}
	}
	c.target = s.childARN(c, l[0], "routing-profile", l[1])
	return nil, s.cfg.Connect.UpdateRoutingProfile(c.ctx, c.scope, l[0], l[1], fn)
}

func (s *Server) updateRoutingProfileName(c *call, l []string) (any, error) {
	var in struct{ Name, Description *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkName(v, "name", in.Name, false, 127)
	checkDescription(v, "description", in.Description, 1, 250)
	if in.Name == nil && in.Description == nil && v.err() == nil {
		if err := s.onChild(c, l, "routing-profile", "routingProfileId", v); err != nil {
			return nil, err
		}
		return nil, invalidRequestErr("Either Name or Description must be provided.")
	}
	return s.updateRouting(c, l, v, func(rp *connectfed.RoutingProfile) error {
		if in.Name != nil {
			rp.Name = *in.Name
		}
		if in.Description != nil {
			rp.Description = *in.Description
		}
		return nil
	})
}

func (s *Server) updateRoutingProfileConcurrency(c *call, l []string) (any, error) {
	var in struct{ MediaConcurrencies []mediaConcurrencyJSON }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	media := checkConcurrencies(v, in.MediaConcurrencies, in.MediaConcurrencies != nil)
	return s.updateRouting(c, l, v, func(rp *connectfed.RoutingProfile) error {
		if err := concurrencyRules(media); err != nil {
			return err
		}
		// The channels given are replaced; the others keep theirs.
		for _, m := range media {
			i := slices.IndexFunc(rp.MediaConcurrencies, func(x connectfed.MediaConcurrency) bool { return x.Channel == m.Channel })
			if i < 0 {
				rp.MediaConcurrencies = append(rp.MediaConcurrencies, m)
			} else {
				rp.MediaConcurrencies[i] = m
			}
		}
		return nil
	})
}

func (s *Server) updateRoutingProfileDefaultOutboundQueue(c *call, l []string) (any, error) {
	var in struct{ DefaultOutboundQueueId *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("defaultOutboundQueueId", in.DefaultOutboundQueueId != nil)
	return s.updateRouting(c, l, v, func(rp *connectfed.RoutingProfile) error {
		rp.DefaultQueueID = *in.DefaultOutboundQueueId
		return nil
	})
}

func (s *Server) associateRoutingProfileQueues(c *call, l []string) (any, error) {
	var in struct {
		QueueConfigs                 []queueConfigJSON
		ManualAssignmentQueueConfigs []struct{ QueueReference *queueRefJSON }
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	queues := checkQueueConfigs(v, "queueConfigs", in.QueueConfigs)
	var ids []string
	for _, q := range queues {
		ids = append(ids, q.QueueID)
	}
	return s.updateRoutingQueues(c, l, v, ids, func(rp *connectfed.RoutingProfile) error {
		if in.ManualAssignmentQueueConfigs != nil {
			return invalidRequestErr("ManualAssignmentQueueConfigs is not supported.")
		}
		if len(queues) == 0 {
			return invalidRequestErr("QueueConfigs must be provided.")
		}
		return mergeQueues(rp, queues)
	})
}

func (s *Server) disassociateRoutingProfileQueues(c *call, l []string) (any, error) {
	var in struct {
		QueueReferences                 []queueRefJSON
		ManualAssignmentQueueReferences []queueRefJSON
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	type ref struct{ id, ch string }
	var refs []ref
	for i := range in.QueueReferences {
		id, ch := checkQueueRef(v, "queueReferences.member", &in.QueueReferences[i])
		refs = append(refs, ref{id, ch})
	}
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.id)
	}
	return s.updateRoutingQueues(c, l, v, ids, func(rp *connectfed.RoutingProfile) error {
		if len(in.ManualAssignmentQueueReferences) > 0 {
			return invalidRequestErr("ManualAssignmentQueueReferences is not supported.")
		}
		for _, r := range refs {
			i := slices.IndexFunc(rp.Queues, func(q connectfed.RoutingQueueConfig) bool { return q.QueueID == r.id && q.Channel == r.ch })
			if i < 0 {
				return notFoundErr("Queue %s is not associated with the routing profile for channel %s.", r.id, r.ch)
			}
			rp.Queues = slices.Delete(rp.Queues, i, i+1)
		}
		return nil
	})
}

func (s *Server) listRoutingProfileQueues(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	limit := queryInt(c, "maxResults", 100, 1, 100, v)
	if err := s.onChild(c, l, "routing-profile", "routingProfileId", v); err != nil {
		return nil, err
	}
	rp, err := s.cfg.Connect.GetRoutingProfile(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	inst := connect.ResolveInstanceID(c.scope, l[0])
	listing := c.op + "/" + c.scope.AccountID + "/" + c.scope.Region + "/" + inst + "/" + rp.ID
	after, err := s.pager.cursor(listing, c.r.URL.Query().Get("nextToken"), connectfed.InvalidParameterException)
	if err != nil {
		return nil, err
	}
	type summary struct {
		QueueId, QueueArn, QueueName string
		Priority, Delay              int
		Channel                      string
	}
	out := struct {
		NextToken                            string `json:",omitempty"`
		RoutingProfileQueueConfigSummaryList []summary
		LastModifiedTime                     epoch
		LastModifiedRegion                   string
	}{RoutingProfileQueueConfigSummaryList: []summary{}, LastModifiedTime: epoch(rp.LastModified), LastModifiedRegion: c.scope.Region}
	key := func(q connectfed.RoutingQueueConfig) string { return q.QueueID + "/" + q.Channel }
	list := slices.Clone(rp.Queues)
	slices.SortFunc(list, func(a, b connectfed.RoutingQueueConfig) int {
		if key(a) < key(b) {
			return -1
		}
		if key(a) > key(b) {
			return 1
		}
		return 0
	})
	last := ""
	for _, q := range list {
		if after != "" && key(q) <= after {
			continue
		}
		if len(out.RoutingProfileQueueConfigSummaryList) == limit {
			out.NextToken = s.pager.token(listing, last)
			break
		}
		last = key(q)
		name := ""
		if qq, err := s.cfg.Connect.GetQueue(c.ctx, c.scope, inst, q.QueueID); err == nil {
			name = qq.Name
		}
		out.RoutingProfileQueueConfigSummaryList = append(out.RoutingProfileQueueConfigSummaryList,
			summary{q.QueueID, s.childARN(c, inst, "queue", q.QueueID), name, q.Priority, q.Delay, q.Channel})
	}
	return out, nil
}

func (s *Server) deleteRoutingProfile(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "routing-profile", "routingProfileId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.DeleteRoutingProfile(c.ctx, c.scope, l[0], l[1])
}

// --- security profiles ---

var securityProfileNameRE = regexp.MustCompile(`^[ a-zA-Z0-9_@-]+$`)

type securityProfileInput struct {
	Description              *string
	Permissions              []string
	AllowedAccessControlTags map[string]string
	TagRestrictedResources   []string
}

func checkSecurityProfileInput(v *violations, in *securityProfileInput) {
	if in.Description != nil {
		v.length("description", *in.Description, false, 0, 250)
	}
	if len(in.Permissions) > 500 {
		v.add("permissions", "", false, "Member must have length less than or equal to 500")
	}
	for _, p := range in.Permissions {
		v.length("permissions.member", p, false, 1, 128)
	}
	if len(in.AllowedAccessControlTags) > 4 {
		v.add("allowedAccessControlTags", "", false, "Member must have length less than or equal to 4")
	}
	for k, val := range in.AllowedAccessControlTags {
		v.length("allowedAccessControlTags.key", k, false, 1, 128)
		v.length("allowedAccessControlTags.value", val, false, 0, 256)
	}
	if len(in.TagRestrictedResources) > 10 {
		v.add("tagRestrictedResources", "", false, "Member must have length less than or equal to 10")
	}
	for _, r := range in.TagRestrictedResources {
		v.length("tagRestrictedResources.member", r, false, 1, 128)
	}
}

func (s *Server) createSecurityProfile(c *call, l []string) (any, error) {
	var in struct {
		SecurityProfileName *string
		securityProfileInput
		Tags map[string]string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkName(v, "securityProfileName", in.SecurityProfileName, true, 127)
	if in.SecurityProfileName != nil && *in.SecurityProfileName != "" {
		v.pattern("securityProfileName", *in.SecurityProfileName, false, securityProfileNameRE, `^[ a-zA-Z0-9_@-]+$`)
	}
	checkSecurityProfileInput(v, &in.securityProfileInput)
	checkTags(v, in.Tags)
	if err := s.onNew(c, l[0], "security-profile", v, in.Tags); err != nil {
		return nil, err
	}
	p, err := s.cfg.Connect.CreateSecurityProfile(c.ctx, c.scope, l[0], connectfed.SecurityProfile{
		Name: *in.SecurityProfileName, Description: deref(in.Description), Permissions: in.Permissions,
		AllowedAccessControlTags: in.AllowedAccessControlTags, TagRestrictedResources: in.TagRestrictedResources, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct{ SecurityProfileId, SecurityProfileArn string }{p.ID, s.childARN(c, l[0], "security-profile", p.ID)}, nil
}

func (s *Server) describeSecurityProfile(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "security-profile", "securityProfileId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	p, err := s.cfg.Connect.GetSecurityProfile(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	out := struct {
		Id, OrganizationResourceId, Arn, SecurityProfileName string
		Description                                          string            `json:",omitempty"`
		Tags                                                 map[string]string `json:",omitempty"`
		AllowedAccessControlTags                             map[string]string
		TagRestrictedResources                               []string
		LastModifiedTime                                     epoch
		LastModifiedRegion                                   string
	}{Id: p.ID, OrganizationResourceId: connect.ResolveInstanceID(c.scope, l[0]), Arn: s.childARN(c, l[0], "security-profile", p.ID),
		SecurityProfileName: p.Name, Description: p.Description, Tags: p.Tags, AllowedAccessControlTags: p.AllowedAccessControlTags,
		TagRestrictedResources: p.TagRestrictedResources, LastModifiedTime: epoch(p.LastModified), LastModifiedRegion: c.scope.Region}
	if out.AllowedAccessControlTags == nil {
		out.AllowedAccessControlTags = map[string]string{}
	}
	if out.TagRestrictedResources == nil {
		out.TagRestrictedResources = []string{}
	}
	return struct{ SecurityProfile any }{out}, nil
}

func (s *Server) updateSecurityProfile(c *call, l []string) (any, error) {
	var in securityProfileInput
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkSecurityProfileInput(v, &in)
	if err := s.onChild(c, l, "security-profile", "securityProfileId", v); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.UpdateSecurityProfile(c.ctx, c.scope, l[0], l[1], func(p *connectfed.SecurityProfile) {
		if in.Description != nil {
			p.Description = *in.Description
		}
		if in.Permissions != nil {
			p.Permissions = in.Permissions
		}
		if in.AllowedAccessControlTags != nil {
			p.AllowedAccessControlTags = in.AllowedAccessControlTags
		}
		if in.TagRestrictedResources != nil {
			p.TagRestrictedResources = in.TagRestrictedResources
		}
	})
}

func (s *Server) deleteSecurityProfile(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "security-profile", "securityProfileId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.DeleteSecurityProfile(c.ctx, c.scope, l[0], l[1])
}

func (s *Server) listSecurityProfilePermissions(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	limit := queryInt(c, "maxResults", 100, 1, 1000, v)
	if err := s.onChild(c, l, "security-profile", "securityProfileId", v); err != nil {
		return nil, err
	}
	p, err := s.cfg.Connect.GetSecurityProfile(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	listing := c.op + "/" + c.scope.AccountID + "/" + c.scope.Region + "/" + connect.ResolveInstanceID(c.scope, l[0]) + "/" + p.ID
	after, err := s.pager.cursor(listing, c.r.URL.Query().Get("nextToken"), connectfed.InvalidParameterException)
	if err != nil {
		return nil, err
	}
	perms := slices.Sorted(slices.Values(p.Permissions))
	out := struct {
		Permissions        []string
		NextToken          string `json:",omitempty"`
		LastModifiedTime   epoch
		LastModifiedRegion string
	}{Permissions: []string{}, LastModifiedTime: epoch(p.LastModified), LastModifiedRegion: c.scope.Region}
	for _, perm := range perms {
		if after != "" && perm <= after {
			continue
		}
		if len(out.Permissions) == limit {
			out.NextToken = s.pager.token(listing, out.Permissions[limit-1])
			break
		}
		out.Permissions = append(out.Permissions, perm)
	}
	return out, nil
}
