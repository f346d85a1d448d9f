package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"
)

func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// statusID finds an agent status by name.
func statusID(t *testing.T, cc *connect.Client, instanceID, name string) string {
	t.Helper()
	out, err := cc.ListAgentStatuses(context.Background(), &connect.ListAgentStatusesInput{InstanceId: aws.String(instanceID)})
	must(t, err)
	for _, s := range out.AgentStatusSummaryList {
		if *s.Name == name {
			return *s.Id
		}
	}
	t.Fatalf("no agent status %q", name)
	return ""
}

func inboundFlow(t *testing.T, cc *connect.Client, instanceID string) string {
	t.Helper()
	out, err := cc.ListContactFlows(context.Background(), &connect.ListContactFlowsInput{InstanceId: aws.String(instanceID),
		ContactFlowTypes: []ctypes.ContactFlowType{ctypes.ContactFlowTypeContactFlow}})
	must(t, err)
	for _, f := range out.ContactFlowSummaryList {
		if *f.Name == "Sample inbound flow (first contact experience)" {
			return *f.Id
		}
	}
	t.Fatal("no sample inbound flow")
	return ""
}

func userData(t *testing.T, cc *connect.Client, instanceID, userID string) ctypes.UserData {
	t.Helper()
	out, err := cc.GetCurrentUserData(context.Background(), &connect.GetCurrentUserDataInput{InstanceId: aws.String(instanceID),
		Filters: &ctypes.UserDataFilters{Agents: []string{userID}}})
	must(t, err)
	if len(out.UserDataList) != 1 {
		t.Fatalf("GetCurrentUserData: %d users", len(out.UserDataList))
	}
	return out.UserDataList[0]
}

