package main

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// wantCode fails unless err is the AWS error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want %s", what, err, got, code)
	}
}

func newProvisionInstance(t *testing.T, cc *connect.Client, alias string) string {
	t.Helper()
	out, err := cc.CreateInstance(context.Background(), &connect.CreateInstanceInput{
		IdentityManagementType: types.DirectoryTypeSaml, InstanceAlias: aws.String(alias),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
		Tags: map[string]string{"env": "test"},
	})
	must(t, err)
	return *out.Id
}

// TestConnectQueuesAndProfiles drives queues, hours of operation, routing
// profiles and security profiles through aws-sdk-go-v2: the defaults a new
// instance has, every operation's success and its modelled errors.
func TestConnectQueuesAndProfiles(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, "")
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))
	inst := newProvisionInstance(t, cc, "queues-test")
	id := aws.String(inst)

	// Defaults: Basic Hours, BasicQueue on it, the default routing profile on BasicQueue.
	hl, err := cc.ListHoursOfOperations(ctx, &connect.ListHoursOfOperationsInput{InstanceId: id})
	must(t, err)
	if len(hl.HoursOfOperationSummaryList) != 1 || *hl.HoursOfOperationSummaryList[0].Name != "Basic Hours" {
		t.Fatalf("hours = %+v", hl.HoursOfOperationSummaryList)
	}
	hoursID := *hl.HoursOfOperationSummaryList[0].Id
	hd, err := cc.DescribeHoursOfOperation(ctx, &connect.DescribeHoursOfOperationInput{InstanceId: id, HoursOfOperationId: &hoursID})
	must(t, err)
	if len(hd.HoursOfOperation.Config) != 7 || *hd.HoursOfOperation.TimeZone == "" ||
		*hd.HoursOfOperation.HoursOfOperationArn != "arn:aws:connect:us-east-1:000000000000:instance/"+inst+"/operating-hours/"+hoursID {
		t.Errorf("Basic Hours = %+v", hd.HoursOfOperation)
	}
	_, err = cc.DescribeHoursOfOperation(ctx, &connect.DescribeHoursOfOperationInput{InstanceId: id, HoursOfOperationId: aws.String("nope")})
	wantCode(t, "DescribeHoursOfOperation unknown", err, "ResourceNotFoundException")

	ql, err := cc.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: id})
	must(t, err)
	if len(ql.QueueSummaryList) != 1 || *ql.QueueSummaryList[0].Name != "BasicQueue" || ql.QueueSummaryList[0].QueueType != types.QueueTypeStandard {
		t.Fatalf("queues = %+v", ql.QueueSummaryList)
	}
	basicQueue := *ql.QueueSummaryList[0].Id
	bq, err := cc.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: id, QueueId: &basicQueue})
	must(t, err)
	if *bq.Queue.HoursOfOperationId != hoursID || bq.Queue.Status != types.QueueStatusEnabled {
		t.Errorf("BasicQueue = %+v", bq.Queue)
	}
	agentQ, err := cc.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: id, QueueTypes: []types.QueueType{types.QueueTypeAgent}})
	must(t, err)
	if len(agentQ.QueueSummaryList) != 0 {
		t.Errorf("agent queues = %+v", agentQ.QueueSummaryList)
	}

	// Queues.
	sales, err := cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("Sales"), Description: aws.String("sales line"),
		HoursOfOperationId: &hoursID, MaxContacts: aws.Int32(10), Tags: map[string]string{"dept": "sales"},
		OutboundCallerConfig: &types.OutboundCallerConfig{OutboundCallerIdName: aws.String("ACME Sales")}})
	must(t, err)
	if *sales.QueueArn != "arn:aws:connect:us-east-1:000000000000:instance/"+inst+"/queue/"+*sales.QueueId {
		t.Errorf("QueueArn = %s", *sales.QueueArn)
	}
	_, err = cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("Sales"), HoursOfOperationId: &hoursID})
	wantCode(t, "CreateQueue duplicate", err, "DuplicateResourceException")
	_, err = cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("X"), HoursOfOperationId: aws.String("nope")})
	wantCode(t, "CreateQueue unknown hours", err, "ResourceNotFoundException")
	_, err = cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String(""), HoursOfOperationId: &hoursID})
	wantCode(t, "CreateQueue empty name", err, "InvalidParameterException")
	_, err = cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: aws.String("nope"), Name: aws.String("Y"), HoursOfOperationId: &hoursID})
	wantCode(t, "CreateQueue unknown instance", err, "ResourceNotFoundException")
	support, err := cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("Support"), HoursOfOperationId: &hoursID})
	must(t, err)

	_, err = cc.UpdateQueueName(ctx, &connect.UpdateQueueNameInput{InstanceId: id, QueueId: sales.QueueId, Name: aws.String("Inside Sales")})
	must(t, err)
	_, err = cc.UpdateQueueName(ctx, &connect.UpdateQueueNameInput{InstanceId: id, QueueId: sales.QueueId, Name: aws.String("Support")})
	wantCode(t, "UpdateQueueName taken", err, "DuplicateResourceException")
	_, err = cc.UpdateQueueName(ctx, &connect.UpdateQueueNameInput{InstanceId: id, QueueId: aws.String("nope"), Name: aws.String("Z")})
	wantCode(t, "UpdateQueueName unknown", err, "ResourceNotFoundException")
	_, err = cc.UpdateQueueStatus(ctx, &connect.UpdateQueueStatusInput{InstanceId: id, QueueId: sales.QueueId, Status: types.QueueStatusDisabled})
	must(t, err)
	_, err = cc.UpdateQueueStatus(ctx, &connect.UpdateQueueStatusInput{InstanceId: id, QueueId: sales.QueueId, Status: "PAUSED"})
	wantCode(t, "UpdateQueueStatus bad enum", err, "InvalidParameterException")
	dq, err := cc.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: id, QueueId: sales.QueueId})
	must(t, err)
	if *dq.Queue.Name != "Inside Sales" || *dq.Queue.Description != "sales line" || dq.Queue.Status != types.QueueStatusDisabled ||
		*dq.Queue.MaxContacts != 10 || dq.Queue.Tags["dept"] != "sales" || *dq.Queue.OutboundCallerConfig.OutboundCallerIdName != "ACME Sales" {
		t.Errorf("DescribeQueue = %+v", dq.Queue)
	}
	_, err = cc.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: id, QueueId: aws.String("nope")})
	wantCode(t, "DescribeQueue unknown", err, "ResourceNotFoundException")
	// Paging: 3 queues, 2 a page.
	var names []string
	p := connect.NewListQueuesPaginator(cc, &connect.ListQueuesInput{InstanceId: id, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, q := range page.QueueSummaryList {
			names = append(names, *q.Name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"BasicQueue", "Inside Sales", "Support"}) {
		t.Errorf("paged queues = %v", names)
	}

	// Routing profiles.
	rp, err := cc.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{
		InstanceId: id, Name: aws.String("Sales agents"), Description: aws.String("sales and support"),
		DefaultOutboundQueueId: sales.QueueId,
		MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelVoice, Concurrency: aws.Int32(1)},
			{Channel: types.ChannelChat, Concurrency: aws.Int32(3), CrossChannelBehavior: &types.CrossChannelBehavior{BehaviorType: types.BehaviorTypeRouteAnyChannel}}},
		QueueConfigs: []types.RoutingProfileQueueConfig{{QueueReference: &types.RoutingProfileQueueReference{QueueId: sales.QueueId, Channel: types.ChannelVoice}, Priority: aws.Int32(1), Delay: aws.Int32(0)}},
		Tags:         map[string]string{"dept": "sales"},
	})
	must(t, err)
	rpID := rp.RoutingProfileId
	_, err = cc.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: id, Name: aws.String("Sales agents"), Description: aws.String("d"),
		DefaultOutboundQueueId: sales.QueueId, MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelVoice, Concurrency: aws.Int32(1)}}})
	wantCode(t, "CreateRoutingProfile duplicate", err, "DuplicateResourceException")
	_, err = cc.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: id, Name: aws.String("Other"), Description: aws.String("d"),
		DefaultOutboundQueueId: aws.String("nope"), MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelVoice, Concurrency: aws.Int32(1)}}})
	wantCode(t, "CreateRoutingProfile unknown queue", err, "ResourceNotFoundException")
	_, err = cc.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: id, Name: aws.String("Other"), Description: aws.String("d"),
		DefaultOutboundQueueId: sales.QueueId, MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelVoice, Concurrency: aws.Int32(11)}}})
	wantCode(t, "CreateRoutingProfile concurrency 11", err, "InvalidParameterException")

	_, err = cc.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: id, RoutingProfileId: rpID,
		QueueConfigs: []types.RoutingProfileQueueConfig{{QueueReference: &types.RoutingProfileQueueReference{QueueId: support.QueueId, Channel: types.ChannelChat}, Priority: aws.Int32(2), Delay: aws.Int32(30)}}})
	must(t, err)
	_, err = cc.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: id, RoutingProfileId: rpID,
		QueueConfigs: []types.RoutingProfileQueueConfig{{QueueReference: &types.RoutingProfileQueueReference{QueueId: aws.String("nope"), Channel: types.ChannelChat}, Priority: aws.Int32(2), Delay: aws.Int32(30)}}})
	wantCode(t, "AssociateRoutingProfileQueues unknown queue", err, "ResourceNotFoundException")
	_, err = cc.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: id, RoutingProfileId: rpID,
		QueueConfigs: []types.RoutingProfileQueueConfig{{QueueReference: &types.RoutingProfileQueueReference{QueueId: support.QueueId, Channel: types.ChannelChat}, Priority: aws.Int32(100), Delay: aws.Int32(0)}}})
	wantCode(t, "AssociateRoutingProfileQueues priority 100", err, "InvalidParameterException")
	lq, err := cc.ListRoutingProfileQueues(ctx, &connect.ListRoutingProfileQueuesInput{InstanceId: id, RoutingProfileId: rpID})
	must(t, err)
	if len(lq.RoutingProfileQueueConfigSummaryList) != 2 {
		t.Errorf("routing profile queues = %+v", lq.RoutingProfileQueueConfigSummaryList)
	}
	for _, q := range lq.RoutingProfileQueueConfigSummaryList {
		if *q.QueueId == *support.QueueId && (*q.QueueName != "Support" || q.Channel != types.ChannelChat || *q.Priority != 2 || q.Delay != 30) {
			t.Errorf("support config = %+v", q)
		}
	}
	_, err = cc.DisassociateRoutingProfileQueues(ctx, &connect.DisassociateRoutingProfileQueuesInput{InstanceId: id, RoutingProfileId: rpID,
		QueueReferences: []types.RoutingProfileQueueReference{{QueueId: support.QueueId, Channel: types.ChannelChat}}})
	must(t, err)
	_, err = cc.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: id, RoutingProfileId: rpID, Name: aws.String("Sales team")})
	must(t, err)
	_, err = cc.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: id, RoutingProfileId: rpID, Name: aws.String("Basic Routing Profile")})
	wantCode(t, "UpdateRoutingProfileName taken", err, "DuplicateResourceException")
	_, err = cc.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: id, RoutingProfileId: rpID,
		MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelTask, Concurrency: aws.Int32(5)}}})
	must(t, err)
	_, err = cc.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: id, RoutingProfileId: rpID,
		MediaConcurrencies: []types.MediaConcurrency{{Channel: types.ChannelVoice, Concurrency: aws.Int32(2)}}})
	wantCode(t, "UpdateRoutingProfileConcurrency voice 2", err, "InvalidParameterException")
	_, err = cc.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{InstanceId: id, RoutingProfileId: rpID, DefaultOutboundQueueId: support.QueueId})
	must(t, err)
	_, err = cc.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{InstanceId: id, RoutingProfileId: rpID, DefaultOutboundQueueId: aws.String("nope")})
	wantCode(t, "UpdateRoutingProfileDefaultOutboundQueue unknown", err, "ResourceNotFoundException")
	drp, err := cc.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: id, RoutingProfileId: rpID})
	must(t, err)
	r := drp.RoutingProfile
	if *r.Name != "Sales team" || *r.DefaultOutboundQueueId != *support.QueueId || len(r.MediaConcurrencies) != 3 || *r.NumberOfAssociatedQueues != 1 ||
		r.Tags["dept"] != "sales" || r.IsDefault || *r.InstanceId != inst {
		t.Errorf("DescribeRoutingProfile = %+v", r)
	}

	// Security profiles.
	sp, err := cc.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: id, SecurityProfileName: aws.String("Supervisor"),
		Description: aws.String("floor supervisors"), Permissions: []string{"BasicAgentAccess", "OutboundCallAccess"},
		Tags: map[string]string{"dept": "sales"}})
	must(t, err)
	_, err = cc.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: id, SecurityProfileName: aws.String("Supervisor")})
	wantCode(t, "CreateSecurityProfile duplicate", err, "DuplicateResourceException")
	_, err = cc.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: id, SecurityProfileName: aws.String("bad/name")})
	wantCode(t, "CreateSecurityProfile bad name", err, "InvalidParameterException")
	_, err = cc.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: id, SecurityProfileId: sp.SecurityProfileId,
		Permissions: []string{"BasicAgentAccess", "OutboundCallAccess", "AccessMetrics"}})
	must(t, err)
	_, err = cc.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: id, SecurityProfileId: aws.String("nope")})
	wantCode(t, "UpdateSecurityProfile unknown", err, "ResourceNotFoundException")
	dsp, err := cc.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: id, SecurityProfileId: sp.SecurityProfileId})
	must(t, err)
	if *dsp.SecurityProfile.SecurityProfileName != "Supervisor" || *dsp.SecurityProfile.Description != "floor supervisors" ||
		*dsp.SecurityProfile.OrganizationResourceId != inst || *dsp.SecurityProfile.Arn != *sp.SecurityProfileArn {
		t.Errorf("DescribeSecurityProfile = %+v", dsp.SecurityProfile)
	}
	var perms []string
	pp := connect.NewListSecurityProfilePermissionsPaginator(cc, &connect.ListSecurityProfilePermissionsInput{InstanceId: id, SecurityProfileId: sp.SecurityProfileId, MaxResults: aws.Int32(2)})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		must(t, err)
		perms = append(perms, page.Permissions...)
	}
	if !slices.Equal(perms, []string{"AccessMetrics", "BasicAgentAccess", "OutboundCallAccess"}) {
		t.Errorf("permissions = %v", perms)
	}

	// In use: a user holds the profiles.
	u, err := cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: id, Username: aws.String("sam"), SecurityProfileIds: []string{*sp.SecurityProfileId},
		RoutingProfileId: rpID, PhoneConfig: &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone}})
	must(t, err)
	_, err = cc.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: id, SecurityProfileId: sp.SecurityProfileId})
	wantCode(t, "DeleteSecurityProfile in use", err, "ResourceInUseException")
	_, err = cc.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: id, RoutingProfileId: rpID})
	wantCode(t, "DeleteRoutingProfile in use", err, "ResourceInUseException")
	drp, err = cc.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: id, RoutingProfileId: rpID})
	must(t, err)
	if *drp.RoutingProfile.NumberOfAssociatedUsers != 1 {
		t.Errorf("NumberOfAssociatedUsers = %d", *drp.RoutingProfile.NumberOfAssociatedUsers)
	}
	_, err = cc.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: id, UserId: u.UserId})
	must(t, err)
	_, err = cc.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: id, SecurityProfileId: sp.SecurityProfileId})
	must(t, err)
	_, err = cc.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: id, RoutingProfileId: rpID})
	must(t, err)
	_, err = cc.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: id, RoutingProfileId: rpID})
	wantCode(t, "DescribeRoutingProfile deleted", err, "ResourceNotFoundException")
	_, err = cc.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: id, SecurityProfileId: sp.SecurityProfileId})
	wantCode(t, "DeleteSecurityProfile again", err, "ResourceNotFoundException")
}

