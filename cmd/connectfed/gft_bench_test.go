package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/connectfed/connectfed/awsapi"
)

// BenchmarkGetFederationToken is the benchmark's server-bound scenario in
// process: one GetFederationToken request, signed once by the AWS SDK's
// signer (SigV4 has no nonce, so the server verifies it in full every
// time), replayed on one keep-alive connection to the real server (SQLite,
// access log on, audit on, the serve command's GC settings). The client writes and reads into fixed
// buffers, so allocations per op are the server's, and instructions per op
// (valgrind) nearly so. The "ceiling" sub-benchmark is the bench's ceiling
// server (bare net/http answering the same body) under the same client:
// the ratio of the two is what the server-bound target measures.
func BenchmarkGetFederationToken(b *testing.B) {
	tap := awsapi.ResponseTap
	awsapi.ResponseTap = nil // the conformance checker parses every response
	defer func() { awsapi.ResponseTap = tap }()
	// The GC settings of connectfed serve (tuneGC), restored after.
	gogc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	tuneGC()
	defer func() { debug.SetGCPercent(gogc); debug.SetMemoryLimit(limit) }()

	// The fixture on the real clock, as connectfed serve runs (the test
	// clock takes a lock on every reading).
	f := &fedFixture{clock: &clock{}}
	f.srv = startServer(b, "")
	f.setup(b)
	ctx := context.Background()
	creds, err := f.assume(b, "alice", 43200).Credentials.Retrieve(ctx)
	if err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequest("GET", f.srv.url+"/user/federate/"+f.instanceID, nil)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "connect", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	var raw bytes.Buffer
	if err := req.Write(&raw); err != nil {
		b.Fatal(err)
	}
	var body []byte
	b.Run("connectfed", func(b *testing.B) {
		c := dialReplay(b, f.srv.m.Addr(), raw.Bytes())
		defer c.Close()
		ok, got := c.do()
		if !ok || !bytes.Contains(got, []byte(f.userID)) {
			b.Fatalf("GetFederationToken: %s", got)
		}
		body = bytes.Clone(got)
		c.run(b)
	})
	b.Run("ceiling", func(b *testing.B) {
		size := strconv.Itoa(len(body))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			hdr := w.Header()
			hdr.Set("Content-Type", "application/json")
			hdr.Set("Content-Length", size)
			w.WriteHeader(200)
			w.Write(body)
		})}
		go srv.Serve(ln)
		defer srv.Close()
		c := dialReplay(b, ln.Addr().String(), raw.Bytes())
		defer c.Close()
		c.run(b)
	})
}

// replay sends one raw request over and over on a keep-alive connection.
type replay struct {
	net.Conn
	b    testing.TB
	req  []byte
	rd   *bufio.Reader
	body []byte
}

func dialReplay(b testing.TB, addr string, req []byte) *replay {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	return &replay{Conn: conn, b: b, req: req, rd: bufio.NewReaderSize(conn, 16<<10), body: make([]byte, 16<<10)}
}

// do sends the request and returns whether the answer was 200 and its body
// (valid until the next call).
func (c *replay) do() (bool, []byte) {
	if _, err := c.Write(c.req); err != nil {
		c.b.Fatal(err)
	}
	ok, first, n := false, true, -1
	for {
		line, err := c.rd.ReadSlice('\n')
		if err != nil {
			c.b.Fatal(err)
		}
		if len(line) <= 2 {
			break
		}
		if first {
			ok, first = bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")), false
			continue
		}
		if k := len("Content-Length: "); len(line) > k && bytes.EqualFold(line[:k], []byte("Content-Length: ")) {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(line[k:])))
		}
	}
	if n < 0 || n > len(c.body) {
		c.b.Fatalf("Content-Length %d", n)
	}
	if _, err := io.ReadFull(c.rd, c.body[:n]); err != nil {
		c.b.Fatal(err)
	}
	return ok, c.body[:n]
}

func (c *replay) run(b *testing.B) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if ok, got := c.do(); !ok {
			b.Fatalf("status not 200: %s", got)
		}
	}
}
