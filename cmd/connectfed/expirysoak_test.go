package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
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
// Each minute's row also splits RSS into the Go runtime's share (from the
// server's /debug/pprof, so the server runs with --pprof) and the rest
// (SQLite's own allocations); CONNECTFED_EXPIRY_SOAK_PROFILES=dir saves a
// heap profile a minute. It fails on any error, or when the database (file
// plus WAL) or RSS grew past a small tolerance after minute 5 (see the end).
func TestExpirySoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("CONNECTFED_EXPIRY_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set CONNECTFED_EXPIRY_SOAK=20m to run the expiry soak")
	}
	requireSQLite(t)
	dataDir := t.TempDir()
	args := []string{"--access-token-ttl", "2s", "--refresh-token-ttl", "10s", "--audit-retention", "2m"}
	// --pprof (loopback only here) lets the soak read the Go runtime's own
	// memory figures next to RSS.
	args = append(args, "--pprof")
	args = append(args, strings.Fields(os.Getenv("CONNECTFED_EXPIRY_SOAK_ARGS"))...)
	p := startBinary(t, dataDir, args...)
	f := &fedFixture{srv: &server{t: t, url: p.url}, clock: &clock{}}
	f.setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var counts [6]atomic.Int64 // assume, federate, refresh, sign-in, errors, tokens used after their expiry
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
				if i%20 == 0 || fc == nil { // a new STS session every 20 federations
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
				// A token used after its expiry (the 2 s access token when
				// the machine is busy) is refused as it should be: counted
				// as late, not as an error.
				cr := out.Credentials
				if resp, err := browser.Get(*out.SignInUrl); err == nil && resp.StatusCode == 200 {
					resp.Body.Close()
					counts[3].Add(1)
				} else if err == nil && resp.StatusCode == 401 && time.Now().After(*cr.AccessTokenExpiration) {
					resp.Body.Close()
					counts[5].Add(1)
				} else {
					if err == nil {
						resp.Body.Close()
					}
					fail(fmt.Errorf("sign-in: %v %v", resp, err))
				}
				if st, _, err := tryRefresh(ctx, p.url, *cr.RefreshToken); err == nil && st == 200 {
					counts[2].Add(1)
				} else if err == nil && time.Now().After(*cr.RefreshTokenExpiration) {
					counts[5].Add(1)
				} else {
					fail(fmt.Errorf("refresh: %d %v", st, err))
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	// fileSize is 0 for a file that is not there (no WAL between
	// checkpoints that truncate it).
	fileSize := func(name string) int64 {
		if fi, err := os.Stat(filepath.Join(dataDir, name)); err == nil {
			return fi.Size()
		}
		return 0
	}
	profiles := os.Getenv("CONNECTFED_EXPIRY_SOAK_PROFILES") // a directory: a heap profile per minute
	var table strings.Builder
	fmt.Fprintf(&table, "| minute | DB + WAL (KiB) | of which WAL (KiB) | RSS (MiB) | anon (MiB) | Go heap in use (MiB) | Go runtime Sys − released (MiB) | non-Go anon (MiB) | goroutines | AssumeRole | GetFederationToken | refresh | sign-in | late | errors |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var samples []memSample
	tick := time.NewTicker(time.Minute)
	for minute := 1; ; minute++ {
		select {
		case <-ctx.Done():
		case <-tick.C:
			s := sampleMemory(t, p.cmd.Process.Pid, p.url)
			s.wal = fileSize("connectfed.db-wal")
			s.size = fileSize("connectfed.db") + s.wal
			samples = append(samples, s)
			fmt.Fprintf(&table, "| %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %d | %d | %d | %d | %d | %d |\n", minute, s.size/1024, s.wal/1024, mib(s.rss), mib(s.anon),
				mib(s.heapInuse), mib(s.goResident), mib(s.anon-s.goResident), s.goroutines,
				counts[0].Load(), counts[1].Load(), counts[2].Load(), counts[3].Load(), counts[5].Load(), counts[4].Load())
			t.Logf("minute %d: DB+WAL %d KiB, RSS %.1f MiB (anon %.1f, Go heap in use %.1f, Go resident %.1f, non-Go anon %.1f), %d goroutines, %d federations",
				minute, s.size/1024, mib(s.rss), mib(s.anon), mib(s.heapInuse), mib(s.goResident), mib(s.anon-s.goResident), s.goroutines, counts[1].Load())
			if profiles != "" {
				saveURL(t, p.url+"/debug/pprof/heap", filepath.Join(profiles, fmt.Sprintf("heap-%02d.pprof", minute)))
			}
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
	// Flat after the first window in which everything the soak writes has
	// expired and been swept (refresh tokens 10 s, audit records 2 minutes,
	// a sweep a minute; STS sessions are not stored) and the bounded
	// caches have filled: minute 5. From there to the end (at least two
	// minutes later, else the soak is too short to judge) the database
	// may not grow by more than 5% (SQLite files do not shrink, so growth
	// means rows piling up) and RSS by no more than rssSlack.
	const refMinute, rssSlack = 5, 2 << 20
	if len(samples) < refMinute+2 {
		t.Logf("too short to judge flatness: it is judged from minute %d to at least minute %d", refMinute, refMinute+2)
		return
	}
	ref, last := samples[refMinute-1], samples[len(samples)-1]
	t.Logf("from minute %d to minute %d: DB+WAL %+d KiB, RSS %+.1f MiB (Go runtime %+.1f, non-Go anon %+.1f)", refMinute, len(samples),
		(last.size-ref.size)/1024, mib(last.rss-ref.rss), mib(last.goResident-ref.goResident), mib((last.anon-last.goResident)-(ref.anon-ref.goResident)))
	if float64(last.size) > float64(ref.size)*1.05 {
		t.Errorf("the database grew after minute %d: %d -> %d KiB", refMinute, ref.size/1024, last.size/1024)
	}
	if last.rss > ref.rss+rssSlack {
		t.Errorf("RSS grew after minute %d: %.1f -> %.1f MiB (more than %.0f MiB)", refMinute, mib(ref.rss), mib(last.rss), mib(rssSlack))
	}
}

// memSample is one minute of the expiry soak. Sizes are in bytes: size is
// the database file plus its WAL, wal the WAL alone. anon is
// the process's anonymous resident memory (Go's heap and stacks, and the
// SQLite library's own allocations, which modernc.org/libc maps outside the
// Go heap); goResident is what the Go runtime has mapped and not returned
// (MemStats Sys - HeapReleased), so anon - goResident is roughly the memory
// Go does not account for.
type memSample struct {
	size, wal, rss, anon, heapInuse, goResident int64
	goroutines                                  int
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// sampleMemory reads RSS from /proc and the Go runtime's figures from the
// server's /debug/pprof (the server must run with --pprof).
func sampleMemory(t *testing.T, pid int, base string) memSample {
	t.Helper()
	var s memSample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			s.rss = n << 10
		case "RssAnon:":
			s.anon = n << 10
		}
	}
	memstats := map[string]int64{}
	for _, line := range strings.Split(getText(t, base+"/debug/pprof/heap?debug=1"), "\n") {
		// "# HeapInuse = 123"
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[2] == "=" {
			memstats[f[1]], _ = strconv.ParseInt(f[3], 10, 64)
		}
	}
	s.heapInuse = memstats["HeapInuse"]
	s.goResident = memstats["Sys"] - memstats["HeapReleased"]
	// "goroutine profile: total 23"
	first, _, _ := strings.Cut(getText(t, base+"/debug/pprof/goroutine?debug=1"), "\n")
	s.goroutines, _ = strconv.Atoi(strings.TrimPrefix(first, "goroutine profile: total "))
	return s
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func saveURL(t *testing.T, url, path string) {
	t.Helper()
	must(t, os.WriteFile(path, []byte(getText(t, url)), 0o644))
}
