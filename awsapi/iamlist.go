package awsapi

import (
	"context"
	"encoding/xml"
	"net/url"
	"regexp"
	"sort"
	"strconv"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
)

// IAM's listings and the reads and updates of users, roles and inline
// policies that provisioning tools make after every write.

var pathPrefixRE = regexp.MustCompile(`^\x2F[\x21-\x7F]*$`)

// iamPage reads MaxItems (1–1000, default 100) and Marker, as every IAM
// listing takes them.
func iamPage(v *violations, p url.Values) (maxItems int, marker string) {
	maxItems = 100
	if p.Has("MaxItems") {
		n, err := strconv.Atoi(p.Get("MaxItems"))
		if err != nil || n < 1 || n > 1000 {
			v.add("maxItems", p.Get("MaxItems"), false, "Member must have value between 1 and 1000")
		}
		maxItems = n
	}
	marker = p.Get("Marker")
	if p.Has("Marker") {
		v.length("marker", marker, false, 1, 320)
	}
	return maxItems, marker
}

// pathPrefixParam reads PathPrefix ("/" when absent).
func pathPrefixParam(v *violations, p url.Values) string {
	if !p.Has("PathPrefix") {
		return "/"
	}
	pp := p.Get("PathPrefix")
	v.length("pathPrefix", pp, false, 1, 512)
	if pp != "" {
		v.pattern("pathPrefix", pp, false, pathPrefixRE, `\u002F[\u0021-\u007F]*`)
	}
	return pp
}

// pageOf cuts one page out of a listing whose items have the sorted keys:
// the items after the marker's key, at most maxItems of them. It returns
// the range and the marker of the next page ("" at the end). A marker from
// another listing is InvalidInput.
func (s *Server) pageOf(c *call, listing string, keys []string, maxItems int, marker string) (start, end int, next string, err error) {
	listing = c.op + "\x00" + c.principal.AccountID + "\x00" + listing
	if marker != "" {
		last, err := s.pager.cursor(listing, marker, connectfed.InvalidInput)
		if err != nil {
			return 0, 0, "", connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidInput, "Invalid Marker.")
		}
		start = sort.SearchStrings(keys, last)
		if start < len(keys) && keys[start] == last {
			start++
		}
	}
	end = min(start+maxItems, len(keys))
	if end < len(keys) {
		next = s.pager.token(listing, keys[end-1])
	}
	return start, end, next, nil
}

type listPage struct {
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func page(next string) listPage { return listPage{IsTruncated: next != "", Marker: next} }

func (s *Server) iamListUsers(c *call, p url.Values) (any, error) {
	users, next, err := listEntities(s, c, p, s.cfg.Identity.ListUsers, func(u *identity.User) string { return u.Name })
	if err != nil {
		return nil, err
	}
	members := make([]iamUserXML, 0, len(users))
	for i := range users {
		members = append(members, userXML(&users[i]))
	}
	return respond(c, struct {
		XMLName xml.Name     `xml:"ListUsersResult"`
		Users   []iamUserXML `xml:"Users>member"`
		listPage
	}{Users: members, listPage: page(next)}), nil
}

func (s *Server) iamListRoles(c *call, p url.Values) (any, error) {
	roles, next, err := listEntities(s, c, p, s.cfg.Identity.ListRoles, func(r *identity.Role) string { return r.Name })
	if err != nil {
		return nil, err
	}
	members := make([]roleXML, 0, len(roles))
	for i := range roles {
		members = append(members, toRoleXML(&roles[i]))
	}
	return respond(c, struct {
		XMLName xml.Name  `xml:"ListRolesResult"`
		Roles   []roleXML `xml:"Roles>member"`
		listPage
	}{Roles: members, listPage: page(next)}), nil
}

// listEntities serves a listing of users or roles by PathPrefix, authorized
// on "*": one page of them and the next page's marker.
func listEntities[T any](s *Server, c *call, p url.Values, list func(ctx context.Context, accountID, pathPrefix string) ([]T, error), name func(*T) string) ([]T, string, error) {
	v := iamValidation()
	prefix := pathPrefixParam(v, p)
	maxItems, marker := iamPage(v, p)
	if err := v.err(); err != nil {
		return nil, "", err
	}
	if err := s.iamAuthorize(c, "*"); err != nil {
		return nil, "", err
	}
	all, err := list(c.ctx, c.principal.AccountID, prefix)
	if err != nil {
		return nil, "", err
	}
	keys := make([]string, len(all))
	for i := range all {
		keys[i] = identity.FoldName(name(&all[i]))
	}
	start, end, next, err := s.pageOf(c, prefix, keys, maxItems, marker)
	if err != nil {
		return nil, "", err
	}
	return all[start:end], next, nil
}

// ownerParam reads the UserName, RoleName or GroupName of a policy
// operation.
func ownerParam(v *violations, p url.Values, owner string) string {
	param, member := "UserName", "userName"
	switch owner {
	case "role":
		param, member = "RoleName", "roleName"
	case "group":
		param, member = "GroupName", "groupName"
	}
	name := p.Get(param)
	v.required(member, p.Has(param))
	checkIAMName(v, member, name, 128)
	return name
}

func (s *Server) getInlinePolicy(c *call, p url.Values, owner string) (any, error) {
	v := iamValidation()
	ownerName := ownerParam(v, p, owner)
	policyName := p.Get("PolicyName")
	v.required("policyName", p.Has("PolicyName"))
	checkIAMName(v, "policyName", policyName, 128)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, owner, ownerName); err != nil {
		return nil, err
	}
	doc, err := s.cfg.Identity.GetInlinePolicy(c.ctx, c.principal.AccountID, owner, ownerName, policyName)
	if err != nil {
		return nil, err
	}
	if owner == "user" {
		return respond(c, struct {
			XMLName        xml.Name `xml:"GetUserPolicyResult"`
			UserName       string
			PolicyName     string
			PolicyDocument string
		}{UserName: ownerName, PolicyName: policyName, PolicyDocument: encodePolicy(doc)}), nil
	}
	if owner == "group" {
		return respond(c, struct {
			XMLName        xml.Name `xml:"GetGroupPolicyResult"`
			GroupName      string
			PolicyName     string
			PolicyDocument string
		}{GroupName: ownerName, PolicyName: policyName, PolicyDocument: encodePolicy(doc)}), nil
	}
	return respond(c, struct {
		XMLName        xml.Name `xml:"GetRolePolicyResult"`
		RoleName       string
		PolicyName     string
		PolicyDocument string
	}{RoleName: ownerName, PolicyName: policyName, PolicyDocument: encodePolicy(doc)}), nil
}

