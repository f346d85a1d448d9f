package awsapi

import (
	"encoding/xml"
	"fmt"
	"net/url"

	"github.com/connectfed/connectfed"
)

// IAM tags on users and roles: TagUser, UntagUser, ListUserTags, TagRole,
// UntagRole, ListRoleTags.

func (s *Server) tagCall(c *call, p url.Values, kind string) (any, error) {
	v := iamValidation()
	name := ownerParam(v, p, kind)
	tags := tagsParam(v, p)
	if len(tags) == 0 {
		v.required("tags", false)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, kind, name, tagConditions(tags)); err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.TagEntity(c.ctx, c.principal.AccountID, kind, name, tags); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) untagCall(c *call, p url.Values, kind string) (any, error) {
	v := iamValidation()
	name := ownerParam(v, p, kind)
	keys := queryList(p, "TagKeys", "")
	if len(keys) == 0 {
		v.required("tagKeys", false)
	}
	if len(keys) > 50 {
		v.add("tagKeys", "", true, "Member must have length less than or equal to 50")
	}
	for i, k := range keys {
		member := fmt.Sprintf("tagKeys.%d.member", i+1)
		v.length(member, k, false, 1, 128)
		if k != "" {
			v.pattern(member, k, false, sessionTagKeyRE, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, kind, name, map[string][]string{"aws:TagKeys": keys}); err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.UntagEntity(c.ctx, c.principal.AccountID, kind, name, keys); err != nil {
		return nil, err
	}
	return respond(c, nil), nil
}

func (s *Server) listTagsCall(c *call, p url.Values, kind string) (any, error) {
	v := iamValidation()
	name := ownerParam(v, p, kind)
	maxItems, marker := iamPage(v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(c, kind, name); err != nil {
		return nil, err
	}
	var tags []connectfed.SessionTag
	if kind == "user" {
		u, err := s.cfg.Identity.GetUser(c.ctx, c.principal.AccountID, name)
		if err != nil {
			return nil, err
		}
		tags = u.Tags
	} else {
		r, err := s.cfg.Identity.GetRole(c.ctx, c.principal.AccountID, name)
		if err != nil {
			return nil, err
		}
		tags = r.Tags
	}
	// Pages by position: tags keep the order they were set in.
	keys := make([]string, len(tags))
	for i := range tags {
		keys[i] = fmt.Sprintf("%03d", i)
	}
	start, end, next, err := s.pageOf(c, kind+"\x00"+name, keys, maxItems, marker)
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name
		Tags    []tagXML `xml:"Tags>member"`
		listPage
	}{XMLName: xml.Name{Local: c.op + "Result"}, Tags: tagsXML(tags[start:end]), listPage: page(next)}), nil
}

func (s *Server) iamTagUser(c *call, p url.Values) (any, error)   { return s.tagCall(c, p, "user") }
func (s *Server) iamTagRole(c *call, p url.Values) (any, error)   { return s.tagCall(c, p, "role") }
func (s *Server) iamUntagUser(c *call, p url.Values) (any, error) { return s.untagCall(c, p, "user") }
func (s *Server) iamUntagRole(c *call, p url.Values) (any, error) { return s.untagCall(c, p, "role") }
func (s *Server) iamListUserTags(c *call, p url.Values) (any, error) {
	return s.listTagsCall(c, p, "user")
}
func (s *Server) iamListRoleTags(c *call, p url.Values) (any, error) {
	return s.listTagsCall(c, p, "role")
}
