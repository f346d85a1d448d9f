package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed"
)

// isoOutcome is what a client learns from an answer.
type isoOutcome struct {
	status  int
	errType string
	message string
}

// isoCall sends a signed request and reads the answer's error, in the
// shape of its protocol (restJson1 for connect, XML for sts and iam).
func isoCall(t *testing.T, srv *server, cr hxCreds, service, method, path string, body []byte) isoOutcome {
	t.Helper()
	var hdr map[string]string
	if service != "connect" {
		hdr = map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	}
	r := hxDo(t, hxSign(t, srv, cr, method, path, service, "us-east-1", body, hdr, time.Now()))
	out := isoOutcome{status: r.status}
	if r.status == 200 {
		return out
	}
	if service == "connect" {
		out.errType = r.header.Get("X-Amzn-ErrorType")
		var m struct{ Message string }
		if err := json.Unmarshal([]byte(r.body), &m); err != nil {
			t.Errorf("%s %s: error body is not JSON: %.300s", method, path, r.body)
		}
		out.message = m.Message
		return out
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := xml.Unmarshal([]byte(r.body), &e); err != nil {
		t.Errorf("%s %s: error body is not XML: %.300s", method, path, r.body)
	}
	out.errType, out.message = e.Error.Code, e.Error.Message
	return out
}

// normalize replaces the identifiers a request named (pairs: value,
// placeholder; longest first) so that two answers can be compared apart
// from the ids they echo.
func normalize(o isoOutcome, pairs ...string) isoOutcome {
	type pr struct{ old, new string }
	var ps []pr
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != "" {
			ps = append(ps, pr{pairs[i], pairs[i+1]})
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].old) > len(ps[j].old) })
	for _, p := range ps {
		o.message = strings.ReplaceAll(o.message, p.old, p.new)
	}
	return o
}

// isoProbe is one operation aimed at the first account's resource, and
// the same operation aimed at a resource that does not exist anywhere.
type isoProbe struct {
	name             string
	service          string
	method           string
	foreign, missing string // paths (connect) or query bodies (sts, iam)
	foreignBody      string // connect bodies
	missingBody      string
	foreignIDs       []string // value, placeholder pairs to normalize
	missingIDs       []string
}

