package iam

import "strings"

type awsPrincipalKind uint8

const (
	pAccount awsPrincipalKind = iota // "123456789012" or arn:aws:iam::123456789012:root
	pExact                           // a user, assumed-role session or federated-user ARN
	pRole                            // a role ARN: the role itself and its sessions
)

type awsPrincipal struct {
	kind    awsPrincipalKind
	account string
	arn     string
	role    string // pRole: the role name (last path segment)
}

// principalSet is the compiled Principal (or NotPrincipal) element. Service
// principals are validated but not kept: they never match the principals
// this server authenticates. Federated principals (an IAM SAML or OIDC
// provider ARN, or a provider name such as accounts.google.com) match only a
// caller who comes through that provider (AssumeRoleWithSAML or
// AssumeRoleWithWebIdentity).
type principalSet struct {
	any       bool // "*" or {"AWS": "*"}
	aws       []awsPrincipal
	federated []string
}

// parseAWSPrincipal validates one value of "AWS". Partial wildcards are not
// allowed (AWS: "Invalid principal in policy").
func parseAWSPrincipal(v string) (awsPrincipal, bool) {
	if isAccountID(v) {
		return awsPrincipal{kind: pAccount, account: v}, true
	}
	if strings.ContainsAny(v, "*?") {
		return awsPrincipal{}, false
	}
	var svc string
	switch {
	case strings.HasPrefix(v, "arn:aws:iam::"):
		svc = "iam"
	case strings.HasPrefix(v, "arn:aws:sts::"):
		svc = "sts"
	default:
		return awsPrincipal{}, false
	}
	rest := v[len("arn:aws:iam::"):]
	acct, res, ok := strings.Cut(rest, ":")
	if !ok || !isAccountID(acct) || res == "" {
		return awsPrincipal{}, false
	}
	typ, name, _ := strings.Cut(res, "/")
	switch {
	case svc == "iam" && res == "root":
		return awsPrincipal{kind: pAccount, account: acct}, true
	case svc == "iam" && typ == "user" && validPathName(name):
		return awsPrincipal{kind: pExact, account: acct, arn: v}, true
	case svc == "iam" && typ == "role" && validPathName(name):
		return awsPrincipal{kind: pRole, account: acct, arn: v, role: name[strings.LastIndexByte(name, '/')+1:]}, true
	case svc == "sts" && typ == "assumed-role":
		role, sess, ok := strings.Cut(name, "/")
		if ok && role != "" && sess != "" && !strings.Contains(sess, "/") {
			return awsPrincipal{kind: pExact, account: acct, arn: v}, true
		}
	case svc == "sts" && typ == "federated-user" && name != "" && !strings.Contains(name, "/"):
		return awsPrincipal{kind: pExact, account: acct, arn: v}, true
	}
	return awsPrincipal{}, false
}

// validPathName: "name" or "path/to/name" with no empty segment.
func validPathName(s string) bool {
	if s == "" {
		return false
	}
	for seg := range strings.SplitSeq(s, "/") {
		if seg == "" {
			return false
		}
	}
	return true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// match reports whether the requester is one of the set's principals.
func (ps *principalSet) match(who *PrincipalInfo, bound map[string]string) bool {
	if ps.any {
		return true
	}
	if who.Federated != "" {
		// A web identity or SAML caller is the provider, not an AWS
		// principal: no AWS account or ARN entry names it.
		for _, f := range ps.federated {
			if f == who.Federated {
				return true
			}
		}
		return false
	}
	acct := who.AccountID
	if acct == "" {
		acct = arnAccount(who.ARN)
	}
	for i := range ps.aws {
		p := &ps.aws[i]
		switch p.kind {
		case pAccount:
			if acct != "" && acct == p.account {
				return true
			}
		case pExact:
			if who.ARN == p.arn && boundTo(bound, p.arn, who.UserID) {
				return true
			}
		case pRole:
			if !boundTo(bound, p.arn, roleIDOf(who.UserID)) {
				continue
			}
			if who.ARN == p.arn {
				return true
			}
			// arn:aws:sts::ACCT:assumed-role/ROLE/SESSION is a session of
			// arn:aws:iam::ACCT:role/optional/path/ROLE.
			rest, ok := strings.CutPrefix(who.ARN, "arn:aws:sts::")
			if !ok {
				continue
			}
			a, res, ok := strings.Cut(rest, ":")
			if !ok || a != p.account {
				continue
			}
			res, ok = strings.CutPrefix(res, "assumed-role/")
			if !ok {
				continue
			}
			role, sess, ok := strings.Cut(res, "/")
			if ok && sess != "" && role == p.role {
				return true
			}
		}
	}
	return false
}

// boundTo: the policy's principal arn is not bound to a unique id, or is
// bound to id.
func boundTo(bound map[string]string, arn, id string) bool {
	want, ok := bound[arn]
	return !ok || want == id
}

// roleIDOf is the role's unique id in a session's user id (AROA…:SESSION).
func roleIDOf(userID string) string {
	id, _, _ := strings.Cut(userID, ":")
	return id
}

// PrincipalARNs lists the IAM user and role ARNs that the policy's
// Principal and NotPrincipal elements name: the principals IAM binds to
// the entities' unique ids when it stores the policy.
func (p *Policy) PrincipalARNs() []string {
	var out []string
	seen := map[string]bool{}
	for i := range p.stmts {
		for _, ap := range p.stmts[i].principals.aws {
			if ap.kind == pAccount || seen[ap.arn] || !strings.HasPrefix(ap.arn, "arn:aws:iam::") {
				continue
			}
			seen[ap.arn] = true
			out = append(out, ap.arn)
		}
	}
	return out
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return ""
	}
	for k := 0; k < 3; k++ { // partition, service, region
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	acct, _, _ := strings.Cut(rest, ":")
	return acct
}
