package awsapi

import (
	"strings"
	"testing"
)

func TestValidateFault(t *testing.T) {
	for _, c := range []struct {
		f    Fault
		want string // "" = valid
	}{
		{Fault{Operation: "GetFederationToken", ErrorCode: "UserNotFoundException"}, ""},
		{Fault{Service: "connect", Operation: "*", ErrorCode: "ThrottlingException"}, ""},
		{Fault{Service: "sts", Operation: "AssumeRole", ErrorCode: "RegionDisabledException"}, ""},
		{Fault{Service: "iam", Operation: "CreateUser", ErrorCode: "EntityAlreadyExists"}, ""},
		{Fault{Operation: "*", ErrorCode: "NoSuchEntity"}, ""},
		{Fault{Operation: "DescribeInstance", LatencyMs: 10}, ""},
		{Fault{Operation: "RevokeFederationToken", ErrorCode: "InternalServiceException"}, ""},
		{Fault{Operation: "GetFederationToken", ErrorCode: strings.Repeat("X", 900<<10)}, "errorCode"},
		{Fault{Operation: "GetFederationToken", ErrorCode: "NoSuchEntity"}, "errorCode"},
		{Fault{Service: "sts", Operation: "*", ErrorCode: "UserNotFoundException"}, "errorCode"},
		{Fault{Operation: "NoSuchOperation", ErrorCode: "ThrottlingException"}, "operation"},
		{Fault{Service: "sts", Operation: "CreateUser", ErrorCode: "ThrottlingException"}, "operation"},
		{Fault{Service: "s3", Operation: "*", ErrorCode: "ThrottlingException"}, "service"},
		{Fault{Operation: "*", ErrorCode: "ThrottlingException", Message: strings.Repeat("m", 2000)}, "message"},
	} {
		probs := ValidateFault(c.f)
		got := strings.Join(probs, "; ")
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("ValidateFault(%s %s %.20s): %q, want %q", c.f.Service, c.f.Operation, c.f.ErrorCode, got, c.want)
		}
		if len(got) > 400 {
			t.Errorf("problem too long (%d bytes): it echoes the input", len(got))
		}
	}
}

func TestFaultsPerAccount(t *testing.T) {
	var f Faults
	for i := 0; i < MaxFaultsPerAccount; i++ {
		if f.Add(Fault{Account: "111111111111", Operation: "DescribeUser", LatencyMs: 1}) == "" {
			t.Fatalf("fault %d refused", i+1)
		}
	}
	if id := f.Add(Fault{Account: "111111111111", Operation: "DescribeUser", LatencyMs: 1}); id != "" {
		t.Errorf("fault past the cap added as %s", id)
	}
	if f.Add(Fault{Account: "222222222222", Operation: "*", ErrorCode: "ThrottlingException", Count: 1}) == "" {
		t.Fatal("another account's fault refused")
	}
	// The other account's faults are not looked at.
	if fired, d, err := f.apply("333333333333", "connect", "DescribeUser"); fired != nil || d != 0 || err != nil {
		t.Errorf("fault of another account applied: %v %v %v", fired, d, err)
	}
	fired, _, err := f.apply("222222222222", "connect", "DescribeUser")
	if fired == nil || err == nil || err.(*injected).Status != 429 {
		t.Errorf("count-1 fault: %v %v", fired, err)
	}
	if len(f.List("222222222222")) != 0 || len(f.by) != 1 {
		t.Errorf("a used-up fault stays: %v", f.by)
	}
	if n := f.Reset("111111111111"); n != MaxFaultsPerAccount || len(f.by) != 0 {
		t.Errorf("Reset removed %d, left %v", n, f.by)
	}
}
