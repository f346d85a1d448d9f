package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
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
	client := newAdminClient(fs)
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
		fmt.Fprintf(stderr, "Usage:\n  connectfed call --instance-id ID [--from +15550100] [--queue-id Q | --user-id U] [--attribute k=v ...]\n  connectfed call hangup --instance-id ID --contact-id C\n\nSigned with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (default test/test).\n\n")
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
	out, err := client().call(ctx, path, b)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(out)) > 0 {
		fmt.Fprintln(stdout, strings.TrimSpace(string(out)))
	}
	return nil
}
