package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSeed boots with the example seed and federates at once with the
// seeded keys, ids and names; a restart with the same seed changes nothing.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	seed := filepath.Join("..", "..", "examples", "seed.yaml")
	srv := startServer(t, "", "--seed", seed)
	backend := srv.awsConfig("AKIASEEDAGENTBACKEND", "seed-secret-for-agent-backend-0001", "")
	out, err := sts.NewFromConfig(backend).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/ConnectAgentFederation"), RoleSessionName: aws.String("alice")})
	must(t, err)
	c := out.Credentials
	fed, err := connect.NewFromConfig(srv.awsConfig(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)).GetFederationToken(ctx,
		&connect.GetFederationTokenInput{InstanceId: aws.String("11111111-2222-4333-8444-555555555555")})
	must(t, err)
	if *fed.UserId != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
		t.Errorf("UserId = %s", *fed.UserId)
	}
	dir := srv.dataDir
	srv.stop()
	srv = startServer(t, dir, "--seed", seed)
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))
	lu, err := cc.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String("11111111-2222-4333-8444-555555555555")})
	must(t, err)
	li, err := cc.ListInstances(ctx, &connect.ListInstancesInput{})
	must(t, err)
	if len(lu.UserSummaryList) != 1 || len(li.InstanceSummaryList) != 1 {
		t.Errorf("after a second start with the seed: %d users, %d instances", len(lu.UserSummaryList), len(li.InstanceSummaryList))
	}

	// A seed naming an unknown profile fails the start with where it is.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("accounts:\n  - id: \"000000000000\"\n    instances:\n      - alias: x\n        users:\n          - username: bob\n            securityProfiles: [Nope]\n"), 0o600)
	m := NewMain()
	m.Stderr = discard{}
	must(t, m.ParseFlags([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--seed", bad}))
	err = m.Run(ctx)
	if err == nil {
		m.Close()
		t.Fatal("a bad seed started")
	}
	if !strings.Contains(err.Error(), `seed accounts[0].instances[0] x: users[0] bob: no security profile named "Nope"`) {
		t.Errorf("bad seed error: %v", err)
	}
}
