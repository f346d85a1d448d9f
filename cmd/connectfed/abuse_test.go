package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/sdkhttp"
)

// The abuse tests attack the real binary the way a hostile or careless
// client would, on loopback, with a few hundred connections at most, and
// check that the signed callers of another account are served within
// their normal latency meanwhile. Every attack loop ends by itself.

const (
	abuseOtherKey    = "AKIAABUSEOTHER000001"
	abuseOtherSecret = "abuse-other-account-secret-00001"
	abuseOtherAcct   = "222222222222"
	// abuseMaxLatency is what "served normally" means on a loaded CI
	// machine: a signed call that waited on the attack would take the
	// attack's whole duration (seconds) or get 429.
	abuseMaxLatency = 2 * time.Second
)

// startAbuseBinary runs the binary with the development account and one
// more account, with small caps so a few hundred connections are an attack.
func startAbuseBinary(t *testing.T, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`accounts:
  - id: "%s"
    name: other
    rootKeys:
      - accessKeyId: %s
        secretAccessKey: %s
`, abuseOtherAcct, abuseOtherKey, abuseOtherSecret)), 0o600))
	return startBinary(t, filepath.Join(dir, "data"), append([]string{"--config", cfg}, args...)...)
}

func abuseConfig(url, key, secret string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		HTTPClient:       sdkhttp.New(),
	}
}

// signedCallers makes n rounds of calls as one account (STS
// GetCallerIdentity and Connect ListInstances, each on a fresh connection
// so no kept-alive connection hides a full accept queue) and fails the test
// on any error or on a call slower than abuseMaxLatency.
func signedCallers(t *testing.T, url, key, secret string, n int) {
	t.Helper()
	cfg := abuseConfig(url, key, secret)
	cfg.HTTPClient = sdkhttp.Client{HTTP: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	sc, cc := sts.NewFromConfig(cfg), connect.NewFromConfig(cfg)
	var worst time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := sc.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("%s: GetCallerIdentity during the attack: %v", key, err)
		}
		if _, err := cc.ListInstances(context.Background(), &connect.ListInstancesInput{}); err != nil {
			t.Fatalf("%s: ListInstances during the attack: %v", key, err)
		}
		worst = max(worst, time.Since(start))
	}
	if worst > abuseMaxLatency {
		t.Errorf("%s: slowest pair of calls took %v during the attack, want under %v", key, worst, abuseMaxLatency)
	}
	t.Logf("%s: %d pairs of calls served, slowest %v", key, n, worst)
}

