package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestExpirySoak runs the real binary with access tokens of 2 s and
// refresh tokens of 10 s under continuous AssumeRole, GetFederationToken,
// refresh and browser sign-in traffic for CONNECTFED_EXPIRY_SOAK (at least
// 20m for the figures the README quotes; audit records kept 2 minutes), and
// prints the database size and RSS once a minute. It is not part of CI:
//
//	CONNECTFED_EXPIRY_SOAK=20m go test -run TestExpirySoak -v -timeout 40m ./cmd/connectfed/
//
// It fails when the database (file plus WAL) or RSS in the last minute is
// more than 50% above its value at the end of the first window in which
// every kind of entry could expire (STS sessions live at least 15 minutes,
// so that window is 16 minutes; shorter soaks compare with minute 2).
func TestExpirySoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("CONNECTFED_EXPIRY_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set CONNECTFED_EXPIRY_SOAK=20m to run the expiry soak")
	}
	requireSQLite(t)
	dataDir := t.TempDir()
	args := []string{"--access-token-ttl", "2s", "--refresh-token-ttl", "10s", "--audit-retention", "2m"}
	args = append(args, strings.Fields(os.Getenv("CONNECTFED_EXPIRY_SOAK_ARGS"))...) // e.g. --pprof
	p := startBinary(t, dataDir, args...)
	f := &fedFixture{srv: &server{t: t, url: p.url}, clock: &clock{}}
	f.setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var counts [5]atomic.Int64 // assume, federate, refresh, sign-in, errors
	var firstErr atomic.Value
	fail := func(err error) {
		if ctx.Err() == nil {
			counts[4].Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := f.config(f.appKey, f.appSecret, "")
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			var fc *connect.Client
			for i := 0; ctx.Err() == nil; i++ {
				if i%20 == 0 { // a new STS session every 20 federations
					out, err := sts.NewFromConfig(app).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.roleARN),
						RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(900)})
					if err != nil {
						fail(err)
						time.Sleep(time.Second)
						continue
					}
					counts[0].Add(1)
					c := out.Credentials
					fc = connect.NewFromConfig(f.config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
				}
				out, err := fc.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
				if err != nil {
					fail(err)
					continue
				}
				counts[1].Add(1)
				if st, _, err := tryRefresh(ctx, p.url, *out.Credentials.RefreshToken); err != nil || st != 200 {
					fail(fmt.Errorf("refresh: %d %v", st, err))
				} else {
					counts[2].Add(1)
				}
				if resp, err := browser.Get(*out.SignInUrl); err != nil || resp.StatusCode != 200 {
					fail(fmt.Errorf("sign-in: %v %v", resp, err))
				} else {
					resp.Body.Close()
					counts[3].Add(1)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	size := func() int64 {
		var n int64
		for _, name := range []string{"connectfed.db", "connectfed.db-wal"} {
			if fi, err := os.Stat(filepath.Join(dataDir, name)); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| minute | DB + WAL (KiB) | RSS (MiB) | AssumeRole | GetFederationToken | refresh | sign-in | errors |\n|---|---|---|---|---|---|---|---|\n")
	type sample struct {
		size int64
		rss  int
	}
	var samples []sample
	tick := time.NewTicker(time.Minute)
	for minute := 1; ; minute++ {
		select {
		case <-ctx.Done():
		case <-tick.C:
			s := sample{size(), rssKiB(t, p.cmd.Process.Pid)}
			samples = append(samples, s)
			fmt.Fprintf(&table, "| %d | %d | %.1f | %d | %d | %d | %d | %d |\n", minute, s.size/1024, float64(s.rss)/1024,
				counts[0].Load(), counts[1].Load(), counts[2].Load(), counts[3].Load(), counts[4].Load())
			t.Logf("minute %d: DB+WAL %d KiB, RSS %.1f MiB, %d federations", minute, s.size/1024, float64(s.rss)/1024, counts[1].Load())
			continue
		}
		break
	}
	tick.Stop()
	wg.Wait()
	t.Logf("expiry soak %v:\n%s", d, table.String())
	if out := os.Getenv("CONNECTFED_EXPIRY_SOAK_OUT"); out != "" {
		os.WriteFile(out, []byte(table.String()), 0o644)
	}
	if counts[4].Load() > 0 {
		t.Errorf("%d errors, first: %v", counts[4].Load(), firstErr.Load())
	}
	if len(samples) < 3 {
		return
	}
	ref := samples[1]
	if len(samples) > 17 {
		ref = samples[15]
	}
	last := samples[len(samples)-1]
	if float64(last.size) > float64(ref.size)*1.5 || float64(last.rss) > float64(ref.rss)*1.5 {
		t.Errorf("grew after the expiry window: DB+WAL %d -> %d KiB, RSS %d -> %d KiB", ref.size/1024, last.size/1024, ref.rss, last.rss)
	}
}
