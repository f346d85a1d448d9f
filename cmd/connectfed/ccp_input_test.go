package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
)

// TestCCPIsNoWayAroundTheAPI: what an agent sends through its CCP is held
// to what the API would accept, and reaches only the agent's own things:
// a desk phone extension is a phone number (as UpdateUserPhoneConfig's
// DeskPhoneNumber), and updateContactAttributes changes only a contact the
// agent holds.
func TestCCPIsNoWayAroundTheAPI(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	cookie, csrf, _ := ccpSession(t, f)

	st, out := ccpAPI(t, f, cookie, csrf, nil, `{"method":"updateAgentConfiguration","params":{"configuration":{"softphoneEnabled":false,"extension":"<img src=x onerror=alert(1)>"}}}`)
	if e, _ := out["err"].(map[string]any); st != 200 || e["type"] != "InvalidParameterException" {
		t.Errorf("extension that is no phone number: %d %v", st, out)
	}
	du, err := cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(f.userID)})
	must(t, err)
	if n := aws.ToString(du.User.PhoneConfig.DeskPhoneNumber); n != "" {
		t.Errorf("DescribeUser shows a DeskPhoneNumber the API refuses: %q", n)
	}
	st, out = ccpAPI(t, f, cookie, csrf, nil, `{"method":"updateAgentConfiguration","params":{"configuration":{"softphoneEnabled":false,"extension":"+15550100"}}}`)
	if st != 200 || out["err"] != nil {
		t.Errorf("a valid extension: %d %v", st, out)
	}

	// A task waiting in the queue (the agent is Offline) is not the
	// agent's: its attributes are not the agent's to change.
	task, err := cc.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: aws.String(f.instanceID),
		ContactFlowId: aws.String(inboundFlow(t, cc, f.instanceID)), Name: aws.String("refund"),
		Attributes: map[string]string{"amount": "10"}})
	must(t, err)
	st, out = ccpAPI(t, f, cookie, csrf, nil, `{"method":"updateContactAttributes","params":{"contactId":"`+*task.ContactId+`","attributes":{"amount":"10000"}}}`)
	if e, _ := out["err"].(map[string]any); st != 200 || e["type"] != "ContactNotFoundException" {
		t.Errorf("updateContactAttributes on a contact that is not the agent's: %d %v", st, out)
	}
	attrs, err := cc.GetContactAttributes(ctx, &connect.GetContactAttributesInput{InstanceId: aws.String(f.instanceID), InitialContactId: task.ContactId})
	must(t, err)
	if attrs.Attributes["amount"] != "10" {
		t.Errorf("the agent changed a contact not its own: %v", attrs.Attributes)
	}
}
