package iam

// Request is one authorization question: may this caller perform Action on
// Resource, given the request context?
type Request struct {
	// Action, e.g. "connect:GetFederationToken". Matched case-insensitively
	// (ASCII).
	Action string
	// Resource is the full ARN. Matched case-sensitively.
	Resource string
	// Context holds the condition keys of the request ("aws:userid",
	// "aws:username", "aws:PrincipalAccount", "aws:PrincipalArn",
	// "aws:PrincipalType", "aws:SourceIp", "aws:SecureTransport" as
	// "true"/"false", "aws:CurrentTime", "connect:InstanceId", ...). Keys are
	// looked up case-insensitively; lower-case keys are found fastest. A key
	// with no values counts as absent. Context is the only source of
	// condition keys and policy variables: nothing is derived from
	// Principal.
	Context map[string][]string
	// PrincipalContext, when set, holds the keys the principal brings
	// (aws:userid, aws:PrincipalArn, aws:PrincipalTag/…), consulted as if
	// merged into Context, a key in Context winning: a caller can keep
	// them with the principal instead of copying them into every
	// request's Context.
	PrincipalContext map[string][]string
	// Principal is who is asking, for the Principal/NotPrincipal elements of
	// trust policies. Nil when evaluating identity policies.
	Principal *PrincipalInfo
	// PrincipalIDs binds the user and role ARNs a trust policy names to the
	// unique ids those entities had when the policy was stored, as IAM
	// does: a bound ARN matches only the entity with that id (a user's
	// AIDA…, a role's AROA… for its sessions), so a user or role deleted
	// and made again under the same name is no longer trusted. ARNs not in
	// the map match by ARN alone.
	PrincipalIDs map[string]string
}

// PrincipalInfo identifies the caller for Principal matching.
type PrincipalInfo struct {
	ARN       string // arn:aws:iam::ACCT:user/NAME, arn:aws:sts::ACCT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCT:root
	AccountID string // when empty, taken from ARN
	UserID    string // AIDA..., or AROA...:SESSION
	// Federated is set, instead of the fields above, for a caller of
	// AssumeRoleWithSAML or AssumeRoleWithWebIdentity: the IAM provider ARN
	// that vouched for it. It matches only "Federated" principals.
	Federated string
}

// Decision is the outcome of Evaluate.
type Decision int

const (
	// ImplicitDeny: no statement allows the request (the zero value).
	ImplicitDeny Decision = iota
	// Allow: some statement allows it and none denies it.
	Allow
	// ExplicitDeny: some statement denies it; this beats any Allow.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(?)"
}

// Evaluate decides req against all the given policies together, as AWS does
// within one account: an explicit Deny in any statement wins, else an Allow
// in any statement, else ImplicitDeny. Nil policies are skipped. Callers that
// need two independent grants (the caller's identity policy and the role's
// trust policy for sts:AssumeRole) call Evaluate once for each.
func Evaluate(req *Request, policies ...*Policy) Decision {
	if req == nil {
		return ImplicitDeny
	}
	allowed := false
	for _, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.stmts {
			st := &p.stmts[i]
			if !st.applies(req) {
				continue
			}
			if st.deny {
				return ExplicitDeny
			}
			allowed = true
		}
	}
	if allowed {
		return Allow
	}
	return ImplicitDeny
}

func (st *statement) applies(req *Request) bool {
	if !st.coversAction(req) {
		return false
	}

	// Principal. Without a requester (a trust policy evaluated as if it were
	// an identity policy: a caller bug) fail safe: Allow statements do not
	// apply, Deny statements do.
	if st.hasPrincipal {
		if req.Principal == nil {
			if !st.deny {
				return false
			}
		} else if st.principals.match(req.Principal, req.PrincipalIDs) == st.notPrincipal {
			return false
		}
	}

	if !st.coversResource(req) {
		return false
	}

	// Conditions: every (operator, key) pair must hold.
	for i := range st.conds {
		if !st.conds[i].eval(req.keys()) {
			return false
		}
	}
	return true
}

// coversAction: the statement's Action (or NotAction) element covers the
// request's action.
func (st *statement) coversAction(req *Request) bool {
	m := false
	for i := range st.actions {
		if globMatch(st.actions[i].units, req.Action, true) {
			m = true
			break
		}
	}
	return m != st.notAction
}

// coversResource: the statement's Resource (or NotResource) element, if it
// has one, covers the request's resource.
func (st *statement) coversResource(req *Request) bool {
	if !st.hasResource {
		return true
	}
	m := false
	for i := range st.resources {
		if st.resources[i].match(req.keys(), req.Resource, false) {
			m = true
			break
		}
	}
	return m != st.notResource
}
