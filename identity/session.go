package identity

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// Limits AWS applies to a role session's inputs.
const (
	// MaxSessionPolicyChars is the plaintext limit of the inline session
	// policy ("can't exceed 2,048 characters").
	MaxSessionPolicyChars = 2048
	// MaxSessionTags is the number of session tags, inherited transitive
	// tags included.
	MaxSessionTags = 50
	// MaxSessionPolicyARNs is the number of managed session policies.
	MaxSessionPolicyARNs = 10
	// packedLimit is the packed (compressed) size that PackedPolicySize is
	// a percentage of. AWS does not publish its packing; connectfed packs
	// the session policy without insignificant white space and the tags
	// with DEFLATE and compares against this many bytes (decision).
	packedLimit = 1024
)

// SessionSpec is what a new role session is asked to carry, however it was
// asked for: AssumeRole, AssumeRoleWithSAML or AssumeRoleWithWebIdentity.
// Field values are assumed to have passed the wire's validation of the
// STS model (lengths and patterns); SessionSpec checks the rest.
type SessionSpec struct {
	SessionName     string
	DurationSeconds int
	// Policy is the inline session policy ("" for none).
	Policy string
	// PolicyARNs are managed session policies: the role's account's
	// customer managed policies or AWS managed ones.
	PolicyARNs        []string
	Tags              []connectfed.SessionTag
	TransitiveTagKeys []string
	SourceIdentity    string
}

// SessionPlan is a checked SessionSpec, ready for IssueSession: the session
// policy parsed, the tags merged with those a chained session inherits.
type SessionPlan struct {
	Spec SessionSpec
	// Tags are the new session's tags: the requested ones and, in a
	// chain, the caller's transitive tags. TransitiveTagKeys likewise.
	Tags              []connectfed.SessionTag
	TransitiveTagKeys []string
	SourceIdentity    string
	// PackedPolicySize is the percentage of the packed limit used, when a
	// session policy or tags were passed (-1 otherwise).
	PackedPolicySize int
}

// HasRequestTags reports whether the request passes session tags (so the
// trust policy must allow sts:TagSession).
func (sp *SessionSpec) HasRequestTags() bool {
	return len(sp.Tags) > 0 || len(sp.TransitiveTagKeys) > 0
}

