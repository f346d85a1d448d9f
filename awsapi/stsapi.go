package awsapi

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
)

var (
	sessionNameRE     = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRE      = regexp.MustCompile(`^[\w+=,.@:\/-]*$`)
	sessionTagKeyRE   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	sessionTagValueRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	sessPolicyRE      = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+$`)
)

// queryList reads a query-protocol list: prefix.member.1, .2, ... (with
// suffix, e.g. ".Key"), up to the first missing index.
func queryList(p url.Values, prefix, suffix string) []string {
	var out []string
	for i := 1; ; i++ {
		k := prefix + ".member." + strconv.Itoa(i) + suffix
		if !p.Has(k) {
			return out
		}
		out = append(out, p.Get(k))
	}
}

// sessionInputs reads and validates the inputs a role session takes in
// every AssumeRole* operation: Policy, PolicyArns, Tags,
// TransitiveTagKeys, SourceIdentity (lengths and patterns of the STS
// model; the rest is identity.PrepareSession's).
func sessionInputs(v *violations, p url.Values, spec *identity.SessionSpec) {
	if p.Has("Policy") {
		spec.Policy = p.Get("Policy")
		v.length("policy", spec.Policy, false, 1, 1<<20)
		if spec.Policy != "" {
			v.pattern("policy", spec.Policy, false, sessPolicyRE, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
		}
	}
	for i, arn := range queryList(p, "PolicyArns", ".arn") {
		v.length(fmt.Sprintf("policyArns.%d.member.arn", i+1), arn, false, 20, 2048)
		spec.PolicyARNs = append(spec.PolicyARNs, arn)
	}
	spec.Tags = tagsParam(v, p)
	tks := queryList(p, "TransitiveTagKeys", "")
	if len(tks) > 50 {
		v.add("transitiveTagKeys", "", true, "Member must have length less than or equal to 50")
	}
	for i, k := range tks {
		member := fmt.Sprintf("transitiveTagKeys.%d.member", i+1)
		v.length(member, k, false, 1, 128)
		if k != "" {
			v.pattern(member, k, false, sessionTagKeyRE, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
	}
	spec.TransitiveTagKeys = tks
	if p.Has("SourceIdentity") {
		spec.SourceIdentity = p.Get("SourceIdentity")
		v.length("sourceIdentity", spec.SourceIdentity, false, 2, 64)
		v.pattern("sourceIdentity", spec.SourceIdentity, false, sessionNameRE, `[\w+=,.@-]*`)
	}
}

func (s *Server) assumeRole(c *call, p url.Values) (any, error) {
	v := &violations{errType: connectfed.ValidationError}
	roleARN := p.Get("RoleArn")
	v.required("roleArn", p.Has("RoleArn"))
	v.length("roleArn", roleARN, false, 20, 2048)
	name := p.Get("RoleSessionName")
	v.required("roleSessionName", p.Has("RoleSessionName"))
	v.length("roleSessionName", name, false, 2, 64)
	v.pattern("roleSessionName", name, false, sessionNameRE, `[\w+=,.@-]*`)
	duration := durationParam(v, p)
	if duration == 0 {
		duration = 3600
	}
	in := identity.AssumeRoleInput{RoleARN: roleARN, SessionSpec: identity.SessionSpec{SessionName: name, DurationSeconds: duration}}
	sessionInputs(v, p, &in.SessionSpec)
	if p.Has("ExternalId") {
		in.ExternalID = p.Get("ExternalId")
		v.length("externalId", in.ExternalID, false, 2, 1224)
		v.pattern("externalId", in.ExternalID, false, externalIDRE, `[\w+=,.@:\/-]*`)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c.target = roleARN
	out, err := s.cfg.Identity.AssumeRole(c.ctx, c.principal, in)
	if err != nil {
		return nil, err
	}
	sess := out.Session
	p2 := sess.Principal()
	return encodedXML(appendAssumeRoleXML(make([]byte, 0, 640+len(out.Token)), c.op, queryNamespace(c.service), c.id, assumeRoleXML{
		AccessKeyID: sess.AccessKeyID, Secret: out.Secret, Token: out.Token, Expiration: isoTime(sess.Expires),
		AssumedRoleID: p2.UserID, ARN: p2.ARN, PackedPolicySize: out.PackedPolicySize, SourceIdentity: sess.SourceIdentity,
	})), nil
}

func (s *Server) getCallerIdentity(c *call, _ url.Values) (any, error) {
	// GetCallerIdentity needs no permission, as on AWS.
	return respond(c, struct {
		XMLName xml.Name `xml:"GetCallerIdentityResult"`
		UserId  string
		Account string
		Arn     string
	}{UserId: c.principal.UserID, Account: c.principal.AccountID, Arn: c.principal.ARN}), nil
}

// tagsParam reads Tags.member.N.Key/Value with the STS and IAM models'
// constraints (at most 50; key 1–128, value 0–256 characters of the tag
// alphabet).
func tagsParam(v *violations, p url.Values) []connectfed.SessionTag {
	var tags []connectfed.SessionTag
	keys, values := queryList(p, "Tags", ".Key"), queryList(p, "Tags", ".Value")
	if len(keys) > 50 {
		v.add("tags", "", true, "Member must have length less than or equal to 50")
	}
	for i, k := range keys {
		member := fmt.Sprintf("tags.%d.member", i+1)
		v.length(member+".key", k, false, 1, 128)
		if k != "" {
			v.pattern(member+".key", k, false, sessionTagKeyRE, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
		val := ""
		if i < len(values) {
			val = values[i]
		} else {
			v.required(member+".value", false)
		}
		v.length(member+".value", val, false, 0, 256)
		v.pattern(member+".value", val, false, sessionTagValueRE, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		tags = append(tags, connectfed.SessionTag{Key: k, Value: val})
	}
	return tags
}
