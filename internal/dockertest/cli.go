package dockertest

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// CLI runs the docker client against one daemon only.
type CLI struct {
	Host   string // --host of every call: unix://…/docker.sock
	Config string // private DOCKER_CONFIG, so the host's credentials stay out
}

// Run runs `docker --host Host args…` within timeout and returns its
// combined output; the error carries the output too.
func (c CLI) Run(ctx context.Context, timeout time.Duration, args ...string) (string, error) {
	return c.RunWithInput(ctx, timeout, nil, args...)
}

// RunWithInput is Run with stdin (docker login --password-stdin).
func (c CLI) RunWithInput(ctx context.Context, timeout time.Duration, stdin io.Reader, args ...string) (string, error) {
	return proctest.RunWithInput(ctx, timeout, stdin, c.env(), "docker", append([]string{"--host", c.Host}, args...)...)
}

// env drops the caller's DOCKER_* variables: DOCKER_CONTEXT conflicts with
// --host, and DOCKER_CONTENT_TRUST would send pulls to a notary server.
func (c CLI) env() []string {
	return append(proctest.DropEnv(os.Environ(), "DOCKER_"), "DOCKER_CONFIG="+c.Config)
}
