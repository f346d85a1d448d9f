package awsapi

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
)

// Managed policies: customer managed policies with versions, the built-in
// AWS managed ones, and their attachment to users and roles.

var versionIDRE = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)

type policyXML struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    string
	UpdateDate                    string
}

func toPolicyXML(p *identity.ManagedPolicy, withDescription bool) policyXML {
	out := policyXML{PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN(), Path: p.Path, DefaultVersionId: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, IsAttachable: true, CreateDate: isoTime(p.Created), UpdateDate: isoTime(p.Updated)}
	if withDescription {
		out.Description = p.Description
	}
	return out
}

type policyVersionXML struct {
	Document         string `xml:",omitempty"`
	VersionId        string
	IsDefaultVersion bool
	CreateDate       string
}

// policyARNParam reads PolicyArn; one that is not a policy ARN is
// InvalidInput, as in IAM.
func policyARNParam(v *violations, p url.Values) string {
	arn := p.Get("PolicyArn")
	v.required("policyArn", p.Has("PolicyArn"))
	v.length("policyArn", arn, false, 20, 2048)
	return arn
}

func checkPolicyARN(arn string) error {
	if _, _, _, ok := identity.ParsePolicyARN(arn); !ok {
		return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidInput, "ARN %s is not valid.", arn)
	}
	return nil
}

func versionIDParam(v *violations, p url.Values) string {
	id := p.Get("VersionId")
	v.required("versionId", p.Has("VersionId"))
	if id != "" {
		v.pattern("versionId", id, false, versionIDRE, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return id
}

// policyCall validates PolicyArn (and VersionId when version) and
// authorizes iam:<op> on the policy.
func (s *Server) policyCall(c *call, p url.Values, version bool) (arn, versionID string, err error) {
	arn, err = s.policyCallWith(c, p, func(v *violations) {
		if version {
			versionID = versionIDParam(v, p)
		}
	})
	return arn, versionID, err
}

// policyCallWith is policyCall with more parameters, which more validates.
func (s *Server) policyCallWith(c *call, p url.Values, more func(v *violations)) (arn string, err error) {
	v := iamValidation()
	arn = policyARNParam(v, p)
	more(v)
	if err := v.err(); err != nil {
		return "", err
	}
	if err := checkPolicyARN(arn); err != nil {
		return "", err
	}
	return arn, s.iamAuthorize(c, arn)
}

func (s *Server) iamCreatePolicy(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := p.Get("PolicyName")
	v.required("policyName", p.Has("PolicyName"))
	checkIAMName(v, "policyName", name, 128)
	path := pathParam(v, p)
	doc := checkPolicyDocument(v, "policyDocument", p, "PolicyDocument")
	desc := p.Get("Description")
	v.length("description", desc, false, 0, 1000)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.iamAuthorize(c, "arn:aws:iam::"+c.principal.AccountID+":policy"+path+name); err != nil {
		return nil, err
	}
	pol, err := s.cfg.Identity.CreatePolicy(c.ctx, c.principal.AccountID, name, path, desc, doc)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name `xml:"CreatePolicyResult"`
		Policy  policyXML
	}{Policy: toPolicyXML(pol, true)}), nil
}

func (s *Server) iamGetPolicy(c *call, p url.Values) (any, error) {
	arn, _, err := s.policyCall(c, p, false)
	if err != nil {
		return nil, err
	}
	pol, err := s.cfg.Identity.GetPolicy(c.ctx, c.principal.AccountID, arn)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name `xml:"GetPolicyResult"`
		Policy  policyXML
	}{Policy: toPolicyXML(pol, true)}), nil
}

