package awsapi

import (
	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

type identityInfoJSON struct {
	FirstName      *string
	LastName       *string
	Email          *string
	SecondaryEmail *string
	Mobile         *string
}

type phoneConfigJSON struct {
	PhoneType                 *string
	AutoAccept                *bool
	AfterContactWorkTimeLimit *int64
	DeskPhoneNumber           *string
	PersistentConnection      *bool
}

func checkIdentityInfo(v *violations, in *identityInfoJSON) *connectfed.UserIdentityInfo {
	if in == nil {
		return nil
	}
	out := &connectfed.UserIdentityInfo{
		FirstName: deref(in.FirstName), LastName: deref(in.LastName), Email: deref(in.Email),
		SecondaryEmail: deref(in.SecondaryEmail), Mobile: deref(in.Mobile),
	}
	v.length("identityInfo.firstName", out.FirstName, true, 0, 255)
	v.length("identityInfo.lastName", out.LastName, true, 0, 300)
	if out.Mobile != "" {
		v.pattern("identityInfo.mobile", out.Mobile, false, phoneRE, `\\+[1-9]\\d{1,14}$`)
	}
	return out
}

func checkPhoneConfig(v *violations, in *phoneConfigJSON) connectfed.UserPhoneConfig {
	out := connectfed.UserPhoneConfig{PhoneType: "SOFT_PHONE"}
	if in == nil {
		return out
	}
	if in.PhoneType != nil {
		v.enum("phoneConfig.phoneType", *in.PhoneType, "SOFT_PHONE", "DESK_PHONE")
		out.PhoneType = *in.PhoneType
	}
	if in.AutoAccept != nil {
		out.AutoAccept = *in.AutoAccept
	}
	if in.AfterContactWorkTimeLimit != nil {
		if *in.AfterContactWorkTimeLimit < 0 {
			v.add("phoneConfig.afterContactWorkTimeLimit", "", true, "Member must have value greater than or equal to 0")
		}
		out.AfterContactWorkTimeLimit = *in.AfterContactWorkTimeLimit
	}
	if in.DeskPhoneNumber != nil {
		v.pattern("phoneConfig.deskPhoneNumber", *in.DeskPhoneNumber, true, phoneRE, `\+[1-9]\d{1,14}$`)
		out.DeskPhoneNumber = *in.DeskPhoneNumber
	}
	out.PersistentConnection = in.PersistentConnection
	if out.PhoneType == "DESK_PHONE" && out.DeskPhoneNumber == "" {
		v.list = append(v.list, "DeskPhoneNumber is required when PhoneType is DESK_PHONE")
	}
	return out
}

func checkProfileIDs(v *violations, ids []string, present bool) {
	v.required("securityProfileIds", present)
	if present && (len(ids) < 1 || len(ids) > 10) {
		v.add("securityProfileIds", "", true, "Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	for _, id := range ids {
		v.length("securityProfileIds.member", id, false, 1, 100)
	}
}

func (s *Server) createUser(c *call, l []string) (any, error) {
	var in struct {
		Username           *string
		Password           *string
		IdentityInfo       *identityInfoJSON
		PhoneConfig        *phoneConfigJSON
		DirectoryUserId    *string
		SecurityProfileIds []string
		RoutingProfileId   *string
		HierarchyGroupId   *string
		Tags               map[string]string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkInstanceID(v, l[0])
	v.required("username", in.Username != nil)
	if in.Username != nil {
		v.length("username", *in.Username, false, 1, 100)
		v.utf8("username", *in.Username)
	}
	if in.Password != nil {
		v.length("password", *in.Password, true, 8, 64)
	}
	v.required("routingProfileId", in.RoutingProfileId != nil)
	if in.RoutingProfileId != nil {
		v.length("routingProfileId", *in.RoutingProfileId, false, 1, 100)
	}
	checkProfileIDs(v, in.SecurityProfileIds, in.SecurityProfileIds != nil)
	info := checkIdentityInfo(v, in.IdentityInfo)
	phone := checkPhoneConfig(v, in.PhoneConfig)
	checkTags(v, in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, s.instanceARN(c, l[0]), withRequestTags(instanceConditions(c, l[0]), in.Tags)); err != nil {
		return nil, err
	}
	u, err := s.cfg.Connect.CreateUser(c.ctx, c.scope, l[0], connect.CreateUserInput{
		Username:           *in.Username,
		Password:           deref(in.Password),
		IdentityInfo:       info,
		PhoneConfig:        phone,
		DirectoryUserID:    deref(in.DirectoryUserId),
		SecurityProfileIDs: in.SecurityProfileIds,
		RoutingProfileID:   *in.RoutingProfileId,
		HierarchyGroupID:   deref(in.HierarchyGroupId),
		Tags:               in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct{ UserId, UserArn string }{u.ID, u.ARN()}, nil
}

// userArgs validates the two labels of a per-user operation and authorizes
// it on the user's ARN.
func (s *Server) userArgs(c *call, l []string, v *violations) error {
	checkInstanceID(v, l[0])
	v.length("userId", l[1], false, 1, 256)
	v.utf8("userId", l[1])
	if err := v.err(); err != nil {
		return err
	}
	return s.authorize(c, s.instanceARN(c, l[0])+"/agent/"+l[1], instanceConditions(c, l[0]))
}

type userJSON struct {
	Id                 string
	Arn                string
	Username           string
	IdentityInfo       *connectfed.UserIdentityInfo
	PhoneConfig        connectfed.UserPhoneConfig
	DirectoryUserId    string `json:",omitempty"`
	SecurityProfileIds []string
	RoutingProfileId   string
	HierarchyGroupId   string            `json:",omitempty"`
	Tags               map[string]string `json:",omitempty"`
	LastModifiedTime   epoch
	LastModifiedRegion string
}

func (s *Server) describeUser(c *call, l []string) (any, error) {
	if err := s.userArgs(c, l, &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	u, err := s.cfg.Connect.GetUser(c.ctx, c.scope, l[0], l[1])
	if err != nil {
		return nil, err
	}
	info := u.IdentityInfo
	if info == nil {
		info = &connectfed.UserIdentityInfo{}
	}
	return struct{ User userJSON }{userJSON{
		Id: u.ID, Arn: u.ARN(), Username: u.Username, IdentityInfo: info, PhoneConfig: u.PhoneConfig,
		DirectoryUserId: u.DirectoryUserID, SecurityProfileIds: u.SecurityProfileIDs, RoutingProfileId: u.RoutingProfileID,
		HierarchyGroupId: u.HierarchyGroupID, Tags: u.Tags, LastModifiedTime: epoch(u.LastModified), LastModifiedRegion: u.Region,
	}}, nil
}

func (s *Server) deleteUser(c *call, l []string) (any, error) {
	if err := s.userArgs(c, l, &violations{errType: connectfed.InvalidParameterException}); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Connect.DeleteUser(c.ctx, c.scope, l[0], l[1]); err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Server) listUsers(c *call, l []string) (any, error) {
	inst, after, limit, listing, err := s.listArgs(c, l[0])
	if err != nil {
		return nil, err
	}
	list, last, err := s.cfg.Connect.ListUsers(c.ctx, c.scope, inst, after, limit)
	if err != nil {
		return nil, err
	}
	type summary struct {
		Id, Arn, Username  string
		LastModifiedTime   epoch
		LastModifiedRegion string
	}
	out := struct {
		UserSummaryList []summary
		NextToken       string `json:",omitempty"`
	}{UserSummaryList: make([]summary, 0, len(list)), NextToken: s.pager.token(listing, last)}
	for i := range list {
		u := &list[i]
		out.UserSummaryList = append(out.UserSummaryList, summary{u.ID, u.ARN(), u.Username, epoch(u.LastModified), u.Region})
	}
	return out, nil
}

func (s *Server) updateUserIdentityInfo(c *call, l []string) (any, error) {
	var in struct{ IdentityInfo *identityInfoJSON }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("identityInfo", in.IdentityInfo != nil)
	info := checkIdentityInfo(v, in.IdentityInfo)
	return s.updateUser(c, l, v, connect.UserChange{IdentityInfo: info})
}

func (s *Server) updateUserPhoneConfig(c *call, l []string) (any, error) {
	var in struct{ PhoneConfig *phoneConfigJSON }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("phoneConfig", in.PhoneConfig != nil)
	if in.PhoneConfig != nil {
		v.required("phoneConfig.phoneType", in.PhoneConfig.PhoneType != nil)
	}
	phone := checkPhoneConfig(v, in.PhoneConfig)
	return s.updateUser(c, l, v, connect.UserChange{PhoneConfig: &phone})
}

func (s *Server) updateUserSecurityProfiles(c *call, l []string) (any, error) {
	var in struct{ SecurityProfileIds []string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkProfileIDs(v, in.SecurityProfileIds, in.SecurityProfileIds != nil)
	return s.updateUser(c, l, v, connect.UserChange{SecurityProfileIDs: in.SecurityProfileIds})
}

func (s *Server) updateUserRoutingProfile(c *call, l []string) (any, error) {
	var in struct{ RoutingProfileId *string }
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("routingProfileId", in.RoutingProfileId != nil)
	if in.RoutingProfileId != nil {
		v.length("routingProfileId", *in.RoutingProfileId, false, 1, 100)
	}
	return s.updateUser(c, l, v, connect.UserChange{RoutingProfileID: deref(in.RoutingProfileId)})
}

func (s *Server) updateUser(c *call, l []string, v *violations, ch connect.UserChange) (any, error) {
	if err := s.userArgs(c, l, v); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.UpdateUser(c.ctx, c.scope, l[0], l[1], ch)
}
