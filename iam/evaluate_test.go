package iam_test

import (
	"strings"
	"testing"

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

type evalCase struct {
	name     string
	identity []string // identity policy documents
	trust    []string // trust policy documents
	req      iam.Request
	want     iam.Decision
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

var evalCases = []evalCase{
	// --- basics ---------------------------------------------------------
	{name: "allow/exact action and resource",
		identity: []string{doc(allow(getFed, instance))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "implicit deny/other action",
		identity: []string{doc(allow(getFed, instance))},
		req:      req("connect:ListUsers", instance, nil), want: iam.ImplicitDeny},
	{name: "implicit deny/no policies",
		req: req(getFed, instance, nil), want: iam.ImplicitDeny},
	{name: "implicit deny/other resource",
		identity: []string{doc(allow(getFed, instance))},
		req:      req(getFed, instance+"2", nil), want: iam.ImplicitDeny},
	{name: "explicit deny beats allow in same policy",
		identity: []string{doc(allow("connect:*", "*"), deny(getFed, instance))},
		req:      req(getFed, instance, nil), want: iam.ExplicitDeny},
	{name: "explicit deny beats allow across policies",
		identity: []string{doc(allow("connect:*", "*")), doc(deny(getFed, "*"))},
		req:      req(getFed, instance, nil), want: iam.ExplicitDeny},
	{name: "explicit deny listed before allow still wins",
		identity: []string{doc(deny(getFed, "*")), doc(allow("*", "*"))},
		req:      req(getFed, instance, nil), want: iam.ExplicitDeny},
	{name: "deny on other action leaves allow",
		identity: []string{doc(allow("connect:*", "*"), deny("connect:DeleteUser", "*"))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "deny alone is explicit deny",
		identity: []string{doc(deny("*", "*"))},
		req:      req(getFed, instance, nil), want: iam.ExplicitDeny},

	// --- action matching ------------------------------------------------
	{name: "action/case-insensitive request",
		identity: []string{doc(allow(getFed, instance))},
		req:      req("CONNECT:getfederationtoken", instance, nil), want: iam.Allow},
	{name: "action/case-insensitive policy",
		identity: []string{doc(allow("Connect:GETFEDERATIONTOKEN", instance))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "action/star matches everything",
		identity: []string{doc(allow("*", "*"))},
		req:      req("iam:CreateUser", "arn:aws:iam::123456789012:user/x", nil), want: iam.Allow},
	{name: "action/service star",
		identity: []string{doc(allow("connect:*", "*"))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "action/service star other service",
		identity: []string{doc(allow("connect:*", "*"))},
		req:      req("sts:AssumeRole", instance, nil), want: iam.ImplicitDeny},
	{name: "action/prefix star",
		identity: []string{doc(allow("connect:Get*", "*"))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "action/prefix star no match",
		identity: []string{doc(allow("connect:Get*", "*"))},
		req:      req("connect:ListUsers", instance, nil), want: iam.ImplicitDeny},
	{name: "action/question mark one char",
		identity: []string{doc(allow("connect:Get?ederationToken", "*"))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "action/question mark needs a char",
		identity: []string{doc(allow("connect:GetFederationToken?", "*"))},
		req:      req(getFed, instance, nil), want: iam.ImplicitDeny},
	{name: "action/list any entry",
		identity: []string{doc(allow(`["connect:ListUsers","connect:GetFederationToken"]`, "*"))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "action/no partial match without wildcard",
		identity: []string{doc(allow("connect:GetFederation", "*"))},
		req:      req(getFed, instance, nil), want: iam.ImplicitDeny},

	// --- resource matching ----------------------------------------------
	{name: "resource/case-sensitive",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/instanceid"))},
		req:      req(getFed, instance, nil), want: iam.ImplicitDeny},
	{name: "resource/star crosses colon and slash",
		identity: []string{doc(allow(getFed, "arn:aws:connect:*"))},
		req:      req(getFed, instance+"/user/x", nil), want: iam.Allow},
	{name: "resource/star in middle",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/*/user/*"))},
		req:      req(getFed, instance+"/user/AROA:alice", nil), want: iam.Allow},
	{name: "resource/star in middle wrong suffix",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/*/user/*"))},
		req:      req(getFed, instance+"/agent/x", nil), want: iam.ImplicitDeny},
	{name: "resource/question mark",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-?:123456789012:instance/INSTANCEID"))},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "resource/question mark exactly one",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-??:123456789012:instance/INSTANCEID"))},
		req:      req(getFed, instance, nil), want: iam.ImplicitDeny},
	{name: "resource/cross-account denied",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/*"))},
		req:      req(getFed, "arn:aws:connect:us-east-1:210987654321:instance/INSTANCEID", nil), want: iam.ImplicitDeny},
	{name: "resource/cross-account allowed by account wildcard",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:*:instance/*"))},
		req:      req(getFed, "arn:aws:connect:us-east-1:210987654321:instance/INSTANCEID", nil), want: iam.Allow},

	// --- NotAction / NotResource ----------------------------------------
	{name: "notaction/allow everything else",
		identity: []string{doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "notaction/excluded action",
		identity: []string{doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)},
		req:      req("IAM:CreateUser", "*", nil), want: iam.ImplicitDeny},
	{name: "notaction/deny everything outside connect",
		identity: []string{doc(allow("*", "*"), `{"Effect":"Deny","NotAction":"connect:*","Resource":"*"}`)},
		req:      req("sts:AssumeRole", "*", nil), want: iam.ExplicitDeny},
	{name: "notaction/deny does not hit listed action",
		identity: []string{doc(allow("*", "*"), `{"Effect":"Deny","NotAction":"connect:*","Resource":"*"}`)},
		req:      req(getFed, instance, nil), want: iam.Allow},
	{name: "notresource/allow other resources",
		identity: []string{doc(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}`)},
		req:      req("s3:GetObject", "arn:aws:s3:::public/x", nil), want: iam.Allow},
	{name: "notresource/excluded resource",
		identity: []string{doc(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}`)},
		req:      req("s3:GetObject", "arn:aws:s3:::secret/x", nil), want: iam.ImplicitDeny},
	{name: "notresource/deny everything but own instance",
		identity: []string{doc(allow("connect:*", "*"), `{"Effect":"Deny","Action":"connect:*","NotResource":"`+instance+`*"}`)},
		req:      req(getFed, "arn:aws:connect:us-east-1:123456789012:instance/OTHER", nil), want: iam.ExplicitDeny},

	// --- the documented GetFederationToken policy ------------------------
	{name: "getfederationtoken/documented policy allows own user",
		identity: []string{fedPolicy},
		req:      req(getFed, instance+"/user/AROAEXAMPLE:alice", ctx("aws:userid", "AROAEXAMPLE:alice")), want: iam.Allow},
	{name: "getfederationtoken/documented policy denies another user",
		identity: []string{fedPolicy},
		req:      req(getFed, instance+"/user/AROAEXAMPLE:bob", ctx("aws:userid", "AROAEXAMPLE:alice")), want: iam.ImplicitDeny},
	{name: "getfederationtoken/documented policy other instance",
		identity: []string{fedPolicy},
		req:      req(getFed, "arn:aws:connect:us-east-1:123456789012:instance/OTHER/user/AROAEXAMPLE:alice", ctx("aws:userid", "AROAEXAMPLE:alice")), want: iam.ImplicitDeny},
	{name: "getfederationtoken/documented policy without userid",
		identity: []string{fedPolicy},
		req:      req(getFed, instance+"/user/", nil), want: iam.ImplicitDeny},

	// --- policy variables ------------------------------------------------
	{name: "var/aws:username",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		req:      req("s3:GetObject", s3obj, aliceCtx), want: iam.Allow},
	{name: "var/aws:username other user's prefix",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/bob/file.txt", aliceCtx), want: iam.ImplicitDeny},
	{name: "var/aws:userid",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:userid}"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/AIDAALICE", aliceCtx), want: iam.Allow},
	{name: "var/aws:PrincipalAccount",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket-${aws:PrincipalAccount}/*"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket-123456789012/x", aliceCtx), want: iam.Allow},
	{name: "var/any context key",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:123456789012:instance/${connect:InstanceId}"))},
		req:      req(getFed, instance, ctx("connect:InstanceId", "INSTANCEID")), want: iam.Allow},
	{name: "var/key in policy is case-insensitive",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${AWS:UserName}/*"))},
		req:      req("s3:GetObject", s3obj, aliceCtx), want: iam.Allow},
	{name: "var/key in context is case-insensitive",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		req:      req("s3:GetObject", s3obj, ctx("AWS:USERNAME", "alice")), want: iam.Allow},
	{name: "var/default used when key absent",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username, 'anonymous'}/*"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/anonymous/x", nil), want: iam.Allow},
	{name: "var/default ignored when key present",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username, 'anonymous'}/*"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/anonymous/x", aliceCtx), want: iam.ImplicitDeny},
	{name: "var/absent key matches nothing",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/x", nil), want: iam.ImplicitDeny},
	{name: "var/absent key in NotResource excludes nothing",
		identity: []string{doc(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/${aws:username}/*"}`)},
		req:      req("s3:GetObject", s3obj, nil), want: iam.Allow},
	{name: "var/multi-valued key does not resolve",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))},
		req:      req("s3:GetObject", s3obj, ctx("aws:username", "alice", "aws:username", "bob")), want: iam.ImplicitDeny},
	{name: "var/star in value is literal not wildcard",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/file.txt"))},
		req:      req("s3:GetObject", s3obj, ctx("aws:username", "*")), want: iam.ImplicitDeny},
	{name: "var/star in value matches a literal star",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/file.txt"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/*/file.txt", ctx("aws:username", "*")), want: iam.Allow},
	{name: "var/question mark in value is literal",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/file.txt"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/a/file.txt", ctx("aws:username", "?")), want: iam.ImplicitDeny},
	{name: "var/escape ${*} is a literal star",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${*}"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/x", nil), want: iam.ImplicitDeny},
	{name: "var/escape ${*} matches star",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${*}"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/*", nil), want: iam.Allow},
	{name: "var/escape ${?} and ${$}",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${?}${$}"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/?$", nil), want: iam.Allow},
	{name: "var/escape ${?} is not a wildcard",
		identity: []string{doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${?}"))},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/x", nil), want: iam.ImplicitDeny},
	{name: "var/2008-10-17 does not substitute",
		identity: []string{`{"Version":"2008-10-17","Statement":[` + allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*") + `]}`},
		req:      req("s3:GetObject", s3obj, aliceCtx), want: iam.ImplicitDeny},
	{name: "var/2008-10-17 matches the literal text",
		identity: []string{`{"Version":"2008-10-17","Statement":[` + allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*") + `]}`},
		req:      req("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/x", aliceCtx), want: iam.Allow},
	{name: "var/no Version does not substitute",
		identity: []string{`{"Statement":[` + allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*") + `]}`},
		req:      req("s3:GetObject", s3obj, aliceCtx), want: iam.ImplicitDeny},
	{name: "var/not substituted before the fifth colon",
		identity: []string{doc(allow(getFed, "arn:aws:connect:us-east-1:${aws:PrincipalAccount}:instance/*"))},
		req:      req(getFed, instance, aliceCtx), want: iam.ImplicitDeny},
	{name: "var/in condition value",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:username", "alice", "s3:prefix", "home/alice")), want: iam.Allow},
	{name: "var/in condition value other user",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:username", "bob", "s3:prefix", "home/alice")), want: iam.ImplicitDeny},
	{name: "var/in StringLike value is literal",
		identity: []string{doc(condStmt("Allow", `{"StringLike":{"s3:prefix":"${aws:username}/*"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:username", "*", "s3:prefix", "bob/x")), want: iam.ImplicitDeny},
	{name: "var/in StringEqualsIgnoreCase value",
		identity: []string{doc(condStmt("Allow", `{"StringEqualsIgnoreCase":{"s3:prefix":"${aws:username}"}}`))},
		req:      req("s3:GetObject", "x", ctx("s3:prefix", "ALICE", "aws:username", "alice")), want: iam.Allow},
	{name: "var/condition value with absent variable",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"s3:prefix":"${aws:username}"}}`))},
		req:      req("s3:GetObject", "x", ctx("s3:prefix", "${aws:username}")), want: iam.ImplicitDeny},

	// --- String operators ------------------------------------------------
	{name: "cond/StringEquals match",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/StringEquals is case-sensitive",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"Alice"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/StringEquals star is literal",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"*"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/StringEquals absent key is false",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"}}`))},
		req:      req("s3:GetObject", "x", nil), want: iam.ImplicitDeny},
	{name: "cond/condition key name is case-insensitive",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"AWS:UserName":"alice"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/StringNotEquals other value",
		identity: []string{doc(condStmt("Allow", `{"StringNotEquals":{"aws:username":"bob"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/StringNotEquals same value",
		identity: []string{doc(condStmt("Allow", `{"StringNotEquals":{"aws:username":"alice"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/StringNotEquals absent key is true",
		identity: []string{doc(condStmt("Deny", `{"StringNotEquals":{"aws:username":"alice"}}`))},
		req:      req("s3:GetObject", "x", nil), want: iam.ExplicitDeny},
	{name: "cond/StringEqualsIgnoreCase",
		identity: []string{doc(condStmt("Allow", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/StringNotEqualsIgnoreCase",
		identity: []string{doc(condStmt("Allow", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/StringLike wildcard",
		identity: []string{doc(condStmt("Allow", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), want: iam.Allow},
	{name: "cond/StringLike no match",
		identity: []string{doc(condStmt("Allow", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/b?b"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), want: iam.ImplicitDeny},
	{name: "cond/StringNotLike",
		identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", bob)), want: iam.ExplicitDeny},

	// --- multiple values, keys and operators ------------------------------
	{name: "cond/multiple values are ORed",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":["bob","alice"]}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/negated multiple values are NORed",
		identity: []string{doc(condStmt("Allow", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/multiple keys are ANDed",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice","aws:PrincipalAccount":"210987654321"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/multiple keys all true",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice","aws:PrincipalAccount":"123456789012"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/multiple operators are ANDed",
		identity: []string{doc(condStmt("Allow", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:username", "alice", "aws:SecureTransport", "false")), want: iam.ImplicitDeny},

	// --- Bool, Null, IfExists --------------------------------------------
	{name: "cond/Bool true",
		identity: []string{doc(condStmt("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "true")), want: iam.Allow},
	{name: "cond/Bool with JSON boolean",
		identity: []string{doc(condStmt("Deny", `{"Bool":{"aws:SecureTransport":false}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "false")), want: iam.ExplicitDeny},
	{name: "cond/Bool mismatch",
		identity: []string{doc(condStmt("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SecureTransport", "false")), want: iam.ImplicitDeny},
	{name: "cond/Bool absent key",
		identity: []string{doc(condStmt("Allow", `{"Bool":{"aws:SecureTransport":"true"}}`))},
		req:      req("s3:GetObject", "x", nil), want: iam.ImplicitDeny},
	{name: "cond/BoolIfExists absent key",
		identity: []string{doc(condStmt("Allow", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`))},
		req:      req("s3:GetObject", "x", nil), want: iam.Allow},
	{name: "cond/StringEqualsIfExists present and different",
		identity: []string{doc(condStmt("Allow", `{"StringEqualsIfExists":{"aws:username":"bob"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/StringEqualsIfExists present and equal",
		identity: []string{doc(condStmt("Allow", `{"StringEqualsIfExists":{"aws:username":"alice"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/Null true means absent",
		identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":"true"}}`))},
		req:      req("s3:GetObject", "x", nil), want: iam.Allow},
	{name: "cond/Null true but present",
		identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":"true"}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.ImplicitDeny},
	{name: "cond/Null false means present",
		identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":false}}`))},
		req:      req("s3:GetObject", "x", aliceCtx), want: iam.Allow},
	{name: "cond/Null empty value list counts as absent",
		identity: []string{doc(condStmt("Allow", `{"Null":{"aws:username":"true"}}`))},
		req:      req("s3:GetObject", "x", map[string][]string{"aws:username": {}}), want: iam.Allow},

	// --- ARN operators ----------------------------------------------------
	{name: "cond/ArnEquals exact",
		identity: []string{doc(condStmt("Allow", `{"ArnEquals":{"aws:PrincipalArn":"`+alice+`"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), want: iam.Allow},
	{name: "cond/ArnLike wildcard within a component",
		identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), want: iam.Allow},
	{name: "cond/ArnLike wildcard does not span components",
		identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:*:user/alice"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), want: iam.ImplicitDeny},
	{name: "cond/ArnLike other account",
		identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::210987654321:user/*"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice)), want: iam.ImplicitDeny},
	{name: "cond/ArnNotEquals",
		identity: []string{doc(condStmt("Allow", `{"ArnNotEquals":{"aws:PrincipalArn":"`+alice+`"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", bob)), want: iam.Allow},
	{name: "cond/ArnNotLike matching value",
		identity: []string{doc(condStmt("Allow", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/*"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", bob)), want: iam.ImplicitDeny},
	{name: "cond/ArnLike with variable",
		identity: []string{doc(condStmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username}"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:PrincipalArn", alice, "aws:username", "alice")), want: iam.Allow},

	// --- Numeric, Date, IP, Binary --------------------------------------
	{name: "cond/NumericLessThan true",
		identity: []string{doc(condStmt("Allow", `{"NumericLessThan":{"s3:max-keys":10}}`))},
		req:      req("s3:GetObject", "x", ctx("s3:max-keys", "9")), want: iam.Allow},
	{name: "cond/NumericLessThan false",
		identity: []string{doc(condStmt("Allow", `{"NumericLessThan":{"s3:max-keys":"10"}}`))},
		req:      req("s3:GetObject", "x", ctx("s3:max-keys", "10")), want: iam.ImplicitDeny},
	{name: "cond/NumericNotEquals",
		identity: []string{doc(condStmt("Allow", `{"NumericNotEquals":{"s3:max-keys":["1","2"]}}`))},
		req:      req("s3:GetObject", "x", ctx("s3:max-keys", "2.0")), want: iam.ImplicitDeny},
	{name: "cond/DateGreaterThan current time",
		identity: []string{doc(condStmt("Allow", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:CurrentTime", "2024-05-01T12:00:00Z")), want: iam.Allow},
	{name: "cond/DateLessThan expired",
		identity: []string{doc(condStmt("Allow", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:CurrentTime", "2024-05-01T12:00:00Z")), want: iam.ImplicitDeny},
	{name: "cond/DateLessThan epoch",
		identity: []string{doc(condStmt("Allow", `{"DateLessThan":{"aws:EpochTime":"2000000000"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:EpochTime", "1700000000")), want: iam.Allow},
	{name: "cond/IpAddress inside CIDR",
		identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "203.0.113.7")), want: iam.Allow},
	{name: "cond/IpAddress IPv6",
		identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "2001:db8::1")), want: iam.Allow},
	{name: "cond/IpAddress outside",
		identity: []string{doc(condStmt("Allow", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "198.51.100.1")), want: iam.ImplicitDeny},
	{name: "cond/NotIpAddress deny outside",
		identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "198.51.100.1")), want: iam.ExplicitDeny},
	{name: "cond/NotIpAddress single address inside",
		identity: []string{doc(allow("*", "*"), condStmt("Deny", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.9"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:SourceIp", "203.0.113.9")), want: iam.Allow},
	{name: "cond/BinaryEquals",
		identity: []string{doc(condStmt("Allow", `{"BinaryEquals":{"s3:blob":"QmluYXJ5"}}`))},
		req:      req("s3:GetObject", "x", ctx("s3:blob", "QmluYXJ5")), want: iam.Allow},

	// --- set operators ----------------------------------------------------
	{name: "cond/ForAnyValue one matches",
		identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "cost", "aws:TagKeys", "team")), want: iam.Allow},
	{name: "cond/ForAnyValue none matches",
		identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "cost")), want: iam.ImplicitDeny},
	{name: "cond/ForAnyValue absent key is false",
		identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		req:      req("s3:GetObject", "x", nil), want: iam.ImplicitDeny},
	{name: "cond/ForAllValues all in set",
		identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "team")), want: iam.Allow},
	{name: "cond/ForAllValues one outside set",
		identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")), want: iam.ImplicitDeny},
	{name: "cond/ForAllValues absent key is true",
		identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`))},
		req:      req("s3:GetObject", "x", nil), want: iam.Allow},
	{name: "cond/ForAllValues StringLike",
		identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringLike":{"aws:TagKeys":"app-*"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "app-a", "aws:TagKeys", "app-b")), want: iam.Allow},
	{name: "cond/ForAnyValue StringNotEquals",
		identity: []string{doc(condStmt("Allow", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"env"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")), want: iam.Allow},
	{name: "cond/ForAllValues StringNotEquals",
		identity: []string{doc(condStmt("Allow", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"env"}}`))},
		req:      req("s3:GetObject", "x", ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")), want: iam.ImplicitDeny},

	// --- trust policies -------------------------------------------------
	{name: "trust/account id matches its user",
		trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		req:   trustReq(alice, nil), want: iam.Allow},
	{name: "trust/account root ARN matches its role session",
		trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:root"}`)},
		req:   trustReq("arn:aws:sts::123456789012:assumed-role/Other/s1", nil), want: iam.Allow},
	{name: "trust/account principal other account",
		trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		req:   trustReq("arn:aws:iam::210987654321:user/alice", nil), want: iam.ImplicitDeny},
	{name: "trust/account from ARN when AccountID empty",
		trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		req: iam.Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/Target",
			Principal: &iam.PrincipalInfo{ARN: alice}}, want: iam.Allow},
	{name: "trust/user ARN exact",
		trust: []string{trustDoc(`{"AWS":["` + alice + `"]}`)},
		req:   trustReq(alice, nil), want: iam.Allow},
	{name: "trust/user ARN other user",
		trust: []string{trustDoc(`{"AWS":"` + alice + `"}`)},
		req:   trustReq(bob, nil), want: iam.ImplicitDeny},
	{name: "trust/role ARN matches its session",
		trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/Caller"}`)},
		req:   trustReq("arn:aws:sts::123456789012:assumed-role/Caller/alice", nil), want: iam.Allow},
	{name: "trust/role ARN with path matches its session",
		trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/team/ops/Caller"}`)},
		req:   trustReq("arn:aws:sts::123456789012:assumed-role/Caller/alice", nil), want: iam.Allow},
	{name: "trust/role ARN other role's session",
		trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/Caller"}`)},
		req:   trustReq("arn:aws:sts::123456789012:assumed-role/CallerX/alice", nil), want: iam.ImplicitDeny},
	{name: "trust/role ARN same name other account",
		trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/Caller"}`)},
		req:   trustReq("arn:aws:sts::210987654321:assumed-role/Caller/alice", nil), want: iam.ImplicitDeny},
	{name: "trust/role ARN does not match a user of that name",
		trust: []string{trustDoc(`{"AWS":"arn:aws:iam::123456789012:role/alice"}`)},
		req:   trustReq(alice, nil), want: iam.ImplicitDeny},
	{name: "trust/assumed-role session ARN exact",
		trust: []string{trustDoc(`{"AWS":"arn:aws:sts::123456789012:assumed-role/Caller/alice"}`)},
		req:   trustReq("arn:aws:sts::123456789012:assumed-role/Caller/bob", nil), want: iam.ImplicitDeny},
	{name: "trust/star matches anyone",
		trust: []string{trustDoc(`"*"`)},
		req:   trustReq("arn:aws:iam::210987654321:user/mallory", nil), want: iam.Allow},
	{name: "trust/AWS star matches anyone",
		trust: []string{trustDoc(`{"AWS":"*"}`)},
		req:   trustReq("arn:aws:iam::210987654321:user/mallory", nil), want: iam.Allow},
	{name: "trust/NotPrincipal deny spares the listed principal",
		trust: []string{doc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`,
			`{"Effect":"Deny","NotPrincipal":{"AWS":"`+alice+`"},"Action":"sts:AssumeRole"}`)},
		req: trustReq(alice, nil), want: iam.Allow},
	{name: "trust/NotPrincipal deny hits others",
		trust: []string{doc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`,
			`{"Effect":"Deny","NotPrincipal":{"AWS":"`+alice+`"},"Action":"sts:AssumeRole"}`)},
		req: trustReq(bob, nil), want: iam.ExplicitDeny},
	{name: "trust/Service principal never matches an AWS principal",
		trust: []string{trustDoc(`{"Service":"ec2.amazonaws.com"}`)},
		req:   trustReq(alice, nil), want: iam.ImplicitDeny},
	{name: "trust/Federated principal never matches an AWS principal",
		trust: []string{trustDoc(`{"Federated":"arn:aws:iam::123456789012:saml-provider/idp"}`)},
		req:   trustReq(alice, nil), want: iam.ImplicitDeny},
	{name: "trust/mixed principal map matches the AWS entry",
		trust: []string{trustDoc(`{"Service":"ec2.amazonaws.com","AWS":["` + bob + `","` + alice + `"]}`)},
		req:   trustReq(alice, nil), want: iam.Allow},
	{name: "trust/other action",
		trust: []string{trustDoc(`"*"`)},
		req: iam.Request{Action: "sts:TagSession", Resource: "arn:aws:iam::123456789012:role/Target",
			Principal: &iam.PrincipalInfo{ARN: alice, AccountID: acctA}}, want: iam.ImplicitDeny},
	{name: "trust/condition on external id",
		trust: []string{trustDoc(`{"AWS":"123456789012"}`, `"Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}`)},
		req:   trustReq(alice, ctx("sts:ExternalId", "s3cr3t")), want: iam.Allow},
	{name: "trust/condition on external id missing",
		trust: []string{trustDoc(`{"AWS":"123456789012"}`, `"Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}`)},
		req:   trustReq(alice, nil), want: iam.ImplicitDeny},
	{name: "trust/without requester allow does not apply",
		trust: []string{trustDoc(`"*"`)},
		req:   req("sts:AssumeRole", "arn:aws:iam::123456789012:role/Target", nil), want: iam.ImplicitDeny},
	{name: "trust/without requester deny applies",
		trust:    []string{doc(`{"Effect":"Deny","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}`)},
		identity: []string{doc(allow("sts:AssumeRole", "*"))},
		req:      req("sts:AssumeRole", "arn:aws:iam::123456789012:role/Target", nil), want: iam.ExplicitDeny},
	{name: "trust/resource of the request is ignored",
		trust: []string{trustDoc(`{"AWS":"123456789012"}`)},
		req: iam.Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::210987654321:role/Elsewhere",
			Principal: &iam.PrincipalInfo{ARN: alice, AccountID: acctA}}, want: iam.Allow},
}

func TestEvaluate(t *testing.T) {
	if len(evalCases) < 60 {
		t.Fatalf("only %d evaluation cases", len(evalCases))
	}
	seen := map[string]bool{}
	for _, tc := range evalCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			var ps []*iam.Policy
			for _, d := range tc.identity {
				p, err := iam.ParseIdentityPolicy(d)
				if err != nil {
					t.Fatalf("ParseIdentityPolicy(%s): %v", d, err)
				}
				ps = append(ps, p)
			}
			for _, d := range tc.trust {
				p, err := iam.ParseTrustPolicy(d)
				if err != nil {
					t.Fatalf("ParseTrustPolicy(%s): %v", d, err)
				}
				ps = append(ps, p)
			}
			r := tc.req
			if got := iam.Evaluate(&r, ps...); got != tc.want {
				t.Errorf("Evaluate = %v, want %v", got, tc.want)
			}
		})
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
