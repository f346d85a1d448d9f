package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// openLoop is fixed-rate load, as wrk2 does it: requests are due at
// start + i/rate whatever the server does, and each one's latency is
// measured from when it was due, not from when a worker got to send it, so
// a stall counts against every request it delayed (no coordinated
// omission). conns workers send the due requests, each freshly signed.
func (b *bench) openLoop(t target, rate float64) runner {
	return func(onStart, onEnd func()) (*loadResult, error) {
		return runOpenLoop(t, rate, b.o.conns, b.o.warmup, b.o.dur, onStart, onEnd)
	}
}

func runOpenLoop(t target, rate float64, conns int, warmup, dur time.Duration, onStart, onEnd func()) (*loadResult, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("open loop: no rate")
	}
	var dials atomic.Int64
	tr := newTransport(conns, &dials)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	measureFrom, measureTo := start.Add(warmup), start.Add(warmup+dur)
	due := make(chan time.Time, 1<<16)
	var (
		mu      sync.Mutex
		samples []string
		wg      sync.WaitGroup
	)
	hists := make([]*Histogram, conns)
	oks := make([]uint64, conns)
	errs := make([]uint64, conns)
	for w := 0; w < conns; w++ {
		hists[w] = NewHistogram()
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			signer := v4.NewSigner()
			buf := make([]byte, 32<<10)
			var seq uint64
			for at := range due {
				seq++
				spec := t.next(w, seq)
				req, err := http.NewRequestWithContext(context.Background(), spec.method, t.baseURLs[w%len(t.baseURLs)]+spec.path, bytes.NewReader(spec.body))
				if err == nil && spec.contentType != "" {
					req.Header.Set("Content-Type", spec.contentType)
				}
				if err == nil {
					sum := sha256.Sum256(spec.body)
					err = signer.SignHTTP(req.Context(), t.creds, req, hex.EncodeToString(sum[:]), t.service, t.region, time.Now())
				}
				status := 0
				if err == nil {
					var resp *http.Response
					resp, err = client.Do(req)
					if err == nil {
						status = resp.StatusCode
						for {
							if _, rerr := resp.Body.Read(buf); rerr != nil {
								if rerr != io.EOF {
									err = rerr
								}
								break
							}
						}
						resp.Body.Close()
					}
				}
				end := time.Now()
				if at.Before(measureFrom) || at.After(measureTo) {
					continue
				}
				if err != nil || status/100 != 2 {
					errs[w]++
					mu.Lock()
					if len(samples) < 5 {
						samples = append(samples, fmt.Sprintf("%s %s: HTTP %d %v", spec.method, spec.path, status, err))
					}
					mu.Unlock()
				} else {
					oks[w]++
				}
				hists[w].Record(end.Sub(at))
			}
		}(w)
	}

	// The schedule: every request due by now is handed out; the sender
	// then sleeps until the next one is due.
	var cpu0, busy0 float64
	var t0 time.Time
	started, ended := false, false
	var cpu1, busy1 float64
	var t1 time.Time
	lagged := 0
	for i := int64(0); ; {
		now := time.Now()
		if !started && !now.Before(measureFrom) {
			started = true
			cpu0, _ = cpuSeconds(selfPID)
			busy0 = machineBusy()
			t0 = now
			onStart()
		}
		if !ended && !now.Before(measureTo) {
			ended = true
			t1 = now
			cpu1, _ = cpuSeconds(selfPID)
			busy1 = machineBusy()
			onEnd()
			break
		}
		for ; ; i++ {
			at := start.Add(time.Duration(i) * interval)
			if at.After(now) {
				break
			}
			select {
			case due <- at:
			default:
				lagged++ // the queue is full: the workers are far behind
				due <- at
			}
		}
		next := start.Add(time.Duration(i) * interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
	close(due)
	wg.Wait()
	res := &loadResult{hist: NewHistogram(), elapsed: t1.Sub(t0), errorSamp: samples, clientCPU: cpu1 - cpu0, busyCPU: busy1 - busy0,
		dials: dials.Load(), rate: rate}
	for w := range hists {
		res.hist.Merge(hists[w])
		res.ok += oks[w]
		res.errors += errs[w]
	}
	if lagged > 0 {
		res.errorSamp = append(res.errorSamp, fmt.Sprintf("the request queue filled %d times: the server fell behind the rate", lagged))
	}
	return res, nil
}