// TestConnectTags tags every kind of resource, reads the tags back, removes
// them, and checks that aws:ResourceTag, aws:RequestTag and aws:TagKeys
// decide IAM policies on Connect calls.
func TestConnectTags(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, "")
	root := srv.awsConfig("test", "test", "")
	cc := connect.NewFromConfig(root)
	inst := newProvisionInstance(t, cc, "tags-test")
	id := aws.String(inst)
	instARN := "arn:aws:connect:us-east-1:000000000000:instance/" + inst

	sp, err := cc.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: id, SecurityProfileName: aws.String("Tagged")})
	must(t, err)
	hl, err := cc.ListHoursOfOperations(ctx, &connect.ListHoursOfOperationsInput{InstanceId: id})
	must(t, err)
	q, err := cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("Q"), HoursOfOperationId: hl.HoursOfOperationSummaryList[0].Id})
	must(t, err)
	rps, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: id})
	must(t, err)
	u, err := cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: id, Username: aws.String("tagged"), SecurityProfileIds: []string{*sp.SecurityProfileId},
		RoutingProfileId: rps.RoutingProfileSummaryList[0].Id, PhoneConfig: &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone}})
	must(t, err)
	// A default agent status is virtual until written: tagging stores it.
	as, err := cc.ListAgentStatuses(ctx, &connect.ListAgentStatusesInput{InstanceId: id})
	must(t, err)
	flows, err := cc.ListContactFlows(ctx, &connect.ListContactFlowsInput{InstanceId: id})
	must(t, err)
	arns := []string{instARN, *u.UserArn, *sp.SecurityProfileArn, *q.QueueArn, *rps.RoutingProfileSummaryList[0].Arn, *hl.HoursOfOperationSummaryList[0].Arn,
		*as.AgentStatusSummaryList[0].Arn, *flows.ContactFlowSummaryList[0].Arn}
	for _, arn := range arns {
		_, err := cc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"owner": "ops", "cost": "42"}})
		must(t, err)
		_, err = cc.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"cost"}})
		must(t, err)
		lt, err := cc.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		must(t, err)
		want := map[string]string{"owner": "ops"}
		if arn == instARN {
			want["env"] = "test"
		}
		if len(lt.Tags) != len(want) || lt.Tags["owner"] != "ops" {
			t.Errorf("tags of %s = %v, want %v", arn, lt.Tags, want)
		}
	}
	das, err := cc.DescribeAgentStatus(ctx, &connect.DescribeAgentStatusInput{InstanceId: id, AgentStatusId: as.AgentStatusSummaryList[0].Id})
	must(t, err)
	if das.AgentStatus.Tags["owner"] != "ops" {
		t.Errorf("DescribeAgentStatus tags = %v", das.AgentStatus.Tags)
	}
	// The tags show in the resource's own description too.
	du, err := cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: id, UserId: u.UserId})
	must(t, err)
	if du.User.Tags["owner"] != "ops" {
		t.Errorf("DescribeUser tags = %v", du.User.Tags)
	}
	_, err = cc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(instARN + "/contact-flow/nope"), Tags: map[string]string{"a": "b"}})
	wantCode(t, "TagResource unknown flow", err, "ResourceNotFoundException")
	_, err = cc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(instARN + "/queue/nope"), Tags: map[string]string{"a": "b"}})
	wantCode(t, "TagResource unknown queue", err, "ResourceNotFoundException")
	_, err = cc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String("arn:aws:connect:us-east-1:111111111111:instance/" + inst), Tags: map[string]string{"a": "b"}})
	wantCode(t, "TagResource other account", err, "AccessDeniedException")
	_, err = cc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String("not-an-arn"), Tags: map[string]string{"a": "b"}})
	wantCode(t, "TagResource malformed", err, "InvalidParameterException")
	_, err = cc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(instARN), Tags: map[string]string{"aws:x": "b"}})
	wantCode(t, "TagResource aws: prefix", err, "InvalidParameterException")
	_, err = cc.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: aws.String(instARN), TagKeys: []string{}})
	wantCode(t, "UntagResource no keys", err, "InvalidParameterException")
	_, err = cc.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: aws.String(instARN + "/agent/nope")})
	wantCode(t, "ListTagsForResource unknown user", err, "ResourceNotFoundException")
	many := map[string]string{}
	for i := 0; i < 50; i++ {
		many["k"+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	_, err = cc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(instARN), Tags: many})
	wantCode(t, "TagResource past 50", err, "InvalidParameterException")

	// Tag conditions in IAM policies.
	ic := iam.NewFromConfig(root)
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagger")})
	must(t, err)
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"connect:DescribeQueue","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"ops"}}},
	 {"Effect":"Allow","Action":"connect:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
	 {"Effect":"Allow","Action":"connect:CreateQueue","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},
	 {"Effect":"Allow","Action":"connect:UntagResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}]}`
	_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("tagger"), PolicyName: aws.String("tags"), PolicyDocument: aws.String(policy)})
	must(t, err)
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("tagger")})
	must(t, err)
	tc := connect.NewFromConfig(srv.awsConfig(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, ""))
	_, err = tc.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: id, QueueId: q.QueueId})
	must(t, err) // the queue has owner=ops
	q2, err := cc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("Q2"), HoursOfOperationId: hl.HoursOfOperationSummaryList[0].Id})
	must(t, err)
	_, err = tc.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: id, QueueId: q2.QueueId})
	wantCode(t, "DescribeQueue untagged", err, "AccessDeniedException")
	_, err = tc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: q2.QueueArn, Tags: map[string]string{"team": "blue"}})
	must(t, err)
	_, err = tc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: q2.QueueArn, Tags: map[string]string{"team": "red"}})
	wantCode(t, "TagResource team=red", err, "AccessDeniedException")
	_, err = tc.TagResource(ctx, &connect.TagResourceInput{ResourceArn: q2.QueueArn, Tags: map[string]string{"team": "blue", "owner": "ops"}})
	wantCode(t, "TagResource extra key", err, "AccessDeniedException")
	_, err = tc.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: q2.QueueArn, TagKeys: []string{"owner"}})
	wantCode(t, "UntagResource owner", err, "AccessDeniedException")
	_, err = tc.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: q2.QueueArn, TagKeys: []string{"team"}})
	must(t, err)
	_, err = tc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("Q3"), HoursOfOperationId: hl.HoursOfOperationSummaryList[0].Id})
	wantCode(t, "CreateQueue without tag", err, "AccessDeniedException")
	_, err = tc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("Q3"), HoursOfOperationId: hl.HoursOfOperationSummaryList[0].Id,
		Tags: map[string]string{"team": "blue"}})
	must(t, err)

	// Creates are authorized on instance/<id>/<type>/*; the routing
	// profile's queue associations on the profile and on each queue.
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("builder")})
	must(t, err)
	bkey, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("builder")})
	must(t, err)
	bc := connect.NewFromConfig(srv.awsConfig(*bkey.AccessKey.AccessKeyId, *bkey.AccessKey.SecretAccessKey, ""))
	allow := func(name string, actions, resources string) {
		_, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("builder"), PolicyName: aws.String(name),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":` + resources + `}]}`)})
		must(t, err)
	}
	allow("instance-only", `["connect:CreateQueue","connect:AssociateRoutingProfileQueues"]`, `"`+instARN+`"`)
	_, err = bc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("B1"), HoursOfOperationId: hl.HoursOfOperationSummaryList[0].Id})
	wantCode(t, "CreateQueue allowed on the instance ARN only", err, "AccessDeniedException")
	allow("queues", `"connect:CreateQueue"`, `"`+instARN+`/queue/*"`)
	_, err = bc.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: id, Name: aws.String("B1"), HoursOfOperationId: hl.HoursOfOperationSummaryList[0].Id})
	must(t, err)
	rpARN := *rps.RoutingProfileSummaryList[0].Arn
	assoc := &connect.AssociateRoutingProfileQueuesInput{InstanceId: id, RoutingProfileId: rps.RoutingProfileSummaryList[0].Id,
		QueueConfigs: []types.RoutingProfileQueueConfig{{QueueReference: &types.RoutingProfileQueueReference{QueueId: q2.QueueId, Channel: types.ChannelTask}, Priority: aws.Int32(1), Delay: aws.Int32(0)}}}
	allow("profile", `"connect:AssociateRoutingProfileQueues"`, `"`+rpARN+`"`)
	_, err = bc.AssociateRoutingProfileQueues(ctx, assoc)
	wantCode(t, "AssociateRoutingProfileQueues without the queue", err, "AccessDeniedException")
	allow("profile", `"connect:AssociateRoutingProfileQueues"`, `["`+rpARN+`","`+*q2.QueueArn+`"]`)
	_, err = bc.AssociateRoutingProfileQueues(ctx, assoc)
	must(t, err)

	// Tags go with their resource.
	_, err = cc.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: id})
	must(t, err)
	_, err = cc.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: q.QueueArn})
	wantCode(t, "ListTagsForResource after DeleteInstance", err, "ResourceNotFoundException")
}

