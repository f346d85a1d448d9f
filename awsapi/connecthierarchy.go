package awsapi

import (
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// The agent hierarchy (structure, groups, a user's group) and SearchUsers.
func init() {
	connectRoutes = append(connectRoutes,
		restRoute{"GET", splitPattern("/user-hierarchy-structure/{}"), "DescribeUserHierarchyStructure", (*Server).describeUserHierarchyStructure},
		restRoute{"POST", splitPattern("/user-hierarchy-structure/{}"), "UpdateUserHierarchyStructure", (*Server).updateUserHierarchyStructure},
		restRoute{"PUT", splitPattern("/user-hierarchy-groups/{}"), "CreateUserHierarchyGroup", (*Server).createUserHierarchyGroup},
		restRoute{"GET", splitPattern("/user-hierarchy-groups/{}/{}"), "DescribeUserHierarchyGroup", (*Server).describeUserHierarchyGroup},
		restRoute{"DELETE", splitPattern("/user-hierarchy-groups/{}/{}"), "DeleteUserHierarchyGroup", (*Server).deleteUserHierarchyGroup},
		restRoute{"POST", splitPattern("/user-hierarchy-groups/{}/{}/name"), "UpdateUserHierarchyGroupName", (*Server).updateUserHierarchyGroupName},
		restRoute{"GET", splitPattern("/user-hierarchy-groups-summary/{}"), "ListUserHierarchyGroups", (*Server).listUserHierarchyGroups},
		restRoute{"POST", splitPattern("/users/{}/{}/hierarchy"), "UpdateUserHierarchy", (*Server).updateUserHierarchy},
		restRoute{"POST", splitPattern("/search-users"), "SearchUsers", (*Server).searchUsers},
	)
}

var levelNames = [connect.HierarchyLevels]string{"LevelOne", "LevelTwo", "LevelThree", "LevelFour", "LevelFive"}

type hierarchyLevelJSON struct {
	Id, Arn, Name      string
	LastModifiedTime   epoch
	LastModifiedRegion string
}

func (s *Server) describeUserHierarchyStructure(c *call, l []string) (any, error) {
	if err := s.onInstance(c, l[0], &violations{errType: connectfed.InvalidParameterException}, nil); err != nil {
		return nil, err
	}
	hs, err := s.cfg.Connect.GetHierarchyStructure(c.ctx, c.scope, l[0])
	if err != nil {
		return nil, err
	}
	out := map[string]hierarchyLevelJSON{}
	for i, lv := range hs.Levels {
		if lv.Name == "" {
			continue
		}
		out[levelNames[i]] = hierarchyLevelJSON{lv.ID, s.childARN(c, l[0], "agent-group-level", lv.ID), lv.Name, epoch(lv.LastModified), c.scope.Region}
	}
	return struct{ HierarchyStructure map[string]hierarchyLevelJSON }{out}, nil
}

func (s *Server) updateUserHierarchyStructure(c *call, l []string) (any, error) {
	var in struct {
		HierarchyStructure *struct {
			LevelOne, LevelTwo, LevelThree, LevelFour, LevelFive *struct{ Name *string }
		}
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("hierarchyStructure", in.HierarchyStructure != nil)
	var names [connect.HierarchyLevels]string
	if hs := in.HierarchyStructure; hs != nil {
		for i, lv := range []*struct{ Name *string }{hs.LevelOne, hs.LevelTwo, hs.LevelThree, hs.LevelFour, hs.LevelFive} {
			if lv == nil {
				continue
			}
			member := "hierarchyStructure." + strings.ToLower(levelNames[i][:1]) + levelNames[i][1:] + ".name"
			checkName(v, member, lv.Name, true, 50)
			names[i] = deref(lv.Name)
		}
	}
	if err := s.onInstance(c, l[0], v, nil); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.UpdateHierarchyStructure(c.ctx, c.scope, l[0], names)
}

func (s *Server) createUserHierarchyGroup(c *call, l []string) (any, error) {
	var in struct {
		Name          *string
		ParentGroupId *string
		Tags          map[string]string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkName(v, "name", in.Name, true, 100)
	checkTags(v, in.Tags)
	if err := s.onNew(c, l[0], "agent-group", v, in.Tags); err != nil {
		return nil, err
	}
	g, err := s.cfg.Connect.CreateHierarchyGroup(c.ctx, c.scope, l[0], *in.Name, deref(in.ParentGroupId), in.Tags)
	if err != nil {
		return nil, err
	}
	return struct{ HierarchyGroupId, HierarchyGroupArn string }{g.ID, s.childARN(c, l[0], "agent-group", g.ID)}, nil
}

type hierarchyGroupSummaryJSON struct {
	Id, Arn, Name      string
	LastModifiedTime   epoch
	LastModifiedRegion string
}

func (s *Server) describeUserHierarchyGroup(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "agent-group", "hierarchyGroupId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	g, path, hs, err := s.cfg.Connect.GetHierarchyGroup(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	hp := map[string]hierarchyGroupSummaryJSON{}
	for _, p := range path {
		hp[levelNames[p.Level-1]] = hierarchyGroupSummaryJSON{p.ID, s.childARN(c, l[0], "agent-group", p.ID), p.Name, epoch(p.LastModified), c.scope.Region}
	}
	return struct {
		HierarchyGroup any
	}{struct {
		Id, Arn, Name, LevelId string
		HierarchyPath          map[string]hierarchyGroupSummaryJSON
		Tags                   map[string]string `json:",omitempty"`
		LastModifiedTime       epoch
		LastModifiedRegion     string
	}{g.ID, s.childARN(c, l[0], "agent-group", g.ID), g.Name, hs.Levels[g.Level-1].ID, hp, g.Tags, epoch(g.LastModified), c.scope.Region}}, nil
}

func (s *Server) listUserHierarchyGroups(c *call, l []string) (any, error) {
	inst, after, limit, listing, err := s.listArgs(c, l[0])
	if err != nil {
		return nil, err
	}
	list, last, err := s.cfg.Connect.ListHierarchyGroups(c.ctx, c.scope, inst, after, limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		UserHierarchyGroupSummaryList []hierarchyGroupSummaryJSON
		NextToken                     string `json:",omitempty"`
	}{UserHierarchyGroupSummaryList: []hierarchyGroupSummaryJSON{}, NextToken: s.pager.token(listing, last)}
	for _, g := range list {
		out.UserHierarchyGroupSummaryList = append(out.UserHierarchyGroupSummaryList,
			hierarchyGroupSummaryJSON{g.ID, s.childARN(c, inst, "agent-group", g.ID), g.Name, epoch(g.LastModified), c.scope.Region})
	}
	return out, nil
}

func (s *Server) updateUserHierarchyGroupName(c *call, l []string) (any, error) {
	var in struct{ Name *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkName(v, "name", in.Name, true, 100)
	if err := s.onChild(c, l, "agent-group", "hierarchyGroupId", v); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.RenameHierarchyGroup(c.ctx, c.scope, l[0], l[1], *in.Name)
}

func (s *Server) deleteUserHierarchyGroup(c *call, l []string) (any, error) {
	if err := s.onChild(c, l, "agent-group", "hierarchyGroupId", &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.DeleteHierarchyGroup(c.ctx, c.scope, l[0], l[1])
}

func (s *Server) updateUserHierarchy(c *call, l []string) (any, error) {
	var in struct{ HierarchyGroupId *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	if err := s.userArgs(c, l, v); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.SetUserHierarchy(c.ctx, c.scope, l[0], l[1], deref(in.HierarchyGroupId))
}

// --- SearchUsers ---

type tagConditionJSON struct {
	TagKey, TagValue *string
}

type hierarchyConditionJSON struct {
	Value                   *string
	HierarchyGroupMatchType *string
}

type stringConditionJSON struct {
	FieldName, Value, ComparisonType *string
}

type userCriteriaJSON struct {
	OrConditions            []userCriteriaJSON
	AndConditions           []userCriteriaJSON
	StringCondition         *stringConditionJSON
	ListCondition           *struct{ TargetListType *string }
	HierarchyGroupCondition *hierarchyConditionJSON
}

type attributeAndJSON struct {
	TagConditions           []tagConditionJSON
	HierarchyGroupCondition *hierarchyConditionJSON
}

type userSearchFilterJSON struct {
	TagFilter *struct {
		OrConditions  [][]tagConditionJSON
		AndConditions []tagConditionJSON
		TagCondition  *tagConditionJSON
	}
	UserAttributeFilter *struct {
		OrConditions            []attributeAndJSON
		AndCondition            *attributeAndJSON
		TagCondition            *tagConditionJSON
		HierarchyGroupCondition *hierarchyConditionJSON
	}
}

// searchFields are the StringCondition field names SearchUsers accepts
// (compared without regard to case).
var searchFields = map[string]func(u *connectfed.User) []string{
	"username": func(u *connectfed.User) []string { return []string{u.Username} },
	"firstname": func(u *connectfed.User) []string {
		if u.IdentityInfo == nil {
			return nil
		}
		return []string{u.IdentityInfo.FirstName}
	},
	"lastname": func(u *connectfed.User) []string {
		if u.IdentityInfo == nil {
			return nil
		}
		return []string{u.IdentityInfo.LastName}
	},
	"resourceid":        func(u *connectfed.User) []string { return []string{u.ID} },
	"routingprofileid":  func(u *connectfed.User) []string { return []string{u.RoutingProfileID} },
	"securityprofileid": func(u *connectfed.User) []string { return u.SecurityProfileIDs },
	"hierarchygroupid":  func(u *connectfed.User) []string { return []string{u.HierarchyGroupID} },
}

func all(qs []connect.UserQuery) connect.UserQuery {
	return func(u *connectfed.User, g map[string]connect.HierarchyGroup) bool {
		for _, q := range qs {
			if !q(u, g) {
				return false
			}
		}
		return true
	}
}

func anyOf(qs []connect.UserQuery) connect.UserQuery {
	return func(u *connectfed.User, g map[string]connect.HierarchyGroup) bool {
		for _, q := range qs {
			if q(u, g) {
				return true
			}
		}
		return false
	}
}

// searchCompiler turns SearchUsers' criteria and filters into one query,
// collecting what is wrong with them.
type searchCompiler struct{ v *violations }

func (sc *searchCompiler) tag(member string, t *tagConditionJSON) connect.UserQuery {
	if t.TagKey == nil {
		sc.v.required(member+".tagKey", false)
	}
	k, val := deref(t.TagKey), t.TagValue
	return func(u *connectfed.User, _ map[string]connect.HierarchyGroup) bool {
		got, ok := u.Tags[k]
		return ok && (val == nil || got == *val)
	}
}

func (sc *searchCompiler) tags(member string, ts []tagConditionJSON) connect.UserQuery {
	var qs []connect.UserQuery
	for i := range ts {
		qs = append(qs, sc.tag(member, &ts[i]))
	}
	return all(qs)
}

func (sc *searchCompiler) hierarchy(member string, h *hierarchyConditionJSON) connect.UserQuery {
	sc.v.required(member+".value", h.Value != nil)
	withChildren := false
	if h.HierarchyGroupMatchType != nil {
		sc.v.enum(member+".hierarchyGroupMatchType", *h.HierarchyGroupMatchType, "EXACT", "WITH_CHILD_GROUPS")
		withChildren = *h.HierarchyGroupMatchType == "WITH_CHILD_GROUPS"
	}
	id := deref(h.Value)
	return func(u *connectfed.User, g map[string]connect.HierarchyGroup) bool {
		return connect.InGroup(u, g, id, withChildren)
	}
}

func (sc *searchCompiler) str(member string, s *stringConditionJSON) connect.UserQuery {
	sc.v.required(member+".fieldName", s.FieldName != nil)
	sc.v.required(member+".value", s.Value != nil)
	sc.v.required(member+".comparisonType", s.ComparisonType != nil)
	if s.FieldName == nil || s.Value == nil || s.ComparisonType == nil {
		return all(nil)
	}
	field, ok := searchFields[strings.ToLower(*s.FieldName)]
	if !ok {
		sc.v.list = append(sc.v.list, "Unsupported FieldName "+*s.FieldName+" in StringCondition; supported: Username, FirstName, LastName, ResourceId, RoutingProfileId, SecurityProfileId, HierarchyGroupId")
		return all(nil)
	}
	sc.v.enum(member+".comparisonType", *s.ComparisonType, "STARTS_WITH", "CONTAINS", "EXACT")
	want, cmp := strings.ToLower(*s.Value), *s.ComparisonType
	return func(u *connectfed.User, _ map[string]connect.HierarchyGroup) bool {
		for _, got := range field(u) {
			got = strings.ToLower(got)
			switch cmp {
			case "EXACT":
				if got == want {
					return true
				}
			case "STARTS_WITH":
				if strings.HasPrefix(got, want) {
					return true
				}
			case "CONTAINS":
				if strings.Contains(got, want) {
					return true
				}
			}
		}
		return false
	}
}

func (sc *searchCompiler) criteria(member string, c *userCriteriaJSON, depth int) connect.UserQuery {
	var qs []connect.UserQuery
	if depth > 3 {
		sc.v.list = append(sc.v.list, "SearchCriteria is nested too deeply")
		return all(nil)
	}
	if c.OrConditions != nil {
		var or []connect.UserQuery
		for i := range c.OrConditions {
			or = append(or, sc.criteria(member+".orConditions.member", &c.OrConditions[i], depth+1))
		}
		qs = append(qs, anyOf(or))
	}
	for i := range c.AndConditions {
		qs = append(qs, sc.criteria(member+".andConditions.member", &c.AndConditions[i], depth+1))
	}
	if c.StringCondition != nil {
		qs = append(qs, sc.str(member+".stringCondition", c.StringCondition))
	}
	if c.HierarchyGroupCondition != nil {
		qs = append(qs, sc.hierarchy(member+".hierarchyGroupCondition", c.HierarchyGroupCondition))
	}
	if c.ListCondition != nil {
		// Proficiencies are not kept: no user has any.
		qs = append(qs, anyOf(nil))
	}
	return all(qs)
}

func (sc *searchCompiler) filter(f *userSearchFilterJSON) connect.UserQuery {
	var qs []connect.UserQuery
	if tf := f.TagFilter; tf != nil {
		if tf.OrConditions != nil {
			var or []connect.UserQuery
			for _, and := range tf.OrConditions {
				or = append(or, sc.tags("searchFilter.tagFilter.orConditions.member.member", and))
			}
			qs = append(qs, anyOf(or))
		}
		if tf.AndConditions != nil {
			qs = append(qs, sc.tags("searchFilter.tagFilter.andConditions.member", tf.AndConditions))
		}
		if tf.TagCondition != nil {
			qs = append(qs, sc.tag("searchFilter.tagFilter.tagCondition", tf.TagCondition))
		}
	}
	if af := f.UserAttributeFilter; af != nil {
		m := "searchFilter.userAttributeFilter"
		attr := func(member string, a *attributeAndJSON) connect.UserQuery {
			q := []connect.UserQuery{sc.tags(member+".tagConditions.member", a.TagConditions)}
			if a.HierarchyGroupCondition != nil {
				q = append(q, sc.hierarchy(member+".hierarchyGroupCondition", a.HierarchyGroupCondition))
			}
			return all(q)
		}
		if af.OrConditions != nil {
			var or []connect.UserQuery
			for i := range af.OrConditions {
				or = append(or, attr(m+".orConditions.member", &af.OrConditions[i]))
			}
			qs = append(qs, anyOf(or))
		}
		if af.AndCondition != nil {
			qs = append(qs, attr(m+".andCondition", af.AndCondition))
		}
		if af.TagCondition != nil {
			qs = append(qs, sc.tag(m+".tagCondition", af.TagCondition))
		}
		if af.HierarchyGroupCondition != nil {
			qs = append(qs, sc.hierarchy(m+".hierarchyGroupCondition", af.HierarchyGroupCondition))
		}
	}
	return all(qs)
}

func (s *Server) searchUsers(c *call, _ []string) (any, error) {
	var in struct {
		InstanceId     *string
		NextToken      *string
		MaxResults     *int
		SearchFilter   *userSearchFilterJSON
		SearchCriteria *userCriteriaJSON
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("instanceId", in.InstanceId != nil)
	limit := 100
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > 500 {
			v.add("maxResults", "", false, "Member must have value less than or equal to 500 and greater than or equal to 1")
		}
	}
	if in.NextToken != nil {
		v.length("nextToken", *in.NextToken, false, 1, 2500)
	}
	comp := &searchCompiler{v: v}
	var qs []connect.UserQuery
	if in.SearchCriteria != nil {
		qs = append(qs, comp.criteria("searchCriteria", in.SearchCriteria, 0))
	}
	if in.SearchFilter != nil {
		qs = append(qs, comp.filter(in.SearchFilter))
	}
	if in.InstanceId == nil {
		return nil, v.err()
	}
	if err := s.onInstance(c, *in.InstanceId, v, nil); err != nil {
		return nil, err
	}
	inst := connect.ResolveInstanceID(c.scope, *in.InstanceId)
	listing := c.op + "/" + c.scope.AccountID + "/" + c.scope.Region + "/" + inst
	after, err := s.pager.cursor(listing, deref(in.NextToken), connectfed.InvalidParameterException)
	if err != nil {
		return nil, err
	}
	users, next, total, err := s.cfg.Connect.SearchUsers(c.ctx, c.scope, inst, all(qs), after, limit)
	if err != nil {
		return nil, err
	}
	type lite struct {
		FirstName string `json:",omitempty"`
		LastName  string `json:",omitempty"`
	}
	type summary struct {
		Arn                string
		DirectoryUserId    string `json:",omitempty"`
		HierarchyGroupId   string `json:",omitempty"`
		Id                 string
		IdentityInfo       lite
		PhoneConfig        connectfed.UserPhoneConfig
		RoutingProfileId   string
		SecurityProfileIds []string
		Tags               map[string]string `json:",omitempty"`
		Username           string
	}
	out := struct {
		Users                 []summary
		NextToken             string `json:",omitempty"`
		ApproximateTotalCount int64
	}{Users: []summary{}, NextToken: s.pager.token(listing, next), ApproximateTotalCount: int64(total)}
	for i := range users {
		u := &users[i]
		var info lite
		if u.IdentityInfo != nil {
			info = lite{u.IdentityInfo.FirstName, u.IdentityInfo.LastName}
		}
		out.Users = append(out.Users, summary{u.ARN(), u.DirectoryUserID, u.HierarchyGroupID, u.ID, info, u.PhoneConfig,
			u.RoutingProfileID, u.SecurityProfileIDs, u.Tags, u.Username})
	}
	return out, nil
}
