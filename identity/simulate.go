package identity

import (
	"context"
	"errors"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// SimPolicy is one policy of a simulation, with the id and type the
// simulator reports for its statements.
type SimPolicy struct {
	ID     string // the inline policy's name, or "PolicyInputList.N"
	Type   string // "user", "role" or "none"
	Policy *iam.Policy
}

// SimStatement is a statement behind a simulated decision.
type SimStatement struct {
	PolicyID, PolicyType string
	Start, End           iam.Position
}

// SimResult is the simulated decision of one action on one resource.
type SimResult struct {
	Action, Resource string
	Decision         iam.Decision
	Matched          []SimStatement
	Missing          []string // condition keys the deciding statements lacked
	// BoundaryAllowed is whether the permissions boundary allows the
	// action (nil when no boundary was simulated).
	BoundaryAllowed *bool
}

// Simulate decides every action on every resource against the policies,
// with the given context, using the same evaluator as real requests. With
// boundaries (a permissions boundary), the result is what both allow: an
// explicit deny in either wins, and an action the identity policies allow
// but the boundary does not is an implicit deny.
func Simulate(policies, boundaries []SimPolicy, actions, resources []string, context map[string][]string) []SimResult {
	pols, bounds := simPolicies(policies), simPolicies(boundaries)
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	out := make([]SimResult, 0, len(actions)*len(resources))
	for _, a := range actions {
		for _, r := range resources {
			req := &iam.Request{Action: a, Resource: r, Context: context}
			d, matches := iam.Explain(req, pols...)
			res := SimResult{Action: a, Resource: r, Decision: d, Missing: iam.MissingKeys(req, append(pols, bounds...)...)}
			res.Matched = simStatements(policies, matches)
			if len(bounds) > 0 {
				bd, bm := iam.Explain(req, bounds...)
				allowed := bd == iam.Allow
				res.BoundaryAllowed = &allowed
				switch {
				case d == iam.ExplicitDeny:
				case bd == iam.ExplicitDeny:
					res.Decision, res.Matched = iam.ExplicitDeny, simStatements(boundaries, bm)
				case d == iam.Allow && !allowed:
					res.Decision, res.Matched = iam.ImplicitDeny, nil
				}
			}
			out = append(out, res)
		}
	}
	return out
}

func simPolicies(ps []SimPolicy) []*iam.Policy {
	out := make([]*iam.Policy, len(ps))
	for i := range ps {
		out[i] = ps[i].Policy
	}
	return out
}

func simStatements(ps []SimPolicy, matches []iam.Match) []SimStatement {
	var out []SimStatement
	for _, m := range matches {
		out = append(out, SimStatement{PolicyID: ps[m.Policy].ID, PolicyType: ps[m.Policy].Type, Start: m.Start, End: m.End})
	}
	return out
}

// PrincipalPolicies returns the policies (inline and attached managed
// ones) of the user or role that
// arn names (IAM's ARN, path included), as SimulatePrincipalPolicy
// evaluates them, and the principal's condition keys (aws:username,
// aws:userid, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType),
// which the simulation uses where the caller gave none. A missing entity
// is NoSuchEntity.
func (s *Service) PrincipalPolicies(ctx context.Context, accountID, arn string) ([]SimPolicy, map[string][]string, error) {
	prefix := "arn:aws:iam::" + accountID + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	kind, pathName, _ := strings.Cut(rest, "/")
	if !ok || (kind != "user" && kind != "role") || pathName == "" {
		return nil, nil, iamErr(connectfed.EINVALID, connectfed.InvalidInput, "Invalid ARN %s: the policy source must be a user or role of this account.", arn)
	}
	name := pathName[strings.LastIndexByte(pathName, '/')+1:]
	var p connectfed.Principal
	var stored string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		if kind == "user" {
			var u User
			if err := getUser(tx, accountID, name, &u); err != nil {
				return err
			}
			stored = u.ARN()
			p = connectfed.Principal{Type: connectfed.PrincipalUser, AccountID: accountID, ARN: stored, UserID: u.ID, Name: u.Name, Tags: u.Tags}
			return nil
		}
		var r Role
		if err := getRole(tx, accountID, name, &r); err != nil {
			return err
		}
		stored = r.ARN()
		p = connectfed.Principal{Type: connectfed.PrincipalAssumedRole, AccountID: accountID, ARN: stored, UserID: r.ID, RoleName: r.Name, RolePath: r.Path, RoleID: r.ID, Tags: r.Tags}
		return nil
	})
	if err == nil && stored != arn {
		err = iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "The %s with name %s cannot be found.", kind, name)
	}
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.policiesOf(ctx, &p)
	if err != nil {
		return nil, nil, err
	}
	out := make([]SimPolicy, len(ps.policies))
	for i, pol := range ps.policies {
		out[i] = SimPolicy{ID: ps.ids[i], Type: ps.types[i], Policy: pol}
	}
	keys := principalContext(&p)
	if kind == "role" { // a session of the role: its id and name are unknown
		delete(keys, "aws:userid")
	}
	return out, keys, nil
}

// CallerKeys are the condition keys of the IAM user that arn names, for a
// simulation's CallerArn: the simulation runs as that user (aws:username,
// aws:userid, aws:PrincipalArn, ...). A missing user is NoSuchEntity.
func (s *Service) CallerKeys(ctx context.Context, accountID, arn string) (map[string][]string, error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::"+accountID+":user/")
	if !ok || rest == "" {
		return nil, iamErr(connectfed.EINVALID, connectfed.InvalidInput, "Invalid CallerArn %s: it must be an IAM user of this account.", arn)
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	var u User
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return getUser(tx, accountID, name, &u) })
	if err == nil && u.ARN() != arn {
		err = noSuchUser(name)
	}
	if err != nil {
		return nil, err
	}
	return principalContext(&connectfed.Principal{Type: connectfed.PrincipalUser, AccountID: accountID, ARN: u.ARN(), UserID: u.ID, Name: u.Name, Tags: u.Tags}), nil
}

// ParseSimulationPolicy parses a policy given to the simulator; a bad one
// is InvalidInput with IAM's message.
func ParseSimulationPolicy(doc string) (*iam.Policy, error) {
	p, err := iam.ParseIdentityPolicy(doc)
	if err != nil {
		var me *iam.MalformedPolicyError
		if errors.As(err, &me) {
			return nil, iamErr(connectfed.EINVALID, connectfed.InvalidInput, "%s", me.Message)
		}
		return nil, iamErr(connectfed.EINVALID, connectfed.InvalidInput, "Syntax errors in policy.")
	}
	return p, nil
}