// TestConnectHierarchyAndSearch drives the agent hierarchy and SearchUsers
// through aws-sdk-go-v2: levels, groups and their paths, a user's group,
// and the search language (string, tag and hierarchy conditions, AND/OR).
func TestConnectHierarchyAndSearch(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, "")
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))
	inst := newProvisionInstance(t, cc, "hierarchy-test")
	id := aws.String(inst)

	hs, err := cc.DescribeUserHierarchyStructure(ctx, &connect.DescribeUserHierarchyStructureInput{InstanceId: id})
	must(t, err)
	if hs.HierarchyStructure.LevelOne != nil {
		t.Errorf("new instance has levels: %+v", hs.HierarchyStructure)
	}
	_, err = cc.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: id, Name: aws.String("North America")})
	wantCode(t, "CreateUserHierarchyGroup without levels", err, "InvalidRequestException")
	_, err = cc.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: id, HierarchyStructure: &types.HierarchyStructureUpdate{
		LevelOne: &types.HierarchyLevelUpdate{Name: aws.String("Region")}, LevelThree: &types.HierarchyLevelUpdate{Name: aws.String("Team")}}})
	wantCode(t, "UpdateUserHierarchyStructure gap", err, "InvalidParameterException")
	_, err = cc.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: id, HierarchyStructure: &types.HierarchyStructureUpdate{
		LevelOne: &types.HierarchyLevelUpdate{Name: aws.String("Region")}, LevelTwo: &types.HierarchyLevelUpdate{Name: aws.String("Site")},
		LevelThree: &types.HierarchyLevelUpdate{Name: aws.String("Team")}}})
	must(t, err)
	hs, err = cc.DescribeUserHierarchyStructure(ctx, &connect.DescribeUserHierarchyStructureInput{InstanceId: id})
	must(t, err)
	if hs.HierarchyStructure.LevelThree == nil || *hs.HierarchyStructure.LevelThree.Name != "Team" || hs.HierarchyStructure.LevelFour != nil {
		t.Fatalf("structure = %+v", hs.HierarchyStructure)
	}

	na, err := cc.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: id, Name: aws.String("North America"), Tags: map[string]string{"geo": "na"}})
	must(t, err)
	seattle, err := cc.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: id, Name: aws.String("Seattle"), ParentGroupId: na.HierarchyGroupId})
	must(t, err)
	billing, err := cc.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: id, Name: aws.String("Billing"), ParentGroupId: seattle.HierarchyGroupId})
	must(t, err)
	_, err = cc.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: id, Name: aws.String("Too deep"), ParentGroupId: billing.HierarchyGroupId})
	wantCode(t, "CreateUserHierarchyGroup level 4", err, "InvalidRequestException")
	_, err = cc.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: id, Name: aws.String("Seattle")})
	wantCode(t, "CreateUserHierarchyGroup duplicate", err, "DuplicateResourceException")
	_, err = cc.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: id, Name: aws.String("Orphan"), ParentGroupId: aws.String("nope")})
	wantCode(t, "CreateUserHierarchyGroup unknown parent", err, "ResourceNotFoundException")

	dg, err := cc.DescribeUserHierarchyGroup(ctx, &connect.DescribeUserHierarchyGroupInput{InstanceId: id, HierarchyGroupId: billing.HierarchyGroupId})
	must(t, err)
	g := dg.HierarchyGroup
	if *g.Name != "Billing" || *g.LevelId != *hs.HierarchyStructure.LevelThree.Id || g.HierarchyPath.LevelOne == nil ||
		*g.HierarchyPath.LevelOne.Name != "North America" || *g.HierarchyPath.LevelTwo.Name != "Seattle" || *g.HierarchyPath.LevelThree.Id != *billing.HierarchyGroupId ||
		*g.Arn != *billing.HierarchyGroupArn {
		t.Errorf("DescribeUserHierarchyGroup = %+v", g)
	}
	lg, err := cc.ListUserHierarchyGroups(ctx, &connect.ListUserHierarchyGroupsInput{InstanceId: id})
	must(t, err)
	if len(lg.UserHierarchyGroupSummaryList) != 3 {
		t.Errorf("groups = %+v", lg.UserHierarchyGroupSummaryList)
	}
	_, err = cc.UpdateUserHierarchyGroupName(ctx, &connect.UpdateUserHierarchyGroupNameInput{InstanceId: id, HierarchyGroupId: billing.HierarchyGroupId, Name: aws.String("Billing and payments")})
	must(t, err)
	_, err = cc.UpdateUserHierarchyGroupName(ctx, &connect.UpdateUserHierarchyGroupNameInput{InstanceId: id, HierarchyGroupId: billing.HierarchyGroupId, Name: aws.String("Seattle")})
	wantCode(t, "UpdateUserHierarchyGroupName taken", err, "DuplicateResourceException")
	_, err = cc.DescribeUserHierarchyGroup(ctx, &connect.DescribeUserHierarchyGroupInput{InstanceId: id, HierarchyGroupId: aws.String("nope")})
	wantCode(t, "DescribeUserHierarchyGroup unknown", err, "ResourceNotFoundException")

	sp, rp := defaultProfiles(t, cc, inst)
	mk := func(name, first, group string, tags map[string]string) string {
		in := &connect.CreateUserInput{InstanceId: id, Username: aws.String(name), SecurityProfileIds: []string{sp}, RoutingProfileId: &rp,
			IdentityInfo: &types.UserIdentityInfo{FirstName: aws.String(first), LastName: aws.String("Doe")}, Tags: tags,
			PhoneConfig: &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone}}
		if group != "" {
			in.HierarchyGroupId = aws.String(group)
		}
		u, err := cc.CreateUser(ctx, in)
		must(t, err)
		return *u.UserId
	}
	ann := mk("ann", "Ann", *billing.HierarchyGroupId, map[string]string{"skill": "billing", "lang": "en"})
	bob := mk("bob", "Bob", *seattle.HierarchyGroupId, map[string]string{"skill": "sales"})
	carl := mk("carl", "Carl", "", map[string]string{"lang": "fr"})
	_, err = cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: id, Username: aws.String("dan"), SecurityProfileIds: []string{sp}, RoutingProfileId: &rp,
		HierarchyGroupId: aws.String("nope"), PhoneConfig: &types.UserPhoneConfig{PhoneType: types.PhoneTypeSoftPhone}})
	wantCode(t, "CreateUser unknown group", err, "ResourceNotFoundException")
	_, err = cc.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: id, UserId: &carl, HierarchyGroupId: na.HierarchyGroupId})
	must(t, err)
	_, err = cc.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: id, UserId: &carl, HierarchyGroupId: aws.String("nope")})
	wantCode(t, "UpdateUserHierarchy unknown group", err, "ResourceNotFoundException")
	du, err := cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: id, UserId: &carl})
	must(t, err)
	if *du.User.HierarchyGroupId != *na.HierarchyGroupId {
		t.Errorf("carl's group = %v", du.User.HierarchyGroupId)
	}

	search := func(what string, in *connect.SearchUsersInput, want ...string) {
		t.Helper()
		in.InstanceId = id
		var got []string
		p := connect.NewSearchUsersPaginator(cc, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Errorf("%s: %v", what, err)
				return
			}
			if *page.ApproximateTotalCount != int64(len(want)) {
				t.Errorf("%s: ApproximateTotalCount = %d, want %d", what, *page.ApproximateTotalCount, len(want))
			}
			for _, u := range page.Users {
				got = append(got, *u.Username)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: users %v, want %v", what, got, want)
		}
	}
	str := func(field, value string, cmp types.StringComparisonType) *types.UserSearchCriteria {
		return &types.UserSearchCriteria{StringCondition: &types.StringCondition{FieldName: aws.String(field), Value: aws.String(value), ComparisonType: cmp}}
	}
	search("all, paged", &connect.SearchUsersInput{MaxResults: aws.Int32(1)}, "ann", "bob", "carl")
	search("username exact", &connect.SearchUsersInput{SearchCriteria: str("Username", "bob", types.StringComparisonTypeExact)}, "bob")
	search("first name starts with", &connect.SearchUsersInput{SearchCriteria: str("FirstName", "a", types.StringComparisonTypeStartsWith)}, "ann")
	search("username contains", &connect.SearchUsersInput{SearchCriteria: str("Username", "b", types.StringComparisonTypeContains)}, "bob")
	search("or", &connect.SearchUsersInput{SearchCriteria: &types.UserSearchCriteria{OrConditions: []types.UserSearchCriteria{
		*str("Username", "ann", types.StringComparisonTypeExact), *str("Username", "carl", types.StringComparisonTypeExact)}}}, "ann", "carl")
	search("and", &connect.SearchUsersInput{SearchCriteria: &types.UserSearchCriteria{AndConditions: []types.UserSearchCriteria{
		*str("LastName", "doe", types.StringComparisonTypeExact), *str("FirstName", "C", types.StringComparisonTypeStartsWith)}}}, "carl")
	search("hierarchy exact", &connect.SearchUsersInput{SearchCriteria: &types.UserSearchCriteria{HierarchyGroupCondition: &types.HierarchyGroupCondition{
		Value: seattle.HierarchyGroupId, HierarchyGroupMatchType: types.HierarchyGroupMatchTypeExact}}}, "bob")
	search("hierarchy with children", &connect.SearchUsersInput{SearchCriteria: &types.UserSearchCriteria{HierarchyGroupCondition: &types.HierarchyGroupCondition{
		Value: seattle.HierarchyGroupId, HierarchyGroupMatchType: types.HierarchyGroupMatchTypeWithChildGroups}}}, "ann", "bob")
	search("tag filter", &connect.SearchUsersInput{SearchFilter: &types.UserSearchFilter{TagFilter: &types.ControlPlaneTagFilter{
		TagCondition: &types.TagCondition{TagKey: aws.String("lang"), TagValue: aws.String("en")}}}}, "ann")
	search("tag filter or", &connect.SearchUsersInput{SearchFilter: &types.UserSearchFilter{TagFilter: &types.ControlPlaneTagFilter{
		OrConditions: [][]types.TagCondition{{{TagKey: aws.String("skill"), TagValue: aws.String("sales")}}, {{TagKey: aws.String("lang"), TagValue: aws.String("fr")}}}}}}, "bob", "carl")
	search("attribute filter and", &connect.SearchUsersInput{SearchFilter: &types.UserSearchFilter{UserAttributeFilter: &types.ControlPlaneUserAttributeFilter{
		AndCondition: &types.AttributeAndCondition{TagConditions: []types.TagCondition{{TagKey: aws.String("lang"), TagValue: aws.String("en")}},
			HierarchyGroupCondition: &types.HierarchyGroupCondition{Value: na.HierarchyGroupId, HierarchyGroupMatchType: types.HierarchyGroupMatchTypeWithChildGroups}}}}}, "ann")
	search("criteria and filter", &connect.SearchUsersInput{SearchCriteria: str("Username", "a", types.StringComparisonTypeContains),
		SearchFilter: &types.UserSearchFilter{TagFilter: &types.ControlPlaneTagFilter{TagCondition: &types.TagCondition{TagKey: aws.String("lang"), TagValue: aws.String("fr")}}}}, "carl")
	_, err = cc.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: id, SearchCriteria: str("Shoe", "x", types.StringComparisonTypeExact)})
	wantCode(t, "SearchUsers bad field", err, "InvalidParameterException")
	_, err = cc.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: aws.String("nope")})
	wantCode(t, "SearchUsers unknown instance", err, "ResourceNotFoundException")
	_, err = cc.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: id, NextToken: aws.String("forged")})
	wantCode(t, "SearchUsers forged token", err, "InvalidParameterException")

	// Groups in use cannot go; nor can a level that has groups.
	_, err = cc.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: id, HierarchyGroupId: seattle.HierarchyGroupId})
	wantCode(t, "DeleteUserHierarchyGroup with children", err, "ResourceInUseException")
	_, err = cc.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: id, HierarchyGroupId: billing.HierarchyGroupId})
	wantCode(t, "DeleteUserHierarchyGroup with users", err, "ResourceInUseException")
	_, err = cc.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: id, HierarchyStructure: &types.HierarchyStructureUpdate{
		LevelOne: &types.HierarchyLevelUpdate{Name: aws.String("Region")}, LevelTwo: &types.HierarchyLevelUpdate{Name: aws.String("Site")}}})
	wantCode(t, "UpdateUserHierarchyStructure drops used level", err, "ResourceInUseException")
	_, err = cc.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: id, UserId: &ann})
	must(t, err)
	_, err = cc.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: id, HierarchyGroupId: billing.HierarchyGroupId})
	must(t, err)
	_ = bob
	_, err = cc.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: id, HierarchyGroupId: billing.HierarchyGroupId})
	wantCode(t, "DeleteUserHierarchyGroup again", err, "ResourceNotFoundException")
	_, err = cc.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: id, HierarchyStructure: &types.HierarchyStructureUpdate{
		LevelOne: &types.HierarchyLevelUpdate{Name: aws.String("Area")}, LevelTwo: &types.HierarchyLevelUpdate{Name: aws.String("Site")}}})
	must(t, err)
	hs2, err := cc.DescribeUserHierarchyStructure(ctx, &connect.DescribeUserHierarchyStructureInput{InstanceId: id})
	must(t, err)
	if *hs2.HierarchyStructure.LevelOne.Name != "Area" || *hs2.HierarchyStructure.LevelOne.Id != *hs.HierarchyStructure.LevelOne.Id || hs2.HierarchyStructure.LevelThree != nil {
		t.Errorf("structure after rename = %+v", hs2.HierarchyStructure)
	}
}

