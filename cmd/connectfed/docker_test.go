package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/connect"
)

// TestDockerImage builds the image (make image) and drives the README
// walkthrough against a container under a real dockerd, with --network
// host. It needs docker and a running dockerd, so it runs only when
// CONNECTFED_TEST_DOCKER=1 (not in `make test`):
//
//	dockerd --bridge=none --iptables=false &
//	CONNECTFED_TEST_DOCKER=1 go test -run TestDockerImage -v ./cmd/connectfed/
func TestDockerImage(t *testing.T) {
	if os.Getenv("CONNECTFED_TEST_DOCKER") != "1" {
		t.Skip("set CONNECTFED_TEST_DOCKER=1 (with a running dockerd) to build and test the container image")
	}
	requireTool(t, "docker")
	requireTool(t, "aws")
	image := fmt.Sprintf("connectfed:e2e-%d", time.Now().UnixNano())
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("make", "-C", "../..", "image", "IMAGE="+image).CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	if user := docker("image", "inspect", "--format", "{{.Config.User}}", image); user != "65532:65532" {
		t.Errorf("image runs as %q, want the unprivileged 65532:65532", user)
	}
	volume := docker("volume", "create")
	t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", volume).Run() })

	run := func(volume string, env ...string) (id, url string) {
		t.Helper()
		port := freePort(t)
		args := []string{"run", "-d", "--network", "host", "--health-interval", "1s", "-e", "CONNECTFED_LISTEN=0.0.0.0:" + port}
		if volume != "" {
			args = append(args, "-v", volume+":/data")
		}
		for _, e := range env {
			args = append(args, "-e", e)
		}
		id = docker(append(args, image)...)
		t.Cleanup(func() {
			if t.Failed() {
				out, _ := exec.Command("docker", "logs", id).CombinedOutput()
				t.Logf("container log:\n%s", out)
			}
			exec.Command("docker", "rm", "-f", id).Run()
		})
		// HEALTHCHECK runs `connectfed healthcheck` in the container.
		deadline := time.Now().Add(60 * time.Second)
		for {
			status := docker("inspect", "--format", "{{.State.Health.Status}}", id)
			if status == "healthy" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("container %s is %s after 60 s", id, status)
			}
			time.Sleep(500 * time.Millisecond)
		}
		return id, "http://127.0.0.1:" + port
	}

	// By default the development keys are off in a container (it listens
	// on 0.0.0.0): test/test is refused.
	_, url := run("")
	if _, err := startedCaller(&server{t: t, url: url}, "test", "test"); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("development keys in a default container: %v", err)
	}

	// Enabled explicitly, with the data in a volume: the walkthrough runs
	// (its SignInUrl is under http://127.0.0.1:<port>), and its state
	// survives a new container on the same volume.
	id, url := run(volume, "CONNECTFED_DEVELOPMENT_KEYS=on")
	runREADMEWalkthrough(t, url)
	docker("rm", "-f", id)
	_, url = run(volume, "CONNECTFED_DEVELOPMENT_KEYS=on")
	li, err := connect.NewFromConfig((&server{url: url}).awsConfig("test", "test", "")).ListInstances(context.Background(), &connect.ListInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(li.InstanceSummaryList) != 1 || *li.InstanceSummaryList[0].InstanceAlias != "my-contact-center" {
		t.Errorf("after a new container on the volume: %+v", li.InstanceSummaryList)
	}
}

// freePort is a TCP port free on loopback now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
