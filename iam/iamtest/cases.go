// Package iamtest holds the evaluator's table of cases, shared by the iam
// package's tests and the end-to-end tests (which run every case through
// the IAM policy simulator and compare).
package iamtest

import (
	"strings"

	"github.com/connectfed/connectfed/iam"
)

const (
	acctA    = "123456789012"
	acctB    = "210987654321"
	instance = "arn:aws:connect:us-east-1:123456789012:instance/INSTANCEID"
	getFed   = "connect:GetFederationToken"
	// The policy the Amazon Connect documentation gives for GetFederationToken.
	fedPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Statement1","Effect":"Allow",` +
		`"Action":"connect:GetFederationToken",` +
		`"Resource":"arn:aws:connect:us-east-1:123456789012:instance/INSTANCEID/user/${aws:userid}"}]}`
)

// doc wraps statements (JSON objects, comma separated) in a 2012-10-17 policy.
func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// allow/deny build one statement of an identity policy.
func allow(action, resource string, extra ...string) string {
	return stmtJSON("Allow", action, resource, extra)
}

func deny(action, resource string, extra ...string) string {
	return stmtJSON("Deny", action, resource, extra)
}

func stmtJSON(effect, action, resource string, extra []string) string {
	s := `{"Effect":"` + effect + `","Action":` + jsonish(action) + `,"Resource":` + jsonish(resource)
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

// jsonish quotes s unless it is already a JSON array.
func jsonish(s string) string {
	if strings.HasPrefix(s, "[") {
		return s
	}
	return `"` + s + `"`
}

func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

// Case is one evaluation: the policies, the request, and AWS's decision.
type Case struct {
	Name     string
	Identity []string // identity policy documents
	Trust    []string // trust policy documents
	Req      iam.Request
	Want     iam.Decision
}

func req(action, resource string, c map[string][]string) iam.Request {
	return iam.Request{Action: action, Resource: resource, Context: c}
}

func trustReq(arn string, c map[string][]string) iam.Request {
	acct := ""
	if parts := strings.Split(arn, ":"); len(parts) > 4 {
		acct = parts[4]
	}
	return iam.Request{
		Action:    "sts:AssumeRole",
		Resource:  "arn:aws:iam::123456789012:role/Target",
		Context:   c,
		Principal: &iam.PrincipalInfo{ARN: arn, AccountID: acct},
	}
}

func trustDoc(principal string, extra ...string) string {
	s := `{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"`
	for _, e := range extra {
		s += "," + e
	}
	return doc(s + "}")
}

var (
	alice    = "arn:aws:iam::123456789012:user/alice"
	bob      = "arn:aws:iam::123456789012:user/bob"
	aliceCtx = ctx("aws:userid", "AIDAALICE", "aws:username", "alice", "aws:PrincipalAccount", acctA)
	s3obj    = "arn:aws:s3:::bucket/alice/file.txt"
)

func condStmt(effect, cond string) string {
	return stmtJSON(effect, "s3:GetObject", "*", []string{`"Condition":` + cond})
}

// Cases is the evaluator table: AWS's documented evaluation logic, case by
// case. The iam tests run it through Evaluate; the end-to-end tests run
// every identity-policy case through the IAM policy simulator too.
var Cases = []Case{
	// --- basics ---------------------------------------------------------
	{Name: "allow/exact action and resource",
		Identity: []string{doc(allow(getFed, instance))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "implicit deny/other action",
		Identity: []string{doc(allow(getFed, instance))},
		Req:      req("connect:ListUsers", instance, nil), Want: iam.ImplicitDeny},
	{Name: "implicit deny/no policies",
		Req: req(getFed, instance, nil), Want: iam.ImplicitDeny},
	{Name: "implicit deny/other resource",
		Identity: []string{doc(allow(getFed, instance))},
		Req:      req(getFed, instance+"2", nil), Want: iam.ImplicitDeny},
	{Name: "explicit deny beats allow in same policy",
		Identity: []string{doc(allow("connect:*", "*"), deny(getFed, instance))},
		Req:      req(getFed, instance, nil), Want: iam.ExplicitDeny},
	{Name: "explicit deny beats allow across policies",
		Identity: []string{doc(allow("connect:*", "*")), doc(deny(getFed, "*"))},
		Req:      req(getFed, instance, nil), Want: iam.ExplicitDeny},
	{Name: "explicit deny listed before allow still wins",
		Identity: []string{doc(deny(getFed, "*")), doc(allow("*", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.ExplicitDeny},
	{Name: "deny on other action leaves allow",
		Identity: []string{doc(allow("connect:*", "*"), deny("connect:DeleteUser", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "deny alone is explicit deny",
		Identity: []string{doc(deny("*", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.ExplicitDeny},

	// --- action matching ------------------------------------------------
	{Name: "action/case-insensitive request",
		Identity: []string{doc(allow(getFed, instance))},
		Req:      req("CONNECT:getfederationtoken", instance, nil), Want: iam.Allow},
	{Name: "action/case-insensitive policy",
		Identity: []string{doc(allow("Connect:GETFEDERATIONTOKEN", instance))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "action/star matches everything",
		Identity: []string{doc(allow("*", "*"))},
		Req:      req("iam:CreateUser", "arn:aws:iam::123456789012:user/x", nil), Want: iam.Allow},
	{Name: "action/service star",
		Identity: []string{doc(allow("connect:*", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "action/service star other service",
		Identity: []string{doc(allow("connect:*", "*"))},
		Req:      req("sts:AssumeRole", instance, nil), Want: iam.ImplicitDeny},
	{Name: "action/prefix star",
		Identity: []string{doc(allow("connect:Get*", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "action/prefix star no match",
		Identity: []string{doc(allow("connect:Get*", "*"))},
		Req:      req("connect:ListUsers", instance, nil), Want: iam.ImplicitDeny},
	{Name: "action/question mark one char",
		Identity: []string{doc(allow("connect:Get?ederationToken", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "action/question mark needs a char",
		Identity: []string{doc(allow("connect:GetFederationToken?", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.ImplicitDeny},
	{Name: "action/list any entry",
		Identity: []string{doc(allow(`["connect:ListUsers","connect:GetFederationToken"]`, "*"))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "action/no partial match without wildcard",
		Identity: []string{doc(allow("connect:GetFederation", "*"))},
		Req:      req(getFed, instance, nil), Want: iam.ImplicitDeny},

	// --- resource matching ----------------------------------------------
	{Name: "resource/case-sensitive",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/instanceid"))},
		Req:      req(getFed, instance, nil), Want: iam.ImplicitDeny},
	{Name: "resource/star crosses colon and slash",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:*"))},
		Req:      req(getFed, instance+"/user/x", nil), Want: iam.Allow},
	{Name: "resource/star in middle",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/*/user/*"))},
		Req:      req(getFed, instance+"/user/AROA:alice", nil), Want: iam.Allow},
	{Name: "resource/star in middle wrong suffix",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/*/user/*"))},
		Req:      req(getFed, instance+"/agent/x", nil), Want: iam.ImplicitDeny},
	{Name: "resource/question mark",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-?:123456789012:instance/INSTANCEID"))},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "resource/question mark exactly one",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-??:123456789012:instance/INSTANCEID"))},
		Req:      req(getFed, instance, nil), Want: iam.ImplicitDeny},
	{Name: "resource/cross-account denied",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/*"))},
		Req:      req(getFed, "arn:aws:connect:us-east-1:210987654321:instance/INSTANCEID", nil), Want: iam.ImplicitDeny},
	{Name: "resource/cross-account allowed by account wildcard",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:*:instance/*"))},
		Req:      req(getFed, "arn:aws:connect:us-east-1:210987654321:instance/INSTANCEID", nil), Want: iam.Allow},

	// --- NotAction / NotResource ----------------------------------------
	{Name: "notaction/allow everything else",
		Identity: []string{doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "notaction/excluded action",
		Identity: []string{doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)},
		Req:      req("IAM:CreateUser", "*", nil), Want: iam.ImplicitDeny},
	{Name: "notaction/deny everything outside connect",
		Identity: []string{doc(allow("*", "*"), `{"Effect":"Deny","NotAction":"connect:*","Resource":"*"}`)},
		Req:      req("sts:AssumeRole", "*", nil), Want: iam.ExplicitDeny},
	{Name: "notaction/deny does not hit listed action",
		Identity: []string{doc(allow("*", "*"), `{"Effect":"Deny","NotAction":"connect:*","Resource":"*"}`)},
		Req:      req(getFed, instance, nil), Want: iam.Allow},
	{Name: "notresource/allow other resources",
		Identity: []string{doc(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}`)},
		Req:      req("s3:GetObject", "arn:aws:s3:::public/x", nil), Want: iam.Allow},
	{Name: "notresource/excluded resource",
		Identity: []string{doc(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}`)},
		Req:      req("s3:GetObject", "arn:aws:s3:::secret/x", nil), Want: iam.ImplicitDeny},
	{Name: "notresource/deny everything but own instance",
		Identity: []string{doc(allow("connect:*", "*"), `{"Effect":"Deny","Action":"connect:*","NotResource":"`+instance+`*"}`)},
		Req:      req(getFed, "arn:aws:connect:us-east-1:123456789012:instance/OTHER", nil), Want: iam.ExplicitDeny},

	// --- the documented GetFederationToken policy ------------------------
	{Name: "getfederationtoken/documented policy allows own user",
		Identity: []string{fedPolicy},
		Req:      req(getFed, instance+"/user/AROAEXAMPLE:alice", ctx("aws:userid", "AROAEXAMPLE:alice")), Want: iam.Allow},
	{Name: "getfederationtoken/documented policy denies another user",
		Identity: []string{fedPolicy},
		Req:      req(getFed, instance+"/user/AROAEXAMPLE:bob", ctx("aws:userid", "AROAEXAMPLE:alice")), Want: iam.ImplicitDeny},
	{Name: "getfederationtoken/documented policy other instance",
		Identity: []string{fedPolicy},
		Req:      req(getFed, "arn:aws:connect:us-east-1:123456789012:instance/OTHER/user/AROAEXAMPLE:alice", ctx("aws:userid", "AROAEXAMPLE:alice")), Want: iam.ImplicitDeny},
	{Name: "getfederationtoken/documented policy without userid",
		Identity: []string{fedPolicy},
		Req:      req(getFed, instance+"/user/", nil), Want: iam.ImplicitDeny},

	// --- policy variables ------------------------------------------------
	{Name: "var/aws:username",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		Req:      req("s3:GetObject", s3obj, aliceCtx), Want: iam.Allow},
	{Name: "var/aws:username other user's prefix",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/bob/file.txt", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "var/aws:userid",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:userid}"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/AIDAALICE", aliceCtx), Want: iam.Allow},
	{Name: "var/aws:PrincipalAccount",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket-${aws:PrincipalAccount}/*"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket-123456789012/x", aliceCtx), Want: iam.Allow},
	{Name: "var/any context key",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/${connect:InstanceId}"))},
		Req:      req(getFed, instance, ctx("connect:InstanceId", "INSTANCEID")), Want: iam.Allow},
	{Name: "var/key in policy is case-insensitive",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${AWS:UserName}/*"))},
		Req:      req("s3:GetObject", s3obj, aliceCtx), Want: iam.Allow},
	{Name: "var/key in context is case-insensitive",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		Req:      req("s3:GetObject", s3obj, ctx("AWS:USERNAME", "alice")), Want: iam.Allow},
	{Name: "var/default used when key absent",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username, 'anonymous'}/*"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/anonymous/x", nil), Want: iam.Allow},
	{Name: "var/default ignored when key present",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username, 'anonymous'}/*"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/anonymous/x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "var/absent key matches nothing",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/x", nil), Want: iam.ImplicitDeny},
	{Name: "var/absent key in NotResource excludes nothing",
		Identity: []string{doc(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/${aws:username}/*"}`)},
		Req:      req("s3:GetObject", s3obj, nil), Want: iam.Allow},
	{Name: "var/multi-valued key does not resolve",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		Req:      req("s3:GetObject", s3obj, ctx("aws:username", "alice", "aws:username", "bob")), Want: iam.ImplicitDeny},
	{Name: "var/star in value is literal not wildcard",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/file.txt"))},
		Req:      req("s3:GetObject", s3obj, ctx("aws:username", "*")), Want: iam.ImplicitDeny},
	{Name: "var/star in value matches a literal star",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/file.txt"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/*/file.txt", ctx("aws:username", "*")), Want: iam.Allow},
	{Name: "var/question mark in value is literal",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/file.txt"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/a/file.txt", ctx("aws:username", "?")), Want: iam.ImplicitDeny},
	{Name: "var/escape ${*} is a literal star",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${*}"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/x", nil), Want: iam.ImplicitDeny},
	{Name: "var/escape ${*} matches star",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${*}"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/*", nil), Want: iam.Allow},
	{Name: "var/escape ${?} and ${$}",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${?}${$}"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/?$", nil), Want: iam.Allow},
	{Name: "var/escape ${?} is not a wildcard",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${?}"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/x", nil), Want: iam.ImplicitDeny},
	{Name: "var/2008-10-17 does not substitute",
		Identity: []string{`{"Version":"2008-10-17","Statement":[` + allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*") + `]}`},
		Req:      req("s3:GetObject", s3obj, aliceCtx), Want: iam.ImplicitDeny},
	{Name: "var/2008-10-17 matches the literal text",
		Identity: []string{`{"Version":"2008-10-17","Statement":[` + allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*") + `]}`},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/x", aliceCtx), Want: iam.Allow},
	{Name: "var/no Version does not substitute",
		Identity: []string{`{"Statement":[` + allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*") + `]}`},
		Req:      req("s3:GetObject", s3obj, aliceCtx), Want: iam.ImplicitDeny},
	{Name: "var/not substituted before the fifth colon",
		Identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:${aws:PrincipalAccount}:instance/*"))},
		Req:      req(getFed, instance, aliceCtx), Want: iam.ImplicitDeny},
	{Name: "var/in condition value",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:username", "alice", "s3:prefix", "home/alice")), Want: iam.Allow},
	{Name: "var/in condition value other user",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:username", "bob", "s3:prefix", "home/alice")), Want: iam.ImplicitDeny},
	{Name: "var/in StringLike value is literal",
		Identity: []string{doc(condStmt("Allow", `{"StringLike":{"s3:prefix":"${aws:username}/*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:username", "*", "s3:prefix", "bob/x")), Want: iam.ImplicitDeny},
	{Name: "var/in StringEqualsIgnoreCase value",
		Identity: []string{doc(condStmt("Allow", `{"StringEqualsIgnoreCase":{"s3:prefix":"${aws:username}"}}`))},
		Req:      req("s3:GetObject", "x", ctx("s3:prefix", "ALICE", "aws:username", "alice")), Want: iam.Allow},
	{Name: "var/condition value with absent variable",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"s3:prefix":"${aws:username}"}}`))},
		Req:      req("s3:GetObject", "x", ctx("s3:prefix", "${aws:username}")), Want: iam.ImplicitDeny},

	// --- String operators ------------------------------------------------
	{Name: "cond/StringEquals match",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/StringEquals is case-sensitive",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"Alice"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/StringEquals star is literal",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"*"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/StringEquals absent key is false",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.ImplicitDeny},
	{Name: "cond/condition key name is case-insensitive",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"AWS:UserName":"alice"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/StringNotEquals other value",
		Identity: []string{doc(condStmt("Allow", `{"StringNotEquals":{"aws:username":"bob"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/StringNotEquals same value",
		Identity: []string{doc(condStmt("Allow", `{"StringNotEquals":{"aws:username":"alice"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/StringNotEquals absent key is true",
		Identity: []string{doc(condStmt("Deny", `{"StringNotEquals":{"aws:username":"alice"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.ExplicitDeny},
	{Name: "cond/StringEqualsIgnoreCase",
		Identity: []string{doc(condStmt("Allow", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/StringNotEqualsIgnoreCase",
		Identity: []string{doc(condStmt("Allow", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/StringLike wildcard",
		Identity: []string{doc(condStmt("Allow", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), Want: iam.Allow},
	{Name: "cond/StringLike no match",
		Identity: []string{doc(condStmt("Allow", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/b?b"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), Want: iam.ImplicitDeny},
	{Name: "cond/StringNotLike",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", bob)), Want: iam.ExplicitDeny},

	// --- multiple values, keys and operators ------------------------------
	{Name: "cond/multiple values are ORed",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":["bob","alice"]}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/negated multiple values are NORed",
		Identity: []string{doc(condStmt("Allow", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/multiple keys are ANDed",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice","aws:PrincipalAccount":"210987654321"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/multiple keys all true",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice","aws:PrincipalAccount":"123456789012"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/multiple operators are ANDed",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:username", "alice", "aws:SecureTransport", "false")), Want: iam.ImplicitDeny},

	// --- Bool, Null, IfExists --------------------------------------------
	{Name: "cond/Bool true",
		Identity: []string{doc(condStmt("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "true")), Want: iam.Allow},
	{Name: "cond/Bool with JSON boolean",
		Identity: []string{doc(condStmt("Deny", `{"Bool":{"aws:SecureTransport":false}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "false")), Want: iam.ExplicitDeny},
	{Name: "cond/Bool mismatch",
		Identity: []string{doc(condStmt("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "false")), Want: iam.ImplicitDeny},
	{Name: "cond/Bool absent key",
		Identity: []string{doc(condStmt("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.ImplicitDeny},
	{Name: "cond/BoolIfExists absent key",
		Identity: []string{doc(condStmt("Allow", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.Allow},
	{Name: "cond/StringEqualsIfExists present and different",
		Identity: []string{doc(condStmt("Allow", `{"StringEqualsIfExists":{"aws:username":"bob"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/StringEqualsIfExists present and equal",
		Identity: []string{doc(condStmt("Allow", `{"StringEqualsIfExists":{"aws:username":"alice"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/Null true means absent",
		Identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":"true"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.Allow},
	{Name: "cond/Null true but present",
		Identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":"true"}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.ImplicitDeny},
	{Name: "cond/Null false means present",
		Identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":false}}`))},
		Req:      req("s3:GetObject", "x", aliceCtx), Want: iam.Allow},
	{Name: "cond/Null empty value list counts as absent",
		Identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":"true"}}`))},
		Req:      req("s3:GetObject", "x", map[string][]string{"aws:username": {}}), Want: iam.Allow},

	// --- ARN operators ----------------------------------------------------
	{Name: "cond/ArnEquals exact",
		Identity: []string{doc(condStmt("Allow", `{"ArnEquals":{"aws:PrincipalArn":"`+alice+`"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), Want: iam.Allow},
	{Name: "cond/ArnLike wildcard within a component",
		Identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), Want: iam.Allow},
	{Name: "cond/ArnLike wildcard does not span components",
		Identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:*:user/alice"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), Want: iam.ImplicitDeny},
	{Name: "cond/ArnLike other account",
		Identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::210987654321:user/*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), Want: iam.ImplicitDeny},
	{Name: "cond/ArnNotEquals",
		Identity: []string{doc(condStmt("Allow", `{"ArnNotEquals":{"aws:PrincipalArn":"`+alice+`"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", bob)), Want: iam.Allow},
	{Name: "cond/ArnNotLike matching value",
		Identity: []string{doc(condStmt("Allow", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", bob)), Want: iam.ImplicitDeny},
	{Name: "cond/ArnLike with variable",
		Identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username}"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice, "aws:username", "alice")), Want: iam.Allow},

	// --- Numeric, Date, IP, Binary --------------------------------------
	{Name: "cond/NumericLessThan true",
		Identity: []string{doc(condStmt("Allow", `{"NumericLessThan":{"s3:max-keys":10}}`))},
		Req:      req("s3:GetObject", "x", ctx("s3:max-keys", "9")), Want: iam.Allow},
	{Name: "cond/NumericLessThan false",
		Identity: []string{doc(condStmt("Allow", `{"NumericLessThan":{"s3:max-keys":"10"}}`))},
		Req:      req("s3:GetObject", "x", ctx("s3:max-keys", "10")), Want: iam.ImplicitDeny},
	{Name: "cond/NumericNotEquals",
		Identity: []string{doc(condStmt("Allow", `{"NumericNotEquals":{"s3:max-keys":["1","2"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("s3:max-keys", "2.0")), Want: iam.ImplicitDeny},
	{Name: "cond/DateGreaterThan current time",
		Identity: []string{doc(condStmt("Allow", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:CurrentTime", "2024-05-01T12:00:00Z")), Want: iam.Allow},
	{Name: "cond/DateLessThan expired",
		Identity: []string{doc(condStmt("Allow", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:CurrentTime", "2024-05-01T12:00:00Z")), Want: iam.ImplicitDeny},
	{Name: "cond/DateLessThan epoch",
		Identity: []string{doc(condStmt("Allow", `{"DateLessThan":{"aws:EpochTime":"2000000000"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:EpochTime", "1700000000")), Want: iam.Allow},
	{Name: "cond/IpAddress inside CIDR",
		Identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "203.0.113.7")), Want: iam.Allow},
	{Name: "cond/IpAddress IPv6",
		Identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "2001:db8::1")), Want: iam.Allow},
	{Name: "cond/IpAddress outside",
		Identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "198.51.100.1")), Want: iam.ImplicitDeny},
	{Name: "cond/NotIpAddress deny outside",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "198.51.100.1")), Want: iam.ExplicitDeny},
	{Name: "cond/NotIpAddress single address inside",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.9"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "203.0.113.9")), Want: iam.Allow},
	{Name: "cond/BinaryEquals",
		Identity: []string{doc(condStmt("Allow", `{"BinaryEquals":{"s3:blob":"QmluYXJ5"}}`))},
		Req:      req("s3:GetObject", "x", ctx("s3:blob", "QmluYXJ5")), Want: iam.Allow},

	// --- set operators ----------------------------------------------------
	{Name: "cond/ForAnyValue one matches",
		Identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "cost", "aws:TagKeys", "team")), Want: iam.Allow},
	{Name: "cond/ForAnyValue none matches",
		Identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "cost")), Want: iam.ImplicitDeny},
	{Name: "cond/ForAnyValue absent key is false",
		Identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.ImplicitDeny},
	{Name: "cond/ForAllValues all in set",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "team")), Want: iam.Allow},
	{Name: "cond/ForAllValues one outside set",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")), Want: iam.ImplicitDeny},
	{Name: "cond/ForAllValues absent key is true",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.Allow},
	{Name: "cond/ForAllValues StringLike",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringLike":{"aws:TagKeys":"app-*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "app-a", "aws:TagKeys", "app-b")), Want: iam.Allow},
	{Name: "cond/ForAnyValue StringNotEquals",
		Identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")), Want: iam.Allow},
	{Name: "cond/ForAllValues StringNotEquals",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"env"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")), Want: iam.ImplicitDeny},

	// --- IAM paths (resources are the entity's ARN with its path) --------
	{Name: "path/deny on a path prefix covers a user under it",
		Identity: []string{doc(allow("iam:*", "*"), deny("iam:*", "arn:aws:iam::123456789012:user/admins/*"))},
		Req:      req("iam:PutUserPolicy", "arn:aws:iam::123456789012:user/admins/boss", nil), Want: iam.ExplicitDeny},
	{Name: "path/deny on a path prefix leaves the root path alone",
		Identity: []string{doc(allow("iam:*", "*"), deny("iam:*", "arn:aws:iam::123456789012:user/admins/*"))},
		Req:      req("iam:PutUserPolicy", "arn:aws:iam::123456789012:user/boss", nil), Want: iam.Allow},
	{Name: "path/allow on a path prefix covers nested paths",
		Identity: []string{doc(allow("iam:GetUser", "arn:aws:iam::123456789012:user/admins/*"))},
		Req:      req("iam:GetUser", "arn:aws:iam::123456789012:user/admins/eu/boss", nil), Want: iam.Allow},
	{Name: "path/user/NAME does not match a user under a path",
		Identity: []string{doc(allow("iam:GetUser", "arn:aws:iam::123456789012:user/boss"))},
		Req:      req("iam:GetUser", "arn:aws:iam::123456789012:user/admins/boss", nil), Want: iam.ImplicitDeny},
	{Name: "path/user/*NAME matches the name under any path",
		Identity: []string{doc(allow("iam:GetUser", "arn:aws:iam::123456789012:user/*boss"))},
		Req:      req("iam:GetUser", "arn:aws:iam::123456789012:user/admins/boss", nil), Want: iam.Allow},
	{Name: "path/resource is case-sensitive (canonical name)",
		Identity: []string{doc(allow("iam:*", "*"), deny("iam:*", "arn:aws:iam::123456789012:user/Root2"))},
		Req:      req("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/ROOT2", nil), Want: iam.Allow},
	{Name: "path/NotResource with a path excludes it",
		Identity: []string{doc(`{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::123456789012:user/admins/*"}`)},
		Req:      req("iam:DeleteUser", "arn:aws:iam::123456789012:user/admins/boss", nil), Want: iam.ImplicitDeny},
	{Name: "path/NotResource with a path allows elsewhere",
		Identity: []string{doc(`{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::123456789012:user/admins/*"}`)},
		Req:      req("iam:DeleteUser", "arn:aws:iam::123456789012:user/dev/carol", nil), Want: iam.Allow},
	{Name: "path/deny NotResource outside a path",
		Identity: []string{doc(allow("iam:*", "*"), `{"Effect":"Deny","Action":"iam:*","NotResource":"arn:aws:iam::123456789012:user/sandbox/*"}`)},
		Req:      req("iam:CreateUser", "arn:aws:iam::123456789012:user/prod/x", nil), Want: iam.ExplicitDeny},
	{Name: "path/NotAction with a path resource",
		Identity: []string{doc(`{"Effect":"Allow","NotAction":"iam:Delete*","Resource":"arn:aws:iam::123456789012:role/app/*"}`)},
		Req:      req("iam:GetRole", "arn:aws:iam::123456789012:role/app/Worker", nil), Want: iam.Allow},
	{Name: "path/NotAction excludes deletes under a path",
		Identity: []string{doc(`{"Effect":"Allow","NotAction":"iam:Delete*","Resource":"arn:aws:iam::123456789012:role/app/*"}`)},
		Req:      req("iam:DeleteRole", "arn:aws:iam::123456789012:role/app/Worker", nil), Want: iam.ImplicitDeny},
	{Name: "path/variable after a path wildcard",
		Identity: []string{doc(allow("iam:*AccessKey*", "arn:aws:iam::123456789012:user/*/${aws:username}"))},
		Req:      req("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/eng/alice", ctx("aws:username", "alice")), Want: iam.Allow},
	{Name: "path/variable after a path wildcard, other user",
		Identity: []string{doc(allow("iam:*AccessKey*", "arn:aws:iam::123456789012:user/*/${aws:username}"))},
		Req:      req("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/eng/bob", ctx("aws:username", "alice")), Want: iam.ImplicitDeny},
	{Name: "path/aws:PrincipalArn of a pathed role",
		Identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123")), Want: iam.Allow},
	{Name: "path/aws:PrincipalArn without the path does not match",
		Identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123")), Want: iam.ImplicitDeny},

	// --- global condition keys ----------------------------------------------
	{Name: "global/aws:SourceIp in range",
		Identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "203.0.113.9")), Want: iam.Allow},
	{Name: "global/aws:SourceIp deny outside",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "127.0.0.1")), Want: iam.ExplicitDeny},
	{Name: "global/aws:SourceIp IPv6",
		Identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "2001:db8::1")), Want: iam.Allow},
	{Name: "global/aws:SecureTransport false denied",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"Bool":{"aws:SecureTransport":"false"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "false")), Want: iam.ExplicitDeny},
	{Name: "global/aws:SecureTransport true passes the deny",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"Bool":{"aws:SecureTransport":"false"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "true")), Want: iam.Allow},
	{Name: "global/aws:RequestedRegion deny outside the list",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:RequestedRegion", "us-east-1")), Want: iam.ExplicitDeny},
	{Name: "global/aws:RequestedRegion inside the list",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:RequestedRegion", "eu-west-1")), Want: iam.Allow},
	{Name: "global/aws:EpochTime numeric",
		Identity: []string{doc(condStmt("Allow", `{"NumericLessThan":{"aws:EpochTime":"4102444800"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:EpochTime", "1795000000")), Want: iam.Allow},
	{Name: "global/aws:EpochTime compared as a date",
		Identity: []string{doc(condStmt("Allow", `{"DateGreaterThan":{"aws:EpochTime":"2030-01-01T00:00:00Z"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:EpochTime", "1795000000")), Want: iam.ImplicitDeny},
	{Name: "global/aws:CurrentTime window",
		Identity: []string{doc(condStmt("Allow", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:CurrentTime", "2026-11-30T13:00:00Z")), Want: iam.Allow},
	{Name: "global/aws:TokenIssueTime before a revocation",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"DateLessThan":{"aws:TokenIssueTime":"2026-11-30T12:00:00Z"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:TokenIssueTime", "2026-11-30T11:00:00Z")), Want: iam.ExplicitDeny},
	{Name: "global/aws:TokenIssueTime absent for long-term keys",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"DateLessThan":{"aws:TokenIssueTime":"2026-11-30T12:00:00Z"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.Allow},
	{Name: "global/aws:MultiFactorAuthPresent BoolIfExists false denies a session",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:MultiFactorAuthPresent", "false")), Want: iam.ExplicitDeny},
	{Name: "global/aws:MultiFactorAuthPresent BoolIfExists false denies long-term keys",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.ExplicitDeny},
	{Name: "global/aws:MultiFactorAuthPresent Bool false ignores long-term keys",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.Allow},
	{Name: "global/aws:PrincipalType",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalType", "User")), Want: iam.ImplicitDeny},
	{Name: "global/aws:PrincipalAccount",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"StringNotEquals":{"aws:PrincipalAccount":"123456789012"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalAccount", "123456789012")), Want: iam.Allow},
	{Name: "global/aws:userid of a role session",
		Identity: []string{doc(condStmt("Allow", `{"StringLike":{"aws:userid":"AROAEXAMPLE:*"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:userid", "AROAEXAMPLE:alice")), Want: iam.Allow},
	{Name: "global/aws:username absent for a role session",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:userid", "AROAEXAMPLE:alice")), Want: iam.ImplicitDeny},
	{Name: "global/aws:ViaAWSService false",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"Bool":{"aws:ViaAWSService":"true"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:ViaAWSService", "false")), Want: iam.Allow},
	{Name: "global/aws:CalledVia absent: ForAnyValue is false",
		Identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringEquals":{"aws:CalledVia":"cloudformation.amazonaws.com"}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.ImplicitDeny},
	{Name: "global/aws:SourceIdentity",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:SourceIdentity":"alice"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:SourceIdentity", "alice")), Want: iam.Allow},

	// --- session tags and request tags ----------------------------------------
	{Name: "tags/aws:PrincipalTag matches",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalTag/team", "blue")), Want: iam.Allow},
	{Name: "tags/aws:PrincipalTag key is case-insensitive",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:PrincipalTag/team", "blue")), Want: iam.Allow},
	{Name: "tags/aws:PrincipalTag as a variable in the resource",
		Identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"))},
		Req:      req("s3:GetObject", "arn:aws:s3:::bucket/blue/x", ctx("aws:PrincipalTag/team", "blue")), Want: iam.Allow},
	{Name: "tags/ForAllValues aws:TagKeys within the allowed set",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cc"]}}`))},
		Req:      req("s3:GetObject", "x", map[string][]string{"aws:TagKeys": {"team", "cc"}}), Want: iam.Allow},
	{Name: "tags/ForAllValues aws:TagKeys with an extra key",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cc"]}}`))},
		Req:      req("s3:GetObject", "x", map[string][]string{"aws:TagKeys": {"team", "admin"}}), Want: iam.ImplicitDeny},
	{Name: "tags/ForAllValues aws:TagKeys with no tags is true",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.Allow},
	{Name: "tags/ForAnyValue aws:TagKeys deny a forbidden key",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["admin"]}}`))},
		Req:      req("s3:GetObject", "x", map[string][]string{"aws:TagKeys": {"team", "admin"}}), Want: iam.ExplicitDeny},
	{Name: "tags/ForAnyValue aws:TagKeys without the forbidden key",
		Identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["admin"]}}`))},
		Req:      req("s3:GetObject", "x", map[string][]string{"aws:TagKeys": {"team"}}), Want: iam.Allow},
	{Name: "tags/aws:RequestTag StringEqualsIfExists absent",
		Identity: []string{doc(condStmt("Allow", `{"StringEqualsIfExists":{"aws:RequestTag/team":["blue","red"]}}`))},
		Req:      req("s3:GetObject", "x", nil), Want: iam.Allow},
	{Name: "tags/aws:RequestTag StringEqualsIfExists other value",
		Identity: []string{doc(condStmt("Allow", `{"StringEqualsIfExists":{"aws:RequestTag/team":["blue","red"]}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:RequestTag/team", "green")), Want: iam.ImplicitDeny},
	{Name: "tags/sts:TransitiveTagKeys ForAllValues",
		Identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"sts:TransitiveTagKeys":["team"]}}`))},
		Req:      req("s3:GetObject", "x", map[string][]string{"sts:TransitiveTagKeys": {"team", "cc"}}), Want: iam.ImplicitDeny},
	{Name: "tags/principal tag equals request tag variable",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:RequestTag/team", "blue", "aws:PrincipalTag/team", "blue")), Want: iam.Allow},
	{Name: "tags/principal tag differs from request tag variable",
		Identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}`))},
		Req:      req("s3:GetObject", "x", ctx("aws:RequestTag/team", "red", "aws:PrincipalTag/team", "blue")), Want: iam.ImplicitDeny},

	// --- trust policies -------------------------------------------------
	{Name: "trust/account id matches its user",
		Trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		Req:   trustReq(alice, nil), Want: iam.Allow},
	{Name: "trust/account root ARN matches its role session",
		Trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:root"}`)},
		Req:   trustReq("arn:aws:sts::123456789012:assumed-role/Other/s1", nil), Want: iam.Allow},
	{Name: "trust/account principal other account",
		Trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		Req:   trustReq("arn:aws:iam::210987654321:user/alice", nil), Want: iam.ImplicitDeny},
	{Name: "trust/account from ARN when AccountID empty",
		Trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		Req: iam.Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/Target",
			Principal: &iam.PrincipalInfo{ARN: alice}}, Want: iam.Allow},
	{Name: "trust/user ARN exact",
		Trust: []string{trustDoc(`{"AWS":["` + alice + `"]}`)},
		Req:   trustReq(alice, nil), Want: iam.Allow},
	{Name: "trust/user ARN other user",
		Trust: []string{trustDoc(`{"AWS":"` + alice + `"}`)},
		Req:   trustReq(bob, nil), Want: iam.ImplicitDeny},
	{Name: "trust/role ARN matches its session",
		Trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/Caller"}`)},
		Req:   trustReq("arn:aws:sts::123456789012:assumed-role/Caller/alice", nil), Want: iam.Allow},
	{Name: "trust/role ARN with path matches its session",
		Trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/team/ops/Caller"}`)},
		Req:   trustReq("arn:aws:sts::123456789012:assumed-role/Caller/alice", nil), Want: iam.Allow},
	{Name: "trust/role ARN other role's session",
		Trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/Caller"}`)},
		Req:   trustReq("arn:aws:sts::123456789012:assumed-role/CallerX/alice", nil), Want: iam.ImplicitDeny},
	{Name: "trust/role ARN same name other account",
		Trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/Caller"}`)},
		Req:   trustReq("arn:aws:sts::210987654321:assumed-role/Caller/alice", nil), Want: iam.ImplicitDeny},
	{Name: "trust/role ARN does not match a user of that name",
		Trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/alice"}`)},
		Req:   trustReq(alice, nil), Want: iam.ImplicitDeny},
	{Name: "trust/assumed-role session ARN exact",
		Trust: []string{trustDoc(`{"AWS":"arn:aws:sts::123456789012:assumed-role/Caller/alice"}`)},
		Req:   trustReq("arn:aws:sts::123456789012:assumed-role/Caller/bob", nil), Want: iam.ImplicitDeny},
	{Name: "trust/star matches anyone",
		Trust: []string{trustDoc(`"*"`)},
		Req:   trustReq("arn:aws:iam::210987654321:user/mallory", nil), Want: iam.Allow},
	{Name: "trust/AWS star matches anyone",
		Trust: []string{trustDoc(`{"AWS":"*"}`)},
		Req:   trustReq("arn:aws:iam::210987654321:user/mallory", nil), Want: iam.Allow},
	{Name: "trust/NotPrincipal deny spares the listed principal",
		Trust: []string{doc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`,
			`{"Effect":"Deny","NotPrincipal":{"AWS":"`+alice+`"},"Action":"sts:AssumeRole"}`)},
		Req: trustReq(alice, nil), Want: iam.Allow},
	{Name: "trust/NotPrincipal deny hits others",
		Trust: []string{doc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`,
			`{"Effect":"Deny","NotPrincipal":{"AWS":"`+alice+`"},"Action":"sts:AssumeRole"}`)},
		Req: trustReq(bob, nil), Want: iam.ExplicitDeny},
	{Name: "trust/Service principal never matches an AWS principal",
		Trust: []string{trustDoc(`{"Service":"ec2.amazonaws.com"}`)},
		Req:   trustReq(alice, nil), Want: iam.ImplicitDeny},
	{Name: "trust/Federated principal never matches an AWS principal",
		Trust: []string{trustDoc(`{"Federated":"arn:aws:iam::123456789012:saml-provider/idp"}`)},
		Req:   trustReq(alice, nil), Want: iam.ImplicitDeny},
	{Name: "trust/mixed principal map matches the AWS entry",
		Trust: []string{trustDoc(`{"Service":"ec2.amazonaws.com","AWS":["` + bob + `","` + alice + `"]}`)},
		Req:   trustReq(alice, nil), Want: iam.Allow},
	{Name: "trust/other action",
		Trust: []string{trustDoc(`"*"`)},
		Req: iam.Request{Action: "sts:TagSession", Resource: "arn:aws:iam::123456789012:role/Target",
			Principal: &iam.PrincipalInfo{ARN: alice, AccountID: acctA}}, Want: iam.ImplicitDeny},
	{Name: "trust/condition on external id",
		Trust: []string{trustDoc(`{"AWS":"123456789012"}`, `"Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}`)},
		Req:   trustReq(alice, ctx("sts:ExternalId", "s3cr3t")), Want: iam.Allow},
	{Name: "trust/condition on external id missing",
		Trust: []string{trustDoc(`{"AWS":"123456789012"}`, `"Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}`)},
		Req:   trustReq(alice, nil), Want: iam.ImplicitDeny},
	{Name: "trust/without requester allow does not apply",
		Trust: []string{trustDoc(`"*"`)},
		Req:   req("sts:AssumeRole", "arn:aws:iam::123456789012:role/Target", nil), Want: iam.ImplicitDeny},
	{Name: "trust/without requester deny applies",
		Trust:    []string{doc(`{"Effect":"Deny","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}`)},
		Identity: []string{doc(allow("sts:AssumeRole", "*"))},
		Req:      req("sts:AssumeRole", "arn:aws:iam::123456789012:role/Target", nil), Want: iam.ExplicitDeny},
	{Name: "trust/resource of the request is ignored",
		Trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		Req: iam.Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::210987654321:role/Elsewhere",
			Principal: &iam.PrincipalInfo{ARN: alice, AccountID: acctA}}, Want: iam.Allow},
}

// Helpers for other tests.
var (
	Doc      = doc
	Allow    = allow
	Deny     = deny
	Ctx      = ctx
	Req      = req
	CondStmt = condStmt
	TrustDoc = trustDoc
)

// Names used by other tests.
const (
	GetFed    = getFed
	Instance  = instance
	FedPolicy = fedPolicy
	AcctA     = acctA
)
