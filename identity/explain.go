package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
)

// describe says why a decision was not Allow, naming the deciding
// statements: names[i] is the name of the i-th policy given to Explain.
func describe(d iam.Decision, matches []iam.Match, names []string) string {
	if d != iam.ExplicitDeny || len(matches) == 0 {
		if len(names) == 0 {
			return "implicit deny: the principal has no policy"
		}
		return "implicit deny: no statement allows it (evaluated: " + strings.Join(names, ", ") + ")"
	}
	parts := make([]string, 0, len(matches))
	for _, m := range matches {
		name := "policy"
		if m.Policy < len(names) {
			name = names[m.Policy]
		}
		sid := m.Sid
		if sid == "" {
			sid = "(no Sid)"
		}
		parts = append(parts, fmt.Sprintf("%s statement %d %s at line %d column %d", name, m.Statement+1, sid, m.Start.Line, m.Start.Column))
	}
	return "explicit deny by " + strings.Join(parts, "; ")
}

// explainDenial logs why an authorization was refused (never to the
// caller, who gets only AWS's message).
func (s *Service) explainDenial(ctx context.Context, p *connectfed.Principal, action, resource, why string) {
	s.explainDenialOf(ctx, p.ARN, action, resource, why)
}

// explainDenialOf is explainDenial for a principal known by its ARN only
// (a federated user: the identity provider's ARN).
func (s *Service) explainDenialOf(ctx context.Context, principal, action, resource, why string) {
	if s.Log == nil || !s.ExplainDenials {
		return
	}
	s.Log.InfoContext(ctx, "access denied", "action", action, "resource", resource, "principal", principal, "reason", why)
}
