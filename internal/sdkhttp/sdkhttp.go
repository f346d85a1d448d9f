// Package sdkhttp is the HTTP client the project's aws-sdk-go-v2
// configurations use (tests, connectfedtest, the benchmark's setup).
package sdkhttp

import (
	"io"
	"net/http"
	"time"
)

// Client is an http.Client for aws.Config.HTTPClient that keeps a fast
// answer from closing the connection under its own response body.
//
// smithy-go wraps a request body in a reader that answers io.EOF once
// closed, from WriteTo as well, and closes it as soon as Do returns.
// net/http, after writing Content-Length bytes, checks the body for more
// with io.Copy(io.Discard, body), which calls WriteTo; when the response
// was read before that check ran (a loopback server, a loaded machine),
// the check gets io.EOF, the transport takes it for a failed write and
// closes the connection, and reading the rest of the response body fails
// with "use of closed network connection". Hiding WriteTo makes the check
// call Read, whose io.EOF is the end it expects.
type Client struct {
	HTTP *http.Client
}

// New is a Client with the 30 s timeout the project's SDK clients use.
func New() Client {
	return Client{HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Do sends r with its body seen only as an io.ReadCloser.
func (c Client) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readCloser{r.Body}
	}
	return c.HTTP.Do(r)
}

type readCloser struct{ io.ReadCloser }
