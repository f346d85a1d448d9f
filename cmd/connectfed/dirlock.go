package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDataDir takes the data dir's lock file (an exclusive flock, released
// by the kernel when the process ends, so a crash never leaves a stale
// lock) and writes the process id into it. A second server on the same
// SQLite data dir is refused with a message naming the first one's pid:
// two processes writing one database would each cache state the other
// changes, and the embedded store's group commit assumes one writer.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "connectfed.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(b[:n]))
			if pid == "" {
				pid = "unknown"
			}
			return nil, fmt.Errorf("data dir %s is in use by another connectfed (pid %s): stop it first, or give this one another --data-dir "+
				"(replicas sharing state use --store postgres://…)", dir, pid)
		}
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
