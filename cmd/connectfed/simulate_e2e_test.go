package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	itypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const simPolicy = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ListAll",
            "Effect": "Allow",
            "Action": "connect:List*",
            "Resource": "*"
        },
        {
            "Sid": "NoDeletes",
            "Effect": "Deny",
            "Action": "connect:Delete*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "ops"}}
        }
    ]
}`

// The policy simulator through aws-sdk-go-v2: AWS's shapes, the matched
// statements with their positions, missing context values, pagination.
func TestPolicySimulator(t *testing.T) {
	ctx := context.Background()
	f := newIAMFixture(t)
	_, err := f.ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev"), Path: aws.String("/team/")})
	must(t, err)
	_, err = f.ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("connect-read"), PolicyDocument: aws.String(simPolicy)})
	must(t, err)
	out, err := f.ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/team/dev"),
		ActionNames:     []string{"connect:ListInstances", "connect:DeleteInstance", "connect:CreateInstance"},
	})
	must(t, err)
	if len(out.EvaluationResults) != 3 {
		t.Fatalf("%d results", len(out.EvaluationResults))
	}
	list, del, create := out.EvaluationResults[0], out.EvaluationResults[1], out.EvaluationResults[2]
	if list.EvalDecision != itypes.PolicyEvaluationDecisionTypeAllowed || *list.EvalResourceName != "*" || len(list.MatchedStatements) != 1 {
		t.Errorf("ListInstances: %+v", list)
	} else if m := list.MatchedStatements[0]; *m.SourcePolicyId != "connect-read" || m.SourcePolicyType != itypes.PolicySourceTypeUser ||
		m.StartPosition.Line != 4 || m.StartPosition.Column != 9 || m.EndPosition.Line != 9 || m.EndPosition.Column != 10 {
		t.Errorf("ListInstances statement: %s %s %d:%d-%d:%d", *m.SourcePolicyId, m.SourcePolicyType, m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column)
	}
	if del.EvalDecision != itypes.PolicyEvaluationDecisionTypeExplicitDeny || len(del.MatchedStatements) != 1 || del.MatchedStatements[0].StartPosition.Line != 10 ||
		len(del.MissingContextValues) != 1 || del.MissingContextValues[0] != "aws:PrincipalTag/team" {
		t.Errorf("DeleteInstance: %+v", del)
	}
	if create.EvalDecision != itypes.PolicyEvaluationDecisionTypeImplicitDeny || len(create.MatchedStatements) != 0 {
		t.Errorf("CreateInstance: %+v", create)
	}
	// With the tag in the context the Deny no longer applies.
	out, err = f.ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/team/dev"),
		ActionNames:     []string{"connect:DeleteInstance"},
		ContextEntries:  []itypes.ContextEntry{{ContextKeyName: aws.String("aws:PrincipalTag/team"), ContextKeyValues: []string{"ops"}, ContextKeyType: itypes.ContextKeyTypeEnumString}},
	})
	must(t, err)
	if d := out.EvaluationResults[0]; d.EvalDecision != itypes.PolicyEvaluationDecisionTypeImplicitDeny || len(d.MissingContextValues) != 0 {
		t.Errorf("DeleteInstance as ops: %+v", d)
	}
	// Custom policies, several resources, pagination.
	var all []itypes.EvaluationResult
	in := &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::000000000000:user/${aws:username}"}]}`},
		ActionNames:     []string{"iam:GetUser", "iam:DeleteUser"},
		ResourceArns:    []string{"arn:aws:iam::000000000000:user/alice", "arn:aws:iam::000000000000:user/bob"},
		ContextEntries:  []itypes.ContextEntry{{ContextKeyName: aws.String("aws:username"), ContextKeyValues: []string{"alice"}, ContextKeyType: itypes.ContextKeyTypeEnumString}},
		MaxItems:        aws.Int32(3),
	}
	pages := 0
	for {
		page, err := f.ic.SimulateCustomPolicy(ctx, in)
		must(t, err)
		pages++
		all = append(all, page.EvaluationResults...)
		if !page.IsTruncated {
			break
		}
		in.Marker = page.Marker
	}
	if pages != 2 || len(all) != 4 {
		t.Fatalf("%d pages, %d results", pages, len(all))
	}
	want := []string{"allowed", "implicitDeny", "implicitDeny", "implicitDeny"}
	for i, r := range all {
		if string(r.EvalDecision) != want[i] {
			t.Errorf("result %d (%s on %s) = %s, want %s", i, *r.EvalActionName, *r.EvalResourceName, r.EvalDecision, want[i])
		}
	}
	if m := all[0].MatchedStatements; len(m) != 1 || *m[0].SourcePolicyId != "PolicyInputList.1" || m[0].SourcePolicyType != itypes.PolicySourceTypeNone ||
		m[0].StartPosition.Column != 38 {
		t.Errorf("custom policy statement: %+v", m)
	}
	// Errors: a malformed policy, an unknown principal, a forged marker.
	_, err = f.ic.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":[]}`}, ActionNames: []string{"iam:GetUser"}})
	if apiCode(err) != "InvalidInput" {
		t.Errorf("malformed custom policy: %v", err)
	}
	_, err = f.ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/dev"), ActionNames: []string{"iam:GetUser"}})
	if apiCode(err) != "NoSuchEntity" {
		t.Errorf("user ARN without its path: %v", err)
	}
	in.Marker = aws.String("forged")
	_, err = f.ic.SimulateCustomPolicy(ctx, in)
	if apiCode(err) != "InvalidInput" {
		t.Errorf("forged marker: %v", err)
	}
	// CallerArn: the simulation runs as that user (${aws:username}).
	_, err = f.ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	must(t, err)
	asAlice, err := f.ic.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::000000000000:user/${aws:username}"}]}`},
		ActionNames:     []string{"iam:GetUser"}, ResourceArns: []string{"arn:aws:iam::000000000000:user/alice"},
		CallerArn: aws.String("arn:aws:iam::000000000000:user/alice"),
	})
	must(t, err)
	if d := asAlice.EvaluationResults[0].EvalDecision; d != itypes.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("CallerArn alice: %s", d)
	}
	_, err = f.ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/team/dev"),
		ActionNames: []string{"iam:GetUser"}, CallerArn: aws.String("arn:aws:iam::000000000000:user/nobody")})
	if apiCode(err) != "NoSuchEntity" {
		t.Errorf("CallerArn of a missing user: %v", err)
	}
	// A permissions boundary: what both allow.
	boundary, err := f.ic.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{policy(stmt("Allow", "connect:*", "*"))},
		PermissionsBoundaryPolicyInputList: []string{policy(stmt("Allow", "connect:List*", "*"), stmt("Deny", "connect:DeleteInstance", "*"))},
		ActionNames:                        []string{"connect:ListInstances", "connect:CreateInstance", "connect:DeleteInstance", "iam:GetUser"},
	})
	must(t, err)
	for i, want := range []struct {
		decision string
		allowed  bool
	}{{"allowed", true}, {"implicitDeny", false}, {"explicitDeny", false}, {"implicitDeny", false}} {
		r := boundary.EvaluationResults[i]
		if string(r.EvalDecision) != want.decision || r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary != want.allowed {
			t.Errorf("boundary %s: %s %+v, want %s %v", *r.EvalActionName, r.EvalDecision, r.PermissionsBoundaryDecisionDetail, want.decision, want.allowed)
		}
	}
	if m := boundary.EvaluationResults[2].MatchedStatements; len(m) != 1 || *m[0].SourcePolicyId != "PermissionsBoundaryPolicyInputList.1" {
		t.Errorf("boundary deny statements: %+v", m)
	}
	_, err = f.ic.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{policy(stmt("Allow", "*", "*"))}, ActionNames: []string{"iam:GetUser"},
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`)})
	if apiCode(err) != "InvalidInput" {
		t.Errorf("ResourcePolicy: %v", err)
	}
	// The caller needs iam:SimulatePrincipalPolicy on the policy source.
	other := iam.NewFromConfig(f.user(t, "other", "/", policy(stmt("Allow", "iam:SimulatePrincipalPolicy", "arn:aws:iam::000000000000:user/other"))))
	_, err = other.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/team/dev"), ActionNames: []string{"iam:GetUser"}})
	wantDenied(t, "SimulatePrincipalPolicy on another user", err, "arn:aws:iam::000000000000:user/team/dev")
}

// aws iam simulate-principal-policy names the matched statement.
func TestSimulatePrincipalPolicyCLI(t *testing.T) {
	awsCLI := requireTool(t, "aws")
	ctx := context.Background()
	f := newIAMFixture(t)
	_, err := f.ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")})
	must(t, err)
	_, err = f.ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("connect-read"), PolicyDocument: aws.String(simPolicy)})
	must(t, err)
	cmd := exec.Command(awsCLI, "iam", "simulate-principal-policy", "--endpoint-url", f.srv.url, "--region", "us-east-1", "--output", "json",
		"--policy-source-arn", "arn:aws:iam::000000000000:user/dev", "--action-names", "connect:ListUsers", "connect:DeleteUser")
	cmd.Env = append(sdkTestEnv(""), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws iam simulate-principal-policy: %v\n%s", err, outb)
	}
	var out struct {
		EvaluationResults []struct {
			EvalActionName    string
			EvalDecision      string
			MatchedStatements []struct {
				SourcePolicyId   string
				SourcePolicyType string
				StartPosition    struct{ Line, Column int }
			}
			MissingContextValues []string
		}
	}
	if err := json.Unmarshal(outb, &out); err != nil {
		t.Fatalf("%v\n%s", err, outb)
	}
	if len(out.EvaluationResults) != 2 {
		t.Fatalf("%s", outb)
	}
	list, del := out.EvaluationResults[0], out.EvaluationResults[1]
	if list.EvalDecision != "allowed" || len(list.MatchedStatements) != 1 || list.MatchedStatements[0].SourcePolicyId != "connect-read" ||
		list.MatchedStatements[0].StartPosition.Line != 4 || del.EvalDecision != "explicitDeny" || del.MatchedStatements[0].StartPosition.Line != 10 ||
		!strings.Contains(strings.Join(del.MissingContextValues, ","), "aws:PrincipalTag/team") {
		t.Errorf("aws iam simulate-principal-policy:\n%s", outb)
	}
}
