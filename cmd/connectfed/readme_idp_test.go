package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/saml/samltest"
)

// TestREADMEIdP runs the README's "Sign agents in through your IdP" blocks
// verbatim against a fresh server, with the IdP's files made by a test SAML
// IdP and a loopback OpenID issuer (whose URL replaces 127.0.0.1:9000).
func TestREADMEIdP(t *testing.T) {
	requireTool(t, "aws")
	requireTool(t, "curl")
	srv := startServer(t, "")
	dir := t.TempDir()
	idp := samltest.New(t, "https://idp.example.com/metadata")
	must(t, os.WriteFile(filepath.Join(dir, "idp-metadata.xml"), []byte(idp.Metadata()), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "saml-response.b64"), []byte(idp.Response(t, samltest.Claims{
		Roles:           []string{"arn:aws:iam::000000000000:role/ConnectAgentSAML,arn:aws:iam::000000000000:saml-provider/MyIdP"},
		RoleSessionName: "alice"})), 0o600))
	is := newOIDCIssuer(t)
	must(t, os.WriteFile(filepath.Join(dir, "id-token.jwt"), []byte(is.token(t, "alice", "agent-desktop", time.Now().Add(time.Hour))), 0o600))

	script := "set -euo pipefail\n" + awsEndpointShim(t) + strings.Join(readmeBlocks(t, "idp"), "\n")
	script = strings.ReplaceAll(script, "http://127.0.0.1:4577", srv.url)
	script = strings.ReplaceAll(script, "127.0.0.1:9000", strings.TrimPrefix(is.srv.URL, "http://"))
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}, awsModelEnv()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("IdP walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"saml-provider/MyIdP", "303 See Other", "Set-Cookie: connectfed_session=", "/ccp-v2",
		`"` + srv.url + `/connect/`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\n%s", want, out)
		}
	}
}
