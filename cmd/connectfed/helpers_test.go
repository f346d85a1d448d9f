package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// server is a running connectfed booted through Main, as the binary does.
type server struct {
	t       *testing.T
	m       *Main
	dataDir string
	url     string
}

// startServer boots the real program on port 0 with a data dir (a new temp
// dir when dataDir is "").
func startServer(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	m := NewMain()
	m.Stderr = io.Discard
	if testing.Verbose() {
		m.Stderr = os.Stderr
	}
	if err := m.ParseFlags(append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, m: m, dataDir: dataDir, url: "http://" + m.Addr()}
	t.Cleanup(func() { s.stop() })
	resp, err := http.Get(s.url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	return s
}

func (s *server) stop() {
	if s.m != nil {
		if err := s.m.Close(); err != nil {
			s.t.Errorf("close: %v", err)
		}
		s.m = nil
	}
}

// awsConfig is an SDK config pointed at the server with static keys.
func (s *server) awsConfig(akid, secret, token string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(akid, secret, token),
		BaseEndpoint:     aws.String(s.url),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
	}
}
