package awsapi

import (
	"encoding/xml"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
)

// envelope is a query-protocol response: <ActionResponse xmlns=…> with the
// result (whose XMLName is <ActionResult>) and the request id.
type envelope struct {
	XMLName          xml.Name
	Xmlns            string `xml:"xmlns,attr"`
	Result           any
	ResponseMetadata responseMetadata
}

func respond(c *call, result any) envelope {
	return envelope{XMLName: xml.Name{Local: c.op + "Response"}, Xmlns: queryNamespace(c.service), Result: result,
		ResponseMetadata: responseMetadata{RequestId: c.id}}
}

var (
	iamNameRE   = regexp.MustCompile(`^[\w+=,.@-]+$`)
	iamPathRE   = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	accessKeyRE = regexp.MustCompile(`^\w+$`)
)

func checkIAMName(v *violations, member, value string, max int) {
	v.length(member, value, false, 1, max)
	if value != "" {
		v.pattern(member, value, false, iamNameRE, `[\w+=,.@-]+`)
	}
}

func iamValidation() *violations { return &violations{errType: connectfed.ValidationError} }

// accessKeyIDParam is the AccessKeyId parameter of DeleteAccessKey and
// GetAccessKeyInfo, checked as their models constrain it.
func accessKeyIDParam(p url.Values) (string, error) {
	v := iamValidation()
	id := p.Get("AccessKeyId")
	v.required("accessKeyId", p.Has("AccessKeyId"))
	v.length("accessKeyId", id, false, 16, 128)
	if id != "" {
		v.pattern("accessKeyId", id, false, accessKeyRE, `[\w]+`)
	}
	return id, v.err()
}

// iamAuthorize checks iam:<op> on resource.
func (s *Server) iamAuthorize(c *call, resource string) error {
	c.target = resource
	return s.cfg.Identity.Authorize(c.ctx, c.principal, "iam:"+c.op, resource, nil)
}

// entityARN is the resource an operation on an existing user or role is
// authorized on, as IAM does: the stored entity's ARN (its canonical
// spelling and its path), or, when there is no such entity, the ARN with
// path "/" and the caller's spelling (the operation then reports
// NoSuchEntity to a caller allowed to learn it).
func (s *Server) entityARN(c *call, kind, name string) (string, error) {
	arn, _, err := s.entity(c, kind, name)
	return arn, err
}

// entity is entityARN with the entity's tags, as iam:ResourceTag/<key>
// and aws:ResourceTag/<key> conditions.
func (s *Server) entity(c *call, kind, name string) (string, map[string][]string, error) {
	arn, tags, err := s.cfg.Identity.Entity(c.ctx, c.principal.AccountID, kind, name)
	if connectfed.ErrorCode(err) == connectfed.ENOTFOUND {
		return s.iamARN(c, kind, "/", name), nil, nil
	}
	var keys map[string][]string
	for _, t := range tags {
		if keys == nil {
			keys = map[string][]string{}
		}
		keys["iam:ResourceTag/"+t.Key] = []string{t.Value}
		keys["aws:ResourceTag/"+t.Key] = []string{t.Value}
	}
	return arn, keys, err
}

// authorizeEntity authorizes iam:<op> on an existing user, role or group,
// with its tags as resource tags and extra condition keys.
func (s *Server) authorizeEntity(c *call, kind, name string, extra ...map[string][]string) error {
	arn, keys, err := s.entity(c, kind, name)
	if err != nil {
		return err
	}
	for _, m := range extra {
		for k, v := range m {
			if keys == nil {
				keys = map[string][]string{}
			}
			keys[k] = v
		}
	}
	c.target = arn
	return s.cfg.Identity.Authorize(c.ctx, c.principal, "iam:"+c.op, arn, keys)
}

func (s *Server) iamARN(c *call, kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + c.principal.AccountID + ":" + kind + path + name
}

type iamUserXML struct {
	Path       string `xml:",omitempty"`
	UserName   string `xml:",omitempty"`
	UserId     string
	Arn        string
	CreateDate string
	Tags       []tagXML `xml:"Tags>member,omitempty"`
}

