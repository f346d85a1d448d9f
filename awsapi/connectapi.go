package awsapi

import (
	"regexp"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

var connectRoutes = []restRoute{
	{"PUT", splitPattern("/instance"), "CreateInstance", (*Server).createInstance},
	{"GET", splitPattern("/instance"), "ListInstances", (*Server).listInstances},
	{"GET", splitPattern("/instance/{}"), "DescribeInstance", (*Server).describeInstance},
	{"DELETE", splitPattern("/instance/{}"), "DeleteInstance", (*Server).deleteInstance},
	{"PUT", splitPattern("/users/{}"), "CreateUser", (*Server).createUser},
	{"GET", splitPattern("/users/{}/{}"), "DescribeUser", (*Server).describeUser},
	{"DELETE", splitPattern("/users/{}/{}"), "DeleteUser", (*Server).deleteUser},
	{"GET", splitPattern("/users-summary/{}"), "ListUsers", (*Server).listUsers},
	{"POST", splitPattern("/users/{}/{}/identity-info"), "UpdateUserIdentityInfo", (*Server).updateUserIdentityInfo},
	{"POST", splitPattern("/users/{}/{}/phone-config"), "UpdateUserPhoneConfig", (*Server).updateUserPhoneConfig},
	{"POST", splitPattern("/users/{}/{}/security-profiles"), "UpdateUserSecurityProfiles", (*Server).updateUserSecurityProfiles},
	{"POST", splitPattern("/users/{}/{}/routing-profile"), "UpdateUserRoutingProfile", (*Server).updateUserRoutingProfile},
	{"GET", splitPattern("/security-profiles-summary/{}"), "ListSecurityProfiles", (*Server).listSecurityProfiles},
	{"GET", splitPattern("/routing-profiles-summary/{}"), "ListRoutingProfiles", (*Server).listRoutingProfiles},
	{"GET", splitPattern("/user/federate/{}"), "GetFederationToken", (*Server).getFederationToken},
	{"POST", splitPattern("/connectfed/token/revoke"), "RevokeFederationToken", (*Server).revokeFederationToken},
	{"GET", splitPattern("/connectfed/audit"), "ListAuditEvents", (*Server).listAuditEvents},
	{"POST", splitPattern("/connectfed/admin/faults"), "PutFault", (*Server).putFault},
	{"GET", splitPattern("/connectfed/admin/faults"), "ListFaults", (*Server).listFaults},
	{"DELETE", splitPattern("/connectfed/admin/faults"), "DeleteFaults", (*Server).deleteFaults},
	{"POST", splitPattern("/connectfed/admin/reset"), "ResetAccount", (*Server).resetAccount},
	{"POST", splitPattern("/connectfed/admin/seed"), "ApplySeed", (*Server).applySeed},
}

func (s *Server) serveConnect(c *call) {
	rt, labels, pathMatched := matchRest(connectRoutes, c.r.Method, c.r.URL.EscapedPath())
	if rt == nil {
		if pathMatched {
			s.writeError(c, protoRestJSON, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.MethodNotAllowedException,
				"The method %s is not allowed for the path %s.", c.r.Method, c.r.URL.EscapedPath()))
			return
		}
		s.writeError(c, protoRestJSON, connectfed.TypedErrorf(connectfed.ENOTFOUND, connectfed.UnknownOperationException,
			"No Amazon Connect operation matches %s %s.", c.r.Method, c.r.URL.EscapedPath()))
		return
	}
	c.op = rt.op
	if err := s.gate(c); err != nil {
		s.writeError(c, protoRestJSON, err)
		return
	}
	out, err := rt.handle(s, c, labels)
	if err != nil {
		s.writeError(c, protoRestJSON, err)
		return
	}
	writeRestJSON(c, out)
}

// authorize checks connect:<op> on resource for the caller.
func (s *Server) authorize(c *call, resource string, conditions map[string][]string) error {
	c.target = resource
	conditions = s.withResourceTags(c, resource, conditions)
	return s.cfg.Identity.Authorize(c.ctx, c.principal, "connect:"+c.op, resource, conditions)
}

// instanceARN is the ARN a call on an instance is authorized on: the ARN
// the caller gave, or the ARN of the id in the caller's account and region.
func (s *Server) instanceARN(c *call, instanceID string) string {
	return connect.InstanceARN(c.scope, instanceID)
}

func instanceConditions(c *call, instanceID string) map[string][]string {
	return map[string][]string{"connect:InstanceId": {connect.ResolveInstanceID(c.scope, instanceID)}}
}

