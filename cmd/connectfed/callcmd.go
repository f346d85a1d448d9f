package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// runCall is `connectfed call`: a simulated inbound voice call
// (POST /connectfed/contacts/voice, SigV4-signed with the AWS credentials of
// the environment), or with "hangup" the caller hanging up (StopContact).
func runCall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	hangup := len(args) > 0 && args[0] == "hangup"
	if hangup {
		args = args[1:]
	}
	name := "connectfed call"
	if hangup {
		name += " hangup"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint-url", firstEnv("http://127.0.0.1:4577", "AWS_ENDPOINT_URL_CONNECT", "AWS_ENDPOINT_URL"), "connectfed's URL (env AWS_ENDPOINT_URL)")
	region := fs.String("region", firstEnv("us-east-1", "AWS_REGION", "AWS_DEFAULT_REGION"), "region (env AWS_REGION)")
	instance := fs.String("instance-id", "", "instance id (required)")
	from := fs.String("from", "+15550100", "the caller's number, E.164")
	queue := fs.String("queue-id", "", "queue to wait in (default BasicQueue)")
	user := fs.String("user-id", "", "ring only this agent (a user id)")
	contact := fs.String("contact-id", "", "with hangup: the call to end")
	attrs := map[string]string{}
	fs.Func("attribute", "contact attribute key=value (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, got %q", s)
		}
		attrs[k] = v
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage:\n  connectfed call --instance-id ID [--from +15550100] [--queue-id Q | --user-id U] [--attribute k=v ...]\n  connectfed call hangup --instance-id ID --contact-id C\n\nCredentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (default test/test).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *instance == "" || hangup && *contact == "" {
		fs.Usage()
		return fmt.Errorf("%s: missing --instance-id%s", name, map[bool]string{true: " or --contact-id", false: ""}[hangup])
	}
	path, body := "/connectfed/contacts/voice", map[string]any{"InstanceId": *instance, "CustomerPhoneNumber": *from}
	if *queue != "" {
		body["QueueId"] = *queue
	}
	if *user != "" {
		body["UserId"] = *user
	}
	if len(attrs) > 0 {
		body["Attributes"] = attrs
	}
	if hangup {
		path, body = "/contact/stop", map[string]any{"InstanceId": *instance, "ContactId": *contact,
			"DisconnectReason": map[string]string{"Code": "CUSTOMER_DISCONNECT"}}
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(*endpoint, "/")+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	creds := aws.Credentials{AccessKeyID: firstEnv("test", "AWS_ACCESS_KEY_ID"), SecretAccessKey: firstEnv("test", "AWS_SECRET_ACCESS_KEY"),
		SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	sum := sha256.Sum256(b)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "connect", *region, time.Now()); err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"), strings.TrimSpace(string(out)))
	}
	if len(bytes.TrimSpace(out)) > 0 {
		fmt.Fprintln(stdout, strings.TrimSpace(string(out)))
	}
	return nil
}

func firstEnv(def string, names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return def
}