// TestConnectInstanceAttributes reads and changes instance attributes
// through aws-sdk-go-v2, and checks CreateInstance's alias rules.
func TestConnectInstanceAttributes(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, "")
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))
	out, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: types.DirectoryTypeConnectManaged,
		InstanceAlias: aws.String("attrs-test"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(false)})
	must(t, err)
	id := out.Id

	attrs := map[string]string{}
	p := connect.NewListInstanceAttributesPaginator(cc, &connect.ListInstanceAttributesInput{InstanceId: id, MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, a := range page.Attributes {
			attrs[string(a.AttributeType)] = *a.Value
		}
	}
	if len(attrs) != len(types.InstanceAttributeType("").Values()) || attrs["INBOUND_CALLS"] != "true" || attrs["OUTBOUND_CALLS"] != "false" ||
		attrs["CONTACTFLOW_LOGS"] != "false" || attrs["CONTACT_LENS"] != "true" {
		t.Errorf("attributes = %v", attrs)
	}
	_, err = cc.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: id, AttributeType: types.InstanceAttributeTypeContactflowLogs, Value: aws.String("true")})
	must(t, err)
	_, err = cc.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: id, AttributeType: types.InstanceAttributeTypeOutboundCalls, Value: aws.String("true")})
	must(t, err)
	_, err = cc.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: id, AttributeType: types.InstanceAttributeTypeEarlyMedia, Value: aws.String("yes")})
	wantCode(t, "UpdateInstanceAttribute yes", err, "InvalidRequestException")
	_, err = cc.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: id, AttributeType: "NOT_AN_ATTRIBUTE", Value: aws.String("true")})
	wantCode(t, "UpdateInstanceAttribute bad type", err, "InvalidParameterException")
	_, err = cc.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: aws.String("nope"), AttributeType: types.InstanceAttributeTypeEarlyMedia, Value: aws.String("true")})
	wantCode(t, "UpdateInstanceAttribute unknown instance", err, "ResourceNotFoundException")
	a, err := cc.DescribeInstanceAttribute(ctx, &connect.DescribeInstanceAttributeInput{InstanceId: id, AttributeType: types.InstanceAttributeTypeContactflowLogs})
	must(t, err)
	if *a.Attribute.Value != "true" || a.Attribute.AttributeType != types.InstanceAttributeTypeContactflowLogs {
		t.Errorf("CONTACTFLOW_LOGS = %+v", a.Attribute)
	}
	di, err := cc.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: id})
	must(t, err)
	if !*di.Instance.OutboundCallsEnabled {
		t.Errorf("OUTBOUND_CALLS=true did not enable outbound calls")
	}
	_, err = cc.DescribeInstanceAttribute(ctx, &connect.DescribeInstanceAttributeInput{InstanceId: aws.String("nope"), AttributeType: types.InstanceAttributeTypeContactflowLogs})
	wantCode(t, "DescribeInstanceAttribute unknown instance", err, "ResourceNotFoundException")

	// InstanceAlias is required for SAML and CONNECT_MANAGED (AWS::Connect::Instance documents it).
	for _, imt := range []types.DirectoryType{types.DirectoryTypeSaml, types.DirectoryTypeConnectManaged} {
		_, err = cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: imt, InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
		wantCode(t, "CreateInstance without alias "+string(imt), err, "InvalidRequestException")
	}
	_, err = cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: types.DirectoryTypeSaml, InstanceAlias: aws.String("ATTRS-TEST"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantCode(t, "CreateInstance taken alias", err, "InvalidRequestException")
	if err == nil || !strings.Contains(err.Error(), "Invalid Input. Instance alias is already used.") {
		t.Errorf("taken alias message: %v", err)
	}
}

