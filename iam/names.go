package iam

// NamesPrincipal reports whether a trust policy allows req through a
// statement whose Principal names the requester by its own ARN (a user ARN,
// or the role of an assumed-role session) rather than by account or "*",
// and no statement denies it. IAM lets such a trust policy grant a
// same-account AssumeRole on its own, without an identity policy.
func NamesPrincipal(p *Policy, req *Request) bool {
	if p == nil || req == nil || req.Principal == nil {
		return false
	}
	named := false
	for i := range p.stmts {
		st := &p.stmts[i]
		if !st.applies(req) {
			continue
		}
		if st.deny {
			return false
		}
		if !st.hasPrincipal || st.notPrincipal || st.principals.any {
			continue
		}
		only := *st
		only.principals = principalSet{}
		for _, ap := range st.principals.aws {
			if ap.kind != pAccount {
				only.principals.aws = append(only.principals.aws, ap)
			}
		}
		if only.applies(req) {
			named = true
		}
	}
	return named
}