func (s *Server) iamDeletePolicy(c *call, p url.Values) (any, error) {
	arn, _, err := s.policyCall(c, p, false)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.DeleteManagedPolicy(c.ctx, c.principal.AccountID, arn); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamCreatePolicyVersion(c *call, p url.Values) (any, error) {
	v := iamValidation()
	arn := policyARNParam(v, p)
	doc := checkPolicyDocument(v, "policyDocument", p, "PolicyDocument")
	setDefault := false
	if p.Has("SetAsDefault") {
		b, err := strconv.ParseBool(p.Get("SetAsDefault"))
		if err != nil {
			v.add("setAsDefault", p.Get("SetAsDefault"), false, "Member must be a boolean")
		}
		setDefault = b
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkPolicyARN(arn); err != nil {
		return nil, err
	}
	if err := s.iamAuthorize(c, arn); err != nil {
		return nil, err
	}
	ver, err := s.cfg.Identity.CreatePolicyVersion(c.ctx, c.principal.AccountID, arn, doc, setDefault)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName       xml.Name `xml:"CreatePolicyVersionResult"`
		PolicyVersion policyVersionXML
	}{PolicyVersion: policyVersionXML{VersionId: ver.ID, IsDefaultVersion: setDefault, CreateDate: isoTime(ver.Created)}}), nil
}

func (s *Server) iamGetPolicyVersion(c *call, p url.Values) (any, error) {
	arn, id, err := s.policyCall(c, p, true)
	if err != nil {
		return nil, err
	}
	pol, err := s.cfg.Identity.GetPolicy(c.ctx, c.principal.AccountID, arn)
	if err != nil {
		return nil, err
	}
	ver := pol.Version(id)
	if ver == nil {
		return nil, connectfed.TypedErrorf(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, id)
	}
	return respond(c, struct {
		XMLName       xml.Name `xml:"GetPolicyVersionResult"`
		PolicyVersion policyVersionXML
	}{PolicyVersion: policyVersionXML{Document: encodePolicy(ver.Document), VersionId: ver.ID, IsDefaultVersion: ver.ID == pol.DefaultVersion, CreateDate: isoTime(ver.Created)}}), nil
}

func (s *Server) iamListPolicyVersions(c *call, p url.Values) (any, error) {
	var maxItems int
	var marker string
	arn, err := s.policyCallWith(c, p, func(v *violations) { maxItems, marker = iamPage(v, p) })
	if err != nil {
		return nil, err
	}
	pol, err := s.cfg.Identity.GetPolicy(c.ctx, c.principal.AccountID, arn)
	if err != nil {
		return nil, err
	}
	// Newest first, as IAM lists them.
	vers := append([]identity.PolicyVersion(nil), pol.Versions...)
	sort.SliceStable(vers, func(i, j int) bool { return versionNumber(vers[i].ID) > versionNumber(vers[j].ID) })
	keys := make([]string, len(vers))
	for i := range vers {
		keys[i] = fmt.Sprintf("%010d", 1<<30-versionNumber(vers[i].ID))
	}
	start, end, next, err := s.pageOf(c, arn, keys, maxItems, marker)
	if err != nil {
		return nil, err
	}
	members := make([]policyVersionXML, 0, end-start)
	for _, ver := range vers[start:end] {
		members = append(members, policyVersionXML{VersionId: ver.ID, IsDefaultVersion: ver.ID == pol.DefaultVersion, CreateDate: isoTime(ver.Created)})
	}
	return respond(c, struct {
		XMLName  xml.Name           `xml:"ListPolicyVersionsResult"`
		Versions []policyVersionXML `xml:"Versions>member"`
		listPage
	}{Versions: members, listPage: page(next)}), nil
}

func versionNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(id, ".", 2)[0], "v"))
	return n
}