// TestAgentStatusesAndOrigins drives agent statuses, PutUserStatus,
// GetCurrentUserData and approved origins through the Go SDK.
func TestAgentStatusesAndOrigins(t *testing.T) {
	f := newFedFixture(t)
	ctx := context.Background()
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	inst := aws.String(f.instanceID)

	list, err := cc.ListAgentStatuses(ctx, &connect.ListAgentStatusesInput{InstanceId: inst})
	must(t, err)
	if len(list.AgentStatusSummaryList) != 2 || *list.AgentStatusSummaryList[0].Name != "Available" ||
		list.AgentStatusSummaryList[0].Type != ctypes.AgentStatusTypeRoutable || list.AgentStatusSummaryList[1].Type != ctypes.AgentStatusTypeOffline {
		t.Fatalf("a new instance's statuses: %+v", list.AgentStatusSummaryList)
	}
	created, err := cc.CreateAgentStatus(ctx, &connect.CreateAgentStatusInput{InstanceId: inst, Name: aws.String("Lunch"),
		State: ctypes.AgentStatusStateEnabled, Description: aws.String("eating"), DisplayOrder: aws.Int32(3)})
	must(t, err)
	desc, err := cc.DescribeAgentStatus(ctx, &connect.DescribeAgentStatusInput{InstanceId: inst, AgentStatusId: created.AgentStatusId})
	must(t, err)
	if *desc.AgentStatus.Name != "Lunch" || desc.AgentStatus.Type != ctypes.AgentStatusTypeCustom || *desc.AgentStatus.AgentStatusARN != *created.AgentStatusARN {
		t.Errorf("describe: %+v", desc.AgentStatus)
	}
	_, err = cc.CreateAgentStatus(ctx, &connect.CreateAgentStatusInput{InstanceId: inst, Name: aws.String("lunch"), State: ctypes.AgentStatusStateEnabled})
	if apiErrorCode(err) != "DuplicateResourceException" {
		t.Errorf("duplicate status name: %v", err)
	}
	_, err = cc.UpdateAgentStatus(ctx, &connect.UpdateAgentStatusInput{InstanceId: inst, AgentStatusId: created.AgentStatusId, Name: aws.String("Break")})
	must(t, err)
	offline := statusID(t, cc, f.instanceID, "Offline")
	_, err = cc.UpdateAgentStatus(ctx, &connect.UpdateAgentStatusInput{InstanceId: inst, AgentStatusId: aws.String(offline), State: ctypes.AgentStatusStateDisabled})
	if apiErrorCode(err) != "InvalidRequestException" {
		t.Errorf("disable Offline: %v", err)
	}
	if _, err := cc.DescribeAgentStatus(ctx, &connect.DescribeAgentStatusInput{InstanceId: inst, AgentStatusId: aws.String("nope")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("unknown status: %v", err)
	}

	// A new agent is Offline; PutUserStatus makes it Available.
	ud := userData(t, cc, f.instanceID, f.userID)
	if *ud.Status.StatusName != "Offline" || *ud.User.Id != f.userID || *ud.RoutingProfile.Id != f.routingID {
		t.Errorf("new agent: %+v", ud)
	}
	_, err = cc.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(f.userID), AgentStatusId: aws.String(statusID(t, cc, f.instanceID, "Available"))})
	must(t, err)
	if ud := userData(t, cc, f.instanceID, f.userID); *ud.Status.StatusName != "Available" || ud.AvailableSlotsByChannel["VOICE"] != 1 {
		t.Errorf("after PutUserStatus: %+v", ud.Status)
	}
	_, err = cc.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String("no-such-user"), AgentStatusId: aws.String(offline)})
	if apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("unknown user: %v", err)
	}
	_, err = cc.GetCurrentUserData(ctx, &connect.GetCurrentUserDataInput{InstanceId: inst, Filters: &ctypes.UserDataFilters{}})
	if apiErrorCode(err) != "InvalidRequestException" {
		t.Errorf("no filter: %v", err)
	}

	// Approved origins.
	for _, o := range []string{"http://localhost:3000", "https://agents.example.com/"} {
		_, err := cc.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String(o)})
		must(t, err)
	}
	_, err = cc.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("javascript:alert(1)")})
	if apiErrorCode(err) != "InvalidParameterException" {
		t.Errorf("bad origin: %v", err)
	}
	origins, err := cc.ListApprovedOrigins(ctx, &connect.ListApprovedOriginsInput{InstanceId: inst})
	must(t, err)
	if len(origins.Origins) != 2 || origins.Origins[0] != "http://localhost:3000" || origins.Origins[1] != "https://agents.example.com" {
		t.Errorf("origins: %v", origins.Origins)
	}
	var paged []string
	for p := connect.NewListApprovedOriginsPaginator(cc, &connect.ListApprovedOriginsInput{InstanceId: inst, MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		must(t, err)
		if len(page.Origins) != 1 {
			t.Fatalf("page of %d origins", len(page.Origins))
		}
		paged = append(paged, page.Origins...)
	}
	if len(paged) != 2 || paged[0] == paged[1] {
		t.Errorf("paged origins: %v", paged)
	}
	_, err = cc.DisassociateApprovedOrigin(ctx, &connect.DisassociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("https://agents.example.com")})
	must(t, err)
	origins, err = cc.ListApprovedOrigins(ctx, &connect.ListApprovedOriginsInput{InstanceId: inst})
	must(t, err)
	if len(origins.Origins) != 1 {
		t.Errorf("after disassociate: %v", origins.Origins)
	}
}

