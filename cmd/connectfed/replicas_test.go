package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/connectfed/connectfed/postgres/pgtest"
)

// tcpProxy forwards to PostgreSQL; "down" cuts every connection and
// refuses new ones, which is what replicas see when the database stops.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close(); c.Close() }()
			go func() { io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
	return p
}

func (p *tcpProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// TestReplicas runs three connectfed processes on one PostgreSQL database:
// what one does, the others see; a revocation on one is honoured by the
// others within a second; a database outage is a clean 503 and the
// replicas recover by themselves.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshSchemaDSN(t)
	u, err := url.Parse(dsn)
	must(t, err)
	proxy := newProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	key := make([]byte, 32)
	rand.Read(key)
	args := []string{"--store", u.String(), "--master-key", base64.StdEncoding.EncodeToString(key)}
	var reps [3]*proc
	var wg sync.WaitGroup
	for i := range reps {
		wg.Add(1)
		go func() { // start together: migrations and the key ring race
			defer wg.Done()
			reps[i] = startBinary(t, t.TempDir(), args...)
		}()
	}
	wg.Wait()
	a, b, c := &server{t: t, url: reps[0].url}, &server{t: t, url: reps[1].url}, &server{t: t, url: reps[2].url}

	// Create on A (the whole fixture), read on B.
	f := &fedFixture{srv: a, clock: &clock{}}
	f.setup(t)
	_, err = connect.NewFromConfig(b.awsConfig("test", "test", "")).DescribeUser(ctx,
		&connect.DescribeUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(f.userID)})
	must(t, err)

	// Federate on B (with a session made on A), sign in on C.
	fb := *f
	fb.srv = b
	tok := fb.federate(t)
	signIn := strings.Replace(*tok.SignInUrl, b.url, c.url, 1)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(signIn)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on C: %d", resp.StatusCode)
	}
	fa := *f
	if fa.validate(t, *tok.Credentials.AccessToken)["Active"] != true {
		t.Fatal("token from B does not validate on A")
	}

	// Delete the user on C: A refuses the token within a second.
	_, err = connect.NewFromConfig(c.awsConfig("test", "test", "")).DeleteUser(ctx,
		&connect.DeleteUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(f.userID)})
	must(t, err)
	deadline := time.Now().Add(time.Second)
	for fa.validate(t, *tok.Credentials.AccessToken)["Active"] != false {
		if time.Now().After(deadline) {
			t.Fatal("A still accepts the token a second after C deleted the user")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("deleted user's token refused on the other replica after %v", time.Until(deadline.Add(-time.Second)).Abs().Round(time.Millisecond))

	// A key deleted on C stops working on A, which had it cached, within
	// the caches' bound (500 ms, documented; the issue asks for a second).
	appOnA := iam.NewFromConfig(f.config(f.appKey, f.appSecret, ""))
	appOnA.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("agent-app")}) // warm A's credential cache
	_, err = iam.NewFromConfig(c.awsConfig("test", "test", "")).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{
		UserName: aws.String("agent-app"), AccessKeyId: aws.String(f.appKey)})
	must(t, err)
	start := time.Now()
	for {
		_, err := appOnA.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("agent-app")})
		if apiCode(err) == "InvalidClientTokenId" {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("A still accepts a key deleted on C after a second: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("deleted key refused on the other replica after %v", time.Since(start).Round(time.Millisecond))

	// The database goes away: clean 503s and not-ready, no crash.
	proxy.setDown(true)
	cc := connect.NewFromConfig(a.awsConfig("test", "test", ""))
	_, err = cc.ListInstances(ctx, &connect.ListInstancesInput{})
	if apiCode(err) != "InternalServiceException" {
		t.Errorf("during the outage: %v, want InternalServiceException", err)
	}
	assertStatus(t, err, 503)
	if st, _ := get(t, b.url+"/readyz"); st != 503 {
		t.Errorf("/readyz during the outage: %d", st)
	}
	if !strings.Contains(reps[0].logs.String(), "store unavailable") && !strings.Contains(reps[0].logs.String(), "request failed") {
		t.Errorf("no log line names the outage:\n%s", reps[0].logs.String())
	}
	// It comes back; every replica recovers without a restart.
	proxy.setDown(false)
	for i, r := range []*server{a, b, c} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := connect.NewFromConfig(r.awsConfig("test", "test", "")).ListInstances(ctx, &connect.ListInstancesInput{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %d did not recover: %v", i, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if st, _ := get(t, r.url+"/readyz"); st != 200 {
			t.Errorf("replica %d /readyz after recovery: %d", i, st)
		}
	}
	for _, r := range reps {
		if r.cmd.ProcessState != nil {
			t.Errorf("a replica exited: %v", r.cmd.ProcessState)
		}
	}
}