type tagXML struct {
	Key   string
	Value string
}

func tagsXML(tags []connectfed.SessionTag) []tagXML {
	out := make([]tagXML, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagXML(t))
	}
	return out
}

// tagConditions are the condition keys of a request that sets tags:
// aws:RequestTag/<key> and aws:TagKeys.
func tagConditions(tags []connectfed.SessionTag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string][]string{}
	for _, t := range tags {
		m["aws:RequestTag/"+t.Key] = []string{t.Value}
		m["aws:TagKeys"] = append(m["aws:TagKeys"], t.Key)
	}
	return m
}

func userXML(u *identity.User) iamUserXML {
	return iamUserXML{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN(), CreateDate: isoTime(u.Created)}
}

func pathParam(v *violations, p url.Values) string {
	if !p.Has("Path") {
		return "/"
	}
	path := p.Get("Path")
	v.length("path", path, false, 1, 512)
	v.pattern("path", path, false, iamPathRE, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	return path
}

func (s *Server) iamCreateUser(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := p.Get("UserName")
	v.required("userName", p.Has("UserName"))
	checkIAMName(v, "userName", name, 64)
	path := pathParam(v, p)
	tags := tagsParam(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	c.target = s.iamARN(c, "user", path, name)
	if err := s.cfg.Identity.Authorize(c.ctx, c.principal, "iam:"+c.op, c.target, tagConditions(tags)); err != nil {
		return nil, err
	}
	u, err := s.cfg.Identity.CreateUser(c.ctx, c.principal.AccountID, name, path, tags...)
	if err != nil {
		return nil, err
	}
	out := userXML(u)
	out.Tags = tagsXML(u.Tags)
	return respond(c, struct {
		XMLName xml.Name `xml:"CreateUserResult"`
		User    iamUserXML
	}{User: out}), nil
}

// callerUserName is the UserName a call acts on: the parameter, or the
// calling IAM user when it is omitted (as IAM does).
func callerUserName(c *call, p url.Values) string {
	if p.Has("UserName") {
		return p.Get("UserName")
	}
	if c.principal.Type == connectfed.PrincipalUser {
		return c.principal.Name
	}
	return ""
}

func (s *Server) iamGetUser(c *call, p url.Values) (any, error) {
	type result struct {
		XMLName xml.Name `xml:"GetUserResult"`
		User    iamUserXML
	}
	name := callerUserName(c, p)
	if name == "" && !p.Has("UserName") && c.principal.IsRoot() {
		// Root without UserName describes the root identity itself; its
		// CreateDate is the account's.
		acct, err := s.cfg.Identity.Account(c.ctx, c.principal.AccountID)
		if err != nil {
			return nil, err
		}
		return respond(c, result{User: iamUserXML{UserId: c.principal.AccountID, Arn: c.principal.ARN, CreateDate: isoTime(acct.Created)}}), nil
	}
	v := iamValidation()
	if name == "" && !p.Has("UserName") {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ValidationError, "Must specify userName when calling with non-User credentials")
	}
	checkIAMName(v, "userName", name, 128)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, "user", name); err != nil {
		return nil, err
	}
	u, err := s.cfg.Identity.GetUser(c.ctx, c.principal.AccountID, name)
	if err != nil {
		return nil, err
	}
	out := userXML(u)
	out.Tags = tagsXML(u.Tags)
	return respond(c, result{User: out}), nil
}

func (s *Server) iamDeleteUser(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := p.Get("UserName")
	v.required("userName", p.Has("UserName"))
	checkIAMName(v, "userName", name, 128)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, "user", name); err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.DeleteUser(c.ctx, c.principal.AccountID, name); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

type accessKeyXML struct {
	UserName string `xml:",omitempty"` // absent for the root user's keys

	AccessKeyId     string
	Status          string
	SecretAccessKey string `xml:",omitempty"`
	CreateDate      string
}

