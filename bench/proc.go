package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
var clockTicks = func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return float64(n)
		}
	}
	return 100
}()

// cpuSeconds is the user+system CPU time a process (all its threads) has
// used, from /proc/<pid>/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields are counted after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return float64(ut+st) / clockTicks, nil
}

// machineBusy is the CPU-seconds all CPUs of the machine have spent not
// idle, from the "cpu" line of /proc/stat.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	var busy uint64
	for i, x := range f[1:] {
		n, _ := strconv.ParseUint(x, 10, 64)
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest and guest_nice are already in user and nice
			break
		}
		busy += n
	}
	return float64(busy) / clockTicks
}

// memStatus reads VmRSS and VmHWM (peak RSS) in bytes from /proc/<pid>/status.
func memStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []struct {
			name string
			dst  *int64
		}{{"VmRSS:", &rss}, {"VmHWM:", &hwm}} {
			if rest, ok := strings.CutPrefix(line, k.name); ok {
				fs := strings.Fields(rest) // "12345 kB"
				if len(fs) >= 1 {
					n, _ := strconv.ParseInt(fs[0], 10, 64)
					*k.dst = n * 1024
				}
			}
		}
	}
	return rss, hwm, sc.Err()
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+, "5" in
// clear_refs), so that each scenario's peak is its own. It reports whether
// the kernel accepted it.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// freePort asks the kernel for an unused loopback port. Another process
// could take it before the child binds it; on loopback in a benchmark that
// is unlikely, and the child then fails to start loudly.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// child is a server process the benchmark started.
type child struct {
	name    string
	cmd     *exec.Cmd
	addr    string // host:port
	logPath string
	log     *os.File
	exited  chan struct{}
	waitErr error

	started   time.Time
	readyIn   time.Duration // process start to first healthy answer
	idleRSS   int64         // VmRSS right after it became healthy
	hwmResets bool          // whether per-scenario peak RSS resets work
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) url() string { return "http://" + c.addr }

// startChild starts argv with stdout and stderr going to logPath and waits
// until health answers true (polled every millisecond), or timeout.
func startChild(name string, argv []string, env []string, addr, logPath string, timeout time.Duration,
	health func(ctx context.Context, client *http.Client, base string) bool) (*child, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	// Own process group, so a ^C on the benchmark does not hit the child
	// before we stop it, and so that stop can signal a wrapper's children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c := &child{name: name, cmd: cmd, addr: addr, logPath: logPath, log: lf, exited: make(chan struct{})}
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { c.waitErr = cmd.Wait(); close(c.exited) }()

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if health(ctx, client, c.url()) {
			c.readyIn = time.Since(c.started)
			break
		}
		select {
		case <-c.exited:
			return nil, fmt.Errorf("%s exited before it was ready (%v); log %s:\n%s", name, c.waitErr, logPath, tail(logPath, 2000))
		case <-ctx.Done():
			c.stop()
			return nil, fmt.Errorf("%s not ready after %v; log %s:\n%s", name, timeout, logPath, tail(logPath, 2000))
		case <-time.After(time.Millisecond):
		}
	}
	c.idleRSS, _, _ = memStatus(c.pid())
	c.hwmResets = resetPeakRSS(c.pid())
	return c, nil
}

// healthz is ready when GET /healthz answers 200.
func healthz(ctx context.Context, client *http.Client, base string) bool {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/healthz", nil)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// anyAnswer is ready when the server answers HTTP at all (moto has no
// /healthz; its /moto-api/ answers once it serves).
func anyAnswer(path string) func(ctx context.Context, client *http.Client, base string) bool {
	return func(ctx context.Context, client *http.Client, base string) bool {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode < 500
	}
}

// stop sends SIGTERM to the process group, waits up to 10 s, then kills it.
func (c *child) stop() error {
	if c == nil {
		return nil
	}
	defer c.log.Close()
	select {
	case <-c.exited:
		return c.exitErr()
	default:
	}
	pgid := c.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-c.exited:
		return c.exitErr()
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-c.exited
		return fmt.Errorf("%s did not stop within 10s of SIGTERM; killed", c.name)
	}
}

func (c *child) exitErr() error {
	var ee *exec.ExitError
	if errors.As(c.waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil // died of our SIGTERM without handling it: fine
		}
	}
	return c.waitErr
}

// alive reports whether the process is still running.
func (c *child) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// tail is the last n bytes of a file, for error messages.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}
