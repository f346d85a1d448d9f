package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/connectfed/connectfed/sigv4"
)

// Fixed test identities.
const (
	longAKID   = "AKIDLONGTERMEXAMPLE"
	longSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tempAKID   = "ASIATEMPORARYEXAMPLE"
	tempSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	tempToken  = "FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+/=="
)

// t0 is the signing time used by most tests.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

var (
	longCred = &sigv4.Credential{AccessKeyID: longAKID, Secret: longSecret, Principal: "long"}
	tempCred = &sigv4.Credential{AccessKeyID: tempAKID, Secret: tempSecret, SessionToken: tempToken,
		Expires: t0.Add(time.Hour), Principal: "temp"}
)

func lookupOf(creds ...*sigv4.Credential) sigv4.Lookup {
	m := map[string]*sigv4.Credential{}
	for _, c := range creds {
		m[c.AccessKeyID] = c
	}
	return func(_ context.Context, akid string) (*sigv4.Credential, error) { return m[akid], nil }
}

func newVerifier(now time.Time, creds ...*sigv4.Credential) *sigv4.Verifier {
	if len(creds) == 0 {
		creds = []*sigv4.Credential{longCred, tempCred}
	}
	return &sigv4.Verifier{Lookup: lookupOf(creds...), Now: func() time.Time { return now }}
}

func sdkCreds(c *sigv4.Credential) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret, SessionToken: c.SessionToken}
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signHeader signs req (in place) with the SDK's SignHTTP.
func signHeader(t testing.TB, req *http.Request, body []byte, creds aws.Credentials, payloadHash, service, region string, at time.Time) {
	t.Helper()
	if payloadHash == "" {
		payloadHash = hashHex(body)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, service, region, at); err != nil {
		t.Fatal(err)
	}
}

// presign presigns req with the SDK's PresignHTTP and returns a new client
// request for the signed URL carrying the signed headers and body.
func presign(t testing.TB, req *http.Request, body []byte, creds aws.Credentials, payloadHash, service, region string, at time.Time) *http.Request {
	t.Helper()
	if payloadHash == "" {
		payloadHash = hashHex(body)
	}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payloadHash, service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(req.Method, u, bodyReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		switch k {
		case "Host":
			out.Host = vs[0]
		case "Content-Length":
		default:
			out.Header[k] = vs
		}
	}
	// Headers the SDK left unsigned travel too.
	for k, vs := range req.Header {
		if _, ok := out.Header[k]; !ok {
			out.Header[k] = vs
		}
	}
	return out
}

func bodyReader(b []byte) io.Reader {
	if len(b) == 0 {
		return nil
	}
	return bytes.NewReader(b)
}

// wire serializes a client request as it goes on the wire.
func wire(t testing.TB, req *http.Request) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// serverSide parses wire bytes the way net/http's server does and reads the body.
func serverSide(raw []byte) (*http.Request, []byte, error) {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	return r, body, nil
}

// roundTrip turns a signed client request into what a Go server sees.
func roundTrip(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	r, body, err := serverSide(wire(t, req))
	if err != nil {
		t.Fatal(err)
	}
	return r, body
}

func kindOf(err error) sigv4.Kind {
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func messageOf(err error) string {
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// wireReq is a serialized request split into editable lines.
type wireReq struct {
	line    string   // request line
	headers []string // "Name: value"
	body    []byte
}

func splitWire(raw []byte) wireReq {
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	return wireReq{line: lines[0], headers: lines[1:], body: append([]byte(nil), body...)}
}

func (w wireReq) bytes() []byte {
	var b bytes.Buffer
	b.WriteString(w.line + "\r\n")
	for _, h := range w.headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(w.body)
	return b.Bytes()
}

func (w wireReq) clone() wireReq {
	w.headers = append([]string(nil), w.headers...)
	w.body = append([]byte(nil), w.body...)
	return w
}

// header returns the index of the first header line named name (case-insensitive).
func (w wireReq) header(name string) int {
	for i, h := range w.headers {
		k, _, _ := strings.Cut(h, ":")
		if strings.EqualFold(k, name) {
			return i
		}
	}
	return -1
}

// target returns the request-target of the request line.
func (w wireReq) target() string {
	_, rest, _ := strings.Cut(w.line, " ")
	i := strings.LastIndex(rest, " ")
	return rest[:i]
}

func (w *wireReq) setTarget(tg string) {
	m, rest, _ := strings.Cut(w.line, " ")
	i := strings.LastIndex(rest, " ")
	w.line = m + " " + tg + rest[i:]
}