// TestProvisioningBadInput: malformed or impossible requests to the
// provisioning operations get AWS-shaped 4xx errors, never a 500.
func TestProvisioningBadInput(t *testing.T) {
	f := newFedFixture(t)
	id := f.instanceID
	arn := "arn:aws:connect:us-east-1:000000000000:instance/" + id
	long := strings.Repeat("x", 300)
	js := map[string]string{"Content-Type": "application/json"}
	for _, c := range []struct {
		method, path, body string
		status             int
		errType            string
	}{
		{"POST", "/tags/" + url.PathEscape(arn), `{}`, 400, "InvalidParameterException"},
		{"POST", "/tags/" + url.PathEscape(arn), `{"tags":{"k":5}}`, 400, "SerializationException"},
		{"POST", "/tags/" + url.PathEscape(arn), `{"tags":{}}`, 400, "InvalidParameterException"},
		{"POST", "/tags/" + url.PathEscape(arn), `{"tags":{"` + long + `":"v"}}`, 400, "InvalidParameterException"},
		{"POST", "/tags/" + url.PathEscape(arn+"/widget/1"), `{"tags":{"a":"b"}}`, 400, "InvalidParameterException"},
		{"POST", "/tags/" + url.PathEscape(arn+"/queue"), `{"tags":{"a":"b"}}`, 400, "InvalidParameterException"},
		{"POST", "/tags/" + url.PathEscape(arn+"/queue//x"), `{"tags":{"a":"b"}}`, 400, "InvalidParameterException"},
		{"DELETE", "/tags/" + url.PathEscape(arn), ``, 400, "InvalidParameterException"},
		{"GET", "/tags/" + url.PathEscape("arn:aws:connect:us-east-1:000000000000:instance/nope"), ``, 404, "ResourceNotFoundException"},
		{"PUT", "/queues/" + id, `{"Name":"q"}`, 400, "InvalidParameterException"},
		{"PUT", "/queues/" + id, `{"Name":"q","HoursOfOperationId":"h","MaxContacts":-1}`, 400, "InvalidParameterException"},
		{"PUT", "/queues/" + id, `{"Name":"q","HoursOfOperationId":"h","QuickConnectIds":["x"]}`, 404, "ResourceNotFoundException"},
		{"PUT", "/queues/" + id, `{"Name":["q"],"HoursOfOperationId":"h"}`, 400, "SerializationException"},
		{"POST", "/queues/" + id + "/nope/name", `{}`, 400, "InvalidRequestException"},
		{"POST", "/queues/" + id + "/nope/status", `{"Status":"ENABLED"}`, 404, "ResourceNotFoundException"},
		{"GET", "/queues-summary/" + id + "?queueTypes=VIP", ``, 400, "InvalidParameterException"},
		{"GET", "/queues-summary/" + id + "?nextToken=forged", ``, 400, "InvalidRequestException"},
		{"GET", "/hours-of-operations/" + id + "/nope", ``, 404, "ResourceNotFoundException"},
		{"PUT", "/routing-profiles/" + id, `{"Name":"r","Description":"d","DefaultOutboundQueueId":"q"}`, 400, "InvalidParameterException"},
		{"PUT", "/routing-profiles/" + id, `{"Name":"r","Description":"d","DefaultOutboundQueueId":"q","MediaConcurrencies":[{"Channel":"FAX","Concurrency":1}]}`, 400, "InvalidParameterException"},
		{"PUT", "/routing-profiles/" + id, `{"Name":"r","Description":"d","DefaultOutboundQueueId":"q","MediaConcurrencies":[{"Channel":"CHAT","Concurrency":1},{"Channel":"CHAT","Concurrency":2}]}`, 400, "InvalidParameterException"},
		{"PUT", "/routing-profiles/" + id, `{"Name":"r","Description":"d","DefaultOutboundQueueId":"q","MediaConcurrencies":[{"Channel":"VOICE","Concurrency":1}],"ManualAssignmentQueueConfigs":[]}`, 400, "InvalidRequestException"},
		{"POST", "/routing-profiles/" + id + "/nope/associate-queues", `{"QueueConfigs":[{"QueueReference":{"QueueId":"q","Channel":"VOICE"},"Priority":1}]}`, 400, "InvalidParameterException"},
		{"POST", "/routing-profiles/" + id + "/" + f.routingID + "/disassociate-queues", `{"QueueReferences":[{"QueueId":"q","Channel":"VOICE"}]}`, 404, "ResourceNotFoundException"},
		{"DELETE", "/routing-profiles/" + id + "/" + f.routingID, ``, 400, "InvalidRequestException"},
		{"GET", "/routing-profiles/" + id + "/" + f.routingID + "/queues?maxResults=101", ``, 400, "InvalidParameterException"},
		{"PUT", "/security-profiles/" + id, `{"SecurityProfileName":"a/b"}`, 400, "InvalidParameterException"},
		{"PUT", "/security-profiles/" + id, `{"SecurityProfileName":"ok","AllowedAccessControlTags":{"a":"1","b":"2","c":"3","d":"4","e":"5"}}`, 400, "InvalidParameterException"},
		{"GET", "/security-profiles-permissions/" + id + "/nope", ``, 404, "ResourceNotFoundException"},
		{"POST", "/user-hierarchy-structure/" + id, `{}`, 400, "InvalidParameterException"},
		{"POST", "/user-hierarchy-structure/" + id, `{"HierarchyStructure":{"LevelOne":{}}}`, 400, "InvalidParameterException"},
		{"PUT", "/user-hierarchy-groups/" + id, `{"Name":"g"}`, 400, "InvalidRequestException"},
		{"PUT", "/user-hierarchy-groups/" + id, `{}`, 400, "InvalidParameterException"},
		{"POST", "/users/" + id + "/" + f.userID + "/hierarchy", `{"HierarchyGroupId":"nope"}`, 404, "ResourceNotFoundException"},
		{"POST", "/search-users", `{}`, 400, "InvalidParameterException"},
		{"POST", "/search-users", `{"InstanceId":"` + id + `","MaxResults":501}`, 400, "InvalidParameterException"},
		{"POST", "/search-users", `{"InstanceId":"` + id + `","SearchCriteria":{"StringCondition":{"FieldName":"Username","Value":"a","ComparisonType":"LIKE"}}}`, 400, "InvalidParameterException"},
		{"POST", "/search-users", `{"InstanceId":"` + id + `","SearchCriteria":{"AndConditions":[{"AndConditions":[{"AndConditions":[{"AndConditions":[{"AndConditions":[{}]}]}]}]}]}}`, 400, "InvalidParameterException"},
		{"POST", "/search-users", `{"InstanceId":"` + id + `","SearchFilter":{"TagFilter":{"TagCondition":{}}}}`, 400, "InvalidParameterException"},
		{"GET", "/instance/" + id + "/attribute/NOPE", ``, 400, "InvalidParameterException"},
		{"POST", "/instance/" + id + "/attribute/EARLY_MEDIA", `{}`, 400, "InvalidParameterException"},
		{"GET", "/instance/" + id + "/attributes?maxResults=8", ``, 400, "InvalidParameterException"},
		{"GET", "/instance/" + id + "/attributes?nextToken=forged", ``, 400, "InvalidParameterException"},
	} {
		res := do(t, signedRequest(t, f.srv, c.method, c.path, "connect", []byte(c.body), js))
		if res.status != c.status || res.errType != c.errType {
			t.Errorf("%s %s %s: %d %s %s, want %d %s", c.method, c.path, truncateStr(c.body, 80), res.status, res.errType, res.body, c.status, c.errType)
		}
	}
}