// trickle opens n connections that each send headers and one byte of a
// 1000-byte body, then wait; it returns once all are open and a function
// that closes them.
func trickle(t *testing.T, url string, n int, header func() string) (closeAll func()) {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	var conns []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("attack connection %d: %v", i, err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		if _, err := io.WriteString(c, header()+"A"); err != nil {
			t.Fatalf("attack connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	time.Sleep(300 * time.Millisecond) // the server has read every header
	return func() {
		for _, c := range conns {
			c.Close()
		}
	}
}

// TestAbuseUnauthenticatedStall: connections that send headers and one
// byte of their body must not hold the capacity signed callers need,
// whether they carry no credentials or name a real access key without
// its secret.
func TestAbuseUnauthenticatedStall(t *testing.T) {
	p := startAbuseBinary(t, "--max-concurrent-requests", "32", "--max-concurrent-per-account", "16", "--body-timeout", "20s")
	host := strings.TrimPrefix(p.url, "http://")

	// No credentials at all: every account keeps being served.
	done := trickle(t, p.url, 150, func() string {
		return "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
	})
	signedCallers(t, p.url, "test", "test", 10)
	signedCallers(t, p.url, abuseOtherKey, abuseOtherSecret, 10)
	done()

	// The development account's access key id, without its secret: at most
	// that account's share is held; the other account is served.
	done = trickle(t, p.url, 150, func() string {
		return "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n" +
			"X-Amz-Date: " + time.Now().UTC().Format("20060102T150405Z") + "\r\n" +
			"Authorization: AWS4-HMAC-SHA256 Credential=test/" + time.Now().UTC().Format("20060102") + "/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64) + "\r\n\r\n"
	})
	signedCallers(t, p.url, abuseOtherKey, abuseOtherSecret, 10)
	done()
}

// TestAbuseSlowBodyTimesOut: a body slower than --body-timeout is answered
// with 408 RequestTimeoutException, so even the claimed account's share is
// held for at most that long.
func TestAbuseSlowBodyTimesOut(t *testing.T) {
	p := startAbuseBinary(t, "--body-timeout", "1s")
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	req, err := http.NewRequest("POST", p.url+"/", bytes.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256(body)
	must(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()))
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	must(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var head bytes.Buffer
	req.Header.Write(&head)
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n%s", req.Host, len(body), head.String(), body[:5])
	start := time.Now()
	b, _ := io.ReadAll(conn)
	if !strings.Contains(string(b), " 408 ") || !strings.Contains(string(b), "RequestTimeout") {
		t.Fatalf("slow body answered %q, want 408 RequestTimeout", b)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("slow body answered after %v, want about 1s", d)
	}
}

// TestAbuseTenantStarvation: an account that injects a long latency fault
// into its own calls and holds a few hundred of them open gets throttled
// past its share; other accounts are served normally meanwhile.
func TestAbuseTenantStarvation(t *testing.T) {
	p := startAbuseBinary(t, "--max-concurrent-requests", "32", "--max-concurrent-per-account", "16")
	body := `{"Operation":"ListInstances","LatencyMs":20000}`
	req, err := http.NewRequest("POST", p.url+"/connectfed/admin/faults", strings.NewReader(body))
	must(t, err)
	sum := sha256.Sum256([]byte(body))
	must(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, req, hex.EncodeToString(sum[:]), "connect", "us-east-1", time.Now()))
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PutFault: %d", resp.StatusCode)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cfg := abuseConfig(p.url, "test", "test")
	cfg.HTTPClient = sdkhttp.Client{HTTP: &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 300}}}
	noisy := connect.NewFromConfig(cfg)
	var wg sync.WaitGroup
	var mu sync.Mutex
	throttled := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := noisy.ListInstances(ctx, &connect.ListInstancesInput{})
			if apiCode(err) == "ThrottlingException" {
				mu.Lock()
				throttled++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second) // the noisy account's calls are all in
	signedCallers(t, p.url, abuseOtherKey, abuseOtherSecret, 10)
	cancel()
	wg.Wait()
	if throttled < 200-16 {
		t.Errorf("%d of the noisy account's 200 calls were throttled, want at least %d (past its share of 16)", throttled, 200-16)
	}
}

// TestEveryEndpointInAccessLog: the browser pages, the token endpoints and
// the operational endpoints run in the same chain as the AWS API: each has
// a request id, an access-log line and request metrics.
func TestEveryEndpointInAccessLog(t *testing.T) {
	p := startBinary(t, t.TempDir())
	calls := []struct{ method, path, body, op string }{
		{"GET", "/healthz", "", "GET /healthz"},
		{"POST", "/connectfed/token/validate", `{"AccessToken":"x"}`, "POST /connectfed/token/validate"},
		{"POST", "/connectfed/token/refresh", `{"RefreshToken":"x"}`, "POST /connectfed/token/refresh"},
		{"GET", "/connect/11111111-2222-4333-8444-555555555555/agent", "", "GET /connect/{instance}/agent"},
		{"GET", "/connect/11111111-2222-4333-8444-555555555555/auth/sign-in?token=x", "", "GET /connect/{instance}/auth/sign-in"},
	}
	for _, c := range calls {
		req, err := http.NewRequest(c.method, p.url+c.path, strings.NewReader(c.body))
		must(t, err)
		resp, err := http.DefaultTransport.RoundTrip(req)
		must(t, err)
		resp.Body.Close()
		id := resp.Header.Get("x-amzn-RequestId")
		if id == "" {
			t.Errorf("%s %s: no request id", c.method, c.path)
			continue
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(p.logs.String(), `"request_id":"`+id+`"`) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		line := ""
		for _, l := range strings.Split(p.logs.String(), "\n") {
			if strings.Contains(l, `"request_id":"`+id+`"`) && strings.Contains(l, `"msg":"request"`) {
				line = l
			}
		}
		if !strings.Contains(line, fmt.Sprintf(`"op":%q`, c.op)) || !strings.Contains(line, fmt.Sprintf(`"status":%d`, resp.StatusCode)) {
			t.Errorf("%s %s: access log line %q, want op %q and status %d", c.method, c.path, line, c.op, resp.StatusCode)
		}
	}
	_, body := get(t, p.url+"/metrics")
	for _, c := range calls {
		service := "web"
		if c.path == "/healthz" {
			service = "ops"
		}
		if !strings.Contains(body, fmt.Sprintf(`connectfed_requests_total{service=%q,operation=%q,`, service, c.op)) {
			t.Errorf("/metrics does not count %s %s", c.method, c.path)
		}
	}
}

// abuseSigned sends a signed Connect call and returns its status and body.
func abuseSigned(t *testing.T, url, key, secret, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url+path, strings.NewReader(body))
	must(t, err)
	sum := sha256.Sum256([]byte(body))
	must(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "connect", "us-east-1", time.Now()))
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType") + " " + string(b)
}

