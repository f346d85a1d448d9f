package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/connect"
)

// signedRequest builds a request signed with the SDK's own signer.
func signedRequest(t *testing.T, srv *server, method, path, service string, body []byte, hdr map[string]string) *http.Request {
	t.Helper()
	return signRequest(t, srv, "test", "test", method, path, service, body, hdr)
}

func signRequest(t *testing.T, srv *server, key, secret, method, path, service string, body []byte, hdr map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, srv.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), service, "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

type wireResult struct {
	status  int
	errType string
	body    string
	header  http.Header
}

func do(t *testing.T, req *http.Request) wireResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return wireResult{resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b), resp.Header}
}

// TestWireErrors: bad requests of every kind are clean, AWS-shaped 4xx
// errors with a request id and a Date, and change nothing.
func TestWireErrors(t *testing.T) {
	srv := startServer(t, "")
	big := bytes.Repeat([]byte("a"), 1<<20+1)
	cases := []struct {
		name     string
		req      func() *http.Request
		status   int
		errType  string
		inBody   string
		xmlError bool
	}{
		{"no auth at all", func() *http.Request { r, _ := http.NewRequest("GET", srv.url+"/instance", nil); return r },
			403, "MissingAuthenticationTokenException", "Missing Authentication Token", false},
		{"unknown path", func() *http.Request { return signedRequest(t, srv, "GET", "/no/such/thing", "connect", nil, nil) },
			404, "UnknownOperationException", "", false},
		{"wrong method", func() *http.Request { return signedRequest(t, srv, "POST", "/instance", "connect", nil, nil) },
			405, "MethodNotAllowedException", "", false},
		{"malformed JSON", func() *http.Request {
			return signedRequest(t, srv, "PUT", "/instance", "connect", []byte(`{"IdentityManagementType":`), nil)
		}, 400, "SerializationException", "not valid JSON", false},
		{"wrong JSON type", func() *http.Request {
			return signedRequest(t, srv, "PUT", "/instance", "connect", []byte(`{"IdentityManagementType":"SAML","InboundCallsEnabled":"yes","OutboundCallsEnabled":true}`), nil)
		}, 400, "SerializationException", "InboundCallsEnabled", false},
		{"duplicate JSON keys", func() *http.Request {
			return signedRequest(t, srv, "PUT", "/instance", "connect", []byte(`{"IdentityManagementType":"SAML","IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"dup","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`), nil)
		}, 400, "SerializationException", "Duplicate member", false},
		{"deep nesting", func() *http.Request {
			return signedRequest(t, srv, "PUT", "/instance", "connect", []byte(`{"Tags":`+strings.Repeat(`{"a":`, 40)+`1`+strings.Repeat(`}`, 40)+`}`), nil)
		}, 400, "SerializationException", "nested", false},
		{"JSON array body", func() *http.Request {
			return signedRequest(t, srv, "PUT", "/instance", "connect", []byte(`[1,2]`), nil)
		},
			400, "SerializationException", "", false},
		{"body over the cap", func() *http.Request { return signedRequest(t, srv, "PUT", "/instance", "connect", big, nil) },
			413, "RequestEntityTooLargeException", "1048576", false},
		{"service not served", func() *http.Request { return signedRequest(t, srv, "GET", "/", "s3", nil, nil) },
			403, "InvalidSignatureException", "correct service", false},
		{"query: missing Action", func() *http.Request {
			return signedRequest(t, srv, "POST", "/", "sts", []byte("Version=2011-06-15"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		}, 400, "", "<Code>MissingAction</Code>", true},
		{"query: repeated Action", func() *http.Request {
			return signedRequest(t, srv, "POST", "/", "sts", []byte("Action=GetCallerIdentity&Action=AssumeRole&Version=2011-06-15"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		}, 400, "", "<Code>MalformedQueryString</Code>", true},
		{"query: unknown Action", func() *http.Request {
			return signedRequest(t, srv, "POST", "/", "iam", []byte("Action=LaunchRocket&Version=2010-05-08"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		}, 400, "", "<Code>InvalidAction</Code>", true},
		{"query: wrong Version", func() *http.Request {
			return signedRequest(t, srv, "POST", "/", "sts", []byte("Action=GetCallerIdentity&Version=2010-05-08"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		}, 400, "", "Could not find operation GetCallerIdentity for version 2010-05-08", true},
		{"query: no auth", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.url+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 403, "", "<Code>MissingAuthenticationToken</Code>", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := do(t, c.req())
			if res.status != c.status {
				t.Errorf("status = %d, want %d (%s)", res.status, c.status, res.body)
			}
			if res.header.Get("x-amzn-RequestId") == "" || res.header.Get("Date") == "" {
				t.Errorf("missing x-amzn-RequestId or Date: %v", res.header)
			}
			if c.xmlError {
				if !strings.Contains(res.body, "<ErrorResponse") || !strings.Contains(res.body, c.inBody) || !strings.Contains(res.body, "<RequestId>") {
					t.Errorf("body = %s, want an XML error with %s", res.body, c.inBody)
				}
				return
			}
			if res.errType != c.errType {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", res.errType, c.errType)
			}
			var body struct{ Message string }
			if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.Message == "" || !strings.Contains(body.Message, c.inBody) {
				t.Errorf("body = %s, want {\"Message\": ...%s...}", res.body, c.inBody)
			}
		})
	}
	// None of it created anything.
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))
	li, err := cc.ListInstances(context.Background(), &connect.ListInstancesInput{})
	if err != nil || len(li.InstanceSummaryList) != 0 {
		t.Errorf("bad requests left %d instances (%v)", len(li.InstanceSummaryList), err)
	}
	// A wrong secret is InvalidSignatureException; an unknown key is
	// UnrecognizedClientException.
	_, err = connect.NewFromConfig(srv.awsConfig("test", "wrong", "")).ListInstances(context.Background(), &connect.ListInstancesInput{})
	if apiCode(err) != "InvalidSignatureException" {
		t.Errorf("wrong secret: %v", err)
	}
	_, err = connect.NewFromConfig(srv.awsConfig("AKIANOSUCHKEY0000000", "x", "")).ListInstances(context.Background(), &connect.ListInstancesInput{})
	if apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("unknown key: %v", err)
	}
}

// TestTimestampsAreEpochNumbers checks the raw JSON: restJson1 timestamps
// are JSON numbers, which the Go SDK requires.
func TestTimestampsAreEpochNumbers(t *testing.T) {
	srv := startServer(t, "")
	res := do(t, signedRequest(t, srv, "PUT", "/instance", "connect",
		[]byte(`{"IdentityManagementType":"SAML","InstanceAlias":"ts","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`), nil))
	if res.status != 200 {
		t.Fatalf("CreateInstance: %d %s", res.status, res.body)
	}
	var created struct{ Id string }
	json.Unmarshal([]byte(res.body), &created)
	res = do(t, signedRequest(t, srv, "GET", "/instance/"+created.Id, "connect", nil, nil))
	var raw struct {
		Instance map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(res.body), &raw); err != nil {
		t.Fatal(err)
	}
	ct := string(raw.Instance["CreatedTime"])
	if ct == "" || ct[0] == '"' {
		t.Fatalf("CreatedTime = %s, want a JSON number", ct)
	}
	if res.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", res.header.Get("Content-Type"))
	}
}