var (
	aliasRE       = regexp.MustCompile(`^([0-9a-zA-Z]+)(-*[0-9a-zA-Z])*$`)
	directoryIDRE = regexp.MustCompile(`^d-[0-9a-f]{10}$`)
	phoneRE       = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	tagKeyRE      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

func checkInstanceID(v *violations, id string) {
	v.length("instanceId", id, false, 1, 100)
	v.utf8("instanceId", id)
}

func checkTags(v *violations, tags map[string]string) {
	if tags == nil {
		return
	}
	if len(tags) < 1 || len(tags) > 50 {
		v.add("tags", "", true, "Member must have between 1 and 50 entries")
	}
	for k, val := range tags {
		v.length("tags.key", k, false, 1, 128)
		if !tagKeyRE.MatchString(k) || len(k) >= 4 && k[:4] == "aws:" {
			v.add("tags.key", k, false, `Member must satisfy regular expression pattern: ^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
		}
		v.length("tags.value", val, false, 0, 256)
	}
}

// --- instances ---

type instanceJSON struct {
	Id                     string            `json:"Id"`
	Arn                    string            `json:"Arn"`
	IdentityManagementType string            `json:"IdentityManagementType"`
	InstanceAlias          string            `json:"InstanceAlias,omitempty"`
	CreatedTime            epoch             `json:"CreatedTime"`
	ServiceRole            string            `json:"ServiceRole"`
	InstanceStatus         string            `json:"InstanceStatus"`
	InboundCallsEnabled    bool              `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   bool              `json:"OutboundCallsEnabled"`
	InstanceAccessUrl      string            `json:"InstanceAccessUrl"`
	Tags                   map[string]string `json:"Tags,omitempty"`
}

func toInstanceJSON(i *connectfed.Instance, withTags bool) instanceJSON {
	out := instanceJSON{
		Id:                     i.ID,
		Arn:                    i.ARN(),
		IdentityManagementType: i.IdentityManagementType,
		InstanceAlias:          i.Alias,
		CreatedTime:            epoch(i.Created),
		ServiceRole:            "arn:aws:iam::" + i.AccountID + ":role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_" + i.ID[:8],
		InstanceStatus:         i.Status,
		InboundCallsEnabled:    i.InboundCallsEnabled,
		OutboundCallsEnabled:   i.OutboundCallsEnabled,
		InstanceAccessUrl:      "https://" + i.Alias + ".my.connect.aws",
	}
	if withTags {
		out.Tags = i.Tags
	}
	return out
}

func (s *Server) createInstance(c *call, _ []string) (any, error) {
	var in struct {
		ClientToken            *string
		IdentityManagementType *string
		InstanceAlias          *string
		DirectoryId            *string
		InboundCallsEnabled    *bool
		OutboundCallsEnabled   *bool
		Tags                   map[string]string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	if err := s.authorize(c, "*", withRequestTags(nil, in.Tags)); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidRequestException}
	v.required("identityManagementType", in.IdentityManagementType != nil)
	v.required("inboundCallsEnabled", in.InboundCallsEnabled != nil)
	v.required("outboundCallsEnabled", in.OutboundCallsEnabled != nil)
	if in.IdentityManagementType != nil {
		v.enum("identityManagementType", *in.IdentityManagementType, connectfed.IdentitySAML, connectfed.IdentityConnectManaged, connectfed.IdentityExistingDirectory)
	}
	if in.InstanceAlias != nil {
		v.length("instanceAlias", *in.InstanceAlias, true, 1, 45)
		if !aliasRE.MatchString(*in.InstanceAlias) || len(*in.InstanceAlias) >= 2 && (*in.InstanceAlias)[:2] == "d-" {
			v.add("instanceAlias", "", true, `Member must satisfy regular expression pattern: ^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$`)
		}
	}
	if in.DirectoryId != nil {
		v.pattern("directoryId", *in.DirectoryId, false, directoryIDRE, `^d-[0-9a-f]{10}$`)
	}
	if in.ClientToken != nil {
		v.length("clientToken", *in.ClientToken, false, 0, 500)
	}
	checkTags(v, in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	imt := *in.IdentityManagementType
	switch {
	case imt == connectfed.IdentityExistingDirectory && in.DirectoryId == nil:
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "DirectoryId is required when IdentityManagementType is EXISTING_DIRECTORY.")
	case imt != connectfed.IdentityExistingDirectory && in.DirectoryId != nil:
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "DirectoryId is only allowed when IdentityManagementType is EXISTING_DIRECTORY.")
	case imt != connectfed.IdentityExistingDirectory && in.InstanceAlias == nil:
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "InstanceAlias is required when IdentityManagementType is %s.", imt)
	}
	inst, err := s.cfg.Connect.CreateInstance(c.ctx, c.scope, connect.CreateInstanceInput{
		Alias:                  deref(in.InstanceAlias),
		IdentityManagementType: imt,
		DirectoryID:            deref(in.DirectoryId),
		InboundCallsEnabled:    *in.InboundCallsEnabled,
		OutboundCallsEnabled:   *in.OutboundCallsEnabled,
		Tags:                   in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct{ Id, Arn string }{inst.ID, inst.ARN()}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) describeInstance(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidRequestException}
	checkInstanceID(v, l[0])
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0]), instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	inst, err := s.cfg.Connect.GetInstance(c.ctx, c.scope, l[0])
	if err != nil {
		return nil, err
	}
	return struct{ Instance instanceJSON }{toInstanceJSON(inst, true)}, nil
}

func (s *Server) listInstances(c *call, _ []string) (any, error) {
	v := &violations{errType: connectfed.InvalidRequestException}
	limit := queryInt(c, "maxResults", 10, 1, 10, v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, "*", nil); err != nil {
		return nil, err
	}
	listing := "ListInstances/" + c.scope.AccountID + "/" + c.scope.Region
	after, err := s.pager.cursor(listing, c.r.URL.Query().Get("nextToken"), connectfed.InvalidRequestException)
	if err != nil {
		return nil, err
	}
	list, last, err := s.cfg.Connect.ListInstances(c.ctx, c.scope, after, limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		InstanceSummaryList []instanceJSON
		NextToken           string `json:",omitempty"`
	}{InstanceSummaryList: make([]instanceJSON, 0, len(list)), NextToken: s.pager.token(listing, last)}
	for i := range list {
		out.InstanceSummaryList = append(out.InstanceSummaryList, toInstanceJSON(&list[i], false))
	}
	return out, nil
}

func (s *Server) deleteInstance(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidRequestException}
	checkInstanceID(v, l[0])
	if ct := c.r.URL.Query().Get("clientToken"); len(ct) > 500 {
		v.length("clientToken", ct, false, 0, 500)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0]), instanceConditions(c, l[0])); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Connect.DeleteInstance(c.ctx, c.scope, l[0]); err != nil {
		return nil, err
	}
	return nil, nil
}

