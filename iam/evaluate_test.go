package iam_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/iam"
	"github.com/connectfed/connectfed/iam/iamtest"
)

var (
	doc      = iamtest.Doc
	allow    = iamtest.Allow
	req      = iamtest.Req
	ctx      = iamtest.Ctx
	condStmt = iamtest.CondStmt
	trustDoc = iamtest.TrustDoc
)

const (
	getFed    = iamtest.GetFed
	instance  = iamtest.Instance
	fedPolicy = iamtest.FedPolicy
	acctA     = iamtest.AcctA
)

func TestEvaluate(t *testing.T) {
	if len(iamtest.Cases) < 120 {
		t.Fatalf("only %d evaluation cases", len(iamtest.Cases))
	}
	seen := map[string]bool{}
	for _, tc := range iamtest.Cases {
		if seen[tc.Name] {
			t.Fatalf("duplicate case name %q", tc.Name)
		}
		seen[tc.Name] = true
		t.Run(tc.Name, func(t *testing.T) {
			var ps []*iam.Policy
			for _, d := range tc.Identity {
				p, err := iam.ParseIdentityPolicy(d)
				if err != nil {
					t.Fatalf("ParseIdentityPolicy(%s): %v", d, err)
				}
				ps = append(ps, p)
			}
			for _, d := range tc.Trust {
				p, err := iam.ParseTrustPolicy(d)
				if err != nil {
					t.Fatalf("ParseTrustPolicy(%s): %v", d, err)
				}
				ps = append(ps, p)
			}
			r := tc.Req
			if got := iam.Evaluate(&r, ps...); got != tc.Want {
				t.Errorf("Evaluate = %v, want %v", got, tc.Want)
			}
			// The same keys split between Context and PrincipalContext
			// decide the same: all in PrincipalContext, and every other
			// key (sorted) in each.
			names := slices.Sorted(maps.Keys(tc.Req.Context))
			for split := range 2 {
				r := tc.Req
				r.Context, r.PrincipalContext = map[string][]string{}, map[string][]string{}
				for i, k := range names {
					if split == 0 || i%2 == 0 {
						r.PrincipalContext[k] = tc.Req.Context[k]
					} else {
						r.Context[k] = tc.Req.Context[k]
					}
				}
				if got := iam.Evaluate(&r, ps...); got != tc.Want {
					t.Errorf("Evaluate with the keys split (%d) = %v, want %v", split, got, tc.Want)
				}
			}
		})
	}
}

// A key in Context wins over the same key in PrincipalContext, whatever
// its spelling.
func TestContextOverPrincipalContext(t *testing.T) {
	p, err := iam.ParseIdentityPolicy(doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		own, principal map[string][]string
		want           iam.Decision
	}{
		{ctx("aws:username", "alice"), ctx("aws:username", "bob"), iam.Allow},
		{ctx("aws:username", "bob"), ctx("aws:username", "alice"), iam.ImplicitDeny},
		{nil, ctx("aws:username", "alice"), iam.Allow},
		{ctx("AWS:UserName", "alice"), ctx("aws:other", "x"), iam.Allow},
		{ctx("aws:other", "x"), ctx("AWS:UserName", "alice"), iam.Allow},
		{map[string][]string{"aws:username": {}}, ctx("aws:username", "alice"), iam.ImplicitDeny},
	} {
		r := iam.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: tc.own, PrincipalContext: tc.principal}
		if got := iam.Evaluate(&r, p); got != tc.want {
			t.Errorf("Context %v over %v: %v, want %v", tc.own, tc.principal, got, tc.want)
		}
	}
}

func TestEvaluateNilRequestAndPolicy(t *testing.T) {
	p, err := iam.ParseIdentityPolicy(doc(allow("*", "*")))
	if err != nil {
		t.Fatal(err)
	}
	if got := iam.Evaluate(nil, p); got != iam.ImplicitDeny {
		t.Errorf("nil request: %v", got)
	}
	r := req(getFed, instance, nil)
	if got := iam.Evaluate(&r, nil, p); got != iam.Allow {
		t.Errorf("nil policy skipped: %v", got)
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[iam.Decision]string{iam.ImplicitDeny: "ImplicitDeny", iam.Allow: "Allow", iam.ExplicitDeny: "ExplicitDeny"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q", d, d.String())
		}
	}
}

