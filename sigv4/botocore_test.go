package sigv4_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/testenv"
	"github.com/connectfed/connectfed/sigv4"
)

type botoRequest struct {
	Name    string      `json:"name"`
	Method  string      `json:"method"`
	Target  string      `json:"target"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

// TestBotocore verifies requests signed by botocore (SigV4Auth and
// SigV4QueryAuth), the signer of the AWS CLI and boto3. It needs python3 with
// botocore; without them it is skipped, unless in CI (testenv.CI), where it fails.
func TestBotocore(t *testing.T) {
	missing := func(why string, err error) {
		testenv.Missing(t, fmt.Sprintf("%s: %v", why, err))
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		missing("python3 not found", err)
	}
	if out, err := exec.Command(py, "-c", "import botocore").CombinedOutput(); err != nil {
		missing("botocore not importable: "+string(out), err)
	}
	cmd := exec.Command(py, "testdata/botocore_sign.py", longAKID, longSecret, tempToken, tempAKID, tempSecret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("botocore_sign.py: %v\n%s", err, stderr.String())
	}
	var reqs []botoRequest
	if err := json.Unmarshal(out, &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) < 10 {
		t.Fatalf("only %d requests", len(reqs))
	}
	// botocore signs with the current time.
	ver := &sigv4.Verifier{Lookup: lookupOf(longCred, tempCred)}
	tempNow := *tempCred
	tempNow.Expires = time.Now().Add(time.Hour)
	ver.Lookup = lookupOf(longCred, &tempNow)
	for _, br := range reqs {
		t.Run(br.Name, func(t *testing.T) {
			body, err := base64.StdEncoding.DecodeString(br.Body)
			if err != nil {
				t.Fatal(err)
			}
			var raw bytes.Buffer
			raw.WriteString(br.Method + " " + br.Target + " HTTP/1.1\r\n")
			for _, h := range br.Headers {
				raw.WriteString(h[0] + ": " + h[1] + "\r\n")
			}
			raw.WriteString("\r\n")
			raw.Write(body)
			r, got, err := serverSide(raw.Bytes())
			if err != nil {
				t.Fatalf("%v\n%q", err, raw.Bytes())
			}
			res, err := ver.Verify(context.Background(), r, got)
			if err != nil {
				t.Fatalf("%v\n%q", err, raw.Bytes())
			}
			if res.Presigned != strings.HasPrefix(br.Name, "presigned") {
				t.Fatalf("presigned = %v", res.Presigned)
			}
			// And a changed signed byte fails.
			bad := bytes.Replace(raw.Bytes(), []byte("us-east-1"), []byte("us-east-2"), 1)
			if r, got, err := serverSide(bad); err == nil {
				if _, err := ver.Verify(context.Background(), r, got); kindOf(err) != sigv4.KindSignatureMismatch {
					t.Fatalf("tampered request: %v", err)
				}
			}
		})
	}
}
