package identity

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// RequestInfo is what the wire knows about a request that policies may
// test through AWS's global condition keys.
type RequestInfo struct {
	// SourceIP is the client address (aws:SourceIp): the TCP peer, or the
	// address a trusted proxy reported for it.
	SourceIP string
	// SecureTransport is aws:SecureTransport: the request came over TLS.
	SecureTransport bool
	// Region is aws:RequestedRegion: the region of the credential scope.
	Region string
}

type requestInfoKey struct{}

// WithRequest attaches the request's RequestInfo to ctx, for Authorize.
func WithRequest(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

func requestInfo(ctx context.Context) *RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return info
}

// requestContext is every condition key AWS sets on a request by this
// principal: the principal's keys (principalContext), the request's global
// keys, and the operation's own keys (extra, which win).
//
// Always present: aws:CurrentTime, aws:EpochTime, aws:PrincipalAccount,
// aws:PrincipalArn, aws:PrincipalType, aws:userid, aws:PrincipalIsAWSService
// and aws:ViaAWSService ("false": no AWS service calls connectfed on a
// principal's behalf, so aws:CalledVia is never set); with a request:
// aws:SourceIp, aws:SecureTransport, aws:RequestedRegion. IAM users add
// aws:username; temporary credentials add aws:TokenIssueTime,
// aws:MultiFactorAuthPresent ("false": connectfed has no MFA), and their
// session tags and source identity. aws:PrincipalTag/<key> are the user's
// or the role's IAM tags, a session tag winning over a role tag.
//
// The principal's keys are a layer of their own (iam.Request's
// PrincipalContext), made once per cached credential rather than copied
// into every request's map.
func (s *Service) requestContext(ctx context.Context, p *connectfed.Principal, extra map[string][]string) condKeys {
	own := s.globalContextSized(ctx, 7+len(extra)) // one map, sized up front: this runs on every request
	for k, v := range extra {
		own[k] = v
	}
	return condKeys{own: own, principal: s.principalKeys(p)}
}

// condKeys are a request's condition keys in two layers: the request's
// own over the principal's.
type condKeys struct{ own, principal map[string][]string }

// request is the iam.Request of an action on a resource with these keys.
func (k condKeys) request(action, resource string) *iam.Request {
	return &iam.Request{Action: action, Resource: resource, Context: k.own, PrincipalContext: k.principal}
}

// principalKeys are p's condition keys: those made when its credential was
// cached, while that credential is still the cached one, else made now.
func (s *Service) principalKeys(p *connectfed.Principal) map[string][]string {
	if c, ok := s.creds.Get(p.AccessKeyID, s.now()); ok && c.Principal == p && c.keys != nil {
		return c.keys
	}
	return principalContext(p)
}

// values hands out one-element value slices from one backing array, so a
// context of a dozen keys costs one allocation for its values rather than
// one per key. Each slice is capped at its element: an append copies.
type values []string

func newValues(n int) *values {
	v := make(values, 0, n)
	return &v
}

func (v *values) one(s string) []string {
	*v = append(*v, s)
	i := len(*v) - 1
	return (*v)[i : i+1 : i+1]
}

// globalContext is the request's keys that do not depend on the principal:
// the time, aws:ViaAWSService, aws:PrincipalIsAWSService and, with a
// RequestInfo, the source address, transport and region.
func (s *Service) globalContext(ctx context.Context) map[string][]string {
	return s.globalContextSized(ctx, 8)
}

func (s *Service) globalContextSized(ctx context.Context, size int) map[string][]string {
	now := s.now()
	m := make(map[string][]string, size)
	t := timeKeys(now)
	m["aws:CurrentTime"] = t.current
	m["aws:EpochTime"] = t.epoch
	m["aws:ViaAWSService"] = t.no
	m["aws:PrincipalIsAWSService"] = t.no
	v := newValues(3)
	if info := requestInfo(ctx); info != nil {
		if info.SourceIP != "" {
			m["aws:SourceIp"] = v.one(info.SourceIP)
		}
		m["aws:SecureTransport"] = v.one(strconv.FormatBool(info.SecureTransport))
		if info.Region != "" {
			m["aws:RequestedRegion"] = v.one(info.Region)
		}
	}
	return m
}

// secondKeys are the values of the time keys for one second, and "false",
// shared by every request context of that second. Shared values are never
// changed in place (each is capped: an append copies).
type secondKeys struct {
	sec                int64
	current, epoch, no []string
}

var lastSecond atomic.Pointer[secondKeys]

func timeKeys(now time.Time) *secondKeys {
	sec := now.Unix()
	if k := lastSecond.Load(); k != nil && k.sec == sec {
		return k
	}
	v := newValues(3)
	k := &secondKeys{sec: sec, current: v.one(now.UTC().Format(time.RFC3339)), epoch: v.one(strconv.FormatInt(sec, 10)), no: v.one("false")}
	lastSecond.Store(k)
	return k
}

// principalContext is the aws: condition keys a principal brings.
func principalContext(p *connectfed.Principal) map[string][]string {
	ctx := make(map[string][]string, 8)
	addPrincipalContext(ctx, p)
	return ctx
}

// addPrincipalContext adds a principal's aws: condition keys to ctx.
func addPrincipalContext(ctx map[string][]string, p *connectfed.Principal) {
	n := 8 + len(p.Tags)
	if p.Session != nil {
		n += len(p.Session.Tags)
	}
	v := newValues(n)
	ctx["aws:userid"] = v.one(p.UserID)
	ctx["aws:PrincipalAccount"] = v.one(p.AccountID)
	ctx["aws:PrincipalArn"] = v.one(p.ARN)
	ctx["aws:PrincipalType"] = v.one(string(p.Type))
	switch p.Type {
	case connectfed.PrincipalUser:
		ctx["aws:username"] = v.one(p.Name)
	case connectfed.PrincipalAssumedRole:
		// The role's ARN with its path, as AWS sets it (the pattern
		// role/aws-reserved/sso.amazonaws.com/* depends on the path).
		path := p.RolePath
		if path == "" {
			path = "/"
		}
		ctx["aws:PrincipalArn"] = v.one("arn:aws:iam::" + p.AccountID + ":role" + path + p.RoleName)
	}
	for _, t := range p.Tags {
		ctx["aws:PrincipalTag/"+t.Key] = v.one(t.Value)
	}
	if si := p.Session; si != nil {
		ctx["aws:TokenIssueTime"] = v.one(si.Issued.UTC().Format(time.RFC3339))
		ctx["aws:MultiFactorAuthPresent"] = v.one("false")
		for _, t := range si.Tags {
			ctx["aws:PrincipalTag/"+t.Key] = v.one(t.Value)
		}
		if si.SourceIdentity != "" {
			ctx["aws:SourceIdentity"] = v.one(si.SourceIdentity)
		}
	}
}

// tagKeyFold is a tag key compared case-insensitively (session tag keys
// are unique regardless of case).
func tagKeyFold(k string) string { return strings.ToLower(k) }
