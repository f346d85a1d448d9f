package awsapi

import (
	"encoding/xml"
	"github.com/connectfed/connectfed"
	"net/url"
	"regexp"
	"strconv"

	"github.com/connectfed/connectfed/identity"
)

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)

func (s *Server) assumeRole(c *call, p url.Values) (any, error) {
	v := &violations{errType: connectfed.ValidationError}
	roleARN := p.Get("RoleArn")
	v.required("roleArn", p.Has("RoleArn"))
	v.length("roleArn", roleARN, false, 20, 2048)
	name := p.Get("RoleSessionName")
	v.required("roleSessionName", p.Has("RoleSessionName"))
	v.length("roleSessionName", name, false, 2, 64)
	v.pattern("roleSessionName", name, false, sessionNameRE, `[\w+=,.@-]*`)
	duration := 3600
	if p.Has("DurationSeconds") {
		n, err := strconv.Atoi(p.Get("DurationSeconds"))
		switch {
		case err != nil:
			v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must be an integer")
		case n < 900:
			v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must have value greater than or equal to 900")
		case n > 43200:
			v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must have value less than or equal to 43200")
		}
		duration = n
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c.target = roleARN
	out, err := s.cfg.Identity.AssumeRole(c.ctx, c.principal, identity.AssumeRoleInput{RoleARN: roleARN, SessionName: name, DurationSeconds: duration})
	if err != nil {
		return nil, err
	}
	sess := out.Session
	p2 := sess.Principal()
	type credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type assumedRoleUser struct {
		AssumedRoleId string
		Arn           string
	}
	return respond(c, struct {
		XMLName         xml.Name `xml:"AssumeRoleResult"`
		Credentials     credentials
		AssumedRoleUser assumedRoleUser
	}{
		Credentials:     credentials{sess.AccessKeyID, out.Secret, out.Token, isoTime(sess.Expires)},
		AssumedRoleUser: assumedRoleUser{p2.UserID, p2.ARN},
	}), nil
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
