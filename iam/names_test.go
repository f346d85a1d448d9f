package iam_test

import (
	"testing"

	"github.com/connectfed/connectfed/iam"
)

func TestNamesPrincipal(t *testing.T) {
	alice := &iam.PrincipalInfo{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012"}
	session := &iam.PrincipalInfo{ARN: "arn:aws:sts::123456789012:assumed-role/Backend/s1", AccountID: "123456789012"}
	cases := []struct {
		name string
		doc  string
		who  *iam.PrincipalInfo
		want bool
	}{
		{"user ARN", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}`, alice, true},
		{"role ARN names its session", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Backend"},"Action":"sts:AssumeRole"}]}`, session, true},
		{"account only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`, alice, false},
		{"root ARN only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`, alice, false},
		{"star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, alice, false},
		{"other action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:TagSession"}]}`, alice, false},
		{"failing condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, alice, false},
		{"named but denied", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:*"}]}`, alice, false},
		{"account and user in one list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/alice"]},"Action":"sts:AssumeRole"}]}`, alice, true},
		{"NotPrincipal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}]}`, alice, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := iam.ParseTrustPolicy(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			req := &iam.Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/R", Principal: c.who, Context: map[string][]string{}}
			if got := iam.NamesPrincipal(p, req); got != c.want {
				t.Errorf("NamesPrincipal = %v, want %v", got, c.want)
			}
		})
	}
}
