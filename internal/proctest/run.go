package proctest

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// Run runs a client command (docker, ctr, skopeo) to its end within
// timeout and returns its combined output. The error carries the output,
// which is where such clients explain themselves.
func Run(ctx context.Context, timeout time.Duration, env []string, bin string, args ...string) (string, error) {
	return RunWithInput(ctx, timeout, nil, env, bin, args...)
}

// RunWithInput is Run with stdin, for a secret that must not appear in
// args (docker login --password-stdin).
func RunWithInput(ctx context.Context, timeout time.Duration, stdin io.Reader, env []string, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Stdin = env, stdin
	cmd.WaitDelay = time.Second // don't hang on a pipe a killed client left open
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
