package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsAndReadiness(t *testing.T) {
	f := newFedFixture(t)
	f.federate(t)
	cc := connect.NewFromConfig(f.srv.awsConfig("test", "test", ""))
	cc.DescribeInstance(context.Background(), &connect.DescribeInstanceInput{InstanceId: aws.String("missing")})

	if st, body := get(t, f.srv.url+"/readyz"); st != 200 || body != "ready\n" {
		t.Errorf("/readyz = %d %q", st, body)
	}
	st, body := get(t, f.srv.url+"/metrics")
	if st != 200 {
		t.Fatalf("/metrics = %d", st)
	}
	for _, want := range []string{
		`connectfed_requests_total{service="connect",operation="GetFederationToken",code=""} 1`,
		`connectfed_requests_total{service="connect",operation="DescribeInstance",code="ResourceNotFoundException"} 1`,
		`connectfed_requests_total{service="sts",operation="AssumeRole",code=""} 1`,
		`connectfed_request_duration_seconds_count{service="connect",operation="GetFederationToken"} 1`,
		"connectfed_tokens_issued_total 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "AccessToken") || strings.Contains(body, f.appSecret) {
		t.Error("/metrics leaks a secret")
	}
}

// TestConcurrencyCap holds an account's only request slot with a request
// naming its access key whose body trickles in, and checks the account's
// next request is refused at once with a ThrottlingException the SDK
// recognizes (and retries).
func TestConcurrencyCap(t *testing.T) {
	srv := startServer(t, "", "--max-concurrent-per-account", "1")
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	now := time.Now().UTC()
	fmt.Fprintf(conn, "PUT /instance HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\nX-Amz-Date: %s\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=test/%s/us-east-1/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=%s\r\n\r\n{",
		strings.TrimPrefix(srv.url, "http://"), now.Format("20060102T150405Z"), now.Format("20060102"), strings.Repeat("0", 64))
	time.Sleep(200 * time.Millisecond) // the server is now reading the body

	cfg := srv.awsConfig("test", "test", "")
	_, err = connect.NewFromConfig(cfg).ListInstances(context.Background(), &connect.ListInstancesInput{})
	if apiCode(err) != "ThrottlingException" {
		t.Fatalf("second request: %v, want ThrottlingException", err)
	}
	assertStatus(t, err, 429)

	conn.Close() // frees the slot
	time.Sleep(100 * time.Millisecond)
	if _, err := connect.NewFromConfig(cfg).ListInstances(context.Background(), &connect.ListInstancesInput{}); err != nil {
		t.Fatalf("after the slot is free: %v", err)
	}
	_, body := get(t, srv.url+"/metrics")
	if !strings.Contains(body, `connectfed_throttled_total{reason="account"} 1`) {
		t.Error("throttle not counted")
	}
}