// keyUser is the user whose access keys a call manages: UserName, or the
// caller itself when it is omitted (IAM user or root; root == true then).
// It authorizes the call.
func (s *Server) keyUser(c *call, p url.Values) (name string, root bool, err error) {
	if !p.Has("UserName") && c.principal.IsRoot() {
		return "", true, s.iamAuthorize(c, c.principal.ARN)
	}
	name = callerUserName(c, p)
	if name == "" {
		return "", false, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ValidationError, "Must specify userName when calling with non-User credentials")
	}
	v := iamValidation()
	checkIAMName(v, "userName", name, 128)
	if err := v.err(); err != nil {
		return "", false, err
	}
	return name, false, s.authorizeEntity(c, "user", name)
}

func (s *Server) iamCreateAccessKey(c *call, p url.Values) (any, error) {
	name, root, err := s.keyUser(c, p)
	if err != nil {
		return nil, err
	}
	var k *identity.AccessKey
	var secret string
	if root {
		k, secret, err = s.cfg.Identity.CreateRootAccessKey(c.ctx, c.principal.AccountID)
	} else {
		k, secret, err = s.cfg.Identity.CreateAccessKey(c.ctx, c.principal.AccountID, name)
	}
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName   xml.Name `xml:"CreateAccessKeyResult"`
		AccessKey accessKeyXML
	}{AccessKey: accessKeyXML{UserName: k.UserName, AccessKeyId: k.ID, Status: k.Status, SecretAccessKey: secret, CreateDate: isoTime(k.Created)}}), nil
}

func (s *Server) iamListAccessKeys(c *call, p url.Values) (any, error) {
	name, root, err := s.keyUser(c, p)
	if err != nil {
		return nil, err
	}
	var keys []identity.AccessKey
	if root {
		keys, err = s.cfg.Identity.RootAccessKeys(c.ctx, c.principal.AccountID)
	} else {
		keys, err = s.cfg.Identity.ListAccessKeys(c.ctx, c.principal.AccountID, name)
	}
	if err != nil {
		return nil, err
	}
	members := make([]accessKeyXML, 0, len(keys))
	for _, k := range keys {
		members = append(members, accessKeyXML{UserName: k.UserName, AccessKeyId: k.ID, Status: k.Status, CreateDate: isoTime(k.Created)})
	}
	return respond(c, struct {
		XMLName           xml.Name       `xml:"ListAccessKeysResult"`
		AccessKeyMetadata []accessKeyXML `xml:"AccessKeyMetadata>member"`
		IsTruncated       bool
	}{AccessKeyMetadata: members}), nil
}

func (s *Server) iamDeleteAccessKey(c *call, p url.Values) (any, error) {
	id, err := accessKeyIDParam(p)
	if err != nil {
		return nil, err
	}
	name, root, err := s.keyUser(c, p)
	if err != nil {
		return nil, err
	}
	if root {
		err = s.cfg.Identity.DeleteRootAccessKey(c.ctx, c.principal.AccountID, id)
	} else {
		err = s.cfg.Identity.DeleteAccessKey(c.ctx, c.principal.AccountID, name, id)
	}
	if err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

type roleXML struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	Description              string `xml:",omitempty"`
	MaxSessionDuration       int
	Tags                     []tagXML `xml:"Tags>member,omitempty"`
}

