// Package iam parses IAM policy documents and makes every access decision of
// the server, following AWS's policy language and evaluation logic.
//
// Parsing (ParseIdentityPolicy, ParseTrustPolicy) validates a document the
// way IAM does and returns a *MalformedPolicyError carrying IAM's message.
// Checks run in IAM's order, and the first failure is reported: JSON syntax
// and the shape of every element ("Syntax errors in policy."; for a trust
// policy whose text is not JSON at all, "This policy contains invalid Json"),
// then "legacy parsing" (Effect spelled other than exactly Allow/Deny, bad
// Date/Numeric/IpAddress condition literals, ARNs with "::" but fewer than
// six parts), principals (and, in a trust policy, "Has prohibited field
// Resource"), statement ids, the presence of actions and
// resources, resource ARN format, and action names.
//
// Actions, resources and condition values are compiled once, when the policy
// is parsed; Evaluate only resolves policy variables (into literals, never
// wildcards) and matches, without allocating in the common case.
//
// Behaviour where AWS documents nothing (decisions):
//
//   - Matching: '*' in Action and Resource matches any run of characters
//     including ':' and '/'; '?' matches one character (one UTF-8 rune).
//     Actions compare ASCII-case-insensitively; resources and StringLike
//     case-sensitively. Arn* operators compare the six colon-separated ARN
//     components separately; a value with fewer than six never matches.
//   - Policy variables (Version 2012-10-17 only) are substituted in Resource
//     and NotResource after the fifth colon (the resource part of the ARN,
//     as the AWS documentation restricts them), and in the values of the
//     String* and Arn* condition operators. A variable whose key is absent
//     or has several values, and has no default, makes that one element
//     (resource or condition value) match nothing: under NotResource or a
//     negated operator the element therefore excludes nothing. A malformed
//     "${" is literal text. Defaults are written ${key, 'text'}; the text
//     cannot contain a quote.
//   - Absent condition keys: positive operators are false, negated operators
//     (StringNotEquals, ArnNotLike, NotIpAddress, ...) are true (AWS
//     documentation), ...IfExists is true, ForAnyValue is false,
//     ForAllValues is true. Null takes neither IfExists nor a set prefix
//     (rejected as a syntax error). A multi-valued key used without a set
//     operator matches when any of its values matches (negated: when none).
//   - Condition keys are not validated (any string is accepted as a key).
//     Date values are ISO 8601 or epoch seconds; Numeric values are decimal
//     numbers; IpAddress values are addresses or CIDR blocks. Invalid
//     literals in the policy fail with "The policy failed legacy parsing";
//     invalid request values match nothing.
//   - Principals: "*" and {"AWS":"*"} match every caller; an account id or
//     arn:aws:iam::ACCT:root matches every principal of that account; a user
//     or session ARN matches that ARN exactly; a role ARN matches the role
//     and its sessions (arn:aws:sts::ACCT:assumed-role/NAME/SESSION, by
//     account and the role's name, whatever the role's path). Service and
//     Federated principals never match. NotPrincipal uses the same matching,
//     inverted. Principal values are checked for form only (wildcards other
//     than "*" are refused); whether the user or role exists is the caller's
//     business.
//   - A statement with Principal/NotPrincipal evaluated without
//     Request.Principal: an Allow does not apply, a Deny does (fail safe).
//   - Documents longer than 131072 bytes or not valid UTF-8 are refused as
//     syntax errors. Duplicate JSON keys, and nesting deeper than 32 levels,
//     are syntax errors.
package iam
