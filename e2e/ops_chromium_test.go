package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// chromiumTimeout bounds one headless run; a cold start takes seconds.
const chromiumTimeout = 90 * time.Second

// requireChromium returns the headless browser, or stops the test (and
// fails it under CI) when it is not installed.
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	unavailable(t, "chromium not found on PATH (apt-get install chromium)")
	return ""
}

// runChromium runs the browser headless on url with extra arguments and
// returns its stdout. Everything that would reach the network on its own
// is off; its profile and HOME are throwaway directories.
func runChromium(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	home := t.TempDir()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + filepath.Join(home, "profile"),
	}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	// Chromium forks helpers; a timeout must take them all down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stderr tailBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return out
}

// tailBuffer keeps the last few KiB of chromium's chatty stderr.
type tailBuffer struct{ b []byte }

func (l *tailBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if over := len(l.b) - 8<<10; over > 0 {
		l.b = l.b[over:]
	}
	return len(p), nil
}

func (l *tailBuffer) String() string { return string(l.b) }
