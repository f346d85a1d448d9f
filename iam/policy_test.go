package iam_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/iam"
)

type parseCase struct {
	name  string
	trust bool   // ParseTrustPolicy instead of ParseIdentityPolicy
	doc   string // the document
	err   string // expected MalformedPolicyError message; "" = valid
}

const (
	okStmt    = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	okTrust   = `{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`
	errSyntax = "Syntax errors in policy."
	errLegacy = "The policy failed legacy parsing"
)

func v12(stmts string) string { return `{"Version":"2012-10-17","Statement":` + stmts + `}` }

func withStmt(fields string) string {
	return v12(`{` + fields + `}`)
}

var parseCases = []parseCase{
	// --- valid ------------------------------------------------------------
	{name: "valid/minimal", doc: v12(`[` + okStmt + `]`)},
	{name: "valid/statement object", doc: v12(okStmt)},
	{name: "valid/version 2008-10-17", doc: `{"Version":"2008-10-17","Statement":` + okStmt + `}`},
	{name: "valid/no version", doc: `{"Statement":` + okStmt + `}`},
	{name: "valid/id and sid", doc: `{"Version":"2012-10-17","Id":"any text","Statement":[{"Sid":"Stmt1","Effect":"Deny","Action":"*","Resource":"*"}]}`},
	{name: "valid/lists and NotAction NotResource", doc: withStmt(`"Effect":"Allow","NotAction":["iam:*","sts:*"],"NotResource":["arn:aws:s3:::a","*"]`)},
	{name: "valid/condition scalars", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":[10,"20"]},"ForAllValues:StringLikeIfExists":{"aws:TagKeys":[]}}`)},
	{name: "valid/every operator family", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{` +
		`"StringEquals":{"a:b":"c"},"StringNotEqualsIgnoreCase":{"a:b":"c"},"StringNotLike":{"a:b":"c*"},` +
		`"NumericGreaterThanEquals":{"a:n":"1.5"},"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},` +
		`"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"},"NotIpAddress":{"aws:SourceIp":"::1"},"BinaryEquals":{"a:b":"QQ=="},` +
		`"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::*"},"ForAnyValue:ArnEquals":{"a:b":"arn:aws:s3:::x"},"Null":{"a:b":"true"}}`)},
	{name: "valid/empty block of unknown operator", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Whatever":{}}`)},
	{name: "valid/vendor wildcard action", doc: withStmt(`"Effect":"Allow","Action":"*:Get*","Resource":"*"`)},
	{name: "valid/trust minimal", trust: true, doc: v12(`[` + okTrust + `]`)},
	{name: "valid/trust principal star", trust: true, doc: withStmt(`"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"`)},
	{name: "valid/trust principal forms", trust: true, doc: withStmt(`"Effect":"Allow","Principal":{"AWS":["*","123456789012",` +
		`"arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/path/alice","arn:aws:iam::123456789012:role/R",` +
		`"arn:aws:sts::123456789012:assumed-role/R/s","arn:aws:sts::123456789012:federated-user/f"],` +
		`"Service":"ec2.amazonaws.com","Federated":["cognito-identity.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]`)},
	{name: "valid/trust NotPrincipal", trust: true, doc: withStmt(`"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"sts:*"`)},

	// --- JSON -------------------------------------------------------------
	{name: "json/not json", doc: "This is not a json document", err: errSyntax},
	{name: "json/not json in trust policy", trust: true, doc: "trust-policy.json", err: "This policy contains invalid Json"},
	{name: "json/empty", doc: "", err: errSyntax},
	{name: "json/trailing garbage", doc: v12(okStmt) + " x", err: errSyntax},
	{name: "json/two values", doc: v12(okStmt) + v12(okStmt), err: errSyntax},
	{name: "json/truncated", doc: v12(okStmt)[:30], err: errSyntax},
	{name: "json/array at top", doc: `[` + v12(okStmt) + `]`, err: errSyntax},
	{name: "json/duplicate key", doc: withStmt(`"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"`), err: errSyntax},
	{name: "json/duplicate top-level key", doc: `{"Version":"2012-10-17","Version":"2012-10-17","Statement":` + okStmt + `}`, err: errSyntax},
	{name: "json/too deep", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`), err: errSyntax},
	{name: "json/too deep trust", trust: true, doc: strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), err: errSyntax},
	{name: "json/too large", doc: withStmt(`"Sid":"` + strings.Repeat("a", 131072) + `","Effect":"Allow","Action":"s3:*","Resource":"*"`), err: errSyntax},
	{name: "json/invalid utf-8", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::` + "\xff" + `"`), err: errSyntax},

	// --- document shape -------------------------------------------------
	{name: "shape/unknown top-level key", doc: `{"Version":"2012-10-17","Statement":` + okStmt + `,"Extra":1}`, err: errSyntax},
	{name: "shape/unknown statement key", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Extra field":"value"`), err: errSyntax},
	{name: "shape/lower-case key", doc: withStmt(`"effect":"Allow","Action":"s3:*","Resource":"*"`), err: errSyntax},
	{name: "shape/unknown version", doc: `{"Version":"2013-10-17","Statement":` + okStmt + `}`, err: errSyntax},
	{name: "shape/version not a string", doc: `{"Version":2012,"Statement":` + okStmt + `}`, err: errSyntax},
	{name: "shape/id not a string", doc: `{"Version":"2012-10-17","Id":{},"Statement":` + okStmt + `}`, err: errSyntax},
	{name: "shape/missing statement", doc: `{"Version":"2012-10-17"}`, err: errSyntax},
	{name: "shape/empty statement list", doc: v12(`[]`), err: errSyntax},
	{name: "shape/statement not an object", doc: v12(`["afd"]`), err: errSyntax},
	{name: "shape/missing effect", doc: withStmt(`"Action":"s3:*","Resource":"*"`), err: errSyntax},
	{name: "shape/unknown effect", doc: withStmt(`"Effect":"Permit","Action":"s3:*","Resource":"*"`), err: errSyntax},
	{name: "shape/effect wrong case", doc: withStmt(`"Effect":"allow","Action":"s3:*","Resource":"*"`), err: errLegacy},
	{name: "shape/Action and NotAction", doc: withStmt(`"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"`), err: errSyntax},
	{name: "shape/Resource and NotResource", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":[]`), err: errSyntax},
	{name: "shape/action object", doc: withStmt(`"Effect":"Allow","Action":{},"Resource":"*"`), err: errSyntax},
	{name: "shape/action list with number", doc: withStmt(`"Effect":"Allow","Action":["s3:*",1],"Resource":"*"`), err: errSyntax},
	{name: "shape/resource null", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":null`), err: errSyntax},
	{name: "shape/sid not a string", doc: withStmt(`"Sid":[],"Effect":"Allow","Action":"s3:*","Resource":"*"`), err: errSyntax},

	// --- conditions -------------------------------------------------------
	{name: "cond/unknown operator", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}`), err: errSyntax},
	{name: "cond/double colon prefix", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue::StringEquals":{"a:b":"c"}}`), err: errSyntax},
	{name: "cond/NullIfExists", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}`), err: errSyntax},
	{name: "cond/condition is a list", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[{"StringEquals":{"a:b":"c"}}]`), err: errSyntax},
	{name: "cond/block is a string", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"c"}`), err: errSyntax},
	{name: "cond/value is null", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":null}}`), err: errSyntax},
	{name: "cond/value is an object", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":{}}}`), err: errSyntax},
	{name: "cond/bad date", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"sdfdsf"}}`), err: errLegacy},
	{name: "cond/bad number", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}`), err: errLegacy},
	{name: "cond/no variables in Numeric values", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericEquals":{"s3:max-keys":"${aws:username}"}}`), err: errLegacy},
	{name: "cond/bad ip", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"999.1.1.1"}}`), err: errLegacy},

	// --- principals -------------------------------------------------------
	{name: "principal/in identity policy", doc: withStmt(`"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"`), err: "Policy document should not specify a principal."},
	{name: "principal/NotPrincipal in identity policy", doc: withStmt(`"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"`), err: "Policy document should not specify a principal."},
	{name: "principal/missing in trust policy", trust: true, doc: withStmt(`"Effect":"Allow","Action":"sts:AssumeRole"`), err: "Missing required field Principal"},
	{name: "principal/empty map", trust: true, doc: withStmt(`"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"`),
		err: "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
	{name: "principal/empty list", trust: true, doc: withStmt(`"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"`),
		err: "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
	{name: "principal/not an ARN", trust: true, doc: withStmt(`"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole"`), err: `Invalid principal in policy: "AWS":"bob"`},
	{name: "principal/partial wildcard", trust: true, doc: withStmt(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},"Action":"sts:AssumeRole"`), err: `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"`},
	{name: "principal/bad account", trust: true, doc: withStmt(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::12345:root"},"Action":"sts:AssumeRole"`), err: `Invalid principal in policy: "AWS":"arn:aws:iam::12345:root"`},
	{name: "principal/unknown type", trust: true, doc: withStmt(`"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"sts:AssumeRole"`), err: `Invalid principal in policy: "CanonicalUser":"abc"`},
	{name: "principal/string other than star", trust: true, doc: withStmt(`"Effect":"Allow","Principal":"123456789012","Action":"sts:AssumeRole"`), err: errSyntax},
	{name: "principal/both forms", trust: true, doc: withStmt(`"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"`), err: errSyntax},

	// --- statement ids ----------------------------------------------------
	{name: "sid/not alphanumeric", doc: withStmt(`"Sid":"my-sid","Effect":"Allow","Action":"s3:*","Resource":"*"`),
		err: "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
	{name: "sid/duplicate", doc: v12(`[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]`),
		err: "Statement IDs (SID) in a single policy must be unique."},

	// --- actions and resources ------------------------------------------
	{name: "action/missing", doc: withStmt(`"Effect":"Allow","Resource":"*"`), err: "Policy statement must contain actions."},
	{name: "action/empty list", doc: withStmt(`"Effect":"Allow","Action":[],"Resource":"*"`), err: "Policy statement must contain actions."},
	{name: "action/missing in trust", trust: true, doc: withStmt(`"Effect":"Allow","Principal":"*"`), err: "Policy statement must contain actions."},
	{name: "resource/missing", doc: withStmt(`"Effect":"Allow","Action":"s3:*"`), err: "Policy statement must contain resources."},
	{name: "resource/empty list", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":[]`), err: "Policy statement must contain resources."},
	{name: "resource/in trust policy", trust: true, doc: withStmt(`"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"`), err: "Has prohibited field Resource"},
	{name: "resource/NotResource in trust policy", trust: true, doc: withStmt(`"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","NotResource":[]`), err: "Has prohibited field NotResource"},
	{name: "resource/not an ARN", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"bucket"`), err: `Resource bucket must be in ARN format or "*".`},
	{name: "resource/empty string", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":""`), err: `Resource  must be in ARN format or "*".`},
	{name: "resource/other partition", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws-cn:s3:::b"`), err: `Partition "aws-cn" is not valid for resource "arn:aws-cn:s3:::b".`},
	{name: "resource/partition missing arn prefix", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"aws:s3:::example_bucket"`), err: `Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".`},
	{name: "resource/no vendor", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws"`), err: "Resource vendor must be fully qualified and cannot contain regexes."},
	{name: "resource/too few parts", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::example_bucket"`), err: errLegacy},
	{name: "resource/empty service", doc: withStmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws::::x"`), err: errLegacy},
	{name: "action/no vendor", doc: withStmt(`"Effect":"Allow","Action":"GetFederationToken","Resource":"*"`), err: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
	{name: "action/empty", doc: withStmt(`"Effect":"Allow","NotAction":"","Resource":"*"`), err: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
	{name: "action/two colons", doc: withStmt(`"Effect":"Allow","Action":"connect:Get:Token","Resource":"*"`), err: "Actions/Condition can contain only one colon."},
	{name: "action/bad vendor", doc: withStmt(`"Effect":"Allow","Action":"a a:ListBucket","Resource":"*"`), err: "Vendor a a is not valid"},
}

func parseWith(tc parseCase) (*iam.Policy, error) {
	if tc.trust {
		return iam.ParseTrustPolicy(tc.doc)
	}
	return iam.ParseIdentityPolicy(tc.doc)
}

func TestParse(t *testing.T) {
	if len(parseCases) < 25 {
		t.Fatalf("only %d parse cases", len(parseCases))
	}
	seen := map[string]bool{}
	for _, tc := range parseCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseWith(tc)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("unexpected error %q for %s", err, tc.doc)
				}
				if p.Document != tc.doc {
					t.Errorf("Document not kept verbatim")
				}
				return
			}
			var mpe *iam.MalformedPolicyError
			if !errors.As(err, &mpe) {
				t.Fatalf("got (%v, %v), want MalformedPolicyError %q", p, err, tc.err)
			}
			if mpe.Message != tc.err || err.Error() != tc.err {
				t.Errorf("message %q, want %q", mpe.Message, tc.err)
			}
			if p != nil {
				t.Errorf("policy returned with error")
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	for d, want := range map[string]string{
		v12(okStmt): "2012-10-17",
		`{"Version":"2008-10-17","Statement":` + okStmt + `}`: "2008-10-17",
		`{"Statement":` + okStmt + `}`:                        "",
	} {
		p, err := iam.ParseIdentityPolicy(d)
		if err != nil {
			t.Fatal(err)
		}
		if p.Version != want {
			t.Errorf("Version = %q, want %q", p.Version, want)
		}
	}
}

// TestParseErrorOrder: the first failing stage is reported, as in IAM.
func TestParseErrorOrder(t *testing.T) {
	cases := []struct{ doc, want string }{
		// syntax before legacy
		{v12(`[{"Effect":"allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*","X":1}]`), errSyntax},
		// legacy before missing actions
		{v12(`[{"Effect":"Deny"},{"Effect":"aLLow","Action":"s3:*","Resource":"*"}]`), errLegacy},
		// missing actions before resource format
		{v12(`[{"Effect":"Allow","Resource":"bucket","Action":"s3:*"},{"Effect":"Allow","Resource":"*"}]`), "Policy statement must contain actions."},
		// resource format before action names
		{withStmt(`"Effect":"Allow","Action":"bad","Resource":"bucket"`), `Resource bucket must be in ARN format or "*".`},
		// a resource format error suppresses the legacy ARN check after it
		{v12(`[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"},{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::b"}]`), `Resource bucket must be in ARN format or "*".`},
	}
	for _, tc := range cases {
		_, err := iam.ParseIdentityPolicy(tc.doc)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestMaxPolicySize(t *testing.T) {
	if iam.MaxPolicySize != 10240 {
		t.Fatal(iam.MaxPolicySize)
	}
}
