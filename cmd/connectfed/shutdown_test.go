package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/connect"
)

func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	p := startBinary(t, dir)
	host := strings.TrimPrefix(p.url, "http://")

	// A CreateInstance whose body is still arriving when SIGTERM comes.
	body := []byte(`{"IdentityManagementType":"SAML","InstanceAlias":"inflight","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`)
	req, _ := http.NewRequest("PUT", p.url+"/instance", bytes.NewReader(body))
	sum := sha256.Sum256(body)
	must(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, req, hex.EncodeToString(sum[:]), "connect", "us-east-1", time.Now()))
	var raw bytes.Buffer
	must(t, req.Write(&raw))
	wire := raw.Bytes()
	conn, err := net.Dial("tcp", host)
	must(t, err)
	defer conn.Close()
	split := len(wire) - 20
	_, err = conn.Write(wire[:split])
	must(t, err)
	time.Sleep(200 * time.Millisecond)

	must(t, p.cmd.Process.Signal(syscall.SIGTERM))
	time.Sleep(300 * time.Millisecond)
	// No new connections once shutting down.
	if c2, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c2.Close()
		t.Error("a new connection was accepted after SIGTERM")
	}
	// The in-flight request completes.
	_, err = conn.Write(wire[split:])
	must(t, err)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("in-flight request lost: %v\n%s", err, p.logs.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("in-flight request: %d", resp.StatusCode)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("did not exit after SIGTERM")
	}
	// The signal and what was drained are logged.
	for _, want := range []string{`"msg":"shutting down","signal":"terminated"`, `"msg":"drained","requests_in_flight":1,"requests_cut_off":0`} {
		if !strings.Contains(p.logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, p.logs.String())
		}
	}
	// The store was closed cleanly and the write is there.
	p2 := startBinary(t, dir)
	srv := &server{t: t, url: p2.url}
	li, err := connect.NewFromConfig(srv.awsConfig("test", "test", "")).ListInstances(context.Background(), &connect.ListInstancesInput{})
	must(t, err)
	if len(li.InstanceSummaryList) != 1 || *li.InstanceSummaryList[0].InstanceAlias != "inflight" {
		t.Errorf("after restart: %+v", li.InstanceSummaryList)
	}
}

// TestFailedRunClosesWhatItOpened: a start that fails after it bound the
// port and opened the store (here a seed naming an unknown profile) frees
// both, so a corrected start on the same port and data dir succeeds.
func TestFailedRunClosesWhatItOpened(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	must(t, os.WriteFile(bad, []byte("accounts:\n  - id: \"000000000000\"\n    instances:\n      - alias: x\n        users:\n          - username: bob\n            securityProfiles: [Nope]\n"), 0o600))

	m := NewMain()
	m.Stderr = discard{}
	must(t, m.ParseFlags([]string{"--listen", addr, "--data-dir", dir, "--seed", bad}))
	if err := m.Run(t.Context()); err == nil {
		m.Close()
		t.Fatal("a bad seed started")
	}
	if m.store != nil || m.audit != nil {
		t.Error("the failed Run left the store or the audit recorder open")
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the failed Run left %s bound: %v", addr, err)
	}
	ln.Close()
	m.Close() // a second Close after the failed Run does nothing

	m = NewMain()
	m.Stderr = discard{}
	must(t, m.ParseFlags([]string{"--listen", addr, "--data-dir", dir}))
	must(t, m.Run(t.Context()))
	must(t, m.Close())
}

// TestPortInUseWritesNothing: a server whose port is taken fails before it
// creates its data dir, master key or database.
func TestPortInUseWritesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	m := NewMain()
	m.Stderr = discard{}
	must(t, m.ParseFlags([]string{"--listen", ln.Addr().String(), "--data-dir", dir}))
	err = m.Run(t.Context())
	if err == nil {
		m.Close()
		t.Fatal("started on a port in use")
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data dir was created (%v) by a start that could not listen", err)
	}
}

// TestSecondServerOnDataDirRefused: a second server on a SQLite data dir
// that one is serving is refused, naming the first one's pid; once the
// first stops, the data dir is free again.
func TestSecondServerOnDataDirRefused(t *testing.T) {
	requireSQLite(t)
	dir := t.TempDir()
	first := startServer(t, dir)
	m := NewMain()
	m.Stderr = discard{}
	must(t, m.ParseFlags([]string{"--listen", "127.0.0.1:0", "--data-dir", dir}))
	err := m.Run(t.Context())
	if err == nil {
		m.Close()
		t.Fatal("a second server started on the same data dir")
	}
	if want := "is in use by another connectfed (pid " + strconv.Itoa(os.Getpid()) + ")"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	first.stop()
	startServer(t, dir) // free again
}