// TestAccountIsolation: another account's credentials (root, an IAM user
// allowed everything, role sessions) neither see, nor change, nor federate
// into the first account's resources, by id or by ARN; the errors they get
// for existing foreign resources are those for resources that do not
// exist; and the store is unchanged, byte for byte, by all the attempts.
func TestAccountIsolation(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	const acct0 = connectfed.DefaultAccountID
	root0 := f.config("test", "test", "")
	root1 := f.config("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", "")

	// The first account: the fixture, plus an inline user policy and a
	// role with the default maximum session (3600 s).
	ic0 := iam.NewFromConfig(root0)
	_, err := ic0.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("agent-app"), PolicyName: aws.String("inline"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:ListInstances","Resource":"*"}]}`)})
	must(t, err)
	trust0 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/agent-app"},"Action":"sts:AssumeRole"}]}`
	_, err = ic0.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("PlainRole"), AssumeRolePolicyDocument: aws.String(trust0)})
	must(t, err)
	keys0, err := ic0.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("agent-app")})
	must(t, err)
	appKeyID := *keys0.AccessKeyMetadata[0].AccessKeyId
	tok0 := f.federate(t)

	// The other account: its own SAML instance with a user "alice", an IAM
	// user allowed everything, and roles whose sessions are "alice".
	cc1, ic1 := connect.NewFromConfig(root1), iam.NewFromConfig(root1)
	inst1, err := cc1.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("other-inst"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	must(t, err)
	sp1, rp1 := defaultProfiles(t, cc1, *inst1.Id)
	createAgent(t, cc1, *inst1.Id, "alice", sp1, rp1)
	allowAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	_, err = ic1.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("intruder")})
	must(t, err)
	_, err = ic1.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("intruder"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowAll)})
	must(t, err)
	k1, err := ic1.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("intruder")})
	must(t, err)
	intruder := hxCreds{*k1.AccessKey.AccessKeyId, *k1.AccessKey.SecretAccessKey, ""}
	trust1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + otherAccount + `:user/intruder"},"Action":"sts:AssumeRole"}]}`
	session := func(role, policy string) hxCreds {
		r, err := ic1.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust1), MaxSessionDuration: aws.Int32(43200)})
		must(t, err)
		_, err = ic1.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)})
		must(t, err)
		out, err := sts.NewFromConfig(f.config(intruder.key, intruder.secret, "")).AssumeRole(ctx,
			&sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("alice")})
		must(t, err)
		return hxCreds{*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken}
	}
	wide := session("Intruder", allowAll)
	// A role whose policy names the first account's resources outright.
	// It names the missing instance's ARN too, so both probes below are
	// allowed by the policy and only existence could tell them apart.
	ni, nu := connectfed.NewUUID(), connectfed.NewUUID()
	narrow := session("Narrow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["connect:*","iam:*","sts:AssumeRole"],"Resource":[`+
		`"arn:aws:connect:us-east-1:000000000000:instance/`+f.instanceID+`","arn:aws:connect:us-east-1:000000000000:instance/`+f.instanceID+`/*",`+
		`"arn:aws:connect:us-east-1:000000000000:instance/`+ni+`","arn:aws:connect:us-east-1:000000000000:instance/`+ni+`/*",`+
		`"arn:aws:iam::000000000000:*"]}]}`)

	// Positive controls: the other account's session federates into its
	// own instance and may revoke its own tokens.
	own, err := connect.NewFromConfig(f.config(wide.key, wide.secret, wide.token)).GetFederationToken(ctx,
		&connect.GetFederationTokenInput{InstanceId: inst1.Id})
	if err != nil {
		t.Fatalf("the other account's session cannot federate into its own instance: %v", err)
	}
	if !strings.Contains(*own.UserArn, ":"+otherAccount+":instance/"+*inst1.Id+"/") {
		t.Fatalf("own federation gave %s", *own.UserArn)
	}
	if o := isoCall(t, f.srv, hxCreds{"AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""}, "connect", "POST", "/connectfed/token/revoke",
		[]byte(`{"Token":"`+*own.Credentials.RefreshToken+`"}`)); o.status != 200 {
		t.Fatalf("the other account cannot revoke its own token: %+v", o)
	}

	// Snapshot with the server stopped; serve the same data again.
	dir := f.srv.dataDir
	f.srv.stop()
	before := storeDump(t, dir)
	f.srv = startServerClock(t, dir, f.clock.Now)
	srv := f.srv

	// Each account lists only its own instances.
	for _, c := range []struct {
		name string
		cfg  aws.Config
		want string
	}{
		{"first account", f.config("test", "test", ""), f.instanceID},
		{"other account root", f.config("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""), *inst1.Id},
		{"other account IAM user", f.config(intruder.key, intruder.secret, ""), *inst1.Id},
		{"other account session", f.config(wide.key, wide.secret, wide.token), *inst1.Id},
	} {
		li, err := connect.NewFromConfig(c.cfg).ListInstances(ctx, &connect.ListInstancesInput{})
		if err != nil {
			t.Errorf("%s: ListInstances: %v", c.name, err)
			continue
		}
		var ids []string
		for _, i := range li.InstanceSummaryList {
			ids = append(ids, *i.Id)
		}
		if len(ids) != 1 || ids[0] != c.want {
			t.Errorf("%s: ListInstances = %v, want only %s", c.name, ids, c.want)
		}
	}

	fi, fu := f.instanceID, f.userID
	fiARN := "arn:aws:connect:us-east-1:" + acct0 + ":instance/" + fi
	niARN := "arn:aws:connect:us-east-1:" + acct0 + ":instance/" + ni
	i1 := *inst1.Id
	nsp, nrp := connectfed.NewUUID(), connectfed.NewUUID()

	type connectOp struct {
		name, method, path, body string // path with {i} and {u}; body with {sp} and {rp}
	}
	ops := []connectOp{
		{"DescribeInstance", "GET", "/instance/{i}", ""},
		{"DeleteInstance", "DELETE", "/instance/{i}", ""},
		{"ListUsers", "GET", "/users-summary/{i}", ""},
		{"ListSecurityProfiles", "GET", "/security-profiles-summary/{i}", ""},
		{"ListRoutingProfiles", "GET", "/routing-profiles-summary/{i}", ""},
		{"CreateUser", "PUT", "/users/{i}", `{"Username":"mallory","RoutingProfileId":"{rp}","SecurityProfileIds":["{sp}"]}`},
		{"DescribeUser", "GET", "/users/{i}/{u}", ""},
		{"DeleteUser", "DELETE", "/users/{i}/{u}", ""},
		{"UpdateUserIdentityInfo", "POST", "/users/{i}/{u}/identity-info", `{"IdentityInfo":{"FirstName":"Pwned"}}`},
		{"UpdateUserPhoneConfig", "POST", "/users/{i}/{u}/phone-config", `{"PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+15555550100"}}`},
		{"UpdateUserSecurityProfiles", "POST", "/users/{i}/{u}/security-profiles", `{"SecurityProfileIds":["{sp}"]}`},
		{"UpdateUserRoutingProfile", "POST", "/users/{i}/{u}/routing-profile", `{"RoutingProfileId":"{rp}"}`},
		{"GetFederationToken", "GET", "/user/federate/{i}", ""},
	}
	fill := func(s, i, u, sp, rp string) string {
		return strings.NewReplacer("{i}", url.PathEscape(i), "{u}", url.PathEscape(u), "{sp}", sp, "{rp}", rp).Replace(s)
	}
	var probes []isoProbe
	for _, op := range ops {
		hasUser := strings.Contains(op.path, "{u}")
		variant := func(label, fI, fU, mI, mU string) {
			p := isoProbe{
				name: op.name + " " + label, service: "connect", method: op.method,
				foreign: fill(op.path, fI, fU, "", ""), missing: fill(op.path, mI, mU, "", ""),
				foreignBody: fill(op.body, "", "", f.agentSP, f.routingID), missingBody: fill(op.body, "", "", nsp, nrp),
				foreignIDs: []string{fI, "<I>", fU, "<U>", f.agentSP, "<SP>", f.routingID, "<RP>"},
				missingIDs: []string{mI, "<I>", mU, "<U>", nsp, "<SP>", nrp, "<RP>"},
			}
			probes = append(probes, p)
		}
		variant("by id", fi, fu, ni, nu)
		variant("by ARN", fiARN, fu, niARN, nu)
		if hasUser {
			// The first account's user id inside the caller's own instance.
			variant("foreign user in own instance", i1, fu, i1, nu)
		}
		if op.name == "CreateUser" || op.name == "UpdateUserSecurityProfiles" || op.name == "UpdateUserRoutingProfile" {
			// The first account's profiles used in the caller's own instance.
			p := isoProbe{
				name: op.name + " foreign profiles in own instance", service: "connect", method: op.method,
				foreign: fill(op.path, i1, "", "", ""), missing: fill(op.path, i1, "", "", ""),
				foreignBody: fill(op.body, "", "", f.agentSP, f.routingID), missingBody: fill(op.body, "", "", nsp, nrp),
				foreignIDs: []string{f.agentSP, "<SP>", f.routingID, "<RP>"}, missingIDs: []string{nsp, "<SP>", nrp, "<RP>"},
			}
			if hasUser {
				// A user of the caller's own instance would be changed for
				// real: aim at a user id that does not exist there either.
				p.foreign, p.missing = fill(op.path, i1, nu, "", ""), fill(op.path, i1, nu, "", "")
				p.foreignIDs = append(p.foreignIDs, nu, "<U>")
				p.missingIDs = append(p.missingIDs, nu, "<U>")
			}
			probes = append(probes, p)
		}
	}

	// IAM and STS, by name and ARN.
	q := func(action, version string, kv ...string) string {
		v := url.Values{"Action": {action}, "Version": {version}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const iv, sv = "2010-05-08", "2011-06-15"
	nuser, nrole, npol := "no-such-user-"+ni[:8], "NoSuchRole"+ni[:8], "no-such-policy"
	nkey := "AKIA" + strings.ToUpper(strings.ReplaceAll(ni, "-", ""))[:16]
	doc := federatePolicy("*")
	iamProbe := func(name, action string, foreign, missing []string, fIDs, mIDs []string) isoProbe {
		return isoProbe{name: name, service: "iam", method: "POST", foreign: q(action, iv, foreign...), missing: q(action, iv, missing...), foreignIDs: fIDs, missingIDs: mIDs}
	}
	userIDs := func(n string) []string { return []string{n, "<NAME>"} }
	probes = append(probes,
		iamProbe("iam GetUser", "GetUser", []string{"UserName", "agent-app"}, []string{"UserName", nuser}, userIDs("agent-app"), userIDs(nuser)),
		iamProbe("iam DeleteUser", "DeleteUser", []string{"UserName", "agent-app"}, []string{"UserName", nuser}, userIDs("agent-app"), userIDs(nuser)),
		iamProbe("iam CreateAccessKey", "CreateAccessKey", []string{"UserName", "agent-app"}, []string{"UserName", nuser}, userIDs("agent-app"), userIDs(nuser)),
		iamProbe("iam ListAccessKeys", "ListAccessKeys", []string{"UserName", "agent-app"}, []string{"UserName", nuser}, userIDs("agent-app"), userIDs(nuser)),
		iamProbe("iam DeleteAccessKey", "DeleteAccessKey", []string{"UserName", "agent-app", "AccessKeyId", appKeyID}, []string{"UserName", nuser, "AccessKeyId", nkey},
			[]string{"agent-app", "<NAME>", appKeyID, "<KEY>"}, []string{nuser, "<NAME>", nkey, "<KEY>"}),
		iamProbe("iam DeleteAccessKey foreign key of own user", "DeleteAccessKey", []string{"UserName", "intruder", "AccessKeyId", appKeyID}, []string{"UserName", "intruder", "AccessKeyId", nkey},
			[]string{appKeyID, "<KEY>"}, []string{nkey, "<KEY>"}),
		iamProbe("iam DeleteAccessKey foreign key without user", "DeleteAccessKey", []string{"AccessKeyId", appKeyID}, []string{"AccessKeyId", nkey},
			[]string{appKeyID, "<KEY>"}, []string{nkey, "<KEY>"}),
		iamProbe("iam GetRole", "GetRole", []string{"RoleName", "ConnectAgent"}, []string{"RoleName", nrole}, userIDs("ConnectAgent"), userIDs(nrole)),
		iamProbe("iam DeleteRole", "DeleteRole", []string{"RoleName", "ConnectAgent"}, []string{"RoleName", nrole}, userIDs("ConnectAgent"), userIDs(nrole)),
		iamProbe("iam PutUserPolicy", "PutUserPolicy", []string{"UserName", "agent-app", "PolicyName", "inline", "PolicyDocument", doc},
			[]string{"UserName", nuser, "PolicyName", "inline", "PolicyDocument", doc}, userIDs("agent-app"), userIDs(nuser)),
		iamProbe("iam PutRolePolicy", "PutRolePolicy", []string{"RoleName", "ConnectAgent", "PolicyName", "federate", "PolicyDocument", doc},
			[]string{"RoleName", nrole, "PolicyName", "federate", "PolicyDocument", doc}, userIDs("ConnectAgent"), userIDs(nrole)),
		iamProbe("iam DeleteUserPolicy", "DeleteUserPolicy", []string{"UserName", "agent-app", "PolicyName", "inline"}, []string{"UserName", nuser, "PolicyName", npol},
			[]string{"agent-app", "<NAME>", "inline", "<POLICY>"}, []string{nuser, "<NAME>", npol, "<POLICY>"}),
		iamProbe("iam DeleteRolePolicy", "DeleteRolePolicy", []string{"RoleName", "ConnectAgent", "PolicyName", "federate"}, []string{"RoleName", nrole, "PolicyName", npol},
			[]string{"ConnectAgent", "<NAME>", "federate", "<POLICY>"}, []string{nrole, "<NAME>", npol, "<POLICY>"}),
	)
	roleARN := func(name string) string { return "arn:aws:iam::" + acct0 + ":role/" + name }
	assume := func(name, role string, extra ...string) isoProbe {
		fq := append([]string{"RoleArn", roleARN(role), "RoleSessionName", "alice"}, extra...)
		mq := append([]string{"RoleArn", roleARN(nrole), "RoleSessionName", "alice"}, extra...)
		return isoProbe{name: name, service: "sts", method: "POST", foreign: q("AssumeRole", sv, fq...), missing: q("AssumeRole", sv, mq...),
			foreignIDs: []string{roleARN(role), "<ROLE>"}, missingIDs: []string{roleARN(nrole), "<ROLE>"}}
	}
	probes = append(probes,
		assume("sts AssumeRole", "ConnectAgent"),
		assume("sts AssumeRole 3600 s", "PlainRole", "DurationSeconds", "3600"),
		assume("sts AssumeRole 900 s", "ConnectAgent", "DurationSeconds", "900"),
	)
	longer := assume("sts AssumeRole longer than the role allows", "PlainRole", "DurationSeconds", "7200")
	probes = append(probes, longer)
	chained := assume("sts AssumeRole chained longer than an hour", "ConnectAgent", "DurationSeconds", "7200")
	probes = append(probes, chained)

	callers := []struct {
		name string
		cr   hxCreds
	}{
		{"root", hxCreds{"AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", ""}},
		{"IAM user allowed everything", intruder},
		{"role session allowed everything", wide},
		{"role session naming the first account", narrow},
	}
	n := 0
	for _, c := range callers {
		for _, p := range probes {
			n++
			t.Run(c.name+"/"+p.name, func(t *testing.T) {
				var fb, mb []byte
				if p.service == "connect" {
					fb, mb = []byte(p.foreignBody), []byte(p.missingBody)
				} else {
					fb, mb = []byte(p.foreign), []byte(p.missing)
				}
				fpath, mpath := p.foreign, p.missing
				if p.service != "connect" {
					fpath, mpath = "/", "/"
				}
				got := isoCall(t, srv, c.cr, p.service, p.method, fpath, fb)
				want := isoCall(t, srv, c.cr, p.service, p.method, mpath, mb)
				if got.status < 400 || got.status >= 500 {
					t.Fatalf("the first account's resource answered %d to another account: %+v", got.status, got)
				}
				g, w := normalize(got, p.foreignIDs...), normalize(want, p.missingIDs...)
				if g != w {
					t.Errorf("an existing foreign resource and a missing one are told apart:\n existing: %+v\n missing:  %+v", got, want)
				}
			})
		}
	}
	t.Logf("%d isolation probes (%d operations x %d callers)", n, len(probes), len(callers))

	// The token endpoints: the other account cannot revoke the first
	// account's tokens, and learns nothing (same answer as for a token
	// that does not verify); the token stays valid.
	for _, c := range callers {
		for _, tk := range []string{*tok0.Credentials.AccessToken, *tok0.Credentials.RefreshToken} {
			got := isoCall(t, srv, c.cr, "connect", "POST", "/connectfed/token/revoke", []byte(`{"Token":"`+tk+`"}`))
			want := isoCall(t, srv, c.cr, "connect", "POST", "/connectfed/token/revoke", []byte(`{"Token":"`+flipMiddle(tk)+`"}`))
			if got.status == 200 || got != want {
				t.Errorf("%s: revoking the first account's token: %+v, for a forged one %+v", c.name, got, want)
			}
		}
	}
	if v := f.validate(t, *tok0.Credentials.AccessToken); v["Active"] != true {
		t.Errorf("the first account's token no longer validates: %v", v)
	}

	// Nothing changed, byte for byte.
	srv.stop()
	if after := storeDump(t, dir); after != before {
		t.Errorf("another account's attempts changed the store:%s", firstDiff(before, after))
	}

	// And the first account still works as before.
	f.srv = startServerClock(t, dir, f.clock.Now)
	cc0 := connect.NewFromConfig(f.config("test", "test", ""))
	du, err := cc0.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(fi), UserId: aws.String(fu)})
	if err != nil || *du.User.Username != "alice" || du.User.PhoneConfig.PhoneType != ctypes.PhoneTypeSoftPhone {
		t.Errorf("alice after the attempts: %+v %v", du, err)
	}
	ic0 = iam.NewFromConfig(f.config("test", "test", ""))
	if lk, err := ic0.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("agent-app")}); err != nil || len(lk.AccessKeyMetadata) != 1 {
		t.Errorf("agent-app's keys after the attempts: %+v %v", lk, err)
	}
	if _, err := connect.NewFromConfig(f.config(f.appKey, f.appSecret, "")).ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("agent-app's inline policy is gone: %v", err)
	}
	f.federate(t) // the role, its trust and its policy are intact
}
