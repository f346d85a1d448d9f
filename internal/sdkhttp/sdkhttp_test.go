package sdkhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// smithyBody behaves as smithy-go's request body wrapper: Read and
// WriteTo answer io.EOF once it is closed. Its WriteTo waits for Close,
// which smithy-go calls when Do returns: the order a loaded machine
// produces when the transport's goroutine is descheduled between writing
// the body and checking it for more bytes.
type smithyBody struct {
	mu     sync.Mutex
	r      *bytes.Reader
	closed chan struct{}
}

func (b *smithyBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.closed:
		return 0, io.EOF
	default:
		return b.r.Read(p)
	}
}

func (b *smithyBody) WriteTo(w io.Writer) (int64, error) {
	<-b.closed
	return 0, io.EOF
}

func (b *smithyBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.closed:
	default:
		close(b.closed)
	}
	return nil
}

// TestBodyClosedBeforeTransportCheck: a large response is read whole
// although the request body was closed, as smithy-go does, before the
// transport finished with it. With a plain *http.Client the read fails:
// "use of closed network connection" (TestIAMManagedPolicies' flake).
func TestBodyClosedBeforeTransportCheck(t *testing.T) {
	answer := strings.Repeat("x", 256<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	for i := 0; i < 3; i++ { // a fresh connection, then reused ones
		body := &smithyBody{r: bytes.NewReader([]byte("Action=GetPolicyVersion")), closed: make(chan struct{})}
		req, err := http.NewRequest(http.MethodPost, srv.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(body.r.Len())
		resp, err := New().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body.Close()
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(got) != len(answer) {
			t.Fatalf("request %d: read %d of %d bytes: %v", i, len(got), len(answer), err)
		}
	}
}

type captureBody struct{ body io.ReadCloser }

func (c *captureBody) Do(r *http.Request) (*http.Response, error) {
	c.body = r.Body
	return nil, errors.New("not sent")
}

// TestSmithyBodyIsWriterTo pins the premise smithyBody copies: the SDK's
// request body is an io.WriterTo answering io.EOF once closed. When a
// smithy-go release changes that, Client may no longer be needed.
func TestSmithyBodyIsWriterTo(t *testing.T) {
	c := &captureBody{}
	client := sts.New(sts.Options{Region: "us-east-1", HTTPClient: c, RetryMaxAttempts: 1,
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", "")})
	client.GetCallerIdentity(context.Background(), nil)
	wt, ok := c.body.(io.WriterTo)
	if !ok {
		t.Fatalf("the SDK's request body %T is no io.WriterTo", c.body)
	}
	if n, err := wt.WriteTo(io.Discard); n != 0 || err != io.EOF {
		t.Fatalf("WriteTo of the closed body = %d, %v; want 0, io.EOF", n, err)
	}
}
