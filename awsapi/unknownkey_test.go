package awsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestUnknownKeyAnswer: a request signed with an access key id nobody has
// gets the same bytes whether the id was just read from the store or is
// remembered as unknown (status, content type, body; request ids aside).
func TestUnknownKeyAnswer(t *testing.T) {
	e := newAPI(t)
	requestID := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	send := func(service, method, path, contentType, body string) string {
		t.Helper()
		req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
		must(t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		sum := sha256.Sum256([]byte(body))
		must(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIANOTAKEY000000001", SecretAccessKey: "x"},
			req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()))
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		return requestID.ReplaceAllString(resp.Status+" "+resp.Header.Get("Content-Type")+" "+resp.Header.Get("X-Amzn-ErrorType")+"\n"+string(b), "RID")
	}
	for _, c := range []struct {
		service, method, path, contentType, body, want string
	}{
		{"connect", "GET", "/instance", "", "",
			"403 Forbidden application/json UnrecognizedClientException\n" +
				`{"Message":"The security token included in the request is invalid."}`},
		{"sts", "POST", "/", "application/x-www-form-urlencoded", "Action=GetCallerIdentity&Version=2011-06-15",
			"403 Forbidden text/xml \n" + `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>` +
				`<Message>The security token included in the request is invalid.</Message></Error><RequestId>RID</RequestId></ErrorResponse>`},
	} {
		for i := 0; i < 3; i++ { // the first reads the store, the others find the id remembered
			if got := send(c.service, c.method, c.path, c.contentType, c.body); got != c.want {
				t.Errorf("%s request %d:\n%s\nwant\n%s", c.service, i+1, got, c.want)
			}
		}
	}
}
