package sigv4_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/connectfed/connectfed/sigv4"
)

// BenchmarkVerify verifies a typical GetFederationToken call as the Go SDK
// sends it: GET /user/federate/<instance id> signed with temporary
// credentials (session token), as a Go server sees it.
func BenchmarkVerify(b *testing.B) {
	req, err := http.NewRequest("GET", federateURL, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Amz-Sdk-Invocation-Id", "6f1c3a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.41.9 os/linux lang/go#1.26 md/GOOS#linux api/connect#1.175.2")
	signHeader(b, req, nil, sdkCreds(tempCred), "", "connect", "us-east-1", t0)
	r, body := roundTrip(b, req)
	ver := &sigv4.Verifier{Lookup: lookupOf(tempCred), Now: func() time.Time { return t0 }}
	ctx := context.Background()
	if _, err := ver.Verify(ctx, r, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ver.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPresigned is the presigned form of the same call.
func BenchmarkVerifyPresigned(b *testing.B) {
	w := presigned(b, tempCred, tempToken, 300)
	r, body, err := serverSide(w.bytes())
	if err != nil {
		b.Fatal(err)
	}
	ver := &sigv4.Verifier{Lookup: lookupOf(tempCred), Now: func() time.Time { return t0 }}
	ctx := context.Background()
	if _, err := ver.Verify(ctx, r, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ver.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScope is the routing pre-check.
func BenchmarkScope(b *testing.B) {
	r, _, err := serverSide(headerSigned(b, tempCred, tempToken, nil).bytes())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sigv4.Scope(r); err != nil {
			b.Fatal(err)
		}
	}
}
