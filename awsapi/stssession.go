package awsapi

import (
	"encoding/xml"
	"errors"
	"net/url"
	"strconv"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
)

// STS GetSessionToken and GetAccessKeyInfo.

func (s *Server) getSessionToken(c *call, p url.Values) (any, error) {
	v := iamValidation()
	duration := identity.DefaultSessionTokenSeconds
	if p.Has("DurationSeconds") {
		n, err := strconv.Atoi(p.Get("DurationSeconds"))
		switch {
		case err != nil:
			v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must be an integer")
		case n < identity.MinSessionTokenSeconds:
			v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must have value greater than or equal to 900")
		case n > identity.MaxSessionTokenSeconds:
			v.add("durationSeconds", p.Get("DurationSeconds"), false, "Member must have value less than or equal to 129600")
		}
		duration = n
	}
	if p.Has("SerialNumber") {
		v.length("serialNumber", p.Get("SerialNumber"), false, 9, 256)
	}
	if p.Has("TokenCode") {
		v.length("tokenCode", p.Get("TokenCode"), false, 6, 6)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if p.Has("SerialNumber") || p.Has("TokenCode") {
		// connectfed has no MFA devices: no code can be valid.
		return nil, connectfed.TypedErrorf(connectfed.EFORBIDDEN, connectfed.AccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}
	out, err := s.cfg.Identity.GetSessionToken(c.ctx, c.principal, duration)
	if err != nil {
		return nil, err
	}
	sess := out.Session
	c.target = c.principal.ARN
	return respond(c, struct {
		XMLName     xml.Name `xml:"GetSessionTokenResult"`
		Credentials struct {
			AccessKeyId     string
			SecretAccessKey string
			SessionToken    string
			Expiration      string
		}
	}{Credentials: struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}{sess.AccessKeyID, out.Secret, out.Token, isoTime(sess.Expires)}}), nil
}

func (s *Server) getAccessKeyInfo(c *call, p url.Values) (any, error) {
	id, err := accessKeyIDParam(p)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.Authorize(c.ctx, c.principal, "sts:GetAccessKeyInfo", "*", nil); err != nil {
		return nil, err
	}
	acct, err := s.cfg.Identity.AccessKeyAccount(c.ctx, id)
	if errors.Is(err, connectfed.ErrNotFound) {
		// AWS decodes the account from any well-formed key id; connectfed's
		// ids are random, so one it never issued names no account.
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ValidationError, "The access key %s was not issued by this server.", id)
	}
	if err != nil {
		return nil, err
	}
	return respond(c, struct {
		XMLName xml.Name `xml:"GetAccessKeyInfoResult"`
		Account string
	}{Account: acct}), nil
}