// TestAbuseFaults: faults are capped per account, their error codes come
// from AWS's models, and nothing a caller writes in a fault becomes a
// metric label or a response header.
func TestAbuseFaults(t *testing.T) {
	p := startAbuseBinary(t)
	huge := strings.Repeat("X", 900<<10)
	status, body := abuseSigned(t, p.url, "test", "test", "POST", "/connectfed/admin/faults",
		`{"Operation":"ListInstances","ErrorCode":"`+huge+`","Count":2}`)
	if status != 400 || !strings.Contains(body, "InvalidParameterException") || len(body) > 4096 {
		t.Errorf("900 KB ErrorCode: %d %.300s (%d bytes), want a short 400 InvalidParameterException", status, body, len(body))
	}
	status, body = abuseSigned(t, p.url, "test", "test", "POST", "/connectfed/admin/faults",
		`{"Operation":"ListInstances","ErrorCode":"MadeUpException"}`)
	if status != 400 {
		t.Errorf("unmodelled ErrorCode: %d %s, want 400", status, body)
	}
	cc := connect.NewFromConfig(abuseConfig(p.url, "test", "test"))
	cc.ListInstances(context.Background(), &connect.ListInstancesInput{})
	_, metricsBody := get(t, p.url+"/metrics")
	if strings.Contains(metricsBody, "XXXX") || strings.Contains(metricsBody, "MadeUp") || len(metricsBody) > 256<<10 {
		t.Errorf("/metrics carries a caller's error code (%d bytes)", len(metricsBody))
	}

	for i := 0; i < 100; i++ {
		if status, body := abuseSigned(t, p.url, "test", "test", "POST", "/connectfed/admin/faults",
			`{"Operation":"DescribeUser","ErrorCode":"ThrottlingException","Probability":0.01}`); status != 200 {
			t.Fatalf("fault %d: %d %s", i+1, status, body)
		}
	}
	status, body = abuseSigned(t, p.url, "test", "test", "POST", "/connectfed/admin/faults",
		`{"Operation":"DescribeUser","ErrorCode":"ThrottlingException","Probability":0.01}`)
	if status != 402 || !strings.Contains(body, "ServiceQuotaExceededException") {
		t.Errorf("fault 101: %d %s, want 402 ServiceQuotaExceededException", status, body)
	}
	// The other account is untouched by them.
	signedCallers(t, p.url, abuseOtherKey, abuseOtherSecret, 5)
	if status, body := abuseSigned(t, p.url, "test", "test", "DELETE", "/connectfed/admin/faults", ""); status != 200 || !strings.Contains(body, `"Removed":100`) {
		t.Errorf("DeleteFaults: %d %s", status, body)
	}
}

// TestAbuseMetricLabelsBounded: requests signed (or not) for services and
// regions a caller makes up add no label values to /metrics.
func TestAbuseMetricLabelsBounded(t *testing.T) {
	p := startAbuseBinary(t)
	for i := 0; i < 50; i++ {
		for _, cr := range []aws.Credentials{{AccessKeyID: "test", SecretAccessKey: "test"}, {AccessKeyID: "AKIANOSUCHKEY0000000", SecretAccessKey: "x"}} {
			req, err := http.NewRequest("GET", p.url+"/instance", nil)
			must(t, err)
			sum := sha256.Sum256(nil)
			must(t, v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), fmt.Sprintf("madeup%03d", i), "us-east-1", time.Now()))
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Fatalf("service madeup%03d answered %d", i, resp.StatusCode)
			}
		}
	}
	_, body := get(t, p.url+"/metrics")
	if strings.Contains(body, "madeup") {
		t.Errorf("/metrics carries caller-chosen service names")
	}
}
