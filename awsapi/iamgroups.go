package awsapi

import (
	"encoding/xml"
	"net/url"

	"github.com/connectfed/connectfed/identity"
)

// IAM groups: membership, and a group's inline and attached policies
// (evaluated for its members).

type groupXML struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate string
}

func toGroupXML(g *identity.Group) groupXML {
	return groupXML{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: g.ARN(), CreateDate: isoTime(g.Created)}
}

func (s *Server) iamCreateGroup(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := ownerParam(v, p, "group")
	path := pathParam(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.iamAuthorize(c, s.iamARN(c, "group", path, name)); err != nil {
		return nil, err
	}
	g, err := s.cfg.Identity.CreateGroup(c.ctx, c.principal.AccountID, name, path)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name `xml:"CreateGroupResult"`
		Group   groupXML
	}{Group: toGroupXML(g)}), nil
}

// groupCall validates GroupName (and more) and authorizes iam:<op> on
// the group.
func (s *Server) groupCall(c *call, p url.Values, more func(v *violations)) (string, error) {
	v := iamValidation()
	name := ownerParam(v, p, "group")
	if more != nil {
		more(v)
	}
	if err := v.err(); err != nil {
		return "", err
	}
	return name, s.authorizeEntity(c, "group", name)
}

func (s *Server) iamGetGroup(c *call, p url.Values) (any, error) {
	var maxItems int
	var marker string
	name, err := s.groupCall(c, p, func(v *violations) { maxItems, marker = iamPage(v, p) })
	if err != nil {
		return nil, err
	}
	g, users, err := s.cfg.Identity.GetGroup(c.ctx, c.principal.AccountID, name)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(users))
	for i := range users {
		keys[i] = identity.FoldName(users[i].Name)
	}
	start, end, next, err := s.pageOf(c, identity.FoldName(name), keys, maxItems, marker)
	if err != nil {
		return nil, err
	}
	members := make([]iamUserXML, 0, end-start)
	for i := start; i < end; i++ {
		members = append(members, userXML(&users[i]))
	}
	return respond(c, struct {
		XMLName xml.Name `xml:"GetGroupResult"`
		Group   groupXML
		Users   []iamUserXML `xml:"Users>member"`
		listPage
	}{Group: toGroupXML(g), Users: members, listPage: page(next)}), nil
}

func (s *Server) iamDeleteGroup(c *call, p url.Values) (any, error) {
	name, err := s.groupCall(c, p, nil)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.DeleteGroup(c.ctx, c.principal.AccountID, name); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamListGroups(c *call, p url.Values) (any, error) {
	groups, next, err := listEntities(s, c, p, s.cfg.Identity.ListGroups, func(g *identity.Group) string { return g.Name })
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name   `xml:"ListGroupsResult"`
		Groups  []groupXML `xml:"Groups>member"`
		listPage
	}{Groups: groupsXML(groups), listPage: page(next)}), nil
}

func groupsXML(groups []identity.Group) []groupXML {
	out := make([]groupXML, 0, len(groups))
	for i := range groups {
		out = append(out, toGroupXML(&groups[i]))
	}
	return out
}

// membership serves AddUserToGroup and RemoveUserFromGroup, authorized on
// the group.
func (s *Server) membership(c *call, p url.Values, add bool) (any, error) {
	var user string
	group, err := s.groupCall(c, p, func(v *violations) { user = ownerParam(v, p, "user") })
	if err != nil {
		return nil, err
	}
	if add {
		err = s.cfg.Identity.AddUserToGroup(c.ctx, c.principal.AccountID, group, user)
	} else {
		err = s.cfg.Identity.RemoveUserFromGroup(c.ctx, c.principal.AccountID, group, user)
	}
	if err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamAddUserToGroup(c *call, p url.Values) (any, error) {
	return s.membership(c, p, true)
}
func (s *Server) iamRemoveUserFromGroup(c *call, p url.Values) (any, error) {
	return s.membership(c, p, false)
}

func (s *Server) iamListGroupsForUser(c *call, p url.Values) (any, error) {
	v := iamValidation()
	user := ownerParam(v, p, "user")
	maxItems, marker := iamPage(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, "user", user); err != nil {
		return nil, err
	}
	groups, err := s.cfg.Identity.GroupsForUser(c.ctx, c.principal.AccountID, user)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(groups))
	for i := range groups {
		keys[i] = identity.FoldName(groups[i].Name)
	}
	start, end, next, err := s.pageOf(c, identity.FoldName(user), keys, maxItems, marker)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name   `xml:"ListGroupsForUserResult"`
		Groups  []groupXML `xml:"Groups>member"`
		listPage
	}{Groups: groupsXML(groups[start:end]), listPage: page(next)}), nil
}

func (s *Server) iamPutGroupPolicy(c *call, p url.Values) (any, error) {
	return s.inlinePolicy(c, p, "group", true)
}
func (s *Server) iamDeleteGroupPolicy(c *call, p url.Values) (any, error) {
	return s.inlinePolicy(c, p, "group", false)
}
func (s *Server) iamGetGroupPolicy(c *call, p url.Values) (any, error) {
	return s.getInlinePolicy(c, p, "group")
}
func (s *Server) iamListGroupPolicies(c *call, p url.Values) (any, error) {
	return s.listInlinePolicies(c, p, "group")
}
func (s *Server) iamAttachGroupPolicy(c *call, p url.Values) (any, error) {
	return s.attachCall(c, p, "group", true)
}
func (s *Server) iamDetachGroupPolicy(c *call, p url.Values) (any, error) {
	return s.attachCall(c, p, "group", false)
}
func (s *Server) iamListAttachedGroupPolicies(c *call, p url.Values) (any, error) {
	return s.listAttached(c, p, "group")
}