// TestContactLifecycleAPI routes a task and a simulated voice call to an
// agent and ends them from the backend.
func TestContactLifecycleAPI(t *testing.T) {
	f := newFedFixture(t, "--ring-timeout", "2s")
	ctx := context.Background()
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	inst := aws.String(f.instanceID)
	flow := inboundFlow(t, cc, f.instanceID)

	// Nobody is available: the task waits in the queue.
	task, err := cc.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: inst, ContactFlowId: aws.String(flow),
		Name: aws.String("Call back Ana"), Attributes: map[string]string{"customer": "ana", "tier": "gold"}})
	must(t, err)
	dc, err := cc.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: inst, ContactId: task.ContactId})
	must(t, err)
	if dc.Contact.Channel != ctypes.ChannelTask || dc.Contact.AgentInfo != nil || *dc.Contact.Name != "Call back Ana" || dc.Contact.QueueInfo == nil {
		t.Errorf("queued task: %+v", dc.Contact)
	}
	if ud := userData(t, cc, f.instanceID, f.userID); len(ud.Contacts) != 0 {
		t.Errorf("offline agent got a contact: %+v", ud.Contacts)
	}

	// Available → the task is offered at once.
	_, err = cc.PutUserStatus(ctx, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(f.userID), AgentStatusId: aws.String(statusID(t, cc, f.instanceID, "Available"))})
	must(t, err)
	ud := userData(t, cc, f.instanceID, f.userID)
	if len(ud.Contacts) != 1 || *ud.Contacts[0].ContactId != *task.ContactId || ud.Contacts[0].AgentContactState != ctypes.ContactStateIncoming {
		t.Fatalf("offered: %+v", ud.Contacts)
	}
	_, err = cc.UpdateContactAttributes(ctx, &connect.UpdateContactAttributesInput{InstanceId: inst, InitialContactId: task.ContactId, Attributes: map[string]string{"tier": "", "note": "vip"}})
	must(t, err)
	attrs, err := cc.GetContactAttributes(ctx, &connect.GetContactAttributesInput{InstanceId: inst, InitialContactId: task.ContactId})
	must(t, err)
	if len(attrs.Attributes) != 2 || attrs.Attributes["note"] != "vip" || attrs.Attributes["customer"] != "ana" {
		t.Errorf("attributes: %v", attrs.Attributes)
	}

	// A second contact waits while the agent is busy (one at a time).
	body, _ := json.Marshal(map[string]any{"InstanceId": f.instanceID, "CustomerPhoneNumber": "+15550100", "Attributes": map[string]string{"reason": "billing"}})
	res := do(t, signedRequest(t, f.srv, "POST", "/connectfed/contacts/voice", "connect", body, map[string]string{"Content-Type": "application/json"}))
	if res.status != 200 {
		t.Fatalf("voice: %d %s", res.status, res.body)
	}
	var voice struct{ ContactId string }
	must(t, json.Unmarshal([]byte(res.body), &voice))
	if ud := userData(t, cc, f.instanceID, f.userID); len(ud.Contacts) != 1 {
		t.Errorf("busy agent got a second contact: %+v", ud.Contacts)
	}

	// The backend stops the ringing task: the voice call is offered next.
	_, err = cc.StopContact(ctx, &connect.StopContactInput{InstanceId: inst, ContactId: task.ContactId})
	must(t, err)
	_, err = cc.StopContact(ctx, &connect.StopContactInput{InstanceId: inst, ContactId: task.ContactId})
	if apiErrorCode(err) != "ContactNotFoundException" {
		t.Errorf("stop twice: %v", err)
	}
	ud = userData(t, cc, f.instanceID, f.userID)
	if len(ud.Contacts) != 1 || *ud.Contacts[0].ContactId != voice.ContactId || ud.Contacts[0].AgentContactState != ctypes.ContactStateConnecting || ud.Contacts[0].Channel != ctypes.ChannelVoice {
		t.Fatalf("voice offered: %+v", ud.Contacts)
	}

	// Not accepted within --ring-timeout: missed, and the call goes back to
	// the queue.
	time.Sleep(2500 * time.Millisecond)
	ud = userData(t, cc, f.instanceID, f.userID)
	if len(ud.Contacts) != 1 || ud.Contacts[0].AgentContactState != ctypes.ContactStateMissed {
		t.Fatalf("missed: %+v", ud.Contacts)
	}
	dc, err = cc.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: inst, ContactId: aws.String(voice.ContactId)})
	must(t, err)
	if dc.Contact.AgentInfo != nil || dc.Contact.DisconnectTimestamp != nil || dc.Contact.CustomerEndpoint == nil || *dc.Contact.CustomerEndpoint.Address != "+15550100" {
		t.Errorf("missed call back in queue: %+v", dc.Contact)
	}
	_, err = cc.StopContact(ctx, &connect.StopContactInput{InstanceId: inst, ContactId: aws.String(voice.ContactId)})
	must(t, err)
	dc, err = cc.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: inst, ContactId: aws.String(voice.ContactId)})
	must(t, err)
	if dc.Contact.DisconnectTimestamp == nil || *dc.Contact.DisconnectReason != "API" {
		t.Errorf("caller hung up: %+v", dc.Contact)
	}

	if _, err := cc.StartTaskContact(ctx, &connect.StartTaskContactInput{InstanceId: inst, ContactFlowId: aws.String("nope"), Name: aws.String("x")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("unknown flow: %v", err)
	}
	chat, err := cc.StartChatContact(ctx, &connect.StartChatContactInput{InstanceId: inst, ContactFlowId: aws.String(flow),
		ParticipantDetails: &ctypes.ParticipantDetails{DisplayName: aws.String("Ana")}})
	must(t, err)
	if chat.ParticipantToken == nil || chat.ContactId == nil {
		t.Errorf("chat: %+v", chat)
	}

	// connectfed call: a simulated call from the command line, and the
	// caller hanging up.
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_SESSION_TOKEN", "")
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"call", "--endpoint-url", f.srv.url, "--instance-id", f.instanceID, "--from", "+15550102", "--attribute", "reason=refund"}, &out, &errb); err != nil {
		t.Fatalf("connectfed call: %v %s", err, errb.String())
	}
	var called struct{ ContactId string }
	must(t, json.Unmarshal(out.Bytes(), &called))
	dc, err = cc.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: inst, ContactId: aws.String(called.ContactId)})
	must(t, err)
	if dc.Contact.Channel != ctypes.ChannelVoice || dc.Contact.InitiationMethod != ctypes.ContactInitiationMethodInbound || dc.Contact.Attributes["reason"] != "refund" {
		t.Errorf("called: %+v", dc.Contact)
	}
	if err := run(ctx, []string{"call", "hangup", "--endpoint-url", f.srv.url, "--instance-id", f.instanceID, "--contact-id", called.ContactId}, &out, &errb); err != nil {
		t.Fatalf("connectfed call hangup: %v", err)
	}
	dc, err = cc.DescribeContact(ctx, &connect.DescribeContactInput{InstanceId: inst, ContactId: aws.String(called.ContactId)})
	must(t, err)
	if dc.Contact.DisconnectReason == nil || *dc.Contact.DisconnectReason != "CUSTOMER_DISCONNECT" {
		t.Errorf("hung up: %+v", dc.Contact.DisconnectReason)
	}
	if err := run(ctx, []string{"call", "--endpoint-url", f.srv.url, "--instance-id", f.instanceID, "--from", "555"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "InvalidParameterException") {
		t.Errorf("bad number: %v", err)
	}
}

