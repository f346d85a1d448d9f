package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
)

// rssKiB reads a process's resident set size.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestSoak holds a steady mixed load on the real binary over loopback for
// CONNECTFED_SOAK (e.g. 5m) and checks: no errors, and memory flat (the
// last third's peak RSS within 25% + 8 MiB of the first third's). It is
// not part of CI: `CONNECTFED_SOAK=5m go test -run TestSoak -v ./cmd/connectfed/`.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("CONNECTFED_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set CONNECTFED_SOAK=5m to run the soak test")
	}
	p := startBinary(t, t.TempDir())
	f := &fedFixture{srv: &server{t: t, url: p.url}, clock: &clock{}}
	f.setup(t)
	sess := f.assume(t, "alice", 43200)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ops, errs atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fc := connect.NewFromConfig(sess)
			cc := connect.NewFromConfig(f.config("test", "test", ""))
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				switch i % 4 {
				case 0, 1:
					var out *connect.GetFederationTokenOutput
					out, err = fc.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
					if err == nil && i%8 == 1 {
						var st int
						st, _, err = tryRefresh(ctx, f.srv.url, *out.Credentials.RefreshToken)
						if err == nil && st != 200 {
							err = fmt.Errorf("refresh: %d", st)
						}
					}
				case 2:
					_, err = cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(f.userID)})
				case 3:
					_, err = cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(f.instanceID), Username: aws.String(fmt.Sprintf("soak%d-%d", w, i)),
						SecurityProfileIds: []string{f.agentSP}, RoutingProfileId: aws.String(f.routingID)})
				}
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					fail(err)
				}
				ops.Add(1)
			}
		}()
	}
	var samples []int
	tick := time.NewTicker(d / 30)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			samples = append(samples, rssKiB(t, p.cmd.Process.Pid))
		}
	}
	tick.Stop()
	wg.Wait()
	peak := func(s []int) int {
		m := 0
		for _, v := range s {
			m = max(m, v)
		}
		return m
	}
	third := len(samples) / 3
	early, late := peak(samples[:third]), peak(samples[len(samples)-third:])
	t.Logf("soak %v: %d requests (%.0f/s), %d errors; RSS MiB early peak %.1f, late peak %.1f, samples %v",
		d, ops.Load(), float64(ops.Load())/d.Seconds(), errs.Load(), float64(early)/1024, float64(late)/1024, samples)
	if errs.Load() > 0 {
		t.Errorf("%d errors, first: %v", errs.Load(), firstErr.Load())
	}
	if float64(late) > float64(early)*1.25+8*1024 {
		t.Errorf("memory grew: early peak %d KiB, late peak %d KiB", early, late)
	}
}
