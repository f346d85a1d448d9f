package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/connectfed/connectfed/seed"
)

// The client subcommands talk to a running server: healthcheck (for a
// container's HEALTHCHECK), reset and seed (SigV4-signed admin calls, so
// no curl 7.75 or AWS SDK is needed).

// runHealthcheck is `connectfed healthcheck`: exit 0 when the server at
// --url answers /readyz with 200 (it serves and its store answers).
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connectfed healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	u := fs.String("url", "", "the server's base URL (default: from "+EnvName("listen")+" and "+EnvName("tls-cert")+", else http://127.0.0.1:4577)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	base := *u
	if base == "" {
		base = localURL()
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/readyz", nil)
	if err != nil {
		return err
	}
	// The server's own certificate is not checked: this asks a local
	// process whether it serves, over whatever name it is reached by.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", req.URL, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprint(stdout, string(body))
	return nil
}

// localURL is where a server started with this environment listens, as
// seen from the same machine (or container).
func localURL() string {
	addr := envOr("listen", "127.0.0.1:4577")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://127.0.0.1:4577"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if envOr("tls-cert", "") != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// adminClient signs connectfed's own admin calls with the credentials of
// the AWS environment variables (the development keys test/test when
// there are none).
type adminClient struct {
	endpoint, region string
	creds            aws.Credentials
	http             *http.Client
}

func newAdminClient(fs *flag.FlagSet) func() *adminClient {
	endpoint := fs.String("endpoint-url", "", "the server (default $AWS_ENDPOINT_URL, else http://127.0.0.1:4577)")
	return func() *adminClient {
		c := &adminClient{endpoint: *endpoint, region: "us-east-1", http: &http.Client{Timeout: 60 * time.Second}}
		if c.endpoint == "" {
			c.endpoint = envFirst("AWS_ENDPOINT_URL_CONNECT", "AWS_ENDPOINT_URL")
		}
		if c.endpoint == "" {
			c.endpoint = "http://127.0.0.1:4577"
		}
		if r := envFirst("AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
			c.region = r
		}
		c.creds = aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
		if k := envFirst("AWS_ACCESS_KEY_ID"); k != "" {
			c.creds = aws.Credentials{AccessKeyID: k, SecretAccessKey: envFirst("AWS_SECRET_ACCESS_KEY"), SessionToken: envFirst("AWS_SESSION_TOKEN")}
		}
		return c
	}
}

func envFirst(names ...string) string {
	for _, n := range names {
		if v, ok := lookupEnv(n); ok && v != "" {
			return v
		}
	}
	return ""
}

// call sends a signed POST with a JSON body and returns the answer's body.
func (c *adminClient) call(ctx context.Context, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.endpoint, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), "connect", c.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Message string }
		json.Unmarshal(out, &e)
		kind := resp.Header.Get("X-Amzn-Errortype")
		kind, _, _ = strings.Cut(kind, ":")
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(out))
		}
		return nil, fmt.Errorf("%s %s: %s (%d): %s", req.Method, req.URL, kind, resp.StatusCode, e.Message)
	}
	return out, nil
}

// runReset is `connectfed reset`: wipe the caller's account back to empty
// (POST /connectfed/admin/reset).
func runReset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connectfed reset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := newAdminClient(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	out, err := client().call(ctx, "/connectfed/admin/reset", []byte("{}"))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}

// runSeed is `connectfed seed FILE`: create what a --seed file declares
// for the caller's account where missing (POST /connectfed/admin/seed).
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connectfed seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: connectfed seed [flags] FILE\n\nCreates what FILE (the YAML or JSON of --seed) declares for the caller's account, where missing.")
		fs.PrintDefaults()
	}
	client := newAdminClient(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want one seed file")
	}
	sf, err := seed.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	doc, err := json.Marshal(sf)
	if err != nil {
		return fmt.Errorf("seed %s: %w", fs.Arg(0), err)
	}
	out, err := client().call(ctx, "/connectfed/admin/seed", doc)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}
