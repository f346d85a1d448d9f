package iam_test

import (
	"testing"

	"github.com/connectfed/connectfed/iam"
)

func TestFederatedPrincipal(t *testing.T) {
	const provider = "arn:aws:iam::123456789012:saml-provider/Okta"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},
		"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"saml:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	acctTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRoleWithSAML"}]}`
	good := map[string][]string{"saml:aud": {"https://signin.aws.amazon.com/saml"}}
	cases := []struct {
		name string
		doc  string
		who  *iam.PrincipalInfo
		ctx  map[string][]string
		want iam.Decision
	}{
		{"provider matches", trust, &iam.PrincipalInfo{Federated: provider}, good, iam.Allow},
		{"other provider", trust, &iam.PrincipalInfo{Federated: "arn:aws:iam::123456789012:saml-provider/Other"}, good, iam.ImplicitDeny},
		{"condition fails", trust, &iam.PrincipalInfo{Federated: provider}, map[string][]string{"saml:aud": {"https://evil.example/saml"}}, iam.ImplicitDeny},
		{"AWS principal is not the provider", trust, &iam.PrincipalInfo{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012"}, good, iam.ImplicitDeny},
		{"account principal does not admit a federated caller", acctTrust, &iam.PrincipalInfo{Federated: provider}, good, iam.ImplicitDeny},
	}
	for _, c := range cases {
		p, err := iam.ParseTrustPolicy(c.doc)
		if err != nil {
			t.Fatal(err)
		}
		got := iam.Evaluate(&iam.Request{Action: "sts:AssumeRoleWithSAML", Resource: "arn:aws:iam::123456789012:role/Agent", Context: c.ctx, Principal: c.who}, p)
		if got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
