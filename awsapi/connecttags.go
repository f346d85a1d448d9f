package awsapi

import (
	"maps"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// Connect tags: TagResource, UntagResource, ListTagsForResource on every
// taggable resource, and the aws:ResourceTag/, aws:RequestTag/ and
// aws:TagKeys condition keys.
func init() {
	connectRoutes = append(connectRoutes,
		restRoute{"POST", splitPattern("/tags/{}"), "TagResource", (*Server).tagResource},
		restRoute{"DELETE", splitPattern("/tags/{}"), "UntagResource", (*Server).untagResource},
		restRoute{"GET", splitPattern("/tags/{}"), "ListTagsForResource", (*Server).listTagsForResource},
	)
}

// withResourceTags adds aws:ResourceTag/<key> for the tags of the Connect
// resource an ARN names (none when it has none or does not exist: a policy
// that needs them then does not match, as on AWS).
func (s *Server) withResourceTags(c *call, resource string, conditions map[string][]string) map[string][]string {
	if !strings.HasPrefix(resource, "arn:aws:connect:") || s.cfg.Connect == nil {
		return conditions
	}
	tags, err := s.cfg.Connect.ResourceTags(c.ctx, c.scope, resource)
	if err != nil || len(tags) == 0 {
		return conditions
	}
	out := maps.Clone(conditions)
	if out == nil {
		out = map[string][]string{}
	}
	for k, v := range tags {
		out["aws:ResourceTag/"+k] = []string{v}
	}
	return out
}

// withRequestTags adds aws:RequestTag/<key> and aws:TagKeys for the tags a
// request sets.
func withRequestTags(conditions map[string][]string, tags map[string]string) map[string][]string {
	if len(tags) == 0 {
		return conditions
	}
	out := maps.Clone(conditions)
	if out == nil {
		out = map[string][]string{}
	}
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		out["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	out["aws:TagKeys"] = keys
	return out
}

// arnConditions are the conditions of a call on a Connect ARN:
// connect:InstanceId when the ARN names an instance or a resource in one.
func arnConditions(arn string) map[string][]string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		if rest, ok := strings.CutPrefix(parts[5], "instance/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			return map[string][]string{"connect:InstanceId": {id}}
		}
	}
	return nil
}

func checkResourceARN(v *violations, arn string) {
	v.length("resourceArn", arn, false, 1, 1024)
	v.utf8("resourceArn", arn)
	if arn != "" && arnConditions(arn) == nil {
		v.list = append(v.list, "Invalid resource ARN: "+arn)
	}
}

func (s *Server) tagResource(c *call, l []string) (any, error) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkResourceARN(v, l[0])
	v.required("tags", in.Tags != nil)
	checkTags(v, in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, l[0], withRequestTags(arnConditions(l[0]), in.Tags)); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.RetagResource(c.ctx, c.scope, l[0], in.Tags, nil)
}

func (s *Server) untagResource(c *call, l []string) (any, error) {
	keys := c.r.URL.Query()["tagKeys"]
	v := &violations{errType: connectfed.InvalidParameterException}
	checkResourceARN(v, l[0])
	v.required("tagKeys", len(keys) > 0)
	if len(keys) > 50 {
		v.add("tagKeys", "", false, "Member must have length less than or equal to 50")
	}
	for _, k := range keys {
		v.length("tagKeys.member", k, false, 1, 128)
		v.utf8("tagKeys.member", k)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	cond := arnConditions(l[0])
	if cond == nil {
		cond = map[string][]string{}
	}
	cond["aws:TagKeys"] = keys
	if err := s.authorize(c, l[0], cond); err != nil {
		return nil, err
	}
	return nil, s.cfg.Connect.RetagResource(c.ctx, c.scope, l[0], nil, keys)
}

func (s *Server) listTagsForResource(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	checkResourceARN(v, l[0])
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, l[0], arnConditions(l[0])); err != nil {
		return nil, err
	}
	tags, err := s.cfg.Connect.ResourceTags(c.ctx, c.scope, l[0])
	if err != nil {
		return nil, err
	}
	return struct {
		Tags map[string]string `json:"tags"`
	}{tags}, nil
}

// childARN is the ARN of a resource of an instance:
// arn:aws:connect:<region>:<account>:instance/<id>/<kind>/<childID>.
func (s *Server) childARN(c *call, instanceID, kind, childID string) string {
	return s.instanceARN(c, connect.ResolveInstanceID(c.scope, instanceID)) + "/" + kind + "/" + childID
}
