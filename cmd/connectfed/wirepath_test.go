package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// rawSigned sends req's method, headers and body over TCP with target as
// the request line's target, byte for byte (http.Client would rewrite
// "%69" to "i" before sending, which hides the case).
func rawSigned(t *testing.T, srv *server, req *http.Request, target string) hxResp {
	t.Helper()
	var b strings.Builder
	b.WriteString(req.Method + " " + target + " HTTP/1.1\r\nHost: " + req.Host + "\r\n")
	for k, vs := range req.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("Connection: close\r\n\r\n")
	return hxRaw(t, srv, b.String(), false)
}

// Defect 9 (regression test): the canonical URI is the path as sent. A
// signature over /instance/ID does not cover /%69nstance/ID (percent-encoded
// unreserved characters make a different canonical URI for non-S3
// services), and dot segments are normalized as botocore does before
// signing.
func TestSigV4PathAsSent(t *testing.T) {
	srv := startServer(t, "")
	const id = "00000000-0000-4000-8000-000000000000"
	check := func(name, signedPath, sentTarget string, status int, errType string) {
		t.Helper()
		req := signedRequest(t, srv, "GET", signedPath, "connect", nil, nil)
		got := rawSigned(t, srv, req, sentTarget)
		if got.status != status || got.header.Get("X-Amzn-ErrorType") != errType {
			t.Errorf("%s: signed %s, sent %s: %d %q %s; want %d %q", name, signedPath, sentTarget, got.status, got.header.Get("X-Amzn-ErrorType"), got.body, status, errType)
		}
	}
	// The baseline: signed and sent the same, the instance does not exist.
	check("same path", "/instance/"+id, "/instance/"+id, 404, "ResourceNotFoundException")
	check("encoded unreserved byte", "/instance/"+id, "/%69nstance/"+id, 403, "InvalidSignatureException")
	check("encoded unreserved byte in a label", "/instance/"+id, "/instance/%30"+id[1:], 403, "InvalidSignatureException")
	// botocore removes dot segments before signing; a request sent with
	// them and signed without verifies, and then names no operation.
	check("dot segment, botocore signature", "/instance/"+id, "/instance/./"+id, 404, "UnknownOperationException")
	check("dot-dot segment, botocore signature", "/instance/"+id, "/x/../instance/"+id, 404, "UnknownOperationException")
}

// Defect 10: an unsigned or wrongly signed request to a Connect REST path
// is answered in Connect's error style even when it looks like the query
// protocol (form body, Action query).
func TestConnectPathErrorStyle(t *testing.T) {
	srv := startServer(t, "")
	for _, tc := range []struct {
		name, method, target, ctype, body string
	}{
		{"form post to a Connect path", "POST", "/users/i/u/identity-info", "application/x-www-form-urlencoded", "Action=GetCallerIdentity&Version=2011-06-15"},
		{"Action query on a Connect path", "GET", "/instance?Action=ListUsers&Version=2010-05-08", "", ""},
		{"form put to a Connect path (other method)", "PATCH", "/instance", "application/x-www-form-urlencoded", "a=b"},
	} {
		raw := tc.method + " " + tc.target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		if tc.ctype != "" {
			raw += "Content-Type: " + tc.ctype + "\r\n"
		}
		raw += "Content-Length: " + strconv.Itoa(len(tc.body)) + "\r\n\r\n" + tc.body
		got := hxRaw(t, srv, raw, false)
		var body struct{ Message string }
		if got.status != 403 || got.header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" ||
			!strings.HasPrefix(got.header.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(got.body), &body) != nil {
			t.Errorf("%s: %d %v %s; want 403 JSON MissingAuthenticationTokenException", tc.name, got.status, got.header, got.body)
		}
	}
	// The query endpoint keeps the query protocol's XML.
	got := hxRaw(t, srv, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n", false)
	if got.status != 403 || !strings.Contains(got.body, "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("unsigned query post: %d %s", got.status, got.body)
	}
}