// --- profiles ---

type profileSummaryJSON struct {
	Id                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Name               string `json:"Name"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func (s *Server) listSecurityProfiles(c *call, l []string) (any, error) {
	inst, after, limit, listing, err := s.listArgs(c, l[0])
	if err != nil {
		return nil, err
	}
	list, last, err := s.cfg.Connect.ListSecurityProfiles(c.ctx, c.scope, inst, after, limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		SecurityProfileSummaryList []profileSummaryJSON
		NextToken                  string `json:",omitempty"`
	}{SecurityProfileSummaryList: make([]profileSummaryJSON, 0, len(list)), NextToken: s.pager.token(listing, last)}
	for _, p := range list {
		out.SecurityProfileSummaryList = append(out.SecurityProfileSummaryList, profileSummaryJSON{
			Id: p.ID, Arn: s.instanceARN(c, inst) + "/security-profile/" + p.ID, Name: p.Name,
			LastModifiedTime: epoch(p.LastModified), LastModifiedRegion: c.scope.Region,
		})
	}
	return out, nil
}

func (s *Server) listRoutingProfiles(c *call, l []string) (any, error) {
	inst, after, limit, listing, err := s.listArgs(c, l[0])
	if err != nil {
		return nil, err
	}
	list, last, err := s.cfg.Connect.ListRoutingProfiles(c.ctx, c.scope, inst, after, limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		RoutingProfileSummaryList []profileSummaryJSON
		NextToken                 string `json:",omitempty"`
	}{RoutingProfileSummaryList: make([]profileSummaryJSON, 0, len(list)), NextToken: s.pager.token(listing, last)}
	for _, p := range list {
		out.RoutingProfileSummaryList = append(out.RoutingProfileSummaryList, profileSummaryJSON{
			Id: p.ID, Arn: s.instanceARN(c, inst) + "/routing-profile/" + p.ID, Name: p.Name,
			LastModifiedTime: epoch(p.LastModified), LastModifiedRegion: c.scope.Region,
		})
	}
	return out, nil
}

// listArgs validates and authorizes a per-instance listing and returns the
// instance id, the cursor, the page size and the listing's MAC scope.
func (s *Server) listArgs(c *call, instanceID string) (string, string, int, string, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, instanceID)
	limit := queryInt(c, "maxResults", 100, 1, 1000, v)
	if err := v.err(); err != nil {
		return "", "", 0, "", err
	}
	if err := s.authorize(c, s.instanceARN(c, instanceID), instanceConditions(c, instanceID)); err != nil {
		return "", "", 0, "", err
	}
	id := connect.ResolveInstanceID(c.scope, instanceID)
	listing := c.op + "/" + c.scope.AccountID + "/" + c.scope.Region + "/" + id
	after, err := s.pager.cursor(listing, c.r.URL.Query().Get("nextToken"), connectfed.InvalidRequestException)
	return id, after, limit, listing, err
}