func (s *Server) iamDeletePolicyVersion(c *call, p url.Values) (any, error) {
	arn, id, err := s.policyCall(c, p, true)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.DeletePolicyVersion(c.ctx, c.principal.AccountID, arn, id); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamSetDefaultPolicyVersion(c *call, p url.Values) (any, error) {
	arn, id, err := s.policyCall(c, p, true)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.SetDefaultPolicyVersion(c.ctx, c.principal.AccountID, arn, id); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamListPolicies(c *call, p url.Values) (any, error) {
	v := iamValidation()
	scope := identity.ScopeAll
	if p.Has("Scope") {
		v.enum("scope", p.Get("Scope"), "All", "AWS", "Local")
		scope = identity.PolicyScope(p.Get("Scope"))
	}
	onlyAttached := false
	if p.Has("OnlyAttached") {
		b, err := strconv.ParseBool(p.Get("OnlyAttached"))
		if err != nil {
			v.add("onlyAttached", p.Get("OnlyAttached"), false, "Member must be a boolean")
		}
		onlyAttached = b
	}
	usage := p.Get("PolicyUsageFilter")
	if p.Has("PolicyUsageFilter") {
		v.enum("policyUsageFilter", usage, "PermissionsPolicy", "PermissionsBoundary")
	}
	prefix := pathPrefixParam(v, p)
	maxItems, marker := iamPage(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.iamAuthorize(c, "*"); err != nil {
		return nil, err
	}
	pols, err := s.cfg.Identity.ListPolicies(c.ctx, c.principal.AccountID, scope, prefix, onlyAttached)
	if err != nil {
		return nil, err
	}
	if usage == "PermissionsBoundary" && onlyAttached {
		pols = nil // connectfed has no permissions boundaries
	}
	// AWS's first, then the account's, each in name order.
	key := func(p *identity.ManagedPolicy) string {
		if p.IsAWSManaged() {
			return "0" + identity.FoldName(p.Name)
		}
		return "1" + identity.FoldName(p.Name)
	}
	sort.Slice(pols, func(i, j int) bool { return key(&pols[i]) < key(&pols[j]) })
	keys := make([]string, len(pols))
	for i := range pols {
		keys[i] = key(&pols[i])
	}
	start, end, next, err := s.pageOf(c, string(scope)+"\x00"+prefix, keys, maxItems, marker)
	if err != nil {
		return nil, err
	}
	members := make([]policyXML, 0, end-start)
	for i := start; i < end; i++ {
		members = append(members, toPolicyXML(&pols[i], false))
	}
	return respond(c, struct {
		XMLName  xml.Name    `xml:"ListPoliciesResult"`
		Policies []policyXML `xml:"Policies>member"`
		listPage
	}{Policies: members, listPage: page(next)}), nil
}

// attachCall validates and authorizes Attach/Detach{User,Role}Policy: on
// the user or role, with iam:PolicyARN.
func (s *Server) attachCall(c *call, p url.Values, owner string, attach bool) (any, error) {
	v := iamValidation()
	ownerName := ownerParam(v, p, owner)
	arn := policyARNParam(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkPolicyARN(arn); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, owner, ownerName, map[string][]string{"iam:PolicyARN": {arn}}); err != nil {
		return nil, err
	}
	var err error
	if attach {
		err = s.cfg.Identity.AttachPolicy(c.ctx, c.principal.AccountID, owner, ownerName, arn)
	} else {
		err = s.cfg.Identity.DetachPolicy(c.ctx, c.principal.AccountID, owner, ownerName, arn)
	}
	if err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamAttachRolePolicy(c *call, p url.Values) (any, error) {
	return s.attachCall(c, p, "role", true)
}
func (s *Server) iamDetachRolePolicy(c *call, p url.Values) (any, error) {
	return s.attachCall(c, p, "role", false)
}
func (s *Server) iamAttachUserPolicy(c *call, p url.Values) (any, error) {
	return s.attachCall(c, p, "user", true)
}
func (s *Server) iamDetachUserPolicy(c *call, p url.Values) (any, error) {
	return s.attachCall(c, p, "user", false)
}

type attachedPolicyXML struct {
	PolicyName string
	PolicyArn  string
}

func (s *Server) listAttached(c *call, p url.Values, owner string) (any, error) {
	v := iamValidation()
	ownerName := ownerParam(v, p, owner)
	prefix := pathPrefixParam(v, p)
	maxItems, marker := iamPage(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, owner, ownerName); err != nil {
		return nil, err
	}
	pols, err := s.cfg.Identity.AttachedPolicies(c.ctx, c.principal.AccountID, owner, ownerName, prefix)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(pols))
	for i := range pols {
		keys[i] = pols[i].ARN
	}
	start, end, next, err := s.pageOf(c, owner+"\x00"+identity.FoldName(ownerName)+"\x00"+prefix, keys, maxItems, marker)
	if err != nil {
		return nil, err
	}
	members := make([]attachedPolicyXML, 0, end-start)
	for _, ap := range pols[start:end] {
		members = append(members, attachedPolicyXML{PolicyName: ap.Name, PolicyArn: ap.ARN})
	}
	return respond(c, struct {
		XMLName          xml.Name
		AttachedPolicies []attachedPolicyXML `xml:"AttachedPolicies>member"`
		listPage
	}{XMLName: xml.Name{Local: c.op + "Result"}, AttachedPolicies: members, listPage: page(next)}), nil
}

func (s *Server) iamListAttachedRolePolicies(c *call, p url.Values) (any, error) {
	return s.listAttached(c, p, "role")
}
func (s *Server) iamListAttachedUserPolicies(c *call, p url.Values) (any, error) {
	return s.listAttached(c, p, "user")
}

func (s *Server) iamListEntitiesForPolicy(c *call, p url.Values) (any, error) {
	filter := p.Get("EntityFilter")
	var prefix, marker string
	var maxItems int
	arn, err := s.policyCallWith(c, p, func(v *violations) {
		if p.Has("EntityFilter") {
			v.enum("entityFilter", filter, "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
		}
		if p.Has("PolicyUsageFilter") {
			v.enum("policyUsageFilter", p.Get("PolicyUsageFilter"), "PermissionsPolicy", "PermissionsBoundary")
		}
		prefix = pathPrefixParam(v, p)
		maxItems, marker = iamPage(v, p)
	})
	if err != nil {
		return nil, err
	}
	all, err := s.cfg.Identity.PolicyEntities(c.ctx, c.principal.AccountID, arn)
	if err != nil {
		return nil, err
	}
	var ents []identity.PolicyEntity
	for _, e := range all {
		if !strings.HasPrefix(e.Path, prefix) || p.Get("PolicyUsageFilter") == "PermissionsBoundary" {
			continue
		}
		switch filter {
		case "", "User", "Role", "Group":
			if filter == "" || strings.EqualFold(filter, e.Kind) {
				ents = append(ents, e)
			}
		}
	}
	keys := make([]string, len(ents))
	for i, e := range ents {
		keys[i] = e.Kind + "/" + identity.FoldName(e.Name)
	}
	start, end, next, err := s.pageOf(c, arn+"\x00"+filter+"\x00"+prefix, keys, maxItems, marker)
	if err != nil {
		return nil, err
	}
	type groupXML struct{ GroupName, GroupId string }
	type userXML struct{ UserName, UserId string }
	type roleXML struct{ RoleName, RoleId string }
	out := struct {
		XMLName      xml.Name   `xml:"ListEntitiesForPolicyResult"`
		PolicyGroups []groupXML `xml:"PolicyGroups>member"`
		PolicyUsers  []userXML  `xml:"PolicyUsers>member"`
		PolicyRoles  []roleXML  `xml:"PolicyRoles>member"`
		listPage
	}{PolicyGroups: []groupXML{}, PolicyUsers: []userXML{}, PolicyRoles: []roleXML{}, listPage: page(next)}
	for _, e := range ents[start:end] {
		switch e.Kind {
		case "user":
			out.PolicyUsers = append(out.PolicyUsers, userXML{e.Name, e.ID})
		case "role":
			out.PolicyRoles = append(out.PolicyRoles, roleXML{e.Name, e.ID})
		case "group":
			out.PolicyGroups = append(out.PolicyGroups, groupXML{e.Name, e.ID})
		}
	}
	return respond(c, out), nil
}
