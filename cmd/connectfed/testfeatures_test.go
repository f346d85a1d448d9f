package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestThrottleAWS: --throttle aws applies GetFederationToken's 2/s, burst
// 5; without retries the sixth quick call is ThrottlingException 429, and
// the SDK's standard retryer rides it out.
func TestThrottleAWS(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t, "--throttle", "aws")
	sess := f.assume(t, "alice", 3600)
	in := &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)}
	noRetry := connect.NewFromConfig(sess)
	var throttled error
	for i := 0; i < 8 && throttled == nil; i++ {
		_, err := noRetry.GetFederationToken(ctx, in)
		if err != nil {
			throttled = err
			if i < 5 {
				t.Fatalf("call %d throttled inside the burst of 5: %v", i+1, err)
			}
		}
	}
	if apiCode(throttled) != "ThrottlingException" {
		t.Fatalf("no throttling after the burst: %v", throttled)
	}
	assertStatus(t, throttled, 429)

	retrying := sess.Copy()
	retrying.RetryMaxAttempts = 0 // let the Retryer below decide
	retrying.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 30
			o.MaxBackoff = 800 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	}
	rc := connect.NewFromConfig(retrying)
	for i := 0; i < 6; i++ {
		if _, err := rc.GetFederationToken(ctx, in); err != nil {
			t.Fatalf("retrying client, call %d: %v", i+1, err)
		}
	}
	_, body := get(t, f.srv.url+"/metrics")
	if !strings.Contains(body, `connectfed_throttled_total{reason="quota"}`) {
		t.Error("quota throttling not counted")
	}
	// Quotas are per account: the other account is not throttled.
	oc := connect.NewFromConfig(f.config("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""))
	if _, err := oc.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("other account: %v", err)
	}
}

func adminCall(t *testing.T, f *fedFixture, key, secret, method, path string, body any) wireResult {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	return do(t, signRequest(t, f.srv, key, secret, method, path, "connect", b, nil))
}

func TestFaultInjection(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	res := adminCall(t, f, "test", "test", "POST", "/connectfed/admin/faults",
		map[string]any{"Operation": "DescribeInstance", "ErrorCode": "InternalServiceException", "Count": 2})
	if res.status != 200 || !strings.Contains(res.body, "FaultId") {
		t.Fatalf("PutFault: %d %s", res.status, res.body)
	}
	in := &connect.DescribeInstanceInput{InstanceId: aws.String(f.instanceID)}
	for i := 0; i < 2; i++ {
		_, err := cc.DescribeInstance(ctx, in)
		var ise *ctypes.InternalServiceException
		if !errors.As(err, &ise) {
			t.Fatalf("call %d: %v, want InternalServiceException", i+1, err)
		}
		assertStatus(t, err, 500)
	}
	if _, err := cc.DescribeInstance(ctx, in); err != nil {
		t.Fatalf("third call (fault used up): %v", err)
	}
	// The SDK's default retryer retries injected 500s: a Count-1 fault is
	// invisible to a retrying client.
	adminCall(t, f, "test", "test", "POST", "/connectfed/admin/faults", map[string]any{"Operation": "DescribeInstance", "ErrorCode": "InternalServiceException", "Count": 1})
	retrying := f.config("test", "test", "")
	retrying.RetryMaxAttempts = 3
	if _, err := connect.NewFromConfig(retrying).DescribeInstance(ctx, in); err != nil {
		t.Errorf("retrying client: %v", err)
	}
	// Latency, probability 1, any operation; other accounts untouched.
	adminCall(t, f, "test", "test", "POST", "/connectfed/admin/faults", map[string]any{"Operation": "*", "Service": "connect", "LatencyMs": 300, "ErrorCode": "ThrottlingException", "Probability": 1.0})
	start := time.Now()
	_, err := cc.ListInstances(ctx, &connect.ListInstancesInput{})
	if apiCode(err) != "ThrottlingException" || time.Since(start) < 300*time.Millisecond {
		t.Errorf("latency+throttle fault: %v after %v", err, time.Since(start))
	}
	oc := connect.NewFromConfig(f.config("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""))
	if _, err := oc.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("fault leaked to another account: %v", err)
	}
	res = adminCall(t, f, "test", "test", "GET", "/connectfed/admin/faults", nil)
	if res.status != 200 || strings.Count(res.body, "FaultId") != 1 {
		t.Errorf("ListFaults: %s", res.body)
	}
	_, body := get(t, f.srv.url+"/metrics")
	if !strings.Contains(body, `connectfed_faults_injected_total{operation="DescribeInstance",error="InternalServiceException"} 3`) {
		t.Error("injected faults not in /metrics")
	}
	// The reset endpoint removes them (admin calls are never faulted).
	res = adminCall(t, f, "test", "test", "DELETE", "/connectfed/admin/faults", nil)
	if res.status != 200 {
		t.Fatalf("DeleteFaults: %d %s", res.status, res.body)
	}
	if _, err := cc.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("after reset: %v", err)
	}
	// Bad fault definitions are clean 400s; IAM principals need permission.
	res = adminCall(t, f, "test", "test", "POST", "/connectfed/admin/faults", map[string]any{"Operation": "X", "Probability": 2})
	if res.status != 400 {
		t.Errorf("bad fault: %d %s", res.status, res.body)
	}
	res = adminCall(t, f, f.appKey, f.appSecret, "POST", "/connectfed/admin/faults", map[string]any{"Operation": "*", "ErrorCode": "InternalServiceException"})
	if res.status != 403 || res.errType != "AccessDeniedException" || !strings.Contains(res.body, "connectfed:PutFault") {
		t.Errorf("IAM user without permission: %d %s", res.status, res.body)
	}
}

func TestResetAccount(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	tok := f.federate(t)
	res := adminCall(t, f, "test", "test", "POST", "/connectfed/admin/reset", nil)
	if res.status != 200 {
		t.Fatalf("reset: %d %s", res.status, res.body)
	}
	root := f.config("test", "test", "")
	li, err := connect.NewFromConfig(root).ListInstances(ctx, &connect.ListInstancesInput{})
	must(t, err)
	if len(li.InstanceSummaryList) != 0 {
		t.Errorf("instances after reset: %d", len(li.InstanceSummaryList))
	}
	if _, err := iam.NewFromConfig(root).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("agent-app")}); apiCode(err) != "NoSuchEntity" {
		t.Errorf("IAM user after reset: %v", err)
	}
	if _, err := connect.NewFromConfig(f.config(f.appKey, f.appSecret, "")).ListInstances(ctx, &connect.ListInstancesInput{}); apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("IAM key after reset: %v", err)
	}
	if f.validate(t, *tok.Credentials.AccessToken)["Active"] != false {
		t.Error("token survived the reset")
	}
	// The other account is untouched.
	oc := connect.NewFromConfig(f.config("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""))
	if _, err := oc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "SAML", InstanceAlias: aws.String("keep"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	adminCall(t, f, "test", "test", "POST", "/connectfed/admin/reset", nil)
	li, err = oc.ListInstances(ctx, &connect.ListInstancesInput{})
	must(t, err)
	if len(li.InstanceSummaryList) != 1 {
		t.Errorf("other account lost its instance: %d", len(li.InstanceSummaryList))
	}
	// The same names can be used again.
	f.setup(t)
}
