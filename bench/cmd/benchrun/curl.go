package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// curlTimeout bounds one curl run; a warm 1 GiB GET on loopback takes
// well under a second.
const curlTimeout = 2 * time.Minute

// curlRun is one `curl -o /dev/null`: bytes received and seconds taken,
// as curl itself measured them.
type curlRun struct {
	bytes   int64
	seconds float64
}

func (c curlRun) mbps() float64 { return float64(c.bytes) / c.seconds / 1e6 }

// curlGet downloads url to /dev/null. --noproxy keeps any proxy setting
// of the caller's environment out of a loopback measurement.
func curlGet(ctx context.Context, url string) (curlRun, error) {
	ctx, cancel := context.WithTimeout(ctx, curlTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", "--noproxy", "*", "-o", "/dev/null",
		"-w", "%{http_code} %{size_download} %{time_total}", url).Output()
	if err != nil {
		return curlRun{}, fmt.Errorf("curl %s: %w", url, err)
	}
	var code int
	var r curlRun
	if _, err := fmt.Sscan(strings.TrimSpace(string(out)), &code, &r.bytes, &r.seconds); err != nil || code != 200 || r.seconds <= 0 {
		return curlRun{}, fmt.Errorf("curl %s: unexpected %q (%v)", url, out, err)
	}
	return r, nil
}
