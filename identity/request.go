package identity

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
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
func (s *Service) requestContext(ctx context.Context, p *connectfed.Principal, extra map[string][]string) map[string][]string {
	// One map, sized for every key up front (this runs on every request).
	n := 16 + len(extra)
	if p.Session != nil {
		n += len(p.Session.Tags)
	}
	m := s.globalContextSized(ctx, n)
	addPrincipalContext(m, p)
	for k, v := range extra {
		m[k] = v
	}
	return m
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
	m["aws:CurrentTime"] = []string{now.Format(time.RFC3339)}
	m["aws:EpochTime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	m["aws:ViaAWSService"] = []string{"false"}
	m["aws:PrincipalIsAWSService"] = []string{"false"}
	if info := requestInfo(ctx); info != nil {
		if info.SourceIP != "" {
			m["aws:SourceIp"] = []string{info.SourceIP}
		}
		m["aws:SecureTransport"] = []string{strconv.FormatBool(info.SecureTransport)}
		if info.Region != "" {
			m["aws:RequestedRegion"] = []string{info.Region}
		}
	}
	return m
}

// principalContext is the aws: condition keys a principal brings.
func principalContext(p *connectfed.Principal) map[string][]string {
	ctx := make(map[string][]string, 8)
	addPrincipalContext(ctx, p)
	return ctx
}

// addPrincipalContext adds a principal's aws: condition keys to ctx.
func addPrincipalContext(ctx map[string][]string, p *connectfed.Principal) {
	ctx["aws:userid"] = []string{p.UserID}
	ctx["aws:PrincipalAccount"] = []string{p.AccountID}
	ctx["aws:PrincipalArn"] = []string{p.ARN}
	ctx["aws:PrincipalType"] = []string{string(p.Type)}
	switch p.Type {
	case connectfed.PrincipalUser:
		ctx["aws:username"] = []string{p.Name}
	case connectfed.PrincipalAssumedRole:
		// The role's ARN with its path, as AWS sets it (the pattern
		// role/aws-reserved/sso.amazonaws.com/* depends on the path).
		path := p.RolePath
		if path == "" {
			path = "/"
		}
		ctx["aws:PrincipalArn"] = []string{"arn:aws:iam::" + p.AccountID + ":role" + path + p.RoleName}
	}
	for _, t := range p.Tags {
		ctx["aws:PrincipalTag/"+t.Key] = []string{t.Value}
	}
	if si := p.Session; si != nil {
		ctx["aws:TokenIssueTime"] = []string{si.Issued.UTC().Format(time.RFC3339)}
		ctx["aws:MultiFactorAuthPresent"] = []string{"false"}
		for _, t := range si.Tags {
			ctx["aws:PrincipalTag/"+t.Key] = []string{t.Value}
		}
		if si.SourceIdentity != "" {
			ctx["aws:SourceIdentity"] = []string{si.SourceIdentity}
		}
	}
}

// tagKeyFold is a tag key compared case-insensitively (session tag keys
// are unique regardless of case).
func tagKeyFold(k string) string { return strings.ToLower(k) }
