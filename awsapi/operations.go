package awsapi

import (
	"slices"
	"strings"
)

// Operations lists the AWS operations the API serves, per service
// ("connect", "iam", "sts"), sorted: connectfed's own endpoints (under
// /connectfed/) are not AWS operations and are left out. The README's list
// and the wire-conformance test are checked against it.
func Operations() map[string][]string {
	out := map[string][]string{}
	for _, rt := range connectRoutes {
		if rt.pattern[0] == "connectfed" {
			continue
		}
		out["connect"] = append(out["connect"], rt.op)
	}
	for op := range iamOps {
		out["iam"] = append(out["iam"], op)
	}
	for op := range stsOps {
		out["sts"] = append(out["sts"], op)
	}
	for op := range unsignedSTS {
		out["sts"] = append(out["sts"], op)
	}
	for k := range out {
		slices.Sort(out[k])
		out[k] = slices.Compact(out[k])
	}
	return out
}

// ResponseTap, when set (by tests, before serving), sees the body of every
// successful AWS API response with its service and operation. It must be
// safe for concurrent use.
var ResponseTap func(service, op string, body []byte)

func tap(c *call, parts ...[]byte) {
	if ResponseTap == nil || strings.HasPrefix(c.r.URL.Path, "/connectfed/") {
		return
	}
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	ResponseTap(c.service, c.op, b)
}
