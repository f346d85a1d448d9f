package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Server-bound load: wrk (a C load generator, one thread) replays one
// request signed once before the run, so the server, not the client,
// saturates. SigV4 has no nonce: a signed request stays valid for the
// 15 minutes of allowed clock skew, and the server verifies it in full
// every time.

// wrkScript reports the run as one JSON line (wrk's own summary has no
// p99.9).
const wrkScript = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKJSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"sockerr\":%d,\"p50\":%d,\"p99\":%d,\"p999\":%d}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
`

type wrkSummary struct {
	Requests   uint64 `json:"requests"`
	DurationUS int64  `json:"duration_us"`
	Non2xx     uint64 `json:"non2xx"`
	SockErr    uint64 `json:"sockerr"`
	P50        int64  `json:"p50"`
	P99        int64  `json:"p99"`
	P999       int64  `json:"p999"`
}

// presign signs one request now and returns its URL and headers as wrk
// arguments.
func presign(t target, spec requestSpec) (string, []string, error) {
	u := t.baseURLs[0] + spec.path
	req, err := http.NewRequestWithContext(context.Background(), spec.method, u, bytes.NewReader(spec.body))
	if err != nil {
		return "", nil, err
	}
	if spec.contentType != "" {
		req.Header.Set("Content-Type", spec.contentType)
	}
	sum := sha256.Sum256(spec.body)
	if err := v4.NewSigner().SignHTTP(req.Context(), t.creds, req, hex.EncodeToString(sum[:]), t.service, t.region, time.Now()); err != nil {
		return "", nil, err
	}
	var args []string
	for k, vs := range req.Header {
		for _, v := range vs {
			args = append(args, "-H", k+": "+v)
		}
	}
	return u, args, nil
}

// wrkLoad runs wrk against the target's first server with one request
// signed at the start: a warm-up run, then the measured one.
func (b *bench) wrkLoad(t target) runner {
	return func(onStart, onEnd func()) (*loadResult, error) {
		bin, err := exec.LookPath("wrk")
		if err != nil {
			return nil, fmt.Errorf("wrk is not on PATH (apt-get install wrk)")
		}
		script := filepath.Join(b.tmp, "report.lua")
		if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
			return nil, err
		}
		spec := t.next(0, 0)
		if len(spec.body) > 0 {
			return nil, fmt.Errorf("wrk scenarios replay bodiless requests only")
		}
		u, hdrs, err := presign(t, spec)
		if err != nil {
			return nil, err
		}
		run := func(d time.Duration) (*wrkSummary, *exec.Cmd, error) {
			secs := max(1, int(d.Round(time.Second)/time.Second))
			args := append([]string{"-t1", "-c" + strconv.Itoa(b.o.conns), "-d" + strconv.Itoa(secs) + "s", "--timeout", "10s", "-s", script}, hdrs...)
			args = append(args, u)
			cmd := exec.Command(bin, args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				return nil, cmd, fmt.Errorf("wrk: %v: %s", err, out.String())
			}
			for _, line := range strings.Split(out.String(), "\n") {
				if rest, ok := strings.CutPrefix(line, "WRKJSON "); ok {
					var s wrkSummary
					if err := json.Unmarshal([]byte(rest), &s); err != nil {
						return nil, cmd, fmt.Errorf("wrk report %q: %v", rest, err)
					}
					return &s, cmd, nil
				}
			}
			return nil, cmd, fmt.Errorf("wrk printed no report: %s", out.String())
		}
		if b.o.warmup >= time.Second {
			if _, _, err := run(b.o.warmup); err != nil {
				return nil, err
			}
		}
		busy0 := machineBusy()
		onStart()
		s, cmd, err := run(b.o.dur)
		onEnd()
		busy1 := machineBusy()
		if err != nil {
			return nil, err
		}
		res := &loadResult{elapsed: time.Duration(s.DurationUS) * time.Microsecond, busyCPU: busy1 - busy0, dials: int64(b.o.conns),
			pcts: map[float64]time.Duration{50: time.Duration(s.P50) * time.Microsecond, 99: time.Duration(s.P99) * time.Microsecond,
				99.9: time.Duration(s.P999) * time.Microsecond}}
		res.errors = s.Non2xx + s.SockErr
		res.ok = s.Requests - min(s.Requests, s.Non2xx)
		if ps := cmd.ProcessState; ps != nil {
			res.clientCPU = (ps.UserTime() + ps.SystemTime()).Seconds()
		}
		if res.errors > 0 {
			res.errorSamp = append(res.errorSamp, fmt.Sprintf("wrk: %d non-2xx responses, %d socket errors", s.Non2xx, s.SockErr))
		}
		return res, nil
	}
}
