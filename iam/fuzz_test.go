package iam_test

import (
	"errors"
	"testing"

	"github.com/connectfed/connectfed/iam"
)

// FuzzParsePolicy: parsing never panics and fails only with a
// MalformedPolicyError; a policy that parses can be evaluated without
// panicking.
func FuzzParsePolicy(f *testing.F) {
	for _, tc := range parseCases {
		if len(tc.doc) <= 4096 {
			f.Add(tc.doc)
		}
	}
	f.Add(fedPolicy)
	f.Add(trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/p/R"}`, `"Condition":{"ForAllValues:ArnLike":{"aws:SourceArn":"arn:aws:*:${aws:username, 'x'}:*"}}`))

	ctx := map[string][]string{
		"aws:userid":          {"AROAEXAMPLE:alice"},
		"aws:username":        {"alice"},
		"AWS:PrincipalArn":    {"arn:aws:sts::123456789012:assumed-role/R/alice"},
		"aws:sourceip":        {"203.0.113.7"},
		"aws:securetransport": {"true"},
		"aws:currenttime":     {"2024-05-01T12:00:00Z"},
		"aws:tagkeys":         {"a", "b*"},
		"s3:max-keys":         {"10"},
	}
	reqs := []*iam.Request{
		{Action: "connect:GetFederationToken", Resource: "arn:aws:connect:us-east-1:123456789012:instance/I/user/AROAEXAMPLE:alice", Context: ctx},
		{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/R", Context: ctx,
			Principal: &iam.PrincipalInfo{ARN: "arn:aws:sts::123456789012:assumed-role/R/alice", AccountID: "123456789012"}},
		{Action: "", Resource: "", Context: nil},
	}

	f.Fuzz(func(t *testing.T, doc string) {
		for _, parse := range []func(string) (*iam.Policy, error){iam.ParseIdentityPolicy, iam.ParseTrustPolicy} {
			p, err := parse(doc)
			if err != nil {
				var mpe *iam.MalformedPolicyError
				if !errors.As(err, &mpe) || mpe.Message == "" || p != nil {
					t.Fatalf("bad failure: %#v, %v", p, err)
				}
				continue
			}
			if p.Document != doc {
				t.Fatal("Document changed")
			}
			for _, r := range reqs {
				switch d := iam.Evaluate(r, p); d {
				case iam.ImplicitDeny, iam.Allow, iam.ExplicitDeny:
				default:
					t.Fatalf("decision %v", d)
				}
			}
		}
	})
}
