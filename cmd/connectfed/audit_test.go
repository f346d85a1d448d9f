package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
)

func TestAuditTrail(t *testing.T) {
	f := newFedFixture(t)
	tok := f.federate(t)
	st, _, _ := f.refresh(t, *tok.Credentials.RefreshToken)
	if st != 200 {
		t.Fatal("refresh failed")
	}
	f.refresh(t, *tok.Credentials.RefreshToken) // reuse
	cc := connect.NewFromConfig(f.srv.awsConfig("test", "test", ""))
	_, err := cc.DeleteUser(context.Background(), &connect.DeleteUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(f.userID)})
	must(t, err)
	time.Sleep(500 * time.Millisecond) // records are flushed in batches within 200 ms

	res := do(t, signedRequest(t, f.srv, "GET", "/connectfed/audit?maxResults=1000", "connect", nil, nil))
	if res.status != 200 {
		t.Fatalf("audit endpoint: %d %s", res.status, res.body)
	}
	var out struct {
		AuditEvents []struct {
			Time                                                       float64
			AccountId, Event, Caller, Target, SourceAddress, RequestId string
		}
	}
	must(t, json.Unmarshal([]byte(res.body), &out))
	seen := map[string]int{}
	for _, e := range out.AuditEvents {
		seen[e.Event]++
		if e.AccountId != "000000000000" || e.Time == 0 {
			t.Errorf("bad record %+v", e)
		}
		if e.Event == "token-issued" && (e.Caller != "arn:aws:sts::000000000000:assumed-role/ConnectAgent/alice" || e.Target != f.userID || e.SourceAddress == "" || e.RequestId == "") {
			t.Errorf("token-issued record %+v", e)
		}
		if e.Event == "DeleteUser" && !strings.HasSuffix(e.Target, "/agent/"+f.userID) {
			t.Errorf("DeleteUser record %+v", e)
		}
	}
	for _, want := range []string{"CreateInstance", "CreateUser", "CreateRole", "PutRolePolicy", "AssumeRole", "token-issued", "token-refreshed", "refresh-reuse-detected", "DeleteUser"} {
		if seen[want] == 0 {
			t.Errorf("no %s record in %v", want, seen)
		}
	}
	// The other account sees none of it.
	res = do(t, signRequest(t, f.srv, "AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", "GET", "/connectfed/audit", "connect", nil, nil))
	if res.status != 200 || strings.Contains(res.body, "token-issued") {
		t.Errorf("other account's audit: %d %s", res.status, res.body)
	}

	// The command line reads the same trail from the data dir.
	var stdout, stderr bytes.Buffer
	args := append([]string{"audit", "--data-dir", f.srv.dataDir, "--account", "000000000000", "--format", "json"}, e2eStoreArgs(t, f.srv.dataDir)...)
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("connectfed audit: %v %s", err, stderr.String())
	}
	lines := strings.Count(stdout.String(), "\n")
	if lines != len(out.AuditEvents) || !strings.Contains(stdout.String(), `"event":"refresh-reuse-detected"`) {
		t.Errorf("connectfed audit printed %d records, the endpoint %d:\n%s", lines, len(out.AuditEvents), stdout.String())
	}
}
