package connectfedtest_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/connectfedtest"
)

// TestFederateAnAgent: the common world in three calls, and the token
// works for what a token is for.
func TestFederateAnAgent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := connectfedtest.New(t)
	inst := srv.Instance("my-contact-center")
	alice := srv.Agent(inst, "alice")
	bob := srv.Agent(inst, "bob") // a second agent reuses the backend and role
	out, err := alice.FederationToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *out.UserId != alice.UserID || !strings.HasPrefix(*out.SignInUrl, srv.URL+"/connect/"+inst.ID+"/") {
		t.Errorf("token for %s at %s", *out.UserId, *out.SignInUrl)
	}
	if _, err := bob.FederationToken(ctx); err != nil {
		t.Errorf("bob: %v", err)
	}
	// The token validates at the server's token endpoint.
	resp, err := http.Post(srv.URL+"/connectfed/token/validate", "application/json",
		strings.NewReader(`{"AccessToken": "`+*out.Credentials.AccessToken+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"Active":true`) || !strings.Contains(string(body), `"Username":"alice"`) {
		t.Errorf("validate: %s", body)
	}
	// Root may not federate, as on AWS.
	if _, err := connect.NewFromConfig(srv.Config()).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(inst.ID)}); err == nil {
		t.Error("root got a federation token")
	}
}

// TestParallelServers: each test gets its own server and state.
func TestParallelServers(t *testing.T) {
	t.Parallel()
	a, b := connectfedtest.New(t), connectfedtest.New(t)
	if a.URL == b.URL {
		t.Fatal("two servers on one URL")
	}
	a.Instance("only-in-a")
	li, err := connect.NewFromConfig(b.Config()).ListInstances(context.Background(), &connect.ListInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(li.InstanceSummaryList) != 0 {
		t.Errorf("b sees %d instances of a", len(li.InstanceSummaryList))
	}
}

// TestSeed: the --seed example applies, and federates with its own keys.
func TestSeed(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv := connectfedtest.New(t, connectfedtest.WithSeed(string(doc)))
	srv.Seed(string(doc)) // again: nothing changes
	backend := srv.ConfigFor(aws.Credentials{AccessKeyID: "AKIASEEDAGENTBACKEND", SecretAccessKey: "seed-secret-for-agent-backend-0001"})
	ar, err := sts.NewFromConfig(backend).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/ConnectAgentFederation"), RoleSessionName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	c := ar.Credentials
	cfg := srv.ConfigFor(aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken})
	out, err := connect.NewFromConfig(cfg).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String("11111111-2222-4333-8444-555555555555")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.UserId != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
		t.Errorf("UserId %s", *out.UserId)
	}
}

// TestFromAnotherModule: a module outside this one (a scratch module with
// a replace directive, as a user's project) federates an agent with
// connectfedtest: its test file is the README's Go snippet.
func TestFromAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of its own")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":       "module example.com/agentdesk\n\ngo 1.26\n\nrequire github.com/connectfed/connectfed v0.0.0\n\nreplace github.com/connectfed/connectfed => " + root + "\n",
		"go.sum":       string(sum),
		"desk_test.go": readmeGoSnippet(t),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goBin, "test", "-count=1", "-v", "-mod=mod", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in a scratch module: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "sign in at http://127.0.0.1:") || !strings.Contains(string(out), "--- PASS: TestAgentGetsAFederationToken") {
		t.Errorf("output:\n%s", out)
	}
}

// readmeGoSnippet is the README's Go test file (<!-- test: go-snippet -->).
func readmeGoSnippet(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- test: go-snippet -->\\s*```go\\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no Go snippet marked <!-- test: go-snippet -->")
	}
	return string(m[1])
}