func (s *Server) listInlinePolicies(c *call, p url.Values, owner string) (any, error) {
	v := iamValidation()
	ownerName := ownerParam(v, p, owner)
	maxItems, marker := iamPage(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, owner, ownerName); err != nil {
		return nil, err
	}
	names, err := s.cfg.Identity.ListInlinePolicies(c.ctx, c.principal.AccountID, owner, ownerName)
	if err != nil {
		return nil, err
	}
	start, end, next, err := s.pageOf(c, identity.FoldName(ownerName), names, maxItems, marker)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName     xml.Name
		PolicyNames []string `xml:"PolicyNames>member"`
		listPage
	}{XMLName: xml.Name{Local: c.op + "Result"}, PolicyNames: append([]string{}, names[start:end]...), listPage: page(next)}), nil
}

func (s *Server) iamGetUserPolicy(c *call, p url.Values) (any, error) {
	return s.getInlinePolicy(c, p, "user")
}
func (s *Server) iamGetRolePolicy(c *call, p url.Values) (any, error) {
	return s.getInlinePolicy(c, p, "role")
}
func (s *Server) iamListUserPolicies(c *call, p url.Values) (any, error) {
	return s.listInlinePolicies(c, p, "user")
}
func (s *Server) iamListRolePolicies(c *call, p url.Values) (any, error) {
	return s.listInlinePolicies(c, p, "role")
}

func (s *Server) iamUpdateAssumeRolePolicy(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := p.Get("RoleName")
	v.required("roleName", p.Has("RoleName"))
	checkIAMName(v, "roleName", name, 64)
	doc := checkPolicyDocument(v, "policyDocument", p, "PolicyDocument")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, "role", name); err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.UpdateTrustPolicy(c.ctx, c.principal.AccountID, name, doc); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamUpdateRole(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := p.Get("RoleName")
	v.required("roleName", p.Has("RoleName"))
	checkIAMName(v, "roleName", name, 64)
	var desc *string
	if p.Has("Description") {
		d := p.Get("Description")
		v.length("description", d, false, 0, 1000)
		desc = &d
	}
	var maxSession *int
	if p.Has("MaxSessionDuration") {
		n, err := strconv.Atoi(p.Get("MaxSessionDuration"))
		if err != nil || n < 3600 || n > 43200 {
			v.add("maxSessionDuration", p.Get("MaxSessionDuration"), false, "Member must have value between 3600 and 43200")
		}
		maxSession = &n
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, "role", name); err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.UpdateRole(c.ctx, c.principal.AccountID, name, desc, maxSession); err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name `xml:"UpdateRoleResult"`
	}{}), nil
}
