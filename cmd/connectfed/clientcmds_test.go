package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestStoreMemory: --store memory serves with nothing on disk, and is
// empty again after a restart.
func TestStoreMemory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never-made")
	srv := startServerArgs(t, "--store", "memory", "--data-dir", dir)
	ctx := context.Background()
	cc := connect.NewFromConfig(srv.awsConfig("test", "test", ""))
	_, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "SAML", InstanceAlias: aws.String("mem"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	must(t, err)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("--store memory made the data dir: %v", err)
	}
	srv.stop()
	srv = startServerArgs(t, "--store", "memory", "--data-dir", dir)
	li, err := connect.NewFromConfig(srv.awsConfig("test", "test", "")).ListInstances(ctx, &connect.ListInstancesInput{})
	must(t, err)
	if len(li.InstanceSummaryList) != 0 {
		t.Errorf("a restarted memory store has %d instances", len(li.InstanceSummaryList))
	}
}

// startServerArgs is startServer without the e2e store and data dir
// arguments: args say everything.
func startServerArgs(t *testing.T, args ...string) *server {
	t.Helper()
	m := NewMain()
	m.Stderr = io.Discard
	must(t, m.ParseFlags(append([]string{"--listen", "127.0.0.1:0"}, args...)))
	must(t, m.Run(context.Background()))
	s := &server{t: t, m: m, url: "http://" + m.Addr()}
	t.Cleanup(s.stop)
	return s
}

// TestClientCommands: healthcheck, seed and reset against a running server,
// signed by the commands themselves.
func TestClientCommands(t *testing.T) {
	srv := startServerArgs(t, "--store", "memory")
	ctx := context.Background()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CONNECT", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
	}
	cmd := func(args ...string) (string, error) {
		var out, errs strings.Builder
		err := run(ctx, args, &out, &errs)
		return out.String() + errs.String(), err
	}
	if out, err := cmd("healthcheck", "--url", srv.url); err != nil || out != "ready\n" {
		t.Errorf("healthcheck: %q %v", out, err)
	}
	if _, err := cmd("healthcheck", "--url", "http://127.0.0.1:1"); err == nil {
		t.Error("healthcheck of nothing succeeded")
	}
	t.Setenv("CONNECTFED_LISTEN", strings.Replace(strings.TrimPrefix(srv.url, "http://"), "127.0.0.1", "0.0.0.0", 1))
	if out, err := cmd("healthcheck"); err != nil {
		t.Errorf("healthcheck from CONNECTFED_LISTEN: %q %v", out, err)
	}

	seed := filepath.Join("..", "..", "examples", "seed.yaml")
	if out, err := cmd("seed", "--endpoint-url", srv.url, seed); err != nil || !strings.Contains(out, `{"AccountId":"000000000000"}`) {
		t.Fatalf("seed: %q %v", out, err)
	}
	// Seeding twice changes nothing; the seeded world federates.
	t.Setenv("AWS_ENDPOINT_URL", srv.url)
	if out, err := cmd("seed", seed); err != nil {
		t.Fatalf("seed again: %q %v", out, err)
	}
	backend := srv.awsConfig("AKIASEEDAGENTBACKEND", "seed-secret-for-agent-backend-0001", "")
	ar, err := sts.NewFromConfig(backend).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/ConnectAgentFederation"), RoleSessionName: aws.String("alice")})
	must(t, err)
	c := ar.Credentials
	_, err = connect.NewFromConfig(srv.awsConfig(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)).GetFederationToken(ctx,
		&connect.GetFederationTokenInput{InstanceId: aws.String("11111111-2222-4333-8444-555555555555")})
	must(t, err)

	// A seed may name only the caller's account, and its problems say where.
	other := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(other, []byte("accounts:\n  - id: \"111111111111\"\n"), 0o600)
	if out, err := cmd("seed", other); err == nil || !strings.Contains(err.Error(), "InvalidParameterException (400): The seed names account 111111111111") {
		t.Errorf("seed of another account: %q %v", out, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("accounts:\n  - instances:\n      - alias: x\n        users:\n          - username: bob\n            securityProfiles: [Nope]\n"), 0o600)
	if _, err := cmd("seed", bad); err == nil || !strings.Contains(err.Error(), `no security profile named \"Nope\"`) && !strings.Contains(err.Error(), `no security profile named "Nope"`) {
		t.Errorf("bad seed: %v", err)
	}
	// Wrong keys are refused like any signed call.
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := cmd("reset"); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("reset with a wrong secret: %v", err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	if out, err := cmd("reset"); err != nil || !strings.Contains(out, `{"AccountId":"000000000000"}`) {
		t.Fatalf("reset: %q %v", out, err)
	}
	li, err := connect.NewFromConfig(srv.awsConfig("test", "test", "")).ListInstances(ctx, &connect.ListInstancesInput{})
	must(t, err)
	if len(li.InstanceSummaryList) != 0 {
		t.Errorf("after reset: %d instances", len(li.InstanceSummaryList))
	}
}

// TestPublicURLOfUnspecifiedAddress: listening on every interface, the
// default public URL names 127.0.0.1, which a browser can open.
func TestPublicURLOfUnspecifiedAddress(t *testing.T) {
	srv := startServerArgs(t, "--store", "memory", "--listen", "0.0.0.0:0", "--development-keys", "on")
	if want := "http://127.0.0.1:" + strings.Split(srv.m.Addr(), ":")[len(strings.Split(srv.m.Addr(), ":"))-1]; srv.m.PublicURL != want {
		t.Errorf("public URL %q, want %q", srv.m.PublicURL, want)
	}
}