// TestAgentAPIBadInput: malformed or impossible requests to the contact
// center operations get AWS-shaped 4xx errors, never a 500.
func TestAgentAPIBadInput(t *testing.T) {
	f := newFedFixture(t)
	id := f.instanceID
	json := map[string]string{"Content-Type": "application/json"}
	for _, c := range []struct {
		method, path, body string
		status             int
		errType            string
	}{
		{"GET", "/agent-status/no-such-instance", "", 404, "ResourceNotFoundException"},
		{"GET", "/agent-status/" + id + "?maxResults=0", "", 400, "InvalidParameterException"},
		{"GET", "/agent-status/" + id + "?AgentStatusTypes=BUSY", "", 400, "InvalidParameterException"},
		{"GET", "/agent-status/" + id + "?nextToken=forged", "", 400, "InvalidRequestException"},
		{"PUT", "/agent-status/" + id, `{"Name":"x"}`, 400, "InvalidParameterException"},
		{"PUT", "/agent-status/" + id, `{"Name":"x","State":"ON"}`, 400, "InvalidParameterException"},
		{"PUT", "/agent-status/" + id, `{"Name":5,"State":"ENABLED"}`, 400, "SerializationException"},
		{"PUT", "/agent-status/" + id, `{"Name":"x","State":"ENABLED","DisplayOrder":99}`, 400, "InvalidParameterException"},
		{"POST", "/agent-status/" + id + "/nope", `{"Name":"y"}`, 404, "ResourceNotFoundException"},
		{"PUT", "/users/" + id + "/" + f.userID + "/status", `{}`, 400, "InvalidParameterException"},
		{"PUT", "/users/" + id + "/" + f.userID + "/status", `{"AgentStatusId":"nope"}`, 404, "ResourceNotFoundException"},
		{"POST", "/metrics/userdata/" + id, `{}`, 400, "InvalidParameterException"},
		{"POST", "/metrics/userdata/" + id, `{"Filters":{"Agents":["x"]},"MaxResults":1000}`, 400, "InvalidParameterException"},
		{"PUT", "/instance/" + id + "/approved-origin", `{}`, 400, "InvalidParameterException"},
		{"PUT", "/instance/" + id + "/approved-origin", `{"Origin":"http://x/y"}`, 400, "InvalidParameterException"},
		{"DELETE", "/instance/" + id + "/approved-origin", "", 400, "InvalidParameterException"},
		{"GET", "/instance/nope/approved-origins", "", 404, "ResourceNotFoundException"},
		{"PUT", "/contact/task", `{"InstanceId":"` + id + `"}`, 400, "InvalidParameterException"},
		{"PUT", "/contact/task", `{"InstanceId":"` + id + `","Name":"t"}`, 400, "InvalidRequestException"},
		{"PUT", "/contact/task", `{"InstanceId":"` + id + `","Name":"t","ContactFlowId":"f","Attributes":{"a":1}}`, 400, "SerializationException"},
		{"PUT", "/contact/task", `{"InstanceId":"nope","Name":"t","ContactFlowId":"f"}`, 404, "ResourceNotFoundException"},
		{"PUT", "/contact/chat", `{"InstanceId":"` + id + `","ContactFlowId":"f"}`, 400, "InvalidParameterException"},
		{"POST", "/contact/stop", `{"InstanceId":"` + id + `","ContactId":"nope"}`, 410, "ContactNotFoundException"},
		{"GET", "/contacts/" + id + "/nope", "", 404, "ResourceNotFoundException"},
		{"POST", "/contact/attributes", `{"InstanceId":"` + id + `","InitialContactId":"nope","Attributes":{}}`, 404, "ResourceNotFoundException"},
		{"GET", "/contact/attributes/" + id + "/nope", "", 404, "ResourceNotFoundException"},
		{"POST", "/connectfed/contacts/voice", `{"InstanceId":"` + id + `","CustomerPhoneNumber":"12"}`, 400, "InvalidParameterException"},
		{"POST", "/connectfed/contacts/voice", `{"InstanceId":"` + id + `","CustomerPhoneNumber":"+15550100","UserId":"nope"}`, 404, "ResourceNotFoundException"},
		{"POST", "/connectfed/contacts/voice", `{"InstanceId":"` + id + `","CustomerPhoneNumber":"+15550100","QueueId":"nope"}`, 404, "ResourceNotFoundException"},
	} {
		res := do(t, signedRequest(t, f.srv, c.method, c.path, "connect", []byte(c.body), json))
		if res.status != c.status || res.errType != c.errType {
			t.Errorf("%s %s %s: %d %s %s, want %d %s", c.method, c.path, c.body, res.status, res.errType, res.body, c.status, c.errType)
		}
	}
}
