package awsapi

import (
	"slices"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
)

// Instance attributes.
func init() {
	connectRoutes = append(connectRoutes,
		restRoute{"GET", splitPattern("/instance/{}/attribute/{}"), "DescribeInstanceAttribute", (*Server).describeInstanceAttribute},
		restRoute{"POST", splitPattern("/instance/{}/attribute/{}"), "UpdateInstanceAttribute", (*Server).updateInstanceAttribute},
		restRoute{"GET", splitPattern("/instance/{}/attributes"), "ListInstanceAttributes", (*Server).listInstanceAttributes},
	)
}

type attributeJSON struct{ AttributeType, Value string }

func checkAttributeType(v *violations, typ string) {
	v.enum("attributeType", typ, connect.InstanceAttributeTypes...)
}

func (s *Server) describeInstanceAttribute(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	checkAttributeType(v, l[1])
	if err := s.onInstance(c, l[0], v, nil); err != nil {
		return nil, err
	}
	inst, err := s.cfg.Connect.GetInstance(c.ctx, c.scope, connect.ResolveInstanceID(c.scope, l[0]))
	if err != nil {
		return nil, err
	}
	return struct{ Attribute attributeJSON }{attributeJSON{l[1], connect.InstanceAttribute(inst, l[1])}}, nil
}

func (s *Server) updateInstanceAttribute(c *call, l []string) (any, error) {
	var in struct {
		Value       *string
		ClientToken *string
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	checkAttributeType(v, l[1])
	v.required("value", in.Value != nil)
	if in.Value != nil {
		v.length("value", *in.Value, false, 1, 100)
	}
	if in.ClientToken != nil {
		v.length("clientToken", *in.ClientToken, false, 0, 500)
	}
	if err := s.onInstance(c, l[0], v, nil); err != nil {
		return nil, err
	}
	if *in.Value != "true" && *in.Value != "false" {
		return nil, invalidRequestErr("Invalid value %s for attribute %s: expected true or false.", *in.Value, l[1])
	}
	return nil, s.cfg.Connect.SetInstanceAttribute(c.ctx, c.scope, l[0], l[1], *in.Value)
}

func (s *Server) listInstanceAttributes(c *call, l []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	limit := queryInt(c, "maxResults", 7, 1, 7, v)
	if err := s.onInstance(c, l[0], v, nil); err != nil {
		return nil, err
	}
	id := connect.ResolveInstanceID(c.scope, l[0])
	inst, err := s.cfg.Connect.GetInstance(c.ctx, c.scope, id)
	if err != nil {
		return nil, err
	}
	listing := c.op + "/" + c.scope.AccountID + "/" + c.scope.Region + "/" + id
	after, err := s.pager.cursor(listing, c.r.URL.Query().Get("nextToken"), connectfed.InvalidParameterException)
	if err != nil {
		return nil, err
	}
	types := connect.InstanceAttributeTypes
	if after != "" {
		types = types[slices.Index(types, after)+1:]
	}
	out := struct {
		Attributes []attributeJSON
		NextToken  string `json:",omitempty"`
	}{Attributes: []attributeJSON{}}
	for i, t := range types {
		if i == limit {
			out.NextToken = s.pager.token(listing, types[i-1])
			break
		}
		out.Attributes = append(out.Attributes, attributeJSON{t, connect.InstanceAttribute(inst, t)})
	}
	return out, nil
}