// encodePolicy percent-encodes a policy document as IAM returns it.
func encodePolicy(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func toRoleXML(r *identity.Role) roleXML {
	return roleXML{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN(), CreateDate: isoTime(r.Created),
		AssumeRolePolicyDocument: encodePolicy(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration}
}

func checkPolicyDocument(v *violations, member string, p url.Values, param string) string {
	v.required(member, p.Has(param))
	doc := p.Get(param)
	if p.Has(param) {
		v.length(member, doc, true, 1, 131072)
	}
	return doc
}

func (s *Server) iamCreateRole(c *call, p url.Values) (any, error) {
	v := iamValidation()
	name := p.Get("RoleName")
	v.required("roleName", p.Has("RoleName"))
	checkIAMName(v, "roleName", name, 64)
	path := pathParam(v, p)
	doc := checkPolicyDocument(v, "assumeRolePolicyDocument", p, "AssumeRolePolicyDocument")
	desc := p.Get("Description")
	v.length("description", desc, false, 0, 1000)
	maxSession := 3600
	if p.Has("MaxSessionDuration") {
		n, err := strconv.Atoi(p.Get("MaxSessionDuration"))
		if err != nil || n < 3600 || n > 43200 {
			v.add("maxSessionDuration", p.Get("MaxSessionDuration"), false, "Member must have value between 3600 and 43200")
		}
		maxSession = n
	}
	tags := tagsParam(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	c.target = s.iamARN(c, "role", path, name)
	if err := s.cfg.Identity.Authorize(c.ctx, c.principal, "iam:"+c.op, c.target, tagConditions(tags)); err != nil {
		return nil, err
	}
	r, err := s.cfg.Identity.CreateRole(c.ctx, c.principal.AccountID, name, path, desc, doc, maxSession, tags...)
	if err != nil {
		return nil, err
	}
	out := toRoleXML(r)
	out.Tags = tagsXML(r.Tags)
	return respond(c, struct {
		XMLName xml.Name `xml:"CreateRoleResult"`
		Role    roleXML
	}{Role: out}), nil
}

func (s *Server) roleName(c *call, p url.Values) (string, error) {
	v := iamValidation()
	name := p.Get("RoleName")
	v.required("roleName", p.Has("RoleName"))
	checkIAMName(v, "roleName", name, 64)
	if err := v.err(); err != nil {
		return "", err
	}
	return name, s.authorizeEntity(c, "role", name)
}

func (s *Server) iamGetRole(c *call, p url.Values) (any, error) {
	name, err := s.roleName(c, p)
	if err != nil {
		return nil, err
	}
	r, err := s.cfg.Identity.GetRole(c.ctx, c.principal.AccountID, name)
	if err != nil {
		return nil, err
	}
	out := toRoleXML(r)
	out.Tags = tagsXML(r.Tags)
	return respond(c, struct {
		XMLName xml.Name `xml:"GetRoleResult"`
		Role    roleXML
	}{Role: out}), nil
}

func (s *Server) iamDeleteRole(c *call, p url.Values) (any, error) {
	name, err := s.roleName(c, p)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.DeleteRole(c.ctx, c.principal.AccountID, name); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

// inlinePolicy validates and authorizes Put/Delete{User,Role}Policy and
// applies it.
func (s *Server) inlinePolicy(c *call, p url.Values, owner string, put bool) (any, error) {
	v := iamValidation()
	ownerName := ownerParam(v, p, owner)
	policyName := p.Get("PolicyName")
	v.required("policyName", p.Has("PolicyName"))
	checkIAMName(v, "policyName", policyName, 128)
	var doc string
	if put {
		doc = checkPolicyDocument(v, "policyDocument", p, "PolicyDocument")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, owner, ownerName); err != nil {
		return nil, err
	}
	var err error
	if put {
		err = s.cfg.Identity.PutPolicy(c.ctx, c.principal.AccountID, owner, ownerName, policyName, doc)
	} else {
		err = s.cfg.Identity.DeletePolicy(c.ctx, c.principal.AccountID, owner, ownerName, policyName)
	}
	if err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) iamPutUserPolicy(c *call, p url.Values) (any, error) {
	return s.inlinePolicy(c, p, "user", true)
}
func (s *Server) iamPutRolePolicy(c *call, p url.Values) (any, error) {
	return s.inlinePolicy(c, p, "role", true)
}
func (s *Server) iamDeleteUserPolicy(c *call, p url.Values) (any, error) {
	return s.inlinePolicy(c, p, "user", false)
}
func (s *Server) iamDeleteRolePolicy(c *call, p url.Values) (any, error) {
	return s.inlinePolicy(c, p, "role", false)
}
