package identity_test

import (
	"testing"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/testutil"
)

// One evaluator for real requests and the simulator: a user's decision
// combines its inline and attached policies and its groups', and a user's
// tags are aws:PrincipalTag; the simulator, given the same principal,
// decides alike and names each policy as IAM does.
func TestManagedGroupAndTagPoliciesEvaluated(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	allow := func(action string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
	}
	_, err := s.CreateUser(ctx, acct, "ann", "/", connectfed.SessionTag{Key: "team", Value: "blue"})
	testutil.Must(t, err)
	k, _, err := s.CreateAccessKey(ctx, acct, "ann")
	testutil.Must(t, err)
	p := credential(t, s, k.ID).Principal

	mp, err := s.CreatePolicy(ctx, acct, "Describe", "/", "", allow("connect:DescribeUser"))
	testutil.Must(t, err)
	testutil.Must(t, s.AttachPolicy(ctx, acct, "user", "ann", mp.ARN()))
	_, err = s.CreateGroup(ctx, acct, "Leads", "/")
	testutil.Must(t, err)
	testutil.Must(t, s.AddUserToGroup(ctx, acct, "Leads", "ann"))
	testutil.Must(t, s.PutPolicy(ctx, acct, "group", "Leads", "list", allow("connect:ListUsers")))
	testutil.Must(t, s.AttachPolicy(ctx, acct, "group", "Leads", "arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess"))
	testutil.Must(t, s.PutPolicy(ctx, acct, "user", "ann", "byteam",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:StartTaskContact","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`))

	sim, keys, err := s.PrincipalPolicies(ctx, acct, "arn:aws:iam::"+acct+":user/ann")
	testutil.Must(t, err)
	for _, tc := range []struct {
		action string
		want   iam.Decision
		source string // the simulator's type:id of the deciding statement
	}{
		{"connect:DescribeUser", iam.Allow, "user-managed:Describe"},                                          // attached to the user
		{"connect:ListUsers", iam.Allow, "group:list"},                                                        // the group's inline policy
		{"connect:ListQueues", iam.Allow, "aws-managed:AmazonConnectReadOnlyAccess"},                          // the group's AWS managed policy
		{"connect:AdminGetEmergencyAccessToken", iam.ExplicitDeny, "aws-managed:AmazonConnectReadOnlyAccess"}, // its deny
		{"connect:StartTaskContact", iam.Allow, "user:byteam"},                                                // aws:PrincipalTag/team
		{"connect:DeleteUser", iam.ImplicitDeny, ""},
	} {
		err := s.Authorize(ctx, p, tc.action, "arn:aws:connect:us-east-1:"+acct+":instance/x", nil)
		if (err == nil) != (tc.want == iam.Allow) {
			t.Errorf("%s: Authorize = %v, want %v", tc.action, err, tc.want)
		}
		r := identity.Simulate(sim, nil, []string{tc.action}, nil, keys)[0]
		got := ""
		if len(r.Matched) > 0 {
			got = r.Matched[0].PolicyType + ":" + r.Matched[0].PolicyID
		}
		if r.Decision != tc.want || got != tc.source {
			t.Errorf("%s: simulated %v by %q, want %v by %q", tc.action, r.Decision, got, tc.want, tc.source)
		}
	}

	// Untagging, detaching and leaving the group take effect at once.
	testutil.Must(t, s.UntagEntity(ctx, acct, "user", "ann", []string{"TEAM"}))
	testutil.Must(t, s.DetachPolicy(ctx, acct, "user", "ann", mp.ARN()))
	testutil.Must(t, s.RemoveUserFromGroup(ctx, acct, "Leads", "ann"))
	p = credential(t, s, k.ID).Principal
	for _, action := range []string{"connect:StartTaskContact", "connect:DescribeUser", "connect:ListUsers", "connect:ListQueues"} {
		testutil.WantType(t, s.Authorize(ctx, p, action, "*", nil), connectfed.AccessDeniedException)
	}
}