// TestPathologicalGlob: patterns that make a backtracking matcher exponential
// must finish quickly (the test timeout catches a hang).
func TestPathologicalGlob(t *testing.T) {
	stars := strings.Repeat("*a", 100) + "b"
	long := strings.Repeat("a", 20000)
	cases := []struct {
		name   string
		policy string
		req    func(tail string) iam.Request
	}{
		{"resource", doc(allow("s3:GetObject", "arn:aws:s3:::"+stars)),
			func(tail string) iam.Request { return req("s3:GetObject", "arn:aws:s3:::"+long+tail, nil) }},
		{"action", doc(allow("s3:"+stars, "*")),
			func(tail string) iam.Request { return req("s3:"+long+tail, "x", nil) }},
		{"StringLike", doc(condStmt("Allow", `{"StringLike":{"s3:prefix":"`+stars+`"}}`)),
			func(tail string) iam.Request { return req("s3:GetObject", "x", ctx("s3:prefix", long+tail)) }},
		{"ArnLike", doc(condStmt("Allow", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::`+stars+`"}}`)),
			func(tail string) iam.Request {
				return req("s3:GetObject", "x", ctx("aws:SourceArn", "arn:aws:s3:::"+long+tail))
			}},
		{"question marks", doc(allow("s3:GetObject", "arn:aws:s3:::"+strings.Repeat("*?", 100)+"b")),
			func(tail string) iam.Request { return req("s3:GetObject", "arn:aws:s3:::"+long+tail, nil) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := iam.ParseIdentityPolicy(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			r := tc.req("")
			if got := iam.Evaluate(&r, p); got != iam.ImplicitDeny {
				t.Errorf("got %v, want ImplicitDeny", got)
			}
			r = tc.req("b")
			if got := iam.Evaluate(&r, p); got != iam.Allow {
				t.Errorf("with trailing b: got %v, want Allow", got)
			}
		})
	}
}

// TestGlobUnicode: '?' is one character, not one byte.
func TestGlobUnicode(t *testing.T) {
	p, err := iam.ParseIdentityPolicy(doc(allow("s3:GetObject", "arn:aws:s3:::b/??")))
	if err != nil {
		t.Fatal(err)
	}
	for res, want := range map[string]iam.Decision{
		"arn:aws:s3:::b/€":  iam.ImplicitDeny, // one rune, three bytes
		"arn:aws:s3:::b/€x": iam.Allow,
		"arn:aws:s3:::b/éé": iam.Allow,
	} {
		r := req("s3:GetObject", res, nil)
		if got := iam.Evaluate(&r, p); got != want {
			t.Errorf("%s: got %v, want %v", res, got, want)
		}
	}
	p, err = iam.ParseIdentityPolicy(doc(allow("s3:GetObject", "arn:aws:s3:::b/*??")))
	if err != nil {
		t.Fatal(err)
	}
	r := req("s3:GetObject", "arn:aws:s3:::b/€", nil)
	if got := iam.Evaluate(&r, p); got != iam.ImplicitDeny {
		t.Errorf("*?? vs one rune: got %v", got)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	p, err := iam.ParseIdentityPolicy(fedPolicy)
	if err != nil {
		b.Fatal(err)
	}
	r := &iam.Request{
		Action:   getFed,
		Resource: instance + "/user/AROAEXAMPLE:alice",
		Context: map[string][]string{
			"aws:userid":           {"AROAEXAMPLE:alice"},
			"aws:username":         {"alice"},
			"aws:principalaccount": {acctA},
			"aws:securetransport":  {"true"},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		if iam.Evaluate(r, p) != iam.Allow {
			b.Fatal("not allowed")
		}
	}
}