// RequestKeys are the condition keys of the session request itself, for
// the trust policy and the caller's own policies: aws:RequestTag/<key>,
// aws:TagKeys, sts:TransitiveTagKeys, sts:RoleSessionName,
// sts:SourceIdentity.
func (sp *SessionSpec) RequestKeys() map[string][]string {
	m := map[string][]string{}
	if sp.SessionName != "" {
		m["sts:RoleSessionName"] = []string{sp.SessionName}
	}
	if len(sp.Tags) > 0 {
		keys := make([]string, 0, len(sp.Tags))
		for _, t := range sp.Tags {
			m["aws:RequestTag/"+t.Key] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		m["aws:TagKeys"] = keys
	}
	if len(sp.TransitiveTagKeys) > 0 {
		m["sts:TransitiveTagKeys"] = append([]string(nil), sp.TransitiveTagKeys...)
	}
	if sp.SourceIdentity != "" {
		m["sts:SourceIdentity"] = []string{sp.SourceIdentity}
	}
	return m
}

// sessionPolicyMissing is STS's refusal of a PolicyArns entry that names
// no managed policy the role's account can use.
func sessionPolicyMissing(arn string) error {
	return iamErr(connectfed.EINVALID, connectfed.MalformedPolicyDocument, "Policy %s does not exist or is not attachable.", arn)
}

func invalidParam(format string, args ...any) error {
	return iamErr(connectfed.EINVALID, connectfed.InvalidParameterValue, format, args...)
}

// PrepareSession checks a session request as STS does and merges what a
// chained session inherits from the caller's session (inherited: nil when
// the caller is not a role session). Errors are AWS's:
// MalformedPolicyDocument for a bad session policy or an unknown managed
// policy ARN, ValidationError and InvalidParameterValue for bad tags and
// source identity, PackedPolicyTooLarge when policy and tags do not pack.
func PrepareSession(spec SessionSpec, inherited *connectfed.SessionInfo) (*SessionPlan, error) {
	plan := &SessionPlan{Spec: spec, PackedPolicySize: -1}
	var compact string
	if spec.Policy != "" {
		if n := len([]rune(spec.Policy)); n > MaxSessionPolicyChars {
			return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError,
				"1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionPolicyChars)
		}
		if _, err := iam.ParseIdentityPolicy(spec.Policy); err != nil {
			return nil, malformed(err)
		}
		compact = compactJSON(spec.Policy)
	}
	if len(spec.PolicyARNs) > MaxSessionPolicyARNs {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError,
			"1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionPolicyARNs)
	}
	for _, arn := range spec.PolicyARNs {
		if _, _, _, ok := ParsePolicyARN(arn); !ok {
			return nil, sessionPolicyMissing(arn)
		}
	}

	// Tags: unique keys regardless of case; transitive keys among them; an
	// inherited transitive tag cannot be set again.
	seen := map[string]bool{}
	for _, t := range spec.Tags {
		k := tagKeyFold(t.Key)
		if seen[k] {
			return nil, invalidParam("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	for _, k := range spec.TransitiveTagKeys {
		if !seen[tagKeyFold(k)] {
			return nil, invalidParam("The specified transitive tag key must be included in the requested tags.")
		}
	}
	plan.Tags = append(plan.Tags, spec.Tags...)
	plan.TransitiveTagKeys = append(plan.TransitiveTagKeys, spec.TransitiveTagKeys...)
	plan.SourceIdentity = spec.SourceIdentity
	if strings.HasPrefix(strings.ToLower(spec.SourceIdentity), "aws:") {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError, "SourceIdentity cannot start with the reserved prefix 'aws:'.")
	}
	if inherited != nil {
		transitive := map[string]bool{}
		for _, k := range inherited.TransitiveTagKeys {
			transitive[tagKeyFold(k)] = true
		}
		for _, t := range inherited.Tags {
			k := tagKeyFold(t.Key)
			if !transitive[k] {
				continue
			}
			if seen[k] {
				return nil, invalidParam("One or more of the specified session tag keys conflict with transitive tags of the calling session.")
			}
			seen[k] = true
			plan.Tags = append(plan.Tags, t)
			plan.TransitiveTagKeys = append(plan.TransitiveTagKeys, t.Key)
		}
		if inherited.SourceIdentity != "" {
			if spec.SourceIdentity != "" && spec.SourceIdentity != inherited.SourceIdentity {
				return nil, iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "The source identity of a role session cannot be changed in a role chain.")
			}
			plan.SourceIdentity = inherited.SourceIdentity
		}
	}
	if len(plan.Tags) > MaxSessionTags {
		return nil, iamErr(connectfed.EINVALID, connectfed.ValidationError,
			"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionTags)
	}
	if spec.Policy != "" || len(spec.PolicyARNs) > 0 || len(plan.Tags) > 0 {
		size := packedPercent(compact, plan.Tags)
		if size > 100 {
			if spec.Policy != "" {
				return nil, iamErr(connectfed.EINVALID, connectfed.PackedPolicyTooLarge, "Packed policy consumes %d%% of allotted space, please use smaller policy.", size)
			}
			return nil, iamErr(connectfed.EINVALID, connectfed.PackedPolicyTooLarge, "Packed size of session tags consumes %d%% of allotted space.", size)
		}
		plan.PackedPolicySize = size
	}
	return plan, nil
}

// packedPercent is the packed size of a session policy and tags as a
// percentage of packedLimit, rounded up.
func packedPercent(policy string, tags []connectfed.SessionTag) int {
	var raw bytes.Buffer
	raw.WriteString(policy)
	for _, t := range tags {
		raw.WriteByte(0)
		raw.WriteString(t.Key)
		raw.WriteByte(0)
		raw.WriteString(t.Value)
	}
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	w.Write(raw.Bytes())
	w.Close()
	return (out.Len()*100 + packedLimit - 1) / packedLimit
}

// compactJSON drops the white space outside strings.
func compactJSON(doc string) string {
	var b strings.Builder
	inStr, esc := false, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case inStr:
			b.WriteByte(c)
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			b.WriteByte(c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IssueSession makes temporary credentials for role as planned. The caller
// has authorized the request (trust policy, the caller's own permissions,
// sts:TagSession and sts:SetSourceIdentity where needed) and checked the
// duration against the role's limits. The session lives in its token (see
// sealSession): issuing it writes nothing to the store.
func (s *Service) IssueSession(ctx context.Context, role *Role, plan *SessionPlan) (*AssumedRole, error) {
	if len(plan.Spec.PolicyARNs) > 0 {
		err := s.Store.View(ctx, func(tx connectfed.Tx) error {
			for _, arn := range plan.Spec.PolicyARNs {
				_, err := getPolicyByARN(tx, role.AccountID, arn)
				if errors.Is(err, connectfed.ErrNotFound) {
					return sessionPolicyMissing(arn)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	now := s.now()
	sess := &Session{
		AccountID: role.AccountID, AccessKeyID: awsID("ASIA", 16), RoleName: role.Name, RoleID: role.ID, RolePath: role.Path,
		SessionName: plan.Spec.SessionName, Created: now, Expires: now.Add(time.Duration(plan.Spec.DurationSeconds) * time.Second),
		Policy: plan.Spec.Policy, PolicyARNs: plan.Spec.PolicyARNs, Tags: plan.Tags, TransitiveTagKeys: plan.TransitiveTagKeys, SourceIdentity: plan.SourceIdentity,
	}
	// The token carries the session; nothing is written.
	token, secret, err := s.sealSession(sess)
	if err != nil {
		return nil, err
	}
	return &AssumedRole{Session: sess, Secret: secret, Token: token, PackedPolicySize: plan.PackedPolicySize}, nil
}
