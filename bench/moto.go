package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// startMoto starts `moto_server` on a free loopback port. It returns a
// reason string (and no error) when moto is not installed.
func startMoto(tmp string) (*child, string, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, "moto_server is not on PATH (pip install 'moto[server]')", nil
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c, err := startChild("moto_server", []string{bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port)}, nil,
		addr, filepath.Join(tmp, "moto.log"), 60*time.Second, anyAnswer("/moto-api/"))
	if err != nil {
		return nil, "", err
	}
	// pyenv-style shims exec the interpreter, so the pid we started should
	// be python by now; say so if it is not, since CPU and RSS would then
	// be a wrapper's.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c.pid())); err == nil {
		if !strings.Contains(string(b), "python") && !strings.Contains(string(b), "moto") {
			fmt.Fprintf(os.Stderr, "warning: moto_server pid %d runs %q; CPU and RSS may be a wrapper's\n", c.pid(), strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return c, "", nil
}

// motoInstance creates a Connect instance on moto with the Go SDK, as a
// boto3 user would, and checks that the load generator's DescribeInstance
// request gets 200. (The check is the raw request, not the SDK call: moto
// 5 answers CreatedTime as a string, which the Go SDK refuses to decode.)
func motoInstance(ctx context.Context, base string) (string, error) {
	cc := connect.NewFromConfig(sdkConfig(base, rootCreds))
	out, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{
		IdentityManagementType: ctypes.DirectoryTypeSaml, InstanceAlias: aws.String("bench-moto"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("moto CreateInstance: %w", err)
	}
	status, body, err := signedDo(ctx, base, rootCreds, "connect", describeInstanceRequest(*out.Id)(0, 0))
	if err != nil {
		return "", fmt.Errorf("moto DescribeInstance: %w", err)
	}
	if status != 200 || !strings.Contains(string(body), *out.Id) {
		return "", fmt.Errorf("moto DescribeInstance: HTTP %d: %s", status, body)
	}
	return *out.Id, nil
}
