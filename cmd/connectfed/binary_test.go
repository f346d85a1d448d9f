package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the real connectfed binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "connectfed-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "github.com/connectfed/connectfed")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{string(out)}
		}
	})
	if binErr != nil {
		t.Fatalf("build connectfed: %v", binErr)
	}
	return binPath
}

type buildError struct{ out string }

func (e *buildError) Error() string { return e.out }

// proc is a running connectfed binary.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBinary runs `connectfed serve` on an ephemeral port with JSON logs
// and waits for it to say it is ready.
func startBinary(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	args = append(e2eStoreArgs(t, dataDir), args...)
	cmd := exec.Command(binary(t), append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json"}, args...)...)
	cmd.Env = os.Environ()
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, done: make(chan error, 1)}
	ready := make(chan string, 1)
	// Wait closes the pipe, so it may only run once every line is read:
	// otherwise the last lines (such as "drained") can be lost.
	readAll := make(chan struct{})
	go func() {
		defer close(readAll)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.logs.Write([]byte(line + "\n"))
			var rec struct{ Msg, Listen string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "connectfed ready" {
				select {
				case ready <- rec.Listen:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { <-readAll; p.done <- cmd.Wait() }()
	select {
	case addr := <-ready:
		p.url = "http://" + addr
	case err := <-p.done:
		t.Fatalf("connectfed exited before ready: %v\n%s", err, p.logs.String())
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("connectfed not ready in 20s:\n%s", p.logs.String())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}
