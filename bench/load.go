package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// requestSpec is one API request before signing.
type requestSpec struct {
	method      string
	path        string // escaped path and query
	body        []byte
	contentType string
}

// target says what a scenario sends: a fresh request for (worker, seq),
// signed with these credentials for this service.
type target struct {
	// baseURLs are the servers; worker w sends to baseURLs[w%len].
	baseURLs []string
	creds    aws.Credentials
	service  string
	region   string
	next     func(worker int, seq uint64) requestSpec
}

// loadResult is what the generator measured in the measured window.
type loadResult struct {
	hist      *Histogram
	ok        uint64
	errors    uint64
	elapsed   time.Duration
	errorSamp []string
	clientCPU float64 // CPU-seconds this process used in the window
	busyCPU   float64 // CPU-seconds the whole machine used in the window
	dials     int64   // connections opened, warm-up included
	// pcts are the percentiles when there is no histogram (wrk reports
	// them itself): 50, 99, 99.9.
	pcts map[float64]time.Duration
	// rate is the arrival rate of an open-loop run (0: closed loop).
	rate float64
}

// pct is a latency percentile.
func (r *loadResult) pct(p float64) time.Duration {
	if r.hist != nil && r.hist.Count() > 0 {
		return r.hist.Percentile(p)
	}
	return r.pcts[p]
}

func (r *loadResult) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok+r.errors) / r.elapsed.Seconds()
}

var selfPID = os.Getpid()

// newTransport is one keep-alive transport for all workers; it counts the
// connections it opens (more than one per worker means the server closed
// keep-alive connections).
func newTransport(conns int, dials *atomic.Int64) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// runLoad drives the target with conns workers, each sending one request
// at a time on its keep-alive connection: warm-up first (not recorded),
// then the measured window. onMeasure runs when the measured window starts
// and onMeasureEnd when it ends; both must be quick (they read /proc).
func runLoad(t target, conns int, warmup, dur time.Duration, onMeasure func(), onMeasureEnd func()) (*loadResult, error) {
	var dials atomic.Int64
	tr := newTransport(conns, &dials)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var (
		measureStart atomic.Int64 // unix nanos; 0 before the window
		measureEnd   atomic.Int64 // unix nanos; 0 before the window ends
		stop         atomic.Bool
		mu           sync.Mutex
		samples      []string
		wg           sync.WaitGroup
	)
	hists := make([]*Histogram, conns)
	oks := make([]uint64, conns)
	errs := make([]uint64, conns)
	sampleErr := func(s string) {
		mu.Lock()
		if len(samples) < 5 {
			samples = append(samples, s)
		}
		mu.Unlock()
	}
	for w := 0; w < conns; w++ {
		hists[w] = NewHistogram()
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			signer := v4.NewSigner()
			h := hists[w]
			buf := make([]byte, 32<<10)
			for seq := uint64(0); !stop.Load(); seq++ {
				spec := t.next(w, seq)
				req, err := http.NewRequestWithContext(context.Background(), spec.method, t.baseURLs[w%len(t.baseURLs)]+spec.path, bytes.NewReader(spec.body))
				if err != nil {
					sampleErr(err.Error())
					return
				}
				if spec.contentType != "" {
					req.Header.Set("Content-Type", spec.contentType)
				}
				sum := sha256.Sum256(spec.body) // per request, as the SDK does
				// Signed at send time with the current clock, as a client does.
				if err := signer.SignHTTP(req.Context(), t.creds, req, hex.EncodeToString(sum[:]), t.service, t.region, time.Now()); err != nil {
					sampleErr("sign: " + err.Error())
					return
				}
				start := time.Now()
				resp, err := client.Do(req)
				status := 0
				var errBody string
				if err == nil {
					status = resp.StatusCode
					if status/100 != 2 {
						b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
						errBody = string(b)
					}
					// Read to the end so the connection is reused.
					for {
						_, rerr := resp.Body.Read(buf)
						if rerr != nil {
							if rerr != io.EOF {
								err = rerr
							}
							break
						}
					}
					resp.Body.Close()
				}
				end := time.Now()
				ms, me := measureStart.Load(), measureEnd.Load()
				// A request counts when it completes inside the window.
				inWindow := ms != 0 && end.UnixNano() >= ms && (me == 0 || end.UnixNano() <= me)
				failed := err != nil || status/100 != 2
				if failed {
					if err != nil {
						sampleErr(fmt.Sprintf("%s %s: %v", spec.method, spec.path, err))
					} else {
						sampleErr(fmt.Sprintf("%s %s: HTTP %d: %s", spec.method, spec.path, status, errBody))
					}
				}
				if !inWindow {
					continue
				}
				if failed {
					errs[w]++
				} else {
					oks[w]++
				}
				h.Record(end.Sub(start))
			}
		}(w)
	}

	time.Sleep(warmup)
	cpu0, _ := cpuSeconds(selfPID)
	busy0 := machineBusy()
	t0 := time.Now()
	measureStart.Store(t0.UnixNano())
	if onMeasure != nil {
		onMeasure()
	}
	time.Sleep(dur)
	t1 := time.Now()
	measureEnd.Store(t1.UnixNano())
	cpu1, _ := cpuSeconds(selfPID)
	busy1 := machineBusy()
	if onMeasureEnd != nil {
		onMeasureEnd()
	}
	stop.Store(true)
	wg.Wait()

	res := &loadResult{hist: NewHistogram(), elapsed: t1.Sub(t0), errorSamp: samples,
		clientCPU: cpu1 - cpu0, busyCPU: busy1 - busy0, dials: dials.Load()}
	for w := range hists {
		res.hist.Merge(hists[w])
		res.ok += oks[w]
		res.errors += errs[w]
	}
	return res, nil
}
